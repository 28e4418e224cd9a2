package webdav

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"strongroom/vfs"
)

// An httpError is a refusal the handler makes itself. Its message is
// shown to the client, so it names only what the client sent.
type httpError struct {
	status int
	msg    string
	// cond, when set, is the RFC 4918 precondition that failed, as the
	// local name of its element in DAV: ("lock-token-submitted"); the
	// reply is then that XML, listing hrefs.
	cond  string
	hrefs []string
}

func (e *httpError) Error() string { return "webdav: " + e.msg }

// errorf is a 400 Bad Request.
func errorf(format string, args ...any) error {
	return &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// statusErrorf is a refusal with the status given.
func statusErrorf(status int, format string, args ...any) error {
	return &httpError{status: status, msg: fmt.Sprintf(format, args...)}
}

// errClientGone marks a request whose client stopped sending its body.
var errClientGone = errors.New("webdav: the request body broke off")

// statusOf is the status that answers err, for any method; handlers
// that answer a kind otherwise (MKCOL over an existing name is 405) check
// for it first.
func statusOf(err error) int {
	var he *httpError
	var mb *http.MaxBytesError
	switch {
	case err == nil:
		return http.StatusOK
	case errors.As(err, &he):
		return he.status
	case errors.As(err, &mb):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, errClientGone):
		return http.StatusBadRequest
	case err == vfs.ErrThrottled:
		return http.StatusTooManyRequests
	case err == vfs.ErrBadLogin:
		return http.StatusUnauthorized
	case errors.Is(err, vfs.ErrLocked):
		return http.StatusLocked
	}
	switch vfs.KindOf(err) {
	case vfs.KindNotExist:
		return http.StatusNotFound
	case vfs.KindExist, vfs.KindNotDir, vfs.KindNotEmpty, vfs.KindConflict:
		return http.StatusConflict
	case vfs.KindIsDir:
		return http.StatusMethodNotAllowed
	case vfs.KindPermission:
		return http.StatusForbidden
	case vfs.KindInvalid:
		return http.StatusBadRequest
	case vfs.KindQuota:
		return http.StatusInsufficientStorage
	case vfs.KindUnavailable:
		return http.StatusServiceUnavailable
	case vfs.KindUnsupported:
		return http.StatusNotImplemented
	}
	return http.StatusInternalServerError
}

// message is the text of an error reply: what the client may be told.
func message(status int, err error) string {
	var he *httpError
	var ve *vfs.Error
	switch {
	case status == http.StatusUnauthorized:
		return "sign in with your user name and your password or an app token"
	case status == http.StatusTooManyRequests:
		return "too many failed sign-ins from this address; try again later"
	case errors.As(err, &he):
		return he.msg
	case status == http.StatusServiceUnavailable:
		return "storage is busy or unreachable; try again later"
	case status >= 500:
		return strings.ToLower(http.StatusText(status))
	case errors.As(err, &ve):
		return ve.Message()
	}
	return strings.ToLower(http.StatusText(status))
}

// conditionXML is the body that names a failed precondition.
func conditionXML(cond string, hrefs []string) string {
	var b strings.Builder
	b.WriteString(xmlHeader + `<D:error xmlns:D="DAV:"><D:` + cond)
	if len(hrefs) == 0 {
		b.WriteString(`/></D:error>`)
		return b.String()
	}
	b.WriteString(">")
	for _, h := range hrefs {
		b.WriteString("<D:href>" + escape(h) + "</D:href>")
	}
	b.WriteString(`</D:` + cond + `></D:error>`)
	return b.String()
}

// endedSession reports whether err says the session's user was disabled
// or removed since the sign-in.
func endedSession(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if ve, ok := e.(*vfs.Error); ok && ve.Op == "session" && ve.Kind == vfs.KindPermission {
			return true
		}
	}
	return false
}
