package vfs_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"strongroom/audit"
	"strongroom/policy"
	"strongroom/vfs"
	"strongroom/vfs/meta"
	"strongroom/vfs/vfstest"
)

// davEnv is a filesystem over env's stores whose clock the test moves,
// with alice (home /alice, holding a folder /alice/shared), bob (rooted
// at /, who may write in /alice/shared) and carol (rooted at /, who may
// only read there).
type davEnv struct {
	env   *vfstest.Env
	fs    *vfs.FS
	now   time.Time
	mu    sync.Mutex
	alice *vfs.Session
	bob   *vfs.Session
	carol *vfs.Session
}

func (d *davEnv) clock() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.now
}

func (d *davEnv) advance(by time.Duration) {
	d.mu.Lock()
	d.now = d.now.Add(by)
	d.mu.Unlock()
}

func newDAVEnv(t *testing.T, env *vfstest.Env) *davEnv {
	t.Helper()
	ctx := context.Background()
	d := &davEnv{env: env, now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	d.fs = vfs.New(env.Meta, env.Blobs, &vfs.Options{Clock: d.clock, KeyID: env.KeyID, ClearBlobs: env.Base})
	admin := d.fs.Admin("cli:test", 0, vfs.SessionInfo{Protocol: "cli", SessionID: "davtest"})
	if _, err := admin.AddUser(ctx, "alice", vfs.UserOptions{Password: "alice-password"}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"bob", "carol"} {
		if _, err := admin.AddUser(ctx, u, vfs.UserOptions{Password: u + "-password", Home: "/"}); err != nil {
			t.Fatal(err)
		}
	}
	d.alice = d.session(t, "alice")
	if err := d.alice.Mkdir(ctx, "/shared"); err != nil {
		t.Fatal(err)
	}
	if err := admin.Grant(ctx, "user:bob", "/alice/shared", policy.List|policy.Read|policy.Write|policy.Delete); err != nil {
		t.Fatal(err)
	}
	if err := admin.Grant(ctx, "user:carol", "/alice/shared", policy.List|policy.Read); err != nil {
		t.Fatal(err)
	}
	d.bob, d.carol = d.session(t, "bob"), d.session(t, "carol")
	return d
}

func (d *davEnv) session(t *testing.T, user string) *vfs.Session {
	t.Helper()
	s, err := d.fs.NewSession(context.Background(), user, vfs.SessionInfo{Protocol: "webdav", RemoteAddr: "127.0.0.1:9", SessionID: "dav-" + user})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func write(t *testing.T, s *vfs.Session, p, data string) *vfs.FileInfo {
	t.Helper()
	ctx := context.Background()
	u, err := s.Create(ctx, p, nil)
	if err != nil {
		t.Fatalf("create %s: %v", p, err)
	}
	if _, err := u.Write([]byte(data)); err != nil {
		t.Fatalf("write %s: %v", p, err)
	}
	fi, err := u.Commit(ctx)
	if err != nil {
		t.Fatalf("commit %s: %v", p, err)
	}
	return fi
}

func wantKind(t *testing.T, what string, err error, want vfs.Kind) {
	t.Helper()
	if got := vfs.KindOf(err); err == nil || got != want {
		t.Errorf("%s: got error %v (kind %v), want kind %v", what, err, got, want)
	}
}

func lockOpts(token string, shared, deep bool) vfs.LockOptions {
	return vfs.LockOptions{Token: token, Shared: shared, Deep: deep, Timeout: time.Minute, Owner: "<href xmlns=\"DAV:\">me</href>"}
}

func TestWithInfo(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		d := newDAVEnv(t, env)
		ctx := context.Background()
		req := d.alice.WithInfo(vfs.SessionInfo{Protocol: "webdav", RemoteAddr: "127.0.0.1:7", SessionID: "dav-alice.7:PUT"})

		write(t, req, "/shared/a.txt", "through a derived session")
		if err := req.Mkdir(ctx, "/shared/sub"); err != nil {
			t.Fatalf("mkdir: %v", err)
		}
		if got := req.User().Name; got != "alice" {
			t.Errorf("user: got %q, want alice", got)
		}

		var got []string
		err := d.fs.Admin("t", 0, vfs.SessionInfo{}).AuditEvents(ctx, meta.AuditFilter{User: "alice"}, func(e *audit.Event) error {
			if e.SessionID == "dav-alice.7:PUT" {
				got = append(got, e.Op+" "+e.Path+" "+e.RemoteAddr)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"write /alice/shared/a.txt 127.0.0.1:7", "mkdir /alice/shared/sub 127.0.0.1:7"}
		if strings.Join(got, "; ") != strings.Join(want, "; ") {
			t.Errorf("records of the derived session: got %q, want %q", got, want)
		}
	})
}

func TestCreateEmpty(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		d := newDAVEnv(t, env)
		ctx := context.Background()

		fi, err := d.alice.CreateEmpty(ctx, "/shared/new.txt")
		if err != nil {
			t.Fatalf("create empty: %v", err)
		}
		if fi.IsDir() || fi.Size() != 0 || fi.VersionID() != "" {
			t.Errorf("empty file: got dir %v, size %d, version %q; want a file of 0 bytes with no version", fi.IsDir(), fi.Size(), fi.VersionID())
		}
		_, err = d.alice.CreateEmpty(ctx, "/shared/new.txt")
		wantKind(t, "create empty over a file", err, vfs.KindExist)
		_, err = d.carol.CreateEmpty(ctx, "/alice/shared/carol.txt")
		wantKind(t, "create empty without write", err, vfs.KindPermission)
		_, err = d.alice.CreateEmpty(ctx, "/missing/x")
		wantKind(t, "create empty in a missing folder", err, vfs.KindNotExist)

		// The first upload becomes the first and only version.
		write(t, d.alice, "/shared/new.txt", "content")
		vs, err := d.alice.Versions(ctx, "/shared/new.txt")
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != 1 || vs[0].Size != int64(len("content")) {
			t.Errorf("versions after the first upload: got %+v, want one of %d bytes", vs, len("content"))
		}
	})
}

