package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"strongroom/policy"
	"strongroom/vfs"
	"strongroom/vfs/vfstest"
)

// testServer is a handler on a loopback port over env's filesystem.
type testServer struct {
	env *vfstest.Env
	h   *Handler
	srv *httptest.Server
}

func newTestServer(t *testing.T, env *vfstest.Env, opts *Options) *testServer {
	t.Helper()
	if opts == nil {
		opts = &Options{}
	}
	opts.Insecure = true
	h := New(env.FS, slog.New(slog.DiscardHandler), opts)
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		h.Close()
	})
	return &testServer{env: env, h: h, srv: srv}
}

// A client talks to the test server as one user: with a browser's cookie
// and CSRF token, or with an app token.
type client struct {
	t     *testing.T
	base  string
	http  *http.Client
	csrf  string
	token string // "NAME:srt_..." for Bearer, or ""
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)">`)

// browser signs name in through the form and returns its client.
func (ts *testServer) browser(t *testing.T, name, password string) *client {
	t.Helper()
	c := ts.anonymous(t)
	resp := c.signIn(name, password)
	if resp.StatusCode != http.StatusOK || !strings.HasSuffix(resp.Request.URL.Path, "/browse/") {
		t.Fatalf("sign-in of %s: got %d at %s, want 200 at /browse/", name, resp.StatusCode, resp.Request.URL.Path)
	}
	body := readAll(t, resp)
	m := csrfMeta.FindStringSubmatch(body)
	if m == nil || m[1] == "" {
		t.Fatalf("no CSRF token on the folder page")
	}
	c.csrf = m[1]
	return c
}

// anonymous returns a client with an empty cookie jar.
func (ts *testServer) anonymous(t *testing.T) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: ts.srv.URL, http: &http.Client{Jar: jar}}
}

// signIn fetches the form and posts it, following the redirect.
func (c *client) signIn(name, password string) *http.Response {
	c.t.Helper()
	resp, err := c.http.Get(c.base + "/signin")
	if err != nil {
		c.t.Fatal(err)
	}
	m := csrfField.FindStringSubmatch(readAll(c.t, resp))
	if m == nil {
		c.t.Fatal("no CSRF field on the sign-in form")
	}
	resp, err = c.http.PostForm(c.base+"/signin", url.Values{"csrf": {m[1]}, "username": {name}, "password": {password}})
	if err != nil {
		c.t.Fatal(err)
	}
	return resp
}

// withToken returns a client signed in with a new app token of name.
func (ts *testServer) withToken(t *testing.T, name string) *client {
	t.Helper()
	tok, err := ts.env.Admin.NewAppToken(context.Background(), name, "test")
	if err != nil {
		t.Fatalf("app token for %s: %v", name, err)
	}
	return &client{t: t, base: ts.srv.URL, http: &http.Client{}, token: name + ":" + tok}
}

// do sends a request; body may be nil, a []byte, a string or a value to
// encode as JSON.
func (c *client) do(method, path string, body any, hdr ...string) *http.Response {
	c.t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	case io.Reader:
		rd = b
	default:
		js, _ := json.Marshal(b)
		rd, ctype = bytes.NewReader(js), "application/json"
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp
}

// want checks a reply's status and, for an error, its code; it returns
// the body.
func want(t *testing.T, resp *http.Response, status int, code string) string {
	t.Helper()
	body := readAll(t, resp)
	if resp.StatusCode != status {
		t.Fatalf("%s %s: got status %d, want %d; body %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, status, body)
	}
	if code != "" {
		var e struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			t.Fatalf("error body %q: %v", body, err)
		}
		if e.Error.Code != code {
			t.Fatalf("%s %s: got code %q, want %q (message %q)", resp.Request.Method, resp.Request.URL.Path, e.Error.Code, code, e.Error.Message)
		}
		if e.Error.Message == "" {
			t.Fatalf("%s %s: error without a message", resp.Request.Method, resp.Request.URL.Path)
		}
	}
	return body
}

func readAll(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading reply: %v", err)
	}
	return string(b)
}

func decode[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decoding %q: %v", body, err)
	}
	return v
}

// addAdmin creates a portal administrator.
func addAdmin(t *testing.T, env *vfstest.Env, name, tenant string) {
	t.Helper()
	if _, err := env.Admin.AddUser(context.Background(), name, vfs.UserOptions{Password: "pw-" + name + "-secret", Admin: true, Tenant: tenant}); err != nil {
		t.Fatalf("add admin %s: %v", name, err)
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func mustActions(t *testing.T, s string) policy.Actions {
	t.Helper()
	a, err := policy.ParseActions(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func userOpts(home string) vfs.UserOptions {
	return vfs.UserOptions{Password: "pw-viewer-1", Home: home}
}
