// Package blobtest is the behaviour suite every blob.Store runs: what
// package blob promises about writing, reading ranges, aborting, deleting
// and walking, checked the same way for each back end, so that the
// embedded default and the production stores cannot drift apart.
package blobtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"strongroom/vfs/blob"
)

// pkg is the size of the packages cryptblob encrypts in; several cases
// sit on its boundaries, where range arithmetic goes wrong first.
const pkg = 64 << 10

// Run runs the suite. newStore must return a new, empty store each time
// it is called, and clean up whatever the store leaves behind when t
// ends; Run closes the store itself.
func Run(t *testing.T, newStore func(t *testing.T) blob.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, blob.Store)
	}{
		{"WriteRead", testWriteRead},
		{"Large", testLarge},
		{"Ranges", testRanges},
		{"RangesAligned", testRangesAligned},
		{"Empty", testEmpty},
		{"InvisibleUntilCommit", testInvisibleUntilCommit},
		{"Abort", testAbort},
		{"WriterLifecycle", testWriterLifecycle},
		{"CanceledWrite", testCanceledWrite},
		{"Missing", testMissing},
		{"Delete", testDelete},
		{"Walk", testWalk},
		{"WalkStops", testWalkStops},
		{"InvalidKey", testInvalidKey},
		{"Concurrent", testConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tt.fn(t, s)
		})
	}
}

// Data returns n bytes of reproducible noise for seed.
func Data(seed uint64, n int) []byte {
	var s [32]byte
	s[0] = byte(seed)
	s[1] = byte(seed >> 8)
	b := make([]byte, n)
	rand.NewChaCha8(s).Read(b)
	return b
}

// writeSizes are the lengths of successive Write calls: odd sizes, and
// sizes that straddle a package, so that no store gets aligned input.
var writeSizes = []int{1, 3, 17, 4093, pkg - 15, 1, pkg, 2*pkg - 1, 7}

// Put writes data under key in Write calls of odd sizes and commits it.
func Put(t testing.TB, s blob.Store, key string, data []byte) {
	t.Helper()
	w, err := s.NewWriter(context.Background(), key)
	if err != nil {
		t.Fatalf("NewWriter(%s): %v", key, err)
	}
	defer w.Abort()
	for i := 0; len(data) > 0; i++ {
		n := min(writeSizes[i%len(writeSizes)], len(data))
		if m, err := w.Write(data[:n]); err != nil || m != n {
			t.Fatalf("Write(%d bytes) = %d, %v", n, m, err)
		}
		data = data[n:]
	}
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit(%s): %v", key, err)
	}
}

// Get reads length bytes of key from offset.
func Get(s blob.Store, key string, offset, length int64) ([]byte, error) {
	r, err := s.NewRangeReader(context.Background(), key, offset, length)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	return b, err
}

func testWriteRead(t *testing.T, s blob.Store) {
	data := Data(1, 3*pkg+12345)
	key := blob.NewKey()
	Put(t, s, key, data)

	got, err := Get(s, key, 0, -1)
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, not the %d written (first difference at %d)",
			len(got), len(data), firstDiff(got, data))
	}
}

// testLarge writes an object of several MiB, past what a store might
// buffer before it streams (s3blob sends up to 1 MiB in one request).
func testLarge(t *testing.T, s blob.Store) {
	n := int64(5<<20 + 12345)
	checkRanges(t, s, Data(8, int(n)), []rangeCase{
		{"Whole", 0, -1},
		{"AcrossFirstMiB", 1<<20 - 100, 200},
		{"Middle", 3<<20 + 7, 3 * pkg},
		{"Tail", n - pkg - 1, -1},
	})
}

type rangeCase struct {
	name           string
	offset, length int64
}

