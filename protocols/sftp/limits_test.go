package sftp

import (
	"context"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"strongroom/vfs"
	"strongroom/vfs/vfstest"
)

// fakeClock is a Clock that moves only when told to.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c       *fakeClock
	at      time.Time
	f       func()
	stopped bool
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

// advance moves the clock and runs, in order, the calls that fall due.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []*fakeTimer
	keep := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.stopped:
		case !t.at.After(c.now):
			t.stopped = true
			due = append(due, t)
		default:
			keep = append(keep, t)
		}
	}
	c.timers = keep
	c.mu.Unlock()
	for _, t := range due {
		t.f()
	}
}

func hasEvent(events []string, part string) bool {
	return slices.ContainsFunc(events, func(e string) bool { return strings.Contains(e, part) })
}

// TestSessionLimits fills the per-user and the total session limits: the
// connection past either is refused with a message, and the refusal is
// recorded.
func TestSessionLimits(t *testing.T) {
	env := vfstest.Embedded(t)
	ts := startServer(t, env, &Options{MaxSessions: 2, MaxUserSessions: 1})
	alice := ts.addUser(t, "alice", vfs.UserOptions{})
	bob := ts.addUser(t, "bob", vfs.UserOptions{})
	carol := ts.addUser(t, "carol", vfs.UserOptions{})
	dir := t.TempDir()

	ts.client(t, alice)
	out, err := ts.sftpBatch(t, alice, dir, "ls /")
	if err == nil || !strings.Contains(out, "too many sessions for this user") {
		t.Errorf("second session of alice: %v\n%s\nwant a refusal naming the per-user limit", err, out)
	}
	if !hasEvent(ts.rec.all(), "alice session: refused: too many sessions for this user") {
		t.Errorf("per-user refusal not recorded: %q", ts.rec.all())
	}

	ts.client(t, bob)
	out, err = ts.sftpBatch(t, carol, dir, "ls /")
	if err == nil || !strings.Contains(out, "too many sessions on this server") {
		t.Errorf("third session in all: %v\n%s\nwant a refusal naming the server limit", err, out)
	}
	if !hasEvent(ts.rec.all(), "carol session: refused: too many sessions on this server") {
		t.Errorf("server-wide refusal not recorded: %q", ts.rec.all())
	}
}

// TestTransferLimit opens more files on one connection than MaxTransfers
// allows; closing one lets the next open.
func TestTransferLimit(t *testing.T) {
	env := vfstest.Embedded(t)
	ts := startServer(t, env, &Options{MaxTransfers: 3})
	u := ts.addUser(t, "alice", vfs.UserOptions{})
	writeFile(t, ts.session(t, "alice"), "/f", []byte("data"))
	_, c := ts.client(t, u)

	var open []*sftp.File
	for i := 0; i < 3; i++ {
		f, err := c.Open("/f")
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		open = append(open, f)
	}
	_, err := c.Create("/new")
	wantStatus(t, "fourth open", err, codeFailure, "too many files open at once (at most 3 per connection)")
	if !hasEvent(ts.rec.all(), "alice transfer: refused") {
		t.Errorf("refused transfer not recorded: %q", ts.rec.all())
	}
	open[0].Close()
	f, err := c.Create("/new")
	if err != nil {
		t.Fatalf("open after a close: %v", err)
	}
	f.Close()
}

