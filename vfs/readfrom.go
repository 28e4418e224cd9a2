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
// returns how many bytes it appended. It reads in a goroutine of its own,
// and hashes what it read in another, while the caller's encrypts and
// stores what was read before, so that an upload arriving over TLS keeps
// both cores busy rather than one. At most 2*readFromQueue+3 buffers of
// 256 KiB are held at a time.
//
// An error of r is returned as r returned it (io.EOF ends the upload's
// input and is not an error); an error of the upload is an *Error and
// fails the upload, as a Write's would.
func (u *Upload) ReadFrom(r io.Reader) (int64, error) {
	// What is read can be hashed ahead only if it is exactly what follows
	// the bytes hashed so far: nothing is held back from earlier writes.
	u.mu.Lock()
	hashAhead := u.held == 0
	u.mu.Unlock()

	filled := make(chan readChunk, readFromQueue)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(filled)
		for {
			buf := readFromBuffers.Get().([]byte)
			n, err := iox.Fill(r, buf)
			if !sendChunk(filled, stop, readChunk{buf, n, err}) || err != nil {
				return
			}
		}
	}()
	ready := filled
	if hashAhead {
		hashed := make(chan readChunk, readFromQueue)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(hashed)
			for c := range filled {
				u.hash.Write(c.buf[:c.n])
				if !sendChunk(hashed, stop, c) {
					return
				}
			}
		}()
		ready = hashed
	}
	defer func() {
		close(stop)
		for c := range ready { // what the goroutines still pass on
			readFromBuffers.Put(c.buf)
		}
		wg.Wait()
	}()

	var total int64
	for c := range ready {
		var err error
		if c.n > 0 {
			if hashAhead {
				u.mu.Lock()
				u.prehashed += int64(c.n)
				u.mu.Unlock()
			}
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

// A readChunk is one buffer ReadFrom filled: n bytes, and err as the
// reader returned it.
type readChunk struct {
	buf []byte
	n   int
	err error
}

// sendChunk passes c on, or gives its buffer back and reports false once
// ReadFrom has stopped.
func sendChunk(to chan<- readChunk, stop <-chan struct{}, c readChunk) bool {
	select {
	case to <- c:
		return true
	case <-stop:
		readFromBuffers.Put(c.buf)
		return false
	}
}
