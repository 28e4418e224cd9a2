package web

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"strongroom/audit"
	"strongroom/vfs"
	"strongroom/vfs/meta"
	"strongroom/vfs/vfstest"
)

type listReply struct {
	Entries []fileJSON
	More    bool
	Next    string
}

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func TestFiles(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		env.AddUser(t, "alice", "pw-alice-1")
		ts := newTestServer(t, env, nil)
		c := ts.withToken(t, "alice")

		want(t, c.do("POST", "/api/v1/mkdir/docs", nil), http.StatusCreated, "")
		want(t, c.do("POST", "/api/v1/mkdir/docs", nil), http.StatusConflict, "already_exists")

		v1 := randomBytes(t, 3<<20+17)
		up := decode[fileJSON](t, want(t, c.do("PUT", "/api/v1/files/docs/report.bin", v1), http.StatusCreated, ""))
		if up.Size != int64(len(v1)) || up.Type != "file" || up.Version == "" {
			t.Fatalf("upload reply: got %+v, want a file of %d bytes with a version", up, len(v1))
		}

		t.Run("download checksum", func(t *testing.T) {
			got := want(t, c.do("GET", "/api/v1/files/docs/report.bin", nil), http.StatusOK, "")
			if sha256.Sum256([]byte(got)) != sha256.Sum256(v1) {
				t.Fatalf("download: got %d bytes with another checksum, want the %d uploaded", len(got), len(v1))
			}
		})

		t.Run("ranges", func(t *testing.T) {
			for _, tc := range []struct {
				name, rng string
				status    int
				want      []byte
			}{
				{"start", "bytes=0-99", http.StatusPartialContent, v1[:100]},
				{"middle", "bytes=1048570-1048590", http.StatusPartialContent, v1[1048570:1048591]},
				{"suffix", "bytes=-10", http.StatusPartialContent, v1[len(v1)-10:]},
				{"past end", "bytes=99999999-", http.StatusRequestedRangeNotSatisfiable, nil},
			} {
				t.Run(tc.name, func(t *testing.T) {
					resp := c.do("GET", "/api/v1/files/docs/report.bin", nil, "Range", tc.rng)
					got := want(t, resp, tc.status, "")
					if tc.want != nil && !bytes.Equal([]byte(got), tc.want) {
						t.Fatalf("range %s: got %d bytes, want %d matching", tc.rng, len(got), len(tc.want))
					}
				})
			}
		})

		t.Run("list paged", func(t *testing.T) {
			for _, n := range []string{"a", "b", "c"} {
				want(t, c.do("PUT", "/api/v1/files/docs/"+n+".txt", n), http.StatusCreated, "")
			}
			var names []string
			after := ""
			for range 10 {
				l := decode[listReply](t, want(t, c.do("GET", "/api/v1/list/docs?limit=2&after="+after, nil), http.StatusOK, ""))
				for _, e := range l.Entries {
					names = append(names, e.Name)
				}
				if !l.More {
					break
				}
				after = l.Next
			}
			if got, want := strings.Join(names, ","), "a.txt,b.txt,c.txt,report.bin"; got != want {
				t.Fatalf("paged listing: got %s, want %s", got, want)
			}
		})

		t.Run("rename and stat", func(t *testing.T) {
			want(t, c.do("POST", "/api/v1/rename", map[string]any{"from": "/docs/a.txt", "to": "/docs/renamed.txt"}), http.StatusOK, "")
			want(t, c.do("GET", "/api/v1/stat/docs/a.txt", nil), http.StatusNotFound, "not_found")
			st := decode[fileJSON](t, want(t, c.do("GET", "/api/v1/stat/docs/renamed.txt", nil), http.StatusOK, ""))
			if st.Size != 1 || st.Name != "renamed.txt" {
				t.Fatalf("stat after rename: got %+v, want renamed.txt of 1 byte", st)
			}
		})

		t.Run("versions and restore", func(t *testing.T) {
			want(t, c.do("PUT", "/api/v1/files/docs/b.txt", "second"), http.StatusCreated, "")
			vs := decode[struct{ Versions []versionJSON }](t, want(t, c.do("GET", "/api/v1/versions/docs/b.txt", nil), http.StatusOK, ""))
			if len(vs.Versions) != 2 || !vs.Versions[0].Current {
				t.Fatalf("versions: got %+v, want 2 with the newest current", vs.Versions)
			}
			old := vs.Versions[1].ID
			if got := want(t, c.do("GET", "/api/v1/files/docs/b.txt?version="+old, nil), http.StatusOK, ""); got != "b" {
				t.Fatalf("old version content: got %q, want %q", got, "b")
			}
			want(t, c.do("POST", "/api/v1/restore/docs/b.txt", map[string]string{"version": old}), http.StatusOK, "")
			if got := want(t, c.do("GET", "/api/v1/files/docs/b.txt", nil), http.StatusOK, ""); got != "b" {
				t.Fatalf("after restore: got %q, want %q", got, "b")
			}
			want(t, c.do("POST", "/api/v1/restore/docs/b.txt", map[string]string{"version": "999999"}), http.StatusNotFound, "not_found")
		})

		t.Run("conditional upload", func(t *testing.T) {
			want(t, c.do("PUT", "/api/v1/files/docs/b.txt", "x", "If-None-Match", "*"), http.StatusConflict, "already_exists")
			want(t, c.do("PUT", "/api/v1/files/docs/b.txt", "x", "If-Match", `"1"`), http.StatusPreconditionFailed, "conflict")
		})

		t.Run("delete", func(t *testing.T) {
			want(t, c.do("DELETE", "/api/v1/files/docs", nil), http.StatusConflict, "folder_not_empty")
			want(t, c.do("DELETE", "/api/v1/files/docs/c.txt", nil), http.StatusNoContent, "")
			want(t, c.do("GET", "/api/v1/files/docs/c.txt", nil), http.StatusNotFound, "not_found")
			want(t, c.do("GET", "/api/v1/files/docs", nil), http.StatusConflict, "is_folder")
		})

		t.Run("zip", func(t *testing.T) {
			body := want(t, c.do("GET", "/api/v1/zip/docs", nil), http.StatusOK, "")
			zr, err := zip.NewReader(strings.NewReader(body), int64(len(body)))
			if err != nil {
				t.Fatalf("reading the zip: %v", err)
			}
			got := map[string]string{}
			for _, f := range zr.File {
				rc, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(rc)
				rc.Close()
				got[f.Name] = string(b)
			}
			if got["docs/b.txt"] != "b" || got["docs/renamed.txt"] != "a" || len(got["docs/report.bin"]) != len(v1) {
				t.Fatalf("zip entries: got %d entries %v, want docs/b.txt, docs/renamed.txt, docs/report.bin", len(got), keys(got))
			}
		})
	})
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestZipLimits(t *testing.T) {
	env := vfstest.Embedded(t)
	env.AddUser(t, "alice", "pw-alice-1")
	ts := newTestServer(t, env, &Options{MaxZipFiles: 2, MaxZipBytes: 10})
	c := ts.withToken(t, "alice")
	want(t, c.do("POST", "/api/v1/mkdir/few", nil), http.StatusCreated, "")
	want(t, c.do("POST", "/api/v1/mkdir/big", nil), http.StatusCreated, "")
	want(t, c.do("PUT", "/api/v1/files/big/x", strings.Repeat("x", 11)), http.StatusCreated, "")
	for _, n := range []string{"1", "2", "3"} {
		want(t, c.do("PUT", "/api/v1/files/few/"+n, n), http.StatusCreated, "")
	}
	for _, tc := range []struct{ name, path string }{{"too many files", "few"}, {"too many bytes", "big"}} {
		t.Run(tc.name, func(t *testing.T) {
			body := want(t, c.do("GET", "/api/v1/zip/"+tc.path, nil), http.StatusRequestEntityTooLarge, "too_large")
			if !strings.Contains(body, "subfolders") {
				t.Fatalf("zip refusal: got %s, want advice to download subfolders", body)
			}
		})
	}
}

