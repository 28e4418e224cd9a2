package vfs

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"net/http"
	"path"
	"sort"
	"sync"
	"time"

	"strongroom/audit"
	"strongroom/policy"
	"strongroom/vfs/blob"
	"strongroom/vfs/meta"
)

// CreateOptions change how Create treats an existing file.
type CreateOptions struct {
	// Resume keeps the current content: a first write at offset n > 0
	// continues after the current version's first n bytes, as a resumed
	// upload does. Without Resume a new version starts empty.
	Resume bool
	// Exclusive fails with KindExist if the file exists, at Create and
	// again at Commit.
	Exclusive bool
	// IfVersion, when set, commits only if the file's current version is
	// still this one ("" means no condition); otherwise Commit fails with
	// KindConflict and nothing changes.
	IfVersion string
	// ModTime is the modification time to keep; zero means the commit's.
	ModTime time.Time
	// Unchanged commits only if the file is still as Create found it:
	// the same current version, or still absent; otherwise Commit fails
	// with KindConflict. It is IfVersion with the version Create saw.
	Unchanged bool
}

// An Upload writes a new version of one file. Nothing of it is visible
// until Commit succeeds; Abort, or a session that ends first, leaves the
// file as it was. Suspend keeps what arrived for the same user to resume.
//
// Writes stream to the blob store as they arrive in order; a file no
// larger than Limits.InlineBytes is instead kept, sealed, in the metadata
// database when it commits. A write ahead
// of the next expected offset is held in memory until the gap is filled,
// up to Limits.ReorderBytes; a write that falls behind what has already
// been streamed is refused with KindUnsupported, since streamed content
// cannot be rewritten. An Upload is safe for concurrent use.
type Upload struct {
	s        *Session
	path     string
	opts     CreateOptions
	base     *meta.Version // current version at Create, for Resume
	sealed   []byte        // the base's content, if it is kept inline
	existing *FileInfo     // the file as Create found it; nil if there was none
	fromKept bool          // base is the user's interrupted upload, not a version
	key      string
	bctx     context.Context // for the blob writer, which outlives requests
	w        blob.Writer     // nil while the content is small enough to keep inline
	cancel   context.CancelFunc
	small    []byte // content so far, while w is nil

	mu      sync.Mutex
	written int64 // bytes streamed so far
	pending map[int64][]byte
	held    int64 // bytes in pending
	hash    hash.Hash
	// prehashed counts bytes ReadFrom's hashing goroutine has added to
	// hash ahead of emit, which then leaves them out.
	prehashed int64
	sniff     []byte
	quotaLeft int64 // bytes the user may still store; -1 for no limit
	err       error // first failure; the upload cannot commit after one
	done      bool
}

// Create starts an upload to p, a new file or a new version of one.
//
// Rule: creating needs write on the folder; a new version of an existing
// file needs write on the file.
func (s *Session) Create(ctx context.Context, p string, opts *CreateOptions) (*Upload, error) {
	if opts == nil {
		opts = &CreateOptions{}
	}
	u := &Upload{s: s, path: p, opts: *opts, key: blob.NewKey(), hash: sha256.New(), quotaLeft: -1}
	err := s.fs.view(ctx, func(tx meta.Tx) error {
		if err := checkTime(opts.ModTime); !opts.ModTime.IsZero() && err != nil {
			return err
		}
		if err := s.refresh(tx); err != nil {
			return err
		}
		parent, name, err := s.resolveParent(tx, p)
		if err != nil {
			return err
		}
		n, err := tx.Child(parent.node.ID, name)
		if err != nil && !errors.Is(err, meta.ErrNotFound) {
			return err
		}
		var current int64 // the file's current version; 0 for none
		if n != nil && !n.IsDir {
			current = n.VersionID
		}
		if opts.Resume {
			// An upload of this user's that a dropped connection cut
			// off is what a resuming client continues, unless the file
			// changed since.
			if u.base, err = s.resumeBase(tx, parent.node.ID, name, current); err != nil {
				return err
			}
			u.fromKept = u.base != nil
		}
		if n == nil {
			if !s.allowed(parent).Has(policy.Write) {
				return deny("write")
			}
			if err := checkNewName(name); err != nil {
				return err
			}
			if err := u.checkLocks(tx, false); err != nil {
				return err
			}
			return u.setQuota(tx)
		}
		t := &target{node: n, chain: append(append([]int64(nil), parent.chain...), n.ID), path: joinChild(parent.path, name)}
		switch {
		case !s.visible(t.chain):
			return deny("write")
		case n.IsDir:
			return ErrIsDir
		case opts.Exclusive:
			return ErrExist
		case !s.allowed(t).Has(policy.Write):
			return deny("write")
		}
		if err := u.checkLocks(tx, true); err != nil {
			return err
		}
		u.existing = newFileInfo(n, t.path, s.allowed(t))
		if opts.Unchanged {
			u.opts.IfVersion = formatID(n.VersionID)
		}
		if opts.Resume && u.base == nil && n.VersionID != 0 {
			if u.base, err = tx.Version(n.VersionID); err != nil {
				return err
			}
			if u.base.Inline {
				if u.sealed, err = tx.Inline(u.base.BlobKey); err != nil {
					return err
				}
			}
		}
		return u.setQuota(tx)
	})
	if err != nil {
		return nil, s.finish(ctx, s.event("write", p), p, err)
	}

	u.bctx, u.cancel = context.WithCancel(context.WithoutCancel(ctx))
	if s.fs.inliner == nil {
		if err := u.startBlob(); err != nil {
			u.cancel()
			return nil, s.finish(ctx, s.event("write", p), p, err)
		}
	}
	return u, nil
}

