package metatest

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"strongroom/audit"
	"strongroom/vfs/meta"
)

// event returns the i'th of a set of varied audit records.
func event(i int) *audit.Event {
	users := []string{"ann", "bob", "carol"}
	paths := []string{"/acme/a.txt", "/acme/sub/b.txt", "/acme2/c.txt", "/beta/d", "/acme"}
	return &audit.Event{
		Time:       t0.Add(time.Duration(i) * time.Minute),
		Tenant:     "acme",
		User:       users[i%len(users)],
		Op:         "create",
		Path:       paths[i%len(paths)],
		Target:     "",
		Version:    fmt.Sprint(i),
		Bytes:      int64(i * 100),
		Protocol:   "sftp",
		RemoteAddr: "192.0.2.1:2222",
		SessionID:  fmt.Sprintf("session-%d", i%4),
		Outcome:    audit.OK,
		Reason:     "",
	}
}

// appendEvents appends n records, the i'th to the chain its session
// picks, in one transaction per record, and returns them as sealed.
func appendEvents(t *testing.T, s meta.Store, n int) []*audit.Event {
	t.Helper()
	var out []*audit.Event
	for i := range n {
		e := event(i)
		update(t, s, func(tx meta.Tx) error {
			return tx.AppendAudit(audit.ChainFor(e.SessionID, s.AuditChains()), e)
		})
		out = append(out, e)
	}
	return out
}

// verify runs the stored trail through audit.Verifier.
func verify(t *testing.T, s meta.Store) (int64, error) {
	t.Helper()
	v := audit.NewVerifier()
	var err error
	view(t, s, func(tx meta.Tx) error {
		if err = tx.AuditChainEvents(v.Add); err != nil {
			return nil
		}
		heads, herr := tx.AuditHeads()
		if herr != nil {
			return herr
		}
		err = v.Finish(heads)
		return nil
	})
	return v.Count, err
}

func sameEvent(got, want *audit.Event) bool {
	g, w := *got, *want
	if !g.Time.Equal(w.Time) || !bytes.Equal(g.PrevHash, w.PrevHash) || !bytes.Equal(g.Hash, w.Hash) {
		return false
	}
	g.Time, w.Time, g.PrevHash, w.PrevHash, g.Hash, w.Hash = time.Time{}, time.Time{}, nil, nil, nil, nil
	return reflect.DeepEqual(g, w)
}

