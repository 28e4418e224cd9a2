package metatest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"strongroom/policy"
	"strongroom/vfs/meta"
)

// mk creates a node in tx and fails the test if that fails.
func mk(t *testing.T, tx meta.Tx, parent int64, name string, isDir bool, size int64) *meta.Node {
	t.Helper()
	n := &meta.Node{ParentID: parent, Name: name, IsDir: isDir, Size: size, ModTime: t0, Created: t0}
	if err := tx.CreateNode(n); err != nil {
		t.Fatalf("CreateNode(%d, %q): %v", parent, name, err)
	}
	return n
}

func mkdir(t *testing.T, tx meta.Tx, parent int64, name string) *meta.Node {
	t.Helper()
	return mk(t, tx, parent, name, true, 0)
}

func mkfile(t *testing.T, tx meta.Tx, parent int64, name string, size int64) *meta.Node {
	t.Helper()
	return mk(t, tx, parent, name, false, size)
}

// sameNode reports how got differs from want, or "" if it does not.
func sameNode(got, want *meta.Node) string {
	switch {
	case got.ID != want.ID || got.ParentID != want.ParentID || got.TenantID != want.TenantID ||
		got.Name != want.Name || got.IsDir != want.IsDir || got.Deleted != want.Deleted:
	case got.VersionID != want.VersionID || got.Size != want.Size || got.MIMEType != want.MIMEType:
	case !got.ModTime.Equal(want.ModTime) || !got.Created.Equal(want.Created):
	default:
		return ""
	}
	return fmt.Sprintf("got %+v, want %+v", *got, *want)
}

func names(ns []*meta.Node) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Name)
	}
	return out
}

func (su suite) testRoot(t *testing.T) {
	s := su.open(t)
	view(t, s, func(tx meta.Tx) error {
		root, err := tx.Node(meta.RootID)
		if err != nil {
			t.Fatalf("Node(RootID): %v", err)
		}
		if !root.IsDir || root.ParentID != 0 || root.Name != "" || root.Deleted {
			t.Errorf("root: got %+v, want a live folder named \"\" with no parent", *root)
		}
		up, err := tx.Ancestors(meta.RootID)
		if err != nil || len(up) != 0 {
			t.Errorf("Ancestors(RootID): got %v, %v; want none", up, err)
		}
		has, err := tx.HasChildren(meta.RootID)
		if err != nil || has {
			t.Errorf("HasChildren(RootID) of an empty store: got %v, %v; want false", has, err)
		}
		return nil
	})
}

func (su suite) testNodes(t *testing.T) {
	s := su.open(t)
	var dir, file *meta.Node
	update(t, s, func(tx meta.Tx) error {
		dir = mkdir(t, tx, meta.RootID, "docs")
		file = &meta.Node{ParentID: dir.ID, TenantID: 7, Name: "a.txt", Size: 12,
			MIMEType: "text/plain", ModTime: t0.Add(-time.Hour), Created: t0}
		return tx.CreateNode(file)
	})
	if file.ID == 0 || file.ID == dir.ID || dir.ID == meta.RootID {
		t.Fatalf("ids: got dir %d, file %d; want new distinct ids", dir.ID, file.ID)
	}

	view(t, s, func(tx meta.Tx) error {
		got, err := tx.Node(file.ID)
		if err != nil {
			t.Fatalf("Node: %v", err)
		}
		if d := sameNode(got, file); d != "" {
			t.Errorf("Node: %s", d)
		}
		got, err = tx.Child(dir.ID, "a.txt")
		if err != nil {
			t.Fatalf("Child: %v", err)
		}
		if d := sameNode(got, file); d != "" {
			t.Errorf("Child: %s", d)
		}
		has, err := tx.HasChildren(dir.ID)
		if err != nil || !has {
			t.Errorf("HasChildren: got %v, %v; want true", has, err)
		}
		return nil
	})

	mt := t0.Add(time.Minute)
	update(t, s, func(tx meta.Tx) error { return tx.SetModTime(file.ID, mt) })
	view(t, s, func(tx meta.Tx) error {
		got, err := tx.Node(file.ID)
		if err != nil {
			t.Fatalf("Node: %v", err)
		}
		if !got.ModTime.Equal(mt) {
			t.Errorf("ModTime after SetModTime: got %v, want %v", got.ModTime, mt)
		}
		return nil
	})
}

