package webdav

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"strongroom/internal/iox"
	"strongroom/vfs"
)

// putBuffer is the size of the reads that stream a PUT's body.
const putBuffer = 256 << 10

// maxDiscard bounds how much of a discarded macOS file's body is read; a
// longer body is left for the server to cut off.
const maxDiscard = 1 << 20

// put streams the body into a new version of the file, committed when
// the body is complete and aborted if it breaks off.
func (q *request) put() (int, error) {
	if q.r.Header.Get("Content-Range") != "" {
		return q.reject(errorf("a PUT with Content-Range (a partial write) is not supported"))
	}
	switch q.h.macOSPolicy(q.path) {
	case MacOSHide:
		io.Copy(io.Discard, io.LimitReader(q.r.Body, maxDiscard))
		return http.StatusCreated, nil
	case MacOSRefuse:
		return http.StatusForbidden, statusErrorf(http.StatusForbidden, "macOS metadata files are not stored here")
	}
	if q.dir || q.path == "/" {
		return http.StatusMethodNotAllowed, statusErrorf(http.StatusMethodNotAllowed, "a URL that ends in a slash names a folder, which has no content to put")
	}
	if err := q.checkIf(); err != nil {
		return statusOf(err), err
	}

	// The first read tells an empty body from any other.
	buf := make([]byte, putBuffer)
	n, rerr := iox.Fill(q.r.Body, buf)
	switch {
	case rerr == io.EOF && q.r.ContentLength > int64(n), rerr != nil && rerr != io.EOF:
		// A body that ended before its declared length was cut short,
		// whatever the transport said. No upload has started to record
		// it, so the request is recorded here.
		q.sess.RecordFailed(q.ctx, "write", q.path, fmt.Sprintf("the request body broke off after %d bytes; nothing stored", n))
		return http.StatusBadRequest, errClientGone
	case rerr == io.EOF && n == 0:
		return q.putEmpty()
	}

	// One transaction authorizes the upload, checks the locks and finds
	// the file's state for the conditional headers; the commit checks
	// the locks again, so that a lock taken meanwhile stops it.
	opts := &vfs.CreateOptions{
		Exclusive: q.r.Header.Get("If-None-Match") == "*",
		Unchanged: q.r.Header.Get("If-Match") != "" && q.r.Header.Get("If-Match") != "*",
	}
	u, err := q.sess.Create(q.ctx, q.path, opts)
	if err != nil {
		return q.putRefused(err)
	}
	defer u.Abort()
	fi := u.Existing()
	exists := fi != nil
	tag := ""
	if exists {
		tag = etag(fi)
	}
	if status := preconditions(q.r, exists, tag, modTime(fi)); status != 0 {
		u.AbortBecause("the conditional headers do not hold")
		return status, statusErrorf(status, "the conditional headers do not hold")
	}

	if _, err := u.Write(buf[:n]); err != nil {
		return statusOf(err), err
	}
	total := int64(n)
	if rerr == nil {
		// The rest is read in a goroutine of its own while this one
		// hashes, encrypts and stores.
		rest, err := u.ReadFrom(q.r.Body)
		total += rest
		var ve *vfs.Error
		switch {
		case errors.As(err, &ve):
			return statusOf(err), err
		case err != nil:
			return http.StatusBadRequest, errClientGone // the deferred Abort discards it all
		}
	}
	if q.r.ContentLength >= 0 && total != q.r.ContentLength {
		return http.StatusBadRequest, errClientGone
	}
	nfi, err := u.Commit(q.ctx)
	if err != nil {
		return q.putRefused(err)
	}
	q.w.Header().Set("ETag", etag(nfi))
	if exists {
		return http.StatusNoContent, nil
	}
	return http.StatusCreated, nil
}

// putEmpty answers a PUT with an empty body. To a new name it makes an
// empty file with no version, so that the write Windows and Finder send
// next is the file's first version; an existing file gets an empty
// version, unless it has none yet.
func (q *request) putEmpty() (int, error) {
	fi, err := q.sess.Stat(q.ctx, q.path)
	exists := err == nil
	switch {
	case exists && fi.IsDir():
		return http.StatusMethodNotAllowed, statusErrorf(http.StatusMethodNotAllowed, "a folder has no content to put")
	case err != nil && !errors.Is(err, vfs.ErrNotExist) && !errors.Is(err, vfs.ErrNotDir):
		return statusOf(err), err
	}
	tag := ""
	if exists {
		tag = etag(fi)
	}
	if status := preconditions(q.r, exists, tag, modTime(fi)); status != 0 {
		return status, statusErrorf(status, "the conditional headers do not hold")
	}
	scopes := []vfs.LockScope{item(q.path)}
	if !exists {
		scopes = append(scopes, item(parentOf(q.path))) // a new member of the folder
	}
	if _, err := q.checkLocks(scopes...); err != nil {
		return statusOf(err), err
	}
	switch {
	case !exists:
		if _, err := q.sess.CreateEmpty(q.ctx, q.path); err != nil {
			return putStatus(err), err
		}
		return http.StatusCreated, nil
	case fi.VersionID() == "":
		return http.StatusNoContent, nil // empty already
	}

	opts := &vfs.CreateOptions{}
	if v := q.r.Header.Get("If-Match"); v != "" && v != "*" {
		opts.IfVersion = fi.VersionID()
	}
	u, err := q.sess.Create(q.ctx, q.path, opts)
	if err != nil {
		return q.putRefused(err)
	}
	defer u.Abort()
	nfi, err := u.Commit(q.ctx)
	if err != nil {
		return q.putRefused(err)
	}
	q.w.Header().Set("ETag", etag(nfi))
	return http.StatusNoContent, nil
}

