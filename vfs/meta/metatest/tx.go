package metatest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"strongroom/audit"
	"strongroom/vfs/meta"
)

var errRollback = errors.New("metatest: roll back")

func (su suite) testRollback(t *testing.T) {
	s := su.open(t)
	err := s.Update(t.Context(), func(tx meta.Tx) error {
		mkfile(t, tx, meta.RootID, "gone", 1)
		if err := tx.AppendAudit(0, event(0)); err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Errorf("Update: got %v, want fn's error %v", err, errRollback)
	}
	view(t, s, func(tx meta.Tx) error {
		_, err := tx.Child(meta.RootID, "gone")
		wantErr(t, "Child written by a rolled back transaction", err, meta.ErrNotFound)
		heads, err := tx.AuditHeads()
		if err != nil || heads[0].Seq != 0 {
			t.Errorf("head of chain 0 after a rolled back append: got %+v, %v; want seq 0", heads, err)
		}
		return nil
	})
}

func (su suite) testViewReadOnly(t *testing.T) {
	s := su.open(t)
	tests := []struct {
		name string
		fn   func(meta.Tx) error
	}{
		{"CreateNode", func(tx meta.Tx) error { return tx.CreateNode(&meta.Node{ParentID: meta.RootID, Name: "x"}) }},
		{"AppendAudit", func(tx meta.Tx) error { return tx.AppendAudit(0, event(0)) }},
		{"BumpPolicyGeneration", func(tx meta.Tx) error { return tx.BumpPolicyGeneration() }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.View(t.Context(), tc.fn); err == nil {
				t.Errorf("%s in a View: got no error, want one", tc.name)
			}
		})
	}
	view(t, s, func(tx meta.Tx) error {
		_, err := tx.Child(meta.RootID, "x")
		wantErr(t, "Child created in a View", err, meta.ErrNotFound)
		return nil
	})
}

