package sqlmeta

import (
	"errors"
	"strings"
	"time"

	"strongroom/vfs/meta"
)

const lockCols = `token, path, user_id, deep, shared, owner, timeout_ns, expires`

func scanLock(sc scanner) (*meta.Lock, error) {
	var l meta.Lock
	var timeout, expires int64
	err := sc.Scan(&l.Token, &l.Path, &l.UserID, &l.Deep, &l.Shared, &l.Owner, &timeout, &expires)
	if err != nil {
		return nil, err
	}
	l.Timeout, l.Expires = time.Duration(timeout), fromNanos(expires)
	return &l, nil
}

// CreateLock stores l; meta.ErrExists if its token is taken. A zero
// l.Expires means the lock never expires.
func (t *tx) CreateLock(l *meta.Lock) error {
	var token string
	err := t.queryRow(`INSERT INTO locks (`+lockCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (token) DO NOTHING RETURNING token`,
		l.Token, l.Path, l.UserID, l.Deep, l.Shared, l.Owner, int64(l.Timeout), nanos(l.Expires)).Scan(&token)
	if errors.Is(err, meta.ErrNotFound) {
		return meta.ErrExists
	}
	return err
}

// LockByToken returns the lock with the token given, expired or not, or
// meta.ErrNotFound.
func (t *tx) LockByToken(token string) (*meta.Lock, error) {
	return scanLock(t.queryRow(`SELECT `+lockCols+` FROM locks WHERE token = ?`, token))
}

// LocksAt returns, in order of path and token, the locks unexpired at now
// on path, on its ancestors with Deep set, and, with below, on anything
// under path. path is absolute and clean ("/", "/a/b"); paths compare by
// bytes, and no character in them is special.
func (t *tx) LocksAt(path string, below bool, now time.Time) ([]*meta.Lock, error) {
	conds := []string{"path = ?"}
	args := []any{nanos(now), path}
	if up := pathAncestors(path); len(up) > 0 {
		conds = append(conds, "(deep AND path IN (?"+strings.Repeat(", ?", len(up)-1)+"))")
		for _, p := range up {
			args = append(args, p)
		}
	}

	// Everything under /a/b sorts from "/a/b/" up to "/a/b0", as '0'
	// follows '/'; a range, unlike LIKE, treats % and _ as themselves.
	if below {
		dir := strings.TrimSuffix(path, "/") + "/"
		conds = append(conds, "(path >= ? AND path < ?)")
		args = append(args, dir, dir[:len(dir)-1]+"0")
	}
	return collect(t, scanLock, `SELECT `+lockCols+` FROM locks
		WHERE (expires = 0 OR expires > ?) AND (`+strings.Join(conds, " OR ")+`)
		ORDER BY path, token`, args...)
}

// pathAncestors returns the folders above an absolute path, the root
// first: "/", "/a" for "/a/b". The root has none.
func pathAncestors(p string) []string {
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		return nil
	}
	up := []string{"/"}
	for i := 1; i < len(p); i++ {
		if p[i] == '/' {
			up = append(up, p[:i])
		}
	}
	return up
}

// RefreshLock gives a lock a new expiry and timeout; meta.ErrNotFound if
// there is no lock with the token.
func (t *tx) RefreshLock(token string, expires time.Time, timeout time.Duration) error {
	return t.execOne(`UPDATE locks SET expires = ?, timeout_ns = ? WHERE token = ?`,
		nanos(expires), int64(timeout), token)
}

// RemoveLock deletes a lock; meta.ErrNotFound if there is none.
func (t *tx) RemoveLock(token string) error {
	return t.execOne(`DELETE FROM locks WHERE token = ?`, token)
}

// RemoveExpiredLocks deletes the locks that have expired by now and says
// how many there were.
func (t *tx) RemoveExpiredLocks(now time.Time) (int, error) {
	res, err := t.exec(`DELETE FROM locks WHERE expires <> 0 AND expires <= ?`, nanos(now))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// AnyLocks reports whether the locks table has any row.
func (t *tx) AnyLocks() (bool, error) {
	return t.exists(`SELECT EXISTS (SELECT 1 FROM locks)`)
}

// Props lists a node's dead properties in order of space and name.
func (t *tx) Props(nodeID int64) ([]meta.Prop, error) {
	return collect(t, func(sc scanner) (meta.Prop, error) {
		var p meta.Prop
		err := sc.Scan(&p.Space, &p.Name, &p.XML)
		return p, err
	}, `SELECT space, name, xml FROM props WHERE node_id = ? ORDER BY space, name`, nodeID)
}

// ChildProps returns the dead properties of the live children of parent,
// by node id, in one query on the index of live names.
func (t *tx) ChildProps(parent int64) (map[int64][]meta.Prop, error) {
	rows, err := t.query(`SELECT p.node_id, p.space, p.name, p.xml FROM nodes n
		JOIN props p ON p.node_id = n.id
		WHERE n.parent_id = ? AND NOT n.deleted
		ORDER BY p.node_id, p.space, p.name`, parent)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int64][]meta.Prop)
	for rows.Next() {
		var id int64
		var p meta.Prop
		if err := rows.Scan(&id, &p.Space, &p.Name, &p.XML); err != nil {
			return nil, t.s.classify(err)
		}
		out[id] = append(out[id], p)
	}
	return out, t.s.classify(rows.Err())
}

// SetProp stores a property of a node, replacing one of the same space
// and name; meta.ErrNotFound if there is no such node.
func (t *tx) SetProp(nodeID int64, p meta.Prop) error {
	var id int64
	return t.queryRow(`INSERT INTO props (node_id, space, name, xml)
		SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM nodes WHERE id = ?)
		ON CONFLICT (node_id, space, name) DO UPDATE SET xml = excluded.xml
		RETURNING node_id`, nodeID, p.Space, p.Name, p.XML, nodeID).Scan(&id)
}

// RemoveProp deletes a property; meta.ErrNotFound if there is none.
func (t *tx) RemoveProp(nodeID int64, space, name string) error {
	return t.execOne(`DELETE FROM props WHERE node_id = ? AND space = ? AND name = ?`, nodeID, space, name)
}
