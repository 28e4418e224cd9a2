package sftp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"strongroom/vfs"
	"strongroom/vfs/vfstest"
)

// rawSFTP speaks SFTP packet by packet over the "sftp" subsystem of a Go
// SSH client, to send what no well-behaved client would.
type rawSFTP struct {
	t  *testing.T
	in io.WriteCloser
	r  io.Reader
	id uint32
}

func (ts *testServer) raw(t *testing.T, u *testUser) *rawSFTP {
	t.Helper()
	c := ts.dial(t, u.name, ssh.PublicKeys(u.signer))
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	in, err := s.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RequestSubsystem("sftp"); err != nil {
		t.Fatal(err)
	}
	return &rawSFTP{t: t, in: in, r: out}
}

// init sends INIT and returns the VERSION packet's extension names.
func (r *rawSFTP) init() []string {
	r.t.Helper()
	r.write(packet(fxpInit, u32(3)))
	typ, body, err := r.read()
	if err != nil || typ != fxpVersion {
		r.t.Fatalf("init: type %d, %v; want VERSION", typ, err)
	}
	var names []string
	for rest := body[4:]; len(rest) > 0; {
		name, after, ok := parseString(rest)
		if !ok {
			r.t.Fatalf("bad VERSION packet %x", body)
		}
		_, rest, _ = parseString(after)
		names = append(names, string(name))
	}
	return names
}

func (r *rawSFTP) write(b []byte) {
	r.t.Helper()
	if _, err := r.in.Write(b); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// read returns the next packet's type and the rest of it.
func (r *rawSFTP) read() (byte, []byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r.r, hdr[:]); err != nil {
		return 0, nil, err
	}
	b := make([]byte, binary.BigEndian.Uint32(hdr[:]))
	if _, err := io.ReadFull(r.r, b); err != nil {
		return 0, nil, err
	}
	return b[0], b[1:], nil
}

// call sends a request of type typ with a fresh id and body, and returns
// the reply's type and body after the id.
func (r *rawSFTP) call(typ byte, body ...[]byte) (byte, []byte) {
	r.t.Helper()
	r.id++
	r.write(packet(typ, append([][]byte{u32(r.id)}, body...)...))
	rt, rb, err := r.read()
	if err != nil {
		r.t.Fatalf("reply to packet type %d: %v", typ, err)
	}
	if len(rb) < 4 || binary.BigEndian.Uint32(rb) != r.id {
		r.t.Fatalf("reply to packet type %d has the wrong id: %x", typ, rb)
	}
	return rt, rb[4:]
}

// status sends a request and returns the code and message of its
// STATUS reply.
func (r *rawSFTP) status(typ byte, body ...[]byte) (uint32, string) {
	r.t.Helper()
	rt, rb := r.call(typ, body...)
	return statusOf(r.t, rt, rb)
}

// statusOf reads a STATUS body: code and message.
func statusOf(t *testing.T, typ byte, body []byte) (uint32, string) {
	t.Helper()
	if typ != 101 || len(body) < 4 {
		t.Fatalf("got packet type %d, want STATUS", typ)
	}
	msg, _, _ := parseString(body[4:])
	return binary.BigEndian.Uint32(body), string(msg)
}

func packet(typ byte, parts ...[]byte) []byte {
	body := []byte{typ}
	for _, p := range parts {
		body = append(body, p...)
	}
	return append(u32(uint32(len(body))), body...)
}

func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func str(s string) []byte { return appendString(nil, []byte(s)) }

// SFTP status codes.
const (
	codeEOF         = 1
	codeNoSuchFile  = 2
	codePermission  = 3
	codeFailure     = 4
	codeUnsupported = 8
)

