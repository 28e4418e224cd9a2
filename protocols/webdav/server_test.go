package webdav_test

import (
	"context"
	"io"
	stdlog "log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"strongroom/audit"
	"strongroom/protocols/webdav"
	"strongroom/vfs"
	"strongroom/vfs/meta"
	"strongroom/vfs/vfstest"
)

// A server is a Handler on a real listener on 127.0.0.1, over a test
// filesystem, closed when the test ends.
type server struct {
	ts     *httptest.Server
	url    string // of the handler's root, ending in /dav/
	client *http.Client
}

// serve starts a handler over fs on HTTPS, or plain HTTP when plain is
// set (for clients that cannot be told to trust a test certificate).
func serve(t *testing.T, fs *vfs.FS, opts *webdav.Options, plain bool) *server {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() && os.Getenv("WEBDAV_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	h := webdav.New(fs, log, opts)
	ts := httptest.NewUnstartedServer(h)
	ts.Config.ErrorLog = stdlog.New(io.Discard, "", 0) // clients that probe and hang up
	if plain {
		ts.Start()
	} else {
		ts.StartTLS()
	}
	t.Cleanup(func() { checkNoHandlers(t) }) // runs after Close, which waits for requests
	t.Cleanup(ts.Close)
	s := &server{ts: ts, url: ts.URL + "/dav/", client: ts.Client()}
	t.Cleanup(s.client.CloseIdleConnections)
	return s
}

// checkNoHandlers fails the test if any goroutine is still in the
// handler's code once the server has closed: a request that never ended.
func checkNoHandlers(t *testing.T) {
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	for _, g := range strings.Split(stacks, "\n\n") {
		if strings.Contains(g, "strongroom/protocols/webdav.(*") && !strings.Contains(g, "_test.go") {
			t.Errorf("a goroutine is still in the handler after the server closed:\n%s", g)
		}
	}
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

// A testClock is a handler's clock that moves only when told.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		c.t = time.Now()
	}
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.now()
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
