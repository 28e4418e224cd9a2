package diskblob

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncRange starts writing a range of f to disk, and with wait, waits
// until it is written. It makes nothing durable (only fsync does): it
// spreads the writing over the upload.
func syncRange(f *os.File, off, n int64, wait bool) {
	flags := unix.SYNC_FILE_RANGE_WRITE
	if wait {
		flags |= unix.SYNC_FILE_RANGE_WAIT_BEFORE | unix.SYNC_FILE_RANGE_WAIT_AFTER
	}
	unix.SyncFileRange(int(f.Fd()), off, n, flags)
}