// checkRanges reads each case from an object holding data and compares
// it with the same slice of data.
func checkRanges(t *testing.T, s blob.Store, data []byte, cases []rangeCase) {
	key := blob.NewKey()
	Put(t, s, key, data)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Get(s, key, c.offset, c.length)
			if err != nil {
				t.Fatalf("range (%d, %d): %v", c.offset, c.length, err)
			}
			want := slice(data, c.offset, c.length)
			if !bytes.Equal(got, want) {
				t.Fatalf("range (%d, %d): got %d bytes, want %d (first difference at %d)",
					c.offset, c.length, len(got), len(want), firstDiff(got, want))
			}
		})
	}
}

func testRanges(t *testing.T, s blob.Store) {
	n := int64(3*pkg + 1000)
	checkRanges(t, s, Data(2, int(n)), []rangeCase{
		{"Start", 0, 100},
		{"Whole", 0, -1},
		{"WholeExact", 0, n},
		{"Middle", 100000, 5000},
		{"BeforeBoundary", pkg - 1, 1},
		{"AtBoundary", pkg, 1},
		{"AfterBoundary", pkg + 1, 1},
		{"AcrossBoundary", pkg - 6, 12},
		{"AcrossTwoBoundaries", pkg - 1, pkg + 3},
		{"BoundaryToEnd", pkg, -1},
		{"SecondBoundaryToEnd", 2 * pkg, -1},
		{"MiddleToEnd", 70000, -1},
		{"LastByte", n - 1, 1},
		{"LastByteToEnd", n - 1, -1},
		{"ClippedAtEnd", n - 10, 100},
		{"AtEnd", n, 10},
		{"AtEndToEnd", n, -1},
		{"PastEnd", n + 1, 10},
		{"FarPastEnd", n + 10*pkg, -1},
		{"ZeroLength", 1000, 0},
		{"ZeroLengthAtStart", 0, 0},
		{"ZeroLengthPastEnd", n + 5, 0},
	})

	key := blob.NewKey()
	Put(t, s, key, []byte("x"))
	if _, err := Get(s, key, -1, 1); err == nil {
		t.Errorf("range (-1, 1): no error, want one for a negative offset")
	}
}

// testRangesAligned reads an object that ends exactly on a package
// boundary, where "the end" and "the start of a package" coincide.
func testRangesAligned(t *testing.T, s blob.Store) {
	n := int64(2 * pkg)
	checkRanges(t, s, Data(3, int(n)), []rangeCase{
		{"Whole", 0, -1},
		{"BoundaryToEnd", pkg, -1},
		{"LastByte", n - 1, -1},
		{"AtEnd", n, -1},
		{"AtEndWithLength", n, 10},
		{"OnePackagePastEnd", n + pkg, -1},
		{"LastPackageExact", pkg, pkg},
		{"LastPackageAndMore", pkg, pkg + 1},
	})
}

func testEmpty(t *testing.T, s blob.Store) {
	checkRanges(t, s, nil, []rangeCase{
		{"Whole", 0, -1},
		{"WithLength", 0, 10},
		{"PastEnd", 5, -1},
		{"FarPastEnd", 10 * pkg, 1},
		{"ZeroLength", 0, 0},
	})
}

