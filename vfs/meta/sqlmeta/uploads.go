package sqlmeta

import (
	"time"

	"strongroom/vfs/meta"
)

const suspendedCols = `user_id, parent_id, name, blob_key, size, key_id, base_version, created`

func scanSuspended(sc scanner) (*meta.SuspendedUpload, error) {
	var u meta.SuspendedUpload
	var created int64
	if err := sc.Scan(&u.UserID, &u.ParentID, &u.Name, &u.BlobKey, &u.Size, &u.KeyID, &u.BaseVersion, &created); err != nil {
		return nil, err
	}
	u.Created = fromNanos(created)
	return &u, nil
}

// PutSuspended keeps u, or reports meta.ErrExists if its user already has
// a suspended upload to the same folder and name.
func (t *tx) PutSuspended(u *meta.SuspendedUpload) error {
	res, err := t.exec(`INSERT INTO suspended_uploads (`+suspendedCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		u.UserID, u.ParentID, u.Name, u.BlobKey, u.Size, u.KeyID, u.BaseVersion, nanos(u.Created))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return meta.ErrExists
	}
	return nil
}

// Suspended returns the user's suspended upload to parent/name, or
// meta.ErrNotFound.
func (t *tx) Suspended(userID, parent int64, name string) (*meta.SuspendedUpload, error) {
	return scanSuspended(t.queryRow(`SELECT `+suspendedCols+` FROM suspended_uploads
		WHERE user_id = ? AND parent_id = ? AND name = ?`, userID, parent, name))
}

// TakeSuspended forgets the user's suspended upload to parent/name and
// returns it, or meta.ErrNotFound. It is one statement, since every
// commit asks.
func (t *tx) TakeSuspended(userID, parent int64, name string) (*meta.SuspendedUpload, error) {
	return scanSuspended(t.queryRow(`DELETE FROM suspended_uploads
		WHERE user_id = ? AND parent_id = ? AND name = ? RETURNING `+suspendedCols, userID, parent, name))
}

// SuspendedOver lists up to limit suspended uploads kept before before,
// or whose folder was removed (deleted nodes stay as rows), oldest first.
func (t *tx) SuspendedOver(before time.Time, limit int) ([]*meta.SuspendedUpload, error) {
	return collect(t, scanSuspended, `SELECT `+suspendedCols+` FROM suspended_uploads s
		WHERE s.created < ? OR NOT EXISTS (SELECT 1 FROM nodes n WHERE n.id = s.parent_id AND NOT n.deleted)
		ORDER BY s.created LIMIT ?`, nanos(before), limit)
}

// SuspendedBytes sums the sizes of a user's suspended uploads in folders
// that still exist.
func (t *tx) SuspendedBytes(userID int64) (int64, error) {
	var n int64
	err := t.queryRow(`SELECT COALESCE(SUM(s.size), 0) FROM suspended_uploads s
		JOIN nodes n ON n.id = s.parent_id AND NOT n.deleted WHERE s.user_id = ?`, userID).Scan(&n)
	return n, err
}
