package sftp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"strongroom/audit"
	"strongroom/policy"
	"strongroom/vfs"
	"strongroom/vfs/vfstest"
)

// TestIsolation gives two users homes side by side under one root, each
// granted only their own, and tries every operation of one against the
// other's files, by plain paths and by path tricks. Each is refused as if
// the files did not exist, and recorded as denied.
func TestIsolation(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		ctx := context.Background()
		ts := startServer(t, env, nil)
		admin := env.Admin
		if _, err := admin.AddUser(ctx, "setup", vfs.UserOptions{Password: "setup-password"}); err != nil {
			t.Fatal(err)
		}
		setup := ts.session(t, "setup")
		for _, p := range []string{"/alice", "/bob"} {
			if err := setup.Mkdir(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		writeFile(t, setup, "/bob/secret.txt", []byte("bob's secret"))
		writeFile(t, setup, "/alice/mine.txt", []byte("alice's"))
		alice := ts.addUser(t, "alice", vfs.UserOptions{Home: "/setup"})
		ts.addUser(t, "bob", vfs.UserOptions{Home: "/setup"})
		for _, name := range []string{"alice", "bob"} {
			if err := admin.Grant(ctx, "user:"+name, "/setup/"+name, policy.All); err != nil {
				t.Fatal(err)
			}
		}

		_, c := ts.client(t, alice)
		if _, err := c.Stat("/alice/mine.txt"); err != nil {
			t.Fatalf("alice cannot see her own file: %v", err)
		}
		names, err := c.ReadDir("/")
		if err != nil {
			t.Fatal(err)
		}
		if len(names) != 1 || names[0].Name() != "alice" {
			t.Errorf("alice's root lists %v, want only alice", names)
		}

		ops := []struct {
			name string
			do   func(p string) error
		}{
			{"stat", func(p string) error { return errOnly(c.Stat(p)) }},
			{"lstat", func(p string) error { return errOnly(c.Lstat(p)) }},
			{"open", func(p string) error { return errOnly(c.Open(p)) }},
			{"create", func(p string) error { return errOnly(c.Create(p)) }},
			{"open append", func(p string) error { return errOnly(c.OpenFile(p, os.O_WRONLY|os.O_APPEND)) }},
			{"readdir", func(p string) error { return errOnly(c.ReadDir(filepath.Dir(p))) }},
			{"remove", func(p string) error { return c.Remove(p) }},
			{"rmdir", func(p string) error { return c.RemoveDirectory(filepath.Dir(p)) }},
			{"mkdir", func(p string) error { return c.Mkdir(filepath.Dir(p) + "/new") }},
			{"rename away", func(p string) error { return c.PosixRename(p, "/alice/stolen") }},
			{"rename in", func(p string) error { return c.PosixRename("/alice/mine.txt", p) }},
			{"chtimes", func(p string) error { return c.Chtimes(p, ts.srv.clock.Now(), ts.srv.clock.Now()) }},
			{"chmod", func(p string) error { return c.Chmod(p, 0o600) }},
			{"statvfs", func(p string) error { return errOnly(c.StatVFS(p)) }},
		}
		paths := []string{
			"/bob/secret.txt",
			"/alice/../bob/secret.txt",
			"../../bob/secret.txt",
			"bob/./secret.txt",
			"//bob//secret.txt",
		}
		for _, op := range ops {
			for _, p := range paths {
				err := op.do(p)
				if op.name == "statvfs" {
					// statvfs reports the user's own usage, whatever the path.
					continue
				}
				if err == nil {
					t.Errorf("%s %s: alice succeeded", op.name, p)
					continue
				}
				if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, os.ErrPermission) {
					t.Errorf("%s %s: %v, want not found or permission denied", op.name, p, err)
				}
				if strings.Contains(err.Error(), "secret") && !strings.Contains(p, "secret") {
					t.Errorf("%s %s: the message %q names what alice did not", op.name, p, err)
				}
			}
		}

		// bob's file is untouched, and alice's attempts are on record.
		if got := string(readAll(t, setup, "/bob/secret.txt")); got != "bob's secret" {
			t.Errorf("bob's file now holds %q", got)
		}
		if _, err := setup.Stat(ctx, "/alice/mine.txt"); err != nil {
			t.Errorf("alice's own file: %v", err)
		}
		denied := map[string]bool{}
		for _, e := range auditEvents(t, env, "alice") {
			if e.Outcome == audit.Denied && strings.HasPrefix(e.Path, "/setup/bob") {
				denied[e.Op] = true
				if e.Protocol != "sftp" || e.SessionID == "" || !strings.HasPrefix(e.RemoteAddr, "127.0.0.1:") {
					t.Errorf("denied record lacks the session: %+v", e)
				}
			}
		}
		// remove and rmdir look first (a folder must not go by remove),
		// and are refused, and recorded, at that stat.
		for _, op := range []string{"stat", "read", "write", "rename", "list", "mkdir"} {
			if !denied[op] {
				t.Errorf("no denied %q record for alice on /setup/bob; denied ops: %v", op, denied)
			}
		}
	})
}