func TestLockConflicts(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		d := newDAVEnv(t, env)
		ctx := context.Background()
		write(t, d.alice, "/shared/doc.txt", "v1")
		write(t, d.alice, "/shared/other.txt", "v1")
		if err := d.alice.Mkdir(ctx, "/shared/dir"); err != nil {
			t.Fatal(err)
		}
		write(t, d.alice, "/shared/dir/in.txt", "v1")

		tests := []struct {
			name       string
			first      vfs.LockOptions
			firstPath  string
			second     vfs.LockOptions
			secondPath string
			conflict   bool
		}{
			{"exclusive then exclusive", lockOpts("urn:t:1", false, false), "/shared/doc.txt", lockOpts("urn:t:2", false, false), "/alice/shared/doc.txt", true},
			{"exclusive then shared", lockOpts("urn:t:3", false, false), "/shared/other.txt", lockOpts("urn:t:4", true, false), "/alice/shared/other.txt", true},
			{"deep folder then file below", lockOpts("urn:t:5", false, true), "/shared/dir", lockOpts("urn:t:6", false, false), "/alice/shared/dir/in.txt", true},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if _, _, err := d.alice.Lock(ctx, tc.firstPath, tc.first); err != nil {
					t.Fatalf("first lock: %v", err)
				}
				_, _, err := d.bob.Lock(ctx, tc.secondPath, tc.second)
				if got := errors.Is(err, vfs.ErrLocked); got != tc.conflict {
					t.Errorf("second lock: got error %v, want conflict %v", err, tc.conflict)
				}
				if err := d.alice.Unlock(ctx, tc.firstPath, tc.first.Token); err != nil {
					t.Errorf("unlock: %v", err)
				}
			})
		}

		t.Run("shared then shared", func(t *testing.T) {
			if _, _, err := d.alice.Lock(ctx, "/shared/doc.txt", lockOpts("urn:t:7", true, false)); err != nil {
				t.Fatal(err)
			}
			if _, _, err := d.bob.Lock(ctx, "/alice/shared/doc.txt", lockOpts("urn:t:8", true, false)); err != nil {
				t.Errorf("second shared lock: got %v, want none", err)
			}
			locks, err := d.alice.Locks(ctx, "/shared/doc.txt", false)
			if err != nil {
				t.Fatal(err)
			}
			var tokens []string
			for _, l := range locks {
				tokens = append(tokens, l.Token)
			}
			if strings.Join(tokens, ",") != "urn:t:7," {
				t.Errorf("tokens alice sees: got %q, want hers only (urn:t:7 and an empty one)", tokens)
			}
		})

		_, _, err := d.carol.Lock(ctx, "/alice/shared/other.txt", lockOpts("urn:t:9", false, false))
		wantKind(t, "lock without write", err, vfs.KindPermission)
		_, _, err = d.alice.Lock(ctx, "/shared/other.txt", vfs.LockOptions{Token: "urn:t:10", Timeout: 48 * time.Hour})
		wantKind(t, "lock for two days", err, vfs.KindInvalid)
	})
}

