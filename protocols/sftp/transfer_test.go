package sftp

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"strongroom/audit"

	"strongroom/vfs"
	"strongroom/vfs/vfstest"
)

// TestPutGet uploads and downloads files with OpenSSH's sftp and compares
// their digests, over both store pairs.
func TestPutGet(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		ts := startServer(t, env, nil)
		u := ts.addUser(t, "alice", vfs.UserOptions{})
		dir := t.TempDir()

		sizes := []struct {
			name string
			size int64
		}{
			{"empty", 0},
			{"one", 1},
			{"odd", 300_001},
			{"large", 100 << 20},
		}
		for _, c := range sizes {
			t.Run(c.name, func(t *testing.T) {
				if c.size > 10<<20 && testing.Short() {
					t.Skip("large transfer in -short mode")
				}
				src, want := randomFile(t, dir, c.name+".in", c.size)
				ts.mustBatch(t, u, dir, "put "+src+" /"+c.name, "get /"+c.name+" "+c.name+".out")
				if got := fileSum(t, filepath.Join(dir, c.name+".out")); got != want {
					t.Errorf("downloaded sha256 %s, want %s", got, want)
				}
				if got := sum(readAll(t, ts.session(t, "alice"), "/"+c.name)); got != want {
					t.Errorf("stored sha256 %s, want %s", got, want)
				}
				os.Remove(src)
			})
		}
	})
}

// TestResume interrupts uploads of OpenSSH's sftp by signal, mid-transfer.
// A client killed outright leaves no file anyone can list or read, but its
// user's stat reports what arrived, and reput continues from there to the
// whole file, one version. A client interrupted with SIGINT closes its
// handle itself, which commits what it sent; reput then continues that
// file, and the result is the whole file.
func TestResume(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		ts := startServer(t, env, nil)
		u := ts.addUser(t, "alice", vfs.UserOptions{})
		dir := t.TempDir()
		src, want := randomFile(t, dir, "big", 6<<20)
		s := ts.session(t, "alice")
		ctx := context.Background()

		// interrupt starts a bandwidth-limited upload, signals the client
		// once the server has had it for a moment (so that more arrived
		// than is kept inline), and waits for the connection to end.
		interrupt := func(t *testing.T, name string, sig os.Signal) {
			t.Helper()
			uploads, closed := ts.ev.n("upload"), ts.ev.n("closed")
			cmd := ts.sftpCommand(u, dir, "-l", "8000")
			cmd.Stdin = strings.NewReader("put " + src + " /" + name + "\n")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			ts.waitFor(t, "upload", uploads+1)
			time.Sleep(300 * time.Millisecond)
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			cmd.Wait()
			ts.waitFor(t, "closed", closed+1)
		}

		kills := []struct {
			name string
			sig  os.Signal
		}{{"SIGKILL", syscall.SIGKILL}, {"SIGTERM", syscall.SIGTERM}}
		for _, k := range kills {
			t.Run(k.name, func(t *testing.T) {
				name := "killed-" + k.name
				interrupt(t, name, k.sig)
				fi, err := s.StatResumable(ctx, "/"+name)
				if err != nil {
					t.Fatalf("stat after kill: %v, want the bytes kept for resuming", err)
				}
				if fi.Size() <= 32<<10 || fi.Size() >= 6<<20 {
					t.Fatalf("stat after kill reports %d bytes, want some but not all", fi.Size())
				}
				if _, err := s.Open(ctx, "/"+name); vfs.KindOf(err) != vfs.KindNotExist {
					t.Errorf("open after kill: %v, want not found: an interrupted upload is no file", err)
				}
				if out := ts.mustBatch(t, u, dir, "ls -1"); strings.Contains(out, name) {
					t.Errorf("ls after kill shows the interrupted upload:\n%s", out)
				}

				ts.mustBatch(t, u, dir, "reput "+src+" /"+name)
				if got := sum(readAll(t, s, "/"+name)); got != want {
					t.Errorf("after reput sha256 %s, want %s", got, want)
				}
				if vs, err := s.Versions(ctx, "/"+name); err != nil || len(vs) != 1 {
					t.Errorf("after reput: %d versions, %v; want 1", len(vs), err)
				}
				kept := false
				for _, e := range auditEvents(t, env, "alice") {
					if e.Op == "write" && e.Path == "/alice/"+name && e.Outcome == audit.Failed && strings.Contains(e.Reason, "kept") {
						kept = true
					}
				}
				if !kept {
					t.Errorf("no audit record of /alice/%s kept after the connection was lost", name)
				}
			})
		}

		t.Run("interrupted-then-reput", func(t *testing.T) {
			interrupt(t, "resumed", syscall.SIGINT)
			fi, err := s.Stat(ctx, "/resumed")
			if err != nil {
				t.Fatalf("stat after interrupt: %v", err)
			}
			if fi.Size() == 0 || fi.Size() >= 6<<20 {
				t.Fatalf("interrupted upload kept %d bytes, want some but not all", fi.Size())
			}
			ts.mustBatch(t, u, dir, "reput "+src+" /resumed")
			if got := sum(readAll(t, s, "/resumed")); got != want {
				t.Errorf("after reput sha256 %s, want %s", got, want)
			}
			vs, err := s.Versions(ctx, "/resumed")
			if err != nil {
				t.Fatal(err)
			}
			if len(vs) != 2 {
				t.Errorf("got %d versions, want 2 (the interrupted one and the resumed one)", len(vs))
			}
		})

		t.Run("reget", func(t *testing.T) {
			part := filepath.Join(dir, "part")
			data, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(part, data[:2<<20+12345], 0o644); err != nil {
				t.Fatal(err)
			}
			ts.mustBatch(t, u, dir, "reget /resumed "+part)
			if got := fileSum(t, part); got != want {
				t.Errorf("after reget sha256 %s, want %s", got, want)
			}
		})
	})
}