// TestPasswordAndKeyboardInteractive signs in with paramiko, by password
// and by keyboard-interactive, and moves a file each way.
func TestPasswordAndKeyboardInteractive(t *testing.T) {
	python := "/usr/bin/python3"
	if out, err := exec.Command(python, "-c", "import paramiko").CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("paramiko is not installed (apt-get install python3-paramiko): %v %s", err, out)
		}
		t.Skipf("paramiko is not installed: %s", out)
	}
	env := vfstest.Embedded(t)
	ts := startServer(t, env, nil)
	u := ts.addUser(t, "alice", vfs.UserOptions{})
	dir := t.TempDir()
	src, want := randomFile(t, dir, "src", 3<<20+7)

	for _, method := range []string{"password", "keyboard-interactive"} {
		t.Run(method, func(t *testing.T) {
			cmd := exec.Command(python, "testdata/paramiko_client.py", "127.0.0.1", ts.port, u.name, u.password, method,
				src, "/"+method, filepath.Join(dir, method+".back"))
			out, err := output(t, cmd)
			if err != nil {
				t.Fatalf("paramiko: %v\n%s", err, out)
			}
			if got := fileSum(t, filepath.Join(dir, method+".back")); got != want {
				t.Errorf("round trip sha256 %s, want %s", got, want)
			}
			if got := sum(readAll(t, ts.session(t, "alice"), "/"+method)); got != want {
				t.Errorf("stored sha256 %s, want %s", got, want)
			}
		})
	}
}

// TestSignInFailures checks that an unknown user, a disabled user, a wrong
// password and a wrong key all get the same answer, and that a user who
// must show both a key and a password needs both.
func TestSignInFailures(t *testing.T) {
	env := vfstest.Embedded(t)
	ts := startServer(t, env, nil)
	ctx := context.Background()
	ts.addUser(t, "alice", vfs.UserOptions{})
	carol := ts.addUser(t, "carol", vfs.UserOptions{})
	if err := env.Admin.SetDisabled(ctx, "carol", true); err != nil {
		t.Fatal(err)
	}
	both := ts.addUser(t, "both", vfs.UserOptions{})
	if err := env.Admin.UpdateUser(ctx, "both", func(u *policy.User) { u.RequireBoth = true }); err != nil {
		t.Fatal(err)
	}
	other := testHostKey(t)

	fails := []struct {
		name string
		user string
		auth []ssh.AuthMethod
	}{
		{"unknown user", "nobody", []ssh.AuthMethod{ssh.Password("whatever")}},
		{"disabled user", "carol", []ssh.AuthMethod{ssh.Password(carol.password)}},
		{"wrong password", "alice", []ssh.AuthMethod{ssh.Password("wrong")}},
		{"unknown user, key", "nobody", []ssh.AuthMethod{ssh.PublicKeys(other)}},
		{"disabled user, key", "carol", []ssh.AuthMethod{ssh.PublicKeys(carol.signer)}},
		{"wrong key", "alice", []ssh.AuthMethod{ssh.PublicKeys(other)}},
		{"both required, key only", "both", []ssh.AuthMethod{ssh.PublicKeys(both.signer)}},
		{"both required, password only", "both", []ssh.AuthMethod{ssh.Password(both.password)}},
	}
	answers := map[string]string{}
	for _, c := range fails {
		t.Run(c.name, func(t *testing.T) {
			cl, err := ts.tryDial(c.user, c.auth...)
			if err == nil {
				cl.Close()
				t.Fatalf("signed in")
			}
			// The methods the client tried differ; what the server said
			// is the rest of the message.
			msg := err.Error()
			if i := strings.Index(msg, "no supported methods remain"); i >= 0 {
				msg = msg[i:]
			}
			answers[c.name] = msg
		})
	}
	for name, msg := range answers {
		if msg != answers["unknown user"] {
			t.Errorf("%s answered %q, unknown user %q", name, msg, answers["unknown user"])
		}
	}

	t.Run("both required, both given", func(t *testing.T) {
		cl, err := ts.tryDial("both", ssh.PublicKeys(both.signer), ssh.Password(both.password))
		if err != nil {
			t.Fatalf("key and password: %v", err)
		}
		defer cl.Close()
		c, err := sftp.NewClient(cl)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Stat("/"); err != nil {
			t.Errorf("stat: %v", err)
		}
	})

	t.Run("audit", func(t *testing.T) {
		var denied, ok int
		for _, e := range auditEvents(t, env, "alice") {
			if e.Op == "login" && e.Outcome == audit.Denied {
				denied++
			}
		}
		for _, e := range auditEvents(t, env, "both") {
			if e.Op == "login" && e.Outcome == audit.OK {
				ok++
			}
		}
		if denied != 2 {
			t.Errorf("alice has %d denied logins on record, want 2", denied)
		}
		if ok < 2 {
			t.Errorf("both has %d successful credential checks, want at least 2 (key and password)", ok)
		}
		if len(auditEvents(t, env, "nobody")) == 0 {
			t.Errorf("failed logins of an unknown user are not on record")
		}
	})
}

// TestThrottle fails from one address until the vfs throttles it: the
// right password is then refused too, with a banner saying why.
func TestThrottle(t *testing.T) {
	env := vfstest.Embedded(t)
	ts := startServer(t, env, nil)
	alice := ts.addUser(t, "alice", vfs.UserOptions{})
	for i := 0; i < 10; i++ {
		if cl, err := ts.tryDial("alice", ssh.Password(fmt.Sprintf("wrong %d", i))); err == nil {
			cl.Close()
			t.Fatalf("a wrong password signed in")
		}
	}
	var banner string
	cl, err := ssh.Dial("tcp", ts.addr, &ssh.ClientConfig{
		User: "alice", Auth: []ssh.AuthMethod{ssh.Password(alice.password)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		BannerCallback:  func(msg string) error { banner += msg; return nil },
	})
	if err == nil {
		cl.Close()
		t.Fatalf("a throttled address signed in")
	}
	if !strings.Contains(banner, "Too many failed sign-ins") {
		t.Errorf("banner %q does not say the address is throttled", banner)
	}
	throttled := false
	for _, e := range auditEvents(t, env, "alice") {
		if e.Op == "login" && e.Outcome == audit.Denied && strings.Contains(e.Reason, "throttled") {
			throttled = true
		}
	}
	if !throttled {
		t.Errorf("no throttled sign-in on record")
	}
}