func TestLockOwnership(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		d := newDAVEnv(t, env)
		ctx := context.Background()
		write(t, d.alice, "/shared/doc.txt", "v1")
		l, created, err := d.alice.Lock(ctx, "/shared/doc.txt", lockOpts("urn:t:a", false, false))
		if err != nil || created || l.Token != "urn:t:a" || !l.Mine || l.Root != "/shared/doc.txt" {
			t.Fatalf("lock: got %+v, created %v, %v; want alice's lock on an existing file", l, created, err)
		}
		const doc = "/alice/shared/doc.txt"

		_, err = d.bob.CheckLocks(ctx, nil, vfs.LockScope{Path: doc})
		if !errors.Is(err, vfs.ErrLocked) {
			t.Errorf("bob's write with no token: got %v, want ErrLocked", err)
		}
		_, err = d.bob.CheckLocks(ctx, []string{"urn:t:a"}, vfs.LockScope{Path: doc})
		if !errors.Is(err, vfs.ErrPermission) || errors.Is(err, vfs.ErrLocked) {
			t.Errorf("bob's write with alice's token: got %v, want a refusal of the token", err)
		}
		if _, err := d.alice.CheckLocks(ctx, []string{"urn:t:a"}, vfs.LockScope{Path: "/shared/doc.txt"}, vfs.LockScope{Path: "/shared"}); err != nil {
			t.Errorf("alice's write with her token: got %v, want none", err)
		}
		_, err = d.bob.RefreshLock(ctx, doc, "urn:t:a", time.Minute)
		wantKind(t, "bob refreshes alice's lock", err, vfs.KindPermission)
		err = d.bob.Unlock(ctx, doc, "urn:t:a")
		wantKind(t, "bob unlocks alice's lock", err, vfs.KindPermission)
		err = d.alice.Unlock(ctx, "/shared/other.txt", "urn:t:a")
		wantKind(t, "unlock of a path the lock does not cover", err, vfs.KindNotExist)

		// The refusals are recorded as denied.
		denied := map[string]bool{}
		d.fs.Admin("t", 0, vfs.SessionInfo{}).AuditEvents(ctx, meta.AuditFilter{User: "bob"}, func(e *audit.Event) error {
			if e.Outcome == audit.Denied {
				denied[e.Op] = true
			}
			return nil
		})
		for _, op := range []string{"lock.check", "lock.refresh", "unlock"} {
			if !denied[op] {
				t.Errorf("no denied %s record for bob; have %v", op, denied)
			}
		}

		// The lock lasts across a new filesystem over the same stores, as
		// another node or a restart sees it, until it expires.
		other := vfs.New(env.Meta, env.Blobs, &vfs.Options{Clock: d.clock, KeyID: env.KeyID, ClearBlobs: env.Base})
		s, err := other.NewSession(ctx, "bob", vfs.SessionInfo{Protocol: "webdav", SessionID: "node2"})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if locks, err := s.Locks(ctx, doc, false); err != nil || len(locks) != 1 || locks[0].Token != "" || locks[0].Mine {
			t.Errorf("locks seen from another node: got %+v, %v; want alice's lock without its token", locks, err)
		}
		if _, err := d.alice.RefreshLock(ctx, "/shared/doc.txt", "urn:t:a", 2*time.Minute); err != nil {
			t.Errorf("refresh: %v", err)
		}
		d.advance(3 * time.Minute)
		if locks, err := s.Locks(ctx, doc, false); err != nil || len(locks) != 0 {
			t.Errorf("locks after the timeout: got %+v, %v; want none", locks, err)
		}
		if _, _, err := d.bob.Lock(ctx, doc, lockOpts("urn:t:b", false, false)); err != nil {
			t.Errorf("lock after the old one expired: %v", err)
		}
	})
}

