package webdav_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"strongroom/protocols/webdav"
	"strongroom/vfs"
	"strongroom/vfs/blob"
	"strongroom/vfs/vfstest"
)

// countingStore is a real blob store that counts the reads made of it.
type countingStore struct {
	blob.Store
	reads atomic.Int64
}

func (c *countingStore) NewRangeReader(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	c.reads.Add(1)
	return c.Store.NewRangeReader(ctx, key, off, n)
}

// TestMetadataOnly checks that PROPFIND, HEAD and a conditional GET that
// answers 304 read no blob, that ETags change exactly when content does,
// and that Content-Type is the type stored at upload.
func TestMetadataOnly(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		blobs := &countingStore{Store: env.Blobs}
		fs := vfs.New(env.Meta, blobs, &vfs.Options{KeyID: "test"})
		reg := prometheus.NewRegistry()
		s := serve(t, fs, &webdav.Options{Metrics: webdav.NewMetrics(reg)}, false)
		env.AddUser(t, "meta", "metadata-password")
		u, pw := "meta", "metadata-password"

		png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 100<<10)...)
		for _, f := range []struct{ path, body string }{
			{"/dav/report.pdf", "%PDF-1.7 a report"},
			{"/dav/picture", string(png)},
			{"/dav/notes.txt", "plain notes"},
		} {
			resp, body := s.do(t, u, pw, "PUT", f.path, strings.NewReader(f.body))
			wantStatus(t, "PUT "+f.path, resp, body, http.StatusCreated)
		}
		blobs.reads.Store(0)

		res := s.propfind(t, u, pw, "/dav/", "1", "")
		head, _ := s.do(t, u, pw, "HEAD", "/dav/picture", nil)
		tag := head.Header.Get("ETag")
		notMod, _ := s.do(t, u, pw, "GET", "/dav/picture", nil, "If-None-Match", tag)
		wantStatus(t, "conditional GET", notMod, "", http.StatusNotModified)
		if n := blobs.reads.Load(); n != 0 {
			t.Errorf("PROPFIND, HEAD and a 304 GET read the blob store %d times, want 0", n)
		}

		types := map[string]string{"/dav/report.pdf": "application/pdf", "/dav/picture": "image/png", "/dav/notes.txt": "text/plain; charset=utf-8"}
		for href, want := range types {
			r := res[href]
			if r == nil {
				t.Fatalf("PROPFIND lists no %s; has %v", href, res)
			}
			if got := r.props["DAV: getcontenttype"]; got != want {
				t.Errorf("%s: getcontenttype %q, want %q", href, got, want)
			}
			resp, _ := s.do(t, u, pw, "HEAD", href, nil)
			if got := resp.Header.Get("Content-Type"); got != want {
				t.Errorf("%s: HEAD Content-Type %q, want %q", href, got, want)
			}
			if r.props["DAV: getetag"] != resp.Header.Get("ETag") {
				t.Errorf("%s: getetag %q and ETag %q differ", href, r.props["DAV: getetag"], resp.Header.Get("ETag"))
			}
		}
		if head.Header.Get("Content-Length") != "102408" {
			t.Errorf("HEAD Content-Length %q, want 102408", head.Header.Get("Content-Length"))
		}

		get, body := s.do(t, u, pw, "GET", "/dav/picture", nil)
		if get.StatusCode != 200 || body != string(png) || blobs.reads.Load() == 0 {
			t.Errorf("GET: got %s, %d bytes, %d blob reads; want the content, read from the blob store", get.Status, len(body), blobs.reads.Load())
		}

		// The ETag follows the content: not properties, not a move.
		etag := func(p string) string {
			resp, _ := s.do(t, u, pw, "HEAD", p, nil)
			return resp.Header.Get("ETag")
		}
		t0 := etag("/dav/notes.txt")
		s.do(t, u, pw, "PROPPATCH", "/dav/notes.txt", strings.NewReader(`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:a xmlns:x="urn:x">1</x:a></D:prop></D:set></D:propertyupdate>`))
		if got := etag("/dav/notes.txt"); got != t0 {
			t.Errorf("ETag after PROPPATCH: got %q, want %q", got, t0)
		}
		s.do(t, u, pw, "MOVE", "/dav/notes.txt", nil, "Destination", s.url+"moved.txt")
		if got := etag("/dav/moved.txt"); got != t0 {
			t.Errorf("ETag after MOVE: got %q, want %q", got, t0)
		}
		s.do(t, u, pw, "PUT", "/dav/moved.txt", strings.NewReader("plain notes"))
		if got := etag("/dav/moved.txt"); got == t0 || got == "" {
			t.Errorf("ETag after a PUT of the same bytes: got %q, want a new one (a new version)", got)
		}

		// Every request was counted.
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		counted := map[string]float64{}
		for _, mf := range mfs {
			if mf.GetName() != "strongroom_webdav_requests_total" {
				continue
			}
			for _, m := range mf.GetMetric() {
				key := ""
				for _, l := range m.GetLabel() {
					key += l.GetName() + "=" + l.GetValue() + " "
				}
				counted[strings.TrimSpace(key)] = m.GetCounter().GetValue()
			}
		}
		for key, want := range map[string]float64{"code=201 method=PUT": 3, "code=304 method=GET": 1, "code=207 method=PROPFIND": 1} {
			if counted[key] != want {
				t.Errorf("requests counted for %s: got %v, want %v (all: %v)", key, counted[key], want, counted)
			}
		}
	})
}

// TestTwoNodes serves one pair of stores from two handlers, as two
// gateway nodes behind a load balancer would: a lock taken on one holds
// on the other.
func TestTwoNodes(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		env.AddUser(t, "n", "nodes-password")
		a := serve(t, env.FS, nil, false)
		b := serve(t, vfs.New(env.Meta, env.Blobs, &vfs.Options{KeyID: env.KeyID, ClearBlobs: env.Base}), nil, false)
		u, pw := "n", "nodes-password"

		a.do(t, u, pw, "PUT", "/dav/shared.txt", strings.NewReader("v1"))
		tok := a.lockToken(t, u, pw, "/dav/shared.txt", http.StatusOK)
		resp, body := b.do(t, u, pw, "PUT", "/dav/shared.txt", strings.NewReader("v2"))
		wantStatus(t, "PUT on the other node without the token", resp, body, http.StatusLocked)
		resp, body = b.do(t, u, pw, "PUT", "/dav/shared.txt", strings.NewReader("v2"), "If", "(<"+tok+">)")
		wantStatus(t, "PUT on the other node with the token", resp, body, http.StatusNoContent)
		resp, body = b.do(t, u, pw, "LOCK", "/dav/shared.txt", nil, "If", "(<"+tok+">)", "Timeout", "Second-600")
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Second-600") {
			t.Errorf("refresh on the other node: got %s\n%s\nwant 200 and a 600 s timeout", resp.Status, body)
		}
		resp, body = b.do(t, u, pw, "UNLOCK", "/dav/shared.txt", nil, "Lock-Token", "<"+tok+">")
		wantStatus(t, "UNLOCK on the other node", resp, body, http.StatusNoContent)
		resp, body = a.do(t, u, pw, "DELETE", "/dav/shared.txt", nil)
		wantStatus(t, "DELETE once unlocked", resp, body, http.StatusNoContent)
	})
}
