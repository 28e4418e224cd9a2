package vfstest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"strongroom/audit"
	"strongroom/policy"
	"strongroom/vfs"
	"strongroom/vfs/meta"
)

// An upload cut off by a dropped connection is kept for its user alone:
// their stat reports the bytes kept, a resumed upload continues after
// them, and nobody else (nor any listing) sees it. A whole upload
// supersedes it; quota and age bound it.
func testSuspended(t *testing.T, env *Env) {
	clock := &fakeClock{now: time.Now()}
	fs := vfs.New(env.Meta, env.Blobs, &vfs.Options{Clock: clock.Now, KeyID: env.KeyID, ClearBlobs: env.Base})
	owner, _ := user(t, env, "susp")
	session := func(name string) *vfs.Session {
		s, err := fs.NewSession(ctx, name, vfs.SessionInfo{Protocol: "test", SessionID: "susp"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	s := session(owner)
	peer := owner + "p"
	if _, err := env.Admin.AddUser(ctx, peer, vfs.UserOptions{Password: "correct horse battery", Home: "/" + owner}); err != nil {
		t.Fatal(err)
	}
	if err := env.Admin.Grant(ctx, "user:"+peer, "/"+owner, policy.List|policy.Read|policy.Write); err != nil {
		t.Fatal(err)
	}
	ps := session(peer)

	data := make([]byte, 3<<20)
	for i := range data {
		data[i] = byte(i*13 + i>>9)
	}
	const cut = 1<<20 + 4321

	// interrupt writes the first cut bytes of data to p, with a write
	// beyond a gap that must not be kept, and suspends the upload.
	interrupt := func(p string) {
		t.Helper()
		u, err := s.Create(ctx, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := u.WriteAt(data[:cut], 0); err != nil {
			t.Fatal(err)
		}
		if _, err := u.WriteAt(data[cut+100:cut+200], cut+100); err != nil {
			t.Fatal(err)
		}
		if kept := u.Suspend(ctx); kept != cut {
			t.Errorf("Suspend kept %d bytes, want %d", kept, cut)
		}
	}

	interrupt("/new.bin")
	fi, err := s.StatResumable(ctx, "/new.bin")
	if err != nil {
		t.Fatalf("owner's resumable stat of an interrupted new file: %v", err)
	}
	if fi.Size() != cut {
		t.Errorf("owner's resumable stat reports %d bytes, want the %d received in order", fi.Size(), cut)
	}
	wantKind(t, "owner's plain stat of an interrupted new file", errOf(s.Stat(ctx, "/new.bin")), vfs.KindNotExist)
	wantKind(t, "another user's resumable stat of an interrupted new file", errOf(ps.StatResumable(ctx, "/new.bin")), vfs.KindNotExist)
	wantKind(t, "open of an interrupted new file", errOf(s.Open(ctx, "/new.bin")), vfs.KindNotExist)
	list, _, err := s.List(ctx, "/", vfs.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.Join(names(list), "/"), "new.bin") {
		t.Errorf("a listing shows an interrupted upload: %v", names(list))
	}
	kept := false
	for _, e := range auditOf(t, env, owner) {
		if e.Op == "write" && strings.HasSuffix(e.Path, "/new.bin") && e.Outcome == audit.Failed && strings.Contains(e.Reason, "kept") {
			kept = true
		}
	}
	if !kept {
		t.Error("no audit record says the interrupted upload was kept")
	}

	// The peer's resume does not continue the owner's bytes.
	u, err := ps.Create(ctx, "/new.bin", &vfs.CreateOptions{Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.WriteAt([]byte("peer"), 0); err != nil {
		t.Fatal(err)
	}
	u.Abort()

	// The owner's resume continues after what was kept.
	u, err = s.Create(ctx, "/new.bin", &vfs.CreateOptions{Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.WriteAt(data[cut:], cut); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := get(t, s, "/new.bin"); !bytes.Equal(got, data) {
		t.Errorf("resumed upload reads back wrong (%d bytes, want %d)", len(got), len(data))
	}
	if vs, err := s.Versions(ctx, "/new.bin"); err != nil || len(vs) != 1 {
		t.Errorf("after resume: %d versions, %v; want 1, the whole file", len(vs), err)
	}
	if fi, err := s.StatResumable(ctx, "/new.bin"); err != nil || fi.Size() != int64(len(data)) {
		t.Errorf("stat after the resumed commit: %v, %v; want %d bytes", fi, err, len(data))
	}

	// Over an existing file: the owner sees the kept size, others the
	// current version; a whole upload supersedes what was kept.
	put(t, s, "/old.bin", []byte("the current version"))
	interrupt("/old.bin")
	if fi, err := s.StatResumable(ctx, "/old.bin"); err != nil || fi.Size() != cut {
		t.Errorf("owner's resumable stat of an interrupted overwrite: %v, %v; want %d bytes", fi, err, cut)
	}
	if fi, err := s.Stat(ctx, "/old.bin"); err != nil || fi.Size() != int64(len("the current version")) {
		t.Errorf("owner's plain stat of an interrupted overwrite: %v, %v; want the current version", fi, err)
	}
	if fi, err := ps.StatResumable(ctx, "/old.bin"); err != nil || fi.Size() != int64(len("the current version")) {
		t.Errorf("peer's stat of an interrupted overwrite: %v, %v; want the current version", fi, err)
	}
	if got := string(get(t, ps, "/old.bin")); got != "the current version" {
		t.Errorf("peer reads %q during an interrupted overwrite", got)
	}
	put(t, s, "/old.bin", []byte("whole"))
	if fi, err := s.StatResumable(ctx, "/old.bin"); err != nil || fi.Size() != 5 {
		t.Errorf("owner's stat after a whole upload superseded the kept one: %v, %v; want 5 bytes", fi, err)
	}

	// A rename onto the name, or a removal of the file, ends what was
	// kept there too.
	blobs := blobCount(t, env)
	interrupt("/renamed.bin")
	put(t, s, "/small.txt", []byte("abc"))
	if err := s.Rename(ctx, "/small.txt", "/renamed.bin", vfs.RenameOptions{}); err != nil {
		t.Fatal(err)
	}
	if fi, err := s.StatResumable(ctx, "/renamed.bin"); err != nil || fi.Size() != 3 {
		t.Errorf("stat after a rename onto an interrupted upload's name: %v, %v; want the 3-byte file", fi, err)
	}
	interrupt("/removed.bin")
	put(t, s, "/removed.bin", []byte("x"))
	interrupt("/removed.bin")
	if err := s.Remove(ctx, "/removed.bin", false); err != nil {
		t.Fatal(err)
	}
	wantKind(t, "stat after removing a file with an interrupted upload", errOf(s.StatResumable(ctx, "/removed.bin")), vfs.KindNotExist)
	if n := blobCount(t, env); n != blobs {
		t.Errorf("blobs after rename and removal: %d, want %d: kept uploads' blobs left behind", n, blobs)
	}

	// Kept uploads expire, with their blobs.
	before := blobCount(t, env)
	interrupt("/expires.bin")
	if n := blobCount(t, env); n != before+1 {
		t.Errorf("blobs after suspending: %d, want %d", n, before+1)
	}
	if n, err := fs.CollectSuspended(ctx); err != nil || n != 0 {
		t.Errorf("CollectSuspended of a fresh upload: %d, %v; want 0", n, err)
	}
	clock.advance(25 * time.Hour)
	if n, err := fs.CollectSuspended(ctx); err != nil || n < 1 {
		t.Errorf("CollectSuspended after a day: %d, %v; want at least 1", n, err)
	}
	wantKind(t, "stat of an expired interrupted upload", errOf(s.StatResumable(ctx, "/expires.bin")), vfs.KindNotExist)
	if n := blobCount(t, env); n != before {
		t.Errorf("blobs after expiry: %d, want %d", n, before)
	}

	// An upload that would not fit the quota is not kept.
	small := fmt.Sprintf("suspq%d", rand.IntN(1<<30))
	if _, err := env.Admin.AddUser(ctx, small, vfs.UserOptions{Password: "correct horse battery", QuotaBytes: 2 << 20}); err != nil {
		t.Fatal(err)
	}
	qs := session(small)
	u, err = qs.Create(ctx, "/a", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.Write(data[:cut]); err != nil {
		t.Fatal(err)
	}
	u.Suspend(ctx)
	if _, err := qs.StatResumable(ctx, "/a"); err != nil {
		t.Errorf("an interrupted upload within quota not kept: %v", err)
	}

	// What is kept counts against the quota of later uploads...
	u, err = qs.Create(ctx, "/c", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = u.Write(data[:cut])
	wantKind(t, "an upload that fits the quota only without the kept one", err, vfs.KindQuota)
	u.Abort()

	// ...and one that no longer fits when its connection drops is not kept.
	u, err = qs.Create(ctx, "/b", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.Write(data[:700000]); err != nil {
		t.Fatal(err)
	}
	put(t, qs, "/meanwhile", data[:500000])
	if kept := u.Suspend(ctx); kept != 0 {
		t.Errorf("Suspend past the quota kept %d bytes, want none", kept)
	}
	wantKind(t, "stat of an interrupted upload beyond quota", errOf(qs.StatResumable(ctx, "/b")), vfs.KindNotExist)

	// The upload that continues the kept one is not counted twice.
	u, err = qs.Create(ctx, "/a", &vfs.CreateOptions{Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.WriteAt(data[cut:cut+100000], cut); err != nil {
		t.Fatalf("resuming the kept upload within the quota: %v", err)
	}
	if _, err := u.Commit(ctx); err != nil {
		t.Fatalf("commit of the resumed upload: %v", err)
	}
}

// What ends a kept upload besides a whole upload: an empty file or a
// folder made at its name, rm of the name, the removal of its folder, and
// a version someone else wrote meanwhile (which makes it stale: resuming
// it would undo theirs).
func testSuspendedEnds(t *testing.T, env *Env) {
	owner, s := user(t, env, "ends")
	peer := owner + "p"
	if _, err := env.Admin.AddUser(ctx, peer, vfs.UserOptions{Password: "correct horse battery", Home: "/" + owner}); err != nil {
		t.Fatal(err)
	}
	if err := env.Admin.Grant(ctx, "user:"+peer, "/"+owner, policy.List|policy.Read|policy.Write|policy.Delete); err != nil {
		t.Fatal(err)
	}
	ps := env.Session(t, peer, "test")
	data := bytes.Repeat([]byte("k"), 200<<10)
	interrupt := func(p string) {
		t.Helper()
		u, err := s.Create(ctx, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		u.Write(data)
		if kept := u.Suspend(ctx); kept != int64(len(data)) {
			t.Fatalf("Suspend of %s kept %d bytes", p, kept)
		}
	}
	keptSize := func(p string) int64 {
		t.Helper()
		fi, err := s.StatResumable(ctx, p)
		if err != nil {
			return -1
		}
		return fi.Size()
	}
	blobs := blobCount(t, env)

	interrupt("/empty.bin")
	if _, err := s.CreateEmpty(ctx, "/empty.bin"); err != nil {
		t.Fatal(err)
	}
	if n := keptSize("/empty.bin"); n != 0 {
		t.Errorf("after an empty file was made at its name, the kept upload still shows (%d bytes)", n)
	}
	interrupt("/dir.bin")
	if err := s.Mkdir(ctx, "/dir.bin"); err != nil {
		t.Fatal(err)
	}
	interrupt("/rm.bin")
	if err := s.Remove(ctx, "/rm.bin", false); err != nil {
		t.Errorf("rm of a name with only a kept upload: %v, want it discarded", err)
	}
	if n := keptSize("/rm.bin"); n != -1 {
		t.Errorf("after rm the kept upload still shows (%d bytes)", n)
	}
	wantKind(t, "rm of it again", s.Remove(ctx, "/rm.bin", false), vfs.KindNotExist)
	if n := blobCount(t, env); n != blobs {
		t.Errorf("blobs after the kept uploads ended: %d, want %d", n, blobs)
	}

	// Someone else's version makes the kept upload stale.
	put(t, s, "/shared.bin", []byte("first"))
	interrupt("/shared.bin")
	put(t, ps, "/shared.bin", []byte("the peer's newer version"))
	if n := keptSize("/shared.bin"); n != int64(len("the peer's newer version")) {
		t.Errorf("a kept upload over a file someone else wrote since still shows: stat %d bytes", n)
	}
	u, err := s.Create(ctx, "/shared.bin", &vfs.CreateOptions{Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	u.WriteAt([]byte("!"), int64(len(data)))
	if _, err := u.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := get(t, s, "/shared.bin"); !bytes.HasPrefix(got, []byte("the peer's newer version")) || bytes.Contains(got, []byte("k")) {
		t.Errorf("a resume after someone else's version continued the stale kept upload (%d bytes)", len(got))
	}

	// The removal of its folder ends it: no quota held, collected at once.
	if err := s.Mkdir(ctx, "/gone"); err != nil {
		t.Fatal(err)
	}
	interrupt("/gone/x.bin")
	if err := s.Remove(ctx, "/gone", true); err != nil {
		t.Fatal(err)
	}
	if n, err := env.FS.CollectSuspended(ctx); err != nil || n < 1 {
		t.Errorf("CollectSuspended after its folder was removed: %d, %v; want at least 1", n, err)
	}
}

// auditOf returns the audit records of one user.
func auditOf(t *testing.T, env *Env, user string) []*audit.Event {
	t.Helper()
	var out []*audit.Event
	err := env.Admin.AuditEvents(ctx, meta.AuditFilter{User: user}, func(e *audit.Event) error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// wantSHA256 checks the checksum kept with p's current version.
func wantSHA256(t *testing.T, s *vfs.Session, p string, content []byte) {
	t.Helper()
	vs, err := s.Versions(ctx, p)
	if err != nil || len(vs) == 0 {
		t.Fatalf("versions of %s: %v, %v", p, vs, err)
	}
	want := sha256.Sum256(content)
	if !bytes.Equal(vs[0].SHA256, want[:]) {
		t.Errorf("SHA-256 kept for %s: got %x, want %x", p, vs[0].SHA256, want)
	}
}

// ReadFrom streams a reader into an upload; a reader that fails fails it
// with the reader's own error, and nothing is committed.
func testReadFrom(t *testing.T, env *Env) {
	_, s := user(t, env, "rf")
	data := make([]byte, 3<<20+17)
	for i := range data {
		data[i] = byte(i * 31)
	}
	u, err := s.Create(ctx, "/whole", nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := u.ReadFrom(bytes.NewReader(data)); err != nil || n != int64(len(data)) {
		t.Fatalf("ReadFrom: %d, %v; want %d", n, err, len(data))
	}
	if _, err := u.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := get(t, s, "/whole"); !bytes.Equal(got, data) {
		t.Errorf("ReadFrom's upload reads back wrong (%d bytes)", len(got))
	}
	wantSHA256(t, s, "/whole", data)

	// After bytes written the plain way, ReadFrom's hashing continues
	// from them.
	u, err = s.Create(ctx, "/after-write", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.Write(data[:1000]); err != nil {
		t.Fatal(err)
	}
	if _, err := u.ReadFrom(bytes.NewReader(data[1000:])); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Write(data[:10]); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	wantSHA256(t, s, "/after-write", append(append([]byte(nil), data...), data[:10]...))

	cut := errors.New("connection reset")
	u, err = s.Create(ctx, "/cut", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = u.ReadFrom(io.MultiReader(bytes.NewReader(data[:1<<20]), iotest.ErrReader(cut)))
	if !errors.Is(err, cut) {
		t.Errorf("ReadFrom of a failing reader: got %v, want the reader's error", err)
	}
	u.Abort()
	wantKind(t, "stat after a failed ReadFrom", errOf(s.Stat(ctx, "/cut")), vfs.KindNotExist)

	name := fmt.Sprintf("rfq%d", rand.IntN(1<<30))
	if _, err := env.Admin.AddUser(ctx, name, vfs.UserOptions{Password: "correct horse battery", QuotaBytes: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	qs := env.Session(t, name, "test")
	u, err = qs.Create(ctx, "/big", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = u.ReadFrom(bytes.NewReader(data))
	wantKind(t, "ReadFrom past the quota", err, vfs.KindQuota)
	u.Abort()
}
