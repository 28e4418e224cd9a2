// Package meta defines the metadata store: the database that holds the
// tree of names, the versions of every file, identities and grants, WebDAV
// locks and properties, and the audit chain.
//
// A Store runs transactions; a Tx offers plain reads and writes of rows
// and holds no business rules: what may be done, and in which order, is
// decided by package vfs. Two implementations share one SQL core
// (package sqlmeta): sqlitemeta, the embedded default, and pgmeta for
// PostgreSQL. The conformance suite in vfs/meta/metatest runs against
// both, and so does the whole filesystem's, in vfs/vfstest.
//
// # Errors
//
// Methods return ErrNotFound when a row does not exist, ErrExists when a
// write would duplicate a unique name, and ErrConflict when a concurrent
// transaction won and the whole transaction should be run again. Other
// errors come from the database driver unchanged.
package meta

import (
	"context"
	"errors"
	"time"

	"strongroom/audit"
	"strongroom/policy"
)

// Errors every Store reports in the same way.
var (
	ErrNotFound = errors.New("meta: not found")
	ErrExists   = errors.New("meta: already exists")
	ErrConflict = errors.New("meta: concurrent change, retry")
)

// RootID is the id of the root folder "/", created by the first migration.
const RootID int64 = 1

// A Node is a file or folder. A file's content is its current Version.
type Node struct {
	ID       int64
	ParentID int64 // zero only for the root
	TenantID int64 // zero outside any tenant's folder
	Name     string
	IsDir    bool

	// For files: the current version and a copy of its size and MIME type,
	// so that listings read one table.
	VersionID int64
	Size      int64
	MIMEType  string

	ModTime time.Time // as set by the client, else the last change
	Created time.Time
	Deleted bool
}

// A Version is one immutable content of a file.
type Version struct {
	ID           int64
	NodeID       int64
	BlobKey      string // opaque id in the blob store
	Size         int64
	SHA256       []byte
	MIMEType     string
	KeyID        string // id of the master key the blob's data key is wrapped with
	CreatedBy    int64  // user id
	CreatedName  string // user name at the time
	Created      time.Time
	RestoredFrom int64 // the version this one restores, or zero
	// Inline says the content is kept in the database (see
	// NodeTx.PutInline) rather than in the blob store.
	Inline bool
}

// A Lock is a WebDAV lock on a path and, with Deep, everything below.
type Lock struct {
	Token   string
	Path    string // absolute path in the portal's namespace
	UserID  int64
	Deep    bool
	Shared  bool
	Owner   string // the client's owner XML, kept verbatim
	Timeout time.Duration
	Expires time.Time
}

// A Prop is a WebDAV dead property of a node.
type Prop struct {
	Space, Name string
	XML         string // the inner XML, kept verbatim
}

// AuditFilter selects audit records. Zero fields select everything.
type AuditFilter struct {
	User       string
	PathPrefix string
	Since      time.Time
	Until      time.Time
	AfterID    int64 // records with a greater id only
	Limit      int   // zero for no limit
}

// An AppToken is a revocable secret a user signs in with over WebDAV or
// the API instead of their password. Only its hash is stored.
type AppToken struct {
	ID       int64
	UserID   int64
	Name     string
	Hash     []byte // SHA-256 of the secret
	Created  time.Time
	LastUsed time.Time
}

// A SuspendedUpload is what an upload had received when its connection
// dropped, kept as a committed blob so that its user can continue it
// (SFTP's reput) instead of starting over. It is keyed by user, folder and
// name, is seen by no one else, and is no version of anything until the
// continued upload commits.
type SuspendedUpload struct {
	UserID   int64
	ParentID int64
	Name     string
	BlobKey  string
	Size     int64
	KeyID    string
	// BaseVersion is the file's current version when the upload began
	// (0 for no file, or one with no version). Once the file has another,
	// written by someone else meanwhile, the kept upload is stale.
	BaseVersion int64
	Created     time.Time
}

