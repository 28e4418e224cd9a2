package sftp

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/pkg/sftp"

	"strongroom/vfs"
)

// handler answers the request server for one connection: each request
// becomes one or two calls on the connection's vfs session. It is safe for
// concurrent use, as the request server calls it from several workers.
type handler struct {
	c *conn
	s *vfs.Session

	mu        sync.Mutex
	transfers int                // open files
	uploads   map[string]*writer // open uploads by session path, for setstat
}

func newHandler(c *conn, s *vfs.Session) *handler {
	return &handler{c: c, s: s, uploads: make(map[string]*writer)}
}

// The request server's optional interfaces that handler implements.
var (
	_ sftp.OpenFileWriter       = (*handler)(nil)
	_ sftp.PosixRenameFileCmder = (*handler)(nil)
	_ sftp.StatVFSFileCmder     = (*handler)(nil)
	_ sftp.LstatFileLister      = (*handler)(nil)
	_ sftp.RealPathFileLister   = (*handler)(nil)
	_ sftp.ReadlinkFileLister   = (*handler)(nil)
	_ sftp.NameLookupFileLister = (*handler)(nil)
)

// openFile takes a handle and, for a file, a transfer. It refuses past
// the connection's limits, and on a connection that is shutting down.
func (h *handler) openFile(file bool) error {
	if !h.c.openHandle() {
		return refuse(sftp.ErrSSHFxFailure, fmt.Sprintf("open: too many open handles (at most %d), or the server is shutting down", maxHandles))
	}
	if !file {
		return nil
	}
	h.mu.Lock()
	limit := h.c.srv.opts.MaxTransfers
	ok := h.transfers < limit
	if ok {
		h.transfers++
	}
	h.mu.Unlock()
	if !ok {
		h.c.closeHandle()
		h.c.srv.record(context.Background(), h.c.info, h.c.user, "transfer",
			fmt.Sprintf("refused: %d files open on one connection", limit))
		return refuse(sftp.ErrSSHFxFailure, fmt.Sprintf("open: too many files open at once (at most %d per connection); close one first", limit))
	}
	return nil
}

// closeFile gives back what openFile took.
func (h *handler) closeFile(file bool) {
	if file {
		h.mu.Lock()
		h.transfers--
		h.mu.Unlock()
	}
	h.c.closeHandle()
}

// Fileread opens a file for reading.
func (h *handler) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	p := sessionPath(r.Filepath)
	if err := h.openFile(true); err != nil {
		return nil, err
	}
	f, err := h.s.Open(r.Context(), p)
	if err != nil {
		h.closeFile(true)
		return nil, status(err)
	}
	return newReader(h, f), nil
}

// Filewrite opens a file for writing. The request server sends every
// write open to OpenFile (see packets.go); this serves it all the same.
func (h *handler) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	return h.OpenFile(r)
}

// OpenFile opens a file for writing.
//
// With the truncate flag, or for a new file, it starts a new version at
// once. Without it, an existing file is continued: the upload starts at
// the first write, and keeps as much of the current version as comes
// before that write's offset; a handle closed with no write leaves the
// file as it was.
func (h *handler) OpenFile(r *sftp.Request) (sftp.WriterAtReaderAt, error) {
	ctx := r.Context()
	p := sessionPath(r.Filepath)
	flags := r.Pflags()
	opts := vfs.CreateOptions{Exclusive: flags.Excl}

	if !flags.Trunc && !flags.Excl {
		fi, err := h.s.StatResumable(ctx, p)
		switch {
		case vfs.KindOf(err) == vfs.KindNotExist && flags.Creat:
		case err != nil:
			return nil, status(err)
		case fi.IsDir():
			return nil, refuse(sftp.ErrSSHFxFailure, "open "+p+": is a folder")
		default:
			opts.Resume = true
		}
	}

	if err := h.openFile(true); err != nil {
		return nil, err
	}
	w := &writer{h: h, ctx: ctx, path: p, opts: opts}
	if !opts.Resume {
		up, err := h.s.Create(ctx, p, &opts)
		if err != nil {
			h.closeFile(true)
			return nil, status(err)
		}
		w.up = up
	}
	h.mu.Lock()
	if h.uploads[p] == nil {
		h.uploads[p] = w
	}
	h.mu.Unlock()
	return w, nil
}

// upload returns the open upload to p on this connection, if any.
func (h *handler) upload(p string) *writer {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.uploads[p]
}

func (h *handler) forget(w *writer) {
	h.mu.Lock()
	if h.uploads[w.path] == w {
		delete(h.uploads, w.path)
	}
	h.mu.Unlock()
}

// Filecmd runs the requests that change the tree.
func (h *handler) Filecmd(r *sftp.Request) error {
	ctx := r.Context()
	p := sessionPath(r.Filepath)
	switch r.Method {
	case "Setstat":
		return h.setstat(ctx, p, r)
	case "Rename":
		// SFTP version 3 rename fails on an existing target, as
		// OpenSSH's does; posix-rename replaces it.
		return status(h.s.Rename(ctx, p, sessionPath(r.Target), vfs.RenameOptions{}))
	case "Rmdir":
		fi, err := h.s.Stat(ctx, p)
		if err != nil {
			return status(err)
		}
		if !fi.IsDir() {
			return refuse(sftp.ErrSSHFxFailure, "rmdir "+p+": not a folder")
		}
		return status(h.s.Remove(ctx, p, false))
	case "Remove":
		fi, err := h.s.Stat(ctx, p)
		if err != nil {
			return status(err)
		}
		if fi.IsDir() {
			return refuse(sftp.ErrSSHFxFailure, "remove "+p+": is a folder; use rmdir")
		}
		return status(h.s.Remove(ctx, p, false))
	case "Mkdir":
		return status(h.s.Mkdir(ctx, p))
	case "Symlink":
		return unsupported("symlink: symbolic links are not supported")
	case "Link":
		return unsupported("hardlink: hard links are not supported")
	}
	return unsupported(fmt.Sprintf("%s: not supported", r.Method))
}

