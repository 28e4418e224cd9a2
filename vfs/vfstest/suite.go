package vfstest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"strongroom/audit"
	"strongroom/policy"
	"strongroom/vfs"
	"strongroom/vfs/blob/blobtest"
	"strongroom/vfs/meta"
)

// Run runs the conformance suite over env. Every store pair must pass it
// unchanged: that is what makes the embedded default and the production
// stores behave the same.
func Run(t *testing.T, env *Env) {
	cases := []struct {
		name string
		fn   func(*testing.T, *Env)
	}{
		{"FilesAndFolders", testFilesAndFolders},
		{"Versions", testVersions},
		{"InlineSmallFiles", testInline},
		{"InvalidNames", testInvalidNames},
		{"Rename", testRename},
		{"Remove", testRemove},
		{"Copy", testCopy},
		{"Isolation", testIsolation},
		{"RevokeDuringRead", testRevokeDuringRead},
		{"GroupGrants", testGroupGrants},
		{"Tenants", testTenants},
		{"ConcurrentWriters", testConcurrentWriters},
		{"AbortAndOrphans", testAbortAndOrphans},
		{"OutOfOrderAndResume", testOutOfOrderAndResume},
		{"SuspendedUploads", testSuspended},
		{"SuspendedUploadsEnd", testSuspendedEnds},
		{"ReadFrom", testReadFrom},
		{"Ranges", testRanges},
		{"Quota", testQuota},
		{"DisabledUser", testDisabledUser},
		{"RemovedHome", testRemovedHome},
		{"Login", testLogin},
		{"LargeFolder", testLargeFolder},
		{"AuditChain", testAuditChain},
		{"EncryptionTurnedOff", testEncryptionOff},
		{"LostContent", testLostContent},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, env) })
	}
}

var ctx = context.Background()

// user makes a user with a fresh name and returns it with a session.
func user(t *testing.T, env *Env, base string) (string, *vfs.Session) {
	t.Helper()
	name := fmt.Sprintf("%s%d", base, rand.IntN(1<<30))
	env.AddUser(t, name, "correct horse battery")
	return name, env.Session(t, name, "test")
}

// put writes data to p and commits it.
func put(t testing.TB, s *vfs.Session, p string, data []byte) *vfs.FileInfo {
	t.Helper()
	u, err := s.Create(ctx, p, nil)
	if err != nil {
		t.Fatalf("create %s: %v", p, err)
	}
	if _, err := u.Write(data); err != nil {
		t.Fatalf("write %s: %v", p, err)
	}
	fi, err := u.Commit(ctx)
	if err != nil {
		t.Fatalf("commit %s: %v", p, err)
	}
	return fi
}

