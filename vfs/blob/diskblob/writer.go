package diskblob

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"strongroom/vfs/blob"
)

var (
	errAborted   = errors.New("diskblob: upload was aborted")
	errCommitted = errors.New("diskblob: upload is already committed")
	errDirectOff = errors.New("diskblob: cannot turn direct I/O off to write the end of the upload")
)

// writer is an upload in flight: a file in DIR/tmp that Commit renames
// into place.
type writer struct {
	ctx context.Context
	s   *Store
	key string
	f   *os.File // nil once the upload has ended
	n   int64    // bytes written
	wb  writeback
	// direct, when the filesystem allows it, writes the file bypassing
	// the page cache; nil writes through the page cache with writeback.
	direct *directWriter

	// err is why the upload cannot continue: the first failure, or
	// errCommitted or errAborted once it ended.
	err error
}

// NewWriter creates the upload's file in DIR/tmp, readable by its owner
// only. Canceling ctx fails the upload at the next Write or Commit.
func (s *Store) NewWriter(ctx context.Context, key string) (blob.Writer, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(s.tmp, "upload-")
	if err != nil {
		return nil, err
	}
	w := &writer{ctx: ctx, s: s, key: key, f: f}
	if s.direct && setDirect(f, true) {
		w.direct = newDirectWriter(f)
	}
	return w, nil
}

// Write appends p to the upload's file. On any failure, a full disk
// included, the file is removed at once, and the upload fails for good.
func (w *writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if err := w.ctx.Err(); err != nil {
		w.fail(err)
		return 0, err
	}
	if w.direct != nil {
		if err := w.direct.write(p); err != nil {
			w.fail(err)
			return 0, err
		}
		w.n += int64(len(p))
		return len(p), nil
	}
	n, err := w.f.Write(p)
	w.n += int64(n)
	if err != nil {
		w.fail(err)
		return n, err
	}
	w.wb.wrote(w.f, w.n)
	return n, nil
}

// Commit syncs the file, renames it into its shard folder and syncs that
// folder. If any step fails the upload's file is removed, and so is the
// object if the rename had already made it visible.
func (w *writer) Commit() error {
	if w.err != nil {
		return w.err
	}
	if err := w.ctx.Err(); err != nil {
		w.fail(err)
		return err
	}

	tmp := w.f.Name()
	if w.direct != nil {
		err := w.direct.finish()
		w.direct = nil
		if err != nil {
			w.fail(err)
			return err
		}
	}
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.f = nil
	if err != nil {
		os.Remove(tmp)
		w.err = err
		return err
	}
	name, dir := w.s.path(w.key)
	if err := w.s.makeShard(w.key); err != nil {
		os.Remove(tmp)
		w.err = err
		return err
	}
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(tmp)
		w.err = err
		return err
	}
	if err := syncDir(dir); err != nil {
		os.Remove(name)
		w.err = err
		return err
	}
	w.err = errCommitted
	return nil
}

// Abort removes the upload's file. It does nothing once the upload ended.
func (w *writer) Abort() {
	if w.f != nil {
		w.fail(errAborted)
	}
	if w.err == nil {
		w.err = errAborted
	}
}

// fail ends the upload with err and removes its file.
func (w *writer) fail(err error) {
	w.err = err
	if w.direct != nil {
		w.direct.release()
		w.direct = nil
	}
	if w.f == nil {
		return
	}
	w.f.Close()
	os.Remove(w.f.Name())
	w.f = nil
}

// makeShard creates the shard folders for key if they are missing, and
// syncs the folders that gained an entry, so that a new shard folder
// survives a crash together with the first object renamed into it.
func (s *Store) makeShard(key string) error {
	_, dir := s.path(key)
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	parent := filepath.Dir(dir)
	for _, d := range []string{parent, dir} {
		if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	}
	if err := syncDir(s.dir); err != nil {
		return err
	}
	return syncDir(parent)
}