// testNestedView checks that a View inside an Update, which the contract
// tells callers not to do, at least does not hang, and sees the store as
// it was before the Update.
func (su suite) testNestedView(t *testing.T) {
	s := su.open(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	update(t, s, func(tx meta.Tx) error {
		mkfile(t, tx, meta.RootID, "outer", 1)
		err := s.View(ctx, func(inner meta.Tx) error {
			_, err := inner.Child(meta.RootID, "outer")
			return err
		})
		wantErr(t, "nested View of the outer transaction's node", err, meta.ErrNotFound)
		return nil
	})
}

// testConcurrentUpdates runs transactions from several goroutines, each
// creating a node and recording it in the audit trail, and checks that
// every one lands and the trail still verifies.
func (su suite) testConcurrentUpdates(t *testing.T) {
	const workers, each = 8, 25
	s := su.open(t)
	var dir *meta.Node
	update(t, s, func(tx meta.Tx) error {
		dir = mkdir(t, tx, meta.RootID, "shared")
		return nil
	})

	var conflicts atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range workers {
		wg.Go(func() {
			<-start
			session := fmt.Sprintf("worker-%d", w)
			chain := audit.ChainFor(session, s.AuditChains())
			for i := range each {
				name := fmt.Sprintf("w%d-%03d", w, i)
				err := retry(s, t, &conflicts, func(tx meta.Tx) error {
					if err := tx.CreateNode(&meta.Node{ParentID: dir.ID, Name: name, ModTime: t0, Created: t0}); err != nil {
						return err
					}
					e := &audit.Event{Time: t0, User: session, Op: "create", Path: "/shared/" + name,
						SessionID: session, Protocol: "sftp", Outcome: audit.OK}
					return tx.AppendAudit(chain, e)
				})
				if err != nil {
					t.Errorf("worker %d, update %d: %v", w, i, err)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()

	view(t, s, func(tx meta.Tx) error {
		kids, err := tx.Children(dir.ID, "", 0)
		if err != nil || len(kids) != workers*each {
			t.Errorf("Children after the workers: got %d, %v; want %d", len(kids), err, workers*each)
		}
		return nil
	})
	if n, err := verify(t, s); err != nil || n != workers*each {
		t.Errorf("verify: got %d records, %v; want %d, no error", n, err, workers*each)
	}
	t.Logf("%d workers, %d updates each: %d conflicts retried", workers, each, conflicts.Load())
}

// testSameNameRace has two transactions create one name at once: one
// must win and the other see meta.ErrExists.
func (su suite) testSameNameRace(t *testing.T) {
	const rounds = 10
	s := su.open(t)
	for round := range rounds {
		name := fmt.Sprintf("race-%d", round)
		var results [2]error
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range results {
			wg.Go(func() {
				<-start
				results[i] = retry(s, t, nil, func(tx meta.Tx) error {
					return tx.CreateNode(&meta.Node{ParentID: meta.RootID, Name: name, ModTime: t0, Created: t0})
				})
			})
		}
		close(start)
		wg.Wait()

		won, lost := 0, 0
		for _, err := range results {
			switch {
			case err == nil:
				won++
			case errors.Is(err, meta.ErrExists):
				lost++
			}
		}
		if won != 1 || lost != 1 {
			t.Errorf("round %d: got results %v, want one nil and one %v", round, results, meta.ErrExists)
		}
	}
	view(t, s, func(tx meta.Tx) error {
		kids, err := tx.Children(meta.RootID, "", 0)
		if err != nil || len(kids) != rounds {
			t.Errorf("Children: got %d, %v; want %d", len(kids), err, rounds)
		}
		return nil
	})
}

// testLargeFolder fills one folder with 100,000 entries and pages
// through it, logging how long that takes.
func (su suite) testLargeFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a folder of 100,000 entries; skipped with -short")
	}
	const n, batch, page = 100_000, 5_000, 1_000
	s := su.open(t)
	var dir *meta.Node
	update(t, s, func(tx meta.Tx) error {
		dir = mkdir(t, tx, meta.RootID, "big")
		return nil
	})

	// Names go in out of order (7919 is prime to n, so i*7919 % n
	// visits every number once).
	began := time.Now()
	for from := 0; from < n; from += batch {
		update(t, s, func(tx meta.Tx) error {
			for i := from; i < from+batch; i++ {
				name := fmt.Sprintf("file-%06d.dat", i*7919%n)
				if err := tx.CreateNode(&meta.Node{ParentID: dir.ID, Name: name, Size: 1, ModTime: t0, Created: t0}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	filled := time.Since(began)

	began = time.Now()
	var first []*meta.Node
	view(t, s, func(tx meta.Tx) error {
		var err error
		first, err = tx.Children(dir.ID, "", page)
		return err
	})
	firstPage := time.Since(began)
	if len(first) != page || first[0].Name != "file-000000.dat" {
		t.Fatalf("first page: got %d entries starting %q, want %d starting file-000000.dat", len(first), first[0].Name, page)
	}

	began = time.Now()
	var all []string
	for after := ""; ; {
		var got []*meta.Node
		view(t, s, func(tx meta.Tx) error {
			var err error
			got, err = tx.Children(dir.ID, after, page)
			return err
		})
		if len(got) == 0 {
			break
		}
		all = append(all, names(got)...)
		after = got[len(got)-1].Name
	}
	walk := time.Since(began)
	if len(all) != n || !slices.IsSorted(all) {
		t.Errorf("walk: got %d names (sorted: %v), want %d in order", len(all), slices.IsSorted(all), n)
	}

	began = time.Now()
	var size int64
	view(t, s, func(tx meta.Tx) error {
		var err error
		size, err = tx.TreeSize(dir.ID)
		return err
	})
	if size != n {
		t.Errorf("TreeSize: got %d, want %d", size, n)
	}
	t.Logf("folder of %d: filled in %v; first page of %d in %.1f ms; walk in pages of %d in %.0f ms; TreeSize in %.0f ms",
		n, filled.Round(time.Millisecond), page, ms(firstPage), page, ms(walk), ms(time.Since(began)))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
