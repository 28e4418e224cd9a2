package vfs

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"strongroom/audit"
	"strongroom/policy"
	"strongroom/vfs/meta"
)

// Admin administers identities and grants, and reads the audit trail. Its
// methods work on portal paths (absolute in the whole namespace, such as
// "/acme/invoices") and record every change.
//
// An Admin is for a trusted operator: the admin CLI, or a signed-in user
// whose Admin flag the web UI has checked. Scope limits it to one tenant.
type Admin struct {
	fs    *FS
	actor string
	info  SessionInfo
	scope int64 // tenant id the admin is limited to; zero for the whole portal
}

// Admin returns an Admin acting as actor (a user name, or the operator's
// name for the CLI), limited to tenant scope unless scope is zero.
func (fs *FS) Admin(actor string, scope int64, info SessionInfo) *Admin {
	return &Admin{fs: fs, actor: actor, info: info, scope: scope}
}

// do runs one change in a transaction with its audit record, recording a
// failure on its own.
func (a *Admin) do(ctx context.Context, op, p string, fn func(tx meta.Tx, ev *audit.Event) error) error {
	ev := &audit.Event{Time: a.fs.now(), User: a.actor, Op: op, Path: p, Protocol: a.info.Protocol,
		RemoteAddr: a.info.RemoteAddr, SessionID: a.info.SessionID, UserAgent: a.info.UserAgent,
		Request: a.info.Request, Outcome: audit.OK}
	chain := audit.ChainFor(a.info.SessionID, a.fs.meta.AuditChains())
	err := a.fs.update(ctx, func(tx meta.Tx) error {
		if err := fn(tx, ev); err != nil {
			return err
		}
		if err := tx.BumpPolicyGeneration(); err != nil {
			return err
		}
		return tx.AppendAudit(chain, ev)
	})
	if err == nil {
		return nil
	}
	kind := classify(err)
	ev.Outcome, ev.Reason = audit.Failed, reason(err)
	if kind == KindPermission || errors.Is(err, errInvisible) {
		ev.Outcome = audit.Denied
	}
	a.fs.appendAudit(ctx, chain, ev)
	return &Error{Op: op, Path: p, User: a.actor, Kind: kind, Err: err}
}

// lookup resolves a portal path, with no policy: the operator sees all.
func (a *Admin) lookup(tx meta.Tx, p string) (*meta.Node, []int64, error) {
	segs, err := splitPath(p)
	if err != nil {
		return nil, nil, err
	}
	n, err := tx.Node(meta.RootID)
	if err != nil {
		return nil, nil, err
	}
	chain := []int64{n.ID}
	for _, name := range segs {
		if !n.IsDir {
			return nil, nil, &Error{Op: "lookup", Path: p, Kind: KindNotDir, Err: fmt.Errorf("%q is a file", n.Name)}
		}
		if n, err = tx.Child(n.ID, name); errors.Is(err, meta.ErrNotFound) {
			return nil, nil, &Error{Op: "lookup", Path: p, Kind: KindNotExist, Err: fmt.Errorf("no file or folder %s", p)}
		} else if err != nil {
			return nil, nil, err
		}
		chain = append(chain, n.ID)
	}
	if a.scope != 0 && n.TenantID != a.scope {
		return nil, nil, &Error{Op: "lookup", Path: p, Kind: KindNotExist, Err: fmt.Errorf("no file or folder %s: %w", p, errInvisible)}
	}
	return n, chain, nil
}

// AddTenant creates a tenant and its folder /NAME.
func (a *Admin) AddTenant(ctx context.Context, name string) (*policy.Tenant, error) {
	if a.scope != 0 {
		return nil, &Error{Op: "tenant add", Kind: KindPermission, Err: errors.New("only portal administrators add tenants")}
	}
	t := &policy.Tenant{Name: name}
	err := a.do(ctx, "tenant.add", "/"+name, func(tx meta.Tx, ev *audit.Event) error {
		if err := policy.CheckUserName(name); err != nil {
			return invalidf("bad tenant name: %v", err)
		}
		if _, err := tx.TenantByName(name); err == nil {
			return &Error{Op: "tenant add", Kind: KindExist, Err: fmt.Errorf("tenant %q exists", name)}
		}
		now := a.fs.now()
		root := &meta.Node{ParentID: meta.RootID, Name: name, IsDir: true, ModTime: now, Created: now}
		if err := tx.CreateNode(root); errors.Is(err, meta.ErrExists) {
			return &Error{Op: "tenant add", Kind: KindExist, Err: fmt.Errorf("a folder /%s already exists", name)}
		} else if err != nil {
			return err
		}
		t.RootID = root.ID
		ev.Tenant = name
		return tx.CreateTenant(t)
	})
	return t, err
}