func TestLockCreatesEmptyFile(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		d := newDAVEnv(t, env)
		ctx := context.Background()
		_, created, err := d.alice.Lock(ctx, "/shared/new.docx", lockOpts("urn:t:n", false, false))
		if err != nil || !created {
			t.Fatalf("lock of a new name: created %v, %v; want a new file", created, err)
		}
		fi, err := d.alice.Stat(ctx, "/shared/new.docx")
		if err != nil || fi.Size() != 0 || fi.VersionID() != "" {
			t.Fatalf("the new file: got %+v, %v; want an empty file with no version", fi, err)
		}
		if _, err := d.alice.CheckLocks(ctx, []string{"urn:t:n"}, vfs.LockScope{Path: "/shared/new.docx"}); err != nil {
			t.Fatal(err)
		}
		write(t, d.alice, "/shared/new.docx", "the real content")
		vs, err := d.alice.Versions(ctx, "/shared/new.docx")
		if err != nil || len(vs) != 1 {
			t.Errorf("versions: got %d, %v; want 1", len(vs), err)
		}
		_, _, err = d.alice.Lock(ctx, "/missing/new.docx", lockOpts("urn:t:m", false, false))
		wantKind(t, "lock in a missing folder", err, vfs.KindNotExist)
	})
}

func TestStaleLocks(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		d := newDAVEnv(t, env)
		ctx := context.Background()
		write(t, d.alice, "/shared/doc.txt", "v1")
		if _, _, err := d.alice.Lock(ctx, "/shared/doc.txt", lockOpts("urn:t:s", false, false)); err != nil {
			t.Fatal(err)
		}
		if err := d.alice.Remove(ctx, "/shared/doc.txt", false); err != nil {
			t.Fatal(err)
		}
		if locks, err := d.alice.Locks(ctx, "/shared/doc.txt", false); err != nil || len(locks) != 0 {
			t.Errorf("locks of a removed file: got %+v, %v; want none", locks, err)
		}
		if err := d.alice.ClearLocks(ctx, "/shared/doc.txt"); err != nil {
			t.Errorf("clear: %v", err)
		}
		write(t, d.alice, "/shared/doc.txt", "v2")
		if _, err := d.bob.CheckLocks(ctx, nil, vfs.LockScope{Path: "/alice/shared/doc.txt"}); err != nil {
			t.Errorf("a new file where a locked one was: got %v, want no lock", err)
		}
		wantKind(t, "clear locks of an existing file", d.alice.ClearLocks(ctx, "/shared/doc.txt"), vfs.KindExist)
	})
}

// TestConcurrentLocks has many sessions race for one exclusive lock:
// exactly one must win, on PostgreSQL too, where write transactions do
// not exclude one another by themselves.
func TestConcurrentLocks(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		d := newDAVEnv(t, env)
		ctx := context.Background()
		write(t, d.alice, "/shared/race.txt", "v1")
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := d.bob
				if i%2 == 0 {
					s = d.alice
				}
				p := "/alice/shared/race.txt"
				if s == d.alice {
					p = "/shared/race.txt"
				}
				_, _, errs[i] = s.Lock(ctx, p, lockOpts("urn:race:"+string(rune('a'+i)), false, false))
			}()
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, vfs.ErrLocked):
				t.Errorf("locker %d: got %v, want success or ErrLocked", i, err)
			}
		}
		if won != 1 {
			t.Errorf("%d lockers won, want 1", won)
		}
	})
}