// putRefused answers a PUT whose upload Create or Commit refused.
func (q *request) putRefused(err error) (int, error) {
	if p := vfs.LockedPath(err); p != "" {
		return http.StatusLocked, q.lockedError(p)
	}
	if vfs.KindOf(err) == vfs.KindIsDir {
		return http.StatusMethodNotAllowed, statusErrorf(http.StatusMethodNotAllowed, "a folder has no content to put")
	}
	return putStatus(err), err
}

// putStatus answers a failed Create or Commit: a missing folder is 409
// (RFC 4918 section 9.7.1), a lost condition 412.
func putStatus(err error) int {
	switch vfs.KindOf(err) {
	case vfs.KindNotExist, vfs.KindNotDir:
		return http.StatusConflict
	case vfs.KindExist, vfs.KindConflict:
		return http.StatusPreconditionFailed
	}
	return statusOf(err)
}

func modTime(fi *vfs.FileInfo) time.Time {
	if fi == nil {
		return time.Time{}
	}
	return fi.ModTime()
}

// mkcol makes a folder.
func (q *request) mkcol() (int, error) {
	if q.r.ContentLength > 0 || (q.r.ContentLength < 0 && hasBody(q.r)) {
		return http.StatusUnsupportedMediaType, statusErrorf(http.StatusUnsupportedMediaType, "MKCOL takes no body")
	}
	if q.h.hidden(q.path) {
		return http.StatusForbidden, statusErrorf(http.StatusForbidden, "macOS metadata names are not used for folders here")
	}
	if q.path == "/" {
		return http.StatusMethodNotAllowed, statusErrorf(http.StatusMethodNotAllowed, "the folder exists")
	}
	if err := q.checkIf(); err != nil {
		return statusOf(err), err
	}
	if _, err := q.checkLocks(item(parentOf(q.path))); err != nil {
		return statusOf(err), err
	}
	err := q.sess.Mkdir(q.ctx, q.path)
	switch vfs.KindOf(err) {
	case vfs.KindExist:
		return http.StatusMethodNotAllowed, err
	case vfs.KindNotExist, vfs.KindNotDir:
		return http.StatusConflict, err
	}
	if err != nil {
		return statusOf(err), err
	}
	return http.StatusCreated, nil
}

// hasBody reports whether a request of unknown length sends any body.
func hasBody(r *http.Request) bool {
	var b [1]byte
	n, _ := io.ReadFull(r.Body, b[:])
	return n > 0
}

// delete removes a file or a folder with all it holds.
func (q *request) delete() (int, error) {
	switch q.h.macOSPolicy(q.path) {
	case MacOSHide:
		return http.StatusNoContent, nil
	case MacOSRefuse:
		return http.StatusNotFound, statusErrorf(http.StatusNotFound, "not found")
	}
	if err := q.checkIf(); err != nil {
		return statusOf(err), err
	}
	fi, err := q.sess.Stat(q.ctx, q.path)
	if err != nil {
		return statusOf(err), err
	}
	if d := q.r.Header.Get("Depth"); fi.IsDir() && d != "" && d != "infinity" {
		return q.reject(errorf("a folder is deleted with everything in it: Depth must be infinity"))
	}
	if status := preconditions(q.r, true, etag(fi), fi.ModTime()); status != 0 {
		return status, statusErrorf(status, "the conditional headers do not hold")
	}
	locks, err := q.checkLocks(tree(q.path), item(parentOf(q.path)))
	if err != nil {
		return statusOf(err), err
	}
	if err := q.sess.Remove(q.ctx, q.path, fi.IsDir()); err != nil {
		return statusOf(err), err
	}
	q.clearLocks(q.path, locks)
	return http.StatusNoContent, nil
}

// clearLocks removes the locks left at and below p by an item just
// removed or moved away, if locks (as found before) has any there. The
// change is done by then, so a failure here is only logged; the locks
// expire in time.
func (q *request) clearLocks(p string, locks []*vfs.Lock) {
	left := false
	for _, l := range locks {
		left = left || (l.Root != "" && within(l.Root, p))
	}
	if !left {
		return
	}
	if err := q.sess.ClearLocks(q.ctx, p); err != nil && !errors.Is(err, vfs.ErrExist) {
		q.h.log.Warn("stale locks left", "path", p, "user", q.sess.User().Name, "err", err)
	}
}
