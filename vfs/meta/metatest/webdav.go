package metatest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"strongroom/vfs/meta"
)

func sameLock(got, want *meta.Lock) bool {
	g, w := *got, *want
	if !g.Expires.Equal(w.Expires) || g.Expires.IsZero() != w.Expires.IsZero() {
		return false
	}
	g.Expires, w.Expires = time.Time{}, time.Time{}
	return g == w
}

func (su suite) testLocks(t *testing.T) {
	s := su.open(t)
	anyLocks := func(want bool) {
		t.Helper()
		view(t, s, func(tx meta.Tx) error {
			if got, err := tx.AnyLocks(); err != nil || got != want {
				t.Errorf("AnyLocks: got %v, %v; want %v", got, err, want)
			}
			return nil
		})
	}
	anyLocks(false)
	l := &meta.Lock{Token: "opaquelocktoken:1", Path: "/a/b", UserID: 9, Deep: true, Shared: true,
		Owner: "<D:href>mailto:ann@example.com</D:href>", Timeout: time.Hour, Expires: t0.Add(time.Hour)}
	forever := &meta.Lock{Token: "opaquelocktoken:2", Path: "/c", Timeout: -1}
	update(t, s, func(tx meta.Tx) error {
		if err := tx.CreateLock(l); err != nil {
			return err
		}
		return tx.CreateLock(forever)
	})
	view(t, s, func(tx meta.Tx) error {
		got, err := tx.LockByToken(l.Token)
		if err != nil || !sameLock(got, l) {
			t.Errorf("LockByToken: got %+v, %v; want %+v", got, err, *l)
		}
		return nil
	})

	later := t0.Add(2 * time.Hour)
	update(t, s, func(tx meta.Tx) error { return tx.RefreshLock(l.Token, later, 2*time.Hour) })
	view(t, s, func(tx meta.Tx) error {
		got, err := tx.LockByToken(l.Token)
		if err != nil || !got.Expires.Equal(later) || got.Timeout != 2*time.Hour {
			t.Errorf("after RefreshLock: got %+v, %v; want expiry %v, timeout 2h", got, err, later)
		}
		return nil
	})

	var removed int
	update(t, s, func(tx meta.Tx) error {
		var err error
		removed, err = tx.RemoveExpiredLocks(later)
		return err
	})
	if removed != 1 {
		t.Errorf("RemoveExpiredLocks at the expiry: got %d, want 1", removed)
	}
	view(t, s, func(tx meta.Tx) error {
		_, err := tx.LockByToken(l.Token)
		wantErr(t, "LockByToken of an expired, removed lock", err, meta.ErrNotFound)
		_, err = tx.LockByToken(forever.Token)
		wantErr(t, "LockByToken of a lock that never expires", err, nil)
		return nil
	})
	anyLocks(true)

	tests := []struct {
		name string
		fn   func(meta.Tx) error
		want error
	}{
		{"CreateLock taken", func(tx meta.Tx) error { return tx.CreateLock(&meta.Lock{Token: forever.Token, Path: "/x"}) }, meta.ErrExists},
		{"RefreshLock missing", func(tx meta.Tx) error { return tx.RefreshLock("nope", t0, time.Second) }, meta.ErrNotFound},
		{"RemoveLock", func(tx meta.Tx) error { return tx.RemoveLock(forever.Token) }, nil},
		{"RemoveLock again", func(tx meta.Tx) error { return tx.RemoveLock(forever.Token) }, meta.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, tc.name, s.Update(t.Context(), tc.fn), tc.want)
		})
	}
}

func (su suite) testLocksAt(t *testing.T) {
	s := su.open(t)
	exp := t0.Add(time.Hour)
	locks := []*meta.Lock{
		{Token: "a-deep", Path: "/a", Deep: true, Expires: exp},
		{Token: "ab", Path: "/a/b", Expires: exp},
		{Token: "abc", Path: "/a/b/c", Expires: exp},
		{Token: "abcd-deep", Path: "/a/b/c/d", Deep: true, Expires: exp},
		{Token: "ab2", Path: "/a/b2", Expires: exp},
		{Token: "abc-sibling", Path: "/a/bc", Expires: exp},
		{Token: "ab-percent", Path: "/a/b%", Expires: exp},
		{Token: "ab-underscore-x", Path: "/a/b_/x", Expires: exp},
		{Token: "x-expired", Path: "/x", Deep: true, Expires: t0},
		{Token: "n-forever", Path: "/n", Deep: true},
		{Token: "root-shallow", Path: "/", Expires: exp},
	}
	update(t, s, func(tx meta.Tx) error {
		for _, l := range locks {
			if err := tx.CreateLock(l); err != nil {
				return err
			}
		}
		return nil
	})
	tests := []struct {
		path  string
		below bool
		now   time.Time
		want  []string // tokens, in order of path and token
	}{
		{"/a/b", false, t0, []string{"a-deep", "ab"}},
		{"/a/b", true, t0, []string{"a-deep", "ab", "abc", "abcd-deep"}},
		{"/a/b%", true, t0, []string{"a-deep", "ab-percent"}},
		{"/a/b_", true, t0, []string{"a-deep", "ab-underscore-x"}},
		{"/a/b/c/d/e", false, t0, []string{"a-deep", "abcd-deep"}},
		{"/a/b/c", false, t0, []string{"a-deep", "abc"}},
		{"/x/y", false, t0.Add(-time.Second), []string{"x-expired"}},
		{"/x/y", false, t0, nil},
		{"/n/deep/below", false, t0.Add(1000 * time.Hour), []string{"n-forever"}},
		{"/q", false, t0, nil},
		{"/", false, t0, []string{"root-shallow"}},
		// Every unexpired lock, in byte order of path: "%" < "/" < "2" < "_" < "c".
		{"/", true, t0, []string{"root-shallow", "a-deep", "ab", "ab-percent", "abc", "abcd-deep",
			"ab2", "ab-underscore-x", "abc-sibling", "n-forever"}},
	}

	for _, tc := range tests {
		t.Run(fmt.Sprintf("%q below=%v", tc.path, tc.below), func(t *testing.T) {
			var got []string
			view(t, s, func(tx meta.Tx) error {
				ls, err := tx.LocksAt(tc.path, tc.below, tc.now)
				for _, l := range ls {
					got = append(got, l.Token)
				}
				return err
			})
			if !slices.Equal(got, tc.want) {
				t.Errorf("LocksAt(%q, below %v, %v): got %q, want %q", tc.path, tc.below, tc.now, got, tc.want)
			}
		})
	}
}

