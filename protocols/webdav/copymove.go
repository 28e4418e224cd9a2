package webdav

import (
	"errors"
	"net/http"

	"strongroom/vfs"
)

// copyMove serves COPY, which shares the source's blobs, and MOVE, which
// changes metadata only. An existing destination is replaced when
// Overwrite allows (it does unless "F"), whatever it is, as RFC 4918
// says: as if it were deleted first.
func (q *request) copyMove() (int, error) {
	move := q.r.Method == "MOVE"
	dst, err := q.destination()
	if err != nil {
		return q.reject(err)
	}
	overwrite := true
	switch q.r.Header.Get("Overwrite") {
	case "", "T", "t":
	case "F", "f":
		overwrite = false
	default:
		return q.reject(errorf("the Overwrite header must be T or F"))
	}
	depth, err := q.depth(false)
	if err != nil || (move && depth == 0) {
		return q.reject(errorf("a MOVE takes Depth: infinity, a COPY 0 or infinity"))
	}
	switch {
	case q.h.hidden(q.path):
		return http.StatusNotFound, statusErrorf(http.StatusNotFound, "not found")
	case q.h.hidden(dst):
		return http.StatusForbidden, statusErrorf(http.StatusForbidden, "macOS metadata files are not stored here")
	}
	if err := q.checkIf(); err != nil {
		return statusOf(err), err
	}

	src, err := q.sess.Stat(q.ctx, q.path)
	if err != nil {
		return statusOf(err), err
	}
	switch {
	case dst == q.path:
		return http.StatusForbidden, statusErrorf(http.StatusForbidden, "the source and the destination are the same")
	case move && q.path == "/":
		return http.StatusForbidden, statusErrorf(http.StatusForbidden, "the root folder cannot be moved")
	case src.IsDir() && within(dst, q.path):
		return http.StatusForbidden, statusErrorf(http.StatusForbidden, "a folder cannot be put inside itself")
	}
	dfi, err := q.sess.Stat(q.ctx, dst)
	exists := err == nil
	switch {
	case errors.Is(err, vfs.ErrNotDir):
		return http.StatusConflict, err
	case err != nil && !errors.Is(err, vfs.ErrNotExist):
		return statusOf(err), err
	case exists && !overwrite:
		return http.StatusPreconditionFailed, statusErrorf(http.StatusPreconditionFailed, "the destination exists and Overwrite is F")
	}

	// The locks of what the request changes: the source and its folder
	// for a move, and the destination, what it replaces and its folder.
	scopes := []vfs.LockScope{{Path: dst, Below: exists}, item(parentOf(dst))}
	if move {
		scopes = append(scopes, tree(q.path), item(parentOf(q.path)))
	}
	locks, err := q.checkLocks(scopes...)
	if err != nil {
		return statusOf(err), err
	}

	if move {
		err = q.move(src, dst, dfi)
	} else {
		err = q.copy(src, dst, exists, depth)
	}
	switch {
	case err == nil:
	case errors.Is(err, vfs.ErrNotExist), errors.Is(err, vfs.ErrNotDir):
		return http.StatusConflict, err // the destination's folder is missing
	case errors.Is(err, vfs.ErrExist):
		return http.StatusPreconditionFailed, err
	default:
		return statusOf(err), err
	}
	if move {
		q.clearLocks(q.path, locks)
	}
	if exists {
		return http.StatusNoContent, nil
	}
	return http.StatusCreated, nil
}

// move renames src to dst. A file replaces a file in one step; anything
// else at dst is removed first.
//
// TODO: replacing a folder, or a file by a folder, takes two steps (the
// removal, then the rename), so a failure between them leaves the
// destination removed and the source where it was. Fix: a vfs rename
// option that replaces whatever is at the destination, in one
// transaction, as CopyOptions.Replace does.
func (q *request) move(src *vfs.FileInfo, dst string, dfi *vfs.FileInfo) error {
	replace := dfi != nil && !src.IsDir() && !dfi.IsDir()
	if dfi != nil && !replace {
		if err := q.sess.Remove(q.ctx, dst, dfi.IsDir()); err != nil {
			return err
		}
	}
	return q.sess.Rename(q.ctx, src.Path(), dst, vfs.RenameOptions{Replace: replace})
}

// copy copies src to dst: a whole tree, or with Depth 0 a folder alone.
func (q *request) copy(src *vfs.FileInfo, dst string, exists bool, depth int) error {
	if depth == 0 && src.IsDir() {
		if exists {
			if err := q.sess.Remove(q.ctx, dst, true); err != nil {
				return err
			}
		}
		return q.sess.Mkdir(q.ctx, dst)
	}
	return q.sess.Copy(q.ctx, src.Path(), dst, vfs.CopyOptions{Replace: exists})
}
