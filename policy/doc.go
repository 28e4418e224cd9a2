// Package policy holds Strongroom's identities and its authorization rule.
//
// Identities are tenants (the customers of the portal), users, and groups
// of users. Each belongs to at most one tenant; those without a tenant are
// the portal's own staff.
//
// # The rule
//
// A grant gives a set of actions to a user or a group on one folder or
// file. It covers that node and everything below it. Nothing is allowed
// unless a grant allows it (default deny), and no grant ever crosses from
// one tenant into another.
//
// An Access is the set of grants that apply to one user, resolved into
// values: it answers "may this user do this here" with no I/O, given the
// chain of node ids from the root to the node in question.
//
// # Visibility
//
// A user may see the folders that lead to something granted to them, so
// that they can reach it, and nothing else beside them. A name the user
// may not see is reported as not existing, never as forbidden, so that its
// existence cannot be confirmed.
package policy
