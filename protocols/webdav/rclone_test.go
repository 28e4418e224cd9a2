package webdav_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"strongroom/vfs/vfstest"
)

// sampleTree writes a tree of files with awkward names and sizes, from
// empty to a few MiB, and returns its root.
func sampleTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]int{
		"empty.txt":                     0,
		"one.bin":                       1,
		"small/4k.bin":                  4 << 10,
		"small/Grüße aus Köln.txt":      1000,
		"small/deep/er/still/file.dat":  70 << 10,
		"spaces and %20 percent #.txt":  123,
		"unicode/日本語/ファイル.txt":          5000,
		"unicode/emoji 🎉.bin":           777,
		"big/three-mib.bin":             3 << 20,
		"big/odd size.bin":              (1 << 20) + 17,
		"punct/a+b=c&d;e,f@g!h'i(j).md": 42,
	}
	for name, size := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, size)
		rand.Read(b)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "empty dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}

// digests maps each file under root to the SHA-256 of its content.
func digests(t *testing.T, root string) map[string]string {
	t.Helper()
	out := make(map[string]string)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRclone copies a tree up with rclone's WebDAV back end and back
// down, and wants every file back as it was and rclone check clean.
func TestRclone(t *testing.T) {
	bin := need(t, "rclone")
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		env.AddUser(t, "rc", "rclone-password")
		s := serve(t, env.FS, nil, false)
		obscured, err := exec.Command(bin, "obscure", "rclone-password").Output()
		if err != nil {
			t.Fatalf("rclone obscure: %v", err)
		}
		cfg := t.TempDir()
		if err := os.WriteFile(filepath.Join(cfg, "rclone.conf"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		rcEnv := append(os.Environ(),
			"RCLONE_CONFIG="+filepath.Join(cfg, "rclone.conf"),
			"RCLONE_CONFIG_DAV_TYPE=webdav",
			"RCLONE_CONFIG_DAV_URL="+s.url,
			"RCLONE_CONFIG_DAV_VENDOR=other",
			"RCLONE_CONFIG_DAV_USER=rc",
			"RCLONE_CONFIG_DAV_PASS="+strings.TrimSpace(string(obscured)),
			"RCLONE_CACHE_DIR="+filepath.Join(cfg, "cache"),
		)
		rclone := func(args ...string) string {
			t.Helper()
			cmd := exec.CommandContext(context.Background(), bin, append([]string{"--no-check-certificate", "--retries", "1", "--low-level-retries", "1"}, args...)...)
			cmd.Env = rcEnv
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("rclone %v: %v\n%s", args, err, out)
			}
			return string(out)
		}

		src := sampleTree(t)
		rclone("copy", "--create-empty-src-dirs", src, "dav:up")
		rclone("check", "--download", src, "dav:up")
		back := t.TempDir()
		rclone("copy", "--create-empty-src-dirs", "dav:up", back)

		want, got := digests(t, src), digests(t, back)
		if len(got) != len(want) {
			t.Errorf("files back: got %d, want %d", len(got), len(want))
		}
		for name, sum := range want {
			if got[name] != sum {
				t.Errorf("%s: got digest %q back, want %q", name, got[name], sum)
			}
		}
		if _, err := os.Stat(filepath.Join(back, "empty dir")); err != nil {
			t.Errorf("empty folder back: %v", err)
		}

		// A listing names every file with its size, as rclone sees it.
		lines := strings.Split(strings.TrimSpace(rclone("lsf", "-R", "--format", "ps", "--files-only", "dav:up")), "\n")
		sort.Strings(lines)
		if len(lines) != len(want) || !bytes.Contains([]byte(strings.Join(lines, "\n")), []byte("big/three-mib.bin;3145728")) {
			t.Errorf("rclone lsf: got\n%s\nwant %d files with sizes", strings.Join(lines, "\n"), len(want))
		}

		// Moving and deleting through rclone.
		rclone("moveto", "dav:up/big/odd size.bin", "dav:up/moved/odd size.bin")
		rclone("purge", "dav:up/unicode")
		out := rclone("lsf", "-R", "dav:up")
		if strings.Contains(out, "unicode/") || !strings.Contains(out, "moved/odd size.bin") || strings.Contains(out, "big/odd size.bin") {
			t.Errorf("after moveto and purge, rclone lsf shows:\n%s", out)
		}
	})
}