func (su suite) testNodeErrors(t *testing.T) {
	s := su.open(t)
	var dir, file, other *meta.Node
	var v *meta.Version
	update(t, s, func(tx meta.Tx) error {
		dir = mkdir(t, tx, meta.RootID, "dir")
		file = mkfile(t, tx, dir.ID, "f", 1)
		other = mkfile(t, tx, dir.ID, "g", 1)
		mkfile(t, tx, meta.RootID, "taken", 1)
		v = &meta.Version{NodeID: other.ID, BlobKey: "b", Created: t0}
		return tx.AddVersion(v)
	})
	const missing = 1 << 40
	tests := []struct {
		name string
		fn   func(meta.Tx) error
		want error
	}{
		{"Node missing", func(tx meta.Tx) error { _, err := tx.Node(missing); return err }, meta.ErrNotFound},
		{"Child missing", func(tx meta.Tx) error { _, err := tx.Child(dir.ID, "nope"); return err }, meta.ErrNotFound},
		{"Child of a missing parent", func(tx meta.Tx) error { _, err := tx.Child(missing, "f"); return err }, meta.ErrNotFound},
		{"CreateNode taken", func(tx meta.Tx) error {
			return tx.CreateNode(&meta.Node{ParentID: dir.ID, Name: "f"})
		}, meta.ErrExists},
		{"CreateNode folder over a file's name", func(tx meta.Tx) error {
			return tx.CreateNode(&meta.Node{ParentID: dir.ID, Name: "f", IsDir: true})
		}, meta.ErrExists},
		{"CreateNode in a missing folder", func(tx meta.Tx) error {
			return tx.CreateNode(&meta.Node{ParentID: missing, Name: "x"})
		}, meta.ErrNotFound},
		{"CreateNode in a file", func(tx meta.Tx) error {
			return tx.CreateNode(&meta.Node{ParentID: file.ID, Name: "x"})
		}, meta.ErrNotFound},
		{"MoveNode missing", func(tx meta.Tx) error { return tx.MoveNode(missing, dir.ID, "x") }, meta.ErrNotFound},
		{"MoveNode into a missing folder", func(tx meta.Tx) error { return tx.MoveNode(file.ID, missing, "x") }, meta.ErrNotFound},
		{"MoveNode into a file", func(tx meta.Tx) error { return tx.MoveNode(other.ID, file.ID, "x") }, meta.ErrNotFound},
		{"MoveNode onto a taken name", func(tx meta.Tx) error { return tx.MoveNode(file.ID, meta.RootID, "taken") }, meta.ErrExists},
		{"MoveNode onto a sibling's name", func(tx meta.Tx) error { return tx.MoveNode(file.ID, dir.ID, "g") }, meta.ErrExists},
		{"DeleteNode missing", func(tx meta.Tx) error { return tx.DeleteNode(missing, t0) }, meta.ErrNotFound},
		{"SetModTime missing", func(tx meta.Tx) error { return tx.SetModTime(missing, t0) }, meta.ErrNotFound},
		{"Ancestors missing", func(tx meta.Tx) error { _, err := tx.Ancestors(missing); return err }, meta.ErrNotFound},
		{"TreeSize missing", func(tx meta.Tx) error { _, err := tx.TreeSize(missing); return err }, meta.ErrNotFound},
		{"Version missing", func(tx meta.Tx) error { _, err := tx.Version(missing); return err }, meta.ErrNotFound},
		{"AddVersion of a missing node", func(tx meta.Tx) error {
			return tx.AddVersion(&meta.Version{NodeID: missing, BlobKey: "k"})
		}, meta.ErrNotFound},
		{"SetContent with another file's version", func(tx meta.Tx) error { return tx.SetContent(file.ID, v, t0) }, meta.ErrNotFound},
		{"SetContent of a folder", func(tx meta.Tx) error { return tx.SetContent(dir.ID, v, t0) }, meta.ErrNotFound},
		{"SetContent of a missing node", func(tx meta.Tx) error { return tx.SetContent(missing, v, t0) }, meta.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got error
			s.Update(t.Context(), func(tx meta.Tx) error {
				got = tc.fn(tx)
				return got
			})
			wantErr(t, tc.name, got, tc.want)
		})
	}

	// A refused change changes nothing.
	view(t, s, func(tx meta.Tx) error {
		got, err := tx.Child(dir.ID, "f")
		if err != nil || got.ID != file.ID {
			t.Errorf("Child(dir, f) after the refusals: got %v, %v; want node %d", got, err, file.ID)
		}
		return nil
	})
}

