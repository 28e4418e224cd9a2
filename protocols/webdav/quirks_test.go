package webdav_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"strongroom/policy"
	"strongroom/protocols/webdav"
	"strongroom/vfs"
	"strongroom/vfs/vfstest"
)

const lockBody = `<?xml version="1.0" encoding="utf-8"?>
<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>
<D:owner><D:href>WORKSTATION\user</D:href></D:owner></D:lockinfo>`

// lockToken takes an exclusive lock and returns its token.
func (s *server) lockToken(t *testing.T, user, pass, path string, wantStatus int) string {
	t.Helper()
	resp, body := s.do(t, user, pass, "LOCK", path, strings.NewReader(lockBody), "Timeout", "Infinite, Second-4100000000", "Depth", "0")
	if resp.StatusCode != wantStatus {
		t.Fatalf("LOCK %s: got %s, want %d\n%s", path, resp.Status, wantStatus, body)
	}
	tok := strings.Trim(resp.Header.Get("Lock-Token"), "<>")
	if !strings.HasPrefix(tok, "urn:uuid:") || !strings.Contains(body, tok) {
		t.Fatalf("LOCK %s: token %q, want a urn:uuid: token, also in the body\n%s", path, tok, body)
	}
	return tok
}

func wantStatus(t *testing.T, what string, resp *http.Response, body string, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Errorf("%s: got %s, want %d\n%s", what, resp.Status, want, body)
	}
}

func versions(t *testing.T, env *vfstest.Env, user, p string) []vfs.Version {
	t.Helper()
	vs, err := session(t, env, user).Versions(context.Background(), p)
	if err != nil {
		t.Fatalf("versions of %s: %v", p, err)
	}
	return vs
}