// get reads the current content of p.
func get(t testing.TB, s *vfs.Session, p string) []byte {
	t.Helper()
	f, err := s.Open(ctx, p)
	if err != nil {
		t.Fatalf("open %s: %v", p, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatalf("read %s: %v", p, err)
	}
	return b
}

func wantKind(t *testing.T, what string, err error, want vfs.Kind) {
	t.Helper()
	if got := vfs.KindOf(err); got != want {
		t.Errorf("%s: got %v (kind %v), want kind %v", what, err, got, want)
	}
}

func names(fis []*vfs.FileInfo) []string {
	var out []string
	for _, fi := range fis {
		out = append(out, fi.Name())
	}
	return out
}

func testFilesAndFolders(t *testing.T, env *Env) {
	_, s := user(t, env, "ff")
	if err := s.Mkdir(ctx, "/docs"); err != nil {
		t.Fatal(err)
	}
	wantKind(t, "mkdir again", s.Mkdir(ctx, "/docs"), vfs.KindExist)
	wantKind(t, "mkdir without parent", s.Mkdir(ctx, "/nope/sub"), vfs.KindNotExist)

	put(t, s, "/docs/b.txt", []byte("bee"))
	put(t, s, "/docs/a.pdf", []byte("%PDF-1.4 a"))
	put(t, s, "/docs/empty", nil)
	if err := s.Mkdir(ctx, "/docs/C"); err != nil {
		t.Fatal(err)
	}

	fis, more, err := s.List(ctx, "/docs", vfs.ListOptions{})
	if err != nil || more {
		t.Fatalf("list: %v, more %v", err, more)
	}
	if got, want := strings.Join(names(fis), ","), "C,a.pdf,b.txt,empty"; got != want {
		t.Errorf("list order: got %s, want %s (bytewise)", got, want)
	}

	fi, err := s.Stat(ctx, "/docs/a.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != 10 || fi.IsDir() || fi.MIMEType() != "application/pdf" || fi.VersionID() == "" {
		t.Errorf("stat a.pdf: size %d dir %v mime %q version %q", fi.Size(), fi.IsDir(), fi.MIMEType(), fi.VersionID())
	}
	if got := get(t, s, "/docs/empty"); len(got) != 0 {
		t.Errorf("empty file reads %d bytes", len(got))
	}
	wantKind(t, "stat missing", errOf(s.Stat(ctx, "/docs/zzz")), vfs.KindNotExist)
	wantKind(t, "stat through a file", errOf(s.Stat(ctx, "/docs/b.txt/x")), vfs.KindNotDir)
	wantKind(t, "list a file", errOf3(s.List(ctx, "/docs/b.txt", vfs.ListOptions{})), vfs.KindNotDir)
	wantKind(t, "open a folder", errOf(s.Open(ctx, "/docs")), vfs.KindIsDir)
	wantKind(t, "create over a folder", errOf(s.Create(ctx, "/docs/C", nil)), vfs.KindIsDir)

	mt := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := s.SetModTime(ctx, "/docs/b.txt", mt); err != nil {
		t.Fatal(err)
	}
	if fi, _ := s.Stat(ctx, "/docs/b.txt"); !fi.ModTime().Equal(mt) {
		t.Errorf("mod time: got %v, want %v", fi.ModTime(), mt)
	}
	wantKind(t, "mod time in 1066", s.SetModTime(ctx, "/docs/b.txt", time.Date(1066, 10, 14, 0, 0, 0, 0, time.UTC)), vfs.KindInvalid)
}

func errOf[T any](_ T, err error) error { return err }

func errOf3[T, U any](_ T, _ U, err error) error { return err }

func testVersions(t *testing.T, env *Env) {
	_, s := user(t, env, "ver")
	first := put(t, s, "/report.csv", []byte("v1"))
	second := put(t, s, "/report.csv", []byte("version two"))
	if first.VersionID() == second.VersionID() {
		t.Fatalf("overwrite kept version id %s", first.VersionID())
	}
	if got := string(get(t, s, "/report.csv")); got != "version two" {
		t.Errorf("current content %q", got)
	}

	vs, err := s.Versions(ctx, "/report.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || vs[0].ID != second.VersionID() || !vs[0].Current || vs[1].Current {
		t.Fatalf("versions: %+v", vs)
	}
	sum := sha256.Sum256([]byte("v1"))
	if !bytes.Equal(vs[1].SHA256, sum[:]) || vs[1].Size != 2 {
		t.Errorf("old version: size %d sha %x", vs[1].Size, vs[1].SHA256)
	}

	f, err := s.OpenVersion(ctx, "/report.csv", first.VersionID())
	if err != nil {
		t.Fatal(err)
	}
	old, _ := io.ReadAll(f)
	f.Close()
	if string(old) != "v1" {
		t.Errorf("old version reads %q", old)
	}

	restored, err := s.Restore(ctx, "/report.csv", first.VersionID())
	if err != nil {
		t.Fatal(err)
	}
	if got := string(get(t, s, "/report.csv")); got != "v1" {
		t.Errorf("after restore: %q", got)
	}
	vs, _ = s.Versions(ctx, "/report.csv")
	if len(vs) != 3 || vs[0].ID != restored.VersionID() || vs[0].RestoredFrom != first.VersionID() {
		t.Errorf("after restore, versions: %+v", vs)
	}
	wantKind(t, "restore unknown", errOf(s.Restore(ctx, "/report.csv", "999999999")), vfs.KindNotExist)
	wantKind(t, "restore bad id", errOf(s.Restore(ctx, "/report.csv", "x")), vfs.KindInvalid)
}

func testInvalidNames(t *testing.T, env *Env) {
	_, s := user(t, env, "inv")
	bad := map[string]string{
		"empty segment": "/a//b",
		"dot":           "/.",
		"dot dot":       "/a/../b",
		"NUL":           "/a\x00b",
		"control":       "/a\x07b",
		"long":          "/" + strings.Repeat("x", 256),
		"invalid UTF-8": "/\xff\xfe",
		"relative":      "a/b",
		"trailing":      "/a/",
	}
	for what, p := range bad {
		err := s.Mkdir(ctx, p)
		wantKind(t, what, err, vfs.KindInvalid)
		var ve *vfs.Error
		if errors.As(err, &ve) && !strings.Contains(ve.Message(), ":") {
			t.Errorf("%s: message %q does not say what is wrong", what, ve.Message())
		}
		wantKind(t, what+" create", errOf(s.Create(ctx, p, nil)), vfs.KindInvalid)
	}
	if err := s.Mkdir(ctx, "/"+strings.Repeat("y", 255)); err != nil {
		t.Errorf("255-byte name refused: %v", err)
	}
	// Composed and decomposed accents name the same file.
	put(t, s, "/caf\u00e9", []byte("nfc"))
	if got := string(get(t, s, "/cafe\u0301")); got != "nfc" {
		t.Errorf("NFD name reads %q", got)
	}
	put(t, s, "/with space & ünï 📄.txt", []byte("ok"))

	// Names that would display as other names are not given, whichever
	// way: "invoice\u202Efdp.exe" lists as "invoiceexe.pdf".
	spoof := "/invoice\u202Efdp.exe"
	wantKind(t, "bidi override, create", errOf(s.Create(ctx, spoof, nil)), vfs.KindInvalid)
	wantKind(t, "bidi override, mkdir", s.Mkdir(ctx, spoof), vfs.KindInvalid)
	wantKind(t, "bidi isolate, empty file", errOf(s.CreateEmpty(ctx, "/a\u2067b")), vfs.KindInvalid)
	wantKind(t, "zero-width space, rename", s.Rename(ctx, "/caf\u00e9", "/caf\u200b\u00e9", vfs.RenameOptions{}), vfs.KindInvalid)
	wantKind(t, "byte order mark, copy", s.Copy(ctx, "/caf\u00e9", "/\ufeffcafe", vfs.CopyOptions{}), vfs.KindInvalid)
	if got := string(get(t, s, "/caf\u00e9")); got != "nfc" {
		t.Errorf("after the refused rename and copy the file reads %q", got)
	}
	// The zero-width joiner is part of emoji and of several scripts.
	put(t, s, "/family \U0001F468\u200d\U0001F469\u200d\U0001F467 \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", []byte("ok"))
}

func testRename(t *testing.T, env *Env) {
	_, s := user(t, env, "ren")
	s.Mkdir(ctx, "/a")
	s.Mkdir(ctx, "/a/b")
	put(t, s, "/a/b/f", []byte("content"))
	before, _ := s.Stat(ctx, "/a/b/f")

	if err := s.Rename(ctx, "/a", "/z", vfs.RenameOptions{}); err != nil {
		t.Fatal(err)
	}
	after, err := s.Stat(ctx, "/z/b/f")
	if err != nil {
		t.Fatal(err)
	}
	if after.VersionID() != before.VersionID() {
		t.Errorf("moving a folder changed its file's version: %s -> %s", before.VersionID(), after.VersionID())
	}
	wantKind(t, "old path", errOf(s.Stat(ctx, "/a")), vfs.KindNotExist)
	wantKind(t, "into own child", s.Rename(ctx, "/z", "/z/b/z", vfs.RenameOptions{}), vfs.KindInvalid)
	wantKind(t, "root", s.Rename(ctx, "/", "/q", vfs.RenameOptions{}), vfs.KindPermission)

	put(t, s, "/other", []byte("other"))
	wantKind(t, "over existing", s.Rename(ctx, "/other", "/z/b/f", vfs.RenameOptions{}), vfs.KindExist)
	if err := s.Rename(ctx, "/other", "/z/b/f", vfs.RenameOptions{Replace: true}); err != nil {
		t.Fatal(err)
	}
	if got := string(get(t, s, "/z/b/f")); got != "other" {
		t.Errorf("replaced file reads %q", got)
	}
	// Replacing is an overwrite: what was there stays in the history.
	restoreReplaced(t, s, "/z/b/f", "content")
	wantKind(t, "file over folder", s.Rename(ctx, "/z/b/f", "/z/b", vfs.RenameOptions{Replace: true}), vfs.KindIsDir)
	if err := s.Rename(ctx, "/z/b/f", "/z/b/f", vfs.RenameOptions{}); err != nil {
		t.Errorf("rename onto itself: %v", err)
	}
}

// restoreReplaced checks that file p, just replaced by a rename or copy,
// has the content it replaced as an older version, and restores it.
func restoreReplaced(t *testing.T, s *vfs.Session, p, was string) {
	t.Helper()
	vs, err := s.Versions(ctx, p)
	if err != nil || len(vs) != 2 {
		t.Fatalf("versions of %s after it was replaced: got %+v, %v; want the new content and the one it replaced", p, vs, err)
	}
	var old string
	for _, v := range vs {
		if !v.Current {
			old = v.ID
		}
	}
	if old == "" {
		t.Fatalf("versions of %s: got %+v, want one that is not current", p, vs)
	}
	if _, err := s.Restore(ctx, p, old); err != nil {
		t.Fatalf("restore the replaced content of %s: %v", p, err)
	}
	if got := string(get(t, s, p)); got != was {
		t.Errorf("%s after restoring what it replaced reads %q, want %q", p, got, was)
	}
}

func testRemove(t *testing.T, env *Env) {
	_, s := user(t, env, "rm")
	s.Mkdir(ctx, "/d")
	put(t, s, "/d/f", []byte("x"))
	wantKind(t, "non-empty", s.Remove(ctx, "/d", false), vfs.KindNotEmpty)
	if err := s.Remove(ctx, "/d/f", false); err != nil {
		t.Fatal(err)
	}
	wantKind(t, "removed file", errOf(s.Stat(ctx, "/d/f")), vfs.KindNotExist)
	put(t, s, "/d/f", []byte("again"))
	if v, _ := s.Versions(ctx, "/d/f"); len(v) != 1 {
		t.Errorf("a new file at a removed name has %d versions, want its own 1", len(v))
	}
	s.Mkdir(ctx, "/d/sub")
	put(t, s, "/d/sub/g", []byte("y"))
	if err := s.Remove(ctx, "/d", true); err != nil {
		t.Fatal(err)
	}
	wantKind(t, "removed tree", errOf(s.Stat(ctx, "/d/sub/g")), vfs.KindNotExist)
	wantKind(t, "root", s.Remove(ctx, "/", true), vfs.KindPermission)
	wantKind(t, "missing", s.Remove(ctx, "/nothing", false), vfs.KindNotExist)
}

func testCopy(t *testing.T, env *Env) {
	_, s := user(t, env, "cp")
	s.Mkdir(ctx, "/src")
	put(t, s, "/src/one", []byte("1"))
	s.Mkdir(ctx, "/src/deep")
	put(t, s, "/src/deep/two", []byte("22"))
	if err := s.Copy(ctx, "/src", "/dst", vfs.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := string(get(t, s, "/dst/deep/two")); got != "22" {
		t.Errorf("copied file reads %q", got)
	}
	put(t, s, "/src/one", []byte("changed"))
	if got := string(get(t, s, "/dst/one")); got != "1" {
		t.Errorf("copy follows its source: %q", got)
	}
	wantKind(t, "copy over", s.Copy(ctx, "/src/one", "/dst/one", vfs.CopyOptions{}), vfs.KindExist)
	if err := s.Copy(ctx, "/src/one", "/dst/one", vfs.CopyOptions{Replace: true}); err != nil {
		t.Fatal(err)
	}
	if got := string(get(t, s, "/dst/one")); got != "changed" {
		t.Errorf("file copied over another reads %q, want %q", got, "changed")
	}
	restoreReplaced(t, s, "/dst/one", "1")
	wantKind(t, "into itself", s.Copy(ctx, "/src", "/src/deep/x", vfs.CopyOptions{}), vfs.KindInvalid)
}

// Two users with homes of their own must not see, or be able to confirm,
// anything of each other's; a grant opens exactly what it names.
func testIsolation(t *testing.T, env *Env) {
	alice, as := user(t, env, "alice")
	bob, bs := user(t, env, "bob")
	as.Mkdir(ctx, "/private")
	put(t, as, "/private/secret.txt", []byte("alice only"))
	as.Mkdir(ctx, "/shared")
	put(t, as, "/shared/for-bob.txt", []byte("hello bob"))

	// Bob's session is rooted at his own home; alice's files are not
	// reachable by any path, "..", or encoded trick, since vfs paths are
	// clean and rooted.
	for _, p := range []string{"/private", "/" + alice, "/../" + alice} {
		if _, err := bs.Stat(ctx, p); vfs.KindOf(err) != vfs.KindNotExist && vfs.KindOf(err) != vfs.KindInvalid {
			t.Errorf("bob stat %s: %v", p, err)
		}
	}

	// Bob gets a home at the top, seeing only what is granted.
	bobTop := bob + "top"
	if _, err := env.Admin.AddUser(ctx, bobTop, vfs.UserOptions{Password: "correct horse battery", Home: "/"}); err != nil {
		t.Fatal(err)
	}
	if err := env.Admin.Grant(ctx, "user:"+bobTop, "/"+alice+"/shared", policy.List|policy.Read); err != nil {
		t.Fatal(err)
	}
	top := env.Session(t, bobTop, "test")
	fis, _, err := top.List(ctx, "/"+alice, vfs.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names(fis), ","); got != "shared" {
		t.Errorf("bob lists alice's home: %s, want only the folder leading to his grant", got)
	}
	if got := string(get(t, top, "/"+alice+"/shared/for-bob.txt")); got != "hello bob" {
		t.Errorf("granted file reads %q", got)
	}

	secret := "/" + alice + "/private/secret.txt"
	wantKind(t, "stat secret", errOf(top.Stat(ctx, secret)), vfs.KindNotExist)
	wantKind(t, "open secret", errOf(top.Open(ctx, secret)), vfs.KindNotExist)
	wantKind(t, "list private", errOf3(top.List(ctx, "/"+alice+"/private", vfs.ListOptions{})), vfs.KindNotExist)
	wantKind(t, "remove secret", top.Remove(ctx, secret, false), vfs.KindNotExist)
	wantKind(t, "rename secret", top.Rename(ctx, secret, "/"+alice+"/shared/x", vfs.RenameOptions{}), vfs.KindNotExist)
	wantKind(t, "versions secret", errOf(top.Versions(ctx, secret)), vfs.KindNotExist)
	wantKind(t, "write into shared", errOf(top.Create(ctx, "/"+alice+"/shared/new", nil)), vfs.KindPermission)
	wantKind(t, "delete shared", top.Remove(ctx, "/"+alice+"/shared/for-bob.txt", false), vfs.KindPermission)
	// Creating over a hidden name answers as a refusal, not "exists".
	wantKind(t, "mkdir over hidden", top.Mkdir(ctx, "/"+alice+"/private"), vfs.KindPermission)

	// Each refusal is in the audit trail as denied.
	denied := 0
	env.Admin.AuditEvents(ctx, meta.AuditFilter{User: bobTop}, func(e *audit.Event) error {
		if e.Outcome == audit.Denied {
			denied++
		}
		return nil
	})
	if denied < 8 {
		t.Errorf("audit has %d denied records for bob, want at least 8", denied)
	}

	// Revoking takes effect on the open session's next operation.
	if err := env.Admin.Revoke(ctx, "user:"+bobTop, "/"+alice+"/shared"); err != nil {
		t.Fatal(err)
	}
	wantKind(t, "after revoke", errOf(top.Open(ctx, "/"+alice+"/shared/for-bob.txt")), vfs.KindNotExist)
}

// A download in progress stops once the reader loses the right to read,
// within recheckEvery of the change.
func testRevokeDuringRead(t *testing.T, env *Env) {
	clock := &fakeClock{now: time.Now()}
	fs := vfs.New(env.Meta, env.Blobs, &vfs.Options{Clock: clock.Now, KeyID: env.KeyID, ClearBlobs: env.Base})
	owner, os := user(t, env, "rdr")
	put(t, os, "/shared.bin", bytes.Repeat([]byte("r"), 200000))
	reader := owner + "r"
	if _, err := env.Admin.AddUser(ctx, reader, vfs.UserOptions{Password: "correct horse battery", Home: "/" + owner}); err != nil {
		t.Fatal(err)
	}
	if err := env.Admin.Grant(ctx, "user:"+reader, "/"+owner+"/shared.bin", policy.Read|policy.List); err != nil {
		t.Fatal(err)
	}
	s, err := fs.NewSession(ctx, reader, vfs.SessionInfo{Protocol: "test", SessionID: "rdr"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f, err := s.Open(ctx, "/shared.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1000)
	if _, err := f.ReadAt(buf, 0); err != nil {
		t.Fatal(err)
	}
	if err := env.Admin.Revoke(ctx, "user:"+reader, "/"+owner+"/shared.bin"); err != nil {
		t.Fatal(err)
	}
	clock.advance(10 * time.Second)
	if _, err := f.ReadAt(buf, 1000); vfs.KindOf(err) != vfs.KindNotExist {
		t.Errorf("read after revoke: %v, want not found", err)
	}
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func testGroupGrants(t *testing.T, env *Env) {
	owner, os := user(t, env, "owner")
	os.Mkdir(ctx, "/team")
	put(t, os, "/team/plan", []byte("plan"))
	member := owner + "m"
	if _, err := env.Admin.AddUser(ctx, member, vfs.UserOptions{Password: "correct horse battery", Home: "/" + owner}); err != nil {
		t.Fatal(err)
	}
	group := owner + "g"
	if _, err := env.Admin.AddGroup(ctx, group, ""); err != nil {
		t.Fatal(err)
	}
	if err := env.Admin.Grant(ctx, "group:"+group, "/"+owner+"/team", policy.List|policy.Read|policy.Write); err != nil {
		t.Fatal(err)
	}
	ms := env.Session(t, member, "test")
	wantKind(t, "before membership", errOf(ms.Open(ctx, "/team/plan")), vfs.KindNotExist)
	if err := env.Admin.AddMember(ctx, group, member); err != nil {
		t.Fatal(err)
	}
	if got := string(get(t, ms, "/team/plan")); got != "plan" {
		t.Errorf("member reads %q", got)
	}
	put(t, ms, "/team/notes", []byte("by member"))
	wantKind(t, "member delete", ms.Remove(ctx, "/team/plan", false), vfs.KindPermission)
	wantKind(t, "grant on missing path", env.Admin.Grant(ctx, "group:"+group, "/"+owner+"/nope", policy.Read), vfs.KindNotExist)
	wantKind(t, "grant to missing user", env.Admin.Grant(ctx, "user:nobody-here", "/"+owner, policy.Read), vfs.KindNotExist)
}

func testTenants(t *testing.T, env *Env) {
	a := fmt.Sprintf("acme%d", rand.IntN(1<<30))
	b := a + "b"
	for _, n := range []string{a, b} {
		if _, err := env.Admin.AddTenant(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	ua, ub := a+"-user", b+"-user"
	if _, err := env.Admin.AddUser(ctx, ua, vfs.UserOptions{Tenant: a, Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Admin.AddUser(ctx, ub, vfs.UserOptions{Tenant: b, Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	sa := env.Session(t, ua, "test")
	if got := sa.HomePath(); got != "/"+a+"/"+ua {
		t.Errorf("tenant user's home: %s", got)
	}
	put(t, sa, "/invoice.pdf", []byte("%PDF"))
	wantKind(t, "grant across tenants", env.Admin.Grant(ctx, "user:"+ub, "/"+a+"/"+ua, policy.Read), vfs.KindPermission)
	wantKind(t, "home across tenants", errOf(env.Admin.AddUser(ctx, ub+"2", vfs.UserOptions{Tenant: b, Password: "correct horse battery", Home: "/" + a})), vfs.KindPermission)
	wantKind(t, "unknown tenant", errOf(env.Admin.AddUser(ctx, ub+"3", vfs.UserOptions{Tenant: "no-such", Password: "correct horse battery"})), vfs.KindNotExist)

	// A tenant administrator sees only their own tenant.
	admin := a + "-admin"
	if _, err := env.Admin.AddUser(ctx, admin, vfs.UserOptions{Tenant: a, Password: "correct horse battery", Admin: true}); err != nil {
		t.Fatal(err)
	}
	as := env.Session(t, admin, "test")
	if got := string(get(t, as, "/"+ua+"/invoice.pdf")); got != "%PDF" {
		t.Errorf("tenant admin reads %q", got)
	}
	scoped := env.FS.Admin(admin, as.User().TenantID, vfs.SessionInfo{Protocol: "test"})
	wantKind(t, "scoped grant outside", scoped.Grant(ctx, "user:"+ub, "/"+b, policy.Read), vfs.KindNotExist)
}

// Concurrent writers to one new path both complete, and both contents
// are kept as versions.
func testConcurrentWriters(t *testing.T, env *Env) {
	_, s := user(t, env, "conc")
	const writers = 6
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, err := s.Create(ctx, "/same.bin", nil)
			if err != nil {
				errs[i] = err
				return
			}
			u.Write(bytes.Repeat([]byte{byte('a' + i)}, 1000+i))
			_, errs[i] = u.Commit(ctx)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	vs, err := s.Versions(ctx, "/same.bin")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != writers {
		t.Fatalf("got %d versions, want %d", len(vs), writers)
	}
	var sizes []int
	for _, v := range vs {
		sizes = append(sizes, int(v.Size))
		f, err := s.OpenVersion(ctx, "/same.bin", v.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(f)
		f.Close()
		if len(b) != int(v.Size) || len(bytes.Trim(b, string(b[:1]))) != 0 {
			t.Errorf("version %s content mixed up", v.ID)
		}
	}
	sort.Ints(sizes)
	for i, n := range sizes {
		if n != 1000+i {
			t.Errorf("sizes %v: a write was lost", sizes)
			break
		}
	}
}

// An aborted upload leaves no trace but an orphan blob, which collection
// removes; the file's previous content is intact.
func testAbortAndOrphans(t *testing.T, env *Env) {
	name, s := user(t, env, "abort")
	put(t, s, "/keep", []byte("old content"))
	u, err := s.Create(ctx, "/keep", nil)
	if err != nil {
		t.Fatal(err)
	}
	u.Write([]byte("partial new content"))
	u.Abort()
	if got := string(get(t, s, "/keep")); got != "old content" {
		t.Errorf("after abort: %q", got)
	}
	u, _ = s.Create(ctx, "/never", nil)
	u.Write([]byte("half"))
	u.Abort()
	wantKind(t, "aborted new file", errOf(s.Stat(ctx, "/never")), vfs.KindNotExist)
	if _, err := u.Commit(ctx); err == nil {
		t.Error("commit after abort succeeded")
	}

	// An upload that failed and was then aborted says why in its record.
	u, _ = s.Create(ctx, "/failed", nil)
	if _, err := u.WriteAt([]byte("far"), 1<<40); err == nil {
		t.Error("a write 1 TiB ahead of the upload was accepted")
	}
	u.Abort()
	found := false
	for _, e := range auditOf(t, env, name) {
		if strings.HasSuffix(e.Path, "/failed") {
			found = found || (e.Outcome == audit.Failed && strings.Contains(e.Reason, "upload failed") && strings.Contains(e.Reason, "ahead"))
		}
	}
	if !found {
		t.Errorf("no failed write of /failed recorded with its cause: %v", auditOf(t, env, name))
	}
	if _, err := env.FS.CollectOrphans(ctx, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := string(get(t, s, "/keep")); got != "old content" {
		t.Errorf("collection removed a live blob: %q", got)
	}
}

func testOutOfOrderAndResume(t *testing.T, env *Env) {
	_, s := user(t, env, "ooo")
	data := make([]byte, 300000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	u, err := s.Create(ctx, "/ooo", nil)
	if err != nil {
		t.Fatal(err)
	}
	const chunk = 32768
	offs := []int{}
	for off := 0; off < len(data); off += chunk {
		offs = append(offs, off)
	}
	// Deliver in a shuffled window, as pipelined SFTP writes arrive.
	rand.Shuffle(len(offs), func(i, j int) { offs[i], offs[j] = offs[j], offs[i] })
	for _, off := range offs {
		end := min(off+chunk, len(data))
		if _, err := u.WriteAt(data[off:end], int64(off)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := u.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := get(t, s, "/ooo"); !bytes.Equal(got, data) {
		t.Fatalf("out-of-order upload reads back wrong (%d bytes)", len(got))
	}

	// Resume: the first 100,000 bytes are there; send the rest.
	put(t, s, "/resume", data[:100000])
	u, err = s.Create(ctx, "/resume", &vfs.CreateOptions{Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.WriteAt(data[100000:], 100000); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := get(t, s, "/resume"); !bytes.Equal(got, data) {
		t.Errorf("resumed upload reads back wrong (%d bytes)", len(got))
	}

	// A write far beyond what has arrived is refused, not buffered.
	u, _ = s.Create(ctx, "/far", nil)
	_, err = u.WriteAt([]byte("x"), 1<<62)
	wantKind(t, "write at 2^62", err, vfs.KindInvalid)
	u.Abort()
}

func testRanges(t *testing.T, env *Env) {
	_, s := user(t, env, "rng")
	data := make([]byte, 200000)
	for i := range data {
		data[i] = byte(i % 251)
	}
	put(t, s, "/r", data)
	f, err := s.Open(ctx, "/r")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, c := range []struct{ off, n int }{{0, 10}, {65535, 3}, {65536, 65536}, {199990, 10}, {150000, 1}, {5, 5}} {
		buf := make([]byte, c.n)
		n, err := f.ReadAt(buf, int64(c.off))
		if err != nil && err != io.EOF || n != c.n || !bytes.Equal(buf, data[c.off:c.off+c.n]) {
			t.Errorf("ReadAt(%d, %d): n %d err %v", c.off, c.n, n, err)
		}
	}
	buf := make([]byte, 20)
	n, err := f.ReadAt(buf, 199990)
	if n != 10 || err != io.EOF {
		t.Errorf("ReadAt past end: n %d err %v, want 10 and EOF", n, err)
	}
	f.Close()
	if _, err := f.ReadAt(buf, 0); err == nil {
		t.Error("read after close succeeded")
	}
}

func testQuota(t *testing.T, env *Env) {
	name := fmt.Sprintf("quota%d", rand.IntN(1<<30))
	if _, err := env.Admin.AddUser(ctx, name, vfs.UserOptions{Password: "correct horse battery", QuotaBytes: 1000}); err != nil {
		t.Fatal(err)
	}
	s := env.Session(t, name, "test")
	put(t, s, "/small", make([]byte, 600))
	u, err := s.Create(ctx, "/big", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = u.Write(make([]byte, 600))
	wantKind(t, "over quota", err, vfs.KindQuota)
	u.Abort()
	used, quota, err := s.Usage(ctx)
	if err != nil || used != 600 || quota != 1000 {
		t.Errorf("usage: %d of %d, %v", used, quota, err)
	}

	// A quota given to a user with none holds in their open session at
	// once, for an upload begun before it was set too.
	free := fmt.Sprintf("quota%d", rand.IntN(1<<30))
	if _, err := env.Admin.AddUser(ctx, free, vfs.UserOptions{Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	fs := env.Session(t, free, "test")
	put(t, fs, "/before", make([]byte, 600))
	begun, err := fs.Create(ctx, "/begun", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer begun.Abort()
	if _, err := begun.Write(make([]byte, 600)); err != nil {
		t.Fatal(err)
	}
	if err := env.Admin.UpdateUser(ctx, free, func(u *policy.User) { u.QuotaBytes = 1000 }); err != nil {
		t.Fatal(err)
	}
	_, err = begun.Commit(ctx)
	wantKind(t, "an upload begun before the quota was set, past it", err, vfs.KindQuota)
	u, err = fs.Create(ctx, "/after", nil)
	if err == nil {
		_, err = u.Write(make([]byte, 600))
		u.Abort()
	}
	wantKind(t, "an upload after the quota was set, past it", err, vfs.KindQuota)
}

// A user whose home folder is removed under them can neither see nor
// make anything in it.
func testRemovedHome(t *testing.T, env *Env) {
	owner, os := user(t, env, "rh")
	os.Mkdir(ctx, "/team")
	guest := owner + "g"
	if _, err := env.Admin.AddUser(ctx, guest, vfs.UserOptions{Password: "correct horse battery", Home: "/" + owner + "/team"}); err != nil {
		t.Fatal(err)
	}
	if err := env.Admin.Grant(ctx, "user:"+guest, "/"+owner+"/team", policy.All); err != nil {
		t.Fatal(err)
	}
	gs := env.Session(t, guest, "test")
	put(t, gs, "/a", []byte("a"))
	if err := os.Remove(ctx, "/team", true); err != nil {
		t.Fatal(err)
	}
	wantKind(t, "list a removed home", errOf3(gs.List(ctx, "/", vfs.ListOptions{})), vfs.KindNotExist)
	wantKind(t, "create in a removed home", errOf(gs.Create(ctx, "/b", nil)), vfs.KindNotExist)
}

func testDisabledUser(t *testing.T, env *Env) {
	name, s := user(t, env, "dis")
	put(t, s, "/f", []byte("x"))
	if err := env.Admin.SetDisabled(ctx, name, true); err != nil {
		t.Fatal(err)
	}
	wantKind(t, "disabled session", errOf(s.Stat(ctx, "/f")), vfs.KindPermission)
	wantKind(t, "new session", errOf(env.FS.NewSession(ctx, name, vfs.SessionInfo{Protocol: "test"})), vfs.KindPermission)
}

func testLogin(t *testing.T, env *Env) {
	name, _ := user(t, env, "login")
	info := vfs.SessionInfo{Protocol: "test", RemoteAddr: fmt.Sprintf("192.0.2.%d:4000", rand.IntN(250)+1)}
	if _, err := env.FS.Authenticate(ctx, name, vfs.Credential{Password: "correct horse battery"}, info); err != nil {
		t.Fatalf("right password: %v", err)
	}
	_, wrong := env.FS.Authenticate(ctx, name, vfs.Credential{Password: "wrong password"}, info)
	_, unknown := env.FS.Authenticate(ctx, "no-such-user", vfs.Credential{Password: "wrong password"}, info)
	if wrong == nil || unknown == nil || wrong.Error() != unknown.Error() {
		t.Errorf("wrong password %v and unknown user %v must answer alike", wrong, unknown)
	}
	// A success from the address in between does not clear its failures:
	// one valid account must not buy unlimited guesses at the others.
	other := vfs.SessionInfo{Protocol: "test", RemoteAddr: fmt.Sprintf("198.51.100.%d:4000", rand.IntN(250)+1)}
	for range 6 {
		env.FS.Authenticate(ctx, "victim", vfs.Credential{Password: "guess"}, other)
	}
	if _, err := env.FS.Authenticate(ctx, name, vfs.Credential{Password: "correct horse battery"}, other); err != nil {
		t.Fatalf("right password after 6 failures: %v", err)
	}
	for range 4 {
		env.FS.Authenticate(ctx, "victim", vfs.Credential{Password: "guess"}, other)
	}
	if _, err := env.FS.Authenticate(ctx, "victim", vfs.Credential{Password: "guess"}, other); !errors.Is(err, vfs.ErrThrottled) {
		t.Errorf("11th failure with a success between: %v, want throttled", err)
	}

	// Wrong passwords sent together are checked no more often than one
	// after another would be: the ban's limit (10), then refused.
	burst := vfs.SessionInfo{Protocol: "test", RemoteAddr: fmt.Sprintf("203.0.113.%d:4000", rand.IntN(250)+1)}
	var checked, throttled atomic.Int32
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			switch _, err := env.FS.Authenticate(ctx, name, vfs.Credential{Password: "guess"}, burst); {
			case errors.Is(err, vfs.ErrBadLogin):
				checked.Add(1)
			case errors.Is(err, vfs.ErrThrottled):
				throttled.Add(1)
			}
		})
	}
	wg.Wait()
	if checked.Load() != 10 || throttled.Load() != 30 {
		t.Errorf("40 wrong passwords at once: %d checked, %d throttled; want 10 and 30", checked.Load(), throttled.Load())
	}

	for range 20 {
		env.FS.Authenticate(ctx, name, vfs.Credential{Password: "wrong again"}, info)
	}
	if _, err := env.FS.Authenticate(ctx, name, vfs.Credential{Password: "correct horse battery"}, info); !errors.Is(err, vfs.ErrThrottled) {
		t.Errorf("after 20 failures: %v, want throttled", err)
	}
}

// A folder of many entries lists completely and in order, page by page.
func testLargeFolder(t *testing.T, env *Env) {
	n := 3000
	if !testing.Short() {
		n = 100000
	}
	name, s := user(t, env, "big")
	s.Mkdir(ctx, "/big")
	// Entries go straight into the store in one transaction: making
	// 100,000 through the vfs would test the disk's fsync rate instead.
	err := env.Meta.Update(ctx, func(tx meta.Tx) error {
		home, err := tx.UserByName(name)
		if err != nil {
			return err
		}
		dir, err := tx.Child(home.HomeID, "big")
		if err != nil {
			return err
		}
		now := time.Now()
		for i := range n {
			if err := tx.CreateNode(&meta.Node{ParentID: dir.ID, Name: fmt.Sprintf("f%06d", i), IsDir: true, ModTime: now, Created: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got, after, pages := 0, "", 0
	for {
		fis, more, err := s.List(ctx, "/big", vfs.ListOptions{After: after})
		if err != nil {
			t.Fatal(err)
		}
		for _, fi := range fis {
			if want := fmt.Sprintf("f%06d", got); fi.Name() != want {
				t.Fatalf("entry %d: got %s, want %s", got, fi.Name(), want)
			}
			got++
		}
		pages++
		if !more {
			break
		}
		after = fis[len(fis)-1].Name()
	}
	if got != n {
		t.Errorf("listed %d entries, want %d", got, n)
	}
	t.Logf("listed %d entries in %d pages in %v", got, pages, time.Since(start))
}

// The history the suite made verifies, and names the first bad record
// once one is altered (the stores' own tests alter rows with SQL).
func testAuditChain(t *testing.T, env *Env) {
	n, heads, err := env.Admin.VerifyAudit(ctx)
	if err != nil {
		t.Fatalf("verify after the suite: %v", err)
	}
	if n == 0 || len(heads) == 0 {
		t.Errorf("verified %d records in %d chains; the suite writes many", n, len(heads))
	}
}

func blobCount(t *testing.T, env *Env) int {
	n := 0
	if err := env.Base.Walk(ctx, func(string, time.Time) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// Small files are kept, sealed, in the metadata database; large ones in
// the blob store. Either way they read, resume, copy and restore alike.
func testInline(t *testing.T, env *Env) {
	_, s := user(t, env, "inl")
	before := blobCount(t, env)
	small := bytes.Repeat([]byte("s"), 4096)
	put(t, s, "/small", small)
	if got := blobCount(t, env); got != before {
		t.Errorf("a 4 KiB file made %d blobs, want none", got-before)
	}
	large := bytes.Repeat([]byte("L"), 100<<10)
	put(t, s, "/large", large)
	if got := blobCount(t, env); got != before+1 {
		t.Errorf("a 100 KiB file made %d blobs, want 1", got-before)
	}

	// Resume an inline file past the inline size: the new version is a
	// blob that starts with the old content.
	u, err := s.Create(ctx, "/small", &vfs.CreateOptions{Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.WriteAt(large, int64(len(small))); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := get(t, s, "/small"); !bytes.Equal(got, append(append([]byte(nil), small...), large...)) {
		t.Errorf("resumed inline file reads %d bytes, want %d", len(got), len(small)+len(large))
	}
	vs, _ := s.Versions(ctx, "/small")
	if _, err := s.Restore(ctx, "/small", vs[len(vs)-1].ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Copy(ctx, "/small", "/small-copy", vfs.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, s, "/small-copy"); !bytes.Equal(got, small) {
		t.Errorf("copy of a restored inline file reads %d bytes", len(got))
	}
	f, err := s.Open(ctx, "/small-copy")
	if err != nil {
		t.Fatal(err)
	}
	part := make([]byte, 10)
	if n, err := f.ReadAt(part, 4086); n != 10 || err != nil {
		t.Errorf("range of an inline file: %d bytes, %v", n, err)
	}
	f.Close()
}

// testEncryptionOff reads files across a change of encryption at rest:
// each version is read the way it was stored, and one stored encrypted is
// refused, not served as ciphertext, by a server running without the key.
func testEncryptionOff(t *testing.T, env *Env) {
	name, s := user(t, env, "crypt")
	small, large := []byte("kept inline, sealed"), blobtest.Data(21, 100<<10)
	put(t, s, "/small", small)
	put(t, s, "/large", large)

	off := vfs.New(env.Meta, env.Base, nil) // the same stores, encryption off
	so, err := off.NewSession(ctx, name, vfs.SessionInfo{Protocol: "test", SessionID: t.Name() + "/off"})
	if err != nil {
		t.Fatal(err)
	}
	defer so.Close()
	for _, p := range []string{"/small", "/large"} {
		f, err := so.Open(ctx, p)
		if err == nil {
			var got []byte
			got, err = io.ReadAll(f)
			f.Close()
			if err == nil {
				t.Errorf("%s read with encryption off: %d bytes (%.8q...), want an error", p, len(got), got)
				continue
			}
		}
		if !strings.Contains(err.Error(), "encryption at rest is off") {
			t.Errorf("%s read with encryption off: %v; want an error that says to turn it back on", p, err)
		}
	}

	clear := blobtest.Data(22, 100<<10)
	put(t, so, "/clear", clear)
	if got := get(t, s, "/clear"); !bytes.Equal(got, clear) {
		t.Errorf("a file stored in the clear reads back %d bytes, not what was written, once encryption is on", len(got))
	}
	if got := get(t, s, "/large"); !bytes.Equal(got, large) {
		t.Errorf("the encrypted file reads back %d bytes, not what was written", len(got))
	}
}

// testLostContent reads a file whose blob is gone from the store: the read
// fails, and the failure is in the audit trail beside the read that began.
func testLostContent(t *testing.T, env *Env) {
	name, s := user(t, env, "lost")
	keys := map[string]bool{}
	env.Base.Walk(ctx, func(key string, _ time.Time) error { keys[key] = true; return nil })
	put(t, s, "/gone", blobtest.Data(23, 100<<10))
	var lost string
	env.Base.Walk(ctx, func(key string, _ time.Time) error {
		if !keys[key] {
			lost = key
		}
		return nil
	})
	if lost == "" {
		t.Fatal("the upload's blob is not in the store")
	}
	if err := env.Base.Delete(ctx, lost); err != nil {
		t.Fatal(err)
	}

	f, err := s.Open(ctx, "/gone")
	if err == nil {
		_, err = io.ReadAll(f)
		f.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("read of a file whose content is gone: %v; want an error that says it is missing", err)
	}
	var failed []*audit.Event
	env.Admin.AuditEvents(ctx, meta.AuditFilter{User: name}, func(e *audit.Event) error {
		if e.Op == "read" && e.Outcome == audit.Failed {
			failed = append(failed, e)
		}
		return nil
	})
	if len(failed) != 1 || !strings.HasSuffix(failed[0].Path, "/gone") || !strings.Contains(failed[0].Reason, "missing") {
		t.Errorf("audit records of the failed read: %+v; want one, naming the file and the cause", failed)
	}

	// Gone in the middle of a read, on S3 (a file on disk that is
	// deleted stays readable through the open descriptor).
	if env.Name != "production" {
		return
	}
	before := map[string]bool{}
	env.Base.Walk(ctx, func(key string, _ time.Time) error { before[key] = true; return nil })
	put(t, s, "/midway", blobtest.Data(24, 20<<20))
	f, err = s.Open(ctx, "/midway")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.ReadFull(f, make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	env.Base.Walk(ctx, func(key string, _ time.Time) error {
		if !before[key] {
			env.Base.Delete(ctx, key)
		}
		return nil
	})
	if _, err := io.ReadAll(f); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("read of a file whose content went away midway: %v; want an error that says it is missing", err)
	}
	midway := 0
	env.Admin.AuditEvents(ctx, meta.AuditFilter{User: name}, func(e *audit.Event) error {
		if e.Op == "read" && e.Outcome == audit.Failed && strings.HasSuffix(e.Path, "/midway") {
			midway++
		}
		return nil
	})
	if midway != 1 {
		t.Errorf("failed read records of /midway: %d, want 1", midway)
	}
}
