package sqlmeta

import (
	"context"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"time"
)

// migrationLockKey is the advisory lock that makes concurrent openers of
// one database apply its migrations one at a time.
const migrationLockKey = 0x5354524d4d494752 // "STRMMIGR"

// A migration is one step of the schema.
type migration struct {
	version int
	name    string // the file name
	sql     string
}

var migrationName = regexp.MustCompile(`^([0-9]{4})_[a-z0-9_]+\.sql$`)

// loadMigrations reads the migrations in fsys, in order, and checks that
// they are numbered from 1 without gaps.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: reading migrations: %w", err)
	}
	var migs []migration
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if e.IsDir() || m == nil {
			return nil, fmt.Errorf("sqlmeta: migration %q is not named NNNN_description.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("sqlmeta: reading migration: %w", err)
		}
		migs = append(migs, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(migs, func(i, j int) bool { return migs[i].version < migs[j].version })
	for i, m := range migs {
		if m.version != i+1 {
			return nil, fmt.Errorf("sqlmeta: migration %s: want version %04d here", m.name, i+1)
		}
	}
	if len(migs) == 0 {
		return nil, fmt.Errorf("sqlmeta: no migrations")
	}
	return migs, nil
}

// migrate applies, in one transaction, the migrations the database lacks
// and makes sure every audit chain has a head.
func (s *Store) migrate(ctx context.Context, migs []migration) error {
	sqlTx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlmeta: opening %s database: %w", s.d.Name, s.classify(err))
	}
	defer sqlTx.Rollback()
	t := &tx{ctx: ctx, tx: sqlTx, s: s}

	if s.d.AdvisoryLock != "" {
		if _, err := t.exec(s.d.AdvisoryLock, int64(migrationLockKey)); err != nil {
			return fmt.Errorf("sqlmeta: locking the schema: %w", err)
		}
	}
	_, err = t.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied BIGINT NOT NULL)`)
	if err != nil {
		return fmt.Errorf("sqlmeta: creating schema_migrations: %w", err)
	}
	var have int
	if err := t.queryRow(`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("sqlmeta: reading the schema version: %w", err)
	}

	// A schema this code does not know may hold rows it would misread.
	if have > len(migs) {
		return fmt.Errorf("sqlmeta: the %s database's schema is at version %d, but this program knows versions up to %d; run the newer Strongroom that upgraded it, or restore a backup taken before the upgrade",
			s.d.Name, have, len(migs))
	}
	for _, m := range migs[have:] {
		if _, err := t.exec(m.sql); err != nil {
			return fmt.Errorf("sqlmeta: applying migration %s: %w", m.name, err)
		}
		_, err := t.exec(`INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)`,
			m.version, m.name, time.Now().UnixNano())
		if err != nil {
			return fmt.Errorf("sqlmeta: recording migration %s: %w", m.name, err)
		}
	}

	for c := 0; c < s.chains; c++ {
		_, err := t.exec(`INSERT INTO audit_heads (chain, seq, hash) VALUES (?, 0, NULL)
			ON CONFLICT (chain) DO NOTHING`, c)
		if err != nil {
			return fmt.Errorf("sqlmeta: creating audit chain %d: %w", c, err)
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("sqlmeta: committing the schema: %w", s.classify(err))
	}
	return nil
}
