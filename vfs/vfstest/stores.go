package vfstest

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", to drop test schemas

	"strongroom/internal/testenv"
	"strongroom/vfs"
	"strongroom/vfs/blob"
	"strongroom/vfs/blob/cryptblob"
	"strongroom/vfs/blob/diskblob"
	"strongroom/vfs/blob/s3blob"
	"strongroom/vfs/meta"
	"strongroom/vfs/meta/pgmeta"
	"strongroom/vfs/meta/sqlitemeta"
)

// A spec says which stores an Env uses, so that another process (a
// crash test's child) can open the same ones.
type spec struct {
	Kind   string // "embedded" or "production"
	Dir    string // scratch folder; the embedded stores live in it
	Schema string // PostgreSQL schema
	Prefix string // S3 key prefix
	Key    string // master key, encoded
}

// Embedded returns a filesystem on the embedded default: SQLite and a
// local folder in a temporary directory, written and read with direct I/O
// where its filesystem allows, with encryption at rest.
func Embedded(t testing.TB) *Env {
	t.Helper()
	return open(t, newSpec(t, "embedded"))
}

// Production returns a filesystem on PostgreSQL, in a schema of its own,
// and S3, under a prefix of its own, with encryption at rest. Both are
// removed when the test ends.
func Production(t testing.TB) *Env {
	t.Helper()
	sp := newSpec(t, "production")
	env := open(t, sp)
	pgURL := testenv.Postgres(t)
	t.Cleanup(func() {
		emptyBlobs(env.Base.(*s3blob.Store))
		dropSchema(t, pgURL, sp.Schema)
	})
	return env
}

func newSpec(t testing.TB, kind string) spec {
	key, err := cryptblob.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	suffix := blob.NewKey()[:12]
	return spec{Kind: kind, Dir: t.TempDir(), Schema: "vfstest_" + suffix, Prefix: "vfstest-" + suffix + "/", Key: key.Encode()}
}

// open opens the stores sp names, and closes them when the test ends.
func open(t testing.TB, sp spec) *Env {
	t.Helper()
	var m meta.Store
	var base blob.Store
	var err error
	if sp.Kind == "embedded" {
		if m, err = sqlitemeta.Open(filepath.Join(sp.Dir, "strongroom.db"), nil); err != nil {
			t.Fatal(err)
		}
		if base, err = diskblob.Open(filepath.Join(sp.Dir, "blobs"), &diskblob.Options{Create: true, DirectIO: true}); err != nil {
			t.Fatal(err)
		}
	} else {
		ctx := context.Background()
		if m, err = pgmeta.Open(ctx, testenv.Postgres(t), &pgmeta.Options{Schema: sp.Schema}); err != nil {
			t.Fatal(err)
		}
		base, err = s3blob.OpenURL(ctx, testenv.S3(t), &s3blob.Options{
			CreateBucket: true, Prefix: sp.Prefix, Credentials: s3blob.CredentialsFromEnv(os.Getenv),
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	key, err := cryptblob.ParseKey(sp.Key)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := cryptblob.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	b := cryptblob.New(base, kr)
	fs := vfs.New(m, b, &vfs.Options{KeyID: key.ID(), ClearBlobs: base})
	// Registered before any session's cleanup, so it runs after them.
	t.Cleanup(func() {
		b.Close()
		m.Close()
	})
	return &Env{
		Name: sp.Kind, FS: fs, Meta: m, Blobs: b, Base: base, KeyID: key.ID(), Dir: sp.Dir, spec: sp,
		Admin: fs.Admin("cli:test", 0, vfs.SessionInfo{Protocol: "cli", SessionID: "vfstest"}),
	}
}

func dropSchema(t testing.TB, url, schema string) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Errorf("drop schema: %v", err)
		return
	}
	defer db.Close()
	if _, err := db.Exec(`DROP SCHEMA IF EXISTS "` + schema + `" CASCADE`); err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
	}
}

func emptyBlobs(b *s3blob.Store) {
	ctx := context.Background()
	var keys []string
	b.Walk(ctx, func(key string, _ time.Time) error {
		keys = append(keys, key)
		return nil
	})
	for _, k := range keys {
		b.Delete(ctx, k)
	}
	b.RemoveIncompleteUploads(ctx, time.Now().Add(time.Hour))
}