func TestIsolation(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		ctx := context.Background()
		env.AddUser(t, "alice", "pw-alice-1")
		env.AddUser(t, "bob", "pw-bob-123")
		// carol is rooted at alice's folder with no grant: she may see
		// nothing there, and her attempts are refused by policy.
		if _, err := env.Admin.AddUser(ctx, "carol", vfs.UserOptions{Password: "pw-carol-1", Home: "/alice"}); err != nil {
			t.Fatal(err)
		}
		ts := newTestServer(t, env, nil)
		alice := ts.withToken(t, "alice")
		want(t, alice.do("PUT", "/api/v1/files/secret.txt", "alice only"), http.StatusCreated, "")

		for _, who := range []string{"bob", "carol"} {
			c := ts.withToken(t, who)
			t.Run(who, func(t *testing.T) {
				l := decode[listReply](t, want(t, c.do("GET", "/api/v1/list/", nil), http.StatusOK, ""))
				if len(l.Entries) != 0 {
					t.Fatalf("%s lists %v at the root, want nothing", who, l.Entries)
				}
				for _, p := range []string{
					"/api/v1/files/secret.txt",
					"/api/v1/files/..%2Falice%2Fsecret.txt",
					"/api/v1/files/%2e%2e/alice/secret.txt",
					"/api/v1/stat/alice/secret.txt",
					"/api/v1/versions/secret.txt",
				} {
					want(t, c.do("GET", p, nil), http.StatusNotFound, "not_found")
				}
				want(t, c.do("DELETE", "/api/v1/files/secret.txt", nil), http.StatusNotFound, "not_found")
				want(t, c.do("POST", "/api/v1/rename", map[string]string{"from": "/secret.txt", "to": "/mine.txt"}), http.StatusNotFound, "not_found")
			})
		}

		// carol's refusals are recorded as denied, bob's as misses.
		var denied int
		err := env.Admin.AuditEvents(ctx, meta.AuditFilter{User: "carol"}, func(e *audit.Event) error {
			if e.Outcome == audit.Denied && e.Path == "/alice/secret.txt" {
				denied++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if denied < 3 {
			t.Fatalf("audit: got %d denied records of carol on /alice/secret.txt, want at least 3", denied)
		}
		if got := want(t, alice.do("GET", "/api/v1/files/secret.txt", nil), http.StatusOK, ""); got != "alice only" {
			t.Fatalf("alice's file after the attempts: got %q", got)
		}
	})
}

func TestTenants(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		ctx := context.Background()
		for _, n := range []string{"acme", "globex"} {
			if _, err := env.Admin.AddTenant(ctx, n); err != nil {
				t.Fatal(err)
			}
			addAdmin(t, env, n+"-admin", n)
			if _, err := env.Admin.AddUser(ctx, n+"-user", vfs.UserOptions{Password: "pw-tenant-1", Tenant: n}); err != nil {
				t.Fatal(err)
			}
		}
		ts := newTestServer(t, env, nil)
		acme := ts.withToken(t, "acme-admin")
		want(t, acme.do("PUT", "/api/v1/files/acme-user/invoice.pdf", "%PDF"), http.StatusCreated, "")

		globex := ts.withToken(t, "globex-user")
		want(t, globex.do("PUT", "/api/v1/files/mine.txt", "globex"), http.StatusCreated, "")

		t.Run("tenant admin", func(t *testing.T) {
			us := decode[struct{ Users []userJSON }](t, want(t, acme.do("GET", "/api/v1/admin/users", nil), http.StatusOK, ""))
			for _, u := range us.Users {
				if strings.HasPrefix(u.Name, "globex") {
					t.Fatalf("acme's admin lists %s", u.Name)
				}
			}
			for _, tc := range []struct{ method, path string }{
				{"GET", "/api/v1/admin/users/globex-user"},
				{"GET", "/api/v1/admin/grants?path=/globex/globex-user"},
				{"GET", "/api/v1/files/../globex/globex-user/mine.txt"},
				{"GET", "/api/v1/stat/globex"},
			} {
				want(t, acme.do(tc.method, tc.path, nil), http.StatusNotFound, "not_found")
			}
			want(t, acme.do("POST", "/api/v1/admin/users/globex-user/disabled", map[string]bool{"disabled": true}), http.StatusNotFound, "not_found")
			want(t, acme.do("POST", "/api/v1/admin/grants", grantRequest{Subject: "user:acme-user", Path: "/globex", Actions: "read"}), http.StatusNotFound, "not_found")
			// To acme's admin another tenant's user is not there; the
			// audit trail records the attempts as refused.
			denied := 0
			err := env.Admin.AuditEvents(ctx, meta.AuditFilter{User: "acme-admin"}, func(e *audit.Event) error {
				if e.Outcome == audit.Denied && (e.Op == "user.disable" || e.Op == "grant") {
					denied++
				}
				return nil
			})
			if err != nil || denied != 2 {
				t.Errorf("denied records of acme's admin reaching into globex: got %d, %v; want 2", denied, err)
			}
			// A user made by a tenant's admin lands in that tenant.
			u := decode[userJSON](t, want(t, acme.do("POST", "/api/v1/admin/users", addUserRequest{Name: "acme-new", Password: "pw-new-1234"}), http.StatusCreated, ""))
			d := decode[userJSON](t, want(t, acme.do("GET", "/api/v1/admin/users/"+u.Name, nil), http.StatusOK, ""))
			if d.Tenant != "acme" || d.Home != "/acme/acme-new" {
				t.Fatalf("new user: got tenant %q home %q, want acme and /acme/acme-new", d.Tenant, d.Home)
			}
		})

		t.Run("not an admin", func(t *testing.T) {
			for _, p := range []string{"/api/v1/admin/users", "/api/v1/admin/audit"} {
				want(t, globex.do("GET", p, nil), http.StatusForbidden, "permission_denied")
			}
		})
	})
}