// startBlob opens the upload's blob and streams to it what is held so far.
func (u *Upload) startBlob() error {
	w, err := u.s.fs.blobs.NewWriter(u.bctx, u.key)
	if err != nil {
		return u.errorf(classify(err), fmt.Errorf("start blob: %w", err))
	}
	u.w = w
	if len(u.small) > 0 {
		if _, err := w.Write(u.small); err != nil {
			return u.errorf(classify(err), fmt.Errorf("write blob: %w", err))
		}
	}
	u.small = nil
	return nil
}

// setQuota finds how many bytes the upload may take: what the user's
// quota leaves after their stored bytes and their interrupted uploads
// (other than the one this upload continues, which it replaces).
func (u *Upload) setQuota(tx meta.Tx) error {
	q, err := u.s.quotaUse(tx)
	if err != nil || q.quota <= 0 {
		return err
	}
	if u.fromKept {
		q.kept -= u.base.Size
	}
	u.quotaLeft = max(q.quota-q.used-q.kept, 0)
	if u.quotaLeft == 0 {
		return ErrQuota
	}
	return nil
}

// Write appends b after everything written so far.
func (u *Upload) Write(b []byte) (int, error) {
	u.mu.Lock()
	off := u.written + u.held
	u.mu.Unlock()
	return u.WriteAt(b, off)
}

// WriteAt writes b at offset off of the new content.
func (u *Upload) WriteAt(b []byte, off int64) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return 0, u.errorf(KindInvalid, errors.New("upload already finished"))
	}
	if u.err != nil {
		return 0, u.err
	}
	if off < 0 {
		return 0, u.errorf(KindInvalid, invalidf("negative offset"))
	}

	// A resumed upload's first write past the start keeps what the
	// current version has before it.
	if u.written == 0 && off > 0 && u.base != nil && len(u.pending) == 0 {
		if err := u.copyBase(min(off, u.base.Size)); err != nil {
			return 0, u.fail(err)
		}
	}

	switch {
	case off < u.written:
		return 0, u.fail(u.errorf(KindUnsupported, fmt.Errorf("a write at offset %d falls before the %d bytes already stored; uploads are written front to back", off, u.written)))
	case off == u.written:
		if err := u.emit(b); err != nil {
			return 0, u.fail(err)
		}
		if err := u.drain(); err != nil {
			return 0, u.fail(err)
		}
	default:
		limit := u.s.fs.limits.ReorderBytes
		if off-u.written > limit || u.held+int64(len(b)) > limit {
			return 0, u.fail(u.errorf(KindInvalid, invalidf("a write at offset %d is more than %d bytes ahead of the %d bytes written so far; write the file front to back", off, limit, u.written)))
		}
		if _, dup := u.pending[off]; dup {
			return 0, u.fail(u.errorf(KindUnsupported, fmt.Errorf("offset %d written twice", off)))
		}
		if u.pending == nil {
			u.pending = make(map[int64][]byte)
		}
		u.pending[off] = append([]byte(nil), b...)
		u.held += int64(len(b))
	}
	return len(b), nil
}

