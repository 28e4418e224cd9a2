package s3blob

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/minio/minio-go/v7"
)

// A large object is stored as chunks, each an S3 object of its own, and a
// manifest under the object's own name that says how many there are.
//
// Why not S3's multipart upload, which minio-go does well: a gateway that
// stores objects as files (Versity's, MinIO's single-disk mode) writes
// every part to a file and then copies the parts into one file when the
// upload completes, so each byte is written twice. Separate objects are
// written once: the same 1 GiB went to versitygw at 307-394 MiB/s as
// chunks against 113-250 as a multipart upload. Chunks can also be read
// from the middle without a range over one huge object.
const (
	layoutHeader = "Strongroom-Layout" // user metadata that marks a manifest
	layoutChunks = "chunks-v1"

	// maxManifest bounds what is read as a manifest: one is about 80 bytes.
	maxManifest = 4096
)

// manifest describes an object stored as chunks: Chunks objects named
// KEY.0 to KEY.(Chunks-1), each ChunkSize bytes but the last, Size bytes
// in all. It is written last, so an object whose manifest exists is whole.
// (Not KEY/0: gateways that store objects as files would make KEY a
// folder, and the manifest could not be written.)
type manifest struct {
	Layout    string `json:"layout"`
	ChunkSize int64  `json:"chunk_size"`
	Chunks    int    `json:"chunks"`
	Size      int64  `json:"size"`
}

func (m *manifest) valid() bool {
	return m.Layout == layoutChunks && m.ChunkSize > 0 && m.Chunks > 0 && m.Size >= 0 &&
		(int64(m.Chunks)-1)*m.ChunkSize < m.Size && m.Size <= int64(m.Chunks)*m.ChunkSize
}

// manifestCache remembers the manifests read lately. An object never changes
// once written, so a remembered manifest is right for as long as the
// object exists; it is forgotten when the object is deleted here.
type manifestCache struct {
	mu sync.Mutex
	m  map[string]*manifest
}

const manifestCacheSize = 4096

func (c *manifestCache) get(key string) *manifest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key]
}

func (c *manifestCache) put(key string, m *manifest) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= manifestCacheSize {
		c.m = make(map[string]*manifest) // full: start afresh, which keeps it bounded simply
	}
	c.m[key] = m
}

func (c *manifestCache) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
}

// readManifest reads and checks the manifest of key.
func (s *Store) readManifest(ctx context.Context, key string) (*manifest, error) {
	if m := s.manifests.get(key); m != nil {
		return m, nil
	}
	body, _, _, err := minio.Core{Client: s.client}.GetObject(ctx, s.bucket, s.prefix+key, minio.GetObjectOptions{})
	if err != nil {
		return nil, readError(key, err)
	}
	defer body.Close()
	data, err := io.ReadAll(io.LimitReader(body, maxManifest+1))
	if err != nil {
		return nil, fmt.Errorf("s3blob: read manifest of %s: %w", key, err)
	}
	var m manifest
	if len(data) > maxManifest || json.Unmarshal(data, &m) != nil || !m.valid() {
		return nil, fmt.Errorf("s3blob: the manifest of %s is damaged: %.100q", key, data)
	}
	s.manifests.put(key, &m)
	return &m, nil
}

// parseManifest takes the manifest of key from a GET's answer, if the
// answer holds all of it (the range began at 0 and reached its end), and
// remembers it.
func (s *Store) parseManifest(key string, body io.Reader, h http.Header, offset int64) (*manifest, bool) {
	if offset != 0 {
		return nil, false
	}
	total, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64)
	if cr := h.Get("Content-Range"); cr != "" {
		_, size, ok := strings.Cut(cr, "/")
		if !ok {
			return nil, false
		}
		total, err = strconv.ParseInt(size, 10, 64)
	}
	if err != nil || total > maxManifest {
		return nil, false
	}
	data, err := io.ReadAll(io.LimitReader(body, maxManifest+1))
	var m manifest
	if err != nil || int64(len(data)) != total || json.Unmarshal(data, &m) != nil || !m.valid() {
		return nil, false // readManifest reads it again, and says what is wrong
	}
	s.manifests.put(key, &m)
	return &m, true
}

// isManifest reports whether a response's headers mark a manifest.
func isManifest(h http.Header) bool {
	return h.Get("X-Amz-Meta-"+layoutHeader) == layoutChunks
}

// chunkReader reads a range of an object stored as chunks, one ranged GET
// per chunk it crosses, each sent while the previous one is being read.
type chunkReader struct {
	ctx    context.Context
	cancel context.CancelFunc
	s      *Store
	key    string
	m      *manifest
	pos    int64 // next byte to read, from the start of the object
	end    int64 // where the range ends
	ahead  int64 // once pos reaches it, the next chunk is asked for

	cur  io.ReadCloser // the chunk being read; nil between chunks
	next *pendingGet   // the following chunk, asked for ahead
	err  error
}