func TestAdminAPI(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		addAdmin(t, env, "root", "")
		ts := newTestServer(t, env, nil)
		root := ts.withToken(t, "root")

		want(t, root.do("POST", "/api/v1/admin/users", addUserRequest{Name: "dana", Password: "pw-dana-1"}), http.StatusCreated, "")
		want(t, root.do("POST", "/api/v1/admin/users", addUserRequest{Name: "dana", Password: "pw-dana-9"}), http.StatusConflict, "already_exists")
		want(t, root.do("POST", "/api/v1/admin/groups", map[string]string{"name": "finance"}), http.StatusCreated, "")
		want(t, root.do("POST", "/api/v1/admin/groups/finance/members", map[string]string{"user": "dana"}), http.StatusNoContent, "")
		want(t, root.do("POST", "/api/v1/admin/grants", grantRequest{Subject: "group:finance", Path: "/dana", Actions: "list,read"}), http.StatusNoContent, "")
		gs := decode[struct{ Grants []grantJSON }](t, want(t, root.do("GET", "/api/v1/admin/grants?path=/dana", nil), http.StatusOK, ""))
		if len(gs.Grants) != 2 {
			t.Fatalf("grants on /dana: got %+v, want dana's own and finance's", gs.Grants)
		}
		want(t, root.do("DELETE", "/api/v1/admin/grants?subject=group:finance&path=/dana", nil), http.StatusNoContent, "")
		want(t, root.do("POST", "/api/v1/admin/grants", grantRequest{Subject: "group:finance", Path: "/dana", Actions: "fly"}), http.StatusBadRequest, "invalid")

		tok := decode[map[string]string](t, want(t, root.do("POST", "/api/v1/admin/users/dana/tokens", map[string]string{"label": "script"}), http.StatusCreated, ""))
		dana := &client{t: t, base: ts.srv.URL, http: &http.Client{}, token: "dana:" + tok["token"]}
		want(t, dana.do("GET", "/api/v1/me", nil), http.StatusOK, "")
		groups := decode[struct{ Groups []string }](t, want(t, root.do("GET", "/api/v1/admin/groups", nil), http.StatusOK, ""))
		if len(groups.Groups) != 1 || groups.Groups[0] != "finance" {
			t.Errorf("groups: got %v, want [finance]", groups.Groups)
		}
		toks := decode[struct {
			Tokens []struct {
				ID    int64
				Label string
			}
		}](t, want(t, root.do("GET", "/api/v1/admin/users/dana/tokens", nil), http.StatusOK, ""))
		if len(toks.Tokens) != 1 || toks.Tokens[0].Label != "script" {
			t.Fatalf("dana's tokens: got %+v, want the one labelled script", toks.Tokens)
		}
		want(t, root.do("DELETE", fmt.Sprintf("/api/v1/admin/users/dana/tokens/%d", toks.Tokens[0].ID), nil), http.StatusNoContent, "")
		want(t, dana.do("GET", "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated")
		want(t, root.do("DELETE", "/api/v1/admin/users/dana/tokens/999999", nil), http.StatusNotFound, "not_found")
		tok = decode[map[string]string](t, want(t, root.do("POST", "/api/v1/admin/users/dana/tokens", map[string]string{"label": "again"}), http.StatusCreated, ""))
		dana.token = "dana:" + tok["token"]
		want(t, dana.do("GET", "/api/v1/me", nil), http.StatusOK, "")

		want(t, root.do("POST", "/api/v1/admin/users/dana/password", map[string]string{"password": "pw-dana-2"}), http.StatusNoContent, "")
		ts.browser(t, "dana", "pw-dana-2")
		want(t, root.do("POST", "/api/v1/admin/users/dana/disabled", map[string]bool{"disabled": true}), http.StatusNoContent, "")
		want(t, dana.do("GET", "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated")

		t.Run("audit", func(t *testing.T) {
			page := decode[struct{ Events []eventJSON }](t, want(t, root.do("GET", "/api/v1/admin/audit?user=root&limit=5", nil), http.StatusOK, ""))
			if len(page.Events) != 5 {
				t.Fatalf("audit page: got %d records, want 5", len(page.Events))
			}
			body := want(t, root.do("GET", "/api/v1/admin/audit?format=csv&user=dana", nil), http.StatusOK, "")
			rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
			if err != nil {
				t.Fatalf("CSV export: %v", err)
			}
			if len(rows) < 2 || rows[0][0] != "id" {
				t.Fatalf("CSV export: got %d rows, want a header and dana's records", len(rows))
			}
			var denied bool
			for _, r := range rows[1:] {
				denied = denied || (r[4] == "login" && r[12] == "denied")
			}
			if !denied {
				t.Fatalf("CSV export: no denied login of dana after she was disabled")
			}
			want(t, root.do("GET", "/api/v1/admin/audit?since=yesterday", nil), http.StatusBadRequest, "bad_request")
			want(t, root.do("GET", "/api/v1/admin/audit?format=xml", nil), http.StatusBadRequest, "bad_request")
		})
	})
}