func TestProps(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		d := newDAVEnv(t, env)
		ctx := context.Background()
		write(t, d.alice, "/shared/doc.txt", "v1")
		set := func(space, name, xml string) vfs.PropPatch {
			return vfs.PropPatch{Prop: vfs.Prop{Space: space, Name: name, XML: xml}}
		}

		err := d.alice.PatchProps(ctx, "/shared/doc.txt", []vfs.PropPatch{
			set("urn:x", "a", "1"), set("urn:x", "b", `<v xmlns="urn:y">2</v>`), set("urn:x", "c", "3"),
			{Prop: vfs.Prop{Space: "urn:x", Name: "c"}, Remove: true},
			{Prop: vfs.Prop{Space: "urn:x", Name: "never-set"}, Remove: true},
		})
		if err != nil {
			t.Fatalf("patch: %v", err)
		}
		got, err := d.carol.Props(ctx, "/alice/shared/doc.txt")
		if err != nil {
			t.Fatal(err)
		}
		want := []vfs.Prop{{Space: "urn:x", Name: "a", XML: "1"}, {Space: "urn:x", Name: "b", XML: `<v xmlns="urn:y">2</v>`}}
		if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("props: got %+v, want %+v", got, want)
		}
		kids, err := d.carol.ChildProps(ctx, "/alice/shared")
		if err != nil || len(kids["doc.txt"]) != 2 || len(kids) != 1 {
			t.Errorf("child props: got %+v, %v; want doc.txt's two", kids, err)
		}
		// Folders carol sees only on her way to the grant show none, so
		// that a PROPFIND of them lists them rather than failing.
		for _, p := range []string{"/", "/alice"} {
			if ps, err := d.carol.Props(ctx, p); err != nil || len(ps) != 0 {
				t.Errorf("props of %s, which leads to carol's grant: got %+v, %v; want none", p, ps, err)
			}
		}
		if err := d.alice.Mkdir(ctx, "/private"); err != nil {
			t.Fatal(err)
		}
		if _, err := d.carol.Props(ctx, "/alice/private"); vfs.KindOf(err) != vfs.KindNotExist {
			t.Errorf("props of a folder carol may not see: got %v, want not exist", err)
		}

		tests := []struct {
			name  string
			s     *vfs.Session
			p     string
			patch []vfs.PropPatch
			want  vfs.Kind
		}{
			{"a DAV: property", d.alice, "/shared/doc.txt", []vfs.PropPatch{set("urn:x", "ok", "1"), set("DAV:", "getetag", "x")}, vfs.KindInvalid},
			{"a value too large", d.alice, "/shared/doc.txt", []vfs.PropPatch{set("urn:x", "big", strings.Repeat("x", vfs.MaxPropBytes+1))}, vfs.KindInvalid},
			{"an empty name", d.alice, "/shared/doc.txt", []vfs.PropPatch{set("urn:x", "", "1")}, vfs.KindInvalid},
			{"without write", d.carol, "/alice/shared/doc.txt", []vfs.PropPatch{set("urn:x", "a", "2")}, vfs.KindPermission},
			{"a missing file", d.alice, "/shared/none.txt", []vfs.PropPatch{set("urn:x", "a", "2")}, vfs.KindNotExist},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				wantKind(t, "patch", tc.s.PatchProps(ctx, tc.p, tc.patch), tc.want)
			})
		}
		if got, _ := d.alice.Props(ctx, "/shared/doc.txt"); len(got) != 2 || got[0].XML != "1" {
			t.Errorf("props after refused patches: got %+v, want them unchanged", got)
		}

		var many []vfs.PropPatch
		for i := 0; i <= vfs.MaxProps; i++ {
			many = append(many, set("urn:many", "p"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune('a'+i/26)), "v"))
		}
		wantKind(t, "too many properties", d.alice.PatchProps(ctx, "/shared/doc.txt", many), vfs.KindInvalid)
	})
}

