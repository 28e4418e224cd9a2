package pgmeta_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"strongroom/internal/testenv"
	"strongroom/vfs/meta"
	"strongroom/vfs/meta/metatest"
	"strongroom/vfs/meta/pgmeta"
	"strongroom/vfs/meta/sqlmeta"
)

// rawStore is a Store with a connection of its own to the same schema,
// for the suite's tampering checks.
type rawStore struct {
	*sqlmeta.Store
	raw *sql.DB
}

func (s rawStore) ExecSQL(query string) error {
	_, err := s.raw.Exec(query)
	return err
}

// rawDB connects to the test database with schema first in the search
// path, closed when tb ends.
func rawDB(tb testing.TB, dbURL, schema string) *sql.DB {
	tb.Helper()
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		tb.Fatalf("ParseConfig: %v", err)
	}
	if schema != "" {
		cfg.RuntimeParams["search_path"] = pgx.Identifier{schema}.Sanitize()
	}
	db := stdlib.OpenDB(*cfg)
	tb.Cleanup(func() { db.Close() })
	return db
}

// newSchema names a schema of the test's own, and drops it when tb ends.
func newSchema(tb testing.TB, dbURL string) string {
	tb.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "strongroom_test_" + hex.EncodeToString(b)
	admin := rawDB(tb, dbURL, "")
	tb.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA IF EXISTS " + pgx.Identifier{schema}.Sanitize() + " CASCADE"); err != nil {
			tb.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	return schema
}

func openSchema(tb testing.TB, dbURL, schema string, chains int) *sqlmeta.Store {
	tb.Helper()
	s, err := pgmeta.Open(context.Background(), dbURL, &pgmeta.Options{Schema: schema, AuditChains: chains})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func openEmpty(tb testing.TB, chains int) meta.Store {
	dbURL := testenv.Postgres(tb)
	schema := newSchema(tb, dbURL)
	s := openSchema(tb, dbURL, schema, chains)
	return rawStore{s, rawDB(tb, dbURL, schema)}
}

func TestConformance(t *testing.T) {
	metatest.Run(t, func(t *testing.T) meta.Store { return openEmpty(t, 0) })
}

func BenchmarkAppendAudit(b *testing.B) {
	metatest.BenchmarkAppendAudit(b, openEmpty, 1, 16)
}

func TestDefaults(t *testing.T) {
	s := openEmpty(t, 0)
	if got := s.AuditChains(); got != 16 {
		t.Errorf("AuditChains: got %d, want 16", got)
	}
}

func TestNewerSchema(t *testing.T) {
	dbURL := testenv.Postgres(t)
	schema := newSchema(t, dbURL)
	s, err := pgmeta.Open(t.Context(), dbURL, &pgmeta.Options{Schema: schema})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	s.Close()
	_, err = rawDB(t, dbURL, schema).Exec(`INSERT INTO schema_migrations (version, name, applied) VALUES (999, '0999_future.sql', 0)`)
	if err != nil {
		t.Fatalf("recording a future migration: %v", err)
	}

	s, err = pgmeta.Open(t.Context(), dbURL, &pgmeta.Options{Schema: schema})
	if err == nil {
		s.Close()
		t.Fatal("Open of a database from a newer program: got no error, want one")
	}
	if !strings.Contains(err.Error(), "version 999") {
		t.Errorf("Open: got %q, want an error naming version 999", err)
	}
}

func TestReopen(t *testing.T) {
	dbURL := testenv.Postgres(t)
	schema := newSchema(t, dbURL)
	s := openSchema(t, dbURL, schema, 2)
	n := &meta.Node{ParentID: meta.RootID, Name: "kept", IsDir: true}
	if err := s.Update(t.Context(), func(tx meta.Tx) error { return tx.CreateNode(n) }); err != nil {
		t.Fatalf("Update: %v", err)
	}
	s.Close()

	s = openSchema(t, dbURL, schema, 4)
	err := s.View(t.Context(), func(tx meta.Tx) error {
		got, err := tx.Child(meta.RootID, "kept")
		if err != nil || got.ID != n.ID {
			t.Errorf("Child after reopening: got %+v, %v; want node %d", got, err, n.ID)
		}
		heads, err := tx.AuditHeads()
		if err != nil || len(heads) != 4 {
			t.Errorf("AuditHeads after reopening with 4 chains: got %d, %v; want 4", len(heads), err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("View: %v", err)
	}
}

// refuser listens on loopback and hangs up on whoever connects: a server
// that is not PostgreSQL.
func refuser(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln.Addr().String()
}

func TestOpenErrors(t *testing.T) {
	const password = "s3cret-pw"
	dbURL := testenv.Postgres(t)
	noDB, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	noDB.Path = "/strongroom_no_such_db"
	noDB.User = url.UserPassword(noDB.User.Username(), password)
	addr := refuser(t)

	tests := []struct {
		name string
		url  string
		want []string // in the message
	}{
		{"not PostgreSQL", fmt.Sprintf("postgres://ann:%s@%s/appdb?sslmode=disable&connect_timeout=5", password, addr),
			[]string{`database "appdb"`, addr, `user "ann"`, "check that PostgreSQL runs there"}},
		{"no such database", noDB.String(),
			[]string{`database "strongroom_no_such_db"`, noDB.Host, "create the database"}},
		{"bad URL", "postgres://ann:" + password + "@[::1/x", []string{"URL is not valid"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := pgmeta.Open(t.Context(), tc.url, nil)
			if err == nil {
				s.Close()
				t.Fatal("Open: got no error, want one")
			}
			msg := err.Error()
			t.Logf("Open: %s", msg)
			if strings.Contains(msg, password) {
				t.Errorf("Open: got %q, which shows the password", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("Open: got %q, want it to say %q", msg, w)
				}
			}
		})
	}
}
