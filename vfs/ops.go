package vfs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"strongroom/policy"
	"strongroom/vfs/meta"
)

// Stat describes the item at p.
//
// Only a refused stat is recorded in the audit trail: clients stat
// constantly, to learn what a listing of the folder, which is recorded,
// would show, or whether a name they are about to create is free.
//
// An interrupted upload (see Upload.Suspend) does not show: StatResumable
// is the stat that reports it.
func (s *Session) Stat(ctx context.Context, p string) (*FileInfo, error) {
	return s.stat(ctx, p, false)
}

// StatResumable is Stat for a protocol whose clients resume an upload by
// asking the size of what the server has, as SFTP's reput and resuming
// clients do: where the user has an interrupted upload at p, it reports
// that upload's size and time instead of the file's, to that user only.
// Other protocols use Stat, so that what they report agrees with what
// they serve.
func (s *Session) StatResumable(ctx context.Context, p string) (*FileInfo, error) {
	return s.stat(ctx, p, true)
}

func (s *Session) stat(ctx context.Context, p string, resumable bool) (*FileInfo, error) {
	var fi *FileInfo
	err := s.fs.view(ctx, func(tx meta.Tx) error {
		if err := s.refresh(tx); err != nil {
			return err
		}
		if segs, err := splitPath(p); err != nil || len(segs) == 0 {
			t, err := s.resolve(tx, p) // the root, or a path that is not one
			if err != nil {
				return err
			}
			fi = newFileInfo(t.node, t.path, s.allowed(t))
			return nil
		}
		parent, name, err := s.resolveParent(tx, p)
		if err != nil {
			return err
		}
		t, err := s.resolveChild(tx, parent, name)
		if err != nil && (!errors.Is(err, ErrNotExist) || errors.Is(err, errInvisible)) {
			return err
		}
		if resumable && (t == nil || !t.node.IsDir) {
			kept, kerr := s.suspendedIn(tx, parent, name, t)
			if kerr != nil {
				return kerr
			}
			if kept != nil {
				fi = kept
				return nil
			}
		}
		if err != nil {
			return err
		}
		fi = newFileInfo(t.node, t.path, s.allowed(t))
		return nil
	})
	switch {
	case err == nil:
		return fi, nil
	case errors.Is(err, errInvisible) || classify(err) == KindPermission:
		return nil, s.finish(ctx, s.event("stat", p), p, err)
	}
	return nil, &Error{Op: "stat", Path: p, User: s.name, Kind: classify(err), Err: err}
}

// ListOptions page a listing. Entries come sorted by name, compared as
// bytes of UTF-8.
type ListOptions struct {
	After string // only names that sort after this one
	Limit int    // at most this many; zero or more than the FS allows means its page size
}

// List returns the entries of folder p that the user may see, one page at
// a time, and whether more follow. Pass the last name returned as
// ListOptions.After to get the next page.
//
// Rule: an entry is listed only if the user may see it; a user who may
// list the folder sees every entry, others only the folders that lead to
// something granted to them.
func (s *Session) List(ctx context.Context, p string, opts ListOptions) ([]*FileInfo, bool, error) {
	limit := opts.Limit
	if limit <= 0 || limit > s.fs.limits.MaxListPage {
		limit = s.fs.limits.MaxListPage
	}
	ev := s.event("list", p)
	var out []*FileInfo
	more := false
	list := func(tx meta.Tx) error {
		if err := s.refresh(tx); err != nil {
			return err
		}
		dir, err := s.resolve(tx, p)
		if err != nil {
			return err
		}
		if !dir.node.IsDir {
			return ErrNotDir
		}
		canList := s.allowed(dir).Has(policy.List)
		after := opts.After
		for {
			// Fetch one more than a page to learn whether more follow.
			kids, err := tx.Children(dir.node.ID, after, limit+1)
			if err != nil {
				return err
			}
			for _, k := range kids {
				chain := append(append([]int64(nil), dir.chain...), k.ID)
				if !canList && !s.visible(chain) {
					continue
				}
				if len(out) == limit {
					more = true
					break
				}
				out = append(out, newFileInfo(k, joinChild(dir.path, k.Name), s.allowed(&target{chain: chain})))
			}
			if more || len(kids) <= limit {
				break
			}
			after = kids[len(kids)-1].Name
		}
		if !canList && len(out) == 0 && !s.isHome(dir) && !s.leads(dir) {
			return deny("list")
		}
		return nil
	}

	// Only the first page is recorded, so that paging through a large
	// folder makes one audit record, not one per page.
	var err error
	if opts.After == "" {
		err = s.do(ctx, ev, p, list)
	} else {
		err = s.fs.view(ctx, list)
		if err != nil {
			err = s.finish(ctx, ev, p, err)
		}
	}
	if err != nil {
		return nil, false, err
	}
	return out, more, nil
}

func joinChild(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

func (s *Session) isHome(t *target) bool { return len(t.chain) == len(s.home) }

func (s *Session) leads(t *target) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.access.Leads(t.node.ID)
}

