package vfs

import (
	"context"
	"errors"
	"strings"
	"sync"

	"strongroom/audit"
	"strongroom/policy"
	"strongroom/vfs/meta"
)

// A Session is one signed-in user's view of the filesystem, rooted at the
// user's home. Its methods are safe for concurrent use: one SFTP or WebDAV
// connection may run several requests at once.
//
// What the user may do is reloaded whenever grants, groups or the user
// change, at the start of the next operation; a disabled user's sessions
// fail from then on.
type Session struct {
	fs    *FS
	info  SessionInfo
	chain int    // the audit chain this session's records go to
	uid   int64  // the user's id and name, which never change
	name  string // (the rest of the user is reloaded: see refresh)
	// locks, when set (WithLocks), makes every change obey WebDAV locks,
	// holding these submitted tokens.
	locks map[string]bool

	mu       sync.Mutex
	user     *policy.User
	tenant   string
	access   *policy.Access
	gen      int64   // policy generation access was built at
	home     []int64 // node ids from the root down to the home
	homePath string  // the home's path in the portal's namespace
	closed   bool
}

// NewSession opens a session for a user who has already been
// authenticated (see CheckPassword and its siblings). It fails with
// KindPermission if the user is disabled.
func (fs *FS) NewSession(ctx context.Context, userName string, info SessionInfo) (*Session, error) {
	s := &Session{fs: fs, info: info, chain: audit.ChainFor(info.SessionID, fs.meta.AuditChains())}
	err := fs.view(ctx, func(tx meta.Tx) error {
		u, err := tx.UserByName(userName)
		if err != nil {
			return err
		}
		s.user, s.uid, s.name = u, u.ID, u.Name
		return s.reload(tx)
	})
	if err != nil {
		return nil, &Error{Op: "session", User: userName, Kind: classify(err), Err: err}
	}
	fs.metrics.sessionStarted(info.Protocol)
	return s, nil
}

// Close ends the session. Uploads not committed by then stay uncommitted.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		s.fs.metrics.sessionEnded(s.info.Protocol)
	}
	return nil
}

// User returns the session's user as of the last reload.
func (s *Session) User() policy.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.user
}

// Info returns where the session comes from.
func (s *Session) Info() SessionInfo { return s.info }

// HomePath is the portal path the session is rooted at.
func (s *Session) HomePath() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.homePath
}

// refresh reloads the user and their access if policy changed since the
// session last looked. It runs at the start of every operation, inside
// its transaction.
func (s *Session) refresh(tx meta.Tx) error {
	gen, err := tx.PolicyGeneration()
	if err != nil {
		return err
	}
	s.mu.Lock()
	current := gen == s.gen && !s.closed
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return &Error{Op: "session", Kind: KindPermission, Err: errors.New("session is closed")}
	}
	if current {
		return nil
	}
	u, err := tx.User(s.uid)
	if errors.Is(err, meta.ErrNotFound) {
		return &Error{Op: "session", User: s.name, Kind: KindPermission, Err: errors.New("user was removed")}
	}
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.user = u
	s.mu.Unlock()
	return s.reload(tx)
}

// reload builds the session's access from the user's grants and finds
// the home.
func (s *Session) reload(tx meta.Tx) error {
	u := s.user
	if u.Disabled {
		return &Error{Op: "session", User: u.Name, Kind: KindPermission, Err: errors.New("user is disabled")}
	}
	gen, err := tx.PolicyGeneration()
	if err != nil {
		return err
	}
	grants, err := tx.GrantsFor(u.ID)
	if err != nil {
		return err
	}

	// An administrator holds every action on their tenant's folder, or on
	// the whole portal when they belong to no tenant.
	tenantName := ""
	if u.TenantID != 0 {
		t, err := tx.Tenant(u.TenantID)
		if err != nil {
			return err
		}
		tenantName = t.Name
		if u.Admin {
			grants = append(grants, policy.Grant{NodeID: t.RootID, UserID: u.ID, Actions: policy.All})
		}
	} else if u.Admin {
		grants = append(grants, policy.Grant{NodeID: meta.RootID, UserID: u.ID, Actions: policy.All})
	}

	chains := make(map[int64][]int64, len(grants))
	for _, g := range grants {
		if _, ok := chains[g.NodeID]; ok {
			continue
		}
		anc, err := tx.Ancestors(g.NodeID)
		if errors.Is(err, meta.ErrNotFound) {
			continue // the granted node was deleted
		}
		if err != nil {
			return err
		}
		chains[g.NodeID] = anc
	}

	home, homePath, err := nodeChain(tx, u.HomeID)
	if err != nil {
		return err
	}

	s.mu.Lock()
	s.access = policy.NewAccess(grants, chains)
	s.gen = gen
	s.tenant = tenantName
	s.home = home
	s.homePath = homePath
	s.mu.Unlock()
	return nil
}

