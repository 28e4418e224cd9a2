package webdav_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"

	"strongroom/audit"
	"strongroom/protocols/webdav"
	"strongroom/vfs"
	"strongroom/vfs/meta"
	"strongroom/vfs/vfstest"
)

// rawRequest sends a request line as written, with no client cleaning
// its path, and returns the status code.
func rawRequest(t *testing.T, s *server, method, target string, hdr ...string) int {
	t.Helper()
	conn, err := net.Dial("tcp", s.ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, target, s.ts.Listener.Addr())
	for i := 0; i+1 < len(hdr); i += 2 {
		fmt.Fprintf(&b, "%s: %s\r\n", hdr[i], hdr[i+1])
	}
	b.WriteString("\r\n")
	if _, err := conn.Write([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// tree lists every path under the user's root, to show that refused
// requests changed nothing.
func tree(t *testing.T, sess *vfs.Session) []string {
	t.Helper()
	var out []string
	var walk func(p string)
	walk = func(p string) {
		fis, _, err := sess.List(context.Background(), p, vfs.ListOptions{})
		if err != nil {
			t.Fatalf("list %s: %v", p, err)
		}
		for _, fi := range fis {
			out = append(out, fmt.Sprintf("%s %d %s", fi.Path(), fi.Size(), fi.VersionID()))
			if fi.IsDir() {
				walk(fi.Path())
			}
		}
	}
	walk("/")
	sort.Strings(out)
	return out
}

// TestBadInput sends what a careless or hostile client might: each must
// get a clear 4xx, change nothing, and leave an audit record.
func TestBadInput(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		env.AddUser(t, "eve", "eve-password")
		s := serve(t, env.FS, &webdav.Options{MaxDepthItems: 100}, true)
		u, pw := "eve", "eve-password"
		auth := "Basic ZXZlOmV2ZS1wYXNzd29yZA==" // eve:eve-password
		if resp, body := s.do(t, u, pw, "MKCOL", "/dav/dir/", nil); resp.StatusCode != http.StatusCreated {
			t.Fatalf("MKCOL: %s %s", resp.Status, body)
		}
		if resp, body := s.do(t, u, pw, "PUT", "/dav/dir/file.txt", strings.NewReader("keep me")); resp.StatusCode != http.StatusCreated {
			t.Fatalf("PUT: %s %s", resp.Status, body)
		}
		sess := session(t, env, u)
		before := tree(t, sess)

		raw := []struct {
			name, method, target string
			hdr                  []string
			want                 int
		}{
			{"dot-dot", "GET", "/dav/dir/../../etc/passwd", nil, 400},
			{"encoded dot-dot", "GET", "/dav/%2e%2e/%2E%2E/x", nil, 400},
			{"encoded slash", "DELETE", "/dav/dir%2ffile.txt", nil, 400},
			{"encoded NUL", "PUT", "/dav/a%00b", nil, 400},
			{"malformed escape", "GET", "/dav/%zz", nil, 400},
			{"backslash dot-dot kept as a name", "GET", "/dav/..%5c..%5cx", nil, 404},
			{"overlong name", "MKCOL", "/dav/" + strings.Repeat("n", vfs.MaxNameBytes+1), nil, 400},
			{"destination on another host", "COPY", "/dav/dir/file.txt", []string{"Destination", "https://elsewhere.example/dav/x"}, 400},
			{"destination outside the prefix", "MOVE", "/dav/dir/file.txt", []string{"Destination", "/other/x"}, 400},
			{"destination with dot-dot", "MOVE", "/dav/dir/file.txt", []string{"Destination", "/dav/dir/../../x"}, 400},
			{"destination with an encoded slash", "COPY", "/dav/dir/file.txt", []string{"Destination", "/dav/a%2Fb"}, 400},
			{"malformed If header", "DELETE", "/dav/dir/file.txt", []string{"If", "(<urn:x> [bogus"}, 400},
			{"If header mixing tagged and untagged", "DELETE", "/dav/dir/file.txt", []string{"If", "(<urn:x>) </dav/dir/> (<urn:y>)"}, 400},
			{"If header with text after", "DELETE", "/dav/dir/file.txt", []string{"If", "(<urn:x>) junk"}, 400},
			{"Depth 1 on DELETE", "DELETE", "/dav/dir/", []string{"Depth", "1"}, 400},
			{"bad Overwrite", "COPY", "/dav/dir/file.txt", []string{"Destination", "/dav/c", "Overwrite", "maybe"}, 400},
			{"partial PUT", "PUT", "/dav/dir/file.txt", []string{"Content-Range", "bytes 0-3/10", "Content-Length", "0"}, 400},
			{"UNLOCK without a token", "UNLOCK", "/dav/dir/file.txt", []string{"Lock-Token", "nonsense"}, 400},
			{"depth infinity over the bound is fine on a file", "PROPFIND", "/dav/dir/file.txt", []string{"Depth", "infinity"}, 207},
			{"unknown method", "BREW", "/dav/dir/", nil, 405},
			{"If that does not hold", "PROPFIND", "/dav/dir/file.txt", []string{"If", "(<urn:uuid:nope>)", "Depth", "0"}, 412},
			{"If with another user's token", "GET", "/dav/dir/file.txt", []string{"If", "(<urn:uuid:6a1c1ba0-4f5a-4b57-9e0d-000000000000>)"}, 412},
		}
		for _, tc := range raw {
			t.Run(tc.name, func(t *testing.T) {
				hdr := append([]string{"Authorization", auth}, tc.hdr...)
				if got := rawRequest(t, s, tc.method, tc.target, hdr...); got != tc.want {
					t.Errorf("%s %s: got %d, want %d", tc.method, tc.target, got, tc.want)
				}
			})
		}

		bomb := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
			`<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>` +
			`<D:propfind xmlns:D="DAV:"><D:prop><D:getetag>&lol3;</D:getetag></D:prop></D:propfind>`
		deep := strings.Repeat("<a>", 200) + strings.Repeat("</a>", 200)
		bodies := []struct {
			name, method, body string
			want               int
		}{
			{"entity expansion", "PROPFIND", bomb, 400},
			{"deep nesting", "PROPPATCH", `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:p xmlns:x="urn:x">` + deep + `</x:p></D:prop></D:set></D:propertyupdate>`, 400},
			{"huge body", "PROPPATCH", `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:p xmlns:x="urn:x">` + strings.Repeat("A", 2<<20) + `</x:p></D:prop></D:set></D:propertyupdate>`, 413},
			{"not well-formed", "PROPFIND", `<D:propfind xmlns:D="DAV:"><D:prop>`, 400},
			{"empty namespace for a prefix", "PROPFIND", `<D:propfind xmlns:D="DAV:"><D:prop><bar:foo xmlns:bar=""/></D:prop></D:propfind>`, 400},
			{"undeclared prefix", "PROPFIND", `<D:propfind xmlns:D="DAV:"><D:prop><nope:foo/></D:prop></D:propfind>`, 400},
			{"wrong root", "LOCK", `<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`, 400},
			{"non-write lock", "LOCK", `<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:read/></D:locktype></D:lockinfo>`, 400},
			{"encoding other than UTF-8", "PROPFIND", `<?xml version="1.0" encoding="ISO-8859-1"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`, 400},
		}
		for _, tc := range bodies {
			t.Run(tc.name, func(t *testing.T) {
				resp, body := s.do(t, u, pw, tc.method, "/dav/dir/file.txt", strings.NewReader(tc.body), "Depth", "0")
				wantStatus(t, tc.method, resp, body, tc.want)
			})
		}

		t.Run("protected property", func(t *testing.T) {
			resp, body := s.do(t, u, pw, "PROPPATCH", "/dav/dir/file.txt", strings.NewReader(`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>
<D:getetag>"forged"</D:getetag><x:mine xmlns:x="urn:x">v</x:mine></D:prop></D:set></D:propertyupdate>`))
			wantStatus(t, "PROPPATCH", resp, body, http.StatusMultiStatus)
			res := parseMultistatus(t, body)["/dav/dir/file.txt"]
			if !res.missing["DAV: getetag"] || !res.missing["urn:x mine"] {
				t.Errorf("PROPPATCH of getetag: got %+v, want both properties refused", res)
			}
			if !strings.Contains(body, "403 Forbidden") || !strings.Contains(body, "424 Failed Dependency") {
				t.Errorf("PROPPATCH of getetag: got\n%s\nwant 403 for it and 424 for the other", body)
			}
			if ps, err := sess.Props(context.Background(), "/dir/file.txt"); err != nil || len(ps) != 0 {
				t.Errorf("stored properties: got %v, %v; want none", ps, err)
			}
		})

		t.Run("depth infinity over the bound", func(t *testing.T) {
			s0 := serve(t, env.FS, nil, true) // MaxDepthItems zero refuses
			resp, body := s0.do(t, u, pw, "PROPFIND", "/dav/", nil, "Depth", "infinity")
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "propfind-finite-depth") {
				t.Errorf("PROPFIND infinity, refused: got %s\n%s\nwant 403 propfind-finite-depth", resp.Status, body)
			}
			s2 := serve(t, env.FS, &webdav.Options{MaxDepthItems: 2}, true)
			resp, body = s2.do(t, u, pw, "PROPFIND", "/dav/", nil, "Depth", "infinity")
			wantStatus(t, "PROPFIND infinity over 2 items", resp, body, http.StatusForbidden)
			res := s.propfind(t, u, pw, "/dav/", "infinity", "")
			if len(res) != 3 || res["/dav/dir/file.txt"] == nil {
				t.Errorf("PROPFIND infinity within 100 items: got %d responses, want 3 with the file", len(res))
			}
		})

		if after := tree(t, sess); strings.Join(after, "\n") != strings.Join(before, "\n") {
			t.Errorf("tree after refused requests:\n%s\nwant it unchanged:\n%s", strings.Join(after, "\n"), strings.Join(before, "\n"))
		}

		// Each refusal left a record with the method and the address.
		failed := 0
		for _, e := range events(t, env, u) {
			if e.Outcome != audit.OK && e.Protocol == "webdav" && strings.HasPrefix(e.RemoteAddr, "127.0.0.1:") && e.Request != "" {
				failed++
			}
		}
		if want := len(raw) + len(bodies) - 2; failed < want { // the 207 and the 404 are no refusals
			t.Errorf("refusal records: got %d, want at least %d", failed, want)
		}
	})
}

