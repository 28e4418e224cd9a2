package sqlitemeta_test

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"strongroom/vfs/meta"
	"strongroom/vfs/meta/metatest"
	"strongroom/vfs/meta/sqlitemeta"
	"strongroom/vfs/meta/sqlmeta"
)

// rawStore is a Store with a connection of its own to the same file, for
// the suite's tampering checks.
type rawStore struct {
	*sqlmeta.Store
	raw *sql.DB
}

func (s rawStore) ExecSQL(query string) error {
	_, err := s.raw.Exec(query)
	return err
}

// openFile opens the store in the file at path, closed when tb ends.
func openFile(tb testing.TB, path string, opts *sqlitemeta.Options) *sqlmeta.Store {
	tb.Helper()
	s, err := sqlitemeta.Open(path, opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func openEmpty(tb testing.TB, chains int) meta.Store {
	path := filepath.Join(tb.TempDir(), "meta.db")
	s := openFile(tb, path, &sqlitemeta.Options{AuditChains: chains})
	raw, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		tb.Fatalf("sql.Open: %v", err)
	}
	tb.Cleanup(func() { raw.Close() })
	return rawStore{s, raw}
}

func TestConformance(t *testing.T) {
	metatest.Run(t, func(t *testing.T) meta.Store { return openEmpty(t, 0) })
}

func BenchmarkAppendAudit(b *testing.B) {
	metatest.BenchmarkAppendAudit(b, openEmpty)
}

func TestFileMode(t *testing.T) {
	tests := []struct {
		name   string
		before os.FileMode // mode of a file there before Open, or 0 for none
	}{
		{"new file", 0},
		{"existing file readable by others", 0o644},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "meta.db")
			if tc.before != 0 {
				if err := os.WriteFile(path, nil, tc.before); err != nil {
					t.Fatal(err)
				}
				os.Chmod(path, tc.before) // past the umask
			}
			s := openFile(t, path, nil)
			err := s.Update(t.Context(), func(tx meta.Tx) error {
				return tx.CreateNode(&meta.Node{ParentID: meta.RootID, Name: "x"})
			})
			if err != nil {
				t.Fatalf("Update: %v", err)
			}
			for _, p := range []string{path, path + "-wal", path + "-shm"} {
				fi, err := os.Stat(p)
				if err != nil {
					t.Fatalf("Stat: %v", err)
				}
				if got := fi.Mode().Perm(); got != 0o600 {
					t.Errorf("mode of %s: got %v, want %v", filepath.Base(p), got, os.FileMode(0o600))
				}
			}
		})
	}
}

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	s, err := sqlitemeta.Open(path, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	n := &meta.Node{ParentID: meta.RootID, Name: "kept", IsDir: true}
	if err := s.Update(t.Context(), func(tx meta.Tx) error { return tx.CreateNode(n) }); err != nil {
		t.Fatalf("Update: %v", err)
	}
	s.Close()

	s = openFile(t, path, &sqlitemeta.Options{AuditChains: 3})
	err = s.View(t.Context(), func(tx meta.Tx) error {
		got, err := tx.Child(meta.RootID, "kept")
		if err != nil || got.ID != n.ID {
			t.Errorf("Child after reopening: got %+v, %v; want node %d", got, err, n.ID)
		}
		heads, err := tx.AuditHeads()
		if err != nil || len(heads) != 3 {
			t.Errorf("AuditHeads after reopening with 3 chains: got %d, %v; want 3", len(heads), err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("View: %v", err)
	}
}

func TestNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	s, err := sqlitemeta.Open(path, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	s.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = raw.Exec(`INSERT INTO schema_migrations (version, name, applied) VALUES (999, '0999_future.sql', 0)`)
	raw.Close()
	if err != nil {
		t.Fatalf("recording a future migration: %v", err)
	}

	s, err = sqlitemeta.Open(path, nil)
	if err == nil {
		s.Close()
		t.Fatal("Open of a database from a newer program: got no error, want one")
	}
	if !strings.Contains(err.Error(), "version 999") {
		t.Errorf("Open: got %q, want an error naming version 999", err)
	}
}

// TestPathCharacters opens databases whose paths hold characters that
// mean something in a URI.
func TestPathCharacters(t *testing.T) {
	for _, name := range []string{"a b.db", "q?x=1.db", "hash#1.db", "pct%41.db", "ä.db"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			openFile(t, path, nil)
			if _, err := os.Stat(path); err != nil {
				t.Errorf("Stat(%q) after Open: %v", name, err)
			}
		})
	}
}

// TestTwoHandles opens one file twice, as the admin command beside the
// server does, and writes through both at once: each waits for the
// other's write lock instead of failing.
func TestTwoHandles(t *testing.T) {
	const each = 50
	path := filepath.Join(t.TempDir(), "meta.db")
	stores := []*sqlmeta.Store{openFile(t, path, nil), openFile(t, path, nil)}
	var wg sync.WaitGroup
	errs := make([]error, len(stores))
	for i, s := range stores {
		wg.Go(func() {
			for j := range each {
				err := s.Update(t.Context(), func(tx meta.Tx) error {
					return tx.CreateNode(&meta.Node{ParentID: meta.RootID, Name: fmt.Sprintf("h%d-%d", i, j)})
				})
				if err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("Update through two handles: %v", err)
	}
	err := stores[0].View(t.Context(), func(tx meta.Tx) error {
		kids, err := tx.Children(meta.RootID, "", 0)
		if err == nil && len(kids) != 2*each {
			t.Errorf("Children: got %d, want %d", len(kids), 2*each)
		}
		return err
	})
	if err != nil {
		t.Fatalf("View: %v", err)
	}
}
