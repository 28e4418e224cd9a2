package sftp

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"strongroom/audit"
	"strongroom/vfs"
	"strongroom/vfs/meta"
	"strongroom/vfs/vfstest"
)

// A testServer is a Server on a loopback port over a test filesystem.
type testServer struct {
	env  *vfstest.Env
	srv  *Server
	addr string // host:port
	port string
	dir  string // scratch folder for keys and files
	log  *bytes.Buffer
	rec  *recorder
	ev   *events
}

// startServer serves env on 127.0.0.1:0 until the test ends, when it
// checks that Shutdown leaves no connection behind.
func startServer(t *testing.T, env *vfstest.Env, opts *Options) *testServer {
	t.Helper()
	if opts == nil {
		opts = &Options{}
	}
	rec := &recorder{}
	if opts.Auditor == nil {
		opts.Auditor = rec
	}
	key := testHostKey(t)
	logs := &bytes.Buffer{}
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := New(env.FS, []ssh.Signer{key}, log, opts)
	ev := &events{count: make(map[string]int), changed: make(chan struct{})}
	srv.hook = ev.add
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			t.Errorf("serve returned %v, want ErrServerClosed", err)
		}
		srv.mu.Lock()
		left := len(srv.conns)
		srv.mu.Unlock()
		if left != 0 {
			t.Errorf("%d connections left after shutdown", left)
		}
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	})
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return &testServer{env: env, srv: srv, addr: ln.Addr().String(), port: port, dir: t.TempDir(), log: logs, rec: rec, ev: ev}
}

// events counts the server's hook events, for tests to wait on.
type events struct {
	mu      sync.Mutex
	count   map[string]int
	changed chan struct{} // closed and replaced at each event
}

func (e *events) add(name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.count[name]++
	close(e.changed)
	e.changed = make(chan struct{})
}

func (e *events) n(name string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.count[name]
}

// waitFor waits until the server reported event name n times in all.
func (ts *testServer) waitFor(t *testing.T, name string, n int) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		ts.ev.mu.Lock()
		got, ch := ts.ev.count[name], ts.ev.changed
		ts.ev.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("waited a minute for %d %q events, saw %d", n, name, got)
		}
	}
}

// lockedWriter makes a buffer safe for the server's goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// recorder keeps the events an Auditor would record.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) Record(_ context.Context, info vfs.SessionInfo, user, op, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, fmt.Sprintf("%s %s %s: %s", info.Protocol, user, op, reason))
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

