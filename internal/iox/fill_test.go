package iox

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestFill(t *testing.T) {
	buf := make([]byte, 8)
	n, err := Fill(iotest.OneByteReader(strings.NewReader("abcdefghij")), buf)
	if n != 8 || err != nil || string(buf) != "abcdefgh" {
		t.Errorf("a long reader: %d, %v, %q; want 8 bytes and no error", n, err, buf[:n])
	}
	n, err = Fill(strings.NewReader("abc"), buf)
	if n != 3 || err != io.EOF {
		t.Errorf("a short reader: %d, %v; want 3 and io.EOF", n, err)
	}
	n, err = Fill(io.MultiReader(strings.NewReader("ab"), iotest.ErrReader(io.ErrUnexpectedEOF)), buf)
	if n != 2 || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a reader cut short: %d, %v; want 2 and its own io.ErrUnexpectedEOF", n, err)
	}
}