// TestWindowsSequences replays what Windows' mini-redirector sends to
// create a file (an empty PUT, PROPPATCH of its times, LOCK, the real
// PUT, UNLOCK) and to save through a lock taken on a new name: each must
// leave one version, not an empty one and then the real one.
func TestWindowsSequences(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		env.AddUser(t, "win", "windows-password")
		s := serve(t, env.FS, nil, false)
		u, pw := "win", "windows-password"

		t.Run("empty PUT first", func(t *testing.T) {
			resp, body := s.do(t, u, pw, "PUT", "/dav/report.txt", strings.NewReader(""), "Content-Length", "0")
			wantStatus(t, "empty PUT", resp, body, http.StatusCreated)
			resp, body = s.do(t, u, pw, "GET", "/dav/report.txt", nil)
			if resp.StatusCode != http.StatusOK || body != "" {
				t.Errorf("GET of the empty file: got %s %q, want 200 and no content", resp.Status, body)
			}
			resp, body = s.do(t, u, pw, "PROPPATCH", "/dav/report.txt", strings.NewReader(`<?xml version="1.0" encoding="utf-8" ?>
<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop>
<Z:Win32CreationTime>Mon, 02 Mar 2026 10:00:00 GMT</Z:Win32CreationTime>
<Z:Win32FileAttributes>00000020</Z:Win32FileAttributes></D:prop></D:set></D:propertyupdate>`))
			wantStatus(t, "PROPPATCH", resp, body, http.StatusMultiStatus)
			tok := s.lockToken(t, u, pw, "/dav/report.txt", http.StatusOK)
			resp, body = s.do(t, u, pw, "PUT", "/dav/report.txt", strings.NewReader("quarterly figures"), "If", "(<"+tok+">)")
			wantStatus(t, "real PUT", resp, body, http.StatusNoContent)
			resp, body = s.do(t, u, pw, "UNLOCK", "/dav/report.txt", nil, "Lock-Token", "<"+tok+">")
			wantStatus(t, "UNLOCK", resp, body, http.StatusNoContent)

			vs := versions(t, env, u, "/report.txt")
			if len(vs) != 1 || vs[0].Size != int64(len("quarterly figures")) {
				t.Errorf("versions: got %+v, want one of %d bytes", vs, len("quarterly figures"))
			}
			res := s.propfind(t, u, pw, "/dav/report.txt", "0", `<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`)
			if got := res["/dav/report.txt"].props["urn:schemas-microsoft-com: Win32FileAttributes"]; got != "00000020" {
				t.Errorf("dead property after the save: got %q, want 00000020", got)
			}
		})

		t.Run("LOCK of a new name first", func(t *testing.T) {
			tok := s.lockToken(t, u, pw, "/dav/draft.docx", http.StatusCreated)
			resp, body := s.do(t, u, pw, "PUT", "/dav/draft.docx", strings.NewReader("draft text"))
			wantStatus(t, "PUT without the token", resp, body, http.StatusLocked)
			resp, body = s.do(t, u, pw, "PUT", "/dav/draft.docx", strings.NewReader("draft text"), "If", "<"+s.ts.URL+"/dav/draft.docx> (<"+tok+">)")
			wantStatus(t, "PUT with the token", resp, body, http.StatusNoContent)
			resp, body = s.do(t, u, pw, "UNLOCK", "/dav/draft.docx", nil, "Lock-Token", "<"+tok+">")
			wantStatus(t, "UNLOCK", resp, body, http.StatusNoContent)
			if vs := versions(t, env, u, "/draft.docx"); len(vs) != 1 || vs[0].Size != int64(len("draft text")) {
				t.Errorf("versions: got %+v, want one of %d bytes", vs, len("draft text"))
			}
		})

		t.Run("COPY and MOVE of an empty file", func(t *testing.T) {
			s.do(t, u, pw, "PUT", "/dav/blank.txt", strings.NewReader(""))
			resp, body := s.do(t, u, pw, "COPY", "/dav/blank.txt", nil, "Destination", s.url+"blank%20copy.txt")
			wantStatus(t, "COPY", resp, body, http.StatusCreated)
			resp, body = s.do(t, u, pw, "MOVE", "/dav/blank.txt", nil, "Destination", s.url+"blank-moved.txt")
			wantStatus(t, "MOVE", resp, body, http.StatusCreated)
			for _, p := range []string{"/dav/blank%20copy.txt", "/dav/blank-moved.txt"} {
				if resp, body := s.do(t, u, pw, "GET", p, nil); resp.StatusCode != http.StatusOK || body != "" {
					t.Errorf("GET %s: got %s %q, want 200 and no content", p, resp.Status, body)
				}
			}
		})

		t.Run("empty PUT over a file", func(t *testing.T) {
			s.do(t, u, pw, "PUT", "/dav/trunc.txt", strings.NewReader("something"))
			resp, body := s.do(t, u, pw, "PUT", "/dav/trunc.txt", strings.NewReader(""))
			wantStatus(t, "empty PUT over a file", resp, body, http.StatusNoContent)
			if vs := versions(t, env, u, "/trunc.txt"); len(vs) != 2 || vs[0].Size != 0 {
				t.Errorf("versions: got %+v, want the old one and an empty one", vs)
			}
		})

		t.Run("OPTIONS", func(t *testing.T) {
			resp, _ := s.do(t, u, pw, "OPTIONS", "/dav/", nil)
			h := resp.Header
			for _, m := range []string{"PROPFIND", "PROPPATCH", "LOCK", "UNLOCK", "MKCOL", "COPY", "MOVE"} {
				if !strings.Contains(h.Get("Allow"), m) {
					t.Errorf("Allow: got %q, want it to have %s", h.Get("Allow"), m)
				}
			}
			if h.Get("DAV") != "1, 2" || h.Get("MS-Author-Via") != "DAV" || resp.StatusCode != 200 {
				t.Errorf("OPTIONS: got %s, DAV %q, MS-Author-Via %q; want 200, \"1, 2\", DAV", resp.Status, h.Get("DAV"), h.Get("MS-Author-Via"))
			}
		})
	})
}

