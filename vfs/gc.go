package vfs

import (
	"context"
	"fmt"
	"time"

	"strongroom/vfs/meta"
)

// CollectOrphans deletes blobs written before cutoff that no version
// refers to: what uploads cut off by a crash, or whose commit failed,
// left behind. It returns how many it deleted.
//
// cutoff must be earlier than the start of any upload still running, on
// this node or any other sharing the stores, or that upload's blob would
// be deleted under it. One node alone can use its own start time; several
// nodes use a grace period longer than the longest upload.
//
// TODO: this walks every blob and asks the database about each, which on
// S3 costs one LIST request per 1,000 objects and one query per object:
// minutes for millions of files. Recording each upload's key in the
// database before it starts, and collecting only those keys, would make
// the cost proportional to the failures instead.
func (fs *FS) CollectOrphans(ctx context.Context, cutoff time.Time) (int, error) {
	deleted := 0
	err := fs.blobs.Walk(ctx, func(key string, written time.Time) error {
		if !written.Before(cutoff) {
			return nil
		}
		var used bool
		err := fs.view(ctx, func(tx meta.Tx) error {
			var err error
			used, err = tx.BlobReferenced(key)
			return err
		})
		if err != nil {
			return err
		}
		if used {
			return nil
		}
		if err := fs.blobs.Delete(ctx, key); err != nil {
			return fmt.Errorf("delete orphan blob: %w", err)
		}
		deleted++
		return nil
	})
	if deleted > 0 {
		fs.log.Info("orphan blobs collected", "count", deleted)
	}
	return deleted, err
}
