package cryptblob_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"strongroom/vfs/blob/cryptblob"
)

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	k, err := cryptblob.CreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file has mode %04o, want 0600", perm)
	}
	written, _ := os.ReadFile(path)

	if _, err := cryptblob.CreateKeyFile(path); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second CreateKeyFile: %v, want ErrExist", err)
	}
	if again, _ := os.ReadFile(path); string(again) != string(written) {
		t.Errorf("second CreateKeyFile changed the file")
	}

	loaded, err := cryptblob.LoadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.ID() != k.ID() || loaded.Encode() != k.Encode() {
		t.Errorf("LoadKeyFile returned %v, want %v", loaded, k)
	}
}

func TestLoadKeyFileRefuses(t *testing.T) {
	k := newKey(t)
	dir := t.TempDir()
	tests := []struct {
		name    string
		content string
		mode    fs.FileMode
		want    string
	}{
		{"GroupReadable", k.Encode(), 0o640, "chmod 600"},
		{"WorldReadable", k.Encode(), 0o644, "chmod 600"},
		{"Empty", "# nothing here\n\n", 0o600, "no key"},
		{"TwoKeys", k.Encode() + "\n" + newKey(t).Encode(), 0o600, "more than one"},
		{"NotAKey", "hello", 0o600, "ID:SECRET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name)
			os.WriteFile(path, []byte(tt.content), 0o600)
			os.Chmod(path, tt.mode)
			_, err := cryptblob.LoadKeyFile(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LoadKeyFile: %v, want an error saying %q", err, tt.want)
			}
		})
	}
	if _, err := cryptblob.LoadKeyFile(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadKeyFile(missing): %v, want ErrNotExist", err)
	}
}

func TestParseKey(t *testing.T) {
	k := newKey(t)
	if got, err := cryptblob.ParseKey(" " + k.Encode() + "\n"); err != nil || got.Encode() != k.Encode() {
		t.Errorf("ParseKey(Encode()) = %v, %v; want %v", got, err, k)
	}

	secret := strings.Split(k.Encode(), ":")[1]
	for _, s := range []string{
		secret,
		":" + secret,
		"bad id:" + secret,
		strings.Repeat("x", 65) + ":" + secret,
		"k1:" + secret[:20],
		"k1:" + secret + "AAAA",
		"k1:!" + secret[1:],
	} {
		_, err := cryptblob.ParseKey(s)
		if err == nil {
			t.Errorf("ParseKey(%q): no error", s)
			continue
		}
		if strings.Contains(err.Error(), secret[:8]) {
			t.Errorf("ParseKey error %q shows part of the secret", err)
		}
	}
}

// TestKeyNotShown checks that formatting a key, as a careless log line
// might, shows its id and never its secret.
func TestKeyNotShown(t *testing.T) {
	k := newKey(t)
	secret := strings.Split(k.Encode(), ":")[1]
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		for _, v := range []any{k, *k} {
			out := fmt.Sprintf(verb, v)
			if strings.Contains(out, secret[:8]) || !strings.Contains(out, k.ID()) && verb != "%x" {
				t.Errorf("Sprintf(%q, %T) = %q", verb, v, out)
			}
		}
	}
}
