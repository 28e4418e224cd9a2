package webdav_test

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"strongroom/vfs/vfstest"
)

// TestCadaver scripts cadaver, the command-line WebDAV client, through
// folders, uploads, properties, locks, copies and moves.
func TestCadaver(t *testing.T) {
	bin := need(t, "cadaver")
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		env.AddUser(t, "cad", "cadaver-password")
		s := serve(t, env.FS, nil, false)
		home := t.TempDir()
		u, _ := url.Parse(s.url)
		netrc := "machine " + u.Hostname() + " login cad password cadaver-password\n"
		if err := os.WriteFile(filepath.Join(home, ".netrc"), []byte(netrc), 0o600); err != nil {
			t.Fatal(err)
		}
		local := filepath.Join(home, "notes.txt")
		if err := os.WriteFile(local, []byte("notes from cadaver\n"), 0o600); err != nil {
			t.Fatal(err)
		}

		script := strings.Join([]string{
			"y", // accept the test certificate
			"mkcol work",
			"cd work",
			"put " + local + " notes.txt",
			"propset notes.txt colour blue",
			"propget notes.txt colour",
			"lock notes.txt",
			"discover notes.txt",
			"put " + local + " notes.txt",
			"unlock notes.txt",
			"copy notes.txt copy.txt",
			"move copy.txt moved.txt",
			"get moved.txt " + filepath.Join(home, "back.txt"),
			"ls",
			"rm notes.txt",
			"ls",
			"quit",
		}, "\n") + "\n"
		// cadaver asks whether to trust the test certificate only on a
		// terminal, so it runs on one that script(1) gives it.
		pty := need(t, "script")
		cmd := exec.CommandContext(context.Background(), pty, "-qec", bin+" "+s.url, "/dev/null")
		cmd.Dir, cmd.Stdin = home, strings.NewReader(script)
		cmd.Env = append(os.Environ(), "HOME="+home)
		out, err := cmd.CombinedOutput()
		text := string(out)
		if err != nil {
			t.Fatalf("cadaver: %v\n%s", err, text)
		}

		for _, want := range []string{
			"Creating `work': succeeded.",
			"Uploading " + local + " to `/dav/work/notes.txt':",
			"Setting property on `notes.txt': succeeded.",
			"Value of colour is: blue",
			"Locking `notes.txt': succeeded.",
			"Lock token <urn:uuid:",
			"Unlocking `notes.txt': succeeded.",
			"Copying `/dav/work/notes.txt' to `/dav/work/copy.txt':  succeeded.",
			"Moving `/dav/work/copy.txt' to `/dav/work/moved.txt':  succeeded.",
			"Downloading `/dav/work/moved.txt' to " + filepath.Join(home, "back.txt") + ":",
			"Deleting `notes.txt': succeeded.",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("cadaver output lacks %q\n%s", want, text)
			}
		}
		if testing.Verbose() {
			t.Logf("cadaver:\n%s", text)
		}
		if strings.Contains(text, "failed") {
			t.Errorf("cadaver reported a failure:\n%s", text)
		}
		if got, err := os.ReadFile(filepath.Join(home, "back.txt")); err != nil || string(got) != "notes from cadaver\n" {
			t.Errorf("downloaded copy: got %q, %v; want the uploaded notes", got, err)
		}
		if n := len(versions(t, env, "cad", "/work/moved.txt")); n != 1 {
			t.Errorf("versions of the copy: got %d, want 1", n)
		}
	})
}
