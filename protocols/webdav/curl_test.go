package webdav_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"strongroom/vfs/vfstest"
)

// curlRun is one curl run: the status it printed and the reply.
type curlRun struct {
	status  int
	headers string
	body    []byte
}

// curl runs curl against the test server, trusting its certificate.
func curl(t *testing.T, bin, user, pass string, args ...string) curlRun {
	t.Helper()
	r, err := curlErr(t.TempDir(), bin, user, pass, args...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// curlErr is curl for use off the test's goroutine.
func curlErr(dir, bin, user, pass string, args ...string) (curlRun, error) {
	hdr, body := filepath.Join(dir, "headers"), filepath.Join(dir, "body")
	base := []string{"-sS", "-k", "-u", user + ":" + pass, "-D", hdr, "-o", body, "-w", "%{http_code}"}
	out, err := exec.CommandContext(context.Background(), bin, append(base, args...)...).CombinedOutput()
	if err != nil {
		return curlRun{}, fmt.Errorf("curl %v: %v\n%s", args, err, out)
	}
	code, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		return curlRun{}, fmt.Errorf("curl %v printed %q, want a status code", args, out)
	}
	h, _ := os.ReadFile(hdr)
	b, _ := os.ReadFile(body)
	return curlRun{status: code, headers: string(h), body: b}, nil
}

// header returns the value of a header curl saved.
func (c curlRun) header(name string) string {
	for _, l := range strings.Split(c.headers, "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// TestCurl drives the handler with curl: ranges, conditional GET and
// PUT, and two PUTs at once, which must both become versions.
func TestCurl(t *testing.T) {
	bin := need(t, "curl")
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		env.AddUser(t, "cu", "curl-password")
		s := serve(t, env.FS, nil, false)
		u, pw := "cu", "curl-password"
		dir := t.TempDir()
		data := make([]byte, 300<<10)
		rand.Read(data)
		file := filepath.Join(dir, "data.bin")
		os.WriteFile(file, data, 0o600)
		url := s.url + "data.bin"

		if r := curl(t, bin, u, pw, "-T", file, url); r.status != 201 {
			t.Fatalf("PUT: got %d, want 201", r.status)
		}
		head := curl(t, bin, u, pw, "-I", url)
		tag := head.header("ETag")
		if head.status != 200 || head.header("Content-Length") != strconv.Itoa(len(data)) || tag == "" {
			t.Fatalf("HEAD: got %d, length %q, ETag %q", head.status, head.header("Content-Length"), tag)
		}

		ranges := []struct {
			name, rng string
			want      []byte
		}{
			{"first bytes", "0-99", data[:100]},
			{"middle", "150000-150099", data[150000:150100]},
			{"suffix", "-10", data[len(data)-10:]},
			{"open end", strconv.Itoa(len(data)-5) + "-", data[len(data)-5:]},
		}
		if r := curl(t, bin, u, pw, url); !strings.Contains(r.header("Content-Security-Policy"), "sandbox") {
			t.Errorf("GET of user content: Content-Security-Policy %q, want a sandbox", r.header("Content-Security-Policy"))
		}
		for _, tc := range ranges {
			t.Run("range "+tc.name, func(t *testing.T) {
				r := curl(t, bin, u, pw, "-r", tc.rng, url)
				if r.status != 206 || !bytes.Equal(r.body, tc.want) {
					t.Errorf("GET range %s: got %d and %d bytes, want 206 and %d bytes", tc.rng, r.status, len(r.body), len(tc.want))
				}
			})
		}
		if r := curl(t, bin, u, pw, "-r", "0-9,20-29", url); r.status != 206 || !strings.HasPrefix(r.header("Content-Type"), "multipart/byteranges") {
			t.Errorf("two ranges: got %d, %q; want 206 multipart/byteranges", r.status, r.header("Content-Type"))
		}
		if r := curl(t, bin, u, pw, "-r", "999999999-", url); r.status != 416 {
			t.Errorf("range past the end: got %d, want 416", r.status)
		}
		if r := curl(t, bin, u, pw, "-H", "If-None-Match: "+tag, url); r.status != 304 || len(r.body) != 0 {
			t.Errorf("GET If-None-Match: got %d with %d bytes, want 304 and none", r.status, len(r.body))
		}
		if r := curl(t, bin, u, pw, "-z", "Jan 1 2000", url); r.status != 200 || !bytes.Equal(r.body, data) {
			t.Errorf("GET If-Modified-Since long ago: got %d with %d bytes, want 200 and the file", r.status, len(r.body))
		}

		// Conditional PUT: the ETag of what the client read.
		v2 := filepath.Join(dir, "v2")
		os.WriteFile(v2, []byte("second version"), 0o600)
		if r := curl(t, bin, u, pw, "-T", v2, "-H", "If-Match: "+tag, url); r.status != 204 || r.header("ETag") == tag {
			t.Errorf("PUT If-Match current: got %d, ETag %q; want 204 and a new ETag", r.status, r.header("ETag"))
		}
		if r := curl(t, bin, u, pw, "-T", v2, "-H", "If-Match: "+tag, url); r.status != 412 {
			t.Errorf("PUT If-Match stale: got %d, want 412", r.status)
		}
		if r := curl(t, bin, u, pw, "-T", v2, "-H", "If-None-Match: *", url); r.status != 412 {
			t.Errorf("PUT If-None-Match * over a file: got %d, want 412", r.status)
		}
		if r := curl(t, bin, u, pw, "-T", v2, "-H", "If-None-Match: *", s.url+"fresh.txt"); r.status != 201 {
			t.Errorf("PUT If-None-Match * on a new name: got %d, want 201", r.status)
		}
		if n := len(versions(t, env, u, "/data.bin")); n != 2 {
			t.Errorf("versions after conditional PUTs: got %d, want 2", n)
		}

		// Two PUTs at once: both land, as two versions.
		a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
		os.WriteFile(a, bytes.Repeat([]byte("a"), 2<<20), 0o600)
		os.WriteFile(b, bytes.Repeat([]byte("b"), 2<<20), 0o600)
		var wg sync.WaitGroup
		runs := make([]curlRun, 2)
		errs := make([]error, 2)
		for i, f := range []string{a, b} {
			wg.Add(1)
			out := t.TempDir()
			go func() {
				defer wg.Done()
				runs[i], errs[i] = curlErr(out, bin, u, pw, "-T", f, s.url+"both.bin")
			}()
		}
		wg.Wait()
		for i, r := range runs {
			if errs[i] != nil || (r.status != 201 && r.status != 204) {
				t.Errorf("concurrent PUT %d: got %d, %v; want 201 or 204", i, r.status, errs[i])
			}
		}
		vs := versions(t, env, u, "/both.bin")
		if len(vs) != 2 {
			t.Errorf("versions after two concurrent PUTs: got %d, want 2", len(vs))
		}
		got := curl(t, bin, u, pw, url[:len(url)-len("data.bin")]+"both.bin").body
		if len(got) != 2<<20 || (got[0] != 'a' && got[0] != 'b') || bytes.Count(got, got[:1]) != len(got) {
			t.Errorf("content after two concurrent PUTs: %d bytes starting %q, want all of one of them", len(got), got[:min(len(got), 8)])
		}
	})
}
