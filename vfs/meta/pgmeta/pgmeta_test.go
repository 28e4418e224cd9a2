package pgmeta_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"strongroom/internal/testenv"
	"strongroom/policy"
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

// holdOpen runs fn in an Update in a goroutine of its own and keeps the
// transaction open, after fn returns, until release is called. It returns
// once fn has returned; the Update's result arrives on done.
func holdOpen(t *testing.T, s meta.Store, fn func(meta.Tx) error) (release func(), done <-chan error) {
	t.Helper()
	ran, hold, result := make(chan error, 1), make(chan struct{}), make(chan error, 1)
	var once sync.Once
	release = func() { once.Do(func() { close(hold) }) }
	t.Cleanup(release) // before the store closes
	go func() {
		result <- s.Update(context.Background(), func(tx meta.Tx) error {
			err := fn(tx)
			ran <- err
			if err != nil {
				return err
			}
			<-hold
			return nil
		})
	}()
	if err := <-ran; err != nil {
		t.Fatalf("the transaction held open: %v", err)
	}
	return release, result
}

// start runs fn in an Update in a goroutine of its own; its result
// arrives on the channel returned.
func start(s meta.Store, fn func(meta.Tx) error) <-chan error {
	result := make(chan error, 1)
	go func() { result <- s.Update(context.Background(), fn) }()
	return result
}

