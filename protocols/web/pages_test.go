package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"strongroom/vfs/vfstest"
)

func TestSignIn(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		env.AddUser(t, "alice", "pw-alice-1")
		ts := newTestServer(t, env, nil)

		t.Run("wrong password", func(t *testing.T) {
			resp := ts.anonymous(t).signIn("alice", "wrong-password")
			body := readAll(t, resp)
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Sign-in failed") {
				t.Fatalf("wrong password: got %d, want 401 with the form again", resp.StatusCode)
			}
		})
		t.Run("unknown user", func(t *testing.T) {
			if resp := ts.anonymous(t).signIn("nobody", "pw-alice-1"); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("unknown user: got %d, want 401", resp.StatusCode)
			}
		})
		t.Run("browse and sign out", func(t *testing.T) {
			c := ts.browser(t, "alice", "pw-alice-1")
			want(t, c.do("GET", "/api/v1/me", nil), http.StatusOK, "")
			resp, err := c.http.PostForm(c.base+"/signout", url.Values{"csrf": {c.csrf}})
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp)
			if resp.Request.URL.Path != "/signin" {
				t.Fatalf("after sign-out: got %s, want /signin", resp.Request.URL.Path)
			}
			want(t, c.do("GET", "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated")
		})
	})
}

// TestCookies checks the flags of the session cookie as served over
// HTTPS, where the __Host- prefix and Secure apply.
func TestCookies(t *testing.T) {
	env := vfstest.Embedded(t)
	env.AddUser(t, "alice", "pw-alice-1")
	h := New(env.FS, discard(), nil)
	t.Cleanup(func() { h.Close() })

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "https://portal.test/signin", nil))
	pre := rec.Result().Cookies()
	if len(pre) != 1 || pre[0].Name != "__Host-sr_signin" {
		t.Fatalf("sign-in form cookies: got %v, want one __Host-sr_signin", pre)
	}
	tok := csrfField.FindStringSubmatch(rec.Body.String())[1]

	form := url.Values{"csrf": {tok}, "username": {"alice"}, "password": {"pw-alice-1"}}
	req := httptest.NewRequest("POST", "https://portal.test/signin", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(pre[0])
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var sess *http.Cookie
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == "__Host-sr_session" {
			sess = ck
		}
	}
	if sess == nil {
		t.Fatalf("no session cookie after sign-in; status %d", rec.Code)
	}
	if !sess.HttpOnly || !sess.Secure || sess.SameSite != http.SameSiteStrictMode || sess.Path != "/" {
		t.Fatalf("session cookie: got HttpOnly=%v Secure=%v SameSite=%v Path=%q, want HttpOnly, Secure, Strict, /",
			sess.HttpOnly, sess.Secure, sess.SameSite, sess.Path)
	}
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("Content-Security-Policy: got %q, want scripts from self only", csp)
	}
}

func TestCSRF(t *testing.T) {
	env := vfstest.Embedded(t)
	env.AddUser(t, "alice", "pw-alice-1")
	ts := newTestServer(t, env, nil)
	c := ts.browser(t, "alice", "pw-alice-1")
	good := c.csrf

	for _, tc := range []struct {
		name   string
		token  string
		status int
		code   string
	}{
		{"missing", "", http.StatusForbidden, "csrf"},
		{"forged", "Zm9yZ2VkLXRva2VuLW9mLXRoZS1yaWdodC1sZW5ndGgxMjM0", http.StatusForbidden, "csrf"},
		{"another session's", ts.browser(t, "alice", "pw-alice-1").csrf, http.StatusForbidden, "csrf"},
		{"right", good, http.StatusCreated, ""},
	} {
		t.Run("api "+tc.name, func(t *testing.T) {
			c.csrf = tc.token
			want(t, c.do("POST", "/api/v1/mkdir/"+strings.ReplaceAll(tc.name, " ", "-"), nil), tc.status, tc.code)
		})
		t.Run("form "+tc.name, func(t *testing.T) {
			resp, err := c.http.PostForm(c.base+"/do/mkdir", url.Values{"csrf": {tc.token}, "dir": {"/"}, "name": {"form-" + strings.ReplaceAll(tc.name, " ", "-")}})
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, resp)
			wantStatus := tc.status
			if wantStatus == http.StatusCreated {
				wantStatus = http.StatusOK // the redirect to the folder, followed
			}
			if resp.StatusCode != wantStatus {
				t.Fatalf("form with %s token: got %d, want %d: %s", tc.name, resp.StatusCode, wantStatus, body)
			}
		})
	}
	c.csrf = good
	l := decode[listReply](t, want(t, c.do("GET", "/api/v1/list/", nil), http.StatusOK, ""))
	var names []string
	for _, e := range l.Entries {
		names = append(names, e.Name)
	}
	if got, want := strings.Join(names, ","), "form-right,right"; got != want {
		t.Fatalf("folders made: got %s, want %s", got, want)
	}

	t.Run("sign-in form without its cookie", func(t *testing.T) {
		a := ts.anonymous(t)
		resp, err := a.http.PostForm(a.base+"/signin", url.Values{"csrf": {"x"}, "username": {"alice"}, "password": {"pw-alice-1"}})
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("sign-in without the form's cookie: got %d, want 403", resp.StatusCode)
		}
	})
}

