package cryptblob_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"strongroom/vfs/blob/blobtest"
	"strongroom/vfs/blob/cryptblob"
)

var update = flag.Bool("update", false, "rewrite testdata/v1.blob")

// The object in testdata/v1.blob: its master key, key and content.
const (
	goldenMasterKey = "golden-v1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	goldenKey       = "00112233445566778899aabbccddeeff"
)

func goldenContent() []byte {
	return []byte(strings.Repeat("Strongroom cryptblob, format version 1.\n", 2000)) // 80,000 bytes: two packages
}

// TestGolden reads an object written by the first release of the format,
// which every later release must go on reading.
func TestGolden(t *testing.T) {
	mk, err := cryptblob.ParseKey(goldenMasterKey)
	if err != nil {
		t.Fatal(err)
	}
	base := diskStore(t)
	s := cryptblob.New(base, keyring(t, mk))
	path := filepath.Join("testdata", "v1.blob")
	if *update {
		blobtest.Put(t, s, goldenKey, goldenContent())
		if err := os.WriteFile(path, raw(t, base, goldenKey), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	stored, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blobtest.Put(t, base, goldenKey, stored)
	want := goldenContent()
	for _, r := range []struct{ off, n int64 }{{0, -1}, {65530, 20}, {79999, -1}} {
		got, err := blobtest.Get(s, goldenKey, r.off, r.n)
		if err != nil || !bytes.Equal(got, span(want, r.off, r.n)) {
			t.Errorf("range (%d, %d) of %s: %d bytes, %v", r.off, r.n, path, len(got), err)
		}
	}
}
