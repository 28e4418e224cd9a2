package webdav_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"strongroom/audit"
	"strongroom/vfs"
	"strongroom/vfs/vfstest"
)

// TestCopyMoveNames copies and moves files with percent-encoded and
// Unicode names across folders, with and without Overwrite.
func TestCopyMoveNames(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		env.AddUser(t, "cm", "copymove-password")
		s := serve(t, env.FS, nil, false)
		u, pw := "cm", "copymove-password"
		ctx := context.Background()
		for _, c := range []string{"/dav/src/", "/dav/d%C3%A9st%20dir/"} {
			s.do(t, u, pw, "MKCOL", c, nil)
		}
		s.do(t, u, pw, "PUT", "/dav/src/r%C3%A9sum%C3%A9%20%231.txt", strings.NewReader("cv"))

		tests := []struct {
			method, from, to string
			hdr              []string
			want             int
			stored           string // session path that must then hold "cv"
		}{
			{"COPY", "/dav/src/r%C3%A9sum%C3%A9%20%231.txt", "/dav/d%C3%A9st%20dir/%E6%97%A5%E6%9C%AC.txt", nil, 201, "/dést dir/日本.txt"},
			{"COPY", "/dav/src/r%C3%A9sum%C3%A9%20%231.txt", "/dav/d%C3%A9st%20dir/%E6%97%A5%E6%9C%AC.txt", []string{"Overwrite", "F"}, 412, "/dést dir/日本.txt"},
			{"COPY", "/dav/src/r%C3%A9sum%C3%A9%20%231.txt", "/dav/d%C3%A9st%20dir/%E6%97%A5%E6%9C%AC.txt", []string{"Overwrite", "T"}, 204, "/dést dir/日本.txt"},
			{"MOVE", "/dav/src/r%C3%A9sum%C3%A9%20%231.txt", "/dav/d%C3%A9st%20dir/a%2Bb%3Dc.txt", nil, 201, "/dést dir/a+b=c.txt"},
			{"MOVE", "/dav/d%C3%A9st%20dir/a%2Bb%3Dc.txt", "/dav/nowhere/x.txt", nil, 409, "/dést dir/a+b=c.txt"},
			{"COPY", "/dav/d%C3%A9st%20dir/", "/dav/copy%20of%20dir/", nil, 201, "/copy of dir/a+b=c.txt"},
			{"MOVE", "/dav/copy%20of%20dir/", "/dav/d%C3%A9st%20dir/", []string{"Overwrite", "T"}, 204, "/dést dir/日本.txt"},
		}
		for _, tc := range tests {
			t.Run(tc.method+" "+tc.to, func(t *testing.T) {
				hdr := append([]string{"Destination", s.ts.URL + tc.to}, tc.hdr...)
				resp, body := s.do(t, u, pw, tc.method, tc.from, nil, hdr...)
				wantStatus(t, tc.method, resp, body, tc.want)
				f, err := session(t, env, u).Open(ctx, tc.stored)
				if err != nil {
					t.Fatalf("open %s: %v", tc.stored, err)
				}
				defer f.Close()
				if f.Stat().Size() != 2 {
					t.Errorf("%s: got %d bytes, want the 2 of the source", tc.stored, f.Stat().Size())
				}
			})
		}
		if _, err := session(t, env, u).Stat(ctx, "/copy of dir"); !errors.Is(err, vfs.ErrNotExist) {
			t.Errorf("the moved folder's old name: got %v, want gone", err)
		}

		// The user's root stays where it is, and the refusal says why.
		resp, body := s.do(t, u, pw, "MOVE", "/dav/", nil, "Destination", s.ts.URL+"/dav/newroot/")
		wantStatus(t, "MOVE of the root", resp, body, http.StatusForbidden)
		if !strings.Contains(body, "root folder cannot be moved") {
			t.Errorf("MOVE of the root: got %q, want it to say the root cannot be moved", body)
		}
	})
}

