// Package s3blob is a blob.Store in a bucket of any S3-compatible service
// (AWS S3, MinIO, Ceph, SeaweedFS, Versity), through minio-go.
//
// The object with key k is stored under the name PREFIX+k, where PREFIX
// is "blobs/" unless configured otherwise, so that the bucket can hold
// other things beside. Several gateway nodes may share one bucket and
// prefix.
//
// # Uploads
//
// An object that ends within its first chunk (PartSize bytes, 8 MiB by
// default) is sent at Commit in one PUT request. A larger one is stored
// as chunks, objects of their own named PREFIX+k+".0", ".1" and so on,
// each sent while the next fills, and Commit then writes a small manifest
// under PREFIX+k that lists them: the object exists, for readers and for
// Walk, once its manifest does. Chunks.go says why this is not S3's
// multipart upload.
// An aborted upload deletes the chunks it sent; chunks that a crash left
// without a manifest stay on the server, invisible but paid for, until
// RemoveIncompleteUploads collects them.
//
// # Memory
//
// An upload holds up to two chunks in memory: the one filling and the one
// being sent. The chunk buffers of all uploads together are bounded by
// UploadMemory. An upload that outgrows 1 MiB reserves a whole chunk
// from it, waiting for one if need be (up to a minute, then it fails with
// an error that says the store is busy); it takes a second buffer, to send
// while it fills, only if one is free, and otherwise sends each chunk
// before it fills the next, more slowly. Buffers under 1 MiB are not
// counted, so that the many small documents never wait behind large
// uploads: they are bounded by the protocols' limits on sessions and
// transfers.
//
// # Errors
//
// A missing object is reported as blob.ErrNotExist; other errors are
// minio-go's, unchanged apart from a prefix. Open reports a bucket that
// cannot be used in one error that names the endpoint and the bucket and
// says what to check.
package s3blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"golang.org/x/sync/semaphore"

	"strongroom/vfs/blob"
)

// DefaultPrefix is where objects are stored in the bucket unless
// Options.Prefix says otherwise.
const DefaultPrefix = "blobs/"

// DefaultPartSize is the size of the chunks a large object is stored in,
// unless Options.PartSize says otherwise. Each upload in flight holds up
// to two chunks in memory. 8 MiB uploaded a 1 GiB SFTP file to versitygw
// as fast as 16 MiB did (144 against 145 MiB/s) with a peak RSS of 95 MiB
// rather than 138.
const DefaultPartSize = 8 << 20

// DefaultUploadMemory bounds the chunk buffers of all uploads in flight
// together, unless Options.UploadMemory says otherwise: 16 large uploads
// sending while they fill, 32 sending in turn.
const DefaultUploadMemory = 256 << 20

// uncountedBuffer is how large an upload's buffer grows before it takes
// its share of the upload memory; see the package documentation.
const uncountedBuffer = 1 << 20

// memoryWait is how long an upload waits for a chunk buffer when the
// upload memory is all taken before it fails.
const memoryWait = time.Minute

// Chunk sizes allowed: S3 takes up to 5 GiB in one PUT; the lower bound
// keeps the number of requests per GiB sensible.
const (
	minPartSize = 5 << 20
	maxPartSize = 5 << 30
)

// Options configure Open and OpenURL. A nil *Options means the defaults.
type Options struct {
	// Prefix is put before every key to name its object; it ends in "/"
	// or one is added. Empty means DefaultPrefix: objects are never
	// stored at the top of the bucket.
	Prefix string

	// PartSize is the size of the chunks a large object is stored in,
	// from 5 MiB to 5 GiB; zero means DefaultPartSize. Each object's
	// manifest records its own, so changing it affects only new objects.
	PartSize int64

	// UploadMemory bounds the memory the chunk buffers of all uploads in
	// flight take together; it must hold at least one chunk. Zero means
	// DefaultUploadMemory.
	UploadMemory int64

	// CreateBucket creates the bucket if it does not exist, rather than
	// failing.
	CreateBucket bool

	// Credentials sign the requests OpenURL sends; see CredentialsFromEnv.
	// Nil sends anonymous requests, which few services accept. Open uses
	// the client's own credentials and ignores this field.
	Credentials *credentials.Credentials
}

