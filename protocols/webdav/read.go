package webdav

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"strongroom/vfs"
)

// options answers what Windows' mini-redirector and others probe for:
// the DAV classes and the methods the resource allows.
func (q *request) options() (int, error) {
	allow := allowAll
	fi, err := q.sess.Stat(q.ctx, q.path)
	switch {
	case errors.Is(err, vfs.ErrNotExist):
		allow = "OPTIONS, PUT, MKCOL, LOCK"
	case err != nil:
		return statusOf(err), err
	case fi.IsDir():
		allow = "OPTIONS, DELETE, MKCOL, COPY, MOVE, PROPFIND, PROPPATCH, LOCK, UNLOCK"
	}
	h := q.w.Header()
	h.Set("Allow", allow)
	h.Set("DAV", "1, 2")
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Length", "0")
	return http.StatusOK, nil
}

// get serves GET and HEAD: the content of a file, with ranges and
// conditional headers. HEAD, and a file with no content yet, read no blob.
func (q *request) get() (int, error) {
	if q.h.hidden(q.path) {
		return http.StatusNotFound, statusErrorf(http.StatusNotFound, "not found")
	}
	if err := q.checkIf(); err != nil {
		return statusOf(err), err
	}
	fi, err := q.sess.Stat(q.ctx, q.path)
	if err != nil {
		return statusOf(err), err
	}
	if fi.IsDir() {
		q.w.Header().Set("Allow", "OPTIONS, DELETE, MKCOL, COPY, MOVE, PROPFIND, PROPPATCH, LOCK, UNLOCK")
		return http.StatusMethodNotAllowed, statusErrorf(http.StatusMethodNotAllowed, "a folder has no content to get; list it with PROPFIND")
	}
	setContentHeaders(q.w.Header(), fi)
	if status := preconditions(q.r, true, etag(fi), fi.ModTime()); status != 0 {
		return status, nil
	}
	if q.r.Method == "HEAD" {
		http.ServeContent(q.w, q.r, fi.Name(), fi.ModTime(), sizeOnly(fi.Size()))
		return 0, nil
	}

	f, err := q.sess.Open(q.ctx, q.path)
	if err != nil {
		return statusOf(err), err
	}
	defer f.Close()
	setContentHeaders(q.w.Header(), f.Stat()) // the file may have changed since the Stat
	http.ServeContent(q.w, q.r, fi.Name(), f.Stat().ModTime(), f)
	return 0, nil
}

func setContentHeaders(h http.Header, fi *vfs.FileInfo) {
	if t := etag(fi); t != "" {
		h.Set("ETag", t)
	} else {
		h.Del("ETag")
	}
	h.Set("Content-Type", contentType(fi))
	// Content is the users' own: a browser that fetches it here, on the
	// portal's origin, must not run it (an uploaded HTML or SVG file).
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
}

// sizeOnly stands in for content that is not to be read: it seeks, so
// that http.ServeContent learns the size and checks ranges, but any read
// fails.
type sizeOnly int64

func (s sizeOnly) Read([]byte) (int, error) {
	if s == 0 {
		return 0, io.EOF
	}
	return 0, errors.New("webdav: content read where only the size was to be known")
}

func (s sizeOnly) Seek(off int64, whence int) (int64, error) {
	if whence == io.SeekEnd {
		return int64(s) + off, nil
	}
	return off, nil
}

// preconditions evaluates the conditional headers of RFC 9110 section
// 13 against the target's current state: whether it exists, its entity
// tag ("" for none) and modification time. It returns 0 to go on, or 304
// (for GET and HEAD) or 412 to answer.
func preconditions(r *http.Request, exists bool, tag string, mod time.Time) int {
	read := r.Method == "GET" || r.Method == "HEAD"
	if v := r.Header.Get("If-Match"); v != "" {
		if !exists || !matchETag(v, tag, false) {
			return http.StatusPreconditionFailed
		}
	} else if t, err := http.ParseTime(r.Header.Get("If-Unmodified-Since")); err == nil && exists {
		if mod.Truncate(time.Second).After(t) {
			return http.StatusPreconditionFailed
		}
	}
	if v := r.Header.Get("If-None-Match"); v != "" {
		if exists && matchETag(v, tag, true) {
			if read {
				return http.StatusNotModified
			}
			return http.StatusPreconditionFailed
		}
	} else if t, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil && read && exists {
		if !mod.Truncate(time.Second).After(t) {
			return http.StatusNotModified
		}
	}
	return 0
}

// matchETag reports whether a list of entity tags, or "*", matches tag.
// A weak comparison ignores the W/ prefix; a strong one never matches a
// weak tag.
func matchETag(list, tag string, weak bool) bool {
	if strings.TrimSpace(list) == "*" {
		return true
	}
	if tag == "" {
		return false
	}
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if weak {
			t = strings.TrimPrefix(t, "W/")
		}
		if t == tag {
			return true
		}
	}
	return false
}