func testHostKey(t testing.TB) ssh.Signer {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A testUser is a user with a password and a key pair on disk.
type testUser struct {
	name, password string
	key            string // private key file
	signer         ssh.Signer
}

// addUser creates a user who signs in with password or the key.
func (ts *testServer) addUser(t *testing.T, name string, opts vfs.UserOptions) *testUser {
	t.Helper()
	u := &testUser{name: name, password: "pw-" + name + "-secret", key: filepath.Join(ts.dir, name+"_key")}
	out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", u.key).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	pub, err := os.ReadFile(u.key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	priv, err := os.ReadFile(u.key)
	if err != nil {
		t.Fatal(err)
	}
	if u.signer, err = ssh.ParsePrivateKey(priv); err != nil {
		t.Fatal(err)
	}
	if opts.Password == "" {
		opts.Password = u.password
	} else {
		u.password = opts.Password
	}
	opts.SSHKeys = append(opts.SSHKeys, string(pub))
	if _, err := ts.env.Admin.AddUser(context.Background(), name, opts); err != nil {
		t.Fatalf("add user %s: %v", name, err)
	}
	return u
}

// sshArgs are the OpenSSH client options for a test: this server only,
// this key only, no agent, no configuration, no questions.
func (ts *testServer) sshArgs(u *testUser, extra ...string) []string {
	args := []string{"-F", "/dev/null", "-i", u.key,
		"-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "LogLevel=ERROR", "-o", "ConnectTimeout=20"}
	return append(args, extra...)
}

// sftpBatch runs OpenSSH's sftp client with the batch commands in cmds,
// in folder dir, and returns what it printed.
func (ts *testServer) sftpBatch(t *testing.T, u *testUser, dir string, cmds ...string) (string, error) {
	t.Helper()
	cmd := ts.sftpCommand(u, dir)
	cmd.Stdin = strings.NewReader(strings.Join(cmds, "\n") + "\n")
	return output(t, cmd)
}

// output runs cmd and returns its standard output followed by its
// standard error. Standard output goes to a file: ssh makes the standard
// error it shares with sftp non-blocking, and a pipe shared by both would
// then lose output whenever it fills.
func output(t *testing.T, cmd *exec.Cmd) (string, error) {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = f, &stderr
	err = cmd.Run()
	out, rerr := os.ReadFile(f.Name())
	if rerr != nil {
		t.Fatal(rerr)
	}
	return string(out) + stderr.String(), err
}

func (ts *testServer) sftpCommand(u *testUser, dir string, extra ...string) *exec.Cmd {
	args := ts.sshArgs(u, extra...)
	args = append(args, "-P", ts.port, "-b", "-", u.name+"@127.0.0.1")
	cmd := exec.Command("sftp", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SSH_AUTH_SOCK=")
	return cmd
}

// mustBatch is sftpBatch for commands that must all succeed.
func (ts *testServer) mustBatch(t *testing.T, u *testUser, dir string, cmds ...string) string {
	t.Helper()
	out, err := ts.sftpBatch(t, u, dir, cmds...)
	if err != nil {
		t.Fatalf("sftp %q: %v\n%s", cmds, err, out)
	}
	return out
}

// client connects with the Go SSH and SFTP clients, signing in with u's
// key, and closes when the test ends.
func (ts *testServer) client(t *testing.T, u *testUser) (*ssh.Client, *sftp.Client) {
	t.Helper()
	c := ts.dial(t, u.name, ssh.PublicKeys(u.signer))
	sc, err := sftp.NewClient(c)
	if err != nil {
		t.Fatalf("sftp client: %v", err)
	}
	t.Cleanup(func() { sc.Close() })
	return c, sc
}

func (ts *testServer) dial(t *testing.T, user string, auth ...ssh.AuthMethod) *ssh.Client {
	t.Helper()
	c, err := ts.tryDial(user, auth...)
	if err != nil {
		t.Fatalf("ssh dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func (ts *testServer) tryDial(user string, auth ...ssh.AuthMethod) (*ssh.Client, error) {
	return ssh.Dial("tcp", ts.addr, &ssh.ClientConfig{
		User: user, Auth: auth, HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 20 * time.Second,
	})
}

// session opens a vfs session for checking what a client did.
func (ts *testServer) session(t *testing.T, user string) *vfs.Session {
	return ts.env.Session(t, user, "test")
}

// readAll reads a file through the vfs.
func readAll(t *testing.T, s *vfs.Session, p string) []byte {
	t.Helper()
	f, err := s.Open(context.Background(), p)
	if err != nil {
		t.Fatalf("open %s: %v", p, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatalf("read %s: %v", p, err)
	}
	return b
}

// writeFile stores data at p through the vfs.
func writeFile(t *testing.T, s *vfs.Session, p string, data []byte) {
	t.Helper()
	u, err := s.Create(context.Background(), p, nil)
	if err != nil {
		t.Fatalf("create %s: %v", p, err)
	}
	if _, err := u.Write(data); err != nil {
		t.Fatalf("write %s: %v", p, err)
	}
	if _, err := u.Commit(context.Background()); err != nil {
		t.Fatalf("commit %s: %v", p, err)
	}
}

// randomFile writes n random bytes to a new file in dir and returns its
// path and SHA-256.
func randomFile(t *testing.T, dir, name string, n int64) (string, string) {
	t.Helper()
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(f, h), rand.Reader, n); err != nil {
		t.Fatal(err)
	}
	return p, hex.EncodeToString(h.Sum(nil))
}

func fileSum(t *testing.T, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// auditEvents returns the audit records of user, oldest first.
func auditEvents(t *testing.T, env *vfstest.Env, user string) []*audit.Event {
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

func itoa(n int) string { return strconv.Itoa(n) }

// needTool skips a test whose client is not installed, except under CI,
// where every client must be there.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed; CI needs it", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}
