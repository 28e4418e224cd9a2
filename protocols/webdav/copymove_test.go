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
	})
}

// TestPutBrokenOff sends a PUT whose body stops short: the upload must be
// aborted, leave no file, and be recorded as failed.
func TestPutBrokenOff(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		env.AddUser(t, "cut", "cut-off-password")
		s := serve(t, env.FS, nil, true)

		conn, err := net.Dial("tcp", s.ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "PUT /dav/partial.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Basic Y3V0OmN1dC1vZmYtcGFzc3dvcmQ=\r\n"+
			"Content-Length: 10485760\r\nExpect: 100-continue\r\n\r\n")
		r := bufio.NewReader(conn)
		resp, err := http.ReadResponse(r, nil)
		if err != nil || resp.StatusCode != http.StatusContinue {
			t.Fatalf("wanted 100 Continue, got %v, %v", resp, err)
		}
		// Part of the body, then the end of what the client sends: the
		// connection stays open for the reply.
		conn.Write(make([]byte, 300<<10))
		conn.(*net.TCPConn).CloseWrite()
		resp, err = http.ReadResponse(r, nil)
		if err != nil || resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("reply to the broken PUT: got %v, %v; want 400", resp, err)
		}
		conn.Close()

		if _, err := session(t, env, "cut").Stat(context.Background(), "/partial.bin"); !errors.Is(err, vfs.ErrNotExist) {
			t.Errorf("stat after the broken PUT: got %v, want no file", err)
		}
		aborted := false
		for _, e := range events(t, env, "cut") {
			aborted = aborted || (e.Op == "write" && e.Outcome == audit.Failed && strings.Contains(e.Reason, "aborted"))
		}
		if !aborted {
			t.Errorf("no record of the aborted upload in %v", events(t, env, "cut"))
		}
	})
}
