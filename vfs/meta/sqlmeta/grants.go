package sqlmeta

import (
	"errors"

	"strongroom/policy"
	"strongroom/vfs/meta"
)

var errGrantSubject = errors.New("sqlmeta: a grant needs exactly one of a user and a group")

const grantCols = `id, node_id, COALESCE(user_id, 0), COALESCE(group_id, 0), actions`

func scanGrant(sc scanner) (policy.Grant, error) {
	var g policy.Grant
	err := sc.Scan(&g.ID, &g.NodeID, &g.UserID, &g.GroupID, &g.Actions)
	return g, err
}

// AddGrant adds g.Actions to the subject's grant on g.NodeID, creating
// the grant if there is none, and sets g.ID and g.Actions to the stored
// grant's. The subject is g.UserID or g.GroupID, exactly one of them
// non-zero. It reports meta.ErrNotFound if the node or the subject does
// not exist.
func (t *tx) AddGrant(g *policy.Grant) error {
	subject, id := "user_id", g.UserID
	table := "users"
	switch {
	case (g.UserID == 0) == (g.GroupID == 0):
		return errGrantSubject
	case g.GroupID != 0:
		subject, id, table = "group_id", g.GroupID, "groups"
	}

	err := t.mustExist(`SELECT EXISTS (SELECT 1 FROM nodes WHERE id = ?)
		AND EXISTS (SELECT 1 FROM `+table+` WHERE id = ?)`, g.NodeID, id)
	if err != nil {
		return err
	}
	// Both subjects' partial unique indexes make a conflict target here.
	return t.queryRow(`INSERT INTO grants (node_id, `+subject+`, actions) VALUES (?, ?, ?)
		ON CONFLICT (node_id, `+subject+`) WHERE `+subject+` IS NOT NULL
		DO UPDATE SET actions = grants.actions | excluded.actions
		RETURNING id, actions`, g.NodeID, id, int64(g.Actions)).Scan(&g.ID, &g.Actions)
}

// RemoveGrant removes the subject's grant on a node; meta.ErrNotFound if
// there is none.
func (t *tx) RemoveGrant(nodeID, userID, groupID int64) error {
	switch {
	case (userID == 0) == (groupID == 0):
		return errGrantSubject
	case userID != 0:
		return t.execOne(`DELETE FROM grants WHERE node_id = ? AND user_id = ?`, nodeID, userID)
	default:
		return t.execOne(`DELETE FROM grants WHERE node_id = ? AND group_id = ?`, nodeID, groupID)
	}
}

// GrantsFor lists, in the order they were made, the grants to a user and
// to every group they are in.
func (t *tx) GrantsFor(userID int64) ([]policy.Grant, error) {
	return collect(t, scanGrant, `SELECT `+grantCols+` FROM grants
		WHERE user_id = ?
		OR group_id IN (SELECT group_id FROM group_members WHERE user_id = ?)
		ORDER BY id`, userID, userID)
}

// GrantsOn lists, in the order they were made, every grant on a node.
func (t *tx) GrantsOn(nodeID int64) ([]policy.Grant, error) {
	return collect(t, scanGrant, `SELECT `+grantCols+` FROM grants WHERE node_id = ? ORDER BY id`, nodeID)
}

// PolicyGeneration returns the counter BumpPolicyGeneration raises.
func (t *tx) PolicyGeneration() (int64, error) {
	var g int64
	err := t.queryRow(`SELECT generation FROM policy_generation WHERE id = 1`).Scan(&g)
	return g, err
}

// BumpPolicyGeneration raises the policy generation by one. On
// PostgreSQL it holds the counter's row lock until the transaction ends,
// so concurrent bumps queue.
func (t *tx) BumpPolicyGeneration() error {
	return t.execOne(`UPDATE policy_generation SET generation = generation + 1 WHERE id = 1`)
}

var _ meta.IdentityTx = (*tx)(nil)
