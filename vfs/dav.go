package vfs

import (
	"context"
	"errors"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"strongroom/policy"
	"strongroom/vfs/meta"
)

// WithInfo returns a session of the same user, with the same view of
// policy, that records its operations under info instead: a protocol
// that signs a user in once and serves many requests over it gives each
// request an id of its own this way.
//
// The new session shares nothing mutable with s and costs no store
// access. Do not Close it: closing is for the session the sign-in made,
// and closing that one does not end sessions made from it before.
func (s *Session) WithInfo(info SessionInfo) *Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Every field of Session but mu and those made from info: keep this
	// in step with the struct.
	return &Session{
		// The records of every request of one sign-in stay in one chain,
		// in order.
		fs: s.fs, info: info, chain: s.chain,
		uid: s.uid, name: s.name, locks: s.locks,
		user: s.user, tenant: s.tenant, access: s.access, gen: s.gen,
		home: s.home, homePath: s.homePath, closed: s.closed,
	}
}

// WithLocks returns a session like s whose changes obey WebDAV locks,
// by CheckLocks' rule, with the tokens given as those the client
// submitted: each change (an upload's commit, Mkdir, Remove, Rename,
// Copy, PatchProps, CreateEmpty) checks, in its own transaction, the
// locks on what it changes, and fails with ErrLocked (see LockedPath) if
// one of them needs a token it lacks. Sessions of other protocols, where
// locks bind nobody, do not check. Like WithInfo it costs no store
// access, and is not to be closed.
func (s *Session) WithLocks(tokens []string) *Session {
	w := s.WithInfo(s.Info())
	w.locks = make(map[string]bool, len(tokens))
	for _, t := range tokens {
		w.locks[t] = true
	}
	return w
}

// obeyLocks refuses a change that touches scopes when a lock covers one
// of them and the session lacks its token. It checks nothing for a
// session that does not obey locks.
func (s *Session) obeyLocks(tx meta.Tx, scopes ...LockScope) error {
	if s.locks == nil {
		return nil
	}
	// Most changes happen where nobody holds a lock at all.
	if any, err := tx.AnyLocks(); err != nil || !any {
		return err
	}
	for _, sc := range scopes {
		held, err := s.heldLocks(tx, sc.Path, sc.Below)
		if err != nil {
			return err
		}
		if err := s.checkHeld(held, sc.Path, s.locks); err != nil {
			if errors.Is(err, ErrLocked) {
				return &Error{Op: "lock.check", Kind: KindPermission, Err: &lockedError{path: sc.Path}}
			}
			return err
		}
	}
	return nil
}

// parentScope and treeScope are the lock scopes of a new member of p's
// folder and of p with everything below it.
func parentScope(p string) LockScope { return LockScope{Path: path.Dir(path.Clean("/" + p))} }
func treeScope(p string) LockScope   { return LockScope{Path: p, Below: true} }

// CreateEmpty makes an empty file at p that has no version yet: the
// first upload to it becomes its first version. WebDAV clients create a
// file empty and then write it at once (Windows' PUT of nothing before
// the real PUT, or a LOCK of a name not yet taken), and this keeps that
// from leaving an empty version in the file's history.
//
// Rule: as for Create of a new file, it needs write on the folder. It
// fails with KindExist if p exists.
func (s *Session) CreateEmpty(ctx context.Context, p string) (*FileInfo, error) {
	ev := s.event("create", p)
	var fi *FileInfo
	err := s.doDropping(ctx, ev, p, func(tx meta.Tx, dropped *[]string) error {
		n, t, err := s.createEmpty(tx, p, dropped)
		if err != nil {
			return err
		}
		fi = newFileInfo(n, t.path, s.allowed(t))
		return nil
	})
	return fi, err
}

