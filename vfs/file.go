package vfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"strongroom/audit"
	"strongroom/policy"
	"strongroom/vfs/blob"
	"strongroom/vfs/meta"
)

// A File reads one version of a file. It implements io.Reader, io.Seeker
// and io.ReaderAt; it is safe for concurrent use, and Close must be called.
//
// Sequential reads, whether through Read or through ReadAt at increasing
// offsets, share one open stream from the blob store, so a download costs
// one request to S3 rather than one per read. A read elsewhere opens a
// new stream from that offset.
type File struct {
	s       *Session
	info    *FileInfo
	version *meta.Version
	sealed  []byte // the content, sealed, of a version kept inline

	mu      sync.Mutex
	checked time.Time     // when the right to read was last confirmed
	pos     int64         // for Read and Seek
	stream  io.ReadCloser // open stream, positioned at streamAt
	at      int64
	sent    int64
	closed  bool
	failed  bool // a store failure was logged and recorded
}

// recheckEvery is how often an open file confirms that its reader may
// still read it, so that a revoked grant or a disabled user stops a
// download in progress within that time.
const recheckEvery = 5 * time.Second

// maxSkip is how far ahead of an open stream a read may start and still
// use it, reading and dropping the bytes between, rather than opening a
// new stream.
const maxSkip = 1 << 20

// Open opens the current version of the file at p for reading.
//
// Rule: reading needs read on the file. Opening is recorded, with the
// version and its size.
func (s *Session) Open(ctx context.Context, p string) (*File, error) {
	return s.open(ctx, p, "")
}

// OpenVersion opens an older (or the current) version of the file at p.
func (s *Session) OpenVersion(ctx context.Context, p, versionID string) (*File, error) {
	if versionID == "" {
		return nil, s.finish(ctx, s.event("read", p), p, invalidf("a version id is needed"))
	}
	return s.open(ctx, p, versionID)
}

