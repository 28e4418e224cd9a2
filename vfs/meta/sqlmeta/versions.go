package sqlmeta

import (
	"strongroom/vfs/meta"
)

const versionCols = `id, node_id, blob_key, size, sha256, mime_type, key_id, created_by, created_name, created, restored_from, inline`

func scanVersion(sc scanner) (*meta.Version, error) {
	var v meta.Version
	var created int64
	err := sc.Scan(&v.ID, &v.NodeID, &v.BlobKey, &v.Size, &v.SHA256, &v.MIMEType, &v.KeyID,
		&v.CreatedBy, &v.CreatedName, &created, &v.RestoredFrom, &v.Inline)
	if err != nil {
		return nil, err
	}
	v.Created = fromNanos(created)
	return &v, nil
}

// AddVersion inserts v and sets v.ID. It reports meta.ErrNotFound if
// v.NodeID does not exist.
func (t *tx) AddVersion(v *meta.Version) error {
	var id int64
	err := t.queryRow(`INSERT INTO versions
			(node_id, blob_key, size, sha256, mime_type, key_id, created_by, created_name, created, restored_from, inline)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
		WHERE EXISTS (SELECT 1 FROM nodes WHERE id = ?)
		RETURNING id`,
		v.NodeID, v.BlobKey, v.Size, v.SHA256, v.MIMEType, v.KeyID, v.CreatedBy, v.CreatedName,
		nanos(v.Created), v.RestoredFrom, v.Inline, v.NodeID).Scan(&id)
	if err != nil {
		return err
	}
	v.ID = id
	return nil
}

// Version returns the version id, or meta.ErrNotFound.
func (t *tx) Version(id int64) (*meta.Version, error) {
	return scanVersion(t.queryRow(`SELECT `+versionCols+` FROM versions WHERE id = ?`, id))
}

// Versions lists a node's versions, the most recently added first; none
// for a node that has none or does not exist.
func (t *tx) Versions(nodeID int64) ([]*meta.Version, error) {
	return collect(t, scanVersion, `SELECT `+versionCols+` FROM versions
		WHERE node_id = ? ORDER BY id DESC`, nodeID)
}

// EncryptedVersions returns up to limit of the newest versions that record
// a key id, newest first.
func (t *tx) EncryptedVersions(limit int) ([]*meta.Version, error) {
	return collect(t, scanVersion, `SELECT `+versionCols+` FROM versions
		WHERE key_id <> '' ORDER BY id DESC LIMIT ?`, limit)
}

// MoveVersions gives the versions of node from to node to. Neither node
// needs to be live: a replaced file is deleted by then.
func (t *tx) MoveVersions(from, to int64) error {
	_, err := t.exec(`UPDATE versions SET node_id = ? WHERE node_id = ?`, to, from)
	return err
}

// BlobReferenced reports whether any version or suspended upload uses the
// blob key.
func (t *tx) BlobReferenced(key string) (bool, error) {
	return t.exists(`SELECT EXISTS (SELECT 1 FROM versions WHERE blob_key = ?)
		OR EXISTS (SELECT 1 FROM suspended_uploads WHERE blob_key = ?)`, key, key)
}

// PutInline stores the sealed content of a small file under its key.
// Keys are fresh for every upload, so a duplicate is ErrExists.
func (t *tx) PutInline(key string, data []byte) error {
	res, err := t.exec(`INSERT INTO inline_content (blob_key, data) VALUES (?, ?)
		ON CONFLICT (blob_key) DO NOTHING`, key, data)
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

// Inline returns the sealed content kept under key, or meta.ErrNotFound.
func (t *tx) Inline(key string) ([]byte, error) {
	var data []byte
	err := t.queryRow(`SELECT data FROM inline_content WHERE blob_key = ?`, key).Scan(&data)
	return data, err
}