// testErrorsKeepTxUsable checks that a refusal leaves the transaction
// usable, as the contract promises (PostgreSQL would otherwise abort it).
func (su suite) testErrorsKeepTxUsable(t *testing.T) {
	s := su.open(t)
	var a *meta.Node
	update(t, s, func(tx meta.Tx) error {
		a = mkfile(t, tx, meta.RootID, "a", 1)
		mkfile(t, tx, meta.RootID, "b", 1)
		return nil
	})
	update(t, s, func(tx meta.Tx) error {
		wantErr(t, "CreateNode taken", tx.CreateNode(&meta.Node{ParentID: meta.RootID, Name: "a"}), meta.ErrExists)
		wantErr(t, "MoveNode onto a taken name", tx.MoveNode(a.ID, meta.RootID, "b"), meta.ErrExists)
		wantErr(t, "CreateUser", tx.CreateUser(&policy.User{Name: "ann", Created: t0}), nil)
		wantErr(t, "CreateUser taken", tx.CreateUser(&policy.User{Name: "ann", Created: t0}), meta.ErrExists)
		wantErr(t, "AddSSHKey for a missing user",
			tx.AddSSHKey(&policy.SSHKey{UserID: 1 << 40, Fingerprint: "SHA256:x", Key: "ssh-ed25519 AAAA"}), meta.ErrNotFound)
		wantErr(t, "AddGrant on a missing node",
			tx.AddGrant(&policy.Grant{NodeID: 1 << 40, UserID: 1, Actions: policy.Read}), meta.ErrNotFound)
		mkfile(t, tx, meta.RootID, "c", 1)
		return nil
	})
	view(t, s, func(tx meta.Tx) error {
		if _, err := tx.Child(meta.RootID, "c"); err != nil {
			t.Errorf("Child(root, c) written after the refusals: %v", err)
		}
		if _, err := tx.UserByName("ann"); err != nil {
			t.Errorf("UserByName written before the refusals: %v", err)
		}
		return nil
	})
}

func (su suite) testRecreateAfterDelete(t *testing.T) {
	s := su.open(t)
	var ids []int64
	for i := range 3 {
		update(t, s, func(tx meta.Tx) error {
			if i > 0 {
				if err := tx.DeleteNode(ids[i-1], t0); err != nil {
					t.Fatalf("DeleteNode: %v", err)
				}
				_, err := tx.Child(meta.RootID, "x")
				wantErr(t, "Child after delete", err, meta.ErrNotFound)
			}
			ids = append(ids, mkfile(t, tx, meta.RootID, "x", int64(i)).ID)
			return nil
		})
	}
	view(t, s, func(tx meta.Tx) error {
		kids, err := tx.Children(meta.RootID, "", 0)
		if err != nil {
			t.Fatalf("Children: %v", err)
		}
		if len(kids) != 1 || kids[0].ID != ids[2] {
			t.Errorf("Children: got %v, want only node %d", names(kids), ids[2])
		}
		for i, id := range ids {
			n, err := tx.Node(id)
			if err != nil {
				t.Fatalf("Node(%d): %v", id, err)
			}
			if want := i < 2; n.Deleted != want || n.Size != int64(i) {
				t.Errorf("Node(%d): got deleted %v size %d, want deleted %v size %d", id, n.Deleted, n.Size, want, i)
			}
		}
		return nil
	})
}

