package sqlmeta

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStatements bounds a stmtCache. The Store's queries are
// constants but for a few with a list of placeholders as long as a path
// is deep, so a few dozen entries are what one ever holds.
const maxCachedStatements = 256

// A stmtCache keeps statements prepared on one handle, by query text, for
// drivers that compile every statement they are given, as SQLite's does:
// compiling was a quarter of the CPU a small file's upload cost. (pgx
// caches prepared statements itself.)
//
// The first time a query is asked for, it is prepared in the background
// and the caller runs it unprepared. Preparing it inline would deadlock:
// SQLite's write handle has one connection, which the asking transaction
// holds, and a statement prepared on a handle takes a connection of its
// own. A transaction then uses the statement through sql.Tx.StmtContext,
// which reuses what was prepared on its connection and prepares it there
// otherwise.
type stmtCache struct {
	db *sql.DB

	mu     sync.Mutex
	stmts  map[string]*sql.Stmt // nil while being prepared, or if that failed
	closed bool
	wg     sync.WaitGroup
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: make(map[string]*sql.Stmt)}
}

// get returns the statement prepared for q, or nil if there is none yet,
// in which case it starts preparing one.
func (c *stmtCache) get(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, seen := c.stmts[q]
	if seen || c.closed || len(c.stmts) >= maxCachedStatements {
		return st
	}
	c.stmts[q] = nil
	c.wg.Add(1)
	go c.prepare(q)
	return nil
}

func (c *stmtCache) prepare(q string) {
	defer c.wg.Done()
	st, err := c.db.PrepareContext(context.Background(), q)
	if err != nil {
		return // it stays nil: the query keeps running unprepared
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		st.Close()
		return
	}
	c.stmts[q] = st
}

// close closes the statements and stops caching. Call it before closing
// the handle, and wait after.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for _, st := range c.stmts {
		if st != nil {
			st.Close()
		}
	}
}

// wait waits for preparations still running; call it after the handle is
// closed, which makes them fail at once.
func (c *stmtCache) wait() { c.wg.Wait() }
