package vfs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"strongroom/audit"
	"strongroom/policy"
	"strongroom/vfs/meta"
)

// Suspend ends an upload whose connection dropped, keeping what it had
// received front to back so that its user can continue it instead of
// starting over: that user's StatResumable of the path reports the bytes
// kept, and a Create with Resume by that user continues after them
// (SFTP's reput). Nobody else sees it, neither Stat nor a listing shows
// it, and it is no version of anything until the continued upload
// commits. It is kept for Limits.SuspendedUploadAge, and ends sooner when
// the user writes, renames, copies or removes something at its name.
//
// What cannot be kept is discarded as Abort discards it: content small
// enough to be kept inline (sending it again costs less than keeping it),
// writes beyond a gap, and an upload that would take the user past their
// quota. Suspend returns how many bytes it kept: 0 when it discarded the
// upload. It is safe to call after Commit or Abort, when it does nothing.
func (u *Upload) Suspend(ctx context.Context) int64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return 0
	}
	if u.w == nil || u.written == 0 || u.err != nil || u.s.fs.limits.SuspendedUploadAge <= 0 {
		u.abortLocked()
		return 0
	}
	u.done = true
	defer u.cancel()
	s := u.s
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()

	// Only what arrived in order is kept: the client resumes from its size.
	u.pending, u.held = nil, 0
	ev := s.event("write", u.path)
	ev.Bytes = u.written
	if err := u.w.Commit(); err != nil {
		s.finish(ctx, ev, u.path, fmt.Errorf("keep interrupted upload: commit blob: %w", err))
		return 0
	}

	kept := &meta.SuspendedUpload{UserID: s.uid, BlobKey: u.key, Size: u.written, KeyID: s.fs.keyID,
		BaseVersion: u.existingVersion(), Created: s.fs.now()}
	var replaced *meta.SuspendedUpload
	ev.Outcome = audit.Failed
	ev.Reason = fmt.Sprintf("connection lost during upload; %d bytes kept for %s for the user to resume", u.written, s.fs.limits.SuspendedUploadAge)
	err := s.do(ctx, ev, u.path, func(tx meta.Tx) error {
		parent, name, err := s.resolveParent(tx, u.path)
		if err != nil {
			return err
		}
		kept.ParentID, kept.Name = parent.node.ID, name
		replaced, err = tx.TakeSuspended(s.uid, parent.node.ID, name)
		if err != nil && !errors.Is(err, meta.ErrNotFound) {
			return err
		}
		if err := u.checkKeptQuota(tx); err != nil {
			return err
		}
		return tx.PutSuspended(kept)
	})
	if err != nil {
		s.fs.deleteBlob(ctx, u.key)
		return 0
	}
	if replaced != nil {
		s.fs.deleteBlob(ctx, replaced.BlobKey)
	}
	return kept.Size
}

// existingVersion is the file's current version when Create found it; 0
// for no file, or one with no version.
func (u *Upload) existingVersion() int64 {
	if u.existing == nil {
		return 0
	}
	return u.existing.versionID
}

// checkKeptQuota refuses to keep an interrupted upload that, with the
// user's stored bytes and other interrupted uploads, would exceed their
// quota: kept uploads are not versions, but they take space.
func (u *Upload) checkKeptQuota(tx meta.Tx) error {
	q, err := u.s.quotaUse(tx)
	if err != nil || q.quota <= 0 {
		return err
	}
	if q.used+q.kept+u.written > q.quota {
		return &Error{Op: "write", Kind: KindQuota, Err: invalidf("an interrupted upload of %d bytes is not kept: it would exceed the user's quota of %d bytes", u.written, q.quota)}
	}
	return nil
}

// quotaUsage is what counts against a user's quota.
type quotaUsage struct {
	quota int64 // bytes; 0 or less for no limit
	used  int64 // stored in versions
	kept  int64 // kept of interrupted uploads; only read when there is a quota
}

// quotaUse reads what counts against the session user's quota. It must
// run after refresh in the same transaction: the session's copy of the
// user is then as current as the policy generation, which every change
// of a quota raises, so a user with no quota costs no query (two of a
// small file's round trips to PostgreSQL).
func (s *Session) quotaUse(tx meta.Tx) (quotaUsage, error) {
	if s.User().QuotaBytes <= 0 {
		return quotaUsage{}, nil
	}
	usr, err := tx.User(s.uid)
	if err != nil {
		return quotaUsage{}, err
	}
	q := quotaUsage{quota: usr.QuotaBytes, used: usr.UsedBytes}
	if q.quota > 0 {
		q.kept, err = tx.SuspendedBytes(s.uid)
	}
	return q, err
}