func (su suite) testChildrenOrder(t *testing.T) {
	s := su.open(t)
	in := []string{"B", "a", "ä", "Z", "10", "9", "a b", "a-b", "é", "日本", "Ä", "a%", "a_", "~", "e\u0301"}
	want := slices.Clone(in)
	sort.Slice(want, func(i, j int) bool { return bytes.Compare([]byte(want[i]), []byte(want[j])) < 0 })

	var dir *meta.Node
	update(t, s, func(tx meta.Tx) error {
		dir = mkdir(t, tx, meta.RootID, "d")
		for _, n := range in {
			mkfile(t, tx, dir.ID, n, 0)
		}
		gone := mkfile(t, tx, dir.ID, "deleted", 0)
		mkdir(t, tx, meta.RootID, "empty")
		return tx.DeleteNode(gone.ID, t0)
	})

	view(t, s, func(tx meta.Tx) error {
		all, err := tx.Children(dir.ID, "", 0)
		if err != nil {
			t.Fatalf("Children: %v", err)
		}
		if got := names(all); !slices.Equal(got, want) {
			t.Errorf("Children: got %q, want %q", got, want)
		}

		for _, limit := range []int{1, 2, 4, 100} {
			var paged []string
			after := ""
			for range len(in) + 1 {
				page, err := tx.Children(dir.ID, after, limit)
				if err != nil {
					t.Fatalf("Children(after %q, limit %d): %v", after, limit, err)
				}
				if len(page) > limit {
					t.Fatalf("Children(limit %d): got %d", limit, len(page))
				}
				if len(page) == 0 {
					break
				}
				paged = append(paged, names(page)...)
				after = page[len(page)-1].Name
			}
			if !slices.Equal(paged, want) {
				t.Errorf("pages of %d: got %q, want %q", limit, paged, want)
			}
		}

		after, err := tx.Children(dir.ID, "a", 0)
		if err != nil {
			t.Fatalf("Children(after a): %v", err)
		}
		if got, w := names(after), want[slices.Index(want, "a")+1:]; !slices.Equal(got, w) {
			t.Errorf("Children(after \"a\"): got %q, want %q", got, w)
		}

		empty, _ := tx.Child(meta.RootID, "empty")
		has, err := tx.HasChildren(empty.ID)
		if err != nil || has {
			t.Errorf("HasChildren(empty): got %v, %v; want false", has, err)
		}
		return nil
	})
}

func (su suite) testMove(t *testing.T) {
	s := su.open(t)
	var src, dst, f, sub *meta.Node
	update(t, s, func(tx meta.Tx) error {
		src = mkdir(t, tx, meta.RootID, "src")
		dst = mkdir(t, tx, meta.RootID, "dst")
		f = mkfile(t, tx, src.ID, "f.txt", 5)
		sub = mkdir(t, tx, src.ID, "sub")
		mkfile(t, tx, sub.ID, "deep.txt", 7)
		return nil
	})

	update(t, s, func(tx meta.Tx) error { return tx.MoveNode(f.ID, dst.ID, "g.txt") })
	update(t, s, func(tx meta.Tx) error { return tx.MoveNode(sub.ID, dst.ID, "sub") })
	update(t, s, func(tx meta.Tx) error { return tx.MoveNode(f.ID, dst.ID, "g.txt") }) // to where it is
	view(t, s, func(tx meta.Tx) error {
		_, err := tx.Child(src.ID, "f.txt")
		wantErr(t, "old name after move", err, meta.ErrNotFound)
		got, err := tx.Child(dst.ID, "g.txt")
		if err != nil || got.ID != f.ID || got.ParentID != dst.ID {
			t.Errorf("new name after move: got %+v, %v; want node %d in %d", got, err, f.ID, dst.ID)
		}
		deep, err := tx.Child(sub.ID, "deep.txt")
		if err != nil {
			t.Fatalf("a moved folder's content: %v", err)
		}
		up, err := tx.Ancestors(deep.ID)
		if want := []int64{meta.RootID, dst.ID, sub.ID}; err != nil || !slices.Equal(up, want) {
			t.Errorf("Ancestors after moving its folder: got %v, %v; want %v", up, err, want)
		}
		if size, err := tx.TreeSize(dst.ID); err != nil || size != 12 {
			t.Errorf("TreeSize(dst): got %d, %v; want 12", size, err)
		}
		return nil
	})

	tests := []struct {
		name       string
		id, parent int64
	}{
		{"into itself", sub.ID, sub.ID},
		{"below itself", dst.ID, sub.ID},
		{"the root", meta.RootID, dst.ID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Update(t.Context(), func(tx meta.Tx) error { return tx.MoveNode(tc.id, tc.parent, "loop") })
			if err == nil {
				t.Errorf("MoveNode(%d, %d): got no error, want one", tc.id, tc.parent)
			}
		})
	}
	view(t, s, func(tx meta.Tx) error {
		n, err := tx.Node(sub.ID)
		if err != nil || n.ParentID != dst.ID || n.Name != "sub" {
			t.Errorf("after the refused moves: got %+v, %v; want sub still in dst", n, err)
		}
		return nil
	})
}