// Mkdir makes the folder p. Its parent must exist.
func (s *Session) Mkdir(ctx context.Context, p string) error {
	ev := s.event("mkdir", p)
	return s.doDropping(ctx, ev, p, func(tx meta.Tx, dropped *[]string) error {
		parent, name, err := s.resolveParent(tx, p)
		if err != nil {
			return err
		}
		if _, err := tx.Child(parent.node.ID, name); err == nil {
			return s.existsOrHidden(parent, tx, name)
		} else if !errors.Is(err, meta.ErrNotFound) {
			return err
		}
		if err := checkNewName(name); err != nil {
			return err
		}
		if !s.allowed(parent).Has(policy.Write) {
			return deny("write")
		}
		if err := s.obeyLocks(tx, parentScope(p)); err != nil {
			return err
		}
		if err := s.supersede(tx, parent.node.ID, name, dropped); err != nil {
			return err
		}
		now := s.fs.now()
		n := &meta.Node{ParentID: parent.node.ID, TenantID: parent.node.TenantID, Name: name,
			IsDir: true, ModTime: now, Created: now}
		return tx.CreateNode(n)
	})
}

// existsOrHidden answers an attempt to create name in parent when the
// name is taken: "exists" if the user may see it, else "permission
// denied", as if the user had no right to create anything there. Either
// way nothing is created; the second answer does not confirm the name.
func (s *Session) existsOrHidden(parent *target, tx meta.Tx, name string) error {
	n, err := tx.Child(parent.node.ID, name)
	if err != nil {
		return err
	}
	chain := append(append([]int64(nil), parent.chain...), n.ID)
	if s.visible(chain) {
		return ErrExist
	}
	return deny("write")
}

// RenameOptions change how Rename treats an existing destination.
type RenameOptions struct {
	// Replace lets a file replace a file, or a folder an empty folder, at
	// the destination. A file that replaces a file takes over its versions,
	// so the content it replaced stays in the history of that path.
	Replace bool
}

// Rename moves the item at from to to, within the session. It changes
// metadata only: no content is copied, whatever the size of the tree.
//
// Rule: moving needs delete on the source and write on the destination's
// folder; replacing needs delete on what is replaced.
func (s *Session) Rename(ctx context.Context, from, to string, opts RenameOptions) error {
	ev := s.event("rename", from)
	ev.Target = s.portalPath(to)
	return s.doDropping(ctx, ev, from, func(tx meta.Tx, dropped *[]string) error {
		src, err := s.resolve(tx, from)
		if err != nil {
			return err
		}
		if s.isHome(src) {
			return &Error{Op: "rename", Kind: KindPermission, Err: errors.New("the root folder cannot be moved")}
		}
		if err := s.obeyLocks(tx, treeScope(to), parentScope(to), treeScope(from), parentScope(from)); err != nil {
			return err
		}
		parent, name, replaced, err := s.destination(tx, src, to, true, opts.Replace, dropped)
		if err != nil || parent == nil {
			return err
		}
		if err := dropLocks(tx, ev.Path, s.fs.now()); err != nil {
			return err
		}
		if err := tx.MoveNode(src.node.ID, parent.node.ID, name); err != nil {
			return err
		}
		if replaced != nil {
			return tx.MoveVersions(replaced.ID, src.node.ID)
		}
		return nil
	})
}

// destination checks and clears the way for moving (move set) or copying
// src to session path to, and returns the folder and name it goes to, or
// a nil folder when there is nothing to do (src is already there). When
// a file replaces a file, it also returns the replaced one, whose versions
// the caller gives to what takes its place.
//
// Rule: moving needs delete on the source, copying read; both need write
// on the destination's folder. A folder never goes into itself, nothing
// crosses tenants, and an existing destination is replaced only when
// asked, needs delete, and is deleted (its versions kept). A move replaces
// only an item of its own kind, and a folder only when it is empty.
//
// Whatever the user had kept at the destination of an interrupted upload
// is over: its blob key is added to dropped (see doDropping).
func (s *Session) destination(tx meta.Tx, src *target, to string, move, replace bool, dropped *[]string) (*target, string, *meta.Node, error) {
	verb, need := "copied", policy.Read
	if move {
		verb, need = "moved", policy.Delete
	}
	parent, name, err := s.resolveParent(tx, to)
	if err != nil {
		return nil, "", nil, err
	}
	if !s.allowed(src).Has(need) {
		return nil, "", nil, deny(need.String())
	}
	if !s.allowed(parent).Has(policy.Write) {
		return nil, "", nil, deny("write")
	}
	for _, id := range parent.chain {
		if id == src.node.ID {
			return nil, "", nil, invalidf("a folder cannot be %s into itself", verb)
		}
	}
	if parent.node.TenantID != src.node.TenantID {
		return nil, "", nil, &Error{Op: verb, Kind: KindPermission, Err: fmt.Errorf("items cannot be %s between tenants", verb)}
	}
	if err := checkNewName(name); err != nil {
		return nil, "", nil, err
	}
	if err := s.supersede(tx, parent.node.ID, name, dropped); err != nil {
		return nil, "", nil, err
	}

	dst, err := tx.Child(parent.node.ID, name)
	if errors.Is(err, meta.ErrNotFound) {
		return parent, name, nil, nil
	}
	if err != nil {
		return nil, "", nil, err
	}
	dchain := append(append([]int64(nil), parent.chain...), dst.ID)
	switch {
	case dst.ID == src.node.ID && (move || replace):
		return nil, "", nil, nil
	case !s.visible(dchain):
		return nil, "", nil, deny("write")
	case !replace:
		return nil, "", nil, ErrExist
	case !s.allowed(&target{node: dst, chain: dchain}).Has(policy.Delete):
		return nil, "", nil, deny("delete")
	}
	if move && dst.IsDir != src.node.IsDir {
		if dst.IsDir {
			return nil, "", nil, ErrIsDir
		}
		return nil, "", nil, ErrNotDir
	}
	if move && dst.IsDir {
		if has, err := tx.HasChildren(dst.ID); err != nil {
			return nil, "", nil, err
		} else if has {
			return nil, "", nil, ErrNotEmpty
		}
	}
	if err := tx.DeleteNode(dst.ID, s.fs.now()); err != nil {
		return nil, "", nil, err
	}
	if dst.IsDir || src.node.IsDir {
		return parent, name, nil, nil
	}
	return parent, name, dst, nil
}

