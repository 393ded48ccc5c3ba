package proxy

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/modelward/modelward/gateway/digits"
)

// BenchmarkGatewayInfer: one infer through the gateway with registry API
// key authentication, rate limits, validation, PRADA, Blacklight, signals
// and top-k hardening on; natural digits, so nothing is flagged.
func BenchmarkGatewayInfer(b *testing.B) {
	w := newWorld(b, worldOpts{model: `    harden: {mode: topk, k: 3}
    detect: {prada: {enabled: true}, blacklight: {enabled: true, alarm_count: 64}, signals: {enabled: true, max_short_rate: 1000000, max_long_rate: 1000000}}
`})
	w.gw.models["digits"].cfg.Rate = RateConfig{Rate: 1e6, Burst: 1 << 30}
	benchInfer(b, w.ts.URL+"/v2/models/digits/infer", "Bearer "+w.tokens["all"], w.ts.Client())
}

// BenchmarkDirectInfer: the same requests straight to the upstream.
func BenchmarkDirectInfer(b *testing.B) {
	up := digitsUpstream(b)
	benchInfer(b, up.URL+"/v2/models/digits/infer", "", up.Client())
}

func benchInfer(b *testing.B, url, authz string, c *http.Client) {
	d := digits.UCI()
	bodies := make([]string, 256)
	for i := range bodies {
		bodies[i] = inferBody(d.Row(i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		req, _ := http.NewRequest("POST", url, strings.NewReader(bodies[i%len(bodies)]))
		req.Header.Set("Content-Type", "application/json")
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}

// BenchmarkDetectors10kClients: the detectors' cost per request (PRADA,
// Blacklight and every signal, as the gateway runs them) with 10,000
// clients tracked, each query a natural digit from a client picked at
// random after every client has sent 60 queries.
func BenchmarkDetectors10kClients(b *testing.B) {
	mc := ModelConfig{Input: InputConfig{Name: "pixels", Features: 64, Min: 0, Max: 16}, Classes: 10,
		Detect: DetectConfig{MaxClients: 10000, PRADA: &PRADAConfig{Enabled: true},
			Blacklight: &BlacklightConfig{Enabled: true, Scale: 16, AlarmCount: 3}, Signals: &SignalsConfig{Enabled: true}}}
	det, err := newDetectors(&mc, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	d, m := digits.UCI(), digits.Pretrained()
	rows := make([][]float32, 512)
	labels := make([]int, len(rows))
	for i := range rows {
		rows[i] = d.Row(i)
		labels[i] = digits.Label(m.Predict(rows[i]))
	}
	clients := make([]string, 10000)
	for i := range clients {
		clients[i] = fmt.Sprintf("client-%05d", i)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for k := range 60 {
		for i, c := range clients {
			j := (i*7 + k*13) % len(rows)
			det.observe(c, rows[j], labels[j])
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perClient := float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(len(clients))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(rand.Uint64(), 1))
		for pb.Next() {
			j := r.IntN(len(rows))
			det.observe(clients[r.IntN(len(clients))], rows[j], labels[j])
		}
	})
	b.ReportMetric(perClient, "heap-B/client") // after 60 queries each
}
