// Package sqlmeta implements meta.Store over database/sql. It holds the
// one copy of every query; the databases it runs on differ only in a
// small Dialect: how placeholders are written, whether rows can be locked,
// how driver errors are classified, and the schema's migrations. Packages
// sqlitemeta and pgmeta supply those and open the databases.
//
// Queries are written with ? placeholders; a Dialect with Numbered set has
// them rewritten to $1, $2, ... before they reach the driver.
//
// # Schema
//
// Timestamps are stored as BIGINT nanoseconds since the Unix epoch, so
// that both databases keep them exactly alike; the zero time.Time is
// stored as 0 and read back as the zero time. Names and paths compare and
// sort by their bytes. Booleans are real booleans where the database has
// them and 0 or 1 where it does not.
//
// Nodes are never removed: DeleteNode marks them deleted, and a partial
// unique index on (parent_id, name) over the live rows lets a name be used
// again once its holder is deleted.
//
// The schema is versioned. Open applies, in one transaction, every
// migration the database lacks, and refuses a database whose schema is
// newer than this code knows.
//
// # Transactions
//
// Write transactions run at the database's default isolation: on SQLite
// they are serializable because there is one writer at a time; on
// PostgreSQL they run at READ COMMITTED, and the statements that must not
// interleave take row locks (the head of an audit chain, the folder a
// node is created or moved into, the subtree being deleted, the node being
// moved), and moves of folders take turns on an advisory lock. Read
// transactions run at Dialect.ReadIsolation, so that one View sees one
// snapshot.
//
// In a PostgreSQL write transaction, HasChildren and User lock the row
// they read until the transaction ends, so that what the caller decides
// on them still holds when it writes. Other reads lock nothing: a caller
// that reads, decides and then writes may decide on a state that has
// changed by the time it writes. On SQLite it cannot have changed.
//
// # Errors
//
// A missing row is reported as meta.ErrNotFound and a taken name as
// meta.ErrExists, in both cases without aborting the transaction, so that
// the caller may go on (for example to record the refusal in the audit
// trail). Driver errors that the Dialect classifies as a conflict are
// returned wrapped so that errors.Is(err, meta.ErrConflict) holds and the
// driver's own error is still reachable with errors.As.
package sqlmeta
