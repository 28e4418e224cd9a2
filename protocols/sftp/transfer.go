package sftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/pkg/sftp"

	"strongroom/vfs"
)

// writer is an open write handle. Its upload starts at open, or, for an
// existing file opened to be continued, at the first write.
//
// Only a clean close commits: a handle the request server closes because
// the connection ended (it calls TransferError first) is suspended, so a
// client that vanishes mid-upload leaves no half-written file for anyone
// to see, while its user can reput: the vfs keeps what arrived in order,
// reports its size to that user's stat, and continues it on a Resume
// create. A client that interrupts an upload and then closes the handle,
// as OpenSSH's sftp does on Ctrl-C, commits what it sent: the close cannot
// be told from the end of a whole upload.
type writer struct {
	h    *handler
	ctx  context.Context // the open request's, which lasts until close
	path string
	opts vfs.CreateOptions

	mu      sync.Mutex
	up      *vfs.Upload
	written bool      // a write arrived
	modTime time.Time // from setstat, kept at commit
	lost    error     // why the connection ended with the handle open
	closed  bool
}

// WriteAt writes b at offset off of the new content. Writes may come in
// any order within the upload's reorder window.
func (w *writer) WriteAt(b []byte, off int64) (int, error) {
	up, err := w.upload()
	if err != nil {
		return 0, err
	}
	n, err := up.WriteAt(b, off)
	return n, status(err)
}

// upload returns the handle's upload, starting it if need be.
func (w *writer) upload() (*vfs.Upload, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, refuse(sftp.ErrSSHFxFailure, "write "+w.path+": the handle is closed")
	}
	if w.up == nil {
		up, err := w.h.s.Create(w.ctx, w.path, &w.opts)
		if err != nil {
			return nil, status(err)
		}
		w.up = up
	}
	if !w.written {
		w.written = true
		w.h.c.srv.event("upload")
	}
	return w.up, nil
}

// ReadAt refuses: content being written cannot be read back.
//
// BUG(readwrite): clients that open files read-write and read back what
// they wrote (sshfs does, for some editors) get this refusal. Serving
// them would need uploads that can be read before they commit.
func (w *writer) ReadAt([]byte, int64) (int, error) {
	return 0, unsupported("read " + w.path + ": a file open for writing cannot be read; open it again to read")
}

// TransferError is called by the request server before it closes a
// handle the connection left open.
func (w *writer) TransferError(err error) {
	w.mu.Lock()
	w.lost = err
	w.mu.Unlock()
}

func (w *writer) setModTime(t time.Time) {
	w.mu.Lock()
	w.modTime = t
	w.mu.Unlock()
}

// Close commits the upload, unless the connection ended, and answers
// only once the new version is durable and visible, or has failed.
func (w *writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	defer w.h.closeFile(true)
	defer w.h.forget(w)

	if w.lost != nil {
		if w.up != nil {
			received := w.up.Size()
			if kept := w.up.Suspend(w.ctx); kept > 0 {
				w.h.c.log.Info("upload interrupted; kept for resuming", "path", w.path, "bytes", received, "kept", kept, "err", w.lost)
			} else {
				w.h.c.log.Info("upload interrupted; discarded", "path", w.path, "bytes", received, "err", w.lost)
			}
		}
		return nil
	}
	if w.up != nil {
		// A time set while the file was open goes in with the version.
		if !w.modTime.IsZero() {
			if err := w.up.SetModTime(w.modTime); err != nil {
				return status(err)
			}
		}
		if _, err := w.up.Commit(w.ctx); err != nil {
			return status(err)
		}
		return nil
	}
	// No write came, so no version: a time set is kept on the file as it is.
	if !w.modTime.IsZero() {
		return status(w.h.s.SetModTime(w.ctx, w.path, w.modTime))
	}
	return nil
}

// The read window: a download is read from the store in chunks, and the
// last few are kept, so that the reads a client pipelines, which the
// request server answers on several workers and so slightly out of order,
// are served from one stream in order.
const (
	chunkSize  = 512 << 10
	windowSize = 8 // chunks kept: 4 MiB per open download at most
)

// reader is an open read handle.
type reader struct {
	h *handler
	f *vfs.File

	mu     sync.Mutex
	size   int64
	chunks [windowSize]chunk
	head   int64 // the highest chunk read; -1 before the first
	closed bool
}

type chunk struct {
	index int64 // which chunk of the file; -1 for none
	data  []byte
}

func newReader(h *handler, f *vfs.File) *reader {
	r := &reader{h: h, f: f, size: f.Stat().Size(), head: -1}
	for i := range r.chunks {
		r.chunks[i].index = -1
	}
	return r
}

