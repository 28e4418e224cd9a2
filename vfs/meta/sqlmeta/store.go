package sqlmeta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"strongroom/vfs/meta"
)

// Options tune a Store. The zero value and nil mean the defaults.
type Options struct {
	// AuditChains is how many audit chains records are spread over; at
	// least 1, which is the default. A database keeps the heads of every
	// chain it has ever had, so lowering it later leaves the records of
	// the higher chains verifiable.
	AuditChains int
}

// Store is a meta.Store over database/sql. It is safe for concurrent use.
type Store struct {
	w, r   *sql.DB
	d      Dialect
	chains int
	// Prepared statements of each handle, when the dialect wants them
	// cached; nil otherwise. rc is wc when both handles are one.
	wc, rc *stmtCache
}

var _ meta.Store = (*Store)(nil)

// New returns a Store over the database reached by writeDB, running View
// transactions on readDB (which may be the same *sql.DB). It brings the
// schema up to date first, and fails if the database's schema is newer
// than d.Migrations. The Store takes ownership of both handles: Close
// closes them, and New closes them when it fails.
func New(ctx context.Context, writeDB, readDB *sql.DB, d Dialect, opts *Options) (*Store, error) {
	s := &Store{w: writeDB, r: readDB, d: d, chains: 1}
	if opts != nil && opts.AuditChains > 0 {
		s.chains = opts.AuditChains
	}

	if d.Classify == nil || d.Migrations == nil {
		s.Close()
		return nil, errors.New("sqlmeta: the dialect needs Classify and Migrations")
	}
	migs, err := loadMigrations(d.Migrations)
	if err != nil {
		s.Close()
		return nil, err
	}
	if err := s.migrate(ctx, migs); err != nil {
		s.Close()
		return nil, err
	}
	// Only now: a statement prepared before a migration could see the
	// schema as it was.
	if d.CacheStatements {
		s.wc, s.rc = newStmtCache(writeDB), newStmtCache(readDB)
		if readDB == writeDB {
			s.rc = s.wc
		}
	}
	return s, nil
}

// Update runs fn in a read-write transaction and commits it if fn returns
// nil. Whatever fn returns is returned unchanged; errors of the database
// itself are classified, so that a lost race reports meta.ErrConflict.
//
// fn must not call the Store. A nested Update waits for the outer one's
// connection on SQLite, which it never gets: it hangs until ctx is done.
// A nested View does not hang, but sees the database as it was before
// the outer transaction.
//
// On PostgreSQL the transaction runs at READ COMMITTED. HasChildren and
// User lock what they read until it ends, so that a decision made on
// them (a folder is empty, a quota has room) still holds when fn writes;
// other reads lock nothing, and a check made on them may be overtaken by
// another transaction before fn writes. On SQLite, writers run one at a
// time and no check can be overtaken.
func (s *Store) Update(ctx context.Context, fn func(meta.Tx) error) error {
	// TODO: a conditional write that checks a node it read with Node or
	// Child (vfs's upload with IfVersion) can lose to a concurrent one on
	// PostgreSQL: both see the old version and both replace it. Fix: a
	// NodeTx method that locks a node for the rest of the transaction
	// (SELECT ... FOR UPDATE), called by vfs before such checks; locking
	// every Node and Child read instead would make every writer in a
	// tenant queue on its top folder.
	sqlTx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return s.classify(err)
	}
	defer sqlTx.Rollback()

	t := &tx{ctx: ctx, tx: sqlTx, s: s, write: true}
	if err := fn(t); err != nil {
		return err
	}
	return s.classify(sqlTx.Commit())
}

// View runs fn in a read-only transaction that sees one snapshot of the
// database. The methods of the Tx that write return an error. fn must not
// call the Store.
func (s *Store) View(ctx context.Context, fn func(meta.Tx) error) error {
	sqlTx, err := s.r.BeginTx(ctx, &sql.TxOptions{Isolation: s.d.ReadIsolation, ReadOnly: true})
	if err != nil {
		return s.classify(err)
	}
	defer sqlTx.Rollback()

	if err := fn(&tx{ctx: ctx, tx: sqlTx, s: s}); err != nil {
		return err
	}
	return s.classify(sqlTx.Commit())
}

// AuditChains reports how many chains new audit records are spread over.
func (s *Store) AuditChains() int { return s.chains }

// Close closes the database handles.
func (s *Store) Close() error {
	for _, c := range []*stmtCache{s.wc, s.rc} {
		if c != nil {
			c.close()
		}
	}
	err := s.w.Close()
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	for _, c := range []*stmtCache{s.wc, s.rc} {
		if c != nil {
			c.wait()
		}
	}
	return err
}

// classify wraps err so that errors.Is finds the meta error kind the
// dialect sees in it, if any. It returns nil for nil.
func (s *Store) classify(err error) error {
	if err == nil {
		return nil
	}
	if kind := s.d.Classify(err); kind != nil && !errors.Is(err, kind) {
		return fmt.Errorf("%w: %w", kind, err)
	}
	return err
}
