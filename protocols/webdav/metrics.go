package webdav

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the Prometheus series of WebDAV requests, beside the vfs
// operations they make. A nil *Metrics collects nothing.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics creates the series and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "strongroom_webdav_requests_total",
			Help: "WebDAV requests by method and status code.",
		}, []string{"method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "strongroom_webdav_request_duration_seconds",
			Help:    "Time to answer WebDAV requests, by method, to the end of the reply.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10),
		}, []string{"method"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

func (m *Metrics) observe(name string, status int, d time.Duration) {
	if m == nil {
		return
	}
	if method(name) == nil {
		name = "other" // keep the label's values few, whatever clients send
	}
	m.requests.WithLabelValues(name, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(name).Observe(d.Seconds())
}
