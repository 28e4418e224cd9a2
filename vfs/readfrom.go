package vfs

import (
	"io"
	"sync"

	"strongroom/internal/iox"
)

// readFromBuffer is the size of the reads ReadFrom makes, and
// readFromQueue how many filled buffers may wait to be written.
const (
	readFromBuffer = 256 << 10
	readFromQueue  = 3
)

var readFromBuffers = sync.Pool{New: func() any { return make([]byte, readFromBuffer) }}

// ReadFrom appends everything r yields after what was written so far, and
// returns how many bytes it appended. It reads in a goroutine of its own
// while the caller's hashes, encrypts and stores what was read before, so
// that an upload arriving over TLS keeps two cores busy rather than one.
// At most readFromQueue+2 buffers of 256 KiB are held at a time.
//
// An error of r is returned as r returned it (io.EOF ends the upload's
// input and is not an error); an error of the upload is an *Error and
// fails the upload, as a Write's would.
func (u *Upload) ReadFrom(r io.Reader) (int64, error) {
	type chunk struct {
		buf []byte
		n   int
		err error
	}
	filled := make(chan chunk, readFromQueue)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(filled)
		for {
			buf := readFromBuffers.Get().([]byte)
			n, err := iox.Fill(r, buf)
			select {
			case filled <- chunk{buf, n, err}:
			case <-stop:
				readFromBuffers.Put(buf)
				return
			}
			if err != nil {
				return
			}
		}
	}()
	defer wg.Wait()
	defer close(stop)

	var total int64
	for c := range filled {
		var err error
		if c.n > 0 {
			_, err = u.Write(c.buf[:c.n])
		}
		readFromBuffers.Put(c.buf)
		switch {
		case err != nil:
			return total, err
		case c.err == io.EOF:
			return total + int64(c.n), nil
		case c.err != nil:
			return total + int64(c.n), c.err
		}
		total += int64(c.n)
	}
	return total, nil
}
