// Package pgmeta opens the metadata store in a PostgreSQL database, which
// several gateway nodes can share. It talks to PostgreSQL through pgx's
// database/sql driver, so that every query is the one package sqlmeta
// also runs on SQLite.
//
// Write transactions run at READ COMMITTED and lock the rows whose order
// matters: an audit chain's head, the folder a node goes into, the
// subtree being deleted, the node being moved. Audit records are spread
// over Options.AuditChains chains (16 by default), so that sessions
// writing at once mostly lock different heads. A transaction that loses a
// deadlock or a serialization check fails with meta.ErrConflict.
//
// # Security
//
// The URL's password is never part of an error Open returns. Use
// sslmode=verify-full for a server that is not on the same host.
package pgmeta

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"strongroom/vfs/meta"
	"strongroom/vfs/meta/sqlmeta"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Options tune Open. The zero value and nil mean the defaults.
type Options struct {
	// AuditChains is how many audit chains records are spread over; the
	// default is 16.
	AuditChains int

	// Schema, if set, is the schema the store's tables live in, created
	// if missing; it is put first in the search path of every
	// connection. Empty means the search path the URL or the server
	// gives, normally "public".
	Schema string

	// MaxConns bounds the connections to the server; the default is 16.
	MaxConns int
}

// Open connects to the PostgreSQL database at url (a postgres:// URL or
// a key=value string, as libpq takes) and brings its schema up to date.
// The Store's Close closes the connections.
func Open(ctx context.Context, url string, opts *Options) (*sqlmeta.Store, error) {
	o := Options{AuditChains: 16, MaxConns: 16}
	if opts != nil {
		o.Schema = opts.Schema
		if opts.AuditChains > 0 {
			o.AuditChains = opts.AuditChains
		}
		if opts.MaxConns > 0 {
			o.MaxConns = opts.MaxConns
		}
	}

	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// The parser's message quotes the URL, password and all.
		return nil, errors.New("pgmeta: the database URL is not valid; want postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=...]")
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	if o.Schema != "" {
		cfg.RuntimeParams["search_path"] = pgx.Identifier{o.Schema}.Sanitize()
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(o.MaxConns)
	db.SetMaxIdleConns(o.MaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)

	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, connectError(cfg, err)
	}
	if o.Schema != "" {
		if _, err := db.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{o.Schema}.Sanitize()); err != nil {
			db.Close()
			return nil, fmt.Errorf("pgmeta: creating schema %q: %w", o.Schema, err)
		}
	}
	store, err := sqlmeta.New(ctx, db, db, dialect(), &sqlmeta.Options{AuditChains: o.AuditChains})
	if err != nil {
		return nil, fmt.Errorf("pgmeta: database %q on %s: %w", cfg.Database, hostPort(cfg), err)
	}
	return store, nil
}

// connectError explains a failed first connection in one message that
// names the server, the database and the user, and says what to check.
// It leaves out the password, and the layers of pgx's own message that
// would repeat the rest.
func connectError(cfg *pgx.ConnConfig, err error) error {
	cause := err
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) && ce.Unwrap() != nil {
		cause = ce.Unwrap()
	}
	hint := "check that PostgreSQL runs there and accepts TCP connections, and the URL's host and port"
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "28P01", "28000":
			hint = "check the user name and password in the URL, and the server's pg_hba.conf"
		case "3D000":
			hint = "create the database, or fix its name in the URL"
		}
		cause = pe
	}
	return fmt.Errorf("pgmeta: cannot connect to database %q on %s as user %q: %v; %s",
		cfg.Database, hostPort(cfg), cfg.User, cause, hint)
}

func hostPort(cfg *pgx.ConnConfig) string {
	return net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
}

// dialect returns what sqlmeta needs to know of PostgreSQL.
func dialect() sqlmeta.Dialect {
	migs, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the embedded folder is there at build time
	}
	return sqlmeta.Dialect{
		Name:          "postgres",
		Numbered:      true,
		RowLocks:      true,
		AbortsOnError: true,
		AdvisoryLock:  "SELECT pg_advisory_xact_lock(?)",
		ReadIsolation: sql.LevelRepeatableRead,
		Classify:      classify,
		Migrations:    migs,
	}
}

// classify maps PostgreSQL's SQLSTATE codes to meta's error kinds.
func classify(err error) error {
	var e *pgconn.PgError
	if !errors.As(err, &e) {
		return nil
	}
	switch e.Code {
	case "23505": // unique_violation
		return meta.ErrExists
	case "23503": // foreign_key_violation
		return meta.ErrNotFound
	case "40001", "40P01": // serialization_failure, deadlock_detected
		return meta.ErrConflict
	}
	return nil
}