// nodeChain returns the ids from the root down to id, and id's portal path.
func nodeChain(tx meta.Tx, id int64) ([]int64, string, error) {
	anc, err := tx.Ancestors(id)
	if err != nil {
		return nil, "", err
	}
	chain := append(anc, id)
	var names []string
	for _, nid := range chain[1:] {
		n, err := tx.Node(nid)
		if err != nil {
			return nil, "", err
		}
		names = append(names, n.Name)
	}
	return chain, joinPath(names), nil
}

// A target is a resolved path: the node, and the chain of ids from the
// portal's root down to it.
type target struct {
	node  *meta.Node
	chain []int64
	path  string // session path
}

// allowed is what the session's user may do on t.
func (s *Session) allowed(t *target) policy.Actions {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.access.Allowed(t.chain)
}

// within reports whether chain passes through the session's root.
func (s *Session) within(chain []int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(chain) < len(s.home) {
		return false
	}
	for i, id := range s.home {
		if chain[i] != id {
			return false
		}
	}
	return true
}

// visible reports whether the user may see the node at the end of chain.
func (s *Session) visible(chain []int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.access.Visible(chain)
}

// resolve finds the node at session path p.
//
// Rule: a node the user may not see is reported as missing, whatever is
// below it, so that no error tells an invisible name from a missing one.
func (s *Session) resolve(tx meta.Tx, p string) (*target, error) {
	segs, err := splitPath(p)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	chain := append([]int64(nil), s.home...)
	s.mu.Unlock()
	n, err := tx.Node(chain[len(chain)-1])
	if err != nil {
		return nil, err
	}
	if n.Deleted {
		// The home itself was removed: nothing of the session is left.
		return nil, &Error{Op: "resolve", Path: p, Kind: KindNotExist, Err: errors.New("the session's root folder was removed")}
	}
	for i, name := range segs {
		if !n.IsDir {
			return nil, ErrNotDir
		}
		child, err := tx.Child(n.ID, name)
		if errors.Is(err, meta.ErrNotFound) {
			return nil, ErrNotExist
		}
		if err != nil {
			return nil, err
		}
		chain = append(chain, child.ID)
		if !s.visible(chain) {
			return nil, &Error{Op: "resolve", Path: joinPath(segs[:i+1]), Kind: KindNotExist, Err: errInvisible}
		}
		n = child
	}
	return &target{node: n, chain: chain, path: joinPath(segs)}, nil
}

// resolveChild resolves name in the resolved folder parent, as resolve
// resolves each segment of a path.
func (s *Session) resolveChild(tx meta.Tx, parent *target, name string) (*target, error) {
	if !parent.node.IsDir {
		return nil, ErrNotDir
	}
	child, err := tx.Child(parent.node.ID, name)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, ErrNotExist
	}
	if err != nil {
		return nil, err
	}
	t := &target{node: child, chain: append(append([]int64(nil), parent.chain...), child.ID), path: joinChild(parent.path, name)}
	if !s.visible(t.chain) {
		return nil, &Error{Op: "resolve", Path: t.path, Kind: KindNotExist, Err: errInvisible}
	}
	return t, nil
}

// errInvisible marks a not-exist answer given because policy hides the
// name. Clients see only "not found"; the audit record says "denied".
var errInvisible = errors.New("hidden by policy")

// resolveParent resolves the folder that holds p and returns it with p's
// last segment. The root itself has no parent: KindPermission, since no
// one may replace or remove their own root.
func (s *Session) resolveParent(tx meta.Tx, p string) (*target, string, error) {
	segs, err := splitPath(p)
	if err != nil {
		return nil, "", err
	}
	if len(segs) == 0 {
		return nil, "", &Error{Op: "resolve", Path: "/", Kind: KindPermission, Err: errors.New("the root folder cannot be changed")}
	}
	parent, err := s.resolve(tx, joinPath(segs[:len(segs)-1]))
	if err != nil {
		return nil, "", err
	}
	if !parent.node.IsDir {
		return nil, "", ErrNotDir
	}
	return parent, segs[len(segs)-1], nil
}

