package diskblob

import "os"

// writebackChunk is how much an upload writes before the kernel is asked
// to start putting it on disk.
const writebackChunk = 8 << 20

// writebackLag is how many chunks may be on their way to disk while the
// upload streams on.
const writebackLag = 8

// writeback starts writing an upload's file to disk while the upload is
// still streaming, one chunk behind, and waits for the chunk writebackLag
// behind, so that Commit's fsync finds little left to write and the page
// cache holds at most writebackLag+1 chunks (72 MiB) of each upload. A lag
// of two chunks tied the upload to the disk's pace one chunk at a time:
// 175 MiB/s over SFTP where eight gave 297-302, and the vfs alone 650
// MB/s where eight gave 875-890. Without it, the fsync of a
// 1 GiB upload writes the whole GiB after the last byte arrived, and the
// client waits seconds for the close to be answered.
//
// It is an optimisation only: errors are left for fsync to report. It
// serves uploads written through the page cache (the default, and where
// the filesystem has no direct I/O); direct writes need none of it.
type writeback struct {
	started int64 // bytes handed to the kernel for writing
}

// wrote is called after each write, with the file's size so far.
func (wb *writeback) wrote(f *os.File, size int64) {
	for size-wb.started >= writebackChunk {
		syncRange(f, wb.started, writebackChunk, false)
		if wb.started >= writebackLag*writebackChunk {
			syncRange(f, wb.started-writebackLag*writebackChunk, writebackChunk, true)
		}
		wb.started += writebackChunk
	}
}
