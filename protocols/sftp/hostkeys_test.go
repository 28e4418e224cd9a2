package sftp

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// TestHostKeys creates the host keys on first start, loads the same ones
// on the next, and refuses files others may read or that are missing.
func TestHostKeys(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first, err := LoadOrCreateHostKeys(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 2 {
		t.Fatalf("got %d keys, want 2", len(first))
	}
	types := []string{first[0].PublicKey().Type(), first[1].PublicKey().Type()}
	if types[0] != ssh.KeyAlgoED25519 || types[1] != ssh.KeyAlgoRSA {
		t.Errorf("key types %v, want ed25519 and rsa", types)
	}
	for _, name := range []string{ed25519KeyFile, rsaKeyFile} {
		p := filepath.Join(dir, name)
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", name, fi.Mode().Perm())
		}
		// OpenSSH's own tool reads them.
		out, err := exec.Command("ssh-keygen", "-l", "-f", p).CombinedOutput()
		if err != nil {
			t.Errorf("ssh-keygen -l %s: %v %s", name, err, out)
		}
		if name == rsaKeyFile && !strings.HasPrefix(string(out), "3072 ") {
			t.Errorf("RSA key: %s, want 3072 bits", out)
		}
	}
	ms, ok := first[1].(ssh.MultiAlgorithmSigner)
	if !ok || strings.Join(ms.Algorithms(), ",") != "rsa-sha2-512,rsa-sha2-256" {
		t.Errorf("RSA key signs with %v, want SHA-2 only", first[1])
	}

	again, err := LoadOrCreateHostKeys(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range first {
		if a, b := ssh.FingerprintSHA256(first[i].PublicKey()), ssh.FingerprintSHA256(again[i].PublicKey()); a != b {
			t.Errorf("key %d changed across starts: %s, then %s", i, a, b)
		}
	}

	configured, err := LoadOrCreateHostKeys(t.TempDir(), []string{filepath.Join(dir, ed25519KeyFile)})
	if err != nil || len(configured) != 1 {
		t.Errorf("configured key: %d keys, %v", len(configured), err)
	}

	cases := []struct {
		name  string
		setup func(t *testing.T) (string, []string)
		want  string
	}{
		{"configured file missing", func(t *testing.T) (string, []string) {
			return t.TempDir(), []string{"nope_key"}
		}, "no such file"},
		{"readable by others", func(t *testing.T) (string, []string) {
			d := t.TempDir()
			b, _ := os.ReadFile(filepath.Join(dir, ed25519KeyFile))
			os.WriteFile(filepath.Join(d, "k"), b, 0o644)
			return d, []string{"k"}
		}, "chmod 600"},
		{"not a key", func(t *testing.T) (string, []string) {
			d := t.TempDir()
			os.WriteFile(filepath.Join(d, "k"), []byte("hello"), 0o600)
			return d, []string{"k"}
		}, "sftp: host key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, files := c.setup(t)
			_, err := LoadOrCreateHostKeys(d, files)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}
