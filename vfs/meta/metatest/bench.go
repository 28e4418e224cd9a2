package metatest

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"strongroom/audit"
	"strongroom/vfs/meta"
)

// BenchmarkAppendAudit measures audit records appended one per Update
// transaction, reported as records/s: from one goroutine, and then from
// eight at once (sessions of their own, spread over the chains as
// audit.ChainFor spreads them) for each chain count in chains. open must
// return a new, empty store with that many audit chains, or the back
// end's default for 0, closed when the benchmark ends.
func BenchmarkAppendAudit(b *testing.B, open func(tb testing.TB, chains int) meta.Store, chains ...int) {
	b.Run("serial", func(b *testing.B) {
		s := open(b, 0)
		e := benchEvent("serial")
		n := 0
		for b.Loop() {
			if err := retry(s, b, nil, func(tx meta.Tx) error { return tx.AppendAudit(0, e) }); err != nil {
				b.Fatalf("Update: %v", err)
			}
			n++
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
	})

	if len(chains) == 0 {
		chains = []int{0}
	}
	for _, c := range chains {
		b.Run(fmt.Sprintf("parallel8/chains=%d", c), func(b *testing.B) {
			s := open(b, c)
			procs := runtime.GOMAXPROCS(0)
			b.SetParallelism((8 + procs - 1) / procs)
			var sessions, conflicts atomic.Int64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				session := fmt.Sprintf("bench-session-%d", sessions.Add(1))
				chain := audit.ChainFor(session, s.AuditChains())
				e := benchEvent(session)
				for pb.Next() {
					if err := retry(s, b, &conflicts, func(tx meta.Tx) error { return tx.AppendAudit(chain, e) }); err != nil {
						b.Errorf("Update: %v", err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(conflicts.Load()), "conflicts")
		})
	}
}

func benchEvent(session string) *audit.Event {
	return &audit.Event{Time: time.Unix(1700000000, 0), Tenant: "acme", User: "bench", Op: "read",
		Path: "/acme/reports/2024/q1.pdf", Bytes: 1 << 20, Protocol: "sftp", RemoteAddr: "192.0.2.7:50022",
		SessionID: session, Outcome: audit.OK}
}