// TestMacOSFiles checks the three policies for Finder's ._* and
// .DS_Store files.
func TestMacOSFiles(t *testing.T) {
	env := vfstest.Embedded(t)
	env.AddUser(t, "mac", "finder-password")
	u, pw := "mac", "finder-password"
	ctx := context.Background()

	t.Run("hide", func(t *testing.T) {
		s := serve(t, env.FS, nil, false) // hide is the default
		// One such file stored by another protocol is not shown either.
		sess := session(t, env, u)
		up, err := sess.Create(ctx, "/._legacy", nil)
		if err != nil {
			t.Fatal(err)
		}
		up.Write([]byte("resource fork"))
		if _, err := up.Commit(ctx); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			method, path string
			body         string
			hdr          []string
			want         int
		}{
			{"PUT", "/dav/._photo.jpg", "AppleDouble", nil, http.StatusCreated},
			{"PUT", "/dav/.DS_Store", "Bud1", nil, http.StatusCreated},
			{"GET", "/dav/._photo.jpg", "", nil, http.StatusNotFound},
			{"HEAD", "/dav/.DS_Store", "", nil, http.StatusNotFound},
			{"PROPFIND", "/dav/._photo.jpg", "", []string{"Depth", "0"}, http.StatusNotFound},
			{"LOCK", "/dav/._photo.jpg", lockBody, nil, http.StatusOK},
			{"UNLOCK", "/dav/._photo.jpg", "", []string{"Lock-Token", "<urn:uuid:00000000-0000-4000-8000-000000000000>"}, http.StatusNoContent},
			{"DELETE", "/dav/._photo.jpg", "", nil, http.StatusNoContent},
			{"GET", "/dav/._legacy", "", nil, http.StatusNotFound},
		}
		for _, tc := range tests {
			resp, body := s.do(t, u, pw, tc.method, tc.path, strings.NewReader(tc.body), tc.hdr...)
			wantStatus(t, tc.method+" "+tc.path, resp, body, tc.want)
		}
		for _, p := range []string{"/._photo.jpg", "/.DS_Store"} {
			if _, err := sess.Stat(ctx, p); !errors.Is(err, vfs.ErrNotExist) {
				t.Errorf("stat %s: got %v, want nothing stored", p, err)
			}
		}
		for href := range s.propfind(t, u, pw, "/dav/", "1", "") {
			if strings.Contains(href, "/._") || strings.Contains(href, ".DS_Store") {
				t.Errorf("listing shows %s, want macOS files hidden", href)
			}
		}
	})

	t.Run("refuse", func(t *testing.T) {
		s := serve(t, env.FS, &webdav.Options{MacOSFiles: webdav.MacOSRefuse}, false)
		resp, body := s.do(t, u, pw, "PUT", "/dav/._refused", strings.NewReader("x"))
		wantStatus(t, "PUT under refuse", resp, body, http.StatusForbidden)
	})

	t.Run("keep", func(t *testing.T) {
		s := serve(t, env.FS, &webdav.Options{MacOSFiles: webdav.MacOSKeep}, false)
		resp, body := s.do(t, u, pw, "PUT", "/dav/._kept", strings.NewReader("fork"))
		wantStatus(t, "PUT under keep", resp, body, http.StatusCreated)
		resp, body = s.do(t, u, pw, "GET", "/dav/._kept", nil)
		if resp.StatusCode != http.StatusOK || body != "fork" {
			t.Errorf("GET under keep: got %s %q, want 200 and the content", resp.Status, body)
		}
	})
}

// TestQuota checks the RFC 4331 properties and a PUT over the quota.
func TestQuota(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		ctx := context.Background()
		env.AddUser(t, "q", "quota-password")
		env.AddUser(t, "free", "quota-password")
		if err := env.Admin.UpdateUser(ctx, "q", func(u *policy.User) { u.QuotaBytes = 10000 }); err != nil {
			t.Fatal(err)
		}
		s := serve(t, env.FS, nil, false)
		const body = `<D:propfind xmlns:D="DAV:"><D:prop><D:quota-available-bytes/><D:quota-used-bytes/></D:prop></D:propfind>`

		resp, text := s.do(t, "q", "quota-password", "PUT", "/dav/a.bin", strings.NewReader(strings.Repeat("a", 4000)))
		wantStatus(t, "PUT within the quota", resp, text, http.StatusCreated)
		res := s.propfind(t, "q", "quota-password", "/dav/", "0", body)["/dav/"]
		if res.props["DAV: quota-used-bytes"] != "4000" || res.props["DAV: quota-available-bytes"] != "6000" {
			t.Errorf("quota properties: got %v, want 4000 used and 6000 available", res.props)
		}
		resp, text = s.do(t, "q", "quota-password", "PUT", "/dav/b.bin", strings.NewReader(strings.Repeat("b", 7000)))
		wantStatus(t, "PUT over the quota", resp, text, http.StatusInsufficientStorage)

		res = s.propfind(t, "free", "quota-password", "/dav/", "0", body)["/dav/"]
		if res.props["DAV: quota-used-bytes"] != "0" || !res.missing["DAV: quota-available-bytes"] {
			t.Errorf("with no quota: got %v, missing %v; want 0 used and no available", res.props, res.missing)
		}
	})
}
