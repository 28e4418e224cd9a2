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

// Embedded returns a filesystem on the embedded default: SQLite and a
// local folder in a temporary directory, with encryption at rest.
func Embedded(t testing.TB) *Env {
	t.Helper()
	dir := t.TempDir()
	m, err := sqlitemeta.Open(filepath.Join(dir, "strongroom.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := diskblob.Open(filepath.Join(dir, "blobs"), &diskblob.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	return newEnv(t, "embedded", dir, m, b)
}

// Production returns a filesystem on PostgreSQL, in a schema of its own,
// and S3, under a prefix of its own, with encryption at rest. Both are
// removed when the test ends.
func Production(t testing.TB) *Env {
	t.Helper()
	pgURL, s3URL := testenv.Postgres(t), testenv.S3(t)
	ctx := context.Background()
	suffix := blob.NewKey()[:12]

	schema := "vfstest_" + suffix
	m, err := pgmeta.Open(ctx, pgURL, &pgmeta.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dropSchema(t, pgURL, schema) })

	b, err := s3blob.OpenURL(ctx, s3URL, &s3blob.Options{
		CreateBucket: true, Prefix: "vfstest-" + suffix + "/",
		Credentials: s3blob.CredentialsFromEnv(os.Getenv),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emptyBlobs(b) })
	return newEnv(t, "production", t.TempDir(), m, b)
}

func newEnv(t testing.TB, name, dir string, m meta.Store, base blob.Store) *Env {
	key, err := cryptblob.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	kr, err := cryptblob.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	b := cryptblob.New(base, kr)
	fs := vfs.New(m, b, &vfs.Options{KeyID: key.ID()})
	// Closing the store on cleanup comes after every session's cleanup,
	// which t.Cleanup runs first (last registered, first run).
	t.Cleanup(func() {
		b.Close()
		m.Close()
	})
	return &Env{
		Name: name, FS: fs, Meta: m, Blobs: b, Dir: dir,
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