// TestBadInput sends what a broken or hostile client might, and checks
// that each gets a clear refusal, or a closed channel, and that the server
// goes on serving.
func TestBadInput(t *testing.T) {
	env := vfstest.Embedded(t)
	ts := startServer(t, env, nil)
	u := ts.addUser(t, "alice", vfs.UserOptions{})
	s := ts.session(t, "alice")
	writeFile(t, s, "/file", []byte("hello"))

	// Each of these ends the channel; the next check is that the server
	// still serves a new one.
	fatal := []struct {
		name string
		data []byte
	}{
		{"oversized length", append(u32(1<<31), 3, 0, 0, 0, 1)},
		{"just over the limit", append(u32(maxPacket+1), make([]byte, 64)...)},
		{"zero length", u32(0)},
		{"truncated open", packet(fxpOpen, u32(7), u32(1000), []byte("short"))},
		{"unknown type", packet(99, u32(1))},
		{"garbage", bytes.Repeat([]byte{0xff, 0, 0x13, 0x37}, 1000)},
	}
	for _, c := range fatal {
		t.Run(c.name, func(t *testing.T) {
			r := ts.raw(t, u)
			r.init()
			r.write(c.data)
			done := make(chan error, 1)
			go func() {
				_, _, err := r.read()
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil {
					t.Logf("server answered a packet; it may also close")
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("server neither answered nor closed the channel")
			}
			ts.mustBatch(t, u, t.TempDir(), "ls /")
		})
	}

	t.Run("extensions", func(t *testing.T) {
		got := strings.Join(ts.raw(t, u).init(), ",")
		want := "posix-rename@openssh.com,statvfs@openssh.com,fsync@openssh.com,limits@openssh.com"
		if got != want {
			t.Errorf("extensions %s, want %s", got, want)
		}
	})

	t.Run("requests", func(t *testing.T) {
		r := ts.raw(t, u)
		r.init()
		cases := []struct {
			name     string
			typ      byte
			body     [][]byte
			wantCode uint32
			wantMsg  string
		}{
			{"nul in path", 17, [][]byte{str("/a\x00b")}, codeFailure, "control characters"},
			{"open nul in path", fxpOpen, [][]byte{str("/x\x00y"), u32(fxfWrite | fxfCreat | fxfTrunc), u32(0)}, codeFailure, "control characters"},
			{"overlong name", 17, [][]byte{str("/" + strings.Repeat("n", 300))}, codeFailure, "at most 255 bytes"},
			{"symlink", 20, [][]byte{str("/file"), str("/link")}, codeUnsupported, "symbolic links are not supported"},
			{"hardlink", fxpExtended, [][]byte{str("hardlink@openssh.com"), str("/file"), str("/hard")}, codeUnsupported, "hard links are not supported"},
			{"unknown extension", fxpExtended, [][]byte{str("copy-data"), str("x")}, codeUnsupported, ""},
			{"readlink", 19, [][]byte{str("/file")}, codeFailure, "not a symbolic link"},
			{"read bad handle", 5, [][]byte{str("999"), u32(0), u32(0), u32(100)}, codeFailure, ""},
			{"close bad handle", 4, [][]byte{str("nope")}, codeFailure, ""},
			{"fsync bad handle", fxpExtended, [][]byte{str("fsync@openssh.com"), str("nope")}, codeFailure, ""},
			{"remove folder", 13, [][]byte{str("/")}, codeFailure, "use rmdir"},
			{"rmdir file", 15, [][]byte{str("/file")}, codeFailure, "not a folder"},
			{"dotdot stays in root", 17, [][]byte{str("/../../../etc/passwd")}, codeNoSuchFile, "/etc/passwd: not found"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				code, msg := r.status(c.typ, c.body...)
				if code != c.wantCode || !strings.Contains(msg, c.wantMsg) {
					t.Errorf("got status %d %q, want %d containing %q", code, msg, c.wantCode, c.wantMsg)
				}
			})
		}
	})

	t.Run("read after close", func(t *testing.T) {
		r := ts.raw(t, u)
		r.init()
		typ, body := r.call(fxpOpen, str("/file"), u32(fxfRead), u32(0))
		if typ != 102 {
			t.Fatalf("open: got type %d, want HANDLE", typ)
		}
		handle, _, _ := parseString(body)
		if code, msg := r.status(4, appendString(nil, handle)); code != 0 {
			t.Fatalf("close: %d %s", code, msg)
		}
		code, msg := r.status(5, appendString(nil, handle), make([]byte, 8), u32(10))
		if code != codeFailure || msg == "" {
			t.Errorf("read after close: status %d %q, want a failure with a message", code, msg)
		}
	})

	t.Run("read from write handle", func(t *testing.T) {
		r := ts.raw(t, u)
		r.init()
		typ, body := r.call(fxpOpen, str("/wo"), u32(fxfWrite|fxfCreat|fxfTrunc), u32(0))
		if typ != 102 {
			t.Fatalf("open: got type %d, want HANDLE", typ)
		}
		handle, _, _ := parseString(body)
		code, msg := r.status(5, appendString(nil, handle), make([]byte, 8), u32(10))
		if code != codeUnsupported || !strings.Contains(msg, "cannot be read") {
			t.Errorf("read of a write handle: status %d %q, want unsupported", code, msg)
		}
		if code, msg := r.status(6, appendString(nil, handle), make([]byte, 8), str("data")); code != 0 {
			t.Errorf("write after the refused read: %d %s", code, msg)
		}
		if code, msg := r.status(4, appendString(nil, handle)); code != 0 {
			t.Errorf("close: %d %s", code, msg)
		}
		if got := string(readAll(t, s, "/wo")); got != "data" {
			t.Errorf("stored %q, want %q: the refused read must not write", got, "data")
		}
	})

	t.Run("10000 handles", func(t *testing.T) {
		r := ts.raw(t, u)
		r.init()
		// Pipelined, as a hostile client would send them.
		const n = 10_000
		var batch []byte
		for i := 0; i < n; i++ {
			batch = append(batch, packet(11, u32(uint32(i+1)), str("/"))...)
		}
		go r.in.Write(batch)
		handles, refused := 0, 0
		for i := 0; i < n; i++ {
			typ, body, err := r.read()
			if err != nil {
				t.Fatalf("reply %d: %v", i, err)
			}
			switch typ {
			case 102:
				handles++
			case 101:
				if _, msg := statusOf(t, typ, body[4:]); !strings.Contains(msg, "too many open handles") {
					t.Fatalf("refusal says %q", msg)
				}
				refused++
			}
		}
		if handles != maxHandles || refused != n-maxHandles {
			t.Errorf("got %d handles and %d refusals, want %d and %d", handles, refused, maxHandles, n-maxHandles)
		}
	})

	t.Run("client errors", func(t *testing.T) {
		_, c := ts.client(t, u)
		f, err := c.Create("/far")
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.WriteAt([]byte("x"), 1<<62)
		wantStatus(t, "write at 2^62", err, codeFailure, "ahead")
		if err := f.Close(); err == nil {
			t.Errorf("close after a failed write committed the upload")
		}
		if _, err := s.Stat(t.Context(), "/far"); vfs.KindOf(err) != vfs.KindNotExist {
			t.Errorf("stat of the failed upload: %v, want not found", err)
		}

		if err := c.MkdirAll("/p/c"); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, "rename into own child", c.PosixRename("/p", "/p/c/p"), codeFailure, "into itself")
		wantStatus(t, "rename the root", c.PosixRename("/", "/x"), codePermission, "")
		wantStatus(t, "rename over existing without posix-rename", c.Rename("/p", "/file"), codeFailure, "already exists")
		wantStatus(t, "truncate", c.Truncate("/file", 2), codeUnsupported, "size cannot be changed")
		wantStatus(t, "mkdir existing", c.Mkdir("/p"), codeFailure, "already exists")
		wantStatus(t, "remove missing", c.Remove("/nothing"), codeNoSuchFile, "")
		wantStatus(t, "open missing", errOnly(c.Open("/nothing")), codeNoSuchFile, "not found")
		wantStatus(t, "statvfs without quota", errOnly(c.StatVFS("/")), codeUnsupported, "no quota")
		wantStatus(t, "symlink", c.Symlink("/file", "/l"), codeUnsupported, "symbolic links")
		if err := f.Close(); !errors.Is(err, os.ErrClosed) && err != nil {
			t.Logf("second close: %v", err)
		}
	})

	// After all that, the server still serves.
	dir := t.TempDir()
	src, want := randomFile(t, dir, "after", 100_000)
	ts.mustBatch(t, u, dir, "put "+src+" /after", "get /after back")
	if got := fileSum(t, dir+"/back"); got != want {
		t.Errorf("after bad input: sha256 %s, want %s", got, want)
	}
}

func errOnly[T any](_ T, err error) error { return err }

// wantStatus checks that err is an SFTP status with code, and a message
// containing msg.
func wantStatus(t *testing.T, what string, err error, code uint32, msg string) {
	t.Helper()
	// The Go client turns these two codes into os errors.
	switch {
	case code == codeNoSuchFile && errors.Is(err, os.ErrNotExist),
		code == codePermission && errors.Is(err, os.ErrPermission):
		return
	}
	var se *sftp.StatusError
	if !errors.As(err, &se) {
		t.Errorf("%s: got %v, want an SFTP status %d", what, err, code)
		return
	}
	if se.Code != code || !strings.Contains(err.Error(), msg) {
		t.Errorf("%s: got status %d %q, want %d containing %q", what, se.Code, err.Error(), code, msg)
	}
}