// TestTree copies a tree up and down with put -r and get -r, with
// Unicode, spaces and an empty folder, and renames over an existing file.
func TestTree(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		ts := startServer(t, env, nil)
		u := ts.addUser(t, "alice", vfs.UserOptions{})
		dir := t.TempDir()
		tree := filepath.Join(dir, "tree")
		files := map[string]int64{
			"a.txt":                        10,
			"sub/b.bin":                    70_000,
			"sub/deeper/c.bin":             1 << 20,
			"Zürich Büro/Straße 5 ä.txt":   33,
			"日本語/ファイル name.txt":            4,
			"spaces  in  names/ x y z .md": 0,
		}
		sums := map[string]string{}
		for name, size := range files {
			p := filepath.Join(tree, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			_, sums[name] = randomFile(t, filepath.Dir(p), filepath.Base(p), size)
		}
		if err := os.MkdirAll(filepath.Join(tree, "empty"), 0o755); err != nil {
			t.Fatal(err)
		}

		ts.mustBatch(t, u, dir, "put -r tree /up", "get -r /up down")
		for name, want := range sums {
			if got := fileSum(t, filepath.Join(dir, "down", name)); got != want {
				t.Errorf("%s: sha256 %s, want %s", name, got, want)
			}
		}
		if fi, err := os.Stat(filepath.Join(dir, "down", "empty")); err != nil || !fi.IsDir() {
			t.Errorf("empty folder did not come back: %v", err)
		}

		// posix-rename replaces; the replaced file keeps its versions.
		ts.mustBatch(t, u, dir, `rename "/up/Zürich Büro/Straße 5 ä.txt" /up/a.txt`)
		s := ts.session(t, "alice")
		if got, want := sum(readAll(t, s, "/up/a.txt")), sums["Zürich Büro/Straße 5 ä.txt"]; got != want {
			t.Errorf("after rename over a.txt: sha256 %s, want %s", got, want)
		}
		if _, err := s.Stat(context.Background(), "/up/Zürich Büro/Straße 5 ä.txt"); vfs.KindOf(err) != vfs.KindNotExist {
			t.Errorf("source still there after rename: %v", err)
		}
		vs, err := s.Versions(context.Background(), "/up/a.txt")
		if err != nil || len(vs) != 2 {
			t.Fatalf("versions of a.txt after the rename over it: got %d, %v; want its own and the one moved onto it", len(vs), err)
		}
		for _, v := range vs {
			if !v.Current {
				if _, err := s.Restore(context.Background(), "/up/a.txt", v.ID); err != nil {
					t.Fatalf("restore what the rename replaced: %v", err)
				}
			}
		}
		if got, want := sum(readAll(t, s, "/up/a.txt")), sums["a.txt"]; got != want {
			t.Errorf("a.txt restored to what the rename replaced: sha256 %s, want %s", got, want)
		}
	})
}

