package cryptblob_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"strongroom/vfs/blob"
	"strongroom/vfs/blob/cryptblob"
)

// memoryBound is what one transfer may hold in memory, of the design's
// "a 10 GiB file streams through".
const memoryBound = 100 << 20

// TestMemoryBound streams 1 GiB, generated as it goes, through an
// encrypting S3 writer and back through a reader, and checks that the
// heap stays under memoryBound throughout. It takes a while; -short
// skips it.
func TestMemoryBound(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 1 GiB through S3")
	}
	const size = 1 << 30
	ctx := context.Background()
	s := cryptblob.New(s3Store(t), keyring(t, newKey(t)))
	key := blob.NewKey()
	defer s.Delete(ctx, key)

	runtime.GC()
	m := sampleMemory()
	start := time.Now()
	w, err := s.NewWriter(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	src := rand.NewChaCha8([32]byte{1})
	sum := sha256.New()
	buf := make([]byte, 32<<10)
	for n := 0; n < size; n += len(buf) {
		src.Read(buf)
		sum.Write(buf)
		if _, err := w.Write(buf); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	wrote := time.Since(start)

	start = time.Now()
	r, err := s.NewRangeReader(ctx, key, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	back := sha256.New()
	n, err := io.CopyBuffer(back, struct{ io.Reader }{r}, buf)
	if err != nil || n != size {
		t.Fatalf("read back %d bytes, %v; want %d", n, err, size)
	}
	read := time.Since(start)
	heap, sys := m.stop()

	if !bytes.Equal(back.Sum(nil), sum.Sum(nil)) {
		t.Errorf("read back other bytes than were written")
	}
	t.Logf("1 GiB: write %v (%.0f MB/s), read %v (%.0f MB/s); peak heap in use %.1f MiB, peak from OS %.1f MiB",
		wrote.Round(time.Millisecond), size/1e6/wrote.Seconds(), read.Round(time.Millisecond), size/1e6/read.Seconds(),
		float64(heap)/(1<<20), float64(sys)/(1<<20))
	if heap > memoryBound {
		t.Errorf("peak heap in use %d MiB, want under %d MiB", heap>>20, memoryBound>>20)
	}
}

type memorySampler struct {
	done      chan struct{}
	wg        sync.WaitGroup
	heap, sys uint64 // peaks
}

// sampleMemory records the peak of the heap in use, and of the memory
// taken from the operating system, every few milliseconds until stop.
func sampleMemory() *memorySampler {
	m := &memorySampler{done: make(chan struct{})}
	m.wg.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			m.heap = max(m.heap, ms.HeapInuse)
			m.sys = max(m.sys, ms.Sys)
			select {
			case <-m.done:
				return
			case <-tick.C:
			}
		}
	})
	return m
}

func (m *memorySampler) stop() (heap, sys uint64) {
	close(m.done)
	m.wg.Wait()
	return m.heap, m.sys
}