func (su suite) testAncestors(t *testing.T) {
	s := su.open(t)
	want := []int64{meta.RootID}
	var last int64
	update(t, s, func(tx meta.Tx) error {
		parent := int64(meta.RootID)
		for i := range 6 {
			n := mkdir(t, tx, parent, fmt.Sprintf("level%d", i))
			if i < 5 {
				want = append(want, n.ID)
			}
			parent, last = n.ID, n.ID
		}
		return nil
	})
	view(t, s, func(tx meta.Tx) error {
		got, err := tx.Ancestors(last)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("Ancestors: got %v, %v; want %v", got, err, want)
		}
		return nil
	})
}

func (su suite) testDeleteSubtree(t *testing.T) {
	s := su.open(t)
	var top, d, d2, f1, f3, keep *meta.Node
	update(t, s, func(tx meta.Tx) error {
		top = mkdir(t, tx, meta.RootID, "t")
		f1 = mkfile(t, tx, top.ID, "f1", 10)
		d = mkdir(t, tx, top.ID, "d")
		mkfile(t, tx, d.ID, "f2", 20)
		d2 = mkdir(t, tx, d.ID, "d2")
		f3 = mkfile(t, tx, d2.ID, "f3", 30)
		other := mkdir(t, tx, meta.RootID, "other")
		keep = mkfile(t, tx, other.ID, "f4", 40)
		return tx.AddVersion(&meta.Version{NodeID: f3.ID, BlobKey: "blob-f3", Size: 30, Created: t0})
	})
	view(t, s, func(tx meta.Tx) error {
		for _, c := range []struct {
			id   int64
			want int64
		}{{meta.RootID, 100}, {top.ID, 60}, {d.ID, 50}, {f1.ID, 10}} {
			if got, err := tx.TreeSize(c.id); err != nil || got != c.want {
				t.Errorf("TreeSize(%d): got %d, %v; want %d", c.id, got, err, c.want)
			}
		}
		return nil
	})

	at := t0.Add(time.Hour)
	update(t, s, func(tx meta.Tx) error { return tx.DeleteNode(top.ID, at) })
	view(t, s, func(tx meta.Tx) error {
		for _, n := range []*meta.Node{top, f1, d, d2, f3} {
			got, err := tx.Node(n.ID)
			if err != nil || !got.Deleted {
				t.Errorf("Node(%s) after deleting its tree: got %+v, %v; want deleted", n.Name, got, err)
			}
		}
		if got, err := tx.Node(keep.ID); err != nil || got.Deleted {
			t.Errorf("Node(f4) outside the tree: got %+v, %v; want live", got, err)
		}
		if got, err := tx.TreeSize(meta.RootID); err != nil || got != 40 {
			t.Errorf("TreeSize(root) after delete: got %d, %v; want 40", got, err)
		}
		_, err := tx.TreeSize(top.ID)
		wantErr(t, "TreeSize(deleted)", err, meta.ErrNotFound)
		vs, err := tx.Versions(f3.ID)
		if err != nil || len(vs) != 1 {
			t.Errorf("Versions of a deleted file: got %d, %v; want 1 kept", len(vs), err)
		}
		ok, err := tx.BlobReferenced("blob-f3")
		if err != nil || !ok {
			t.Errorf("BlobReferenced of a deleted file's blob: got %v, %v; want true", ok, err)
		}
		return nil
	})
	err := s.Update(t.Context(), func(tx meta.Tx) error { return tx.DeleteNode(top.ID, at) })
	wantErr(t, "DeleteNode again", err, meta.ErrNotFound)
	if err := s.Update(t.Context(), func(tx meta.Tx) error { return tx.DeleteNode(meta.RootID, at) }); err == nil {
		t.Errorf("DeleteNode(RootID): got no error, want one")
	}
}