// createEmpty makes the empty file; an interrupted upload the user kept
// at its name is over (its blob key added to dropped).
func (s *Session) createEmpty(tx meta.Tx, p string, dropped *[]string) (*meta.Node, *target, error) {
	parent, name, err := s.resolveParent(tx, p)
	if err != nil {
		return nil, nil, err
	}
	if _, err := tx.Child(parent.node.ID, name); err == nil {
		return nil, nil, s.existsOrHidden(parent, tx, name)
	} else if !errors.Is(err, meta.ErrNotFound) {
		return nil, nil, err
	}
	if err := checkNewName(name); err != nil {
		return nil, nil, err
	}
	if !s.allowed(parent).Has(policy.Write) {
		return nil, nil, deny("write")
	}
	if err := s.obeyLocks(tx, LockScope{Path: p}, parentScope(p)); err != nil {
		return nil, nil, err
	}
	if err := s.supersede(tx, parent.node.ID, name, dropped); err != nil {
		return nil, nil, err
	}
	now := s.fs.now()
	n := &meta.Node{ParentID: parent.node.ID, TenantID: parent.node.TenantID, Name: name,
		ModTime: now, Created: now}
	if err := tx.CreateNode(n); err != nil {
		return nil, nil, err
	}
	t := &target{node: n, chain: append(append([]int64(nil), parent.chain...), n.ID), path: joinChild(parent.path, name)}
	return n, t, nil
}

// A Lock is a WebDAV write lock on an item and, when Deep, on everything
// below it, as one session sees it.
type Lock struct {
	// Token is the lock's token. It is empty for another user's lock:
	// a token is shown only to the user who holds the lock.
	Token string
	// Root is the session path of the locked item, or "" when the item
	// lies above the session's root (a deep lock on a folder above it).
	Root    string
	Deep    bool
	Shared  bool
	Owner   string        // the owner the client gave, as XML, verbatim
	Timeout time.Duration // as granted, for the next refresh to renew
	Expires time.Time
	Mine    bool // held by the session's user
}

// Bounds on a lock.
const (
	MaxLockTimeout    = 24 * time.Hour // the longest a lock lasts between refreshes
	MaxLockOwnerBytes = 4096           // the owner XML a client gives
)

// ErrLocked is the cause of the error Lock returns when a lock another
// holds (or an exclusive one of the same user) conflicts, and CheckLocks
// when a lock's token is not submitted. The error's kind is
// KindPermission, so that a protocol that knows nothing of locks answers
// "permission denied"; test for this cause with errors.Is.
var ErrLocked = errors.New("the item is locked")

// ErrNoLock is the cause of the error Unlock and RefreshLock return when
// the token names no current lock that covers the item. The error's kind
// is KindNotExist.
var ErrNoLock = errors.New("no such lock on this item")

// LockOptions describe a new lock.
type LockOptions struct {
	Token   string // unique among all locks, chosen by the protocol
	Deep    bool   // cover everything below the item too
	Shared  bool   // let others hold shared locks on it at the same time
	Owner   string // the client's owner XML, kept verbatim
	Timeout time.Duration
}

