// Package iox holds the one reading helper that the protocols and the vfs
// share and that the standard library does not have.
package iox

import "io"

// Fill reads from r until buf is full or r fails. Unlike io.ReadFull it
// returns r's error as it is, so that io.EOF means only that r ended
// where it meant to: a request body cut short (io.ErrUnexpectedEOF from
// net/http) is never taken for a complete one, as io.ReadFull would
// take a body that ends short of a full buffer.
func Fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
