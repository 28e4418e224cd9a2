package cryptblob_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"strongroom/vfs/blob"
	"strongroom/vfs/blob/cryptblob"
	"strongroom/vfs/blob/diskblob"
)

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "data")
	defer os.RemoveAll(dir)

	// The embedded default makes its master key on first start.
	mk, err := cryptblob.CreateKeyFile(filepath.Join(dir, "master.key"))
	if err != nil {
		log.Fatal(err)
	}
	keys, err := cryptblob.NewKeyring(mk)
	if err != nil {
		log.Fatal(err)
	}
	base, err := diskblob.Open(filepath.Join(dir, "blobs"), &diskblob.Options{Create: true})
	if err != nil {
		log.Fatal(err)
	}
	s := cryptblob.New(base, keys)
	defer s.Close()

	key := blob.NewKey()
	w, err := s.NewWriter(ctx, key)
	if err != nil {
		log.Fatal(err)
	}
	defer w.Abort()
	io.WriteString(w, "the quarterly figures")
	if err := w.Commit(); err != nil {
		log.Fatal(err)
	}

	r, err := s.NewRangeReader(ctx, key, 4, 9)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	b, _ := io.ReadAll(r)
	fmt.Printf("%s\n", b)
	// Output: quarterly
}

// After a rotation the new key wraps the data keys of new objects, and
// the old one still opens the objects written before.
func ExampleNewKeyring_rotation() {
	old, _ := cryptblob.ParseKey("2025:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	current, _ := cryptblob.GenerateKey()
	keys, err := cryptblob.NewKeyring(current, old)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(keys.Current() == current)
	// Output: true
}
