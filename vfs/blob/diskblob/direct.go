package diskblob

import (
	"os"
	"sync"
	"unsafe"
)

// directChunk is the size of the writes an upload makes with direct I/O:
// a multiple of every block size, large enough that the disk streams.
const directChunk = 1 << 20

// directAlign is the alignment direct I/O wants of a buffer's address.
const directAlign = 4096

var directBuffers = sync.Pool{New: func() any {
	b := make([]byte, directChunk+directAlign)
	off := directAlign - int(uintptr(unsafe.Pointer(&b[0]))&(directAlign-1))
	return b[off : off+directChunk]
}}

// directWriter writes an upload's file with O_DIRECT (Options.DirectIO),
// bypassing the page cache: the kernel neither copies each byte into
// memory it must later write back nor keeps a gigabyte upload's pages
// around afterwards, which was a third of the CPU a large upload cost. Direct writes must be
// aligned chunks, so bytes are gathered into a chunk, and while one chunk
// is being written the next fills: the disk and the CPU work at once.
// The last, partial chunk is written with direct I/O turned off.
type directWriter struct {
	f    *os.File
	buf  []byte // the chunk filling
	n    int    // bytes in buf
	busy chan error
	// inflight is true while a chunk is being written by the goroutine
	// that reports on busy.
	inflight bool
}

func newDirectWriter(f *os.File) *directWriter {
	return &directWriter{f: f, buf: directBuffers.Get().([]byte), busy: make(chan error, 1)}
}

// write gathers p, writing each chunk it fills.
func (d *directWriter) write(p []byte) error {
	for len(p) > 0 {
		k := copy(d.buf[d.n:], p)
		d.n += k
		p = p[k:]
		if d.n == len(d.buf) {
			if err := d.flushChunk(); err != nil {
				return err
			}
		}
	}
	return nil
}

// flushChunk starts writing the full chunk and gives the writer a fresh
// one, once the chunk before has been written.
func (d *directWriter) flushChunk() error {
	if err := d.wait(); err != nil {
		return err
	}
	full := d.buf
	d.buf, d.n, d.inflight = directBuffers.Get().([]byte), 0, true
	go func() {
		_, err := d.f.Write(full)
		directBuffers.Put(full)
		d.busy <- err
	}()
	return nil
}

// wait waits for the chunk being written, if any.
func (d *directWriter) wait() error {
	if !d.inflight {
		return nil
	}
	d.inflight = false
	return <-d.busy
}

// finish writes what is left, without direct I/O, and releases the
// buffers. The caller syncs the file.
func (d *directWriter) finish() error {
	err := d.wait()
	if err == nil && d.n > 0 {
		if !setDirect(d.f, false) {
			err = errDirectOff
		} else {
			_, err = d.f.Write(d.buf[:d.n])
		}
	}
	d.release()
	return err
}

// release waits for the chunk being written and returns the buffer.
func (d *directWriter) release() {
	d.wait()
	if d.buf != nil {
		directBuffers.Put(d.buf)
		d.buf = nil
	}
}