func TestCheckLocksScopes(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		d := newDAVEnv(t, env)
		ctx := context.Background()
		for _, dir := range []string{"/shared/dir", "/shared/dir2"} {
			if err := d.alice.Mkdir(ctx, dir); err != nil {
				t.Fatal(err)
			}
		}
		write(t, d.alice, "/shared/dir/in.txt", "v1")
		if _, _, err := d.alice.Lock(ctx, "/shared/dir/in.txt", lockOpts("urn:t:in", false, false)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := d.alice.Lock(ctx, "/shared/dir2", lockOpts("urn:t:dir2", false, false)); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name   string
			s      *vfs.Session
			tokens []string
			scopes []vfs.LockScope
			locked bool
		}{
			{"a folder with a locked file, alone", d.bob, nil, []vfs.LockScope{{Path: "/alice/shared/dir"}}, false},
			{"a folder with a locked file, and below", d.bob, nil, []vfs.LockScope{{Path: "/alice/shared/dir", Below: true}}, true},
			{"the same, with the token", d.alice, []string{"urn:t:in"}, []vfs.LockScope{{Path: "/shared/dir", Below: true}}, false},
			{"a new member of a folder locked at depth 0", d.bob, nil, []vfs.LockScope{{Path: "/alice/shared/dir2/new.txt"}}, false},
			{"the same, with the folder's membership", d.bob, nil, []vfs.LockScope{{Path: "/alice/shared/dir2/new.txt"}, {Path: "/alice/shared/dir2"}}, true},
			{"an unlocked file and a missing folder", d.bob, nil, []vfs.LockScope{{Path: "/alice/shared/none/x"}, {Path: "/alice/shared/none"}}, false},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				_, err := tc.s.CheckLocks(ctx, tc.tokens, tc.scopes...)
				if got := errors.Is(err, vfs.ErrLocked); got != tc.locked || (err != nil && !got) {
					t.Errorf("got %v, want locked %v", err, tc.locked)
				}
			})
		}
	})
}

// Dead properties count against the quota, so that they cannot store
// what the quota refuses as content.
func TestPropsQuota(t *testing.T) {
	env := vfstest.Embedded(t)
	ctx := context.Background()
	if _, err := env.Admin.AddUser(ctx, "qq", vfs.UserOptions{Password: "correct horse battery", QuotaBytes: 1000}); err != nil {
		t.Fatal(err)
	}
	s := env.Session(t, "qq", "test")
	if err := s.Mkdir(ctx, "/d"); err != nil {
		t.Fatal(err)
	}
	set := func(name string, n int) []vfs.PropPatch {
		return []vfs.PropPatch{{Prop: vfs.Prop{Space: "urn:q", Name: name, XML: strings.Repeat("x", n)}}}
	}
	if err := s.PatchProps(ctx, "/d", set("a", 600)); err != nil {
		t.Fatal(err)
	}
	wantKind(t, "past the quota", s.PatchProps(ctx, "/d", set("b", 600)), vfs.KindQuota)
	used, _, _ := s.Usage(ctx)
	if used != int64(len("urn:q")+len("a")+600) {
		t.Errorf("used %d bytes, want the one property's %d", used, len("urn:q")+1+600)
	}
	if err := s.PatchProps(ctx, "/d", []vfs.PropPatch{{Prop: vfs.Prop{Space: "urn:q", Name: "a"}, Remove: true}}); err != nil {
		t.Fatal(err)
	}
	if used, _, _ := s.Usage(ctx); used != 0 {
		t.Errorf("after removing the property, used %d bytes, want 0", used)
	}
}

