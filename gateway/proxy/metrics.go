package proxy

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

// Metric names. Label values are only configured model names ("" for
// requests naming none), statuses, reasons and detector names: a client
// cannot grow the series.
const (
	mRequests        = "modelward_gateway_requests_total"
	mUpstream        = "modelward_gateway_upstream_errors_total"
	mBlocked         = "modelward_gateway_blocked_total"
	mDegraded        = "modelward_gateway_degraded_total"
	mFlags           = "modelward_gateway_detector_flags_total"
	mLatency         = "modelward_gateway_request_duration_seconds"
	mHeld            = "modelward_gateway_held_for_review_total"
	mAlertsDropped   = "modelward_gateway_alerts_dropped_total"
	mLogErrors       = "modelward_gateway_request_log_errors_total"
	mFlagsShared     = "modelward_gateway_shared_flags_received_total"
	mFlagShareErrors = "modelward_gateway_flag_share_errors_total"
)

// metrics is the gateway's own Prometheus registry (not the global one, so
// that several gateways in one process, as in tests, do not collide).
type metrics struct {
	reg      *prometheus.Registry
	counters map[string]*prometheus.CounterVec
	latency  *prometheus.HistogramVec
	handler  http.Handler
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry(), counters: map[string]*prometheus.CounterVec{}}
	for _, c := range []struct {
		name, help string
		labels     []string
	}{
		{mRequests, "Requests answered, by model and status.", []string{"model", "status"}},
		{mUpstream, "Upstream failures, by model and kind.", []string{"model", "kind"}},
		{mBlocked, "Requests refused by a limit or a policy, by model and reason.", []string{"model", "reason"}},
		{mDegraded, "Answers degraded to the label only, by model and detector.", []string{"model", "detector"}},
		{mFlags, "Clients newly flagged, by model and detector.", []string{"model", "detector"}},
		{mHeld, "Answers held for human review, by model and detector.", []string{"model", "detector"}},
		{mAlertsDropped, "Registry alerts dropped because the alert queue was full, by model.", []string{"model"}},
		{mLogErrors, "Request log lines that could not be written.", nil},
		{mFlagsShared, "Flags raised by other replicas and applied here, through Redis, by model.", []string{"model"}},
		{mFlagShareErrors, "Failures sharing flags through Redis, by operation.", []string{"op"}},
	} {
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: c.name, Help: c.help}, c.labels)
		m.reg.MustRegister(v)
		m.counters[c.name] = v
	}
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: mLatency,
		Help: "Time from a request's arrival to its answer.", Buckets: prometheus.DefBuckets}, []string{"model"})
	m.reg.MustRegister(m.latency)
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return m
}

// values turns label pairs into the values, in the order declared above.
func values(kv []string) []string {
	out := make([]string, 0, len(kv)/2)
	for i := 1; i < len(kv); i += 2 {
		out = append(out, kv[i])
	}
	return out
}

func (m *metrics) inc(name string, kv ...string) {
	m.counters[name].WithLabelValues(values(kv)...).Inc()
}

func (m *metrics) observe(d time.Duration, kv ...string) {
	m.latency.WithLabelValues(values(kv)...).Observe(d.Seconds())
}

// value reads a counter, for tests.
func (m *metrics) value(name string, kv ...string) float64 {
	var d dto.Metric
	if err := m.counters[name].WithLabelValues(values(kv)...).Write(&d); err != nil {
		return -1
	}
	return d.GetCounter().GetValue()
}

// ServeHTTP answers a scrape.
func (m *metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.handler.ServeHTTP(w, r) }