// Store is a blob.Store in an S3 bucket. It is safe for concurrent use.
type Store struct {
	client    *minio.Client
	bucket    string
	prefix    string
	chunkSize int
	manifests manifestCache

	// memory is the upload memory left, in bytes; memoryWait how long
	// an upload waits for its share (a field so that tests shorten it).
	memory     *semaphore.Weighted
	memoryWait time.Duration

	// chunkBuffers holds buffers of one chunk that ended uploads gave
	// back, for the next to fill rather than allocate.
	chunkBuffers sync.Pool
}

var _ blob.Store = (*Store)(nil)

// Open returns the store in bucket, reached through client. It checks
// that the bucket exists and that the client may use it, and creates it
// if it is missing and opts.CreateBucket is set.
func Open(ctx context.Context, client *minio.Client, bucket string, opts *Options) (*Store, error) {
	if opts == nil {
		opts = &Options{}
	}

	s := &Store{client: client, bucket: bucket, prefix: opts.Prefix, chunkSize: DefaultPartSize}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	if strings.HasPrefix(s.prefix, "/") {
		return nil, fmt.Errorf("s3blob: prefix %q must not begin with a slash", s.prefix)
	}
	if !strings.HasSuffix(s.prefix, "/") {
		s.prefix += "/"
	}
	if opts.PartSize != 0 {
		if opts.PartSize < minPartSize || opts.PartSize > maxPartSize {
			return nil, fmt.Errorf("s3blob: part size %d is outside the 5 MiB to 5 GiB allowed", opts.PartSize)
		}
		s.chunkSize = int(opts.PartSize)
	}
	memory := opts.UploadMemory
	if memory == 0 {
		memory = max(DefaultUploadMemory, int64(s.chunkSize))
	}
	if memory < int64(s.chunkSize) {
		return nil, fmt.Errorf("s3blob: upload memory %d is smaller than one part (%d bytes): raise it or lower the part size", memory, s.chunkSize)
	}
	s.memory, s.memoryWait = semaphore.NewWeighted(memory), memoryWait
	if err := s.checkBucket(ctx, opts.CreateBucket); err != nil {
		return nil, err
	}
	return s, nil
}

// chunkBuffer returns an empty buffer the size of a chunk.
func (s *Store) chunkBuffer() []byte {
	if b, ok := s.chunkBuffers.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return make([]byte, 0, s.chunkSize)
}

// recycleChunkBuffer puts b, if it is a chunk buffer no longer used, in
// the pool.
func (s *Store) recycleChunkBuffer(b []byte) {
	if cap(b) == s.chunkSize {
		s.chunkBuffers.Put(&b)
	}
}

// checkBucket makes sure the bucket can be used, so that a mistake in the
// configuration is reported at start, once, rather than at each upload.
func (s *Store) checkBucket(ctx context.Context, create bool) error {
	where := fmt.Sprintf("bucket %q at %s", s.bucket, s.client.EndpointURL().Host)
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if ok && err == nil {
		return nil
	}

	// An answer to HEAD has no body, only a status, and services differ
	// in the status they give bad credentials (Versity's: 404, as if the
	// bucket were missing). A GET's answer names the reason.
	var resp minio.ErrorResponse
	if err == nil || errors.As(err, &resp) {
		if err = s.listOne(ctx); err == nil {
			return nil
		}
	}
	if code(err) == "NoSuchBucket" && create {
		err = s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{})
		if err == nil {
			return nil
		}
		// Another node may have created it meanwhile; or someone else
		// owns a bucket of that name, and the GET says so.
		if c := code(err); c == "BucketAlreadyOwnedByYou" || c == "BucketAlreadyExists" {
			if err = s.listOne(ctx); err == nil {
				return nil
			}
		}
	}

	switch {
	case code(err) == "NoSuchBucket":
		return fmt.Errorf("s3blob: %s does not exist: create it, or check the bucket name", where)
	case errors.As(err, &resp) && (resp.StatusCode == http.StatusForbidden ||
		resp.StatusCode == http.StatusUnauthorized || credentialCodes[resp.Code]):
		return fmt.Errorf("s3blob: %s refused access (%s): check the access key and secret key (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) and that they may use this bucket: %w",
			where, resp.Code, err)
	case errors.As(err, &resp) && (resp.StatusCode == http.StatusMovedPermanently || regionCodes[resp.Code]):
		return fmt.Errorf("s3blob: %s is in another region (%s): check the region: %w", where, resp.Code, err)
	case errors.As(err, &resp):
		return fmt.Errorf("s3blob: %s cannot be used (%s): %w", where, resp.Code, err)
	case ctx.Err() != nil:
		return fmt.Errorf("s3blob: %s did not answer in time: %w", where, err)
	default:
		return fmt.Errorf("s3blob: cannot reach %s: check the endpoint and whether it uses TLS: %w", where, err)
	}
}