// TestIdleTimeout moves a fake clock past the idle timeout: the server
// closes the connection, aborting the upload it had open, and records it.
func TestIdleTimeout(t *testing.T) {
	env := vfstest.Embedded(t)
	clock := &fakeClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	ts := startServer(t, env, &Options{IdleTimeout: time.Minute, Clock: clock})
	u := ts.addUser(t, "alice", vfs.UserOptions{})
	cl, c := ts.client(t, u)
	f, err := c.Create("/pending")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("half")); err != nil {
		t.Fatal(err)
	}

	clock.advance(59 * time.Second)
	if _, err := c.Stat("/"); err != nil {
		t.Fatalf("connection closed before the timeout: %v", err)
	}
	clock.advance(59 * time.Second) // 59s after the stat: the check finds time left
	clock.advance(2 * time.Second)
	closed := make(chan error, 1)
	go func() { closed <- cl.Wait() }()
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		t.Fatalf("connection still open after the idle timeout")
	}
	ts.waitFor(t, "closed", 1)
	if !hasEvent(ts.rec.all(), "alice idle: connection closed after 1m0s") {
		t.Errorf("idle close not recorded: %q", ts.rec.all())
	}
	if _, err := ts.session(t, "alice").Stat(context.Background(), "/pending"); vfs.KindOf(err) != vfs.KindNotExist {
		t.Errorf("the upload open at the timeout: %v, want not found", err)
	}
}

// TestNotSFTP asks for a shell, a command and legacy scp: each is refused
// with a message that says to use SFTP. scp in its default SFTP mode
// works.
func TestNotSFTP(t *testing.T) {
	env := vfstest.Embedded(t)
	ts := startServer(t, env, nil)
	u := ts.addUser(t, "alice", vfs.UserOptions{})
	dir := t.TempDir()
	src, want := randomFile(t, dir, "f", 50_000)

	cases := []struct {
		name string
		cmd  *exec.Cmd
		want string
	}{
		{"shell", exec.Command("ssh", append(ts.sshArgs(u), "-T", "-p", ts.port, "alice@127.0.0.1")...), "there is no shell"},
		{"command", exec.Command("ssh", append(ts.sshArgs(u), "-p", ts.port, "alice@127.0.0.1", "ls", "/")...), "speaks SFTP only"},
		{"scp -O", exec.Command("scp", append(ts.sshArgs(u), "-O", "-P", ts.port, src, "alice@127.0.0.1:/legacy")...), "scp without -O"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := output(t, c.cmd)
			if err == nil {
				t.Errorf("succeeded, want a refusal:\n%s", out)
			}
			if !strings.Contains(out, c.want) {
				t.Errorf("output %q does not contain %q", out, c.want)
			}
		})
	}

	t.Run("scp", func(t *testing.T) {
		back := filepath.Join(dir, "back")
		for _, args := range [][]string{
			{"-P", ts.port, src, "alice@127.0.0.1:/copied"},
			{"-P", ts.port, "alice@127.0.0.1:/copied", back},
		} {
			if out, err := output(t, exec.Command("scp", append(ts.sshArgs(u), args...)...)); err != nil {
				t.Fatalf("scp %v: %v\n%s", args, err, out)
			}
		}
		if got := fileSum(t, back); got != want {
			t.Errorf("scp round trip sha256 %s, want %s", got, want)
		}
	})
}