// A session made WithLocks checks locks in each change's own transaction:
// a lock taken while an upload's content streams stops its commit, and
// every other change is refused without the token. The error names the
// locked item. Sessions without it (SFTP's) are not bound.
func TestChangesObeyLocks(t *testing.T) {
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		d := newDAVEnv(t, env)
		ctx := context.Background()
		write(t, d.alice, "/shared/doc.txt", "v1")
		bob := d.bob.WithLocks(nil)

		// Locked between Create and Commit: the commit is refused and
		// the file keeps its version.
		u, err := bob.Create(ctx, "/alice/shared/doc.txt", nil)
		if err != nil {
			t.Fatal(err)
		}
		if u.Existing() == nil || u.Existing().Size() != 2 {
			t.Errorf("Existing: got %v, want the 2-byte file", u.Existing())
		}
		u.Write([]byte("bob's overwrite"))
		if _, _, err := d.alice.Lock(ctx, "/shared/doc.txt", lockOpts("urn:t:race", false, false)); err != nil {
			t.Fatal(err)
		}
		_, err = u.Commit(ctx)
		if !errors.Is(err, vfs.ErrLocked) || vfs.LockedPath(err) != "/alice/shared/doc.txt" {
			t.Errorf("commit after a lock was taken: got %v (locked path %q), want ErrLocked on /alice/shared/doc.txt", err, vfs.LockedPath(err))
		}
		f, err := d.alice.Open(ctx, "/shared/doc.txt")
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 10)
		n, _ := f.ReadAt(buf, 0)
		f.Close()
		if string(buf[:n]) != "v1" {
			t.Errorf("after the refused commit the file reads %q, want v1", buf[:n])
		}

		// Locked before: every change to the file is refused at once...
		if _, err := bob.Create(ctx, "/alice/shared/doc.txt", nil); !errors.Is(err, vfs.ErrLocked) {
			t.Errorf("create of a locked file: got %v, want ErrLocked", err)
		}
		if err := bob.Remove(ctx, "/alice/shared/doc.txt", false); !errors.Is(err, vfs.ErrLocked) {
			t.Errorf("remove of a locked file: got %v, want ErrLocked", err)
		}
		if err := bob.Rename(ctx, "/alice/shared/doc.txt", "/alice/shared/moved.txt", vfs.RenameOptions{}); !errors.Is(err, vfs.ErrLocked) {
			t.Errorf("rename of a locked file: got %v, want ErrLocked", err)
		}
		write(t, d.alice, "/shared/other.txt", "o")
		if err := bob.Copy(ctx, "/alice/shared/other.txt", "/alice/shared/doc.txt", vfs.CopyOptions{Replace: true}); !errors.Is(err, vfs.ErrLocked) {
			t.Errorf("copy over a locked file: got %v, want ErrLocked", err)
		}
		if err := bob.PatchProps(ctx, "/alice/shared/doc.txt", []vfs.PropPatch{{Prop: vfs.Prop{Space: "urn:x", Name: "a", XML: "1"}}}); !errors.Is(err, vfs.ErrLocked) {
			t.Errorf("PROPPATCH of a locked file: got %v, want ErrLocked", err)
		}
		// ...but the holder's token lets the holder through.
		u, err = d.alice.WithLocks([]string{"urn:t:race"}).Create(ctx, "/shared/doc.txt", nil)
		if err != nil {
			t.Fatalf("create by the lock's holder with its token: %v", err)
		}
		u.Write([]byte("v2"))
		if _, err := u.Commit(ctx); err != nil {
			t.Errorf("commit by the lock's holder with its token: %v", err)
		}

		// A new member of a folder locked at depth 0 needs its token; the
		// error names the folder.
		if _, _, err := d.alice.Lock(ctx, "/shared", lockOpts("urn:t:dir", false, false)); err != nil {
			t.Fatal(err)
		}
		if _, err := bob.Create(ctx, "/alice/shared/new.txt", nil); vfs.LockedPath(err) != "/alice/shared" {
			t.Errorf("create in a locked folder: got %v (locked path %q), want the folder", err, vfs.LockedPath(err))
		}
		if err := bob.Mkdir(ctx, "/alice/shared/sub"); vfs.LockedPath(err) != "/alice/shared" {
			t.Errorf("mkdir in a locked folder: got %v (locked path %q), want the folder", err, vfs.LockedPath(err))
		}
		if _, err := bob.CreateEmpty(ctx, "/alice/shared/empty.txt"); !errors.Is(err, vfs.ErrLocked) {
			t.Errorf("empty file in a locked folder: got %v, want ErrLocked", err)
		}

		// Without WithLocks (SFTP), locks bind nobody.
		u, err = d.bob.Create(ctx, "/alice/shared/new.txt", nil)
		if err != nil {
			t.Fatal(err)
		}
		u.Write([]byte("sftp"))
		if _, err := u.Commit(ctx); err != nil {
			t.Errorf("a session that does not obey locks was refused: %v", err)
		}
		if err := d.bob.Mkdir(ctx, "/alice/shared/sub"); err != nil {
			t.Errorf("mkdir by a session that does not obey locks: %v", err)
		}
	})
}