func (su suite) testAuditChains(t *testing.T) {
	s := su.open(t)
	if s.AuditChains() < 1 {
		t.Fatalf("AuditChains: got %d, want at least 1", s.AuditChains())
	}
	view(t, s, func(tx meta.Tx) error {
		heads, err := tx.AuditHeads()
		if err != nil || len(heads) != s.AuditChains() {
			t.Fatalf("AuditHeads of a new store: got %d, %v; want %d", len(heads), err, s.AuditChains())
		}
		for i, h := range heads {
			if h.Chain != i || h.Seq != 0 || len(h.Hash) != 0 {
				t.Errorf("new head %d: got %+v, want chain %d at 0 with no hash", i, h, i)
			}
		}
		return nil
	})

	events := appendEvents(t, s, 40)
	seqs := map[int]int64{}
	for _, e := range events {
		seqs[e.Chain]++
		if e.ID == 0 || e.Seq != seqs[e.Chain] || len(e.Hash) != 32 {
			t.Errorf("appended record: got id %d chain %d seq %d, want an id and seq %d", e.ID, e.Chain, e.Seq, seqs[e.Chain])
		}
	}

	view(t, s, func(tx meta.Tx) error {
		heads, err := tx.AuditHeads()
		if err != nil {
			t.Fatalf("AuditHeads: %v", err)
		}
		for _, h := range heads {
			var last *audit.Event
			for _, e := range events {
				if e.Chain == h.Chain {
					last = e
				}
			}
			if last == nil && h.Seq != 0 || last != nil && (h.Seq != last.Seq || !bytes.Equal(h.Hash, last.Hash)) {
				t.Errorf("head of chain %d: got %+v, want the last record's position and hash", h.Chain, h)
			}
		}

		var got []*audit.Event
		if err := tx.AuditChainEvents(func(e *audit.Event) error { got = append(got, e); return nil }); err != nil {
			t.Fatalf("AuditChainEvents: %v", err)
		}
		want := slices.Clone(events)
		slices.SortFunc(want, func(a, b *audit.Event) int {
			if a.Chain != b.Chain {
				return a.Chain - b.Chain
			}
			return int(a.Seq - b.Seq)
		})
		if len(got) != len(want) {
			t.Fatalf("AuditChainEvents: got %d records, want %d", len(got), len(want))
		}
		for i := range got {
			if !sameEvent(got[i], want[i]) {
				t.Errorf("AuditChainEvents[%d]: got %+v, want %+v", i, *got[i], *want[i])
			}
		}
		return nil
	})

	if n, err := verify(t, s); err != nil || n != 40 {
		t.Errorf("verify: got %d records, %v; want 40, no error", n, err)
	}

	err := s.Update(t.Context(), func(tx meta.Tx) error { return tx.AppendAudit(s.AuditChains(), event(0)) })
	if err == nil {
		t.Errorf("AppendAudit to chain %d of %d: got no error, want one", s.AuditChains(), s.AuditChains())
	}

	// A record rolled back with its transaction leaves no gap.
	s.Update(t.Context(), func(tx meta.Tx) error {
		tx.AppendAudit(0, event(99))
		return errRollback
	})
	if n, err := verify(t, s); err != nil || n != 40 {
		t.Errorf("verify after a rolled back append: got %d records, %v; want 40, no error", n, err)
	}
}

func (su suite) testAuditFilter(t *testing.T) {
	s := su.open(t)
	events := appendEvents(t, s, 30)
	tests := []struct {
		name   string
		filter meta.AuditFilter
		keep   func(i int, e *audit.Event) bool
	}{
		{"all", meta.AuditFilter{}, func(int, *audit.Event) bool { return true }},
		{"user", meta.AuditFilter{User: "bob"}, func(_ int, e *audit.Event) bool { return e.User == "bob" }},
		{"path prefix", meta.AuditFilter{PathPrefix: "/acme/"},
			func(_ int, e *audit.Event) bool { return strings.HasPrefix(e.Path, "/acme/") }},
		{"path prefix of bytes", meta.AuditFilter{PathPrefix: "/acme"},
			func(_ int, e *audit.Event) bool { return strings.HasPrefix(e.Path, "/acme") }},
		{"since", meta.AuditFilter{Since: t0.Add(10 * time.Minute)}, func(i int, _ *audit.Event) bool { return i >= 10 }},
		{"until", meta.AuditFilter{Until: t0.Add(10 * time.Minute)}, func(i int, _ *audit.Event) bool { return i < 10 }},
		{"after id", meta.AuditFilter{AfterID: events[19].ID}, func(i int, _ *audit.Event) bool { return i > 19 }},
		{"limit", meta.AuditFilter{Limit: 7}, func(i int, _ *audit.Event) bool { return i < 7 }},
		{"combined", meta.AuditFilter{User: "ann", PathPrefix: "/acme", Since: t0.Add(3 * time.Minute),
			Until: t0.Add(25 * time.Minute), Limit: 3},
			nil},
		{"nothing", meta.AuditFilter{User: "nobody"}, func(int, *audit.Event) bool { return false }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var want []int64
			for i, e := range events {
				keep := tc.keep != nil && tc.keep(i, e)
				if tc.keep == nil {
					f := tc.filter
					keep = e.User == f.User && strings.HasPrefix(e.Path, f.PathPrefix) &&
						!e.Time.Before(f.Since) && e.Time.Before(f.Until)
				}
				if keep && (tc.filter.Limit == 0 || len(want) < tc.filter.Limit) {
					want = append(want, e.ID)
				}
			}
			var got []int64
			view(t, s, func(tx meta.Tx) error {
				return tx.AuditEvents(tc.filter, func(e *audit.Event) error {
					got = append(got, e.ID)
					return nil
				})
			})
			if !slices.Equal(got, want) {
				t.Errorf("AuditEvents(%+v): got ids %v, want %v", tc.filter, got, want)
			}
		})
	}

	stop := errors.New("stop")
	var seen int
	err := s.View(t.Context(), func(tx meta.Tx) error {
		return tx.AuditEvents(meta.AuditFilter{}, func(*audit.Event) error {
			seen++
			return stop
		})
	})
	if !errors.Is(err, stop) || seen != 1 {
		t.Errorf("AuditEvents with fn failing: got %v after %d records, want %v after 1", err, seen, stop)
	}
}