func (su suite) testVersions(t *testing.T) {
	s := su.open(t)
	var f *meta.Node
	sum := bytes.Repeat([]byte{0xab}, 32)
	v1 := &meta.Version{BlobKey: "blob-1", Size: 100, SHA256: sum, MIMEType: "application/pdf",
		KeyID: "key-2024", CreatedBy: 5, CreatedName: "ann", Created: t0}
	v2 := &meta.Version{BlobKey: "blob-2", Size: 200, MIMEType: "text/plain", KeyID: "key-2024",
		CreatedBy: 6, CreatedName: "bob", Created: t0.Add(time.Second)}
	update(t, s, func(tx meta.Tx) error {
		f = mkfile(t, tx, meta.RootID, "report", 0)
		v1.NodeID, v2.NodeID = f.ID, f.ID
		if err := tx.AddVersion(v1); err != nil {
			return err
		}
		v2.RestoredFrom = v1.ID
		return tx.AddVersion(v2)
	})
	if v1.ID == 0 || v2.ID == v1.ID {
		t.Fatalf("version ids: got %d and %d, want distinct ids", v1.ID, v2.ID)
	}

	mt := t0.Add(time.Minute)
	update(t, s, func(tx meta.Tx) error { return tx.SetContent(f.ID, v2, mt) })
	view(t, s, func(tx meta.Tx) error {
		got, err := tx.Version(v1.ID)
		if err != nil {
			t.Fatalf("Version: %v", err)
		}
		if d := sameVersion(got, v1); d != "" {
			t.Errorf("Version: %s", d)
		}
		all, err := tx.Versions(f.ID)
		if err != nil || len(all) != 2 {
			t.Fatalf("Versions: got %d, %v; want 2", len(all), err)
		}
		if d := sameVersion(all[0], v2) + sameVersion(all[1], v1); d != "" {
			t.Errorf("Versions, newest first: %s", d)
		}
		n, err := tx.Node(f.ID)
		if err != nil {
			t.Fatalf("Node: %v", err)
		}
		if n.VersionID != v2.ID || n.Size != 200 || n.MIMEType != "text/plain" || !n.ModTime.Equal(mt) {
			t.Errorf("node after SetContent: got %+v, want version %d, size 200, text/plain, %v", *n, v2.ID, mt)
		}
		for key, want := range map[string]bool{"blob-1": true, "blob-2": true, "blob-3": false} {
			if got, err := tx.BlobReferenced(key); err != nil || got != want {
				t.Errorf("BlobReferenced(%q): got %v, %v; want %v", key, got, err, want)
			}
		}
		none, err := tx.Versions(meta.RootID)
		if err != nil || len(none) != 0 {
			t.Errorf("Versions of a folder: got %d, %v; want none", len(none), err)
		}
		return nil
	})

	// A file that replaces another takes over its versions, even once the
	// replaced one is deleted.
	var g *meta.Node
	update(t, s, func(tx meta.Tx) error {
		g = mkfile(t, tx, meta.RootID, "replacement", 0)
		if err := tx.DeleteNode(f.ID, t0); err != nil {
			return err
		}
		return tx.MoveVersions(f.ID, g.ID)
	})
	view(t, s, func(tx meta.Tx) error {
		moved, err := tx.Versions(g.ID)
		if err != nil || len(moved) != 2 || moved[0].ID != v2.ID || moved[1].NodeID != g.ID {
			t.Errorf("Versions after MoveVersions: got %+v, %v; want versions %d and %d of node %d", moved, err, v2.ID, v1.ID, g.ID)
		}
		if left, err := tx.Versions(f.ID); err != nil || len(left) != 0 {
			t.Errorf("Versions of the replaced file: got %d, %v; want none", len(left), err)
		}
		return nil
	})
}