// Store is a metadata database. It is safe for concurrent use.
type Store interface {
	// Update runs fn in a read-write transaction and commits it if fn
	// returns nil. It may return ErrConflict, in which case the caller
	// runs it again.
	Update(ctx context.Context, fn func(Tx) error) error

	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error

	// AuditChains is how many audit chains records are spread over.
	AuditChains() int

	// Close releases the database.
	Close() error
}

// Tx is one transaction. It is not safe for concurrent use and is
// invalid once the function it was passed to returns.
type Tx interface {
	NodeTx
	IdentityTx
	AuditTx
	WebDAVTx
	UploadTx
}

// NodeTx reads and writes the tree and its versions.
type NodeTx interface {
	Node(id int64) (*Node, error)
	// Child returns the live child of parent named name.
	Child(parent int64, name string) (*Node, error)
	// Children returns up to limit live children of parent whose names
	// sort after after (by bytes), in that order. limit <= 0 means all.
	Children(parent int64, after string, limit int) ([]*Node, error)
	HasChildren(parent int64) (bool, error)
	// Ancestors returns the ids from the root down to id's parent.
	Ancestors(id int64) ([]int64, error)
	// CreateNode inserts n and sets its ID; ErrExists if the name is taken.
	CreateNode(n *Node) error
	// MoveNode gives a node a new parent and name; ErrExists if taken.
	MoveNode(id, parent int64, name string) error
	// DeleteNode marks a node and everything below it deleted. Their
	// versions stay.
	DeleteNode(id int64, at time.Time) error
	// SetContent makes v the node's current version, with modTime.
	SetContent(nodeID int64, v *Version, modTime time.Time) error
	SetModTime(nodeID int64, t time.Time) error
	// LockNode holds the node against other writers until the transaction
	// ends, so that what the caller reads of it next stays true.
	LockNode(id int64) error

	// AddVersion inserts v and sets its ID.
	AddVersion(v *Version) error
	Version(id int64) (*Version, error)
	// Versions lists a node's versions, newest first.
	Versions(nodeID int64) ([]*Version, error)
	// EncryptedVersions returns up to limit of the newest versions whose
	// content is encrypted (that record a key id), newest first.
	EncryptedVersions(limit int) ([]*Version, error)
	// MoveVersions makes every version of node from a version of node to,
	// for a file that replaces another and takes over its history.
	MoveVersions(from, to int64) error
	// PutInline keeps the sealed content of a small file under its blob
	// key, in the database, for versions marked Inline.
	PutInline(key string, data []byte) error
	// Inline returns what PutInline kept under key.
	Inline(key string) ([]byte, error)
	// BlobReferenced reports whether any version, or suspended upload,
	// uses the blob key.
	BlobReferenced(key string) (bool, error)
	// TreeSize sums the current sizes of the live files below a folder.
	TreeSize(id int64) (int64, error)
}

