package web

import (
	"errors"
	"net/http"

	"strongroom/vfs"
)

// A webError is a refusal the web layer makes itself, before or instead
// of a vfs call: no session, a missing CSRF token, a malformed body.
type webError struct {
	status int
	code   string
	msg    string
}

func (e *webError) Error() string { return "web: " + e.msg }

func refuse(status int, code, msg string) error {
	return &webError{status: status, code: code, msg: msg}
}

// Refusals used in several places.
var (
	errSignIn   = refuse(http.StatusUnauthorized, "unauthenticated", "sign in first")
	errCSRF     = refuse(http.StatusForbidden, "csrf", "missing or wrong CSRF token; reload the page and try again")
	errNotAdmin = refuse(http.StatusForbidden, "permission_denied", "only administrators may do this")
	errNoRoute  = refuse(http.StatusNotFound, "not_found", "no such API endpoint")
)

// kindStatus is the HTTP status and the stable code the API reports for
// a vfs kind. Clients switch on the code; the message is for people.
func kindStatus(k vfs.Kind) (int, string) {
	switch k {
	case vfs.KindNotExist:
		return http.StatusNotFound, "not_found"
	case vfs.KindExist:
		return http.StatusConflict, "already_exists"
	case vfs.KindPermission:
		return http.StatusForbidden, "permission_denied"
	case vfs.KindIsDir:
		return http.StatusConflict, "is_folder"
	case vfs.KindNotDir:
		return http.StatusConflict, "not_folder"
	case vfs.KindNotEmpty:
		return http.StatusConflict, "folder_not_empty"
	case vfs.KindInvalid:
		return http.StatusBadRequest, "invalid"
	case vfs.KindQuota:
		return http.StatusInsufficientStorage, "quota_exceeded"
	case vfs.KindUnavailable:
		return http.StatusServiceUnavailable, "unavailable"
	case vfs.KindConflict:
		return http.StatusPreconditionFailed, "conflict"
	case vfs.KindUnsupported:
		return http.StatusNotImplemented, "unsupported"
	}
	return http.StatusInternalServerError, "internal"
}

// throttledMessage answers a sign-in from an address that failed too
// often; the reply's Retry-After says for how long.
const throttledMessage = "too many failed sign-ins from this address; try again later"

// classify turns any error into what a client is told: status, code and a
// message safe to show. Only vfs's Error.Message and our own refusals
// cross; every other text stays in the log.
func classify(err error) *webError {
	var we *webError
	if errors.As(err, &we) {
		return we
	}
	if errors.Is(err, vfs.ErrThrottled) {
		return &webError{http.StatusTooManyRequests, "throttled", throttledMessage}
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &webError{http.StatusRequestEntityTooLarge, "too_large", "the request body is too large"}
	}
	kind := vfs.KindOf(err)
	status, code := kindStatus(kind)
	msg := "internal error"
	var ve *vfs.Error
	if errors.As(err, &ve) {
		msg = ve.Message()
	} else if kind != vfs.KindOther {
		msg = kind.String()
	}
	return &webError{status, code, msg}
}