// TestEscaping uploads names that would break an unescaped page and
// checks each is shown as text.
func TestEscaping(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		env.AddUser(t, "alice", "pw-alice-1")
		ts := newTestServer(t, env, nil)
		c := ts.browser(t, "alice", "pw-alice-1")
		names := []struct{ name, raw, escaped string }{
			{"script", `<script>alert(1)<\script>.txt`, `&lt;script&gt;alert(1)&lt;\script&gt;.txt`},
			{"img", `<img src=x onerror=alert(1)>.txt`, `&lt;img src=x onerror=alert(1)&gt;.txt`},
			{"quotes", `"quoted" & 'single'.txt`, `&#34;quoted&#34; &amp; &#39;single&#39;.txt`},
			{"attribute", `x" onmouseover="alert(1).txt`, `x&#34; onmouseover=&#34;alert(1).txt`},
			{"emoji", "report 😀 2026.txt", "report 😀 2026.txt"},
		}
		for _, n := range names {
			want(t, c.do("PUT", "/api/v1/files/"+url.PathEscape(n.raw), "x"), http.StatusCreated, "")
		}
		// A name that would list as another ("invoiceexe.txt") is refused.
		if body := want(t, c.do("PUT", "/api/v1/files/"+url.PathEscape("invoice\u202Etxt.exe"), "x"), http.StatusBadRequest, "invalid"); !strings.Contains(body, "bidirectional") {
			t.Errorf("refusal of a name with U+202E does not say why: %s", body)
		}
		for _, page := range []string{"/browse/", "/browse/?sort=size"} {
			body := want(t, c.do("GET", page, nil), http.StatusOK, "")
			for _, n := range names {
				t.Run(n.name, func(t *testing.T) {
					if n.raw != n.escaped && strings.Contains(body, n.raw) {
						t.Fatalf("page %s holds %q unescaped", page, n.raw)
					}
					if !strings.Contains(body, n.escaped) {
						t.Fatalf("page %s lacks %q", page, n.escaped)
					}
				})
			}
		}
		body := want(t, c.do("GET", "/versions/"+url.PathEscape(names[0].raw), nil), http.StatusOK, "")
		if strings.Contains(body, names[0].raw) || !strings.Contains(body, names[0].escaped) {
			t.Fatalf("versions page does not escape the name")
		}
		resp := c.do("GET", "/api/v1/files/"+url.PathEscape(names[0].raw), nil)
		readAll(t, resp)
		if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
			t.Fatalf("download Content-Disposition: got %q, want an attachment", cd)
		}
	})
}