// PosixRename renames, replacing an existing file at the target.
func (h *handler) PosixRename(r *sftp.Request) error {
	return status(h.s.Rename(r.Context(), sessionPath(r.Filepath), sessionPath(r.Target), vfs.RenameOptions{Replace: true}))
}

// setstat keeps a modification time and accepts, without effect, a mode
// or an owner: the store keeps no POSIX attributes, and clients that
// preserve them (put -p, WinSCP) should not fail for it. A size other
// than the current one is refused, since content is never changed in
// place.
//
// On a file this connection is uploading, nothing is changed now: the
// time is kept when the upload commits.
func (h *handler) setstat(ctx context.Context, p string, r *sftp.Request) error {
	flags := r.AttrFlags()
	attrs := r.Attributes()
	if w := h.upload(p); w != nil {
		if flags.Acmodtime {
			w.setModTime(time.Unix(int64(attrs.Mtime), 0))
		}
		return nil
	}

	fi, err := h.s.Stat(ctx, p)
	if err != nil {
		return status(err)
	}
	if flags.Size && !fi.IsDir() && int64(attrs.Size) != fi.Size() {
		return unsupported("setstat " + p + ": a file's size cannot be changed; upload it again")
	}
	if flags.Acmodtime {
		return status(h.s.SetModTime(ctx, p, time.Unix(int64(attrs.Mtime), 0)))
	}
	return nil
}

// StatVFS reports the user's quota as the file system's size, or, for a
// user without one, the store's free space if the server knows it.
func (h *handler) StatVFS(r *sftp.Request) (*sftp.StatVFS, error) {
	const block = 4096
	ctx := r.Context()
	used, quota, err := h.s.Usage(ctx)
	if err != nil {
		return nil, status(err)
	}
	var total, free int64
	switch {
	case quota > 0:
		total, free = quota, max(quota-used, 0)
	case h.c.srv.opts.FreeSpace != nil:
		if free, err = h.c.srv.opts.FreeSpace(ctx); err != nil {
			h.c.log.Warn("free space unknown", "err", err)
			return nil, refuse(sftp.ErrSSHFxFailure, "statvfs: free space unknown")
		}
		total = used + free
	default:
		return nil, unsupported("statvfs: this user has no quota, and the store's free space is not known")
	}
	return &sftp.StatVFS{
		Bsize: block, Frsize: block,
		Blocks: uint64(total / block), Bfree: uint64(free / block), Bavail: uint64(free / block),
		Namemax: vfs.MaxNameBytes,
	}, nil
}

// Filelist opens a folder for listing, or describes one item.
func (h *handler) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	ctx := r.Context()
	p := sessionPath(r.Filepath)
	switch r.Method {
	case "List":
		if err := h.openFile(false); err != nil {
			return nil, err
		}
		l, err := newLister(ctx, h, p)
		if err != nil {
			h.closeFile(false)
			return nil, status(err)
		}
		return l, nil
	case "Stat":
		// The size of an interrupted upload, for reput to resume from.
		fi, err := h.s.StatResumable(ctx, p)
		if err != nil {
			return nil, status(err)
		}
		return entries{owned{fi}}, nil
	}
	return nil, unsupported(fmt.Sprintf("%s: not supported", r.Method))
}

// Lstat is Stat: there are no symbolic links.
func (h *handler) Lstat(r *sftp.Request) (sftp.ListerAt, error) {
	r.Method = "Stat"
	return h.Filelist(r)
}

// RealPath answers the cleaned absolute path; it does not check that the
// path exists.
func (h *handler) RealPath(p string) (string, error) {
	return sessionPath(p), nil
}

// Readlink fails: nothing is a symbolic link.
func (h *handler) Readlink(p string) (string, error) {
	p = sessionPath(p)
	if _, err := h.s.Stat(context.Background(), p); err != nil {
		return "", status(err)
	}
	return "", refuse(sftp.ErrSSHFxFailure, "readlink "+p+": not a symbolic link")
}

// LookupUserName names every owner after the signed-in user: the store
// keeps no owners, and "ls -l" reads best with the user's own name.
func (h *handler) LookupUserName(string) string { return h.c.user }

// LookupGroupName does the same for groups.
func (h *handler) LookupGroupName(string) string { return h.c.user }

// ownerID is the user and group id every item reports. The store keeps
// no owners; clients such as OpenSSH's chown need some id to start from,
// and long listings name it after the signed-in user.
const ownerID = 1000

// owned gives a vfs.FileInfo an owner for the request server.
type owned struct{ *vfs.FileInfo }

func (owned) Uid() uint32 { return ownerID }
func (owned) Gid() uint32 { return ownerID }

// entries is a fixed listing: the answer to stat.
type entries []os.FileInfo

func (e entries) ListAt(b []os.FileInfo, off int64) (int, error) {
	if off >= int64(len(e)) {
		return 0, io.EOF
	}
	n := copy(b, e[off:])
	if off+int64(n) == int64(len(e)) {
		return n, io.EOF
	}
	return n, nil
}