// TestSignIn checks Basic sign-in: the challenge, wrong credentials,
// app tokens, and how soon a disabled user or revoked token stops.
func TestSignIn(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		ctx := context.Background()
		env.AddUser(t, "sam", "sam-password")
		token, err := env.Admin.NewAppToken(ctx, "sam", "laptop")
		if err != nil {
			t.Fatal(err)
		}
		clock := &testClock{}
		s := serve(t, env.FS, &webdav.Options{Clock: clock.now}, false)

		resp, _ := s.do(t, "", "", "PROPFIND", "/dav/", nil, "Depth", "0")
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != `Basic realm="Strongroom", charset="UTF-8"` {
			t.Errorf("no credentials: got %s, %q; want 401 with the Strongroom realm", resp.Status, resp.Header.Get("WWW-Authenticate"))
		}
		resp, _ = s.do(t, "sam", "wrong-password", "PROPFIND", "/dav/", nil, "Depth", "0")
		wantStatus(t, "wrong password", resp, "", http.StatusUnauthorized)
		for i := 0; i < 3; i++ {
			resp, body := s.do(t, "sam", "sam-password", "PROPFIND", "/dav/", nil, "Depth", "0")
			wantStatus(t, "password", resp, body, http.StatusMultiStatus)
			resp, body = s.do(t, "sam", token, "PROPFIND", "/dav/", nil, "Depth", "0")
			wantStatus(t, "app token", resp, body, http.StatusMultiStatus)
		}
		logins := map[audit.Outcome]int{}
		for _, e := range events(t, env, "sam") {
			if e.Op == "login" {
				logins[e.Outcome]++
			}
		}
		if logins[audit.OK] != 2 || logins[audit.Denied] != 1 {
			t.Errorf("login records: got %v, want 2 sign-ins (password, token) remembered across requests and 1 refusal", logins)
		}

		// A revoked token works until the remembered sign-in expires.
		err = env.Meta.Update(ctx, func(tx meta.Tx) error {
			u, err := tx.UserByName("sam")
			if err != nil {
				return err
			}
			toks, err := tx.AppTokens(u.ID)
			if err != nil {
				return err
			}
			return tx.RemoveAppToken(toks[0].ID)
		})
		if err != nil {
			t.Fatal(err)
		}
		clock.advance(6e9)
		resp, _ = s.do(t, "sam", token, "PROPFIND", "/dav/", nil, "Depth", "0")
		wantStatus(t, "revoked token, once the sign-in expired", resp, "", http.StatusUnauthorized)

		// A disabled user is refused from the next request.
		if err := env.Admin.SetDisabled(ctx, "sam", true); err != nil {
			t.Fatal(err)
		}
		resp, _ = s.do(t, "sam", "sam-password", "PROPFIND", "/dav/", nil, "Depth", "0")
		wantStatus(t, "disabled user", resp, "", http.StatusUnauthorized)

		// Repeated failures from one address are throttled by vfs.
		status, retry := 0, ""
		for i := 0; i < 12 && status != http.StatusTooManyRequests; i++ {
			resp, _ := s.do(t, "nobody", "guess-"+strconv.Itoa(i), "PROPFIND", "/dav/", nil, "Depth", "0")
			status, retry = resp.StatusCode, resp.Header.Get("Retry-After")
		}
		if status != http.StatusTooManyRequests {
			t.Errorf("after 12 failed sign-ins: got %d, want 429", status)
		}
		if want := strconv.Itoa(int(env.FS.LoginBan().Seconds())); retry != want {
			t.Errorf("Retry-After: got %q, want the ban's %s seconds", retry, want)
		}
	})
}