// ReadAt reads from the window, moving it forward as reads advance. A
// read behind the window, or well ahead of it, goes to the file directly
// or starts a new window: random access works, at the price of a new
// stream from the store.
func (r *reader) ReadAt(b []byte, off int64) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, refuse(sftp.ErrSSHFxFailure, "read: the handle is closed")
	}
	if off < 0 {
		return 0, refuse(sftp.ErrSSHFxFailure, "read: negative offset")
	}
	n := 0
	for n < len(b) && off+int64(n) < r.size {
		at := off + int64(n)
		c, err := r.chunk(at / chunkSize)
		if err != nil {
			return n, err
		}
		if c == nil {
			k, err := r.f.ReadAt(b[n:], at)
			n += k
			if err != nil && err != io.EOF {
				return n, status(err)
			}
			break
		}
		n += copy(b[n:], c.data[at-c.index*chunkSize:])
	}
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

// chunk returns chunk i from the window, reading it (and those between
// the head and it) if it is a little ahead, or nil if it fell out of the
// window and the read should go to the file directly.
func (r *reader) chunk(i int64) (*chunk, error) {
	if c := &r.chunks[i%windowSize]; c.index == i {
		return c, nil
	}
	switch {
	case i <= r.head && r.head-i >= windowSize:
		return nil, nil
	case i <= r.head:
		// A hole left behind by a jump: read it without moving the head.
		return r.load(i)
	case i-r.head > windowSize/2:
		r.head = i - 1 // a jump forward: a new run starts here
	}
	for r.head < i {
		if _, err := r.load(r.head + 1); err != nil {
			return nil, err
		}
		r.head++
	}
	return &r.chunks[i%windowSize], nil
}

// load reads chunk i into its place in the window.
func (r *reader) load(i int64) (*chunk, error) {
	c := &r.chunks[i%windowSize]
	want := min(chunkSize, r.size-i*chunkSize)
	if int64(cap(c.data)) < want {
		c.data = make([]byte, want, min(chunkSize, r.size))
	}
	c.data = c.data[:want]
	c.index = -1
	k, err := r.f.ReadAt(c.data, i*chunkSize)
	if err == io.EOF && int64(k) == want {
		err = nil
	}
	if err == nil && int64(k) < want {
		err = fmt.Errorf("short read of %d bytes at %d", k, i*chunkSize)
	}
	if err != nil {
		var ve *vfs.Error
		if !errors.As(err, &ve) {
			r.h.c.log.Error("download read failed", "err", err)
		}
		return nil, status(err)
	}
	c.index = i
	return c, nil
}

// Close releases the file and the window.
func (r *reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	r.chunks = [windowSize]chunk{}
	r.h.closeFile(true)
	return r.f.Close()
}

// lister pages through a folder for the request server, which asks for
// entries at increasing offsets, a hundred at a time.
type lister struct {
	h    *handler
	ctx  context.Context
	path string

	mu     sync.Mutex
	page   []*vfs.FileInfo
	start  int64 // offset of page[0]
	more   bool  // pages follow this one
	closed bool
}

// newLister reads the first page, so that a missing or hidden folder, or
// a file, fails at opendir, where clients expect it to.
func newLister(ctx context.Context, h *handler, p string) (*lister, error) {
	page, more, err := h.s.List(ctx, p, vfs.ListOptions{})
	if err != nil {
		return nil, err
	}
	return &lister{h: h, ctx: ctx, path: p, page: page, more: more}, nil
}

func (l *lister) ListAt(b []os.FileInfo, off int64) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for off >= l.start+int64(len(l.page)) {
		if !l.more || len(l.page) == 0 {
			return 0, io.EOF
		}
		after := l.page[len(l.page)-1].Name()
		page, more, err := l.h.s.List(l.ctx, l.path, vfs.ListOptions{After: after})
		if err != nil {
			return 0, status(err)
		}
		l.start += int64(len(l.page))
		l.page, l.more = page, more
	}
	if off < l.start {
		return 0, refuse(sftp.ErrSSHFxFailure, "readdir: listing offsets must increase")
	}
	n := 0
	for _, fi := range l.page[off-l.start:] {
		if n == len(b) {
			break
		}
		b[n] = owned{fi}
		n++
	}
	if !l.more && off+int64(n) == l.start+int64(len(l.page)) {
		return n, io.EOF
	}
	return n, nil
}

// Close gives the handle back.
func (l *lister) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.closed = true
		l.page = nil
		l.h.closeFile(false)
	}
	return nil
}
