package vfs

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind classifies an error so that each protocol can map it to its own
// status code without looking at messages.
type Kind int

// The error kinds every vfs operation reports. Protocols switch on these,
// never on error text.
const (
	KindOther       Kind = iota // an unexpected failure; details are in the cause
	KindNotExist                // no such file or folder, or one the user may not see
	KindExist                   // the name is already taken
	KindPermission              // the user may see the item but not do this to it
	KindIsDir                   // a file operation on a folder
	KindNotDir                  // a folder operation on a file, or a file as a path segment
	KindNotEmpty                // a folder that must be empty is not
	KindInvalid                 // a bad name, path or argument
	KindQuota                   // the user's quota would be exceeded
	KindUnavailable             // a store is unreachable or out of space; retry later
	KindConflict                // a concurrent change won; retry the operation
	KindUnsupported             // the operation is not offered
)

var kindNames = [...]string{
	KindOther:       "error",
	KindNotExist:    "not found",
	KindExist:       "already exists",
	KindPermission:  "permission denied",
	KindIsDir:       "is a folder",
	KindNotDir:      "not a folder",
	KindNotEmpty:    "folder not empty",
	KindInvalid:     "invalid argument",
	KindQuota:       "quota exceeded",
	KindUnavailable: "storage unavailable",
	KindConflict:    "conflicting change",
	KindUnsupported: "not supported",
}

func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "error"
	}
	return kindNames[k]
}

// Sentinels, one per kind, so that callers can write
// errors.Is(err, vfs.ErrNotExist).
var (
	ErrNotExist    = &kindError{KindNotExist}
	ErrExist       = &kindError{KindExist}
	ErrPermission  = &kindError{KindPermission}
	ErrIsDir       = &kindError{KindIsDir}
	ErrNotDir      = &kindError{KindNotDir}
	ErrNotEmpty    = &kindError{KindNotEmpty}
	ErrInvalid     = &kindError{KindInvalid}
	ErrQuota       = &kindError{KindQuota}
	ErrUnavailable = &kindError{KindUnavailable}
	ErrConflict    = &kindError{KindConflict}
	ErrUnsupported = &kindError{KindUnsupported}
)

type kindError struct{ kind Kind }

func (e *kindError) Error() string { return e.kind.String() }

// Error is the error every Session method returns. Op is the operation
// ("create", "rename"), Path the session-relative path it was given, User
// the login name; Err, when set, is the cause and is only for logs: it may
// name internals that must not reach a client.
type Error struct {
	Op   string
	Path string
	User string
	Kind Kind
	Err  error
}

func (e *Error) Error() string {
	msg := "vfs: " + e.Op
	if e.Path != "" {
		msg += " " + e.Path
	}
	msg += ": " + e.Kind.String()
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause, so errors.Is and errors.As see through Error.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel of e's kind.
func (e *Error) Is(target error) bool {
	k, ok := target.(*kindError)
	return ok && k.kind == e.Kind
}

// Message is the text safe to show a client: the operation, path and kind,
// plus the cause only for invalid arguments, whose cause explains what to
// fix and names nothing internal.
//
// The path is the client's own, so it is shown quoted, with escapes, when
// it holds anything that is not printable text, and shortened when long:
// a reply must stay valid UTF-8 and must not carry control characters.
func (e *Error) Message() string {
	msg := e.Op
	if e.Path != "" {
		msg += " " + shownPath(e.Path)
	}
	msg += ": " + e.Kind.String()
	if e.Kind == KindInvalid || e.Kind == KindQuota {
		var inv *invalidError
		if errors.As(e.Err, &inv) {
			msg += ": " + inv.reason
		}
	}
	return msg
}

// KindOf returns the kind of err: the Kind of a *Error in its chain, or of
// a sentinel, or KindOther.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	var k *kindError
	if errors.As(err, &k) {
		return k.kind
	}
	return KindOther
}

// invalidError carries a reason a user can act on ("a name may not contain
// a slash"). Its text is shown to clients.
type invalidError struct{ reason string }

func (e *invalidError) Error() string { return e.reason }

func invalidf(format string, args ...any) error {
	return &invalidError{reason: fmt.Sprintf(format, args...)}
}

// maxShownPath bounds how much of a path an error message repeats.
const maxShownPath = 256

func shownPath(p string) string {
	if len(p) > maxShownPath {
		cut := maxShownPath
		for cut > 0 && !utf8.RuneStart(p[cut]) {
			cut--
		}
		p = p[:cut] + "..."
	}
	if utf8.ValidString(p) && !strings.ContainsFunc(p, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }) {
		return p
	}
	return strconv.Quote(p)
}
