package vfstest

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// The benchmarks run on both store pairs, with encryption, versions and
// audit on, as the server runs. Figures are in docs/PERFORMANCE.md.
//
//	go test -run '^$' -bench . -benchtime 1x ./vfs/vfstest/   # 1 GiB once
//	go test -run '^$' -bench SmallFiles -benchtime 2000x ./vfs/vfstest/
func benchEnvs(b *testing.B, fn func(b *testing.B, env *Env)) {
	b.Run("embedded", func(b *testing.B) { fn(b, Embedded(b)) })
	b.Run("production", func(b *testing.B) { fn(b, Production(b)) })
}

// BenchmarkSmallFiles creates and commits 4 KiB files, each durable and
// audited when Commit returns. ns/op is the cost of one file.
func BenchmarkSmallFiles(b *testing.B) {
	benchEnvs(b, func(b *testing.B, env *Env) {
		env.AddUser(b, "bench", "correct horse battery")
		s := env.Session(b, "bench", "bench")
		data := bytes.Repeat([]byte("x"), 4096)
		b.SetBytes(int64(len(data)))
		b.ResetTimer()
		for i := range b.N {
			put(b, s, fmt.Sprintf("/f%07d", i), data)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "files/s")
	})
}

// BenchmarkWrite1GiB streams 1 GiB into one file per iteration.
func BenchmarkWrite1GiB(b *testing.B) {
	benchEnvs(b, func(b *testing.B, env *Env) {
		env.AddUser(b, "bench", "correct horse battery")
		s := env.Session(b, "bench", "bench")
		chunk := bytes.Repeat([]byte("0123456789abcdef"), 1<<14) // 256 KiB
		b.SetBytes(1 << 30)
		b.ResetTimer()
		for i := range b.N {
			u, err := s.Create(ctx, fmt.Sprintf("/big%d", i), nil)
			if err != nil {
				b.Fatal(err)
			}
			for n := 0; n < 1<<30; n += len(chunk) {
				if _, err := u.Write(chunk); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := u.Commit(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRead1GiB reads a 1 GiB file per iteration.
func BenchmarkRead1GiB(b *testing.B) {
	benchEnvs(b, func(b *testing.B, env *Env) {
		env.AddUser(b, "bench", "correct horse battery")
		s := env.Session(b, "bench", "bench")
		u, err := s.Create(ctx, "/big", nil)
		if err != nil {
			b.Fatal(err)
		}
		chunk := bytes.Repeat([]byte("0123456789abcdef"), 1<<14)
		for n := 0; n < 1<<30; n += len(chunk) {
			u.Write(chunk)
		}
		if _, err := u.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		buf := make([]byte, 256<<10)
		b.SetBytes(1 << 30)
		b.ResetTimer()
		for range b.N {
			f, err := s.Open(ctx, "/big")
			if err != nil {
				b.Fatal(err)
			}
			if n, err := io.CopyBuffer(io.Discard, f, buf); err != nil || n != 1<<30 {
				b.Fatalf("read %d: %v", n, err)
			}
			f.Close()
		}
	})
}
