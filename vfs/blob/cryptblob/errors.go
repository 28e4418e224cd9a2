package cryptblob

import (
	"errors"
	"fmt"
)

// The kinds of DecryptError.
var (
	// ErrNoKey: the object's data key was wrapped by a master key that
	// the keyring does not hold.
	ErrNoKey = errors.New("cryptblob: master key not in keyring")

	// ErrWrongKey: the keyring holds a master key of the right id, but
	// it does not unwrap the data key: it is another key under the same
	// id, or the header was altered.
	ErrWrongKey = errors.New("cryptblob: master key does not match")

	// ErrCorrupt: the stored object is not what was written: damaged,
	// cut short, or altered.
	ErrCorrupt = errors.New("cryptblob: object damaged or altered")
)

var (
	errNotObject   = errors.New("no cryptblob header")
	errShortHeader = errors.New("header cut short")
)

// A DecryptError reports an object that cannot be read back. errors.Is
// matches it with its Kind. Nothing stored is changed by a failed read.
type DecryptError struct {
	Key   string // the object's key
	KeyID string // the master key id the object names; "" if unread
	Kind  error  // ErrNoKey, ErrWrongKey or ErrCorrupt
	Err   error  // for ErrCorrupt, what was found wrong; may be nil
}

func (e *DecryptError) Error() string {
	switch e.Kind {
	case ErrNoKey:
		return fmt.Sprintf("cryptblob: object %s was encrypted with master key %q, which this keyring does not have",
			e.Key, e.KeyID)
	case ErrWrongKey:
		return fmt.Sprintf("cryptblob: object %s: master key %q does not match: the data key cannot be unwrapped "+
			"(the key of that id is not the one that wrote the object, or the object's header was altered)", e.Key, e.KeyID)
	}
	msg := fmt.Sprintf("cryptblob: object %s is damaged or was altered", e.Key)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *DecryptError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}