// Tenants lists the tenants.
func (a *Admin) Tenants(ctx context.Context) ([]*policy.Tenant, error) {
	var out []*policy.Tenant
	err := a.fs.view(ctx, func(tx meta.Tx) error {
		ts, err := tx.Tenants()
		for _, t := range ts {
			if a.scope == 0 || t.ID == a.scope {
				out = append(out, t)
			}
		}
		return err
	})
	return out, err
}

// UserOptions describe a new user.
type UserOptions struct {
	Tenant   string   // tenant name; empty for portal staff
	Password string   // empty for a key-only user
	SSHKeys  []string // authorized_keys lines
	// Home roots the user's sessions at an existing folder, where they get
	// only what grants allow. Empty makes a new folder NAME in the
	// tenant's folder (or at the top) with every action granted on it;
	// for an administrator, empty roots them at the tenant's folder.
	Home       string
	Admin      bool
	QuotaBytes int64
}

// AddUser creates a user.
func (a *Admin) AddUser(ctx context.Context, name string, opts UserOptions) (*policy.User, error) {
	u := &policy.User{Name: name, Admin: opts.Admin, QuotaBytes: opts.QuotaBytes, Created: a.fs.now()}
	var keys []*policy.SSHKey
	if err := policy.CheckUserName(name); err != nil {
		return nil, &Error{Op: "user add", Kind: KindInvalid, Err: invalidf("bad user name: %v", err)}
	}
	if opts.QuotaBytes < 0 {
		return nil, &Error{Op: "user add", Kind: KindInvalid, Err: invalidf("a quota is a number of bytes, or 0 for no limit; %d is neither", opts.QuotaBytes)}
	}
	if opts.Password != "" {
		hash, err := policy.HashPassword(opts.Password)
		if err != nil {
			return nil, &Error{Op: "user add", Kind: KindInvalid, Err: invalidf("%v", err)}
		}
		u.PasswordHash = hash
	}
	for _, line := range opts.SSHKeys {
		k, err := policy.ParseSSHKey(line)
		if err != nil {
			return nil, &Error{Op: "user add", Kind: KindInvalid, Err: invalidf("%v", err)}
		}
		keys = append(keys, k)
	}

	err := a.do(ctx, "user.add", "", func(tx meta.Tx, ev *audit.Event) error {
		ev.Target = name
		if _, err := tx.UserByName(name); err == nil {
			return &Error{Op: "user add", Kind: KindExist, Err: fmt.Errorf("user %q exists", name)}
		}
		base := "/"
		var topID int64 = meta.RootID
		if opts.Tenant != "" {
			t, err := tx.TenantByName(opts.Tenant)
			if errors.Is(err, meta.ErrNotFound) {
				return &Error{Op: "user add", Kind: KindNotExist, Err: fmt.Errorf("no tenant %q: add it first with `strongroom tenant add %s`", opts.Tenant, opts.Tenant)}
			} else if err != nil {
				return err
			}
			u.TenantID, base, topID = t.ID, "/"+t.Name, t.RootID
			ev.Tenant = t.Name
		}
		if a.scope != 0 && u.TenantID != a.scope {
			return &Error{Op: "user add", Kind: KindPermission, Err: errors.New("outside the administrator's tenant")}
		}

		grantHome := false
		switch {
		case opts.Home != "":
			home, _, err := a.lookup(tx, opts.Home)
			if err != nil {
				return err
			}
			if !home.IsDir {
				return &Error{Op: "user add", Kind: KindNotDir, Err: fmt.Errorf("home %s is a file", opts.Home)}
			}
			if home.TenantID != u.TenantID {
				return &Error{Op: "user add", Kind: KindPermission, Err: fmt.Errorf("home %s is outside the user's tenant %s", opts.Home, base)}
			}
			u.HomeID = home.ID
			ev.Path = opts.Home
		case opts.Admin:
			u.HomeID = topID
			ev.Path = base
		default:
			now := a.fs.now()
			parent, err := tx.Node(topID)
			if err != nil {
				return err
			}
			home := &meta.Node{ParentID: topID, TenantID: parent.TenantID, Name: name, IsDir: true, ModTime: now, Created: now}
			if err := tx.CreateNode(home); errors.Is(err, meta.ErrExists) {
				return &Error{Op: "user add", Kind: KindExist, Err: fmt.Errorf("a folder %s already exists: pass --home to root the user there", joinChild(base, name))}
			} else if err != nil {
				return err
			}
			u.HomeID, grantHome = home.ID, true
			ev.Path = joinChild(base, name)
		}

		if err := tx.CreateUser(u); err != nil {
			return err
		}
		if grantHome {
			if err := tx.AddGrant(&policy.Grant{NodeID: u.HomeID, UserID: u.ID, Actions: policy.All}); err != nil {
				return err
			}
		}
		for _, k := range keys {
			k.UserID = u.ID
			if err := tx.AddSSHKey(k); err != nil {
				return err
			}
		}
		return nil
	})
	return u, err
}

