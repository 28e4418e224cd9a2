package sftp

import (
	"errors"

	"github.com/pkg/sftp"

	"strongroom/vfs"
)

// statusError is an error the request server turns into one SFTP status:
// code (one of sftp's ErrSSHFx values, which the request server finds
// through Unwrap) and msg, the text the client sees.
type statusError struct {
	code error
	msg  string
}

func (e *statusError) Error() string { return e.msg }
func (e *statusError) Unwrap() error { return e.code }

// refuse is a status of our own making, for requests the server declines
// before any vfs call.
func refuse(code error, msg string) error {
	return &statusError{code: code, msg: msg}
}

// unsupported declines an operation SFTP offers and Strongroom does not.
func unsupported(msg string) error {
	return refuse(sftp.ErrSSHFxOpUnsupported, msg)
}

// status maps a vfs error to the status the client gets. Only the vfs's
// client-safe message crosses: causes may name internals. An error that
// is not a *vfs.Error (which no vfs method returns) gets a bare failure.
func status(err error) error {
	if err == nil {
		return nil
	}
	var se *statusError
	if errors.As(err, &se) {
		return se
	}
	var ve *vfs.Error
	if !errors.As(err, &ve) {
		return refuse(sftp.ErrSSHFxFailure, "failure")
	}
	return &statusError{code: codeOf(ve.Kind), msg: ve.Message()}
}

// codeOf is the SFTP version 3 status for a vfs kind. Version 3 has no
// codes for "exists", "not empty" and the like; those are failures whose
// message says which.
func codeOf(k vfs.Kind) error {
	switch k {
	case vfs.KindNotExist:
		return sftp.ErrSSHFxNoSuchFile
	case vfs.KindPermission:
		return sftp.ErrSSHFxPermissionDenied
	case vfs.KindUnsupported:
		return sftp.ErrSSHFxOpUnsupported
	}
	return sftp.ErrSSHFxFailure
}
