package proxy

import (
	"io"
	"net/http"
	"strings"
	"testing"

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