// listOne lists at most one object under the prefix, for the error a GET
// is answered with.
func (s *Store) listOne(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the listing after the first answer
	opts := minio.ListObjectsOptions{Prefix: s.prefix, MaxKeys: 1}
	obj := <-s.client.ListObjects(ctx, s.bucket, opts)
	return obj.Err // nil also when the channel closed: nothing to list
}

// S3 error codes that mean the credentials are wrong, or lack a right.
var credentialCodes = map[string]bool{
	"AccessDenied":          true,
	"InvalidAccessKeyId":    true,
	"SignatureDoesNotMatch": true,
	"InvalidToken":          true,
	"ExpiredToken":          true,
	"XAdminUserNotFound":    true, // Versity's answer to an unknown access key
}

// S3 error codes that mean the request went to the wrong region.
var regionCodes = map[string]bool{
	"AuthorizationHeaderMalformed":       true,
	"PermanentRedirect":                  true,
	"IllegalLocationConstraintException": true,
}

// NewRangeReader sends one ranged GET and waits for its answer, so that a
// missing object is reported here rather than at the first Read. A range
// that starts past the end of the object reads as empty. If the answer is
// a manifest, the object is read chunk by chunk from there on.
func (s *Store) NewRangeReader(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, fmt.Errorf("s3blob: negative offset %d", offset)
	}
	if m := s.manifests.get(key); m != nil {
		return s.newChunkReader(ctx, key, m, offset, length), nil
	}

	name := s.prefix + key
	if length == 0 {
		// S3 has no empty range; ask whether the object exists.
		if _, err := s.client.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{}); err != nil {
			return nil, readError(key, err)
		}
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	var opts minio.GetObjectOptions
	switch {
	case length > 0 && length <= math.MaxInt64-offset:
		opts.SetRange(offset, offset+length-1)
	case offset > 0:
		opts.SetRange(offset, 0)
	}
	// The response body itself, through minio-go's Core: Client.GetObject
	// would put a goroutine and a copy of every byte between it and the
	// reader, which was a sixth of the server's CPU in a download.
	body, _, header, err := minio.Core{Client: s.client}.GetObject(ctx, s.bucket, name, opts)
	if err != nil {
		var resp minio.ErrorResponse
		if !errors.As(err, &resp) || resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
			return nil, readError(key, err)
		}
		// Past the end of what is stored under the name: the end of a
		// plain object, or somewhere within one stored as chunks.
		info, err := s.client.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{})
		if err != nil {
			return nil, readError(key, err)
		}
		if !isManifest(info.Metadata) {
			return io.NopCloser(bytes.NewReader(nil)), nil
		}
	} else if !isManifest(header) {
		return body, nil
	} else {
		// A range from the start holds the whole manifest, unless the
		// range is shorter than it; this is how a read begins.
		m, whole := s.parseManifest(key, body, header, offset)
		body.Close()
		if whole {
			return s.newChunkReader(ctx, key, m, offset, length), nil
		}
	}

	m, err := s.readManifest(ctx, key)
	if err != nil {
		return nil, err
	}
	return s.newChunkReader(ctx, key, m, offset, length), nil
}

// Delete removes the object, and its chunks if it has any. S3 answers a
// delete of a missing object with success. The object is gone once its
// name is; chunks whose deletion fails are left to
// RemoveIncompleteUploads.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	err := s.client.RemoveObject(ctx, s.bucket, s.prefix+key, minio.RemoveObjectOptions{})
	if err != nil && code(err) != "NoSuchKey" {
		return err
	}
	s.manifests.forget(key)
	return s.deleteChunks(ctx, key)
}

