package vfstest

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"strongroom/vfs/blob"
	"strongroom/vfs/blob/diskblob"
	"strongroom/vfs/blob/s3blob"
)

// A process killed in the middle of an upload leaves the file's previous
// version intact and the partial one invisible; what it left in the blob
// store is collected. The child process is this test binary, running
// TestCrashChild against the same stores, killed with SIGKILL.
func TestKillDuringUpload(t *testing.T) {
	for _, open := range []func(testing.TB) *Env{Embedded, Production} {
		env := open(t)
		t.Run(env.Name, func(t *testing.T) { testKill(t, env) })
	}
}

func testKill(t *testing.T, env *Env) {
	env.AddUser(t, "crash", "correct horse battery")
	s := env.Session(t, "crash", "test")
	put(t, s, "/doc", []byte("old content"))

	spec, _ := json.Marshal(env.spec)
	child := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
	child.Env = append(os.Environ(), "STRONGROOM_CRASH_SPEC="+string(spec))
	stdin, _ := child.StdinPipe()
	defer stdin.Close()
	out, _ := child.StdoutPipe()
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	var orphanKey string
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		line := lines.Text()
		if k, ok := strings.CutPrefix(line, "ORPHAN "); ok {
			orphanKey = k
		}
		if line == "WRITING" {
			break
		}
	}
	if orphanKey == "" {
		child.Process.Kill()
		child.Wait()
		t.Fatal("child did not start its upload")
	}
	child.Process.Kill()
	child.Wait()

	// The old version is whole and current; the partial one is nowhere.
	if got := string(get(t, s, "/doc")); got != "old content" {
		t.Errorf("after the crash /doc reads %q", got)
	}
	if vs, err := s.Versions(ctx, "/doc"); err != nil || len(vs) != 1 {
		t.Errorf("after the crash /doc has %d versions (%v), want 1", len(vs), err)
	}

	// What the crash left below the blob store's surface goes first: the
	// temporary file of the upload on disk, or its incomplete multipart
	// upload on S3.
	now := time.Now().Add(time.Second)
	var stale int
	var err error
	switch b := env.Base.(type) {
	case *diskblob.Store:
		stale, err = b.RemoveStaleTemp(now)
	case *s3blob.Store:
		stale, err = b.RemoveIncompleteUploads(ctx, now)
	}
	if err != nil || stale != 1 {
		t.Errorf("interrupted uploads removed: %d (%v), want 1", stale, err)
	}

	// A blob committed just before the crash, with no version yet, is an
	// orphan: collection deletes it and nothing else.
	n, err := env.FS.CollectOrphans(ctx, now)
	if err != nil || n != 1 {
		t.Errorf("orphans collected: %d (%v), want 1", n, err)
	}
	if _, err := env.Base.NewRangeReader(ctx, orphanKey, 0, -1); !errors.Is(err, blob.ErrNotExist) {
		t.Errorf("orphan blob still readable: %v", err)
	}
	if got := string(get(t, s, "/doc")); got != "old content" {
		t.Errorf("after collection /doc reads %q", got)
	}
}

// TestCrashChild is the process TestKillDuringUpload kills. It does
// nothing unless started by it.
func TestCrashChild(t *testing.T) {
	raw := os.Getenv("STRONGROOM_CRASH_SPEC")
	if raw == "" {
		t.Skip("run by TestKillDuringUpload only")
	}
	var sp spec
	if err := json.Unmarshal([]byte(raw), &sp); err != nil {
		t.Fatal(err)
	}
	env := open(t, sp)
	s := env.Session(t, "crash", "test")

	// A blob committed with no version, as a crash between the blob's
	// commit and the metadata transaction leaves one.
	key := blob.NewKey()
	w, err := env.Blobs.NewWriter(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("committed, never referenced"))
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("ORPHAN " + key + "\n")

	// An upload well past one S3 part, then the parent kills us.
	u, err := s.Create(ctx, "/doc", nil)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	for range 40 {
		if _, err := u.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	os.Stdout.WriteString("WRITING\n")
	io.Copy(io.Discard, os.Stdin) // until killed
}
