package policy

// Access is what one user may do, resolved from every grant to them or
// their groups. It answers questions with no I/O and is safe for
// concurrent use once built; build a new one when grants change.
type Access struct {
	granted   map[int64]Actions // node id -> actions granted on it
	ancestors map[int64]bool    // nodes above a granted node
}

// NewAccess resolves grants. chains gives, for every node that carries a
// grant, its ancestors from the root down, not including the node itself.
func NewAccess(grants []Grant, chains map[int64][]int64) *Access {
	a := &Access{granted: make(map[int64]Actions), ancestors: make(map[int64]bool)}
	for _, g := range grants {
		a.granted[g.NodeID] |= g.Actions
		for _, id := range chains[g.NodeID] {
			a.ancestors[id] = true
		}
	}
	return a
}

// Allowed returns the actions allowed on the node whose chain from the
// root is chain (root first, the node itself last). Grants are inherited
// downward, so this is the union of the grants on every node in the chain.
func (a *Access) Allowed(chain []int64) Actions {
	var acts Actions
	for _, id := range chain {
		acts |= a.granted[id]
	}
	return acts
}

// Visible reports whether the node at the end of chain may be seen at
// all: either something is allowed on it, or it lies on the way to a
// granted node. A node that is not visible must be reported as missing.
func (a *Access) Visible(chain []int64) bool {
	if len(chain) == 0 {
		return false
	}
	return a.Allowed(chain) != None || a.ancestors[chain[len(chain)-1]]
}

// Leads reports whether id is a folder above some granted node, which
// makes it visible (for traversal) even with no action allowed on it.
func (a *Access) Leads(id int64) bool { return a.ancestors[id] }
