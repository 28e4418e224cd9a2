package cryptblob

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestSealAndOpen(t *testing.T) {
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	kr, _ := NewKeyring(key)
	s := New(nil, kr)
	content := bytes.Repeat([]byte("small file "), 400)
	const name = "0123456789abcdef0123456789abcdef"
	sealed, err := s.Seal(name, content)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("small file")) {
		t.Fatal("sealed bytes contain the plaintext")
	}
	for _, c := range []struct{ off, n int64 }{{0, -1}, {10, 5}, {4000, -1}} {
		r, err := s.OpenSealed(name, sealed, c.off, c.n)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		want := content[c.off:]
		if c.n >= 0 {
			want = want[:c.n]
		}
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("range %d+%d: got %d bytes, %v", c.off, c.n, len(got), err)
		}
	}

	empty, err := s.Seal(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := s.OpenSealed(name, empty, 0, -1)
	if got, err := io.ReadAll(r); err != nil || len(got) != 0 {
		t.Errorf("empty content reads %d bytes, %v", len(got), err)
	}

	// Tampering, and sealed bytes moved to another key, are detected.
	bad := append([]byte(nil), sealed...)
	bad[len(bad)-20] ^= 1
	r, _ = s.OpenSealed(name, bad, 0, -1)
	if _, err := io.ReadAll(r); !errors.Is(err, ErrCorrupt) {
		t.Errorf("tampered: got %v, want ErrCorrupt", err)
	}
	if r, err := s.OpenSealed("ffffffffffffffffffffffffffffffff", sealed, 0, -1); err == nil {
		if _, err := io.ReadAll(r); err == nil {
			t.Error("sealed bytes read back under another key")
		}
	}
}