func testInvisibleUntilCommit(t *testing.T, s blob.Store) {
	ctx := context.Background()
	key := blob.NewKey()
	w, err := s.NewWriter(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if _, err := w.Write(Data(4, 100000)); err != nil {
		t.Fatal(err)
	}

	if _, err := Get(s, key, 0, -1); !errors.Is(err, blob.ErrNotExist) {
		t.Errorf("read before Commit: %v, want ErrNotExist", err)
	}
	if keys := walk(t, s); len(keys) != 0 {
		t.Errorf("Walk before Commit lists %v, want nothing", keys)
	}

	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := Get(s, key, 0, -1); err != nil {
		t.Errorf("read after Commit: %v", err)
	}
}

func testAbort(t *testing.T, s blob.Store) {
	ctx := context.Background()
	key := blob.NewKey()
	w, err := s.NewWriter(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(Data(5, 3*pkg)); err != nil {
		t.Fatal(err)
	}
	w.Abort()
	w.Abort() // a second Abort does nothing

	if _, err := Get(s, key, 0, -1); !errors.Is(err, blob.ErrNotExist) {
		t.Errorf("read after Abort: %v, want ErrNotExist", err)
	}
	if keys := walk(t, s); len(keys) != 0 {
		t.Errorf("Walk after Abort lists %v, want nothing", keys)
	}
}

func testWriterLifecycle(t *testing.T, s blob.Store) {
	ctx := context.Background()

	t.Run("CommitAfterAbort", func(t *testing.T) {
		key := blob.NewKey()
		w, err := s.NewWriter(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("aborted"))
		w.Abort()
		if err := w.Commit(); err == nil {
			t.Errorf("Commit after Abort: no error")
		}
		if _, err := w.Write([]byte("more")); err == nil {
			t.Errorf("Write after Abort: no error")
		}
		if _, err := Get(s, key, 0, -1); !errors.Is(err, blob.ErrNotExist) {
			t.Errorf("read: %v, want ErrNotExist", err)
		}
	})

	t.Run("AbortAfterCommit", func(t *testing.T) {
		key := blob.NewKey()
		w, err := s.NewWriter(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("kept"))
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		w.Abort()
		if err := w.Commit(); err == nil {
			t.Errorf("second Commit: no error")
		}
		if _, err := w.Write([]byte("more")); err == nil {
			t.Errorf("Write after Commit: no error")
		}
		got, err := Get(s, key, 0, -1)
		if err != nil || string(got) != "kept" {
			t.Errorf("read after Abort of a committed writer: %q, %v; want \"kept\"", got, err)
		}
	})
}

// testCanceledWrite checks that canceling the writer's context fails the
// upload rather than committing part of it.
func testCanceledWrite(t *testing.T, s blob.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	key := blob.NewKey()
	w, err := s.NewWriter(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if _, err := w.Write(Data(6, 1000)); err != nil {
		t.Fatal(err)
	}
	cancel()

	_, werr := w.Write(Data(7, 1000))
	cerr := w.Commit()
	if werr == nil && cerr == nil {
		t.Fatalf("Write and Commit after cancel both succeeded")
	}
	w.Abort()
	if _, err := Get(s, key, 0, -1); !errors.Is(err, blob.ErrNotExist) {
		t.Errorf("read: %v, want ErrNotExist", err)
	}
}

func testMissing(t *testing.T, s blob.Store) {
	ctx := context.Background()
	key := blob.NewKey()
	for _, c := range []rangeCase{{"Whole", 0, -1}, {"Range", 10, 5}, {"ZeroLength", 0, 0}} {
		t.Run(c.name, func(t *testing.T) {
			r, err := s.NewRangeReader(ctx, key, c.offset, c.length)
			if err == nil {
				r.Close()
			}
			if !errors.Is(err, blob.ErrNotExist) {
				t.Errorf("NewRangeReader(missing, %d, %d): %v, want ErrNotExist", c.offset, c.length, err)
			}
		})
	}
}

func testDelete(t *testing.T, s blob.Store) {
	ctx := context.Background()
	key := blob.NewKey()
	if err := s.Delete(ctx, key); err != nil {
		t.Errorf("Delete(missing): %v, want nil", err)
	}

	Put(t, s, key, []byte("to be deleted"))
	other := blob.NewKey()
	Put(t, s, other, []byte("to be kept"))
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := Get(s, key, 0, -1); !errors.Is(err, blob.ErrNotExist) {
		t.Errorf("read after Delete: %v, want ErrNotExist", err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Errorf("second Delete: %v, want nil", err)
	}
	if got, err := Get(s, other, 0, -1); err != nil || string(got) != "to be kept" {
		t.Errorf("other object after Delete: %q, %v", got, err)
	}
}

func testWalk(t *testing.T, s blob.Store) {
	start := time.Now()
	want := map[string]bool{}
	for i := range 5 {
		key := blob.NewKey()
		Put(t, s, key, Data(uint64(10+i), i*1000))
		want[key] = true
	}
	deleted := blob.NewKey()
	Put(t, s, deleted, []byte("gone"))
	if err := s.Delete(context.Background(), deleted); err != nil {
		t.Fatal(err)
	}
	aborted := blob.NewKey()
	w, err := s.NewWriter(context.Background(), aborted)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("never committed"))
	defer w.Abort()

	got := map[string]bool{}
	err = s.Walk(context.Background(), func(key string, written time.Time) error {
		if got[key] {
			t.Errorf("Walk lists %s twice", key)
		}
		got[key] = true
		// Server clocks may differ from ours by a little; not by a day.
		if written.Before(start.Add(-24*time.Hour)) || written.After(time.Now().Add(24*time.Hour)) {
			t.Errorf("Walk: %s written at %v, want about %v", key, written, start)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	for key := range want {
		if !got[key] {
			t.Errorf("Walk does not list committed object %s", key)
		}
	}
	for key := range got {
		if !want[key] {
			t.Errorf("Walk lists %s, which is not a committed object", key)
		}
	}
}

func testWalkStops(t *testing.T, s blob.Store) {
	for range 3 {
		Put(t, s, blob.NewKey(), []byte("x"))
	}
	stop := errors.New("stop here")
	calls := 0
	err := s.Walk(context.Background(), func(string, time.Time) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) {
		t.Errorf("Walk returned %v, want the error fn returned", err)
	}
	if calls != 1 {
		t.Errorf("Walk called fn %d times after it returned an error, want 1", calls)
	}
}

func testInvalidKey(t *testing.T, s blob.Store) {
	ctx := context.Background()
	for _, key := range []string{
		"",
		"tmp",
		"../../../../../../../etc/passwd",
		"0123456789abcdef0123456789abcde",   // 31 digits
		"0123456789abcdef0123456789abcdef0", // 33 digits
		"0123456789ABCDEF0123456789ABCDEF",  // upper case
		"0123456789abcdef0123456789abcdeg",
		"01/23456789abcdef0123456789abcde",
		"../3456789abcdef0123456789abcdef",
		"0123456789abcdef0123456789abcd\x00f",
	} {
		if w, err := s.NewWriter(ctx, key); err == nil {
			w.Abort()
			t.Errorf("NewWriter(%q): no error", key)
		}
		if r, err := s.NewRangeReader(ctx, key, 0, -1); err == nil {
			r.Close()
			t.Errorf("NewRangeReader(%q): no error", key)
		}
		if err := s.Delete(ctx, key); err == nil {
			t.Errorf("Delete(%q): no error", key)
		}
	}
}

func testConcurrent(t *testing.T, s blob.Store) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			key := blob.NewKey()
			data := Data(uint64(100+i), pkg+i*777)
			w, err := s.NewWriter(context.Background(), key)
			if err != nil {
				t.Errorf("NewWriter: %v", err)
				return
			}
			defer w.Abort()
			for p := data; len(p) > 0; {
				n := min(len(p), 1000+i)
				if _, err := w.Write(p[:n]); err != nil {
					t.Errorf("Write: %v", err)
					return
				}
				p = p[n:]
			}
			if err := w.Commit(); err != nil {
				t.Errorf("Commit: %v", err)
				return
			}
			got, err := Get(s, key, 0, -1)
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("writer %d: read back %d bytes, %v; want %d bytes", i, len(got), err, len(data))
			}
		})
	}
	wg.Wait()
}

func walk(t *testing.T, s blob.Store) []string {
	t.Helper()
	var keys []string
	err := s.Walk(context.Background(), func(key string, _ time.Time) error {
		keys = append(keys, key)
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	return keys
}

// slice is what a range read of data should return.
func slice(data []byte, offset, length int64) []byte {
	n := int64(len(data))
	if offset >= n {
		return []byte{}
	}
	end := n
	if length >= 0 && offset+length < n {
		end = offset + length
	}
	return data[offset:end]
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