func TestSessionExpiry(t *testing.T) {
	env := vfstest.Embedded(t)
	env.AddUser(t, "alice", "pw-alice-1")
	var mu sync.Mutex
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	ts := newTestServer(t, env, &Options{Clock: clock, SessionTTL: time.Hour})
	c := ts.browser(t, "alice", "pw-alice-1")

	for _, tc := range []struct {
		name    string
		advance time.Duration
		status  int
	}{
		{"fresh", 0, http.StatusOK},
		{"just before", 59 * time.Minute, http.StatusOK},
		{"expired", 2 * time.Minute, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			now = now.Add(tc.advance)
			mu.Unlock()
			want(t, c.do("GET", "/api/v1/me", nil), tc.status, "")
		})
	}
	resp := c.do("GET", "/browse/", nil)
	readAll(t, resp)
	if resp.Request.URL.Path != "/signin" {
		t.Fatalf("expired session on a page: got %s, want a redirect to /signin", resp.Request.URL.Path)
	}
}

func TestPages(t *testing.T) {
	env := vfstest.Embedded(t)
	addAdmin(t, env, "root", "")
	env.AddUser(t, "alice", "pw-alice-1")
	ts := newTestServer(t, env, &Options{PageSize: 2})
	alice := ts.withToken(t, "alice")
	for _, n := range []string{"a.txt", "bb.txt", "ccc.txt"} {
		want(t, alice.do("PUT", "/api/v1/files/"+n, strings.Repeat("x", len(n))), http.StatusCreated, "")
	}
	b := ts.browser(t, "alice", "pw-alice-1")
	root := ts.browser(t, "root", "pw-root-secret")

	for _, tc := range []struct {
		name     string
		c        *client
		path     string
		contains []string
		absent   []string
	}{
		{"first page", b, "/browse/", []string{"a.txt", "bb.txt", `id="next"`}, []string{"ccc.txt", "/admin/users"}},
		{"second page", b, "/browse/?after=bb.txt", []string{"ccc.txt", "First page"}, []string{">a.txt<"}},
		{"by size, largest first", b, "/browse/?sort=size&order=desc", []string{"ccc.txt", "bb.txt"}, []string{">a.txt<"}},
		{"versions", b, "/versions/a.txt", []string{"Versions of", "current"}, nil},
		{"admin users", root, "/admin/users", []string{"alice", "New user"}, nil},
		{"admin audit", root, "/admin/audit?user=alice", []string{"Export CSV", "alice"}, nil},
		{"admin grants", root, "/admin/grants?path=/alice", []string{"user:alice", "all"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := want(t, tc.c.do("GET", tc.path, nil), http.StatusOK, "")
			for _, s := range tc.contains {
				if !strings.Contains(body, s) {
					t.Errorf("%s: page lacks %q", tc.path, s)
				}
			}
			for _, s := range tc.absent {
				if strings.Contains(body, s) {
					t.Errorf("%s: page holds %q", tc.path, s)
				}
			}
		})
	}
	t.Run("non-admin refused", func(t *testing.T) {
		want(t, b.do("GET", "/admin/users", nil), http.StatusForbidden, "")
	})
	t.Run("read-only user sees no controls", func(t *testing.T) {
		ctx := context.Background()
		env.AddUser(t, "eve", "pw-eve-123")
		if err := env.Admin.Grant(ctx, "user:eve", "/alice", mustActions(t, "list,read")); err != nil {
			t.Fatal(err)
		}
		// eve is rooted at her own home; alice's folder is out of reach,
		// so look through an admin-made user rooted there instead.
		if _, err := env.Admin.AddUser(ctx, "viewer", userOpts("/alice")); err != nil {
			t.Fatal(err)
		}
		if err := env.Admin.Grant(ctx, "user:viewer", "/alice", mustActions(t, "list,read")); err != nil {
			t.Fatal(err)
		}
		v := ts.browser(t, "viewer", "pw-viewer-1")
		body := want(t, v.do("GET", "/browse/", nil), http.StatusOK, "")
		for _, s := range []string{`action="/do/delete"`, `action="/do/rename"`, `action="/do/mkdir"`, `id="drop"`} {
			if strings.Contains(body, s) {
				t.Errorf("read-only page offers %s", s)
			}
		}
		if !strings.Contains(body, "a.txt") {
			t.Errorf("read-only page lacks the files")
		}
	})
}
