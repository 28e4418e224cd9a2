package s3blob

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/minio/minio-go/v7"

	"strongroom/vfs/blob"
)

var (
	errAborted   = errors.New("s3blob: upload was aborted")
	errCommitted = errors.New("s3blob: upload is already committed")
)

// writer is an upload in flight. It fills a buffer of one chunk. An
// object that ends within it is sent at Commit in one PUT. Otherwise each
// full chunk is sent as an object of its own (KEY.0, KEY.1, ...), while
// the next one fills if the upload memory has a second buffer for it, and
// Commit sends the last chunk and then the manifest at KEY, which makes
// the object visible.
type writer struct {
	ctx  context.Context
	s    *Store
	key  string
	buf  []byte // the chunk being filled
	n    int64  // bytes accepted by Write
	sent int    // chunks handed to send

	// reserved is how much of the store's upload memory the writer
	// holds: nothing while its buffer is under uncountedBuffer, then one
	// chunk, or two while one is sent as the next fills.
	reserved int64

	// inflight is closed when the chunk being sent has been stored (or
	// refused); sendErr is then its outcome. Nil when no chunk is out.
	// Its buffer, sending, fills the chunk after next: an upload holds
	// two buffers at most, and a small one only what it needs.
	inflight chan struct{}
	sending  []byte
	sendErr  error

	// err is why the upload cannot continue: the first failure, or
	// errCommitted or errAborted once it ended.
	err error
}

// NewWriter starts an upload of key. Nothing is sent until the object
// outgrows its first chunk, or until Commit. Canceling ctx fails the
// upload and deletes what was sent of it.
func (s *Store) NewWriter(ctx context.Context, key string) (blob.Writer, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	return &writer{ctx: ctx, s: s, key: key}, nil
}

func (w *writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if err := w.ctx.Err(); err != nil {
		w.fail(err)
		return 0, err
	}
	written := 0
	for len(p) > 0 {
		if len(w.buf) == w.s.chunkSize {
			// The chunk is full and more follows: it is not the last.
			if err := w.sendChunk(); err != nil {
				w.fail(err)
				return written, err
			}
		}
		n := min(len(p), w.s.chunkSize-len(w.buf))
		if err := w.grow(n); err != nil {
			w.fail(err)
			return written, err
		}
		w.buf = append(w.buf, p[:n]...)
		p, written, w.n = p[n:], written+n, w.n+int64(n)
	}
	return written, nil
}

// grow makes room for n more bytes in the buffer, doubling it up to
// uncountedBuffer, so that a small object takes little memory. Past that
// it reserves a chunk of upload memory and moves to a buffer of a whole
// chunk, from the store's pool of them.
func (w *writer) grow(n int) error {
	if cap(w.buf)-len(w.buf) >= n {
		return nil
	}
	var grown []byte
	if size := max(2*cap(w.buf), len(w.buf)+n, 64<<10); size <= uncountedBuffer {
		grown = make([]byte, len(w.buf), size)
	} else {
		if err := w.reserveChunk(); err != nil {
			return err
		}
		grown = w.s.chunkBuffer()[:len(w.buf)]
	}
	copy(grown, w.buf)
	w.buf = grown
	return nil
}

// reserveChunk waits for a chunk of upload memory, for up to the store's
// memoryWait. Waiting cannot deadlock: a writer waits here only while it
// holds no reservation, and writers never wait for a second one.
func (w *writer) reserveChunk() error {
	ctx, cancel := context.WithTimeout(w.ctx, w.s.memoryWait)
	defer cancel()
	if err := w.s.memory.Acquire(ctx, int64(w.s.chunkSize)); err != nil {
		if w.ctx.Err() != nil {
			return w.ctx.Err()
		}
		return fmt.Errorf("s3blob: upload of %s: the memory for uploads is taken by others in flight (%s waited): %w; try again later, or raise blobs.upload_memory",
			w.key, w.s.memoryWait, blob.ErrBusy)
	}
	w.reserved = int64(w.s.chunkSize)
	return nil
}

// sendChunk waits for the chunk in flight, then sends the buffer as the
// next chunk: in the background into a second buffer if the writer has
// one or the upload memory can spare one, otherwise here and now.
func (w *writer) sendChunk() error {
	if err := w.wait(); err != nil {
		return err
	}
	data, name := w.buf, w.s.chunkName(w.key, w.sent)
	if w.sending == nil {
		if !w.s.memory.TryAcquire(int64(w.s.chunkSize)) {
			w.sent++
			if err := w.s.put(w.ctx, name, data, nil); err != nil {
				return err
			}
			w.buf = data[:0]
			return nil
		}
		w.reserved += int64(w.s.chunkSize)
		w.sending = w.s.chunkBuffer()
	}
	w.buf, w.sending, w.sent = w.sending[:0], data, w.sent+1
	done := make(chan struct{})
	w.inflight = done
	go func() {
		defer close(done)
		w.sendErr = w.s.put(w.ctx, name, data, nil)
	}()
	return nil
}

// wait returns once no chunk is in flight, with the outcome of the last.
func (w *writer) wait() error {
	if w.inflight == nil {
		return nil
	}
	<-w.inflight
	w.inflight = nil
	return w.sendErr
}

