package webdav_test

import (
	"context"
	"crypto/tls"
	"io"
	stdlog "log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"strongroom/audit"
	"strongroom/protocols/webdav"
	"strongroom/vfs"
	"strongroom/vfs/meta"
	"strongroom/vfs/vfstest"
)

// A server is a Handler on a real listener on 127.0.0.1, over a test
// filesystem, closed when the test ends.
type server struct {
	env    *vfstest.Env
	ts     *httptest.Server
	url    string // of the handler's root, ending in /dav/
	client *http.Client
}

// serve starts a handler over env on HTTPS, or plain HTTP when plain is
// set (for clients that cannot be told to trust a test certificate).
func serve(t *testing.T, env *vfstest.Env, opts *webdav.Options, plain bool) *server {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() && os.Getenv("WEBDAV_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	h := webdav.New(env.FS, log, opts)
	ts := httptest.NewUnstartedServer(h)
	ts.Config.ErrorLog = stdlog.New(io.Discard, "", 0) // clients that probe and hang up
	if plain {
		ts.Start()
	} else {
		ts.StartTLS()
	}
	t.Cleanup(ts.Close)
	s := &server{env: env, ts: ts, url: ts.URL + "/dav/", client: ts.Client()}
	t.Cleanup(s.client.CloseIdleConnections)
	return s
}

// do sends one request as user and returns the response, its body read.
func (s *server) do(t *testing.T, user, pass, method, path string, body io.Reader, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the reply: %v", method, path, err)
	}
	return resp, string(b)
}

// need skips the test if a client program is not installed, and fails
// it under CI, where every client must be there.
func need(t *testing.T, program string) string {
	t.Helper()
	p, err := exec.LookPath(program)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed", program)
		}
		t.Skipf("%s is not installed", program)
	}
	return p
}

// insecure is a TLS configuration for clients of the test certificate.
func insecure() *tls.Config { return &tls.Config{InsecureSkipVerify: true} }

// events returns the audit records of user, oldest first.
func events(t *testing.T, env *vfstest.Env, user string) []*audit.Event {
	t.Helper()
	var out []*audit.Event
	err := env.Admin.AuditEvents(context.Background(), meta.AuditFilter{User: user}, func(e *audit.Event) error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		t.Fatalf("audit events: %v", err)
	}
	return out
}

// addUser adds a user whose home is the portal's root, where they see
// only what grants give them.
func addUser(t *testing.T, env *vfstest.Env, name, password string) {
	t.Helper()
	if _, err := env.Admin.AddUser(context.Background(), name, vfs.UserOptions{Password: password, Home: "/"}); err != nil {
		t.Fatalf("add user %s: %v", name, err)
	}
}

// session opens a vfs session for checking what a request stored.
func session(t *testing.T, env *vfstest.Env, user string) *vfs.Session {
	return env.Session(t, user, "test")
}

// hasLine reports whether text has a line containing sub.
func hasLine(text, sub string) bool {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}
