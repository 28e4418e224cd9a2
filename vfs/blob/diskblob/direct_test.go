package diskblob

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"testing"

	"strongroom/vfs/blob"
)

// Uploads of sizes around the direct-I/O chunk read back byte for byte,
// written with direct I/O where the test's folder allows it and through
// the page cache otherwise; an aborted one leaves nothing.
func TestDirectWrites(t *testing.T) {
	for _, pageCache := range []bool{false, true} {
		s, err := Open(t.TempDir(), &Options{DirectIO: !pageCache})
		if err != nil {
			t.Fatal(err)
		}
		for _, size := range []int{0, 1, directChunk - 1, directChunk, directChunk + 1, 3*directChunk + 12345} {
			data := randomBytes(size)
			key := blob.NewKey()
			w, err := s.NewWriter(context.Background(), key)
			if err != nil {
				t.Fatal(err)
			}
			switch dw := w.(*writer).direct; {
			case pageCache && dw != nil:
				t.Fatal("DirectIO off, yet direct I/O in use")
			case !pageCache && dw == nil && size == 0:
				t.Logf("the test folder's filesystem refuses direct I/O: testing the page-cache path twice")
			}
			// Writes of odd sizes, as the encrypting store makes them.
			for rest := data; len(rest) > 0; {
				n := min(len(rest), 65568)
				if _, err := w.Write(rest[:n]); err != nil {
					t.Fatal(err)
				}
				rest = rest[n:]
			}
			if err := w.Commit(); err != nil {
				t.Fatalf("commit of %d bytes: %v", size, err)
			}
			r, err := s.NewRangeReader(context.Background(), key, 0, -1)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			r.Close()
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("PageCache %v: %d bytes read back as %d, %v", pageCache, size, len(got), err)
			}
		}

		w, err := s.NewWriter(context.Background(), blob.NewKey())
		if err != nil {
			t.Fatal(err)
		}
		w.Write(make([]byte, 2*directChunk+5))
		w.Abort()
		left, err := os.ReadDir(s.tmp)
		if err != nil || len(left) != 0 {
			t.Errorf("PageCache %v: after Abort the upload folder holds %d files, %v", pageCache, len(left), err)
		}
	}
}

// Ranges of an object read with direct I/O are the bytes asked for:
// starting inside a chunk, crossing chunks, running to the end or past
// it; and a reader closed halfway stops reading ahead.
func TestDirectReads(t *testing.T) {
	s, err := Open(t.TempDir(), &Options{DirectIO: true})
	if err != nil {
		t.Fatal(err)
	}
	size := 3*directChunk + 777
	data := randomBytes(size)
	key := blob.NewKey()
	w, err := s.NewWriter(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct{ off, n int64 }{
		{0, -1}, {0, 1}, {1, -1}, {directChunk - 1, 2}, {directChunk, directChunk},
		{12345, 2*directChunk + 5}, {int64(size) - 10, -1}, {int64(size) - 10, 100},
		{int64(size), -1}, {int64(size) + directChunk, 10},
	} {
		r, err := s.NewRangeReader(context.Background(), key, tc.off, tc.n)
		if err != nil {
			t.Fatalf("range %d+%d: %v", tc.off, tc.n, err)
		}
		if _, direct := r.(*directReader); !direct && tc.off == 0 && tc.n < 0 {
			t.Logf("the test folder's filesystem refuses direct I/O: testing the page-cache path")
		}
		got, err := io.ReadAll(r)
		if cerr := r.Close(); err == nil {
			err = cerr
		}
		from := min(tc.off, int64(size))
		to := int64(size)
		if tc.n >= 0 {
			to = min(from+tc.n, to)
		}
		if err != nil || !bytes.Equal(got, data[from:to]) {
			t.Errorf("range %d+%d: got %d bytes, %v; want bytes %d to %d", tc.off, tc.n, len(got), err, from, to)
		}
	}

	r, err := s.NewRangeReader(context.Background(), key, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(r, make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("close halfway: %v", err)
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rand.IntN(256))
	}
	return b
}