func (su suite) testProps(t *testing.T) {
	s := su.open(t)
	var n *meta.Node
	update(t, s, func(tx meta.Tx) error {
		n = mkfile(t, tx, meta.RootID, "f", 0)
		for _, p := range []meta.Prop{
			{Space: "urn:z", Name: "a", XML: "<a>1</a>"},
			{Space: "DAV:", Name: "displayname", XML: "x"},
			{Space: "urn:z", Name: "a", XML: "<a>2</a>"}, // replaces the first
			{Space: "urn:b", Name: "b", XML: ""},
		} {
			if err := tx.SetProp(n.ID, p); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx meta.Tx) error {
		got, err := tx.Props(n.ID)
		want := []meta.Prop{
			{Space: "DAV:", Name: "displayname", XML: "x"},
			{Space: "urn:b", Name: "b", XML: ""},
			{Space: "urn:z", Name: "a", XML: "<a>2</a>"},
		}
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("Props: got %+v, %v; want %+v", got, err, want)
		}
		return nil
	})
	update(t, s, func(tx meta.Tx) error { return tx.RemoveProp(n.ID, "urn:b", "b") })

	tests := []struct {
		name string
		fn   func(meta.Tx) error
		want error
	}{
		{"RemoveProp again", func(tx meta.Tx) error { return tx.RemoveProp(n.ID, "urn:b", "b") }, meta.ErrNotFound},
		{"SetProp missing node", func(tx meta.Tx) error { return tx.SetProp(missingID, meta.Prop{Space: "s", Name: "n"}) }, meta.ErrNotFound},
		{"Props after remove", func(tx meta.Tx) error {
			got, err := tx.Props(n.ID)
			if err == nil && len(got) != 2 {
				t.Errorf("Props after RemoveProp: got %+v, want 2", got)
			}
			return err
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, tc.name, s.Update(t.Context(), tc.fn), tc.want)
		})
	}
	su.testChildProps(t, s)
}

// testChildProps checks that ChildProps reads a folder's live children
// that have properties, and nothing of its deleted children or of what
// lies deeper.
func (su suite) testChildProps(t *testing.T, s meta.Store) {
	var dir, a, b, gone, grandchild *meta.Node
	update(t, s, func(tx meta.Tx) error {
		dir = mkdir(t, tx, meta.RootID, "d")
		a = mkfile(t, tx, dir.ID, "a", 0)
		b = mkdir(t, tx, dir.ID, "b")
		mkfile(t, tx, dir.ID, "plain", 0)
		gone = mkfile(t, tx, dir.ID, "gone", 0)
		grandchild = mkfile(t, tx, b.ID, "deeper", 0)
		for _, set := range []struct {
			id int64
			p  meta.Prop
		}{
			{a.ID, meta.Prop{Space: "urn:z", Name: "y", XML: "2"}},
			{a.ID, meta.Prop{Space: "urn:a", Name: "x", XML: "1"}},
			{b.ID, meta.Prop{Space: "urn:a", Name: "x", XML: "folder"}},
			{gone.ID, meta.Prop{Space: "urn:a", Name: "x", XML: "deleted"}},
			{grandchild.ID, meta.Prop{Space: "urn:a", Name: "x", XML: "below"}},
		} {
			if err := tx.SetProp(set.id, set.p); err != nil {
				return err
			}
		}
		return tx.DeleteNode(gone.ID, t0)
	})
	view(t, s, func(tx meta.Tx) error {
		got, err := tx.ChildProps(dir.ID)
		want := map[int64][]meta.Prop{
			a.ID: {{Space: "urn:a", Name: "x", XML: "1"}, {Space: "urn:z", Name: "y", XML: "2"}},
			b.ID: {{Space: "urn:a", Name: "x", XML: "folder"}},
		}
		if err != nil || len(got) != len(want) {
			t.Fatalf("ChildProps: got %+v, %v; want %+v", got, err, want)
		}
		for id, ps := range want {
			if !slices.Equal(got[id], ps) {
				t.Errorf("ChildProps of node %d: got %+v, want %+v", id, got[id], ps)
			}
		}
		if none, err := tx.ChildProps(grandchild.ID); err != nil || len(none) != 0 {
			t.Errorf("ChildProps of a file: got %+v, %v; want none", none, err)
		}
		return nil
	})
}
