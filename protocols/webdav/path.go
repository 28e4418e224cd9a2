package webdav

import (
	"net/http"
	"net/url"
	"path"
	"strings"

	"strongroom/vfs"
)

// sessionPath maps a URL's path to a session path, and reports whether
// it ended in a slash. It works on the escaped path, one segment at a
// time, so that an encoded slash stays inside its segment and is seen.
//
// Rule: a segment that decodes to "." or "..", holds a slash or a NUL, or
// is not a name vfs accepts is refused, never resolved. A path outside
// the prefix is not found, or for a Destination (dest) a bad request.
func (h *Handler) sessionPath(u *url.URL, dest bool) (string, bool, error) {
	esc := u.EscapedPath()
	rest, ok := strings.CutPrefix(esc, h.prefix)
	if !ok || (rest != "" && rest[0] != '/') {
		if dest {
			return "", false, errorf("the destination is outside %s/", h.prefix)
		}
		return "", false, statusErrorf(http.StatusNotFound, "not found")
	}
	if len(rest) > 3*vfs.MaxPathBytes {
		return "", false, statusErrorf(http.StatusRequestURITooLong, "the path is too long")
	}

	var segs []string
	for _, seg := range strings.Split(rest, "/") {
		if seg == "" {
			continue
		}
		name, err := url.PathUnescape(seg)
		switch {
		case err != nil:
			return "", false, errorf("the path has a malformed escape in %q", clip(seg))
		case name == "." || name == "..":
			return "", false, errorf("the path may not have %q segments", name)
		case strings.ContainsRune(name, '/'):
			return "", false, errorf("the path segment %q holds an encoded slash", clip(seg))
		}
		if err := vfs.CheckName(name); err != nil {
			return "", false, errorf("the path segment %q is not a valid name: %v", clip(seg), err)
		}
		segs = append(segs, name)
	}
	p := "/" + strings.Join(segs, "/")
	if len(p) > vfs.MaxPathBytes {
		return "", false, statusErrorf(http.StatusRequestURITooLong, "the path is too long")
	}
	return p, strings.HasSuffix(rest, "/"), nil
}

// destination parses the Destination header of a COPY or MOVE.
//
// Rule: the destination must be on this server, under the prefix; an
// absolute URI naming another host is refused. RFC 4918 allows 502 Bad
// Gateway here; 400 is given instead, since the fault is the request's.
func (q *request) destination() (string, error) {
	v := q.r.Header.Get("Destination")
	if v == "" {
		return "", errorf("a Destination header is needed")
	}
	u, err := url.Parse(v)
	if err != nil {
		return "", errorf("the Destination header is not a URI")
	}
	if u.Host != "" || u.Scheme != "" {
		if !strings.EqualFold(u.Host, q.r.Host) || (u.Scheme != "http" && u.Scheme != "https") {
			return "", errorf("the destination is on another server")
		}
	} else if !strings.HasPrefix(v, "/") {
		return "", errorf("the Destination header must be an absolute URI or path")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", errorf("the destination may not have a query or fragment")
	}
	p, _, err := q.h.sessionPath(u, true)
	return p, err
}

// tagPath maps the resource tag of an If list to a session path; false
// if it names nothing this handler serves.
func (q *request) tagPath(tag string) (string, bool) {
	u, err := url.Parse(tag)
	if err != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	if (u.Host != "" || u.Scheme != "") && !strings.EqualFold(u.Host, q.r.Host) {
		return "", false
	}
	p, _, err := q.h.sessionPath(u, true)
	return p, err == nil
}

// href is the URL path that names session path p in replies; a folder's
// ends in a slash.
func (h *Handler) href(p string, dir bool) string {
	var b strings.Builder
	b.WriteString(h.prefix)
	for _, seg := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		if seg != "" {
			b.WriteString("/")
			b.WriteString(url.PathEscape(seg))
		}
	}
	if dir || p == "/" {
		b.WriteString("/")
	}
	return b.String()
}

// parentOf is the folder that holds p; the root is its own.
func parentOf(p string) string {
	return path.Dir(p)
}

// within reports whether p is q or below it.
func within(p, q string) bool {
	return p == q || q == "/" || strings.HasPrefix(p, q+"/")
}

// clip shortens what a client sent for quoting in a message.
func clip(s string) string {
	if len(s) > 64 {
		return strings.ToValidUTF8(s[:64], "") + "..."
	}
	return s
}