func TestMalformed(t *testing.T) {
	env := vfstest.Embedded(t)
	env.AddUser(t, "alice", "pw-alice-1")
	ts := newTestServer(t, env, &Options{MaxUploadBytes: 1 << 20})
	c := ts.withToken(t, "alice")
	anon := ts.anonymous(t)

	for _, tc := range []struct {
		name   string
		c      *client
		method string
		path   string
		body   any
		hdr    []string
		status int
		code   string
	}{
		{"no credential", anon, "GET", "/api/v1/list/", nil, nil, 401, "unauthenticated"},
		{"basic auth", anon, "GET", "/api/v1/list/", nil, []string{"Authorization", "Basic YWxpY2U6cHc="}, 401, "unauthenticated"},
		{"token without name", anon, "GET", "/api/v1/list/", nil, []string{"Authorization", "Bearer srt_abc"}, 401, "unauthenticated"},
		{"wrong token", anon, "GET", "/api/v1/list/", nil, []string{"Authorization", "Bearer alice:srt_wrong"}, 401, "unauthenticated"},
		{"unknown endpoint", c, "GET", "/api/v1/nothing", nil, nil, 404, "not_found"},
		{"bad json", c, "POST", "/api/v1/rename", `{"from": "/a",`, []string{"Content-Type", "application/json"}, 400, "bad_request"},
		{"unknown field", c, "POST", "/api/v1/rename", `{"form": "/a", "to": "/b"}`, nil, 400, "bad_request"},
		{"trailing data", c, "POST", "/api/v1/rename", `{"from": "/a", "to": "/b"} {}`, nil, 400, "bad_request"},
		{"missing field", c, "POST", "/api/v1/rename", `{"from": "/a"}`, nil, 400, "bad_request"},
		{"form body", c, "POST", "/api/v1/rename", "from=/a", []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "bad_request"},
		{"oversized json", c, "POST", "/api/v1/rename", `{"from": "` + strings.Repeat("a", 70<<10) + `"}`, nil, 413, "too_large"},
		{"oversized upload", c, "PUT", "/api/v1/files/big.bin", make([]byte, 1<<20+1), nil, 413, "too_large"},
		{"control character", c, "POST", "/api/v1/mkdir/a%01b", nil, nil, 400, "invalid"},
		{"overlong name", c, "POST", "/api/v1/mkdir/" + strings.Repeat("n", 300), nil, nil, 400, "invalid"},
		{"bad limit", c, "GET", "/api/v1/list/?limit=-1", nil, nil, 400, "bad_request"},
		{"bad version", c, "GET", "/api/v1/files/x?version=abc", nil, nil, 404, "not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want(t, tc.c.do(tc.method, tc.path, tc.body, tc.hdr...), tc.status, tc.code)
		})
	}
	want(t, c.do("GET", "/api/v1/stat/big.bin", nil), http.StatusNotFound, "not_found")
}