func (s *Session) open(ctx context.Context, p, versionID string) (*File, error) {
	ev := s.event("read", p)
	f := &File{s: s}
	err := s.do(ctx, ev, p, func(tx meta.Tx) error {
		t, err := s.resolveFile(tx, p, policy.Read)
		if err != nil {
			return err
		}
		id := t.node.VersionID
		if versionID != "" {
			if id, err = parseVersionID(versionID); err != nil {
				return err
			}
		}
		if id == 0 {
			// A file made empty, with no version yet (a WebDAV lock on a
			// new name makes one): it reads as empty.
			f.version, f.checked = &meta.Version{NodeID: t.node.ID}, s.fs.now()
			f.info = newFileInfo(t.node, t.path, s.allowed(t))
			return nil
		}
		v, err := tx.Version(id)
		if err != nil {
			return err
		}
		if v.NodeID != t.node.ID {
			return ErrNotExist
		}
		if err := s.fs.readable(v); err != nil {
			// Refused here, before a protocol has answered that the
			// content follows.
			return err
		}
		if v.Inline {
			if f.sealed, err = tx.Inline(v.BlobKey); err != nil {
				return err
			}
		}
		f.version, f.checked = v, s.fs.now()
		f.info = newFileInfo(t.node, t.path, s.allowed(t))
		f.info.size, f.info.versionID, f.info.mimeType = v.Size, v.ID, v.MIMEType
		ev.Version, ev.Bytes = formatID(v.ID), v.Size
		return nil
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// recheck confirms that the session may still read the file, as policy
// stands now.
func (f *File) recheck() error {
	ctx := context.Background()
	err := f.s.fs.view(ctx, func(tx meta.Tx) error {
		if err := f.s.refresh(tx); err != nil {
			return err
		}
		// By the node, not the path: a file renamed while it downloads
		// is still the file the reader may read.
		anc, err := tx.Ancestors(f.version.NodeID)
		if err != nil {
			return err
		}
		chain := append(anc, f.version.NodeID)
		switch {
		case !f.s.within(chain) || !f.s.visible(chain):
			return &Error{Op: "read", Kind: KindNotExist, Err: errInvisible}
		case !f.s.allowed(&target{chain: chain}).Has(policy.Read):
			return deny("read")
		}
		return nil
	})
	if err != nil {
		f.dropStream()
		return f.s.finish(ctx, f.s.event("read", f.info.path), f.info.path, err)
	}
	return nil
}

// resolveFile resolves p, which must be a file on which the user holds
// the action need.
func (s *Session) resolveFile(tx meta.Tx, p string, need policy.Actions) (*target, error) {
	t, err := s.resolve(tx, p)
	if err != nil {
		return nil, err
	}
	if t.node.IsDir {
		return nil, ErrIsDir
	}
	if !s.allowed(t).Has(need) {
		return nil, deny(need.String())
	}
	return t, nil
}

// Stat describes the version being read.
func (f *File) Stat() *FileInfo { return f.info }

// Version is the id of the version being read.
func (f *File) Version() string { return formatID(f.version.ID) }

// SHA256 is the digest of the version's content.
func (f *File) SHA256() []byte { return f.version.SHA256 }

// ReadAt reads len(b) bytes from offset off. It returns io.EOF at the end
// of the content.
func (f *File) ReadAt(b []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, f.errorf(KindInvalid, errors.New("file is closed"))
	}
	if off < 0 {
		return 0, f.errorf(KindInvalid, invalidf("negative offset"))
	}
	size := f.version.Size
	if off >= size {
		return 0, io.EOF
	}
	want := b
	if rest := size - off; int64(len(want)) > rest {
		want = want[:rest]
	}
	if now := f.s.fs.now(); now.Sub(f.checked) > recheckEvery {
		if err := f.recheck(); err != nil {
			return 0, err
		}
		f.checked = now
	}
	if err := f.seekStream(off); err != nil {
		return 0, err
	}
	n, err := io.ReadFull(f.stream, want)
	f.at += int64(n)
	f.sent += int64(n)
	if errors.Is(err, blob.ErrNotExist) {
		// Gone while being read (deleted under the stream): lost content,
		// as at open, not a file that does not exist.
		f.dropStream()
		return n, f.errorf(KindOther, fmt.Errorf("content of version %d went missing from the blob store while being read: %w", f.version.ID, err))
	}
	if err != nil {
		f.dropStream()
		return n, f.errorf(classify(err), fmt.Errorf("read blob: %w", err))
	}
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

// seekStream leaves f.stream positioned at off, reusing the open stream
// when off is at it or a little ahead.
func (f *File) seekStream(off int64) error {
	if f.stream != nil && off >= f.at && off-f.at <= maxSkip {
		if _, err := io.CopyN(io.Discard, f.stream, off-f.at); err == nil {
			f.at = off
			return nil
		}
	}
	f.dropStream()
	start := f.s.fs.now()
	r, err := f.s.fs.openContent(context.Background(), f.version, f.sealed, off, -1)
	f.s.fs.metrics.observeStore("blob", "open", start, f.s.fs.now())
	if errors.Is(err, blob.ErrNotExist) {
		return f.errorf(KindOther, fmt.Errorf("content of version %d is missing from the blob store: %w", f.version.ID, err))
	}
	if err != nil {
		return f.errorf(classify(err), fmt.Errorf("open blob: %w", err))
	}
	f.stream, f.at = r, off
	return nil
}

func (f *File) dropStream() {
	if f.stream != nil {
		f.stream.Close()
		f.stream = nil
	}
}

// Read reads from the current position.
func (f *File) Read(b []byte) (int, error) {
	f.mu.Lock()
	pos := f.pos
	f.mu.Unlock()
	n, err := f.ReadAt(b, pos)
	f.mu.Lock()
	f.pos = pos + int64(n)
	f.mu.Unlock()
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

// Seek sets the position for the next Read.
func (f *File) Seek(offset int64, whence int) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var pos int64
	switch whence {
	case io.SeekStart:
		pos = offset
	case io.SeekCurrent:
		pos = f.pos + offset
	case io.SeekEnd:
		pos = f.version.Size + offset
	default:
		return 0, f.errorf(KindInvalid, invalidf("bad whence %d", whence))
	}
	if pos < 0 {
		return 0, f.errorf(KindInvalid, invalidf("seek before the start"))
	}
	f.pos = pos
	return pos, nil
}

// Close releases the stream. Closing twice is not an error.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.closed = true
		f.dropStream()
		f.s.fs.metrics.sent(f.s.info.Protocol, f.sent)
	}
	return nil
}

func (f *File) errorf(kind Kind, err error) error {
	e := &Error{Op: "read", Path: f.info.path, User: f.s.name, Kind: kind, Err: err}
	if (kind == KindOther || kind == KindUnavailable) && !f.failed && !errors.Is(err, context.Canceled) {
		// The read was recorded as begun when the file was opened; that
		// its content could not be read is worth a record and a log line
		// of its own (damaged or missing content, an unreachable store).
		// Protocols can only drop the connection once they have answered.
		f.failed = true
		ev := f.s.event("read", f.info.path)
		ev.Path, ev.Version = f.s.portalPath(f.info.path), formatID(f.version.ID)
		f.s.fs.log.Error("read failed", "path", ev.Path, "user", f.s.name, "version", f.version.ID, "err", err)
		ev.Outcome, ev.Reason = audit.Failed, reason(e)
		f.s.fs.appendAudit(context.Background(), f.s.chain, ev)
	}
	return e
}

// Versions lists the versions of the file at p, newest first.
//
// Rule: a file's history needs read on it.
func (s *Session) Versions(ctx context.Context, p string) ([]Version, error) {
	ev := s.event("versions", p)
	var out []Version
	err := s.do(ctx, ev, p, func(tx meta.Tx) error {
		t, err := s.resolveFile(tx, p, policy.Read)
		if err != nil {
			return err
		}
		vs, err := tx.Versions(t.node.ID)
		if err != nil {
			return err
		}
		out = out[:0]
		for _, v := range vs {
			out = append(out, newVersion(v, t.node.VersionID))
		}
		return nil
	})
	return out, err
}

// Restore makes an old version of the file at p current again, as a new
// version with the same content (no content is copied), so the history
// shows the restore.
//
// Rule: restoring needs write on the file.
func (s *Session) Restore(ctx context.Context, p, versionID string) (*FileInfo, error) {
	ev := s.event("restore", p)
	ev.Version = versionID
	var fi *FileInfo
	err := s.do(ctx, ev, p, func(tx meta.Tx) error {
		id, err := parseVersionID(versionID)
		if err != nil {
			return err
		}
		t, err := s.resolveFile(tx, p, policy.Write)
		if err != nil {
			return err
		}
		v, err := restoreVersion(tx, t.node, id, s.uid, s.name, s.fs.now())
		if err != nil {
			return err
		}
		ev.Bytes = v.Size
		n := *t.node
		n.VersionID, n.Size, n.MIMEType, n.ModTime = v.ID, v.Size, v.MIMEType, v.Created
		fi = newFileInfo(&n, t.path, s.allowed(t))
		return nil
	})
	return fi, err
}

// restoreVersion makes version id of node n current again, as a new
// version that shares the old one's blob.
func restoreVersion(tx meta.Tx, n *meta.Node, id, byID int64, byName string, now time.Time) (*meta.Version, error) {
	old, err := tx.Version(id)
	if errors.Is(err, meta.ErrNotFound) || (err == nil && old.NodeID != n.ID) {
		return nil, &Error{Op: "restore", Kind: KindNotExist, Err: fmt.Errorf("file has no version %d", id)}
	}
	if err != nil {
		return nil, err
	}
	v := *old
	v.ID, v.CreatedBy, v.CreatedName, v.Created, v.RestoredFrom = 0, byID, byName, now, old.ID
	if err := tx.AddVersion(&v); err != nil {
		return nil, err
	}
	return &v, tx.SetContent(n.ID, &v, now)
}
