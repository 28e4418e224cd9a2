package metatest

import (
	"errors"
	"testing"
	"time"

	"strongroom/vfs/meta"
)

func (su suite) testSuspended(t *testing.T) {
	s := su.open(t)
	var dir *meta.Node
	update(t, s, func(tx meta.Tx) error {
		dir = mkdir(t, tx, meta.RootID, "drop")
		return nil
	})
	a := &meta.SuspendedUpload{UserID: 7, ParentID: dir.ID, Name: "big.iso", BlobKey: "blob-s1", Size: 1 << 20, KeyID: "k1", BaseVersion: 42, Created: t0}
	b := &meta.SuspendedUpload{UserID: 7, ParentID: dir.ID, Name: "other.iso", BlobKey: "blob-s2", Size: 300, Created: t0.Add(time.Hour)}
	c := &meta.SuspendedUpload{UserID: 8, ParentID: dir.ID, Name: "big.iso", BlobKey: "blob-s3", Size: 5, Created: t0.Add(2 * time.Hour)}
	update(t, s, func(tx meta.Tx) error {
		for _, u := range []*meta.SuspendedUpload{a, b, c} {
			if err := tx.PutSuspended(u); err != nil {
				t.Fatalf("PutSuspended(%s): %v", u.BlobKey, err)
			}
		}
		again := *a
		again.BlobKey = "blob-s4"
		wantErr(t, "PutSuspended of a second upload to the same user, folder and name", tx.PutSuspended(&again), meta.ErrExists)
		return nil
	})

	view(t, s, func(tx meta.Tx) error {
		got, err := tx.Suspended(7, dir.ID, "big.iso")
		if err != nil {
			t.Fatalf("Suspended: %v", err)
		}
		if *got != *a {
			t.Errorf("Suspended: got %+v, want %+v", *got, *a)
		}
		_, err = tx.Suspended(9, dir.ID, "big.iso")
		wantErr(t, "Suspended of another user", err, meta.ErrNotFound)
		_, err = tx.Suspended(7, dir.ID, "BIG.iso")
		wantErr(t, "Suspended of another name", err, meta.ErrNotFound)

		if n, err := tx.SuspendedBytes(7); err != nil || n != 1<<20+300 {
			t.Errorf("SuspendedBytes(7): got %d, %v; want %d", n, err, 1<<20+300)
		}
		if n, err := tx.SuspendedBytes(9); err != nil || n != 0 {
			t.Errorf("SuspendedBytes of a user with none: got %d, %v; want 0", n, err)
		}
		old, err := tx.SuspendedOver(t0.Add(90*time.Minute), 10)
		if err != nil || len(old) != 2 || old[0].BlobKey != "blob-s1" || old[1].BlobKey != "blob-s2" {
			t.Errorf("SuspendedOver: got %d, %v; want blob-s1, blob-s2", len(old), err)
		}
		if one, err := tx.SuspendedOver(t0.Add(90*time.Minute), 1); err != nil || len(one) != 1 {
			t.Errorf("SuspendedOver with limit 1: got %d, %v", len(one), err)
		}
		for key, want := range map[string]bool{"blob-s1": true, "blob-s3": true, "blob-s9": false} {
			if got, err := tx.BlobReferenced(key); err != nil || got != want {
				t.Errorf("BlobReferenced(%q) of a suspended upload's blob: got %v, %v; want %v", key, got, err, want)
			}
		}
		return nil
	})

	update(t, s, func(tx meta.Tx) error {
		got, err := tx.TakeSuspended(7, dir.ID, "big.iso")
		if err != nil {
			t.Fatalf("TakeSuspended: %v", err)
		}
		if *got != *a {
			t.Errorf("TakeSuspended: got %+v, want %+v", *got, *a)
		}
		_, err = tx.TakeSuspended(7, dir.ID, "big.iso")
		wantErr(t, "TakeSuspended twice", err, meta.ErrNotFound)
		return nil
	})
	view(t, s, func(tx meta.Tx) error {
		if _, err := tx.Suspended(7, dir.ID, "big.iso"); !errors.Is(err, meta.ErrNotFound) {
			t.Errorf("Suspended after TakeSuspended: got %v, want ErrNotFound", err)
		}
		if ok, err := tx.BlobReferenced("blob-s1"); err != nil || ok {
			t.Errorf("BlobReferenced of a taken suspended upload's blob: got %v, %v; want false", ok, err)
		}
		return nil
	})

	// Uploads kept in a folder since removed are over whatever their age,
	// and take no quota.
	var gone *meta.Node
	update(t, s, func(tx meta.Tx) error {
		gone = mkdir(t, tx, meta.RootID, "gone")
		if err := tx.PutSuspended(&meta.SuspendedUpload{UserID: 8, ParentID: gone.ID, Name: "x", BlobKey: "blob-s5", Size: 1000, Created: t0.Add(3 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		return tx.DeleteNode(gone.ID, t0)
	})
	view(t, s, func(tx meta.Tx) error {
		over, err := tx.SuspendedOver(t0, 10)
		if err != nil || len(over) != 1 || over[0].BlobKey != "blob-s5" {
			t.Errorf("SuspendedOver of an upload in a removed folder: got %d, %v; want blob-s5", len(over), err)
		}
		if n, err := tx.SuspendedBytes(8); err != nil || n != 5 {
			t.Errorf("SuspendedBytes with one upload in a removed folder: got %d, %v; want 5", n, err)
		}
		return nil
	})
}
