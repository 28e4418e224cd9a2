package blobtest

import (
	"context"
	"io"
	"testing"

	"strongroom/vfs/blob"
)

// BenchObjectSize is the size of the object each benchmark iteration
// writes or reads: large enough that per-object costs (a manifest,
// upload, an fsync) do not dominate the figure.
const BenchObjectSize = 64 << 20

// benchWriteSize is the length of each Write call, the size of the
// buffers io.Copy and the SFTP server hand to a writer.
const benchWriteSize = 32 << 10

// BenchmarkWrite streams one BenchObjectSize object into s per iteration
// and deletes it again outside the timer. It reports MB/s.
func BenchmarkWrite(b *testing.B, s blob.Store) {
	ctx := context.Background()
	block := Data(1, 1<<20)
	b.SetBytes(BenchObjectSize)
	b.ReportAllocs()
	for b.Loop() {
		key := blob.NewKey()
		w, err := s.NewWriter(ctx, key)
		if err != nil {
			b.Fatal(err)
		}
		for n := 0; n < BenchObjectSize; n += benchWriteSize {
			off := n % len(block)
			if _, err := w.Write(block[off : off+benchWriteSize]); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Commit(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := s.Delete(ctx, key); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkRead writes one BenchObjectSize object and reads it whole per
// iteration. It reports MB/s.
func BenchmarkRead(b *testing.B, s blob.Store) {
	ctx := context.Background()
	key := blob.NewKey()
	Put(b, s, key, Data(2, BenchObjectSize))
	defer s.Delete(ctx, key)

	buf := make([]byte, benchWriteSize)
	b.SetBytes(BenchObjectSize)
	b.ReportAllocs()
	for b.Loop() {
		r, err := s.NewRangeReader(ctx, key, 0, -1)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, buf)
		r.Close()
		if err != nil || n != BenchObjectSize {
			b.Fatalf("read %d bytes, %v; want %d", n, err, BenchObjectSize)
		}
	}
}