// UserDetail is a user with their groups, keys and grants.
type UserDetail struct {
	User   *policy.User
	Tenant string
	Home   string
	Groups []string
	Keys   []*policy.SSHKey
	Grants []GrantInfo
}

// GrantInfo is a grant as an administrator reads it.
type GrantInfo struct {
	Path    string
	Subject string // "user:NAME" or "group:NAME"
	Actions policy.Actions
}

// Users lists the users in the admin's scope.
func (a *Admin) Users(ctx context.Context) ([]*policy.User, error) {
	var out []*policy.User
	err := a.fs.view(ctx, func(tx meta.Tx) error {
		us, err := tx.Users()
		for _, u := range us {
			if a.scope == 0 || u.TenantID == a.scope {
				out = append(out, u)
			}
		}
		return err
	})
	return out, err
}

// User describes one user.
func (a *Admin) User(ctx context.Context, name string) (*UserDetail, error) {
	d := &UserDetail{}
	err := a.fs.view(ctx, func(tx meta.Tx) error {
		u, err := a.user(tx, name)
		if err != nil {
			return err
		}
		d.User = u
		if u.TenantID != 0 {
			t, err := tx.Tenant(u.TenantID)
			if err != nil {
				return err
			}
			d.Tenant = t.Name
		}
		if _, d.Home, err = nodeChain(tx, u.HomeID); err != nil {
			return err
		}
		gs, err := tx.GroupsOf(u.ID)
		if err != nil {
			return err
		}
		for _, g := range gs {
			d.Groups = append(d.Groups, g.Name)
		}
		if d.Keys, err = tx.SSHKeys(u.ID); err != nil {
			return err
		}
		grants, err := tx.GrantsFor(u.ID)
		if err != nil {
			return err
		}
		d.Grants, err = a.describeGrants(tx, grants)
		return err
	})
	if err != nil {
		return nil, &Error{Op: "user show", Path: name, Kind: classify(err), Err: err}
	}
	return d, nil
}