// testAuditBatches checks streams longer than one read of the store.
func (su suite) testAuditBatches(t *testing.T) {
	s := su.open(t)
	const n = 1234
	update(t, s, func(tx meta.Tx) error {
		for i := range n {
			e := event(i)
			if err := tx.AppendAudit(audit.ChainFor(e.SessionID, s.AuditChains()), e); err != nil {
				return err
			}
		}
		return nil
	})
	tests := []struct {
		name   string
		filter meta.AuditFilter
		want   int
	}{
		{"all", meta.AuditFilter{}, n},
		{"limit over a batch", meta.AuditFilter{Limit: 777}, 777},
		{"user", meta.AuditFilter{User: "ann"}, (n + 2) / 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got int
			last := int64(0)
			view(t, s, func(tx meta.Tx) error {
				return tx.AuditEvents(tc.filter, func(e *audit.Event) error {
					if e.ID <= last {
						t.Fatalf("AuditEvents: id %d after %d, want increasing ids", e.ID, last)
					}
					// fn may use the transaction while the stream runs.
					if _, err := tx.Node(meta.RootID); err != nil {
						t.Fatalf("Node inside AuditEvents: %v", err)
					}
					got, last = got+1, e.ID
					return nil
				})
			})
			if got != tc.want {
				t.Errorf("AuditEvents(%+v): got %d records, want %d", tc.filter, got, tc.want)
			}
		})
	}
	if got, err := verify(t, s); err != nil || got != n {
		t.Errorf("verify: got %d records, %v; want %d, no error", got, err, n)
	}
}

// testAuditTamper edits the stored trail by hand and checks that the
// verifier finds each edit.
func (su suite) testAuditTamper(t *testing.T) {
	tests := []struct {
		name string
		sql  string
	}{
		{"edited path", `UPDATE audit_events SET path = '/tampered' WHERE id = (SELECT MIN(id) FROM audit_events)`},
		{"edited outcome", `UPDATE audit_events SET outcome = 'denied' WHERE seq = 2 AND chain = (SELECT MIN(chain) FROM audit_events)`},
		{"deleted last record", `DELETE FROM audit_events WHERE id = (SELECT MAX(id) FROM audit_events)`},
		{"deleted first record", `DELETE FROM audit_events WHERE id = (SELECT MIN(id) FROM audit_events)`},
		{"reordered", `UPDATE audit_events SET seq = 1000 - seq WHERE chain = (SELECT MIN(chain) FROM audit_events)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := su.open(t)
			raw, ok := s.(SQLExecer)
			if !ok {
				t.Skip("the store offers no way to change it behind its back (metatest.SQLExecer)")
			}
			appendEvents(t, s, 12)
			if n, err := verify(t, s); err != nil || n != 12 {
				t.Fatalf("verify before the edit: got %d records, %v; want 12, no error", n, err)
			}

			if err := raw.ExecSQL(tc.sql); err != nil {
				t.Fatalf("ExecSQL: %v", err)
			}
			_, err := verify(t, s)
			var bad *audit.BadRecordError
			if !errors.As(err, &bad) {
				t.Errorf("verify after the edit: got %v, want a *audit.BadRecordError", err)
			}
		})
	}
}
