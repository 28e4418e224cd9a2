package webdav_test

import (
	"crypto/rand"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"strongroom/protocols/webdav"
	"strongroom/vfs/vfstest"
)

func BenchmarkCurl1GiB(b *testing.B) {
	env := vfstest.Embedded(b)
	env.AddUser(b, "bench", "bench passphrase")
	ts := httptest.NewUnstartedServer(webdav.New(env.FS, slog.New(slog.NewTextHandler(io.Discard, nil)), nil))
	ts.StartTLS()
	defer ts.Close()
	src := filepath.Join(b.TempDir(), "big")
	f, _ := os.Create(src)
	io.CopyN(f, rand.Reader, 1<<30)
	f.Close()
	run := func(args ...string) {
		out, err := exec.Command("curl", append([]string{"-sSkf", "-u", "bench:bench passphrase", "-o", "/dev/null"}, args...)...).CombinedOutput()
		if err != nil {
			b.Fatalf("curl: %v %s", err, out)
		}
	}
	b.Run("PUT", func(b *testing.B) {
		b.SetBytes(1 << 30)
		for i := 0; i < b.N; i++ {
			run("-T", src, ts.URL+"/dav/big")
		}
	})
	b.Run("GET", func(b *testing.B) {
		run("-T", src, ts.URL+"/dav/big")
		b.ResetTimer()
		b.SetBytes(1 << 30)
		for i := 0; i < b.N; i++ {
			run(ts.URL + "/dav/big")
		}
	})
}