func (a *Admin) describeGrants(tx meta.Tx, grants []policy.Grant) ([]GrantInfo, error) {
	var out []GrantInfo
	for _, g := range grants {
		_, p, err := nodeChain(tx, g.NodeID)
		if errors.Is(err, meta.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		gi := GrantInfo{Path: p, Actions: g.Actions}
		if g.UserID != 0 {
			u, err := tx.User(g.UserID)
			if err != nil {
				return nil, err
			}
			gi.Subject = "user:" + u.Name
		} else {
			gi.Subject = fmt.Sprintf("group:%d", g.GroupID)
			gs, err := tx.Groups()
			if err != nil {
				return nil, err
			}
			for _, gr := range gs {
				if gr.ID == g.GroupID {
					gi.Subject = "group:" + gr.Name
				}
			}
		}
		out = append(out, gi)
	}
	return out, nil
}

func (a *Admin) user(tx meta.Tx, name string) (*policy.User, error) {
	u, err := tx.UserByName(name)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, &Error{Op: "user", Path: name, Kind: KindNotExist, Err: fmt.Errorf("no user %q", name)}
	}
	if err == nil && a.scope != 0 && u.TenantID != a.scope {
		// Another tenant's user: "not found" to the caller, "denied" in
		// the audit trail.
		return nil, &Error{Op: "user", Path: name, Kind: KindNotExist, Err: fmt.Errorf("no user %q: %w", name, errInvisible)}
	}
	return u, err
}

// SetDisabled disables or re-enables a user. A disabled user cannot sign
// in, and their open sessions fail from their next operation.
func (a *Admin) SetDisabled(ctx context.Context, name string, disabled bool) error {
	op := "user.enable"
	if disabled {
		op = "user.disable"
	}
	return a.do(ctx, op, "", func(tx meta.Tx, ev *audit.Event) error {
		ev.Target = name
		u, err := a.user(tx, name)
		if err != nil {
			return err
		}
		u.Disabled = disabled
		return tx.UpdateUser(u)
	})
}

// SetPassword sets a user's password.
func (a *Admin) SetPassword(ctx context.Context, name, password string) error {
	hash, err := policy.HashPassword(password)
	if err != nil {
		return &Error{Op: "user password", Kind: KindInvalid, Err: invalidf("%v", err)}
	}
	return a.do(ctx, "user.password", "", func(tx meta.Tx, ev *audit.Event) error {
		ev.Target = name
		u, err := a.user(tx, name)
		if err != nil {
			return err
		}
		u.PasswordHash = hash
		return tx.UpdateUser(u)
	})
}

// UpdateUser applies change to a user's stored record: for quota, the
// admin flag and the key-and-password requirement.
func (a *Admin) UpdateUser(ctx context.Context, name string, change func(*policy.User)) error {
	return a.do(ctx, "user.update", "", func(tx meta.Tx, ev *audit.Event) error {
		ev.Target = name
		u, err := a.user(tx, name)
		if err != nil {
			return err
		}
		change(u)
		return tx.UpdateUser(u)
	})
}

// AddSSHKey adds a public key a user may sign in with.
func (a *Admin) AddSSHKey(ctx context.Context, name, line string) (*policy.SSHKey, error) {
	k, err := policy.ParseSSHKey(line)
	if err != nil {
		return nil, &Error{Op: "user key", Kind: KindInvalid, Err: invalidf("%v", err)}
	}
	err = a.do(ctx, "user.key.add", "", func(tx meta.Tx, ev *audit.Event) error {
		ev.Target = name
		u, err := a.user(tx, name)
		if err != nil {
			return err
		}
		k.UserID = u.ID
		ev.Reason = k.Fingerprint
		return tx.AddSSHKey(k)
	})
	return k, err
}

// RemoveUser removes a user. Their files stay where they are.
func (a *Admin) RemoveUser(ctx context.Context, name string) error {
	return a.do(ctx, "user.remove", "", func(tx meta.Tx, ev *audit.Event) error {
		ev.Target = name
		u, err := a.user(tx, name)
		if err != nil {
			return err
		}
		return tx.RemoveUser(u.ID)
	})
}

// NewAppToken creates a revocable token a user signs in with over WebDAV
// or the API instead of their password, and returns its secret, which is
// shown this once and stored only as a hash.
func (a *Admin) NewAppToken(ctx context.Context, name, label string) (string, error) {
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	secret := "srt_" + base64.RawURLEncoding.EncodeToString(raw[:])
	sum := sha256.Sum256([]byte(secret))
	err := a.do(ctx, "user.token.add", "", func(tx meta.Tx, ev *audit.Event) error {
		ev.Target = name
		u, err := a.user(tx, name)
		if err != nil {
			return err
		}
		ev.Reason = label
		return tx.AddAppToken(&meta.AppToken{UserID: u.ID, Name: label, Hash: sum[:], Created: a.fs.now()})
	})
	return secret, err
}

