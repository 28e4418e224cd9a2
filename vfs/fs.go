package vfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"strongroom/audit"
	"strongroom/vfs/blob"
	"strongroom/vfs/meta"
)

// FS is the filesystem: the stores, the rule, the audit trail. It is safe
// for concurrent use; sessions share it.
type FS struct {
	meta    meta.Store
	blobs   blob.Store
	clear   blob.Store // for versions stored in the clear; nil when blobs does not encrypt
	log     *slog.Logger
	now     func() time.Time
	metrics *Metrics
	keyID   string
	limits  Limits
	logins  *throttle
	inliner blob.Inliner // nil when small files are not kept inline
}

// Limits bound what one upload or listing may cost.
type Limits struct {
	// ReorderBytes bounds the data an upload holds in memory while it
	// waits for an earlier offset to arrive (pipelined SFTP writes come
	// out of order). Default 64 MiB.
	ReorderBytes int64
	// MaxListPage is the largest page List returns. Default 1000.
	MaxListPage int
	// InlineBytes is the size up to which a file's content is kept in the
	// metadata database, sealed by the blob store, instead of as a blob of
	// its own: one transaction then makes a small file durable. Default
	// 32 KiB; negative keeps every file in the blob store. It applies only
	// when the blob store can seal content (blob.Inliner), as the
	// encrypting store can.
	InlineBytes int64
	// LoginFailures failed sign-ins from one address within
	// LoginWindow refuse that address for LoginBan. Defaults 10, 5 min,
	// 15 min.
	LoginFailures int
	LoginWindow   time.Duration
	LoginBan      time.Duration
	// SuspendedUploadAge is how long an upload cut off by a dropped
	// connection is kept for its user to resume (Upload.Suspend).
	// Default 24 hours; negative keeps none.
	SuspendedUploadAge time.Duration
}

// Options configure an FS. The zero value of each field is a default.
type Options struct {
	Logger  *slog.Logger
	Clock   func() time.Time // default time.Now
	Metrics *Metrics         // default: none collected
	// KeyID names the master key new blobs are encrypted with, recorded on
	// every version; empty when the blob store does not encrypt.
	KeyID  string
	Limits Limits

	// ClearBlobs is the store below the encryption, from which content
	// stored while encryption at rest was off (versions without a key id)
	// is read. Nil when the blob store does not encrypt.
	ClearBlobs blob.Store
}

