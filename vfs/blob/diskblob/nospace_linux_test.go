package diskblob_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"strongroom/vfs/blob"
	"strongroom/vfs/blob/blobtest"
)

// tinyDisk mounts a 1 MiB tmpfs at a fresh folder. It needs root, which
// CI containers have; elsewhere the test is skipped.
func tinyDisk(t *testing.T) string {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=1m,mode=0700"); err != nil {
		t.Skipf("cannot mount a small tmpfs (needs root): %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, 0) })
	return dir
}

// TestFullDisk checks that running out of space fails the upload with
// ENOSPC, which vfs reports as "storage unavailable", and leaves no file
// and no object behind.
func TestFullDisk(t *testing.T) {
	dir := tinyDisk(t)
	s := open(t, dir)
	key := blob.NewKey()
	w, err := s.NewWriter(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()

	var werr error
	data := blobtest.Data(1, 64<<10)
	for i := 0; i < 64 && werr == nil; i++ {
		_, werr = w.Write(data)
	}
	if !errors.Is(werr, syscall.ENOSPC) {
		t.Fatalf("writing 4 MiB to a 1 MiB disk: %v, want ENOSPC", werr)
	}
	if err := w.Commit(); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Commit after ENOSPC: %v, want ENOSPC", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(entries) != 0 {
		t.Errorf("tmp holds %d files after ENOSPC, want none", len(entries))
	}
	if _, err := blobtest.Get(s, key, 0, -1); !errors.Is(err, blob.ErrNotExist) {
		t.Errorf("read after ENOSPC: %v, want ErrNotExist", err)
	}

	// The space is free again: a small object fits.
	blobtest.Put(t, s, blob.NewKey(), data)
}
