// Package sqlitemeta opens the embedded metadata store: a SQLite database
// in one file, through the pure-Go driver modernc.org/sqlite. It is the
// default for a single gateway node; several nodes share a PostgreSQL
// database instead (package pgmeta).
//
// The database runs in WAL mode with synchronous=FULL, so that a committed
// transaction survives a power cut, and with foreign keys enforced. Writes
// go through one connection and take the write lock when they begin
// (BEGIN IMMEDIATE); reads use a pool of their own and proceed beside a
// writer. Another process, such as the admin command run beside the
// server, may open the same file: it waits up to BusyTimeout for the
// write lock, and a transaction that still cannot get it fails with
// meta.ErrConflict.
//
// # Security
//
// The file, and the -wal and -shm files beside it, are readable and
// writable by their owner only. Open tightens the mode of an existing
// file that others can read. The folder that holds them should be private
// too.
package sqlitemeta

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"strongroom/vfs/meta"
	"strongroom/vfs/meta/sqlmeta"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Options tune Open. The zero value and nil mean the defaults.
type Options struct {
	// AuditChains is how many audit chains records are spread over.
	// The default is 1: SQLite has one writer at a time, so more chains
	// would not let appends run side by side.
	AuditChains int

	// Readers is how many connections serve View transactions; the
	// default is 4.
	Readers int

	// BusyTimeout is how long a transaction waits for a lock that another
	// process holds; the default is 10 seconds.
	BusyTimeout time.Duration
}

// Open opens, and creates if need be, the database in the file at path,
// and brings its schema up to date. The Store's Close closes the file.
func Open(path string, opts *Options) (*sqlmeta.Store, error) {
	o := Options{Readers: 4, BusyTimeout: 10 * time.Second}
	if opts != nil {
		o.AuditChains = opts.AuditChains
		if opts.Readers > 0 {
			o.Readers = opts.Readers
		}
		if opts.BusyTimeout > 0 {
			o.BusyTimeout = opts.BusyTimeout
		}
	}

	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlitemeta: %w", err)
	}
	if err := createPrivate(abs); err != nil {
		return nil, err
	}

	w, err := sql.Open("sqlite", writeDSN(abs, o.BusyTimeout))
	if err != nil {
		return nil, fmt.Errorf("sqlitemeta: %w", err)
	}
	// One writer at a time: SQLite allows no more, and queueing here is
	// cheaper than waiting on the file lock.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.Ping(); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlitemeta: opening %s: %w", abs, err)
	}

	r, err := sql.Open("sqlite", readDSN(abs, o.BusyTimeout))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlitemeta: %w", err)
	}
	r.SetMaxOpenConns(o.Readers)
	r.SetMaxIdleConns(o.Readers)

	store, err := sqlmeta.New(context.Background(), w, r, dialect(), &sqlmeta.Options{AuditChains: o.AuditChains})
	if err != nil {
		return nil, fmt.Errorf("sqlitemeta: opening %s: %w", abs, err)
	}
	return store, nil
}

// writeDSN names the write connection to the file at the absolute path
// abs: durable commits in WAL mode, foreign keys enforced, and the write
// lock taken when a transaction begins (waiting for it under the busy
// timeout), so that no transaction fails halfway, where it turns from
// reading to writing, because another process wrote meanwhile.
func writeDSN(abs string, busy time.Duration) string {
	return dsn(abs, url.Values{
		"_pragma": {busyPragma(busy), "foreign_keys(1)", "journal_mode(WAL)", "synchronous(FULL)"},
		"_txlock": {"immediate"},
	})
}

// readDSN names a connection for View transactions, which refuses writes.
func readDSN(abs string, busy time.Duration) string {
	return dsn(abs, url.Values{"_pragma": {busyPragma(busy), "query_only(1)"}})
}

func busyPragma(d time.Duration) string {
	return "busy_timeout(" + strconv.FormatInt(d.Milliseconds(), 10) + ")"
}

// dsn makes the driver's name for the file at the absolute path abs: a
// file: URI, so that any character in the path is escaped rather than
// read as the start of the parameters.
func dsn(abs string, params url.Values) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: params.Encode()}
	return u.String()
}

// createPrivate creates the database file with mode 0600 if it does not
// exist, and takes group and other access away from one that does.
// SQLite gives the -wal and -shm files the mode of the database file.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("sqlitemeta: %w", err)
	}
	fi, err := f.Stat()
	if err == nil && fi.Mode().Perm()&0o077 != 0 {
		err = f.Chmod(fi.Mode().Perm() &^ 0o077)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sqlitemeta: %w", err)
	}
	return nil
}

// dialect returns what sqlmeta needs to know of SQLite.
func dialect() sqlmeta.Dialect {
	migs, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the embedded folder is there at build time
	}
	return sqlmeta.Dialect{
		Name:            "sqlite",
		CacheStatements: true,
		Classify:        classify,
		Migrations:      migs,
	}
}

// classify maps SQLite's result codes to meta's error kinds.
func classify(err error) error {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return nil
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return meta.ErrExists
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return meta.ErrNotFound
	}
	switch e.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return meta.ErrConflict
	}
	return nil
}
