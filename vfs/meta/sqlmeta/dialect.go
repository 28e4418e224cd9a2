package sqlmeta

import (
	"database/sql"
	"io/fs"
	"strconv"
	"strings"
)

// A Dialect describes what differs between the databases a Store runs on.
// Its zero value is not usable: Classify and Migrations are required.
type Dialect struct {
	// Name names the database in error messages, as in "sqlite".
	Name string

	// Numbered says the driver wants placeholders written $1, $2, ...
	// instead of ?.
	Numbered bool

	// RowLocks says the database takes row locks with SELECT ... FOR
	// UPDATE and FOR KEY SHARE, and that concurrent write transactions
	// need them. Without it, write transactions must already exclude one
	// another, as SQLite's do.
	RowLocks bool

	// AbortsOnError says a failed statement aborts the whole transaction,
	// as in PostgreSQL. The Store then runs the statements that may fail
	// for an expected reason (a name taken by a concurrent writer) inside
	// a savepoint, so that the caller's transaction stays usable.
	AbortsOnError bool

	// AdvisoryLock, if set, is a statement that takes a lock on the
	// integer in its one placeholder, held until the transaction ends.
	// It serializes migrations and moves of folders. Leave it empty where
	// write transactions already exclude one another.
	AdvisoryLock string

	// CacheStatements says the Store should keep its statements prepared,
	// because the driver compiles every statement it is given (SQLite's
	// does; pgx caches them itself).
	CacheStatements bool

	// ReadIsolation is the isolation level of View transactions. It
	// should give the whole transaction one snapshot.
	ReadIsolation sql.IsolationLevel

	// Classify returns meta.ErrExists for a unique violation,
	// meta.ErrNotFound for a reference to a missing row, meta.ErrConflict
	// for a lost race that a retry may win (serialization failure,
	// deadlock, busy database), and nil for any other error.
	Classify func(err error) error

	// Migrations holds the schema as files named NNNN_description.sql,
	// numbered from 0001 without gaps and applied in that order. Each
	// file may hold several statements.
	Migrations fs.FS
}

// rebind rewrites the ? placeholders of q for the dialect. It leaves
// question marks inside quoted strings and identifiers alone.
func (d *Dialect) rebind(q string) string {
	if !d.Numbered || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// forUpdate is the clause that locks the selected rows against writers,
// or nothing.
func (d *Dialect) forUpdate() string {
	if d.RowLocks {
		return " FOR UPDATE"
	}
	return ""
}

// forKeyShare is the clause that keeps the selected rows from being
// deleted or locked for update while still letting others change their
// other columns, or nothing.
func (d *Dialect) forKeyShare() string {
	if d.RowLocks {
		return " FOR KEY SHARE"
	}
	return ""
}