// drain streams held writes that the last write made contiguous.
func (u *Upload) drain() error {
	for {
		b, ok := u.pending[u.written]
		if !ok {
			return nil
		}
		delete(u.pending, u.written)
		u.held -= int64(len(b))
		if err := u.emit(b); err != nil {
			return err
		}
	}
}

// flush streams what is still held, filling holes with zeros, as a sparse
// write on a local disk reads back.
func (u *Upload) flush() error {
	offs := make([]int64, 0, len(u.pending))
	for off := range u.pending {
		offs = append(offs, off)
	}
	sort.Slice(offs, func(i, j int) bool { return offs[i] < offs[j] })
	zeros := make([]byte, 32<<10)
	for _, off := range offs {
		b := u.pending[off]
		for u.written < off {
			n := min(off-u.written, int64(len(zeros)))
			if err := u.emit(zeros[:n]); err != nil {
				return err
			}
		}
		if end := off + int64(len(b)); end > u.written {
			if err := u.emit(b[u.written-off:]); err != nil {
				return err
			}
		}
	}
	u.pending, u.held = nil, 0
	return nil
}

// emit streams b to the blob.
func (u *Upload) emit(b []byte) error {
	if u.quotaLeft >= 0 && u.written+int64(len(b)) > u.quotaLeft {
		return u.errorf(KindQuota, invalidf("this upload would exceed the user's quota (%d bytes left)", u.quotaLeft))
	}
	if len(u.sniff) < 512 {
		u.sniff = append(u.sniff, b[:min(len(b), 512-len(u.sniff))]...)
	}
	ahead := min(u.prehashed, int64(len(b)))
	u.prehashed -= ahead
	if rest := b[ahead:]; len(rest) > 0 {
		u.hash.Write(rest)
	}
	u.written += int64(len(b))
	if u.w == nil && u.written <= u.s.fs.limits.InlineBytes {
		u.small = append(u.small, b...)
		return nil
	}
	if u.w == nil {
		if err := u.startBlob(); err != nil {
			return err
		}
	}
	if _, err := u.w.Write(b); err != nil {
		return u.errorf(classify(err), fmt.Errorf("write blob: %w", err))
	}
	return nil
}

// copyBase streams the first n bytes of the base version.
func (u *Upload) copyBase(n int64) error {
	r, err := u.s.fs.openContent(context.Background(), u.base, u.sealed, 0, n)
	if err != nil {
		return u.errorf(classify(err), fmt.Errorf("read current version to resume: %w", err))
	}
	defer r.Close()
	buf := make([]byte, 256<<10)
	for {
		k, err := io.ReadFull(r, buf)
		if k > 0 {
			if err := u.emit(buf[:k]); err != nil {
				return err
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil
		}
		if err != nil {
			return u.errorf(classify(err), fmt.Errorf("read current version to resume: %w", err))
		}
	}
}

func (u *Upload) errorf(kind Kind, err error) error {
	return &Error{Op: "write", Path: u.path, User: u.s.name, Kind: kind, Err: err}
}

// fail makes err the upload's first failure.
func (u *Upload) fail(err error) error {
	if u.err == nil {
		u.err = err
	}
	return err
}

// Existing describes the file as Create found it, for a protocol's
// conditional requests; nil if there was none.
func (u *Upload) Existing() *FileInfo { return u.existing }

// checkLocks applies the session's lock gate (see WithLocks) to the
// upload, at Create and again in the commit's transaction, so that a lock
// taken while the content streams stops the commit: the file's locks,
// and for a new file its folder's.
func (u *Upload) checkLocks(tx meta.Tx, exists bool) error {
	if exists {
		return u.s.obeyLocks(tx, LockScope{Path: u.path})
	}
	return u.s.obeyLocks(tx, LockScope{Path: u.path}, parentScope(u.path))
}

// Size is the number of bytes written so far, counting held writes.
func (u *Upload) Size() int64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.written + u.held
}

