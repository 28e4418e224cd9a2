package vfstest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// rssBytes is the process's resident memory now, from /proc.
func rssBytes() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// peakRSS samples resident memory until stop is called, and returns the
// highest sample.
func peakRSS() (stop func() int64) {
	var mu sync.Mutex
	peak := rssBytes()
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if r := rssBytes(); r > 0 {
					mu.Lock()
					peak = max(peak, r)
					mu.Unlock()
				}
			}
		}
	}()
	return func() int64 {
		close(done)
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// A 2 GiB file streams in and out with the process's memory staying
// under 200 MiB: nothing holds a whole file.
func TestStream2GiB(t *testing.T) {
	if testing.Short() {
		t.Skip("2 GiB transfer; runs without -short")
	}
	const size = 2 << 30
	const limit = 200 << 20
	Both(t, func(t *testing.T, env *Env) {
		env.AddUser(t, "big", "correct horse battery")
		s := env.Session(t, "big", "test")
		chunk := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
		want := sha256.New()

		stop := peakRSS()
		start := time.Now()
		u, err := s.Create(ctx, "/two-gib.bin", nil)
		if err != nil {
			t.Fatal(err)
		}
		for written := 0; written < size; written += len(chunk) {
			chunk[0] = byte(written >> 20) // no two chunks alike
			want.Write(chunk)
			if _, err := u.Write(chunk); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := u.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		upload := time.Since(start)

		start = time.Now()
		f, err := s.Open(ctx, "/two-gib.bin")
		if err != nil {
			t.Fatal(err)
		}
		got := sha256.New()
		n, err := io.CopyBuffer(got, f, make([]byte, 1<<20))
		f.Close()
		download := time.Since(start)
		peak := stop()
		if err != nil || n != size {
			t.Fatalf("read back %d bytes: %v", n, err)
		}
		if !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
			t.Fatal("2 GiB read back differs from what was written")
		}
		t.Logf("%s: 2 GiB up %.0f MiB/s, down %.0f MiB/s, peak RSS %d MiB",
			env.Name, 2048/upload.Seconds(), 2048/download.Seconds(), peak>>20)
		if peak > limit {
			t.Errorf("peak RSS %d MiB, want under %d MiB", peak>>20, limit>>20)
		}
	})
}