// TestPutBrokenOff sends a PUT whose body stops short: the upload must be
// aborted, leave no file, and be recorded as failed.
func TestPutBrokenOff(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		env.AddUser(t, "cut", "cut-off-password")
		s := serve(t, env.FS, nil, true)

		// Cut within the first read of the body, before an upload starts,
		// and after one has.
		for _, tc := range []struct {
			name   string
			sent   int
			op     string
			reason string
		}{{"early.bin", 40000, "write", "broke off"}, {"partial.bin", 300 << 10, "write", "aborted"}} {
			conn, err := net.Dial("tcp", s.ts.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(conn, "PUT /dav/%s HTTP/1.1\r\nHost: x\r\nAuthorization: Basic Y3V0OmN1dC1vZmYtcGFzc3dvcmQ=\r\n"+
				"Content-Length: 10485760\r\nExpect: 100-continue\r\n\r\n", tc.name)
			r := bufio.NewReader(conn)
			resp, err := http.ReadResponse(r, nil)
			if err != nil || resp.StatusCode != http.StatusContinue {
				t.Fatalf("wanted 100 Continue, got %v, %v", resp, err)
			}
			// Part of the body, then the end of what the client sends: the
			// connection stays open for the reply.
			conn.Write(make([]byte, tc.sent))
			conn.(*net.TCPConn).CloseWrite()
			resp, err = http.ReadResponse(r, nil)
			if err != nil || resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("reply to the PUT of %s broken off after %d bytes: got %v, %v; want 400", tc.name, tc.sent, resp, err)
			}
			conn.Close()

			if _, err := session(t, env, "cut").Stat(context.Background(), "/"+tc.name); !errors.Is(err, vfs.ErrNotExist) {
				t.Errorf("stat after the broken PUT of %s: got %v, want no file", tc.name, err)
			}
			recorded := false
			for _, e := range events(t, env, "cut") {
				recorded = recorded || (e.Op == tc.op && strings.HasSuffix(e.Path, tc.name) && e.Outcome == audit.Failed && strings.Contains(e.Reason, tc.reason))
			}
			if !recorded {
				t.Errorf("no %s record of the broken PUT of %s in %v", tc.op, tc.name, events(t, env, "cut"))
			}
		}
	})
}

// An interrupted upload kept for SFTP's reput does not show over WebDAV:
// HEAD and PROPFIND agree with GET, and the name is free for a PUT, COPY
// or MOVE as if nothing were there.
func TestKeptUploadUnseen(t *testing.T) {
	env := vfstest.Embedded(t)
	env.AddUser(t, "kept", "kept-password")
	s := serve(t, env.FS, nil, false)
	sess := session(t, env, "kept")
	ctx := context.Background()
	for _, name := range []string{"/ghost.bin", "/ghost2.bin", "/over.bin"} {
		if name == "/over.bin" {
			s.do(t, "kept", "kept-password", "PUT", "/dav/over.bin", strings.NewReader("the whole file"))
		}
		u, err := sess.Create(ctx, name, nil)
		if err != nil {
			t.Fatal(err)
		}
		u.Write(make([]byte, 100<<10))
		if kept := u.Suspend(ctx); kept != 100<<10 {
			t.Fatalf("Suspend kept %d bytes of %s", kept, name)
		}
	}

	if resp, _ := s.do(t, "kept", "kept-password", "HEAD", "/dav/ghost.bin", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("HEAD of a name with only a kept upload: %s, want 404", resp.Status)
	}
	resp, _ := s.do(t, "kept", "kept-password", "HEAD", "/dav/over.bin", nil)
	if resp.ContentLength != int64(len("the whole file")) {
		t.Errorf("HEAD of a file with a kept upload: Content-Length %d, want the file's %d", resp.ContentLength, len("the whole file"))
	}
	_, body := s.do(t, "kept", "kept-password", "PROPFIND", "/dav/over.bin", nil, "Depth", "0")
	if !strings.Contains(body, fmt.Sprintf("<D:getcontentlength>%d<", len("the whole file"))) {
		t.Errorf("PROPFIND of a file with a kept upload does not report the file's size:\n%s", body)
	}
	if resp, _ := s.do(t, "kept", "kept-password", "PUT", "/dav/ghost.bin", strings.NewReader("")); resp.StatusCode != http.StatusCreated {
		t.Errorf("empty PUT to a name with only a kept upload: %s, want 201", resp.Status)
	}
	s.do(t, "kept", "kept-password", "PUT", "/dav/src.txt", strings.NewReader("src"))
	if resp, _ := s.do(t, "kept", "kept-password", "COPY", "/dav/src.txt", nil, "Destination", s.url+"ghost2.bin", "Overwrite", "F"); resp.StatusCode != http.StatusCreated {
		t.Errorf("COPY with Overwrite: F onto a name with only a kept upload: %s, want 201", resp.Status)
	}
	// The copy ended the kept upload: SFTP's stat sees the copy.
	if fi, err := sess.StatResumable(ctx, "/ghost2.bin"); err != nil || fi.Size() != 3 {
		t.Errorf("resumable stat after a COPY onto the name: %v, %v; want the 3-byte copy", fi, err)
	}
}