// Commit makes the upload the file's current version, in one metadata
// transaction with its audit record, and returns the file as it now is.
// The previous version stays. On failure nothing changes and the upload
// is over: its content is discarded.
func (u *Upload) Commit(ctx context.Context) (*FileInfo, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	s := u.s
	if u.done {
		return nil, u.errorf(KindInvalid, errors.New("upload already finished"))
	}
	u.done = true
	defer u.cancel()
	ev := s.event("write", u.path)

	if u.err == nil {
		u.fail(u.flush())
	}
	if u.err != nil {
		u.abortBlob()
		return nil, s.finish(ctx, ev, u.path, u.err)
	}
	v := &meta.Version{
		BlobKey: u.key, Size: u.written, SHA256: u.hash.Sum(nil), MIMEType: u.mimeType(),
		KeyID: s.fs.keyID, CreatedBy: s.uid, CreatedName: s.name,
	}
	var sealed []byte
	if u.w == nil {
		var err error
		if sealed, err = s.fs.inliner.Seal(u.key, u.small); err != nil {
			return nil, s.finish(ctx, ev, u.path, fmt.Errorf("seal content: %w", err))
		}
		v.Inline = true
	} else {
		start := s.fs.now()
		if err := u.w.Commit(); err != nil {
			return nil, s.finish(ctx, ev, u.path, fmt.Errorf("commit blob: %w", err))
		}
		s.fs.metrics.observeStore("blob", "commit", start, s.fs.now())
	}
	ev.Bytes = v.Size
	var fi *FileInfo
	var superseded *meta.SuspendedUpload
	err := s.do(ctx, ev, u.path, func(tx meta.Tx) error {
		n, t, err := u.node(tx)
		if err != nil {
			return err
		}
		// This user's interrupted upload to the file, continued by this
		// one or not, is over once a whole one commits.
		superseded, err = tx.TakeSuspended(s.uid, n.ParentID, n.Name)
		if err != nil && !errors.Is(err, meta.ErrNotFound) {
			return err
		}
		if err := u.checkQuota(tx, v.Size); err != nil {
			return err
		}
		now := s.fs.now()
		v.ID, v.NodeID, v.Created = 0, n.ID, now
		if err := tx.AddVersion(v); err != nil {
			return err
		}
		if v.Inline {
			if err := tx.PutInline(v.BlobKey, sealed); err != nil {
				return err
			}
		}
		mod := u.opts.ModTime
		if mod.IsZero() {
			mod = now
		}
		if err := tx.SetContent(n.ID, v, mod); err != nil {
			return err
		}
		if err := tx.AddUsedBytes(s.uid, v.Size); err != nil {
			return err
		}
		n.VersionID, n.Size, n.MIMEType, n.ModTime = v.ID, v.Size, v.MIMEType, mod
		ev.Version = formatID(v.ID)
		fi = newFileInfo(n, t.path, s.allowed(t))
		return nil
	})
	if err != nil && !v.Inline {
		// The blob is committed but no version refers to it.
		s.fs.deleteBlob(ctx, u.key)
	}
	if err != nil {
		return nil, err
	}
	if superseded != nil {
		s.fs.deleteBlob(ctx, superseded.BlobKey)
	}
	s.fs.metrics.received(s.info.Protocol, v.Size)
	return fi, nil
}