// AddGroup creates a group, in a tenant unless tenant is empty.
func (a *Admin) AddGroup(ctx context.Context, name, tenant string) (*policy.Group, error) {
	g := &policy.Group{Name: name}
	err := a.do(ctx, "group.add", "", func(tx meta.Tx, ev *audit.Event) error {
		ev.Target = "group:" + name
		if err := policy.CheckUserName(name); err != nil {
			return invalidf("bad group name: %v", err)
		}
		if tenant != "" {
			t, err := tx.TenantByName(tenant)
			if errors.Is(err, meta.ErrNotFound) {
				return &Error{Op: "group add", Kind: KindNotExist, Err: fmt.Errorf("no tenant %q", tenant)}
			} else if err != nil {
				return err
			}
			g.TenantID = t.ID
			ev.Tenant = tenant
		}
		if a.scope != 0 && g.TenantID != a.scope {
			return &Error{Op: "group add", Kind: KindPermission, Err: errors.New("outside the administrator's tenant")}
		}
		if err := tx.CreateGroup(g); errors.Is(err, meta.ErrExists) {
			return &Error{Op: "group add", Kind: KindExist, Err: fmt.Errorf("group %q exists", name)}
		} else if err != nil {
			return err
		}
		return nil
	})
	return g, err
}

// AddMember puts a user in a group. Both must be in the same tenant.
func (a *Admin) AddMember(ctx context.Context, group, user string) error {
	return a.do(ctx, "group.member.add", "", func(tx meta.Tx, ev *audit.Event) error {
		ev.Target = "group:" + group + " user:" + user
		g, err := a.group(tx, group)
		if err != nil {
			return err
		}
		u, err := a.user(tx, user)
		if err != nil {
			return err
		}
		if g.TenantID != u.TenantID {
			return &Error{Op: "group add-member", Kind: KindPermission, Err: fmt.Errorf("user %q and group %q are in different tenants", user, group)}
		}
		return tx.AddMember(g.ID, u.ID)
	})
}

func (a *Admin) group(tx meta.Tx, name string) (*policy.Group, error) {
	g, err := tx.GroupByName(name)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, &Error{Op: "group", Kind: KindNotExist, Err: fmt.Errorf("no group %q", name)}
	}
	if err == nil && a.scope != 0 && g.TenantID != a.scope {
		return nil, &Error{Op: "group", Kind: KindNotExist, Err: fmt.Errorf("no group %q: %w", name, errInvisible)}
	}
	return g, err
}

// subject resolves "user:NAME" or "group:NAME" to ids and its tenant.
func (a *Admin) subject(tx meta.Tx, subject string) (userID, groupID, tenantID int64, err error) {
	kind, name, ok := cutPrefix(subject)
	if !ok {
		return 0, 0, 0, invalidf("subject %q must be user:NAME or group:NAME", subject)
	}
	if kind == "user" {
		u, err := a.user(tx, name)
		if err != nil {
			return 0, 0, 0, err
		}
		return u.ID, 0, u.TenantID, nil
	}
	g, err := a.group(tx, name)
	if err != nil {
		return 0, 0, 0, err
	}
	return 0, g.ID, g.TenantID, nil
}

func cutPrefix(subject string) (kind, name string, ok bool) {
	for _, k := range []string{"user", "group"} {
		if len(subject) > len(k)+1 && subject[:len(k)+1] == k+":" {
			return k, subject[len(k)+1:], true
		}
	}
	return "", "", false
}

