// Package vfstest runs the same conformance suite against every pair of
// stores, and gives protocol tests a real filesystem to serve: SQLite and
// a local folder (the embedded default), or PostgreSQL and S3, both with
// encryption at rest, as the server runs them.
package vfstest

import (
	"context"
	"testing"

	"strongroom/vfs"
	"strongroom/vfs/blob"
	"strongroom/vfs/meta"
)

// An Env is a filesystem over real stores, removed when the test ends.
type Env struct {
	Name  string // "embedded" or "production"
	FS    *vfs.FS
	Admin *vfs.Admin // acting as the CLI operator over the whole portal
	Meta  meta.Store
	Blobs blob.Store // encrypting, as the filesystem uses it
	Base  blob.Store // the store below the encryption
	KeyID string     // of the master key Blobs encrypts with
	Dir   string     // scratch folder of the test

	spec spec
}

// Both runs fn once over the embedded default and once over PostgreSQL
// and S3, as subtests named after each.
func Both(t *testing.T, fn func(t *testing.T, env *Env)) {
	t.Run("embedded", func(t *testing.T) { fn(t, Embedded(t)) })
	t.Run("production", func(t *testing.T) { fn(t, Production(t)) })
}

// Session signs in user (who must exist) over protocol and returns the
// session, closed when the test ends.
func (e *Env) Session(t testing.TB, user, protocol string) *vfs.Session {
	t.Helper()
	s, err := e.FS.NewSession(context.Background(), user, vfs.SessionInfo{Protocol: protocol, RemoteAddr: "127.0.0.1:1", SessionID: t.Name() + "/" + user})
	if err != nil {
		t.Fatalf("session for %s: %v", user, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// AddUser creates a user with a password and a home of their own.
func (e *Env) AddUser(t testing.TB, name, password string) {
	t.Helper()
	if _, err := e.Admin.AddUser(context.Background(), name, vfs.UserOptions{Password: password}); err != nil {
		t.Fatalf("add user %s: %v", name, err)
	}
}