// portalPath turns a session path into the portal-wide path for audit.
func (s *Session) portalPath(p string) string {
	s.mu.Lock()
	home := s.homePath
	s.mu.Unlock()
	if p == "" {
		return ""
	}
	if home == "/" {
		return p
	}
	if p == "/" {
		return home
	}
	return home + p
}

// event starts the audit record of an operation on session path p.
func (s *Session) event(op, p string) *audit.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &audit.Event{
		Time: s.fs.now(), Tenant: s.tenant, User: s.name, Op: op,
		Protocol: s.info.Protocol, RemoteAddr: s.info.RemoteAddr, SessionID: s.info.SessionID,
		UserAgent: s.info.UserAgent, Request: s.info.Request, Outcome: audit.OK,
	}
}

// doDropping is do for a change that can end interrupted uploads kept at
// the names it takes (see supersede): fn adds their blob keys to dropped,
// and those blobs are deleted once the transaction has committed. A
// transaction run again starts the list afresh.
func (s *Session) doDropping(ctx context.Context, ev *audit.Event, p string, fn func(tx meta.Tx, dropped *[]string) error) error {
	var dropped []string
	err := s.do(ctx, ev, p, func(tx meta.Tx) error {
		dropped = dropped[:0]
		return fn(tx, &dropped)
	})
	if err == nil {
		s.fs.deleteBlobs(ctx, dropped)
	}
	return err
}

// RecordFailed records an operation on p that failed in the protocol
// before it reached the vfs, such as an upload whose body broke off
// before any of it was stored.
func (s *Session) RecordFailed(ctx context.Context, op, p, reason string) {
	ev := s.event(op, p)
	ev.Path, ev.Outcome, ev.Reason = s.portalPath(p), audit.Failed, reason
	s.fs.appendAudit(ctx, s.chain, ev)
	s.fs.metrics.operation(s.info.Protocol, op, audit.Failed)
}

// do runs one operation: fn runs in a read-write transaction after the
// session is refreshed, and ev, completed by fn, is appended in the same
// transaction if fn succeeds. If fn fails, the transaction rolls back and
// ev is recorded on its own with the outcome: denied for a refusal by
// policy, error otherwise.
func (s *Session) do(ctx context.Context, ev *audit.Event, p string, fn func(tx meta.Tx) error) error {
	ev.Path = s.portalPath(p)
	err := s.fs.update(ctx, func(tx meta.Tx) error {
		if err := s.refresh(tx); err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			return err
		}
		return tx.AppendAudit(s.chain, ev)
	})
	return s.finish(ctx, ev, p, err)
}

// finish turns err into the *Error the caller returns, records a failed
// operation's audit event, and counts the operation.
func (s *Session) finish(ctx context.Context, ev *audit.Event, p string, err error) error {
	if err == nil {
		s.fs.metrics.operation(s.info.Protocol, ev.Op, audit.OK)
		return nil
	}
	kind := classify(err)
	ev.Outcome, ev.Reason = audit.Failed, reason(err)
	if kind == KindPermission || errors.Is(err, errInvisible) {
		ev.Outcome = audit.Denied
	}
	if ev.Path == "" {
		ev.Path = s.portalPath(p)
	}
	s.fs.appendAudit(ctx, s.chain, ev)
	s.fs.metrics.operation(s.info.Protocol, ev.Op, ev.Outcome)
	if kind == KindOther {
		s.fs.log.Error("operation failed", "op", ev.Op, "user", ev.User, "path", ev.Path, "err", err)
	}
	return &Error{Op: ev.Op, Path: p, User: ev.User, Kind: kind, Err: err}
}

// reason is the cause of err for the audit record.
func reason(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Err != nil {
		return strings.TrimPrefix(e.Err.Error(), "vfs: ")
	}
	return err.Error()
}

// deny is the error for an action policy does not allow on a visible item.
func deny(action string) error {
	return &Error{Op: action, Kind: KindPermission, Err: errors.New("no " + action + " grant")}
}