// deleteChunks removes every chunk of key, found by listing: a manifest
// that says how many there are may be gone, or never have been written.
func (s *Store) deleteChunks(ctx context.Context, key string) error {
	objects := make(chan minio.ObjectInfo)
	listErr := make(chan error, 1)
	go func() {
		defer close(objects)
		for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + key + ".", Recursive: true}) {
			if obj.Err != nil {
				listErr <- obj.Err
				return
			}
			objects <- obj
		}
		listErr <- nil
	}()
	var first error
	for e := range s.client.RemoveObjects(ctx, s.bucket, objects, minio.RemoveObjectsOptions{}) {
		if first == nil && code(e.Err) != "NoSuchKey" {
			first = fmt.Errorf("s3blob: delete chunk %s: %w", e.ObjectName, e.Err)
		}
	}
	if err := <-listErr; err != nil && first == nil {
		first = fmt.Errorf("s3blob: list chunks of %s: %w", key, err)
	}
	return first
}

// Walk lists the objects under the prefix, 1,000 per request. Names
// under the prefix that are not keys are skipped. The time reported is
// the object's Last-Modified, the completion of its upload.
func (s *Store) Walk(ctx context.Context, fn func(key string, written time.Time) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing if fn ends the walk early
	list := s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix, Recursive: true})
	for obj := range list {
		if obj.Err != nil {
			return obj.Err
		}
		key := strings.TrimPrefix(obj.Key, s.prefix)
		if !blob.ValidKey(key) {
			continue
		}
		if err := fn(key, obj.LastModified); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// RemoveIncompleteUploads deletes what uploads left under the prefix
// that have not been written to since olderThan and never finished:
// chunks without a manifest, and multipart uploads (which this store no
// longer starts, but earlier versions did). It reports how many uploads
// it removed. An upload is judged by its newest chunk, so one still
// running is left alone unless it sent nothing since olderThan; if its
// chunks are removed anyway, its Commit finds them missing and fails.
// It lists every object under the prefix, 1,000 per request.
func (s *Store) RemoveIncompleteUploads(ctx context.Context, olderThan time.Time) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	core := minio.Core{Client: s.client}
	removed := 0
	for u := range s.client.ListIncompleteUploads(ctx, s.bucket, s.prefix, true) {
		if u.Err != nil {
			return removed, u.Err
		}
		if !blob.ValidKey(strings.TrimPrefix(u.Key, s.prefix)) || !u.Initiated.Before(olderThan) {
			continue
		}
		err := core.AbortMultipartUpload(ctx, s.bucket, u.Key, u.UploadID)
		if err != nil && code(err) != "NoSuchUpload" {
			return removed, err
		}
		removed++
	}

	// Names sort so that an object's chunks follow its manifest, if it
	// has one, and each other ("." sorts before every digit and letter):
	// a key's chunks are seen in one run.
	var committed, run string // the last manifest seen; the key whose chunks are being seen
	var newest time.Time      // of run's chunks
	finish := func() error {
		if run == "" || run == committed || !newest.Before(olderThan) {
			return nil
		}
		// The chunks only: should the upload complete after all, its
		// manifest is not removed with them, and its Commit or readers
		// report the missing chunks.
		if err := s.deleteChunks(ctx, run); err != nil {
			return err
		}
		removed++
		return nil
	}
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix, Recursive: true}) {
		if obj.Err != nil {
			return removed, obj.Err
		}
		name := strings.TrimPrefix(obj.Key, s.prefix)
		key, _, isChunk := strings.Cut(name, ".")
		if !blob.ValidKey(key) || (!isChunk && key != name) {
			continue
		}
		if key != run {
			if err := finish(); err != nil {
				return removed, err
			}
			run, newest = key, time.Time{}
		}
		if !isChunk {
			committed = key
		} else if obj.LastModified.After(newest) {
			newest = obj.LastModified
		}
	}
	if err := finish(); err != nil {
		return removed, err
	}
	return removed, ctx.Err()
}

// Close does nothing: the client belongs to the caller, and holds only
// idle connections.
func (s *Store) Close() error { return nil }

func checkKey(key string) error {
	if !blob.ValidKey(key) {
		return fmt.Errorf("s3blob: invalid key %q", key)
	}
	return nil
}

// readError reports a missing object as blob.ErrNotExist.
func readError(key string, err error) error {
	if code(err) == "NoSuchKey" {
		return fmt.Errorf("s3blob: %s: %w", key, blob.ErrNotExist)
	}
	return err
}

// code returns the S3 error code of err, or "".
func code(err error) string {
	var resp minio.ErrorResponse
	if errors.As(err, &resp) {
		return resp.Code
	}
	return ""
}