// An address that fails to sign in too often is told so, and for how
// long, over the API and on the sign-in page.
func TestThrottled(t *testing.T) {
	env := vfstest.Embedded(t)
	env.AddUser(t, "alice", "pw-alice-1")
	ts := newTestServer(t, env, nil)
	anon := ts.anonymous(t)
	for range 10 {
		want(t, anon.do("GET", "/api/v1/list/", nil, "Authorization", "Bearer alice:srt_wrong"), http.StatusUnauthorized, "unauthenticated")
	}

	resp := anon.do("GET", "/api/v1/list/", nil, "Authorization", "Bearer alice:srt_wrong")
	body := want(t, resp, http.StatusTooManyRequests, "throttled")
	if !strings.Contains(body, "too many failed sign-ins") {
		t.Errorf("throttled reply: got %s, want it to say why", body)
	}
	if ra := resp.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("throttled reply: Retry-After %q, want the seconds until the address may try again", ra)
	}

	page := ts.anonymous(t).signIn("alice", "pw-alice-1")
	text := readAll(t, page)
	if page.StatusCode != http.StatusTooManyRequests || !strings.Contains(text, "Too many failed sign-ins") || page.Header.Get("Retry-After") == "" {
		t.Errorf("sign-in page while throttled: status %d, Retry-After %q; want 429 saying why", page.StatusCode, page.Header.Get("Retry-After"))
	}
}

