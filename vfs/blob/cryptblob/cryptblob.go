package cryptblob

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"time"

	"github.com/minio/sio"

	"strongroom/vfs/blob"
)

// Store encrypts the objects of the store it wraps. It is safe for
// concurrent use.
type Store struct {
	base blob.Store
	keys *Keyring
}

var _ blob.Store = (*Store)(nil)

// New returns a store that keeps its objects, encrypted, in base. The
// store takes base over: Close closes it.
func New(base blob.Store, keys *Keyring) *Store {
	return &Store{base: base, keys: keys}
}

// sioConfig is the one DARE configuration cryptblob writes and accepts:
// version 2.0, AES-256-GCM only.
func sioConfig(dataKey []byte, seq uint32) sio.Config {
	return sio.Config{
		MinVersion:     sio.Version20,
		MaxVersion:     sio.Version20,
		CipherSuites:   []byte{sio.AES_256_GCM},
		Key:            dataKey,
		SequenceNumber: seq,
	}
}

// Delete deletes the object from the store below.
func (s *Store) Delete(ctx context.Context, key string) error {
	return s.base.Delete(ctx, key)
}

// Walk walks the store below: keys and times are not encrypted.
func (s *Store) Walk(ctx context.Context, fn func(key string, written time.Time) error) error {
	return s.base.Walk(ctx, fn)
}

// Close closes the store below.
func (s *Store) Close() error { return s.base.Close() }

// KeyID returns the id of the master key that wrapped the object's data
// key, which need not be in the keyring: to find the objects that still
// need an old key, for one.
func (s *Store) KeyID(ctx context.Context, key string) (string, error) {
	r, err := s.base.NewRangeReader(ctx, key, 0, maxHeaderLen)
	if err != nil {
		return "", err
	}
	defer r.Close()
	h, err := readHeader(r, key)
	if err != nil {
		return "", err
	}
	return h.keyID, nil
}

var (
	errAborted   = errors.New("cryptblob: upload was aborted")
	errCommitted = errors.New("cryptblob: upload is already committed")
)

// writer encrypts an upload on its way to the store below. The header
// is written with the first byte of content, or at Commit for an empty
// object, since only then is it known whether the object is empty.
type writer struct {
	s       *Store
	key     string
	base    blob.Writer
	mk      *MasterKey
	dataKey [32]byte
	enc     io.WriteCloser // the DARE stream; nil until the first byte
	err     error          // the first failure, or errCommitted or errAborted
}

// NewWriter starts an object with a fresh data key, wrapped by the
// keyring's current master key.
func (s *Store) NewWriter(ctx context.Context, key string) (blob.Writer, error) {
	bw, err := s.base.NewWriter(ctx, key)
	if err != nil {
		return nil, err
	}
	w := &writer{s: s, key: key, base: bw, mk: s.keys.current}
	if _, err := io.ReadFull(rand.Reader, w.dataKey[:]); err != nil {
		bw.Abort()
		return nil, err
	}
	return w, nil
}

func (w *writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if w.enc == nil {
		if err := w.writeHeader(0); err != nil {
			w.fail(err)
			return 0, err
		}
		enc, err := sio.EncryptWriter(baseWriter{w.base}, sioConfig(w.dataKey[:], 0))
		if err != nil {
			w.fail(err)
			return 0, err
		}
		w.enc = enc
	}
	n, err := w.enc.Write(p)
	if err != nil {
		w.fail(err)
	}
	return n, err
}

func (w *writer) writeHeader(flags byte) error {
	h, err := sealHeader(w.mk, w.key, w.dataKey[:], flags)
	if err != nil {
		return err
	}
	_, err = w.base.Write(h)
	return err
}

// Commit seals the last package and commits the object below.
func (w *writer) Commit() error {
	if w.err != nil {
		return w.err
	}
	var err error
	if w.enc == nil {
		err = w.writeHeader(flagEmpty)
	} else {
		err = w.enc.Close()
	}
	if err == nil {
		err = w.base.Commit()
	}
	if err != nil {
		w.fail(err)
		return err
	}
	w.err = errCommitted
	clear(w.dataKey[:])
	return nil
}

// Abort aborts the object below. It does nothing once the upload ended.
func (w *writer) Abort() {
	if w.err == nil {
		w.fail(errAborted)
	}
}

func (w *writer) fail(err error) {
	w.err = err
	w.base.Abort()
	clear(w.dataKey[:])
}

// baseWriter hides everything of a blob.Writer but Write from sio, which
// would otherwise close what it writes to.
type baseWriter struct{ w blob.Writer }

func (b baseWriter) Write(p []byte) (int, error) { return b.w.Write(p) }
