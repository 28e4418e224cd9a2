package vfs

import (
	"errors"
	"syscall"
)

// isNoSpace reports a full disk, so that a full data folder is answered as
// "storage unavailable" rather than as an unexplained failure.
func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}
