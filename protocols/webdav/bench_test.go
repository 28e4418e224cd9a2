package webdav_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"strongroom/protocols/webdav"
	"strongroom/vfs/vfstest"
)

// benchServer is a Handler over the embedded stores on HTTPS, with one
// user, for benchmarks: go test -run '^$' -bench . ./protocols/webdav/
func benchServer(b *testing.B) (*httptest.Server, func(method, path string, body io.Reader) *http.Response) {
	env := vfstest.Embedded(b)
	env.AddUser(b, "bench", "bench passphrase")
	ts := httptest.NewUnstartedServer(webdav.New(env.FS, slog.New(slog.NewTextHandler(io.Discard, nil)), nil))
	ts.StartTLS()
	b.Cleanup(ts.Close)
	client := ts.Client()
	do := func(method, path string, body io.Reader) *http.Response {
		req, err := http.NewRequest(method, ts.URL+"/dav"+path, body)
		if err != nil {
			b.Fatal(err)
		}
		req.SetBasicAuth("bench", "bench passphrase")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			b.Fatalf("%s %s: %s", method, path, resp.Status)
		}
		return resp
	}
	return ts, do
}

// BenchmarkPutGet256MiB measures one large PUT and GET over TLS.
func BenchmarkPutGet256MiB(b *testing.B) {
	_, do := benchServer(b)
	data := make([]byte, 256<<20)
	rand.Read(data)
	b.Run("PUT", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for i := 0; i < b.N; i++ {
			do("PUT", "/big", bytes.NewReader(data))
		}
	})
	b.Run("GET", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for i := 0; i < b.N; i++ {
			do("GET", "/big", nil)
		}
	})
}

// BenchmarkSmallPut measures PUTs of 4 KiB files, one after another on
// one keep-alive connection.
func BenchmarkSmallPut(b *testing.B) {
	_, do := benchServer(b)
	data := make([]byte, 4096)
	rand.Read(data)
	do("MKCOL", "/small/", nil)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		do("PUT", fmt.Sprintf("/small/f%d", i), bytes.NewReader(data))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "files/s")
}