// Grant gives actions on the existing item at portal path p to subject.
//
// Rule: a grant never crosses tenants: a tenant's users and groups can
// be granted only what lies in that tenant's folder.
func (a *Admin) Grant(ctx context.Context, subject, p string, actions policy.Actions) error {
	return a.do(ctx, "grant", p, func(tx meta.Tx, ev *audit.Event) error {
		ev.Target, ev.Reason = subject, actions.String()
		if actions == policy.None {
			return invalidf("a grant needs at least one action")
		}
		n, _, err := a.lookup(tx, p)
		if err != nil {
			return err
		}
		uid, gid, tid, err := a.subject(tx, subject)
		if err != nil {
			return err
		}
		if tid != 0 && n.TenantID != tid {
			return &Error{Op: "grant", Kind: KindPermission, Err: fmt.Errorf("%s is outside %s's tenant", p, subject)}
		}
		return tx.AddGrant(&policy.Grant{NodeID: n.ID, UserID: uid, GroupID: gid, Actions: actions})
	})
}

// Revoke removes subject's grant on the item at portal path p.
func (a *Admin) Revoke(ctx context.Context, subject, p string) error {
	return a.do(ctx, "revoke", p, func(tx meta.Tx, ev *audit.Event) error {
		ev.Target = subject
		n, _, err := a.lookup(tx, p)
		if err != nil {
			return err
		}
		uid, gid, _, err := a.subject(tx, subject)
		if err != nil {
			return err
		}
		if err := tx.RemoveGrant(n.ID, uid, gid); errors.Is(err, meta.ErrNotFound) {
			return &Error{Op: "revoke", Kind: KindNotExist, Err: fmt.Errorf("%s has no grant on %s", subject, p)}
		} else if err != nil {
			return err
		}
		return nil
	})
}

// Grants lists the grants on the item at portal path p.
func (a *Admin) Grants(ctx context.Context, p string) ([]GrantInfo, error) {
	var out []GrantInfo
	err := a.fs.view(ctx, func(tx meta.Tx) error {
		n, _, err := a.lookup(tx, p)
		if err != nil {
			return err
		}
		grants, err := tx.GrantsOn(n.ID)
		if err != nil {
			return err
		}
		out, err = a.describeGrants(tx, grants)
		return err
	})
	if err != nil {
		return nil, &Error{Op: "grants", Path: p, Kind: classify(err), Err: err}
	}
	return out, nil
}

// TokenInfo describes an app token; its secret is never shown again.
type TokenInfo struct {
	ID       int64
	Label    string
	Created  time.Time
	LastUsed time.Time
}

// AppTokens lists a user's app tokens.
func (a *Admin) AppTokens(ctx context.Context, name string) ([]TokenInfo, error) {
	var out []TokenInfo
	err := a.fs.view(ctx, func(tx meta.Tx) error {
		u, err := a.user(tx, name)
		if err != nil {
			return err
		}
		ts, err := tx.AppTokens(u.ID)
		for _, t := range ts {
			out = append(out, TokenInfo{ID: t.ID, Label: t.Name, Created: t.Created, LastUsed: t.LastUsed})
		}
		return err
	})
	if err != nil {
		return nil, &Error{Op: "user tokens", Path: name, Kind: classify(err), Err: err}
	}
	return out, nil
}

// RevokeAppToken revokes one of a user's app tokens: sign-ins with it
// fail from then on.
func (a *Admin) RevokeAppToken(ctx context.Context, name string, id int64) error {
	return a.do(ctx, "user.token.revoke", "", func(tx meta.Tx, ev *audit.Event) error {
		ev.Target = name
		u, err := a.user(tx, name)
		if err != nil {
			return err
		}
		ts, err := tx.AppTokens(u.ID)
		if err != nil {
			return err
		}
		for _, t := range ts {
			if t.ID == id {
				ev.Reason = t.Name
				return tx.RemoveAppToken(id)
			}
		}
		return &Error{Op: "user token revoke", Kind: KindNotExist, Err: fmt.Errorf("user %q has no app token %d", name, id)}
	})
}

// Groups lists the groups in the admin's scope.
func (a *Admin) Groups(ctx context.Context) ([]*policy.Group, error) {
	var out []*policy.Group
	err := a.fs.view(ctx, func(tx meta.Tx) error {
		gs, err := tx.Groups()
		for _, g := range gs {
			if a.scope == 0 || g.TenantID == a.scope {
				out = append(out, g)
			}
		}
		return err
	})
	return out, err
}