// TestOverwriteMakesVersion uploads the same name twice: the second is a
// new version and the first stays readable.
func TestOverwriteMakesVersion(t *testing.T) {
	env := vfstest.Embedded(t)
	ts := startServer(t, env, nil)
	u := ts.addUser(t, "alice", vfs.UserOptions{})
	dir := t.TempDir()
	one, sum1 := randomFile(t, dir, "one", 1000)
	two, sum2 := randomFile(t, dir, "two", 2000)
	ts.mustBatch(t, u, dir, "put "+one+" /f", "put "+two+" /f")

	s := ts.session(t, "alice")
	ctx := context.Background()
	vs, err := s.Versions(ctx, "/f")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 {
		t.Fatalf("got %d versions, want 2", len(vs))
	}
	if got := sum(readAll(t, s, "/f")); got != sum2 {
		t.Errorf("current sha256 %s, want the second upload's %s", got, sum2)
	}
	f, err := s.OpenVersion(ctx, "/f", vs[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	old, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if got := sum(old); got != sum1 {
		t.Errorf("old version sha256 %s, want %s", got, sum1)
	}
}

// TestPreserveTimes uploads with put -p: the modification time the client
// sets is kept, and shows in a listing and after get -p.
func TestPreserveTimes(t *testing.T) {
	env := vfstest.Embedded(t)
	ts := startServer(t, env, nil)
	u := ts.addUser(t, "alice", vfs.UserOptions{})
	dir := t.TempDir()
	src, _ := randomFile(t, dir, "old", 5000)
	mtime := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := os.Chtimes(src, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	ts.mustBatch(t, u, dir, "put -p "+src+" /old", "get -p /old back")

	fi, err := ts.session(t, "alice").Stat(context.Background(), "/old")
	if err != nil {
		t.Fatal(err)
	}
	if !fi.ModTime().Equal(mtime) {
		t.Errorf("stored mtime %v, want %v", fi.ModTime(), mtime)
	}
	back, err := os.Stat(filepath.Join(dir, "back"))
	if err != nil {
		t.Fatal(err)
	}
	if !back.ModTime().Equal(mtime) {
		t.Errorf("downloaded mtime %v, want %v", back.ModTime(), mtime)
	}

	// A chmod is accepted and changes nothing.
	ts.mustBatch(t, u, dir, "chmod 600 /old", "chown 0 /old")
}

// TestLargeFolder lists a folder of 10,000 entries with ls -l and with
// the Go client.
func TestLargeFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 entries in -short mode")
	}
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		ts := startServer(t, env, nil)
		u := ts.addUser(t, "alice", vfs.UserOptions{})
		s := ts.session(t, "alice")
		ctx := context.Background()
		if err := s.Mkdir(ctx, "/many"); err != nil {
			t.Fatal(err)
		}
		const n = 10_000
		for i := 0; i < n; i++ {
			if err := s.Mkdir(ctx, fmt.Sprintf("/many/d%05d", i)); err != nil {
				t.Fatal(err)
			}
		}

		out := ts.mustBatch(t, u, t.TempDir(), "ls -l /many")
		got := 0
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "d") {
				got++
			}
		}
		if got != n {
			t.Errorf("ls -l listed %d folders, want %d", got, n)
		}

		_, c := ts.client(t, u)
		fis, err := c.ReadDir("/many")
		if err != nil {
			t.Fatal(err)
		}
		if len(fis) != n {
			t.Fatalf("ReadDir returned %d entries, want %d", len(fis), n)
		}
		for i, fi := range fis {
			if want := fmt.Sprintf("d%05d", i); fi.Name() != want {
				t.Fatalf("entry %d is %q, want %q", i, fi.Name(), want)
			}
		}
	})
}

// TestRekeyAndCiphers moves 64 MiB each way with each cipher while both
// sides renew their keys every few MiB, as a multi-GiB transfer does
// with the default limits.
func TestRekeyAndCiphers(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB transfers in -short mode")
	}
	env := vfstest.Embedded(t)
	ts := startServer(t, env, &Options{RekeyThreshold: 4 << 20})
	u := ts.addUser(t, "alice", vfs.UserOptions{})
	dir := t.TempDir()
	src, want := randomFile(t, dir, "src", 64<<20)
	for _, cipher := range []string{"aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com", "aes128-ctr"} {
		t.Run(cipher, func(t *testing.T) {
			cmd := ts.sftpCommand(u, dir, "-c", cipher, "-o", "RekeyLimit=3M", "-o", "MACs=hmac-sha2-256-etm@openssh.com")
			cmd.Stdin = strings.NewReader("put " + src + " /" + cipher + "\nget /" + cipher + " " + cipher + ".back\n")
			if out, err := output(t, cmd); err != nil {
				t.Fatalf("sftp: %v\n%s", err, out)
			}
			if got := fileSum(t, filepath.Join(dir, cipher+".back")); got != want {
				t.Errorf("round trip sha256 %s, want %s", got, want)
			}
		})
	}
}
