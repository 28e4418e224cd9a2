package sqlmeta

import (
	"errors"

	"strongroom/policy"
	"strongroom/vfs/meta"
)

// insertID runs an INSERT ... RETURNING id that inserts nothing on a
// conflict, and reports meta.ErrExists when it does so.
func (t *tx) insertID(q string, args ...any) (int64, error) {
	var id int64
	err := t.queryRow(q, args...).Scan(&id)
	if errors.Is(err, meta.ErrNotFound) {
		return 0, meta.ErrExists
	}
	return id, err
}

// CreateTenant inserts a tenant and sets its ID; meta.ErrExists if the
// name is taken.
func (t *tx) CreateTenant(tn *policy.Tenant) error {
	id, err := t.insertID(`INSERT INTO tenants (name, root_id) VALUES (?, ?)
		ON CONFLICT (name) DO NOTHING RETURNING id`, tn.Name, tn.RootID)
	if err != nil {
		return err
	}
	tn.ID = id
	// The tenant's folder is the tenant's: everything made below it
	// inherits the id.
	if _, err := t.exec(`UPDATE nodes SET tenant_id = ? WHERE id = ?`, id, tn.RootID); err != nil {
		return err
	}
	return nil
}

func scanTenant(sc scanner) (*policy.Tenant, error) {
	var tn policy.Tenant
	if err := sc.Scan(&tn.ID, &tn.Name, &tn.RootID); err != nil {
		return nil, err
	}
	return &tn, nil
}

// Tenant returns the tenant id, or meta.ErrNotFound.
func (t *tx) Tenant(id int64) (*policy.Tenant, error) {
	return scanTenant(t.queryRow(`SELECT id, name, root_id FROM tenants WHERE id = ?`, id))
}

// TenantByName returns the tenant called name, or meta.ErrNotFound.
func (t *tx) TenantByName(name string) (*policy.Tenant, error) {
	return scanTenant(t.queryRow(`SELECT id, name, root_id FROM tenants WHERE name = ?`, name))
}

// Tenants lists every tenant in order of name.
func (t *tx) Tenants() ([]*policy.Tenant, error) {
	return collect(t, scanTenant, `SELECT id, name, root_id FROM tenants ORDER BY name`)
}

const userCols = `id, name, tenant_id, password_hash, disabled, admin, home_id, quota_bytes, used_bytes, require_both, created`

func scanUser(sc scanner) (*policy.User, error) {
	var u policy.User
	var created int64
	err := sc.Scan(&u.ID, &u.Name, &u.TenantID, &u.PasswordHash, &u.Disabled, &u.Admin,
		&u.HomeID, &u.QuotaBytes, &u.UsedBytes, &u.RequireBoth, &created)
	if err != nil {
		return nil, err
	}
	u.Created = fromNanos(created)
	return &u, nil
}

// CreateUser inserts u and sets u.ID; meta.ErrExists if the name is
// taken.
func (t *tx) CreateUser(u *policy.User) error {
	id, err := t.insertID(`INSERT INTO users (name, tenant_id, password_hash, disabled, admin,
			home_id, quota_bytes, used_bytes, require_both, created)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO NOTHING RETURNING id`,
		u.Name, u.TenantID, u.PasswordHash, u.Disabled, u.Admin, u.HomeID, u.QuotaBytes,
		u.UsedBytes, u.RequireBoth, nanos(u.Created))
	if err != nil {
		return err
	}
	u.ID = id
	return nil
}

// User returns the user id, or meta.ErrNotFound. In a write transaction
// the user's row stays locked until it ends, so that a quota checked
// against UsedBytes still holds at AddUsedBytes: two uploads of one user
// take turns rather than both fit in the room left for one.
func (t *tx) User(id int64) (*policy.User, error) {
	return scanUser(t.queryRow(`SELECT `+userCols+` FROM users WHERE id = ?`+t.lockForWrite(), id))
}