// IdentityTx reads and writes tenants, users, groups, keys and grants.
type IdentityTx interface {
	// CreateTenant inserts t and sets t.ID. t.RootID names an existing
	// folder, which the store marks as the tenant's: that folder's
	// TenantID becomes t.ID.
	CreateTenant(t *policy.Tenant) error
	Tenant(id int64) (*policy.Tenant, error)
	TenantByName(name string) (*policy.Tenant, error)
	Tenants() ([]*policy.Tenant, error)

	CreateUser(u *policy.User) error
	User(id int64) (*policy.User, error)
	UserByName(name string) (*policy.User, error)
	Users() ([]*policy.User, error)
	// UpdateUser writes every field of u but ID, Name and Created.
	UpdateUser(u *policy.User) error
	// AddUsedBytes adds delta to a user's stored bytes.
	AddUsedBytes(userID, delta int64) error
	RemoveUser(id int64) error

	CreateGroup(g *policy.Group) error
	GroupByName(name string) (*policy.Group, error)
	Groups() ([]*policy.Group, error)
	AddMember(groupID, userID int64) error
	RemoveMember(groupID, userID int64) error
	// GroupsOf lists the groups a user is in.
	GroupsOf(userID int64) ([]*policy.Group, error)

	AddSSHKey(k *policy.SSHKey) error
	SSHKeys(userID int64) ([]*policy.SSHKey, error)
	RemoveSSHKey(id int64) error

	AddAppToken(t *AppToken) error
	AppTokenByHash(hash []byte) (*AppToken, error)
	AppTokens(userID int64) ([]*AppToken, error)
	RemoveAppToken(id int64) error

	// AddGrant adds to the actions of the subject's grant on the node,
	// creating the grant if there is none.
	AddGrant(g *policy.Grant) error
	// RemoveGrant removes the subject's grant on a node; ErrNotFound if
	// there is none.
	RemoveGrant(nodeID, userID, groupID int64) error
	// GrantsFor lists the grants to a user and to every group they are in.
	GrantsFor(userID int64) ([]policy.Grant, error)
	// GrantsOn lists every grant on a node.
	GrantsOn(nodeID int64) ([]policy.Grant, error)

	// PolicyGeneration is a counter bumped by every change to users,
	// groups, memberships or grants, so that sessions can tell when to
	// reload what they may do.
	PolicyGeneration() (int64, error)
	BumpPolicyGeneration() error
}

// AuditTx appends and reads the audit chain.
type AuditTx interface {
	// AppendAudit seals e onto the head of chain and inserts it.
	AppendAudit(chain int, e *audit.Event) error
	// AuditEvents calls fn for each selected record in id order.
	AuditEvents(f AuditFilter, fn func(*audit.Event) error) error
	// AuditChainEvents calls fn for every record in order of chain and
	// position, for verification.
	AuditChainEvents(fn func(*audit.Event) error) error
	AuditHeads() ([]audit.Head, error)
}

// WebDAVTx keeps WebDAV locks and dead properties.
type WebDAVTx interface {
	CreateLock(l *Lock) error
	LockByToken(token string) (*Lock, error)
	// LocksAt returns the unexpired locks on path, on its ancestors with
	// Deep set, and, with below, on anything under path.
	LocksAt(path string, below bool, now time.Time) ([]*Lock, error)
	RefreshLock(token string, expires time.Time, timeout time.Duration) error
	RemoveLock(token string) error
	RemoveExpiredLocks(now time.Time) (int, error)
	// AnyLocks reports whether any lock, expired or not, is stored: a
	// cheap first question before the checks that LocksAt answers.
	AnyLocks() (bool, error)

	Props(nodeID int64) ([]Prop, error)
	// ChildProps returns the dead properties of every live child of
	// parent that has any, by node id, each list in order of space and
	// name: one query for a whole folder.
	ChildProps(parent int64) (map[int64][]Prop, error)
	// SetProp stores a property, replacing one of the same name.
	SetProp(nodeID int64, p Prop) error
	RemoveProp(nodeID int64, space, name string) error
}

// UploadTx keeps suspended uploads.
type UploadTx interface {
	// PutSuspended keeps u; ErrExists if its user already has one for the
	// same folder and name.
	PutSuspended(u *SuspendedUpload) error
	// Suspended returns the user's suspended upload to parent/name, or
	// ErrNotFound.
	Suspended(userID, parent int64, name string) (*SuspendedUpload, error)
	// TakeSuspended forgets the user's suspended upload to parent/name and
	// returns it, or ErrNotFound if there is none. Its blob is then the
	// caller's to delete.
	TakeSuspended(userID, parent int64, name string) (*SuspendedUpload, error)
	// SuspendedOver lists up to limit suspended uploads that are over:
	// kept before t, or in a folder since removed.
	SuspendedOver(t time.Time, limit int) ([]*SuspendedUpload, error)
	// SuspendedBytes sums the sizes of a user's suspended uploads in
	// folders that still exist.
	SuspendedBytes(userID int64) (int64, error)
}