// TestShutdown drains: a connection with an upload open keeps it until it
// closes the file, which commits; new connections are refused meanwhile.
func TestShutdown(t *testing.T) {
	env := vfstest.Embedded(t)
	ts := startServer(t, env, nil)
	u := ts.addUser(t, "alice", vfs.UserOptions{})
	_, idle := ts.client(t, u)
	_, busy := ts.client(t, u)
	if _, err := idle.Stat("/"); err != nil {
		t.Fatal(err)
	}
	f, err := busy.Create("/during")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("before ")); err != nil {
		t.Fatal(err)
	}

	closed := ts.ev.n("closed")
	done := make(chan error, 1)
	go func() { done <- ts.srv.Shutdown(context.Background()) }()
	ts.waitFor(t, "closed", closed+1) // the idle one
	if _, err := idle.Stat("/"); err == nil {
		t.Errorf("the idle connection still answers after Shutdown")
	}
	if cl, err := ts.tryDial("alice", nil...); err == nil {
		cl.Close()
		t.Errorf("a new connection was accepted during Shutdown")
	}
	if _, err := f.Write([]byte("and after")); err != nil {
		t.Fatalf("write during shutdown: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("close during shutdown: %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("shutdown: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("Shutdown did not return once the upload was closed")
	}
	if got := string(readAll(t, ts.session(t, "alice"), "/during")); got != "before and after" {
		t.Errorf("upload finished during shutdown holds %q", got)
	}
}

// TestShutdownDeadline ends Shutdown's grace period with an upload still
// open: the connection is closed and the upload aborted.
func TestShutdownDeadline(t *testing.T) {
	env := vfstest.Embedded(t)
	ts := startServer(t, env, nil)
	u := ts.addUser(t, "alice", vfs.UserOptions{})
	_, c := ts.client(t, u)
	f, err := c.Create("/unfinished")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("partial")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ts.srv.Shutdown(ctx); err != context.Canceled {
		t.Errorf("shutdown: %v, want context.Canceled", err)
	}
	if _, err := ts.session(t, "alice").Stat(context.Background(), "/unfinished"); vfs.KindOf(err) != vfs.KindNotExist {
		t.Errorf("upload cut off by shutdown: %v, want not found", err)
	}
}

// TestHandshakesPerAddress holds connections open without signing in from
// one address: past the per-address bound they are closed at once, and a
// client from another address still signs in.
func TestHandshakesPerAddress(t *testing.T) {
	env := vfstest.Embedded(t)
	ts := startServer(t, env, nil)
	alice := ts.addUser(t, "alice", vfs.UserOptions{})

	var idle []net.Conn
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	for range maxHostHandshakes {
		c, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	// The server reads each connection's banner exchange only once it
	// counts it; wait until the last counted one has had its greeting.
	buf := make([]byte, 4)
	if _, err := io.ReadFull(idle[len(idle)-1], buf); err != nil {
		t.Fatalf("greeting of the last idle connection: %v", err)
	}

	extra, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	extra.SetReadDeadline(time.Now().Add(20 * time.Second))
	if n, err := extra.Read(buf); err == nil {
		t.Errorf("connection past the per-address bound got %d bytes, want it closed", n)
	}
	if !hasEvent(ts.rec.all(), "connection: refused: too many connections from this address") {
		t.Errorf("refusal not recorded: %q", ts.rec.all())
	}

	// Another loopback address is not held back.
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 20 * time.Second}
	nc, err := d.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	sc, chans, reqs, err := ssh.NewClientConn(nc, ts.addr, &ssh.ClientConfig{
		User: alice.name, Auth: []ssh.AuthMethod{ssh.PublicKeys(alice.signer)}, HostKeyCallback: ssh.InsecureIgnoreHostKey(),
	})
	if err != nil {
		t.Fatalf("sign-in from 127.0.0.2 while 127.0.0.1 holds its bound: %v", err)
	}
	ssh.NewClient(sc, chans, reqs).Close()
}

// TestSilentConnection connects and sends nothing: the connection is
// closed after KexTimeout, well before LoginTimeout, so that silent
// connections cannot hold the places of those signing in; and a client
// that signs in at once is not cut off by it.
func TestSilentConnection(t *testing.T) {
	env := vfstest.Embedded(t)
	ts := startServer(t, env, &Options{KexTimeout: 300 * time.Millisecond, LoginTimeout: time.Minute})
	alice := ts.addUser(t, "alice", vfs.UserOptions{})

	c, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	c.SetReadDeadline(start.Add(20 * time.Second))
	if _, err := io.Copy(io.Discard, c); err != nil {
		t.Fatalf("silent connection: %v, want it closed by the server", err)
	}
	if waited := time.Since(start); waited > 10*time.Second {
		t.Errorf("silent connection closed after %s, want about the key exchange timeout", waited)
	}

	_, client := ts.client(t, alice)
	time.Sleep(500 * time.Millisecond) // past KexTimeout, signed in
	if _, err := client.ReadDir("/"); err != nil {
		t.Errorf("signed-in client after the key exchange timeout: %v", err)
	}
}