// pendingGet is a GET sent ahead; done is closed when it answered.
type pendingGet struct {
	at   int64
	done chan struct{}
	body io.ReadCloser
	err  error
}

func (s *Store) newChunkReader(ctx context.Context, key string, m *manifest, offset, length int64) io.ReadCloser {
	end := m.Size
	if length >= 0 && length <= math.MaxInt64-offset {
		end = min(end, offset+length)
	}
	ctx, cancel := context.WithCancel(ctx)
	return &chunkReader{ctx: ctx, cancel: cancel, s: s, key: key, m: m, pos: offset, end: end}
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(p) == 0 && r.err == nil {
		return 0, nil
	}
	for r.err == nil {
		if r.pos >= r.end {
			r.err = io.EOF
			break
		}
		if r.cur == nil {
			if err := r.open(); err != nil {
				r.err = err
				break
			}
		}
		if left := r.end - r.pos; int64(len(p)) > left {
			p = p[:left]
		}
		n, err := r.cur.Read(p)
		r.pos += int64(n)
		if r.pos >= r.ahead && r.next == nil {
			r.askAhead()
		}
		if err == io.EOF {
			r.cur.Close()
			r.cur = nil
			if r.pos < r.end && r.pos%r.m.ChunkSize != 0 {
				err = fmt.Errorf("s3blob: chunk %d of %s ended early: %w", r.pos/r.m.ChunkSize, r.key, io.ErrUnexpectedEOF)
			} else {
				err = nil
			}
		}
		if err != nil {
			r.err = err
		}
		if n > 0 || err != nil {
			return n, err
		}
	}
	return 0, r.err
}

// open starts reading the chunk at r.pos, taking the GET sent ahead if it
// is the one. The GET of the chunk after it is sent once 1 MiB (or half)
// of this one's part of the range has been read: a short read of a file
// that was opened to its end (as the vfs opens them) sends no GET it does
// not use, and a long one has the next chunk on its way well before it
// needs it.
func (r *chunkReader) open() error {
	var g *pendingGet
	if r.next != nil && r.next.at == r.pos {
		g, r.next = r.next, nil
	} else {
		r.dropNext()
		g = r.get(r.pos)
	}
	<-g.done
	if g.err != nil {
		return g.err
	}
	r.cur = g.body
	stop := min(r.following(), r.end)
	r.ahead = r.pos + min((stop-r.pos)/2, 1<<20)
	return nil
}

// following is where the chunk after the one holding r.pos begins.
func (r *chunkReader) following() int64 {
	return (r.pos/r.m.ChunkSize + 1) * r.m.ChunkSize
}

// askAhead sends the GET of the chunk after the current one, if the range
// goes on into it.
func (r *chunkReader) askAhead() {
	if r.pos%r.m.ChunkSize == 0 {
		return // between chunks: open asks for the next one itself
	}
	if next := r.following(); next < r.end {
		r.next = r.get(next)
	}
}

// get sends, in the background, the GET of the chunk holding byte at, from
// there to the chunk's end or the range's.
func (r *chunkReader) get(at int64) *pendingGet {
	g := &pendingGet{at: at, done: make(chan struct{})}
	i := at / r.m.ChunkSize
	from := at - i*r.m.ChunkSize
	to := min(r.end-i*r.m.ChunkSize, r.m.ChunkSize) - 1
	go func() {
		defer close(g.done)
		var opts minio.GetObjectOptions
		opts.SetRange(from, to)
		name := r.s.chunkName(r.key, int(i))
		g.body, _, _, g.err = minio.Core{Client: r.s.client}.GetObject(r.ctx, r.s.bucket, name, opts)
		if code(g.err) == "NoSuchKey" {
			// The object was deleted (another node may have, after this
			// one remembered its manifest), or it is damaged: the
			// manifest lists the chunk.
			_, err := r.s.client.StatObject(r.ctx, r.s.bucket, r.s.prefix+r.key, minio.StatObjectOptions{})
			if code(err) == "NoSuchKey" {
				r.s.manifests.forget(r.key)
				g.err = readError(r.key, err)
			} else {
				g.err = fmt.Errorf("s3blob: chunk %d of %s is missing from the bucket: the object is damaged", i, r.key)
			}
		} else if g.err != nil {
			g.err = fmt.Errorf("s3blob: chunk %d of %s: %w", i, r.key, g.err)
		}
	}()
	return g
}

// dropNext closes the GET sent ahead, once it answered.
func (r *chunkReader) dropNext() {
	if r.next == nil {
		return
	}
	<-r.next.done
	if r.next.body != nil {
		r.next.body.Close()
	}
	r.next = nil
}

func (r *chunkReader) Close() error {
	r.cancel() // the GET sent ahead, if it is still waiting
	if r.cur != nil {
		r.cur.Close()
		r.cur = nil
	}
	r.dropNext()
	if r.err == nil {
		r.err = errors.New("s3blob: reader is closed")
	}
	return nil
}