// dropLocks removes the WebDAV locks on the portal path pp and below it,
// whose item is going away (removed, or moved elsewhere), so that a new
// item made at the old path is not covered by them.
func dropLocks(tx meta.Tx, pp string, now time.Time) error {
	locks, err := tx.LocksAt(pp, true, now)
	if err != nil {
		return err
	}
	for _, l := range locks {
		if l.Path == pp || strings.HasPrefix(l.Path, pp+"/") {
			if err := tx.RemoveLock(l.Token); err != nil && !errors.Is(err, meta.ErrNotFound) {
				return err
			}
		}
	}
	return nil
}

// Remove deletes the item at p. A folder must be empty unless recursive
// is set. Deleted files keep their versions in the store.
//
// Rule: removing needs delete on the item; a grant on a folder covers
// everything below it, so a recursive removal needs nothing more.
func (s *Session) Remove(ctx context.Context, p string, recursive bool) error {
	ev := s.event("remove", p)
	return s.doDropping(ctx, ev, p, func(tx meta.Tx, dropped *[]string) error {
		t, err := s.resolve(tx, p)
		if errors.Is(err, ErrNotExist) && !errors.Is(err, errInvisible) {
			return s.discardKept(tx, p, ev, dropped, err)
		}
		if err != nil {
			return err
		}
		if s.isHome(t) {
			return &Error{Op: "remove", Kind: KindPermission, Err: errors.New("the root folder cannot be removed")}
		}
		if !s.allowed(t).Has(policy.Delete) {
			return deny("delete")
		}
		if err := s.obeyLocks(tx, treeScope(p), parentScope(p)); err != nil {
			return err
		}
		if t.node.IsDir && !recursive {
			if has, err := tx.HasChildren(t.node.ID); err != nil {
				return err
			} else if has {
				return ErrNotEmpty
			}
		}
		if !t.node.IsDir {
			ev.Version = formatID(t.node.VersionID)
			ev.Bytes = t.node.Size
		}
		if err := dropLocks(tx, ev.Path, s.fs.now()); err != nil {
			return err
		}
		if err := s.supersede(tx, t.node.ParentID, t.node.Name, dropped); err != nil {
			return err
		}
		return tx.DeleteNode(t.node.ID, s.fs.now())
	})
}

// SetModTime sets the modification time clients see, as SFTP's setstat
// and "put -p" do. It does not make a new version.
func (s *Session) SetModTime(ctx context.Context, p string, t time.Time) error {
	ev := s.event("setmtime", p)
	return s.do(ctx, ev, p, func(tx meta.Tx) error {
		if err := checkTime(t); err != nil {
			return err
		}
		tg, err := s.resolve(tx, p)
		if err != nil {
			return err
		}
		if !s.allowed(tg).Has(policy.Write) {
			return deny("write")
		}
		return tx.SetModTime(tg.node.ID, t)
	})
}

// Usage reports the bytes the user has stored, counting every version,
// and their quota (zero for none).
func (s *Session) Usage(ctx context.Context) (used, quota int64, err error) {
	err = s.fs.view(ctx, func(tx meta.Tx) error {
		if err := s.refresh(tx); err != nil {
			return err
		}
		u, err := tx.User(s.uid)
		if err != nil {
			return err
		}
		used, quota = u.UsedBytes, u.QuotaBytes
		return nil
	})
	if err != nil {
		return 0, 0, &Error{Op: "usage", User: s.name, Kind: classify(err), Err: err}
	}
	return used, quota, nil
}

// checkTime refuses a time the stores cannot keep: they count nanoseconds
// in 64 bits, from 1678 to 2262.
func checkTime(t time.Time) error {
	if !time.Unix(0, t.UnixNano()).Equal(t) {
		return invalidf("a modification time must lie between the years 1678 and 2262")
	}
	return nil
}
