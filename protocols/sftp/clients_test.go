package sftp

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"strongroom/vfs"
	"strongroom/vfs/vfstest"
)

// clientTree writes a small tree of files to copy with other clients.
func clientTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	for name, size := range map[string]int64{
		"a.bin": 1 << 20, "b.txt": 12, "sub/c.bin": 300_000, "sub/deep/d e.txt": 0, "ünï/ç.txt": 99,
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		_, sums[name] = randomFile(t, filepath.Dir(p), filepath.Base(p), size)
	}
	return sums
}

// TestRclone copies a tree with rclone's SFTP back end and checks it by
// content, over both store pairs.
func TestRclone(t *testing.T) {
	rclone := needTool(t, "rclone")
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		ts := startServer(t, env, nil)
		u := ts.addUser(t, "alice", vfs.UserOptions{})
		dir := t.TempDir()
		src := filepath.Join(dir, "src")
		sums := clientTree(t, src)
		conf := filepath.Join(dir, "rclone.conf")
		if err := os.WriteFile(conf, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		remote := ":sftp,host=127.0.0.1,port=" + ts.port + ",user=alice,key_file=" + u.key + ",disable_hashcheck=true:"
		run := func(args ...string) {
			t.Helper()
			cmd := exec.Command(rclone, append([]string{"--config", conf, "--retries", "1", "--low-level-retries", "1"}, args...)...)
			if out, err := output(t, cmd); err != nil {
				t.Fatalf("rclone %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		}
		run("copy", src, remote+"/up")
		run("check", "--download", src, remote+"/up")
		run("copy", remote+"/up", filepath.Join(dir, "down"))
		for name, want := range sums {
			if got := fileSum(t, filepath.Join(dir, "down", name)); got != want {
				t.Errorf("%s: sha256 %s, want %s", name, got, want)
			}
		}
	})
}

// TestLftp mirrors a tree up and back with lftp over SFTP.
func TestLftp(t *testing.T) {
	lftp := needTool(t, "lftp")
	env := vfstest.Embedded(t)
	ts := startServer(t, env, nil)
	u := ts.addUser(t, "alice", vfs.UserOptions{})
	dir := t.TempDir()
	sums := clientTree(t, filepath.Join(dir, "src"))

	connect := "ssh -a -x " + strings.Join(ts.sshArgs(u), " ")
	script := strings.Join([]string{
		"set sftp:connect-program \"" + connect + "\"",
		"set net:max-retries 1",
		"open -u alice,unused sftp://127.0.0.1:" + ts.port,
		"mirror -R src /mirrored",
		"mirror /mirrored back",
		"bye",
	}, "; ")
	cmd := exec.Command(lftp, "-c", script)
	cmd.Dir = dir
	if out, err := output(t, cmd); err != nil {
		t.Fatalf("lftp: %v\n%s", err, out)
	}
	for name, want := range sums {
		if got := fileSum(t, filepath.Join(dir, "back", name)); got != want {
			t.Errorf("%s: sha256 %s, want %s", name, got, want)
		}
	}
}