// Names that Windows would read as path syntax are flattened in a zip, and
// an empty file with no version yet downloads as empty.
func TestZipNames(t *testing.T) {
	env := vfstest.Embedded(t)
	env.AddUser(t, "alice", "pw-alice-1")
	ts := newTestServer(t, env, nil)
	c := ts.withToken(t, "alice")
	want(t, c.do("POST", "/api/v1/mkdir/zs", nil), http.StatusCreated, "")
	for _, n := range []string{`..\..\evil.txt`, `C:\win.txt`} {
		want(t, c.do("PUT", "/api/v1/files/zs/"+url.PathEscape(n), "x"), http.StatusCreated, "")
	}
	s := env.Session(t, "alice", "test")
	if _, err := s.CreateEmpty(context.Background(), "/zs/empty"); err != nil {
		t.Fatal(err)
	}
	body := want(t, c.do("GET", "/api/v1/zip/zs", nil), http.StatusOK, "")
	zr, err := zip.NewReader(strings.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("reading the zip: %v", err)
	}
	for _, f := range zr.File {
		if strings.ContainsAny(f.Name, `\:`) {
			t.Errorf("zip entry %q keeps Windows path syntax", f.Name)
		}
		if f.Modified.Year() < 2000 {
			t.Errorf("zip entry %q: modified %v, want the item's time", f.Name, f.Modified)
		}
	}
	if len(zr.File) != 4 {
		t.Errorf("zip has %d entries, want the folder and 3 files", len(zr.File))
	}
}
