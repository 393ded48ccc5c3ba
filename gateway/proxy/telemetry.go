package proxy

import (
	"fmt"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/modelward/modelward/gateway/auth"
	"github.com/modelward/modelward/gateway/oip"
	"github.com/modelward/modelward/gateway/telemetry"
)

// openTelemetry opens the prediction-record file when configured and
// exports its counters.
func (g *Gateway) openTelemetry() error {
	tc := g.cfg.Telemetry
	if tc == nil {
		return nil
	}
	fc := telemetry.FileConfig{Path: tc.Path, Sample: tc.Sample, MaxBytes: tc.MaxBytes, Keep: tc.Keep, Now: g.now}
	if tc.SaltFile != "" {
		b, err := os.ReadFile(tc.SaltFile)
		if err != nil {
			return fmt.Errorf("telemetry salt: %w", err)
		}
		fc.SampleSalt = []byte(strings.TrimSpace(string(b)))
	}
	f, err := telemetry.OpenFile(fc)
	if err != nil {
		return fmt.Errorf("telemetry: %w", err)
	}
	g.tele = f
	g.closers = append(g.closers, f.Close)
	for name, read := range map[string]func(telemetry.Stats) uint64{
		"written": func(s telemetry.Stats) uint64 { return s.Written }, "dropped": func(s telemetry.Stats) uint64 { return s.Dropped },
		"sampled_out": func(s telemetry.Stats) uint64 { return s.SampledOut }, "errors": func(s telemetry.Stats) uint64 { return s.Errors },
	} {
		g.metrics.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "modelward_gateway_prediction_records_" + name + "_total",
			Help: "Prediction records " + strings.ReplaceAll(name, "_", " ") + " (telemetry sink).",
		}, func() float64 { return float64(read(f.Stats())) }))
	}
	return nil
}

// record writes one prediction record per row: what monitoring reads to
// follow the model's behaviour and drift. It never blocks the answer.
func (g *Gateway) record(m *model, p auth.Principal, req *oip.InferRequest, version string, probs [][]float32, act action, lg *reqLog, status int) {
	if g.tele == nil {
		return
	}
	now := g.now().UTC()
	for i, row := range probs {
		top := argmax(row)
		g.tele.Write(telemetry.Record{Time: now, RequestID: req.ID, Client: p.ID, Model: m.cfg.Name, Version: version,
			Row: i, InputDigest: telemetry.DigestRow(req.Batch[i]), Label: top, Confidence: row[top],
			Degraded: act == actDegrade, Detector: lg.verdict.Detector, Score: lg.verdict.Score, Status: status})
	}
}