// keptAt returns the session user's suspended upload to name in parent,
// or nil if there is none or it is stale: the file's current version
// (current; 0 for none) is no longer the one the upload began over, so
// someone wrote the file since, and continuing the upload would undo
// their version.
func (s *Session) keptAt(tx meta.Tx, parent int64, name string, current int64) (*meta.SuspendedUpload, error) {
	kept, err := tx.Suspended(s.uid, parent, name)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if kept.BaseVersion != current {
		return nil, nil
	}
	return kept, nil
}

// resumeBase returns, as a version to continue, the session user's
// suspended upload to name in parent, or nil if there is none (see
// keptAt).
func (s *Session) resumeBase(tx meta.Tx, parent int64, name string, current int64) (*meta.Version, error) {
	kept, err := s.keptAt(tx, parent, name, current)
	if kept == nil || err != nil {
		return nil, err
	}
	return &meta.Version{BlobKey: kept.BlobKey, Size: kept.Size, KeyID: kept.KeyID}, nil
}

// suspendedIn describes name in the folder parent as the session's user
// sees it while they have a suspended upload there: at the size kept, so
// that a resuming client continues from it. t is the file there, nil if
// there is none. It returns nil when there is no suspended upload.
func (s *Session) suspendedIn(tx meta.Tx, parent *target, name string, t *target) (*FileInfo, error) {
	var current int64
	if t != nil {
		current = t.node.VersionID
	}
	kept, err := s.keptAt(tx, parent.node.ID, name, current)
	if kept == nil || err != nil {
		return nil, err
	}
	var fi *FileInfo
	if t != nil {
		fi = newFileInfo(t.node, t.path, s.allowed(t))
	} else {
		fi = &FileInfo{name: name, path: joinChild(parent.path, name), created: kept.Created,
			allowed: s.allowed(parent) & (policy.Read | policy.Write)}
	}
	fi.size, fi.modTime = kept.Size, kept.Created
	return fi, nil
}

// CollectSuspended deletes suspended uploads kept longer than
// Limits.SuspendedUploadAge, and those in folders since removed, with
// their blobs, and returns how many.
func (fs *FS) CollectSuspended(ctx context.Context) (int, error) {
	cutoff := fs.now().Add(-fs.limits.SuspendedUploadAge)
	removed := 0
	for {
		var batch []*meta.SuspendedUpload
		err := fs.update(ctx, func(tx meta.Tx) error {
			old, err := tx.SuspendedOver(cutoff, 100)
			if err != nil {
				return err
			}
			batch = batch[:0]
			for _, k := range old {
				taken, err := tx.TakeSuspended(k.UserID, k.ParentID, k.Name)
				if err != nil {
					return err
				}
				batch = append(batch, taken)
			}
			return nil
		})
		if err != nil {
			return removed, fmt.Errorf("collect suspended uploads: %w", err)
		}
		for _, k := range batch {
			fs.deleteBlob(ctx, k.BlobKey)
		}
		removed += len(batch)
		if len(batch) < 100 {
			if removed > 0 {
				fs.log.Info("expired interrupted uploads removed", "count", removed)
			}
			return removed, nil
		}
	}
}

// supersede ends the session user's interrupted upload to name in the
// folder parent, if there is one, because a change put something else
// there: the record goes in the change's transaction, and its blob key is
// added to dropped, whose blobs doDropping deletes once that commits.
func (s *Session) supersede(tx meta.Tx, parent int64, name string, dropped *[]string) error {
	kept, err := tx.TakeSuspended(s.uid, parent, name)
	if errors.Is(err, meta.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	*dropped = append(*dropped, kept.BlobKey)
	return nil
}

// discardKept removes the user's interrupted upload at p, where no file
// is, for Remove: SFTP's stat shows it, so rm must be able to end it. It
// returns notFound when there is none either.
func (s *Session) discardKept(tx meta.Tx, p string, ev *audit.Event, dropped *[]string, notFound error) error {
	parent, name, err := s.resolveParent(tx, p)
	if err != nil {
		return notFound
	}
	kept, err := tx.TakeSuspended(s.uid, parent.node.ID, name)
	if errors.Is(err, meta.ErrNotFound) {
		return notFound
	}
	if err != nil {
		return err
	}
	*dropped = append(*dropped, kept.BlobKey)
	ev.Bytes, ev.Reason = kept.Size, "discarded an interrupted upload kept for resuming"
	return nil
}

// deleteBlobs deletes blobs that nothing refers to any more.
func (fs *FS) deleteBlobs(ctx context.Context, keys []string) {
	for _, k := range keys {
		fs.deleteBlob(ctx, k)
	}
}

// deleteBlob deletes a blob nothing refers to any more, leaving it to
// CollectOrphans if that fails.
func (fs *FS) deleteBlob(ctx context.Context, key string) {
	if err := fs.blobs.Delete(context.WithoutCancel(ctx), key); err != nil {
		fs.log.Warn("orphan blob left for collection", "key", key, "err", err)
	}
}
