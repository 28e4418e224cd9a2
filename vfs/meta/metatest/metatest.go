// Package metatest is the conformance suite for meta.Store. Every
// implementation runs it, so that the embedded and the production stores
// are held to one behaviour:
//
//	func TestConformance(t *testing.T) {
//		metatest.Run(t, func(t *testing.T) meta.Store { return openEmpty(t) })
//	}
//
// The suite also offers BenchmarkAppendAudit for a back end's benchmarks.
package metatest

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"strongroom/vfs/meta"
)

// A SQLExecer is a Store the suite can change behind its back, to check
// that tampering with the audit trail is found. ExecSQL runs one
// statement outside any transaction. The suite's statements use no
// placeholders and only SQL that SQLite and PostgreSQL share. A Store that
// is not a SQLExecer skips those checks.
type SQLExecer interface {
	ExecSQL(query string) error
}

// suite holds what every test needs: a way to open a fresh, empty store.
type suite struct {
	open func(t *testing.T) meta.Store
}

// Run runs the conformance suite. open must return a new, empty Store,
// with the root folder only, each time it is called, and close it when
// the test ends (t.Cleanup). Tests that take long (a folder of 100,000
// entries) are skipped with -short.
func Run(t *testing.T, open func(t *testing.T) meta.Store) {
	su := suite{open: open}
	tests := []struct {
		name string
		fn   func(*testing.T)
	}{
		{"Root", su.testRoot},
		{"Nodes", su.testNodes},
		{"NodeErrors", su.testNodeErrors},
		{"ErrorsKeepTransactionUsable", su.testErrorsKeepTxUsable},
		{"RecreateAfterDelete", su.testRecreateAfterDelete},
		{"ChildrenOrderAndPaging", su.testChildrenOrder},
		{"Move", su.testMove},
		{"Ancestors", su.testAncestors},
		{"DeleteSubtree", su.testDeleteSubtree},
		{"Versions", su.testVersions},
		{"InlineContent", su.testInline},
		{"TimesRoundTrip", su.testTimes},
		{"SuspendedUploads", su.testSuspended},
		{"Tenants", su.testTenants},
		{"Users", su.testUsers},
		{"Groups", su.testGroups},
		{"SSHKeys", su.testSSHKeys},
		{"AppTokens", su.testAppTokens},
		{"Grants", su.testGrants},
		{"PolicyGeneration", su.testPolicyGeneration},
		{"AuditChains", su.testAuditChains},
		{"AuditFilter", su.testAuditFilter},
		{"AuditBatches", su.testAuditBatches},
		{"AuditTamper", su.testAuditTamper},
		{"Locks", su.testLocks},
		{"LocksAt", su.testLocksAt},
		{"Props", su.testProps},
		{"Rollback", su.testRollback},
		{"ViewIsReadOnly", su.testViewReadOnly},
		{"NestedView", su.testNestedView},
		{"ConcurrentUpdates", su.testConcurrentUpdates},
		{"SameNameRace", su.testSameNameRace},
		{"LargeFolder", su.testLargeFolder},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.fn)
	}
}

// t0 is the time the suite's records are made at. Its nanoseconds check
// that times are stored exactly.
var t0 = time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.UTC)

// update runs fn in a write transaction and fails the test if it fails.
func update(t *testing.T, s meta.Store, fn func(meta.Tx) error) {
	t.Helper()
	if err := s.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// view runs fn in a read transaction and fails the test if it fails.
func view(t *testing.T, s meta.Store, fn func(meta.Tx) error) {
	t.Helper()
	if err := s.View(t.Context(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// retry runs an Update again while it reports meta.ErrConflict, a
// bounded number of times, and counts the conflicts in conflicts unless
// that is nil.
func retry(s meta.Store, t testing.TB, conflicts *atomic.Int64, fn func(meta.Tx) error) error {
	var err error
	for range 100 {
		err = s.Update(t.Context(), fn)
		if !errors.Is(err, meta.ErrConflict) {
			return err
		}
		if conflicts != nil {
			conflicts.Add(1)
		}
	}
	return err
}

// wantErr fails the test unless err is want (by errors.Is), or, for a nil
// want, unless err is nil.
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Errorf("%s: got error %v, want none", what, err)
	case want != nil && !errors.Is(err, want):
		t.Errorf("%s: got error %v, want %v", what, err, want)
	}
}
