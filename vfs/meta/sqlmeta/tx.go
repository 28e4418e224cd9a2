package sqlmeta

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"strongroom/vfs/meta"
)

// tx is a meta.Tx over one *sql.Tx. Its methods are spread over the files
// named for the part of meta.Tx they implement.
type tx struct {
	ctx   context.Context
	tx    *sql.Tx
	s     *Store
	write bool // an Update's, not a View's
}

// lockForWrite is the clause that locks what a write transaction reads
// for the rest of it, where the dialect takes row locks; nothing in a
// View, which may not lock.
func (t *tx) lockForWrite() string {
	if !t.write {
		return ""
	}
	return t.s.d.forUpdate()
}

var _ meta.Tx = (*tx)(nil)

func (t *tx) exec(q string, args ...any) (sql.Result, error) {
	q = t.s.d.rebind(q)
	if st := t.prepared(q); st != nil {
		res, err := st.ExecContext(t.ctx, args...)
		return res, t.s.classify(err)
	}
	res, err := t.tx.ExecContext(t.ctx, q, args...)
	return res, t.s.classify(err)
}

func (t *tx) query(q string, args ...any) (*sql.Rows, error) {
	q = t.s.d.rebind(q)
	if st := t.prepared(q); st != nil {
		rows, err := st.QueryContext(t.ctx, args...)
		return rows, t.s.classify(err)
	}
	rows, err := t.tx.QueryContext(t.ctx, q, args...)
	return rows, t.s.classify(err)
}

func (t *tx) queryRow(q string, args ...any) row {
	q = t.s.d.rebind(q)
	if st := t.prepared(q); st != nil {
		return row{st.QueryRowContext(t.ctx, args...), t.s}
	}
	return row{t.tx.QueryRowContext(t.ctx, q, args...), t.s}
}

// prepared returns q's cached statement bound to this transaction, or nil
// when statements are not cached or q's is not ready yet.
func (t *tx) prepared(q string) *sql.Stmt {
	c := t.s.rc
	if t.write {
		c = t.s.wc
	}
	if c == nil {
		return nil
	}
	st := c.get(q)
	if st == nil {
		return nil
	}
	return t.tx.StmtContext(t.ctx, st)
}

// execOne runs a statement that should change exactly one row, and
// reports meta.ErrNotFound when it changes none.
func (t *tx) execOne(q string, args ...any) error {
	res, err := t.exec(q, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return meta.ErrNotFound
	}
	return nil
}

// guarded runs a statement that may fail for an expected reason, such as
// a unique violation, without aborting the transaction where a failed
// statement would (PostgreSQL), by running it inside a savepoint.
func (t *tx) guarded(q string, args ...any) (sql.Result, error) {
	if !t.s.d.AbortsOnError {
		return t.exec(q, args...)
	}
	if _, err := t.exec("SAVEPOINT sqlmeta_guard"); err != nil {
		return nil, err
	}
	res, err := t.exec(q, args...)
	if err != nil {
		if _, rerr := t.exec("ROLLBACK TO SAVEPOINT sqlmeta_guard"); rerr != nil {
			return nil, errors.Join(err, rerr)
		}
	}
	if _, rerr := t.exec("RELEASE SAVEPOINT sqlmeta_guard"); rerr != nil {
		return nil, errors.Join(err, rerr)
	}
	return res, err
}

// exists runs a query of the form SELECT EXISTS (...).
func (t *tx) exists(q string, args ...any) (bool, error) {
	var ok bool
	err := t.queryRow(q, args...).Scan(&ok)
	return ok, err
}

// A row is an *sql.Row whose Scan reports meta.ErrNotFound for no row and
// classifies the driver's errors.
type row struct {
	r *sql.Row
	s *Store
}

func (r row) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return meta.ErrNotFound
	}
	return r.s.classify(err)
}

// A scanner is an *sql.Row, a row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// collect runs a query and scans each of its rows with scan.
func collect[T any](t *tx, scan func(scanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, t.s.classify(err)
		}
		out = append(out, v)
	}
	return out, t.s.classify(rows.Err())
}

// BUG(sqlmeta): Times before 1678 or after 2262 do not fit in int64
// nanoseconds; they are stored wrapped around and read back as other
// times. Clients may set such modification times; vfs should clamp them.

// nanos is how a time is stored: nanoseconds since the Unix epoch, and 0
// for the zero time.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos undoes nanos, giving times in UTC.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