// Lock takes a write lock on the item at p. If nothing is at p, it first
// makes an empty file there, as CreateEmpty does, and reports created; a
// lock is never taken on a name with no item.
//
// An exclusive lock conflicts with every other lock on the item, on a
// folder above it with Deep, and (when the new lock is Deep) below it; a
// shared lock conflicts only with exclusive ones. A conflict fails with
// KindPermission and cause ErrLocked. The timeout must be positive and at
// most MaxLockTimeout.
//
// Rule: locking needs write on the item, or on its folder when the lock
// makes the item. Locks live in the metadata store, so they hold across
// restarts and for every node of the gateway; they bind only WebDAV
// clients, which check them before they write.
func (s *Session) Lock(ctx context.Context, p string, opts LockOptions) (*Lock, bool, error) {
	ev := s.event("lock", p)
	var out *Lock
	created := false
	err := s.doDropping(ctx, ev, p, func(tx meta.Tx, dropped *[]string) error {
		ev.Op, created = "lock", false
		switch {
		case opts.Token == "" || len(opts.Token) > 256 || !utf8.ValidString(opts.Token):
			return invalidf("a lock needs a token of at most 256 bytes")
		case opts.Timeout <= 0 || opts.Timeout > MaxLockTimeout:
			return invalidf("a lock's timeout must be between 1 second and %v", MaxLockTimeout)
		case len(opts.Owner) > MaxLockOwnerBytes || !utf8.ValidString(opts.Owner):
			return invalidf("a lock's owner may be at most %d bytes of UTF-8 text", MaxLockOwnerBytes)
		}
		if err := lockGate(tx); err != nil {
			return err
		}
		now := s.fs.now()
		if _, err := tx.RemoveExpiredLocks(now); err != nil {
			return err
		}

		// The item must exist, or be made now, and the user must be
		// allowed to write it.
		t, err := s.resolve(tx, p)
		switch {
		case errors.Is(err, ErrNotExist):
			// A name taken by an item the user may not see is refused
			// by createEmpty as a name they may not write.
			if _, t, err = s.createEmpty(tx, p, dropped); err != nil {
				return err
			}
			ev.Op, created = "lock.create", true
		case err != nil:
			return err
		case !s.allowed(t).Has(policy.Write):
			return deny("write")
		}

		// A lock conflicts as the doc comment says; a lock whose item has
		// gone is stale and is removed instead.
		pp := s.portalPath(t.path)
		held, err := tx.LocksAt(pp, opts.Deep, now)
		if err != nil {
			return err
		}
		for _, l := range held {
			if live, err := livePath(tx, l.Path); err != nil {
				return err
			} else if !live {
				if err := tx.RemoveLock(l.Token); err != nil && !errors.Is(err, meta.ErrNotFound) {
					return err
				}
				continue
			}
			if !l.Shared || !opts.Shared {
				return &Error{Op: "lock", Kind: KindPermission, Err: ErrLocked}
			}
		}

		l := &meta.Lock{Token: opts.Token, Path: pp, UserID: s.uid, Deep: opts.Deep,
			Shared: opts.Shared, Owner: opts.Owner, Timeout: opts.Timeout, Expires: now.Add(opts.Timeout)}
		if err := tx.CreateLock(l); errors.Is(err, meta.ErrExists) {
			return invalidf("the lock token is already in use")
		} else if err != nil {
			return err
		}
		out = s.lockView(l)
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return out, created, nil
}

// RefreshLock renews the user's lock with token, which must cover the
// item at p, for timeout from now, and returns it.
//
// Rule: only the user who holds a lock refreshes it.
func (s *Session) RefreshLock(ctx context.Context, p, token string, timeout time.Duration) (*Lock, error) {
	ev := s.event("lock.refresh", p)
	var out *Lock
	err := s.do(ctx, ev, p, func(tx meta.Tx) error {
		if timeout <= 0 || timeout > MaxLockTimeout {
			return invalidf("a lock's timeout must be between 1 second and %v", MaxLockTimeout)
		}
		l, _, err := s.coveringLock(tx, p, token)
		if err != nil {
			return err
		}
		if l.UserID != s.uid {
			return &Error{Op: "lock.refresh", Kind: KindPermission, Err: errors.New("the lock belongs to another user")}
		}
		now := s.fs.now()
		l.Expires, l.Timeout = now.Add(timeout), timeout
		if err := tx.RefreshLock(token, l.Expires, timeout); err != nil {
			return err
		}
		out = s.lockView(l)
		return nil
	})
	return out, err
}

// Unlock removes the lock with token, which must cover the item at p.
//
// Rule: a user removes their own locks; one who holds admin on the item
// may remove anyone's, to free what a departed client left locked.
func (s *Session) Unlock(ctx context.Context, p, token string) error {
	ev := s.event("unlock", p)
	return s.do(ctx, ev, p, func(tx meta.Tx) error {
		l, t, err := s.coveringLock(tx, p, token)
		if err != nil {
			return err
		}
		if l.UserID != s.uid && !s.allowed(t).Has(policy.Admin) {
			return &Error{Op: "unlock", Kind: KindPermission, Err: errors.New("the lock belongs to another user")}
		}
		return tx.RemoveLock(token)
	})
}

// coveringLock finds the unexpired lock with token and checks that it
// covers the visible item at p.
func (s *Session) coveringLock(tx meta.Tx, p, token string) (*meta.Lock, *target, error) {
	t, err := s.resolve(tx, p)
	if err != nil {
		return nil, nil, err
	}
	noLock := &Error{Op: "lock", Kind: KindNotExist, Err: ErrNoLock}
	l, err := tx.LockByToken(token)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, nil, noLock
	}
	if err != nil {
		return nil, nil, err
	}
	now := s.fs.now()
	if !l.Expires.IsZero() && !l.Expires.After(now) {
		return nil, nil, noLock
	}
	if l.Path == "" || !covers(l, s.portalPath(t.path)) {
		return nil, nil, noLock
	}
	return l, t, nil
}

// covers reports whether l covers the item at portal path pp.
func covers(l *meta.Lock, pp string) bool {
	if l.Path == pp {
		return true
	}
	if !l.Deep {
		return false
	}
	return l.Path == "/" || strings.HasPrefix(pp, l.Path+"/")
}

// Locks returns the current locks that cover the item at p, whether or
// not it exists: those on p and the deep ones on the folders above it;
// with below, also those on anything under p. Locks whose item has gone
// are left out, and an item the user may not see, or whose folder does
// not exist, has none.
//
// Like Stat, a successful call is not recorded; a refused one is.
func (s *Session) Locks(ctx context.Context, p string, below bool) ([]*Lock, error) {
	var out []*Lock
	err := s.fs.view(ctx, func(tx meta.Tx) error {
		out = out[:0]
		if err := s.refresh(tx); err != nil {
			return err
		}
		held, err := s.liveLocks(tx, p, below)
		for _, l := range held {
			out = append(out, s.lockView(l))
		}
		return err
	})
	if err != nil {
		return nil, s.finish(ctx, s.event("locks", p), p, err)
	}
	return out, nil
}

// A LockScope is part of what a change touches, for CheckLocks: the
// item at Path and, with Below, everything under it.
type LockScope struct {
	Path  string
	Below bool
}

// CheckLocks tells whether a change that touches scopes may go ahead,
// given the lock tokens the client submitted, and returns the locks it
// found, in one transaction.
//
// Rule: every item the change touches that a lock covers needs the
// token of one of the locks that cover it, submitted by the user who
// holds that lock. A missing token fails with KindPermission and cause
// ErrLocked; submitting the token of another user's lock fails with
// KindPermission. Both are recorded; a change allowed is not. An item
// the user may not see, or whose folder does not exist, has no locks:
// the change itself then fails, with its own error.
func (s *Session) CheckLocks(ctx context.Context, tokens []string, scopes ...LockScope) ([]*Lock, error) {
	submitted := make(map[string]bool, len(tokens))
	for _, t := range tokens {
		submitted[t] = true
	}
	var out []*Lock
	failed := ""
	err := s.fs.view(ctx, func(tx meta.Tx) error {
		out = out[:0]
		if err := s.refresh(tx); err != nil {
			return err
		}
		for _, sc := range scopes {
			held, err := s.liveLocks(tx, sc.Path, sc.Below)
			if err != nil {
				return err
			}
			if err := s.checkHeld(held, sc.Path, submitted); err != nil {
				failed = sc.Path
				return err
			}
			for _, l := range held {
				out = append(out, s.lockView(l))
			}
		}
		return nil
	})
	if err != nil {
		if failed == "" && len(scopes) > 0 {
			failed = scopes[0].Path
		}
		return nil, s.finish(ctx, s.event("lock.check", failed), failed, err)
	}
	return out, nil
}

// checkHeld applies CheckLocks' rule to the locks held on p and below.
func (s *Session) checkHeld(held []*meta.Lock, p string, submitted map[string]bool) error {
	if len(held) == 0 {
		return nil
	}
	for _, l := range held {
		if submitted[l.Token] && l.UserID != s.uid {
			return &Error{Op: "lock.check", Kind: KindPermission, Err: errors.New("a lock token of another user was submitted")}
		}
	}

	// The item itself, and each item below it that carries a lock.
	pp := s.portalPath(p)
	at := []string{pp}
	for _, l := range held {
		if l.Path != pp && strings.HasPrefix(l.Path, strings.TrimSuffix(pp, "/")+"/") {
			at = append(at, l.Path)
		}
	}
	for _, item := range at {
		locked, ok := false, false
		for _, l := range held {
			if covers(l, item) {
				locked = true
				ok = ok || (submitted[l.Token] && l.UserID == s.uid)
			}
		}
		if locked && !ok {
			return &Error{Op: "lock.check", Kind: KindPermission, Err: ErrLocked}
		}
	}
	return nil
}

// liveLocks returns the unexpired locks that cover p (and, with below,
// what is under it) whose items still exist; none if the user may not
// see p or its folder does not exist.
func (s *Session) liveLocks(tx meta.Tx, p string, below bool) ([]*meta.Lock, error) {
	_, err := s.resolve(tx, p)
	switch {
	case errors.Is(err, errInvisible):
		return nil, nil
	case errors.Is(err, ErrNotExist), errors.Is(err, ErrNotDir):
		if _, _, err := s.resolveParent(tx, p); err != nil {
			return nil, nil
		}
	case err != nil:
		return nil, err
	}
	return s.heldLocks(tx, p, below)
}

// heldLocks returns the unexpired locks that cover p (and, with below,
// what is under it) whose items still exist, for a caller that has
// resolved p (or its folder) and checked that the user may see it.
func (s *Session) heldLocks(tx meta.Tx, p string, below bool) ([]*meta.Lock, error) {
	held, err := tx.LocksAt(s.portalPath(p), below, s.fs.now())
	if err != nil || len(held) == 0 {
		return nil, err
	}
	live := held[:0]
	for _, l := range held {
		ok, err := livePath(tx, l.Path)
		if err != nil {
			return nil, err
		}
		if ok {
			live = append(live, l)
		}
	}
	return live, nil
}

// lockedError is ErrLocked for the item at path, whose lock refused a
// change.
type lockedError struct{ path string }

func (e *lockedError) Error() string { return ErrLocked.Error() }
func (e *lockedError) Unwrap() error { return ErrLocked }

// LockedPath returns the session path of the item whose lock refused the
// change err reports, or "" if err is no such refusal.
func LockedPath(err error) string {
	var le *lockedError
	if errors.As(err, &le) {
		return le.path
	}
	return ""
}

// lockView is l as the session sees it.
func (s *Session) lockView(l *meta.Lock) *Lock {
	s.mu.Lock()
	home, uid := s.homePath, s.uid
	s.mu.Unlock()
	v := &Lock{Deep: l.Deep, Shared: l.Shared, Owner: l.Owner, Timeout: l.Timeout,
		Expires: l.Expires, Mine: l.UserID == uid}
	if v.Mine {
		v.Token = l.Token
	}
	switch {
	case home == "/":
		v.Root = l.Path
	case l.Path == home:
		v.Root = "/"
	case strings.HasPrefix(l.Path, home+"/"):
		v.Root = l.Path[len(home):]
	}
	return v
}

// livePath reports whether portal path pp names a live item, looking
// past policy: it tells a lock that still guards an item from a stale one.
func livePath(tx meta.Tx, pp string) (bool, error) {
	segs, err := splitPath(pp)
	if err != nil {
		return false, nil
	}
	id := meta.RootID
	for _, name := range segs {
		n, err := tx.Child(id, name)
		if errors.Is(err, meta.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		id = n.ID
	}
	return true, nil
}

// lockGate makes the transactions that take or clear locks run one at a
// time, by holding the root folder's row until the transaction ends. On
// PostgreSQL, whose write transactions run at READ COMMITTED, the second
// of two that race waits for the first to commit, and its next query then
// sees the first one's lock; on SQLite writers take turns anyway. Locks
// are taken far less often than files are written, so one gate for the
// whole portal costs little.
func lockGate(tx meta.Tx) error {
	return tx.LockNode(meta.RootID)
}

// A Prop is a WebDAV dead property: a name in a namespace and a value
// kept as XML, verbatim.
type Prop struct {
	Space, Name string
	XML         string
}

// Bounds on what dead properties one item may carry.
const (
	MaxProps     = 256      // properties per item
	MaxPropBytes = 64 << 10 // bytes of one value's XML
)

// Props returns the dead properties of the item at p, in order of space
// and name.
//
// Rule: reading properties needs list or read on the item; an item seen
// without either (a folder that only leads to a grant below) shows none.
// Like Stat, a successful call is not recorded; a refused one is.
func (s *Session) Props(ctx context.Context, p string) ([]Prop, error) {
	var out []Prop
	err := s.fs.view(ctx, func(tx meta.Tx) error {
		if err := s.refresh(tx); err != nil {
			return err
		}
		t, err := s.resolve(tx, p)
		if err != nil {
			return err
		}
		if s.allowed(t)&(policy.List|policy.Read) == 0 {
			// A folder seen only because it leads to a grant below
			// shows no properties, as ChildProps leaves it out.
			return nil
		}
		out, err = props(tx, t.node.ID)
		return err
	})
	if err != nil {
		return nil, s.finish(ctx, s.event("props", p), p, err)
	}
	return out, nil
}

// ChildProps returns the dead properties of the entries of folder p the
// user may read them on, by name; entries with none are left out. The
// properties of the whole folder come from one query.
func (s *Session) ChildProps(ctx context.Context, p string) (map[string][]Prop, error) {
	out := make(map[string][]Prop)
	err := s.fs.view(ctx, func(tx meta.Tx) error {
		clear(out)
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
		all, err := tx.ChildProps(dir.node.ID)
		if err != nil || len(all) == 0 {
			return err
		}
		after := ""
		for {
			kids, err := tx.Children(dir.node.ID, after, 1000)
			if err != nil {
				return err
			}
			for _, k := range kids {
				ps := all[k.ID]
				if len(ps) == 0 {
					continue
				}
				chain := append(append([]int64(nil), dir.chain...), k.ID)
				if s.allowed(&target{chain: chain})&(policy.List|policy.Read) == 0 {
					continue
				}
				out[k.Name] = davProps(ps)
			}
			if len(kids) < 1000 {
				return nil
			}
			after = kids[len(kids)-1].Name
		}
	})
	if err != nil {
		return nil, s.finish(ctx, s.event("props", p), p, err)
	}
	return out, nil
}

func props(tx meta.Tx, id int64) ([]Prop, error) {
	ps, err := tx.Props(id)
	if err != nil {
		return nil, err
	}
	return davProps(ps), nil
}

// davProps converts stored properties to the vfs's own type.
func davProps(ps []meta.Prop) []Prop {
	out := make([]Prop, len(ps))
	for i, p := range ps {
		out[i] = Prop{Space: p.Space, Name: p.Name, XML: p.XML}
	}
	return out
}

// A PropPatch sets a dead property, or with Remove removes it (removing
// one that is not there is no error).
type PropPatch struct {
	Prop
	Remove bool
}

// PatchProps applies patches, in order, to the dead properties of the
// item at p: all of them or, on any failure, none.
//
// Rule: changing properties needs write on the item. Properties in the
// "DAV:" namespace belong to the protocol and are refused (KindInvalid),
// as are empty or overlong names, values over MaxPropBytes, and more
// than MaxProps properties on one item.
func (s *Session) PatchProps(ctx context.Context, p string, patches []PropPatch) error {
	ev := s.event("props.set", p)
	return s.do(ctx, ev, p, func(tx meta.Tx) error {
		for _, pt := range patches {
			if err := checkProp(pt); err != nil {
				return err
			}
		}
		t, err := s.resolve(tx, p)
		if err != nil {
			return err
		}
		if !s.allowed(t).Has(policy.Write) {
			return deny("write")
		}
		if err := s.obeyLocks(tx, LockScope{Path: p}); err != nil {
			return err
		}
		before, err := tx.Props(t.node.ID)
		if err != nil {
			return err
		}

		for _, pt := range patches {
			if pt.Remove {
				err = tx.RemoveProp(t.node.ID, pt.Space, pt.Name)
				if errors.Is(err, meta.ErrNotFound) {
					err = nil
				}
			} else {
				err = tx.SetProp(t.node.ID, meta.Prop{Space: pt.Space, Name: pt.Name, XML: pt.XML})
			}
			if err != nil {
				return err
			}
		}
		ps, err := tx.Props(t.node.ID)
		if err != nil {
			return err
		}
		if len(ps) > MaxProps {
			return invalidf("an item may have at most %d properties", MaxProps)
		}

		// Properties are stored bytes like any content: they count against
		// the user's quota, or a client could store without limit in them.
		delta := propBytes(ps) - propBytes(before)
		if delta > 0 {
			u, err := tx.User(s.uid)
			if err != nil {
				return err
			}
			if u.QuotaBytes > 0 && u.UsedBytes+delta > u.QuotaBytes {
				return &Error{Op: "props.set", Kind: KindQuota, Err: invalidf("these properties would exceed the user's quota of %d bytes", u.QuotaBytes)}
			}
		}
		ev.Bytes = delta
		return tx.AddUsedBytes(s.uid, delta)
	})
}

// propBytes is what properties take in the store, as counted for quotas.
func propBytes(ps []meta.Prop) int64 {
	var n int64
	for _, p := range ps {
		n += int64(len(p.Space) + len(p.Name) + len(p.XML))
	}
	return n
}

func checkProp(p PropPatch) error {
	switch {
	case p.Space == "DAV:":
		return invalidf("property %s is defined by WebDAV and cannot be changed", p.Name)
	case p.Name == "" || len(p.Name) > MaxNameBytes || len(p.Space) > 1024:
		return invalidf("a property needs a name of 1 to %d bytes and a namespace of at most 1024", MaxNameBytes)
	case !utf8.ValidString(p.Name) || !utf8.ValidString(p.Space) || !utf8.ValidString(p.XML):
		return invalidf("a property's name, namespace and value must be UTF-8 text")
	case len(p.XML) > MaxPropBytes:
		return invalidf("a property's value may be at most %d bytes", MaxPropBytes)
	}
	return nil
}

// ClearLocks removes the locks left at and below p once nothing is at p:
// those of an item that was just removed or moved away, which would
// otherwise guard whatever is made at p next until they expire.
//
// Rule: it removes only locks whose item is gone, so anyone who may see
// the folder that held p may clear them. It fails with KindExist if
// something is at p.
func (s *Session) ClearLocks(ctx context.Context, p string) error {
	ev := s.event("lock.clear", p)
	return s.do(ctx, ev, p, func(tx meta.Tx) error {
		if err := lockGate(tx); err != nil {
			return err
		}
		_, err := s.resolve(tx, p)
		switch {
		case err == nil:
			return ErrExist
		case errors.Is(err, errInvisible):
			return nil // an item is there, but the user may not know it
		case !errors.Is(err, ErrNotExist):
			return err
		}
		if _, _, err := s.resolveParent(tx, p); err != nil {
			return err
		}
		pp := s.portalPath(p)
		held, err := tx.LocksAt(pp, true, s.fs.now())
		if err != nil {
			return err
		}
		for _, l := range held {
			if l.Path != pp && !strings.HasPrefix(l.Path, pp+"/") {
				continue // a deep lock on a folder above p
			}
			if err := tx.RemoveLock(l.Token); err != nil && !errors.Is(err, meta.ErrNotFound) {
				return err
			}
		}
		return nil
	})
}