// put stores data as the object name in one PUT request.
func (s *Store) put(ctx context.Context, name string, data []byte, meta map[string]string) error {
	// Over plain HTTP minio-go would sign the payload (a SHA-256 pass here
	// and another in the gateway); what is uploaded is sealed AES-GCM
	// that the reader authenticates, so it is sent unsigned, as minio-go
	// does over HTTPS anyway. 1 GiB to versitygw: 197 -> 235 MB/s.
	opts := minio.PutObjectOptions{ContentType: "application/octet-stream", DisableContentSha256: true,
		DisableMultipart: true, UserMetadata: meta}
	info, err := s.client.PutObject(ctx, s.bucket, name, bytes.NewReader(data), int64(len(data)), opts)
	if err == nil && info.Size != int64(len(data)) {
		// Not expected of minio-go; but a short object must not become
		// part of a version.
		err = fmt.Errorf("s3blob: %s was stored with %d bytes of %d", name, info.Size, len(data))
	}
	return err
}

// Commit sends what is left and, for an object of several chunks, its
// manifest, and waits for S3 to confirm.
func (w *writer) Commit() error {
	if w.err != nil {
		return w.err
	}
	if err := w.ctx.Err(); err != nil {
		w.fail(err)
		return err
	}

	if w.sent == 0 {
		err := w.s.put(w.ctx, w.s.prefix+w.key, w.buf, nil)
		if err == nil {
			w.recycle()
		}
		w.release()
		if err != nil {
			w.err = err
			return err
		}
		w.err = errCommitted
		return nil
	}

	if len(w.buf) > 0 {
		if err := w.sendChunk(); err != nil {
			w.fail(err)
			return err
		}
	}
	if err := w.wait(); err != nil {
		w.fail(err)
		return err
	}
	m := manifest{Layout: layoutChunks, ChunkSize: int64(w.s.chunkSize), Chunks: w.sent, Size: w.n}
	if err := w.s.checkChunks(w.ctx, w.key, &m); err != nil {
		w.fail(err)
		return err
	}
	body, err := json.Marshal(m)
	if err == nil {
		err = w.s.put(w.ctx, w.s.prefix+w.key, body, map[string]string{layoutHeader: layoutChunks})
	}
	if err != nil {
		w.fail(err)
		return err
	}
	w.recycle()
	w.release()
	w.err = errCommitted
	return nil
}

// Abort ends the upload and deletes the chunks it sent. It does nothing
// once the upload ended.
func (w *writer) Abort() {
	if w.err == nil {
		w.fail(errAborted)
	}
}

// fail ends the upload with err: it waits for the chunk in flight and
// deletes every chunk sent, so that an upload that failed leaves nothing
// behind (what a crash leaves, RemoveIncompleteUploads collects).
func (w *writer) fail(err error) {
	w.err = err
	w.wait()
	w.release()
	if w.sent > 0 {
		w.s.removeChunks(context.WithoutCancel(w.ctx), w.key, w.sent)
		w.sent = 0
	}
}

// recycle gives the writer's chunk buffers back to the store's pool. Only
// an upload all of whose requests succeeded does: after a request that
// failed, the HTTP client may still be reading its body.
func (w *writer) recycle() {
	w.s.recycleChunkBuffer(w.buf)
	w.s.recycleChunkBuffer(w.sending)
}

// release lets go of the buffers, which an ended upload keeps no use for,
// and gives back its upload memory. No chunk may be in flight.
func (w *writer) release() {
	w.buf, w.sending = nil, nil
	if w.reserved > 0 {
		w.s.memory.Release(w.reserved)
		w.reserved = 0
	}
}

// checkChunks makes sure that every chunk m lists is stored, whole, before
// the manifest makes them an object: RemoveIncompleteUploads on another
// node takes an upload that sent nothing for longer than its grace period
// for one a crash cut off, and deletes its chunks.
//
// A small window remains: chunks deleted after this check and before the
// manifest is written are found missing only when the object is read. It
// takes an upload that sent nothing for the whole grace period (24 hours
// by default) and then completes within those milliseconds.
func (s *Store) checkChunks(ctx context.Context, key string, m *manifest) error {
	sizes := make(map[string]int64, m.Chunks)
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + key + ".", Recursive: true}) {
		if obj.Err != nil {
			return fmt.Errorf("s3blob: list the chunks of %s: %w", key, obj.Err)
		}
		sizes[obj.Key] = obj.Size
	}
	for i := range m.Chunks {
		want := min(m.ChunkSize, m.Size-int64(i)*m.ChunkSize)
		if got, ok := sizes[s.chunkName(key, i)]; !ok || got != want {
			return fmt.Errorf("s3blob: chunk %d of %s is missing or damaged in the bucket (removed as abandoned? uploads that pause for longer than the orphan grace period are): upload again", i, key)
		}
	}
	return nil
}

// chunkName is the object that holds chunk i of key.
func (s *Store) chunkName(key string, i int) string {
	return s.prefix + key + "." + strconv.Itoa(i)
}

// removeChunks deletes chunks 0 to n-1 of key, in one request per 1,000.
func (s *Store) removeChunks(ctx context.Context, key string, n int) error {
	objects := make(chan minio.ObjectInfo)
	go func() {
		defer close(objects)
		for i := range n {
			objects <- minio.ObjectInfo{Key: s.chunkName(key, i)}
		}
	}()
	var first error
	for e := range s.client.RemoveObjects(ctx, s.bucket, objects, minio.RemoveObjectsOptions{}) {
		if first == nil && code(e.Err) != "NoSuchKey" {
			first = e.Err
		}
	}
	return first
}