// UserByName returns the user called name, compared by bytes, or
// meta.ErrNotFound.
func (t *tx) UserByName(name string) (*policy.User, error) {
	return scanUser(t.queryRow(`SELECT `+userCols+` FROM users WHERE name = ?`, name))
}

// Users lists every user in order of name.
func (t *tx) Users() ([]*policy.User, error) {
	return collect(t, scanUser, `SELECT `+userCols+` FROM users ORDER BY name`)
}

// UpdateUser writes every field of u but ID, Name and Created;
// meta.ErrNotFound if there is no user u.ID.
func (t *tx) UpdateUser(u *policy.User) error {
	return t.execOne(`UPDATE users SET tenant_id = ?, password_hash = ?, disabled = ?, admin = ?,
			home_id = ?, quota_bytes = ?, used_bytes = ?, require_both = ?
		WHERE id = ?`,
		u.TenantID, u.PasswordHash, u.Disabled, u.Admin, u.HomeID, u.QuotaBytes, u.UsedBytes,
		u.RequireBoth, u.ID)
}

// AddUsedBytes adds delta, which may be negative, to a user's stored
// bytes; meta.ErrNotFound if there is no such user.
func (t *tx) AddUsedBytes(userID, delta int64) error {
	return t.execOne(`UPDATE users SET used_bytes = used_bytes + ? WHERE id = ?`, delta, userID)
}

// RemoveUser deletes a user with their keys, tokens, memberships and
// grants; meta.ErrNotFound if there is no such user. Versions keep the
// user's id and name.
func (t *tx) RemoveUser(id int64) error {
	return t.execOne(`DELETE FROM users WHERE id = ?`, id)
}

func scanGroup(sc scanner) (*policy.Group, error) {
	var g policy.Group
	if err := sc.Scan(&g.ID, &g.Name, &g.TenantID); err != nil {
		return nil, err
	}
	return &g, nil
}

// CreateGroup inserts g and sets g.ID; meta.ErrExists if the name is
// taken.
func (t *tx) CreateGroup(g *policy.Group) error {
	id, err := t.insertID(`INSERT INTO groups (name, tenant_id) VALUES (?, ?)
		ON CONFLICT (name) DO NOTHING RETURNING id`, g.Name, g.TenantID)
	if err != nil {
		return err
	}
	g.ID = id
	return nil
}

// GroupByName returns the group called name, or meta.ErrNotFound.
func (t *tx) GroupByName(name string) (*policy.Group, error) {
	return scanGroup(t.queryRow(`SELECT id, name, tenant_id FROM groups WHERE name = ?`, name))
}

// Groups lists every group in order of name.
func (t *tx) Groups() ([]*policy.Group, error) {
	return collect(t, scanGroup, `SELECT id, name, tenant_id FROM groups ORDER BY name`)
}

// AddMember puts a user in a group; it does nothing if they are in it
// already, and reports meta.ErrNotFound if either does not exist.
func (t *tx) AddMember(groupID, userID int64) error {
	if err := t.mustExist(`SELECT EXISTS (SELECT 1 FROM groups WHERE id = ?)
		AND EXISTS (SELECT 1 FROM users WHERE id = ?)`, groupID, userID); err != nil {
		return err
	}
	_, err := t.exec(`INSERT INTO group_members (group_id, user_id) VALUES (?, ?)
		ON CONFLICT (group_id, user_id) DO NOTHING`, groupID, userID)
	return err
}

// RemoveMember takes a user out of a group; meta.ErrNotFound if they are
// not in it.
func (t *tx) RemoveMember(groupID, userID int64) error {
	return t.execOne(`DELETE FROM group_members WHERE group_id = ? AND user_id = ?`, groupID, userID)
}

// GroupsOf lists, in order of name, the groups a user is in.
func (t *tx) GroupsOf(userID int64) ([]*policy.Group, error) {
	return collect(t, scanGroup, `SELECT g.id, g.name, g.tenant_id
		FROM groups g JOIN group_members m ON m.group_id = g.id
		WHERE m.user_id = ? ORDER BY g.name`, userID)
}

