package diskblob_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"strongroom/vfs/blob"
	"strongroom/vfs/blob/blobtest"
	"strongroom/vfs/blob/diskblob"
)

func open(t testing.TB, dir string) *diskblob.Store {
	t.Helper()
	s, err := diskblob.Open(dir, &diskblob.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStore(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		return open(t, filepath.Join(t.TempDir(), "blobs"))
	})
}

// The same suite with direct I/O, where the test's filesystem offers it.
func TestStoreDirectIO(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s, err := diskblob.Open(filepath.Join(t.TempDir(), "blobs"), &diskblob.Options{Create: true, DirectIO: true})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "blobs")
	if _, err := diskblob.Open(dir, nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open of a missing folder without Create: %v, want ErrNotExist", err)
	}
	open(t, dir)
	for _, d := range []string{dir, filepath.Join(dir, "tmp")} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o700 {
			t.Errorf("%s has mode %v, want 0700", d, perm)
		}
	}

	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	if _, err := diskblob.Open(file, &diskblob.Options{Create: true}); err == nil {
		t.Errorf("Open of a file: no error")
	}
}

// TestLayout pins where an object lives, so that a store written by one
// release stays readable by the next.
func TestLayout(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	key := "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	blobtest.Put(t, s, key, []byte("content"))

	name := filepath.Join(dir, "0a", "1b", key)
	got, err := os.ReadFile(name)
	if err != nil || string(got) != "content" {
		t.Fatalf("%s holds %q, %v; want \"content\"", name, got, err)
	}
	fi, _ := os.Stat(name)
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("object file has mode %v, want 0600", perm)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(entries) != 0 {
		t.Errorf("tmp holds %d files after Commit, want none", len(entries))
	}
}

// TestWalkSkipsStrangers checks that files which are not objects, put in
// the folder by hand or by an old release, are neither listed nor fatal.
func TestWalkSkipsStrangers(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	key := blob.NewKey()
	blobtest.Put(t, s, key, []byte("x"))

	stray := []string{
		"README",
		"zz/00/0a1b2c3d4e5f60718293a4b5c6d7e8f9",
		filepath.Join(key[:2], key[2:4], "notes.txt"),
		filepath.Join(key[:2], key[2:4], "ffffffffffffffffffffffffffffffff"), // wrong shard
		filepath.Join("tmp", "ffffffffffffffffffffffffffffffff"),
	}
	for _, name := range stray {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, []byte("stray"), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	var got []string
	err := s.Walk(context.Background(), func(k string, _ time.Time) error {
		got = append(got, k)
		return nil
	})
	if err != nil || len(got) != 1 || got[0] != key {
		t.Errorf("Walk = %v, %v; want [%s]", got, err, key)
	}
}

func TestRemoveStaleTemp(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	start := time.Now()

	// An upload from a process that died an hour ago.
	stale := filepath.Join(dir, "tmp", "upload-stale")
	os.WriteFile(stale, []byte("half an upload"), 0o600)
	os.Chtimes(stale, start.Add(-time.Hour), start.Add(-time.Hour))

	// An upload of this process, still running.
	key := blob.NewKey()
	w, err := s.NewWriter(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	w.Write([]byte("in flight"))

	n, err := s.RemoveStaleTemp(start.Add(-time.Minute))
	if err != nil || n != 1 {
		t.Errorf("RemoveStaleTemp = %d, %v; want 1, nil", n, err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale upload still there: %v", err)
	}
	if err := w.Commit(); err != nil {
		t.Errorf("Commit of the running upload: %v", err)
	}
}

func BenchmarkWrite(b *testing.B) { blobtest.BenchmarkWrite(b, open(b, b.TempDir())) }
func BenchmarkRead(b *testing.B)  { blobtest.BenchmarkRead(b, open(b, b.TempDir())) }
