package vfs

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"strongroom/audit"
)

// Metrics are the Prometheus series the filesystem keeps. A nil *Metrics
// collects nothing, so tests and tools need not set one up.
type Metrics struct {
	ops      *prometheus.CounterVec
	bytesIn  *prometheus.CounterVec
	bytesOut *prometheus.CounterVec
	sessions *prometheus.GaugeVec
	store    *prometheus.HistogramVec
}

// NewMetrics creates the series and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		ops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "strongroom_operations_total",
			Help: "Filesystem operations by protocol, kind and outcome (ok, denied, error).",
		}, []string{"protocol", "op", "outcome"}),
		bytesIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "strongroom_bytes_received_total",
			Help: "Bytes of file content committed by uploads, by protocol.",
		}, []string{"protocol"}),
		bytesOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "strongroom_bytes_sent_total",
			Help: "Bytes of file content read by downloads, by protocol.",
		}, []string{"protocol"}),
		sessions: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "strongroom_active_sessions",
			Help: "Signed-in sessions, by protocol.",
		}, []string{"protocol"}),
		store: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "strongroom_store_duration_seconds",
			Help:    "Latency of metadata transactions and blob operations.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10),
		}, []string{"store", "op"}),
	}
	reg.MustRegister(m.ops, m.bytesIn, m.bytesOut, m.sessions, m.store)
	return m
}

func (m *Metrics) operation(protocol, op string, outcome audit.Outcome) {
	if m != nil {
		m.ops.WithLabelValues(protocol, op, string(outcome)).Inc()
	}
}

func (m *Metrics) received(protocol string, n int64) {
	if m != nil && n > 0 {
		m.bytesIn.WithLabelValues(protocol).Add(float64(n))
	}
}

func (m *Metrics) sent(protocol string, n int64) {
	if m != nil && n > 0 {
		m.bytesOut.WithLabelValues(protocol).Add(float64(n))
	}
}

func (m *Metrics) sessionStarted(protocol string) {
	if m != nil {
		m.sessions.WithLabelValues(protocol).Inc()
	}
}

func (m *Metrics) sessionEnded(protocol string) {
	if m != nil {
		m.sessions.WithLabelValues(protocol).Dec()
	}
}

func (m *Metrics) observeStore(store, op string, start, end time.Time) {
	if m != nil {
		m.store.WithLabelValues(store, op).Observe(end.Sub(start).Seconds())
	}
}