// waitBlocked returns once a backend waits for a lock while running a
// statement that contains marker, and fails the test if done delivers
// first: the transaction under test finished instead of waiting.
func waitBlocked(t *testing.T, raw *sql.DB, marker string, done <-chan error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		select {
		case err := <-done:
			t.Fatalf("the second transaction finished (error %v) while the first held its locks; want it to wait", err)
		default:
		}
		var n int
		err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid() AND position($1 in query) > 0`, marker).Scan(&n)
		if err == nil && n > 0 {
			return
		}
	}
	t.Fatalf("the second transaction neither finished nor waited for a lock in 30s")
}

// TestDeleteAgainstCreate checks the row locks that keep a node from
// being left live in a folder a concurrent transaction deletes, in
// either order. (SQLite runs one writer at a time, so there the question
// does not arise.)
func TestDeleteAgainstCreate(t *testing.T) {
	setup := func(t *testing.T) (meta.Store, *sql.DB, *meta.Node, *meta.Node) {
		dbURL := testenv.Postgres(t)
		schema := newSchema(t, dbURL)
		s := openSchema(t, dbURL, schema, 0)
		top := &meta.Node{ParentID: meta.RootID, Name: "top", IsDir: true}
		sub := &meta.Node{Name: "sub", IsDir: true}
		err := s.Update(t.Context(), func(tx meta.Tx) error {
			if err := tx.CreateNode(top); err != nil {
				return err
			}
			sub.ParentID = top.ID
			return tx.CreateNode(sub)
		})
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		return s, rawDB(t, dbURL, schema), top, sub
	}

	t.Run("create first", func(t *testing.T) {
		s, raw, top, sub := setup(t)
		late := &meta.Node{ParentID: sub.ID, Name: "late"}
		release, created := holdOpen(t, s, func(tx meta.Tx) error { return tx.CreateNode(late) })
		deleted := start(s, func(tx meta.Tx) error { return tx.DeleteNode(top.ID, time.Unix(1, 0)) })
		waitBlocked(t, raw, "FOR UPDATE) locked", deleted)
		release()
		if err := <-created; err != nil {
			t.Fatalf("create: %v", err)
		}
		if err := <-deleted; err != nil {
			t.Fatalf("delete: %v", err)
		}
		err := s.View(t.Context(), func(tx meta.Tx) error {
			n, err := tx.Node(late.ID)
			if err == nil && !n.Deleted {
				t.Errorf("node created in the folder while it was being deleted: got live, want deleted with it")
			}
			return err
		})
		if err != nil {
			t.Fatalf("View: %v", err)
		}
	})

	t.Run("delete first", func(t *testing.T) {
		s, raw, top, sub := setup(t)
		release, deleted := holdOpen(t, s, func(tx meta.Tx) error { return tx.DeleteNode(top.ID, time.Unix(1, 0)) })
		created := start(s, func(tx meta.Tx) error { return tx.CreateNode(&meta.Node{ParentID: sub.ID, Name: "late"}) })
		waitBlocked(t, raw, "FOR KEY SHARE", created)
		release()
		if err := <-deleted; err != nil {
			t.Fatalf("delete: %v", err)
		}
		if err := <-created; !errors.Is(err, meta.ErrNotFound) {
			t.Errorf("create in a folder deleted meanwhile: got %v, want %v", err, meta.ErrNotFound)
		}
	})
}

// TestCrossedMoves makes two folder moves at once that together would
// cut a cycle off from the root: with a/w and z/y, a goes below y while z
// goes below w. They lock no row in common, so only the advisory lock
// makes the second wait, and then see the first and be refused.
func TestCrossedMoves(t *testing.T) {
	dbURL := testenv.Postgres(t)
	schema := newSchema(t, dbURL)
	s := openSchema(t, dbURL, schema, 0)
	raw := rawDB(t, dbURL, schema)
	nodes := map[string]*meta.Node{}
	err := s.Update(t.Context(), func(tx meta.Tx) error {
		for _, p := range [][2]string{{"", "a"}, {"a", "w"}, {"", "z"}, {"z", "y"}} {
			parent := int64(meta.RootID)
			if p[0] != "" {
				parent = nodes[p[0]].ID
			}
			n := &meta.Node{ParentID: parent, Name: p[1], IsDir: true}
			if err := tx.CreateNode(n); err != nil {
				return err
			}
			nodes[p[1]] = n
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	a, w, z, y := nodes["a"], nodes["w"], nodes["z"], nodes["y"]

	release, first := holdOpen(t, s, func(tx meta.Tx) error { return tx.MoveNode(a.ID, y.ID, "a") })
	second := start(s, func(tx meta.Tx) error { return tx.MoveNode(z.ID, w.ID, "z") })
	waitBlocked(t, raw, "pg_advisory_xact_lock", second)
	release()
	if err := <-first; err != nil {
		t.Fatalf("first move: %v", err)
	}
	if err := <-second; err == nil {
		t.Errorf("second move, into a folder the first put below it: got no error, want one")
	}

	err = s.View(t.Context(), func(tx meta.Tx) error {
		up, err := tx.Ancestors(w.ID)
		if want := []int64{meta.RootID, z.ID, y.ID, a.ID}; err == nil && !slices.Equal(up, want) {
			t.Errorf("Ancestors(w): got %v, want %v", up, want)
		}
		return err
	})
	if err != nil {
		t.Fatalf("View: %v", err)
	}
}

// TestReadLocks checks the reads whose answer holds until the write
// transaction ends: HasChildren against a new child, User against
// another transaction of the same user.
func TestReadLocks(t *testing.T) {
	setup := func(t *testing.T) (meta.Store, *sql.DB, *meta.Node, *policy.User) {
		dbURL := testenv.Postgres(t)
		schema := newSchema(t, dbURL)
		s := openSchema(t, dbURL, schema, 0)
		dir := &meta.Node{ParentID: meta.RootID, Name: "dir", IsDir: true}
		u := &policy.User{Name: "ann", QuotaBytes: 100}
		err := s.Update(t.Context(), func(tx meta.Tx) error {
			if err := tx.CreateNode(dir); err != nil {
				return err
			}
			return tx.CreateUser(u)
		})
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		return s, rawDB(t, dbURL, schema), dir, u
	}

	t.Run("HasChildren then create", func(t *testing.T) {
		s, raw, dir, _ := setup(t)
		release, checked := holdOpen(t, s, func(tx meta.Tx) error {
			has, err := tx.HasChildren(dir.ID)
			if err == nil && has {
				err = fmt.Errorf("HasChildren of an empty folder: got true")
			}
			return err
		})
		created := start(s, func(tx meta.Tx) error { return tx.CreateNode(&meta.Node{ParentID: dir.ID, Name: "late"}) })
		waitBlocked(t, raw, "FOR KEY SHARE", created)
		release()
		if err := <-checked; err != nil {
			t.Fatalf("check: %v", err)
		}
		if err := <-created; err != nil {
			t.Errorf("create after the check committed: %v", err)
		}
	})

	t.Run("create then HasChildren", func(t *testing.T) {
		s, raw, dir, _ := setup(t)
		release, created := holdOpen(t, s, func(tx meta.Tx) error {
			return tx.CreateNode(&meta.Node{ParentID: dir.ID, Name: "early"})
		})
		var has bool
		checked := start(s, func(tx meta.Tx) error {
			var err error
			has, err = tx.HasChildren(dir.ID)
			return err
		})
		waitBlocked(t, raw, "FOR UPDATE", checked)
		release()
		if err := <-created; err != nil {
			t.Fatalf("create: %v", err)
		}
		if err := <-checked; err != nil || !has {
			t.Errorf("HasChildren after a create committed: got %v, %v; want true", has, err)
		}
	})

	t.Run("User then User", func(t *testing.T) {
		s, raw, _, u := setup(t)
		release, first := holdOpen(t, s, func(tx meta.Tx) error {
			if _, err := tx.User(u.ID); err != nil {
				return err
			}
			return tx.AddUsedBytes(u.ID, 60)
		})
		var seen int64
		second := start(s, func(tx meta.Tx) error {
			got, err := tx.User(u.ID)
			if err == nil {
				seen = got.UsedBytes
			}
			return err
		})
		waitBlocked(t, raw, "FROM users", second)
		release()
		if err := <-first; err != nil {
			t.Fatalf("first: %v", err)
		}
		if err := <-second; err != nil || seen != 60 {
			t.Errorf("User after the first committed: got used %d, %v; want 60", seen, err)
		}
	})
}
