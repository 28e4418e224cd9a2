package policy

import "time"

// A Tenant is one customer of the portal. Its files live under the folder
// /NAME, and its users and groups can be granted nothing outside it.
type Tenant struct {
	ID     int64
	Name   string
	RootID int64 // the node id of the tenant's folder
}

// A User is someone who signs in. TenantID is zero for the portal's own
// staff. Home is the node id the user's sessions are rooted at.
type User struct {
	ID           int64
	Name         string
	TenantID     int64
	PasswordHash string // PHC-format argon2id; empty when the user has no password
	Disabled     bool
	Admin        bool  // may administer their tenant (or the portal, without one)
	HomeID       int64 // node at which the user's sessions are rooted
	QuotaBytes   int64 // zero for no limit
	UsedBytes    int64 // bytes of every version the user has stored
	RequireBoth  bool  // SSH sign-in needs a key and the password
	Created      time.Time
}

// A Group gathers users of one tenant so that one grant covers them all.
type Group struct {
	ID       int64
	Name     string
	TenantID int64
}

// A Grant gives Actions on the node NodeID, and everything below it, to
// one subject: a user or a group.
type Grant struct {
	ID      int64
	NodeID  int64
	UserID  int64 // set for a user grant
	GroupID int64 // set for a group grant
	Actions Actions
}

// An SSHKey is a public key a user may sign in with, in authorized_keys
// form.
type SSHKey struct {
	ID          int64
	UserID      int64
	Fingerprint string // SHA256:... as ssh-keygen -l prints it
	Key         string // the key line, without options
	Comment     string
}
