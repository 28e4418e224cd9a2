// Package blob defines the blob store: where file content lives, as
// immutable objects named by opaque random keys, never by file names.
//
// Implementations are diskblob (a local folder, the embedded default) and
// s3blob (any S3-compatible service). cryptblob wraps either one with
// encryption at rest.
//
// # Errors
//
// A missing object is reported as an error for which errors.Is(err,
// ErrNotExist) holds; a write the store has no room for at the moment
// (memory for its buffers) as one for which errors.Is(err, ErrBusy)
// holds. Other errors are the back end's own, unchanged;
// package vfs classifies them.
package blob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"time"
)

// ErrNotExist reports a key with no object.
var ErrNotExist = errors.New("blob: object does not exist")

// ErrBusy reports a write refused for want of a resource that other
// writes hold: it may succeed if tried again later.
var ErrBusy = errors.New("blob: store is busy")

// Store holds immutable objects. It is safe for concurrent use.
type Store interface {
	// NewWriter starts writing the object key. Nothing is visible under
	// key until Commit returns nil; Abort, or a failed Commit, leaves
	// nothing behind (or an orphan that Walk still reports, for collection).
	// Writes stream: memory use is bounded whatever the object's size.
	NewWriter(ctx context.Context, key string) (Writer, error)

	// NewRangeReader reads length bytes of the object from offset; a
	// negative length reads to the end. The caller closes the reader.
	NewRangeReader(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error)

	// Delete removes an object. Deleting a missing object is not an error.
	Delete(ctx context.Context, key string) error

	// Walk calls fn for every object, in no particular order, with its
	// key and the time it was written.
	Walk(ctx context.Context, fn func(key string, written time.Time) error) error

	// Close releases the store's resources.
	Close() error
}

// Writer writes one object. It is not safe for concurrent use.
type Writer interface {
	io.Writer
	// Commit makes the object durable and visible under its key.
	Commit() error
	// Abort discards what was written. It is safe to call after Commit,
	// when it does nothing.
	Abort()
}

// NewKey returns a fresh random object key: 32 hexadecimal digits, which
// name nothing about the file they hold.
func NewKey() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("blob: no randomness: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// ValidKey reports whether key has the form NewKey returns. Stores refuse
// any other key, so that no key, however it was built, can name a path or
// an object outside the store.
func ValidKey(key string) bool {
	if len(key) != 32 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Inliner is an optional capability of a Store: it seals a small object's
// content into bytes that the caller keeps elsewhere, and reads such
// bytes back, in the store's own format and with the same protection as
// its objects. The filesystem keeps small files in its metadata database
// this way, sparing each its own request and fsync.
type Inliner interface {
	// Seal returns content as the store would keep the object key.
	Seal(key string, content []byte) ([]byte, error)
	// OpenSealed reads length bytes from offset of what Seal returned for
	// key; a negative length reads to the end.
	OpenSealed(key string, sealed []byte, offset, length int64) (io.ReadCloser, error)
}