// node finds or creates the file the upload commits to, checking again
// what Create checked: the tree may have changed since.
func (u *Upload) node(tx meta.Tx) (*meta.Node, *target, error) {
	s := u.s
	parent, name, err := s.resolveParent(tx, u.path)
	if err != nil {
		return nil, nil, err
	}
	n, err := tx.Child(parent.node.ID, name)
	if errors.Is(err, meta.ErrNotFound) {
		if u.opts.IfVersion != "" {
			return nil, nil, &Error{Op: "write", Kind: KindConflict, Err: errors.New("the file was removed meanwhile")}
		}
		if !s.allowed(parent).Has(policy.Write) {
			return nil, nil, deny("write")
		}
		if err := checkNewName(name); err != nil {
			return nil, nil, err
		}
		if u.opts.Unchanged && u.existing != nil {
			return nil, nil, &Error{Op: "write", Kind: KindConflict, Err: errors.New("the file was removed meanwhile")}
		}
		if err := u.checkLocks(tx, false); err != nil {
			return nil, nil, err
		}
		now := s.fs.now()
		n = &meta.Node{ParentID: parent.node.ID, TenantID: parent.node.TenantID, Name: name, ModTime: now, Created: now}
		if err := tx.CreateNode(n); err != nil {
			return nil, nil, err // a concurrent upload created it: the transaction runs again
		}
		return n, &target{node: n, chain: append(append([]int64(nil), parent.chain...), n.ID), path: joinChild(parent.path, name)}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	// Hold the file until the commit ends, so that a conditional upload's
	// check of the current version cannot race another commit.
	if err := tx.LockNode(n.ID); err != nil {
		return nil, nil, err
	}
	if n, err = tx.Node(n.ID); err != nil {
		return nil, nil, err
	}
	t := &target{node: n, chain: append(append([]int64(nil), parent.chain...), n.ID), path: joinChild(parent.path, name)}
	switch {
	case !s.visible(t.chain):
		return nil, nil, deny("write")
	case n.IsDir:
		return nil, nil, ErrIsDir
	case u.opts.Exclusive:
		return nil, nil, ErrExist
	case !s.allowed(t).Has(policy.Write):
		return nil, nil, deny("write")
	case u.opts.Unchanged && u.existing == nil:
		return nil, nil, &Error{Op: "write", Kind: KindConflict, Err: errors.New("the file was created meanwhile")}
	case u.opts.IfVersion != "" && u.opts.IfVersion != formatID(n.VersionID):
		return nil, nil, &Error{Op: "write", Kind: KindConflict, Err: errors.New("the file changed since the upload began")}
	}
	if err := u.checkLocks(tx, true); err != nil {
		return nil, nil, err
	}
	return n, t, nil
}

// checkQuota refuses a version of size bytes that, with the user's stored
// bytes and their interrupted uploads, would exceed their quota.
func (u *Upload) checkQuota(tx meta.Tx, size int64) error {
	q, err := u.s.quotaUse(tx)
	if err != nil || q.quota <= 0 {
		return err
	}
	if q.used+q.kept+size > q.quota {
		return &Error{Op: "write", Kind: KindQuota, Err: invalidf("quota of %d bytes exceeded (%d stored, %d kept of interrupted uploads)", q.quota, q.used, q.kept)}
	}
	return nil
}

// mimeType names the content: by the file's extension when it has a
// well-known one, else by sniffing its first bytes.
func (u *Upload) mimeType() string {
	if t := mime.TypeByExtension(path.Ext(u.path)); t != "" {
		return t
	}
	return http.DetectContentType(u.sniff)
}

// Abort discards the upload. It is safe to call after Commit, when it
// does nothing, and more than once.
func (u *Upload) Abort() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return
	}
	u.abortLocked()
}

// AbortBecause discards the upload as Abort does, recording why: for a
// protocol that refuses it after Create, as on a failed precondition.
func (u *Upload) AbortBecause(reason string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return
	}
	u.abortWith(reason)
}

// abortLocked is Abort with u.mu held and u not done.
func (u *Upload) abortLocked() {
	if u.err != nil {
		u.abortWith("upload failed; nothing kept: " + u.err.Error())
		return
	}
	u.abortWith("upload aborted before completion; nothing kept")
}

func (u *Upload) abortWith(reason string) {
	u.done = true
	u.abortBlob()
	u.cancel()
	ev := u.s.event("write", u.path)
	ev.Path, ev.Bytes = u.s.portalPath(u.path), u.written+u.held
	ev.Outcome, ev.Reason = audit.Failed, reason
	u.s.fs.appendAudit(context.Background(), u.s.chain, ev)
	u.s.fs.metrics.operation(u.s.info.Protocol, "write", audit.Failed)
}

func (u *Upload) abortBlob() {
	if u.w != nil {
		u.w.Abort()
	}
	u.small = nil
}

// SetModTime sets the modification time the version commits with, for
// clients that set it while the file is still open (SFTP's "put -p").
func (u *Upload) SetModTime(t time.Time) error {
	if err := checkTime(t); err != nil {
		return u.errorf(KindInvalid, err)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.opts.ModTime = t
	return nil
}
