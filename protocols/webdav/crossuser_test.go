package webdav_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"strongroom/audit"
	"strongroom/policy"
	"strongroom/vfs/vfstest"
)

// TestCrossUser sends every WebDAV method at another user's files: at a
// folder the user may not see, at one they may only read, and at a file
// another user has locked. Each must be refused, be recorded as denied
// where policy refused it, and change nothing.
func TestCrossUser(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		ctx := context.Background()
		env.AddUser(t, "alice", "alice-password")
		addUser(t, env, "bob", "bob-password")
		addUser(t, env, "carol", "carol-password")
		s := serve(t, env.FS, nil, false)
		as := func(user string) (string, string) { return user, user + "-password" }

		a, apw := as("alice")
		for _, r := range []struct{ method, path, body string }{
			{"MKCOL", "/dav/shared/", ""}, {"MKCOL", "/dav/private/", ""},
			{"PUT", "/dav/shared/open.txt", "open"}, {"PUT", "/dav/shared/doc.txt", "locked"},
			{"PUT", "/dav/private/secret.txt", "secret"},
		} {
			if resp, body := s.do(t, a, apw, r.method, r.path, strings.NewReader(r.body)); resp.StatusCode != http.StatusCreated {
				t.Fatalf("%s %s: %s %s", r.method, r.path, resp.Status, body)
			}
		}
		if err := env.Admin.Grant(ctx, "user:bob", "/alice/shared", policy.List|policy.Read); err != nil {
			t.Fatal(err)
		}
		if err := env.Admin.Grant(ctx, "user:carol", "/alice/shared", policy.List|policy.Read|policy.Write|policy.Delete); err != nil {
			t.Fatal(err)
		}
		token := s.lockToken(t, a, apw, "/dav/shared/doc.txt", http.StatusOK)
		before := tree(t, session(t, env, "alice"))

		const secret, open, doc = "/dav/alice/private/secret.txt", "/dav/alice/shared/open.txt", "/dav/alice/shared/doc.txt"
		dest := func(p string) []string { return []string{"Destination", s.ts.URL + p} }
		ifTok := []string{"If", "(<" + token + ">)"}
		cases := []struct {
			user, method, path string
			hdr                []string
			body               string
			want               int
		}{
			// A folder bob may not see: as if it were not there.
			{"bob", "GET", secret, nil, "", 404},
			{"bob", "HEAD", secret, nil, "", 404},
			{"bob", "PROPFIND", secret, []string{"Depth", "0"}, "", 404},
			{"bob", "PROPFIND", "/dav/alice/private/", []string{"Depth", "1"}, "", 404},
			{"bob", "PROPPATCH", secret, nil, `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:a xmlns:x="urn:x">1</x:a></D:prop></D:set></D:propertyupdate>`, 404},
			{"bob", "PUT", secret, nil, "overwritten", 409},
			{"bob", "PUT", "/dav/alice/private/new.txt", nil, "new", 409},
			{"bob", "DELETE", secret, nil, "", 404},
			{"bob", "MKCOL", "/dav/alice/private/sub/", nil, "", 409},
			{"bob", "COPY", secret, dest("/dav/alice/shared/stolen.txt"), "", 404},
			{"bob", "MOVE", secret, dest("/dav/alice/shared/stolen.txt"), "", 404},
			{"bob", "COPY", open, dest("/dav/alice/private/planted.txt"), "", 409},
			{"bob", "LOCK", secret, nil, lockBody, 409},
			{"bob", "UNLOCK", secret, []string{"Lock-Token", "<" + token + ">"}, "", 404},

			// A folder bob may only read.
			{"bob", "GET", open, nil, "", 200},
			{"bob", "PUT", open, nil, "overwritten", 403},
			{"bob", "PUT", "/dav/alice/shared/new.txt", nil, "new", 403},
			{"bob", "PUT", "/dav/alice/shared/empty.txt", nil, "", 403},
			{"bob", "DELETE", open, nil, "", 403},
			{"bob", "MKCOL", "/dav/alice/shared/sub/", nil, "", 403},
			{"bob", "PROPPATCH", open, nil, `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:a xmlns:x="urn:x">1</x:a></D:prop></D:set></D:propertyupdate>`, 403},
			{"bob", "MOVE", open, dest("/dav/alice/shared/moved.txt"), "", 403},
			{"bob", "COPY", open, dest("/dav/alice/shared/copy.txt"), "", 403},
			{"bob", "LOCK", open, nil, lockBody, 403},
			{"bob", "UNLOCK", doc, []string{"Lock-Token", "<" + token + ">"}, "", 403},

			// A file alice locked, for carol, who may write there.
			{"carol", "PUT", doc, nil, "overwritten", 423},
			{"carol", "PUT", doc, ifTok, "overwritten", 412},
			{"carol", "DELETE", doc, ifTok, "", 412},
			{"carol", "DELETE", doc, nil, "", 423},
			{"carol", "MOVE", doc, dest("/dav/alice/shared/moved.txt"), "", 423},
			{"carol", "PROPPATCH", doc, nil, `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:a xmlns:x="urn:x">1</x:a></D:prop></D:set></D:propertyupdate>`, 423},
			{"carol", "LOCK", doc, nil, lockBody, 423},
			{"carol", "LOCK", doc, ifTok, "", 412},
			{"carol", "UNLOCK", doc, []string{"Lock-Token", "<" + token + ">"}, "", 403},
			{"carol", "COPY", open, append(dest("/dav/alice/shared/doc.txt"), ifTok...), "", 412},
		}
		for _, tc := range cases {
			t.Run(tc.user+" "+tc.method+" "+tc.path, func(t *testing.T) {
				u, pw := as(tc.user)
				resp, body := s.do(t, u, pw, tc.method, tc.path, strings.NewReader(tc.body), tc.hdr...)
				wantStatus(t, tc.method+" "+tc.path, resp, body, tc.want)
				if strings.Contains(body, token) {
					t.Errorf("%s %s: the reply shows alice's lock token", tc.method, tc.path)
				}
			})
		}

		// The folders on bob's way to his grant list, with everything
		// they hold that he may see and nothing else, whatever he asks
		// for (an empty body asks for every property, dead ones too).
		for _, p := range []string{"/dav/", "/dav/alice/"} {
			for _, body := range []string{"", `<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`} {
				resp, got := s.do(t, "bob", "bob-password", "PROPFIND", p, strings.NewReader(body), "Depth", "1")
				wantStatus(t, "bob's PROPFIND of "+p, resp, got, http.StatusMultiStatus)
				if strings.Contains(got, "private") || (p == "/dav/alice/" && !strings.Contains(got, "/dav/alice/shared/")) {
					t.Errorf("bob's PROPFIND of %s: got %s, want the shared folder alone", p, got)
				}
			}
		}

		// Carol sees that doc.txt is locked, but not the token.
		c, cpw := as("carol")
		res := s.propfind(t, c, cpw, doc, "0", `<D:propfind xmlns:D="DAV:"><D:prop><D:lockdiscovery/></D:prop></D:propfind>`)
		if ld := res[doc].props["DAV: lockdiscovery"]; !strings.Contains(ld, "exclusive") || strings.Contains(ld, token) {
			t.Errorf("carol's lockdiscovery: got %q, want alice's lock shown without its token", ld)
		}

		if after := tree(t, session(t, env, "alice")); strings.Join(after, "\n") != strings.Join(before, "\n") {
			t.Errorf("alice's files after the refusals:\n%s\nwant unchanged:\n%s", strings.Join(after, "\n"), strings.Join(before, "\n"))
		}

		// Every method policy refused is in the audit trail as denied.
		denied := map[string]bool{}
		for _, u := range []string{"bob", "carol"} {
			for _, e := range events(t, env, u) {
				if e.Outcome == audit.Denied && e.Protocol == "webdav" && e.UserAgent != "" {
					denied[u+" "+e.Request] = true
				}
			}
		}
		for _, tc := range cases {
			if tc.want == 403 || tc.want == 404 || tc.want == 409 || tc.want == 423 {
				if !denied[tc.user+" "+tc.method] {
					t.Errorf("no denied record of %s's %s; have %v", tc.user, tc.method, denied)
				}
			}
		}
	})
}
