//go:build !linux

package diskblob

import "os"

// setDirect reports that direct I/O is not used where O_DIRECT is missing.
func setDirect(f *os.File, on bool) bool { return false }