// mustExist runs a query of the form SELECT EXISTS (...) and reports
// meta.ErrNotFound if it is false. Checking first, rather than leaving a
// foreign key to refuse the write, keeps PostgreSQL's transaction usable.
func (t *tx) mustExist(q string, args ...any) error {
	ok, err := t.exists(q, args...)
	if err != nil {
		return err
	}
	if !ok {
		return meta.ErrNotFound
	}
	return nil
}

// AddSSHKey stores a key of a user and sets k.ID. It reports
// meta.ErrNotFound if the user does not exist and meta.ErrExists if they
// have a key with that fingerprint.
func (t *tx) AddSSHKey(k *policy.SSHKey) error {
	if err := t.mustExist(`SELECT EXISTS (SELECT 1 FROM users WHERE id = ?)`, k.UserID); err != nil {
		return err
	}
	id, err := t.insertID(`INSERT INTO ssh_keys (user_id, fingerprint, key_line, comment)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id, fingerprint) DO NOTHING RETURNING id`,
		k.UserID, k.Fingerprint, k.Key, k.Comment)
	if err != nil {
		return err
	}
	k.ID = id
	return nil
}

// SSHKeys lists a user's keys in the order they were added.
func (t *tx) SSHKeys(userID int64) ([]*policy.SSHKey, error) {
	return collect(t, func(sc scanner) (*policy.SSHKey, error) {
		var k policy.SSHKey
		err := sc.Scan(&k.ID, &k.UserID, &k.Fingerprint, &k.Key, &k.Comment)
		return &k, err
	}, `SELECT id, user_id, fingerprint, key_line, comment FROM ssh_keys WHERE user_id = ? ORDER BY id`, userID)
}

// RemoveSSHKey deletes a key; meta.ErrNotFound if there is none.
func (t *tx) RemoveSSHKey(id int64) error {
	return t.execOne(`DELETE FROM ssh_keys WHERE id = ?`, id)
}

func scanAppToken(sc scanner) (*meta.AppToken, error) {
	var a meta.AppToken
	var created, used int64
	if err := sc.Scan(&a.ID, &a.UserID, &a.Name, &a.Hash, &created, &used); err != nil {
		return nil, err
	}
	a.Created, a.LastUsed = fromNanos(created), fromNanos(used)
	return &a, nil
}

const appTokenCols = `id, user_id, name, hash, created, last_used`

// AddAppToken stores a token of a user and sets a.ID. It reports
// meta.ErrNotFound if the user does not exist and meta.ErrExists if a
// token has the same hash.
func (t *tx) AddAppToken(a *meta.AppToken) error {
	if err := t.mustExist(`SELECT EXISTS (SELECT 1 FROM users WHERE id = ?)`, a.UserID); err != nil {
		return err
	}
	id, err := t.insertID(`INSERT INTO app_tokens (user_id, name, hash, created, last_used)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (hash) DO NOTHING RETURNING id`,
		a.UserID, a.Name, a.Hash, nanos(a.Created), nanos(a.LastUsed))
	if err != nil {
		return err
	}
	a.ID = id
	return nil
}

// AppTokenByHash returns the token with the hash given, or
// meta.ErrNotFound.
func (t *tx) AppTokenByHash(hash []byte) (*meta.AppToken, error) {
	return scanAppToken(t.queryRow(`SELECT `+appTokenCols+` FROM app_tokens WHERE hash = ?`, hash))
}

// AppTokens lists a user's tokens in the order they were added.
func (t *tx) AppTokens(userID int64) ([]*meta.AppToken, error) {
	return collect(t, scanAppToken, `SELECT `+appTokenCols+` FROM app_tokens WHERE user_id = ? ORDER BY id`, userID)
}

// RemoveAppToken deletes a token; meta.ErrNotFound if there is none.
func (t *tx) RemoveAppToken(id int64) error {
	return t.execOne(`DELETE FROM app_tokens WHERE id = ?`, id)
}
