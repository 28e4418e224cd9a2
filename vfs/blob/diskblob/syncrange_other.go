//go:build !linux

package diskblob

import "os"

// syncRange does nothing where sync_file_range is missing: Commit's fsync
// writes everything.
func syncRange(f *os.File, off, n int64, wait bool) {}