func sameVersion(got, want *meta.Version) string {
	if got.ID != want.ID || got.NodeID != want.NodeID || got.BlobKey != want.BlobKey ||
		got.Size != want.Size || !bytes.Equal(got.SHA256, want.SHA256) || got.MIMEType != want.MIMEType ||
		got.KeyID != want.KeyID || got.CreatedBy != want.CreatedBy || got.CreatedName != want.CreatedName ||
		!got.Created.Equal(want.Created) || got.RestoredFrom != want.RestoredFrom {
		return fmt.Sprintf("got %+v, want %+v; ", *got, *want)
	}
	return ""
}

func (su suite) testTimes(t *testing.T) {
	s := su.open(t)
	tests := []struct {
		name string
		at   time.Time
	}{
		{"zero", time.Time{}},
		{"nanoseconds", t0},
		{"other zone", time.Date(2030, 1, 2, 3, 4, 5, 6, time.FixedZone("x", -7*3600))},
		{"before 1970", time.Date(1901, 12, 14, 0, 0, 0, 1, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := &meta.Node{ParentID: meta.RootID, Name: tc.name, ModTime: tc.at, Created: tc.at}
			update(t, s, func(tx meta.Tx) error { return tx.CreateNode(n) })
			view(t, s, func(tx meta.Tx) error {
				got, err := tx.Node(n.ID)
				if err != nil {
					t.Fatalf("Node: %v", err)
				}
				if !got.ModTime.Equal(tc.at) || got.ModTime.IsZero() != tc.at.IsZero() {
					t.Errorf("ModTime: got %v, want %v", got.ModTime, tc.at)
				}
				return nil
			})
		})
	}
}

func (su suite) testInline(t *testing.T) {
	s := su.open(t)
	sealed := bytes.Repeat([]byte{0x5a, 0x00, 0xff}, 1500)
	v := &meta.Version{BlobKey: "inline-1", Size: 4096, Inline: true, Created: t0}
	update(t, s, func(tx meta.Tx) error {
		f := mkfile(t, tx, meta.RootID, "small", 0)
		v.NodeID = f.ID
		if err := tx.AddVersion(v); err != nil {
			return err
		}
		return tx.PutInline(v.BlobKey, sealed)
	})
	view(t, s, func(tx meta.Tx) error {
		got, err := tx.Version(v.ID)
		if err != nil {
			return err
		}
		if !got.Inline {
			t.Errorf("version read back with Inline false")
		}
		data, err := tx.Inline("inline-1")
		if err != nil {
			return err
		}
		if !bytes.Equal(data, sealed) {
			t.Errorf("inline content: got %d bytes, want the %d stored", len(data), len(sealed))
		}
		if _, err := tx.Inline("inline-2"); !errors.Is(err, meta.ErrNotFound) {
			t.Errorf("missing inline content: got %v, want ErrNotFound", err)
		}
		return nil
	})
	update(t, s, func(tx meta.Tx) error {
		if err := tx.PutInline("inline-1", []byte("again")); !errors.Is(err, meta.ErrExists) {
			t.Errorf("second PutInline of one key: got %v, want ErrExists", err)
		}
		return nil
	})
}