// New returns an FS over the two stores. It does not take ownership of
// them: the caller closes them after the last session ends.
func New(m meta.Store, b blob.Store, opts *Options) *FS {
	if opts == nil {
		opts = &Options{}
	}
	fs := &FS{meta: m, blobs: b, clear: opts.ClearBlobs, log: opts.Logger, now: opts.Clock,
		metrics: opts.Metrics, keyID: opts.KeyID, limits: opts.Limits}
	if fs.log == nil {
		fs.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if fs.now == nil {
		fs.now = time.Now
	}
	l := &fs.limits
	if l.ReorderBytes <= 0 {
		l.ReorderBytes = 64 << 20
	}
	if l.MaxListPage <= 0 {
		l.MaxListPage = 1000
	}
	if l.SuspendedUploadAge == 0 {
		l.SuspendedUploadAge = 24 * time.Hour
	}
	if l.InlineBytes == 0 {
		l.InlineBytes = 32 << 10
	}
	if in, ok := b.(blob.Inliner); ok && l.InlineBytes > 0 {
		fs.inliner = in
	}
	if l.LoginFailures <= 0 {
		l.LoginFailures = 10
	}
	if l.LoginWindow <= 0 {
		l.LoginWindow = 5 * time.Minute
	}
	if l.LoginBan <= 0 {
		l.LoginBan = 15 * time.Minute
	}
	fs.logins = newThrottle(l.LoginFailures, l.LoginWindow, l.LoginBan)
	return fs
}

// maxTxAttempts bounds how often a transaction is retried after losing a
// race to a concurrent one.
const maxTxAttempts = 8

// update runs fn in a read-write transaction, again if a concurrent
// transaction won (ErrConflict) or took a name between our look-up and
// our insert (ErrExists from the store, which fn did not turn into a
// vfs error of its own).
func (fs *FS) update(ctx context.Context, fn func(meta.Tx) error) error {
	var err error
	for attempt := 0; attempt < maxTxAttempts; attempt++ {
		start := fs.now()
		err = fs.meta.Update(ctx, fn)
		fs.metrics.observeStore("meta", "update", start, fs.now())
		if !errors.Is(err, meta.ErrConflict) && !errors.Is(err, meta.ErrExists) {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return err
}

// view runs fn in a read-only transaction.
func (fs *FS) view(ctx context.Context, fn func(meta.Tx) error) error {
	start := fs.now()
	err := fs.meta.View(ctx, fn)
	fs.metrics.observeStore("meta", "view", start, fs.now())
	return err
}

// appendAudit records e in its own transaction: for refusals and failures,
// whose operation's transaction was rolled back.
func (fs *FS) appendAudit(ctx context.Context, chain int, e *audit.Event) {
	// The record must be written even when the request's context was
	// cancelled, for instance by a client that hung up after a refusal.
	ctx = context.WithoutCancel(ctx)
	err := fs.update(ctx, func(tx meta.Tx) error { return tx.AppendAudit(chain, e) })
	if err != nil {
		fs.log.Error("audit record not written", "op", e.Op, "user", e.User, "path", e.Path, "err", err)
	}
}

// classify turns a store's error into a vfs kind, once, at the edge.
func classify(err error) Kind {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.Kind
	case errors.Is(err, meta.ErrNotFound), errors.Is(err, blob.ErrNotExist):
		return KindNotExist
	case errors.Is(err, meta.ErrExists):
		return KindExist
	case errors.Is(err, meta.ErrConflict):
		return KindConflict
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), errors.Is(err, blob.ErrBusy):
		return KindUnavailable
	}
	var k *kindError
	if errors.As(err, &k) {
		return k.kind
	}
	var inv *invalidError
	if errors.As(err, &inv) {
		return KindInvalid
	}
	if isNoSpace(err) {
		return KindUnavailable
	}
	return KindOther
}

// readable says why this server cannot read version v as it was stored,
// or returns nil.
func (fs *FS) readable(v *meta.Version) error {
	switch {
	case v.KeyID != "" && fs.keyID == "":
		return fmt.Errorf("version %d was stored encrypted with master key %s, and encryption at rest is off: turn it back on (encryption.enabled) with that key to read it", v.ID, v.KeyID)
	case v.KeyID == "" && fs.keyID != "" && !v.Inline && fs.clear == nil:
		return fmt.Errorf("version %d was stored while encryption at rest was off, and this server has no way to read it in the clear", v.ID)
	}
	return nil
}

// Record appends an audit record of something a protocol saw outside any
// vfs operation: a limit reached, a connection refused, a request it
// would not parse. user may be empty when no one had signed in.
func (fs *FS) Record(ctx context.Context, info SessionInfo, user, op, reason string, outcome audit.Outcome) {
	ev := &audit.Event{Time: fs.now(), User: user, Op: op, Protocol: info.Protocol,
		RemoteAddr: info.RemoteAddr, SessionID: info.SessionID, UserAgent: info.UserAgent,
		Request: info.Request, Outcome: outcome, Reason: reason}
	fs.appendAudit(ctx, audit.ChainFor(info.SessionID, fs.meta.AuditChains()), ev)
	fs.metrics.operation(info.Protocol, op, outcome)
}

// openContent reads a version's content from offset: from the sealed
// bytes kept in the database for an inline version, else from its blob.
//
// A version is read the way it was stored: encrypted with the master key
// its key id names, or in the clear if it has none. Without this, turning
// encryption at rest off served the stored ciphertext as the file, and
// turning it on made files stored in the clear unreadable.
func (fs *FS) openContent(ctx context.Context, v *meta.Version, sealed []byte, offset, length int64) (io.ReadCloser, error) {
	if err := fs.readable(v); err != nil {
		return nil, err
	}
	if v.KeyID == "" && fs.keyID != "" && !v.Inline {
		return fs.clear.NewRangeReader(ctx, v.BlobKey, offset, length)
	}
	if v.Inline {
		if fs.inliner == nil {
			return nil, fmt.Errorf("version %d is kept in the database, sealed by a blob store that can no longer read it", v.ID)
		}
		return fs.inliner.OpenSealed(v.BlobKey, sealed, offset, length)
	}
	return fs.blobs.NewRangeReader(ctx, v.BlobKey, offset, length)
}
