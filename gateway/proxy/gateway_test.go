package proxy

import (
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/modelward/modelward/gateway/digits"
	"github.com/modelward/modelward/registry"
)

// The gateway's answer carries the upstream's label for real digits.
func TestInferEndToEnd(t *testing.T) {
	w := newWorld(t, worldOpts{})
	d := digits.UCI()
	m := digits.Pretrained()
	for i := range 20 {
		x := d.Row(i * 7)
		st, b := w.infer(w.tokens["all"], inferBody(x))
		if st != http.StatusOK {
			t.Fatalf("row %d: %d %s", i, st, b)
		}
		r := decode(t, b)
		want := digits.Label(m.Predict(x))
		if got := r.output("label"); len(got) != 1 || int(got[0]) != want {
			t.Fatalf("row %d: label %v, upstream says %d", i, got, want)
		}
		if r.ModelName != "digits" || r.ID != "t1" || len(r.output("probabilities")) != 10 {
			t.Fatalf("response %s", b)
		}
	}
	// A batch of three, and metadata and readiness passed through.
	st, b := w.infer(w.tokens["all"], inferBody(d.Row(0), d.Row(1), d.Row(2)))
	if st != 200 || len(decode(t, b).output("label")) != 3 {
		t.Fatalf("batch: %d %s", st, b)
	}
	if st, b, _ := w.do("GET", "/v2/models/digits", w.tokens["all"], ""); st != 200 || !strings.Contains(string(b), `"pixels"`) {
		t.Fatalf("metadata: %d %s", st, b)
	}
	if st, _, _ := w.do("GET", "/v2/models/digits/ready", w.tokens["all"], ""); st != 200 {
		t.Fatalf("ready: %d", st)
	}
	if st, _, _ := w.do("GET", "/v2/health/ready", w.tokens["all"], ""); st != 200 {
		t.Fatalf("health: %d", st)
	}
	// One log line per request, without the credential or the input.
	logs := w.logs.String()
	if strings.Contains(logs, w.tokens["all"]) || strings.Contains(logs, "pixels") {
		t.Fatalf("logs leak: %s", logs)
	}
	if n := strings.Count(logs, `"msg":"request"`); n != 24 {
		t.Fatalf("%d request log lines, want 24", n)
	}
}

func TestRefusals(t *testing.T) {
	w := newWorld(t, worldOpts{model: "    model_rate: {rate: 0.001, burst: 6}\n"})
	x := digits.UCI().Row(0)
	good := inferBody(x)
	bad := append([]float32(nil), x...)
	bad[5] = 17
	neg := append([]float32(nil), x...)
	neg[0] = -0.5
	for _, c := range []struct {
		name, secret, body string
		want               int
		msg                string
	}{
		{"no credential", "", good, 401, "authentication"},
		{"bad credential", "mwt_nope", good, 401, "authentication"},
		{"out of scope", w.tokens["other"], good, 403, "not allowed"},
		{"too large", w.tokens["all"], `{"x":"` + strings.Repeat("a", 2<<20) + `"}`, 413, "over"},
		{"above max", w.tokens["all"], inferBody(bad), 400, "outside the allowed range [0, 16]"},
		{"below min", w.tokens["all"], inferBody(neg), 400, "row 0 element 0 is -0.5"},
		{"not OIP", w.tokens["all"], `{"inputs":[]}`, 400, "inputs"},
		{"trailing", w.tokens["all"], good + "{}", 400, "more than one"},
	} {
		st, b := w.infer(c.secret, c.body)
		if st != c.want || !strings.Contains(errorOf(b), c.msg) {
			t.Errorf("%s: %d %s, want %d %q", c.name, st, b, c.want, c.msg)
		}
	}
	// The model's own limit (burst 6, refilled every 1000 s): the 413 and
	// the four 400s were counted (limits apply before the body is read, so
	// junk costs quota too); one more passes and the next is refused.
	st, b := w.infer(w.tokens["bob"], good)
	if st != 200 {
		t.Fatalf("fourth: %d %s", st, b)
	}
	st, b, h := w.do("POST", "/v2/models/digits/infer", w.tokens["bob"], good)
	if st != 429 || h.Get("Retry-After") == "" {
		t.Fatalf("limit: %d %s %v", st, b, h)
	}
	if got := w.gw.metrics.value(mBlocked, "model", "digits", "reason", "rate"); got != 1 {
		t.Fatalf("blocked metric %v", got)
	}
}

// Each principal has its own bucket on a model.
func TestPerPrincipalLimit(t *testing.T) {
	w := newWorld(t, worldOpts{})
	w.gw.models["digits"].cfg.Rate = RateConfig{Rate: 0.001, Burst: 2}
	good := inferBody(digits.UCI().Row(3))
	for i := range 2 {
		if st, b := w.infer(w.tokens["all"], good); st != 200 {
			t.Fatalf("%d: %d %s", i, st, b)
		}
	}
	if st, _ := w.infer(w.tokens["all"], good); st != 429 {
		t.Fatalf("third: %d", st)
	}
	if st, _ := w.infer(w.tokens["bob"], good); st != 200 {
		t.Fatalf("another principal: %d", st)
	}
}

// Path tricks reach no route and, without a credential, nothing but 401.
func TestPathTricks(t *testing.T) {
	w := newWorld(t, worldOpts{})
	body := inferBody(digits.UCI().Row(0))
	tricks := []string{
		"/v2/models/digits//infer",
		"//v2/models/digits/infer",
		"/v2//models/digits/infer",
		"/v2/models/digits/infer/",
		"/v2/models/digits/./infer",
		"/v2/models/x/../digits/infer",
		"/v2/models/%2e%2e/digits/infer",
		"/v2/models/digits%2Finfer",
		"/v2/models/digits/%69nfer",
		"/v2/models/%64igits/infer",
		"/v2/models/Digits/infer",
		"/V2/models/digits/infer",
		"/v2/models/digits/INFER",
		"/admin/models/digits/../../v2/models/digits/infer",
		"/v2/models/digits/infer%00",
		"/v2/models/digits/infer;x",
	}
	for _, p := range tricks {
		if st, _, _ := w.do("POST", p, "", body); st != 401 {
			t.Errorf("%s without a credential: %d, want 401", p, st)
		}
		st, b, _ := w.do("POST", p, w.tokens["all"], body)
		if st != 404 {
			t.Errorf("%s: %d %s, want 404", p, st, b)
		}
		// The scoped token gets no further through a trick either.
		if st, _, _ := w.do("POST", p, w.tokens["other"], body); st != 404 && st != 403 {
			t.Errorf("%s scoped: %d", p, st)
		}
	}
	// Admin routes: a model key is refused, the admin key cannot infer.
	if st, _, _ := w.do("POST", "/admin/models/digits/disable", w.tokens["all"], ""); st != 403 {
		t.Errorf("admin with a model key: %d", st)
	}
	if st, _, _ := w.do("GET", "/metrics", w.tokens["all"], ""); st != 403 {
		t.Errorf("metrics with a model key: %d", st)
	}
	if st, _, _ := w.do("POST", "/v2/models/digits/infer", adminKey, body); st != 403 {
		t.Errorf("infer with the admin key: %d", st)
	}
	if st, _, h := w.do("GET", "/v2/models/digits/infer", w.tokens["all"], ""); st != 405 || h.Get("Allow") != "POST" {
		t.Errorf("GET infer: %d", st)
	}
}

func TestKillSwitchAndMetrics(t *testing.T) {
	w := newWorld(t, worldOpts{})
	good := inferBody(digits.UCI().Row(0))
	if st, _, _ := w.do("POST", "/admin/models/digits/disable", adminKey, ""); st != 200 {
		t.Fatalf("disable: %d", st)
	}
	st, b := w.infer(w.tokens["all"], good)
	if st != 503 || !strings.Contains(errorOf(b), "disabled") {
		t.Fatalf("disabled: %d %s", st, b)
	}
	if st, _, _ := w.do("POST", "/admin/models/digits/enable", adminKey, ""); st != 200 {
		t.Fatalf("enable: %d", st)
	}
	if st, _ := w.infer(w.tokens["all"], good); st != 200 {
		t.Fatalf("enabled: %d", st)
	}
	// A reload with enabled: false switches it off too.
	cfg := *w.gw.cfg
	off := false
	cfg.Models = append([]ModelConfig(nil), cfg.Models...)
	cfg.Models[0].Enabled = &off
	w.gw.ApplyReload(&cfg)
	if st, _ := w.infer(w.tokens["all"], good); st != 503 {
		t.Fatalf("reloaded off: %d", st)
	}
	st, b, h := w.do("GET", "/metrics", adminKey, "")
	if st != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		t.Fatalf("metrics: %d", st)
	}
	for _, want := range []string{
		`modelward_gateway_requests_total{model="digits",status="200"} 3`, // enable, disable, infer
		`modelward_gateway_requests_total{model="digits",status="503"} 2`,
		`modelward_gateway_request_duration_seconds_bucket{model="digits",le="+Inf"}`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %s:\n%s", want, b)
		}
	}
}

// A flagged client is blocked or degraded as the policy says; the
// coverage signal flags uniform random queries (docs/gateway.md).
func TestFlaggedClient(t *testing.T) {
	for _, policy := range []string{PolicyBlock, PolicyDegrade, PolicyAlert} {
		t.Run(policy, func(t *testing.T) {
			w := newWorld(t, worldOpts{model: "    policy: " + policy + "\n    detect: {signals: {enabled: true}, prada: {enabled: true}}\n"})
			r := rand.New(rand.NewPCG(7, 7))
			flaggedAt := 0
			var last []byte
			for i := range 200 {
				x := make([]float32, 64)
				for j := range x {
					x[j] = float32(r.IntN(17))
				}
				w.clock.Advance(500 * time.Millisecond)
				st, b := w.infer(w.tokens["bob"], inferBody(x))
				last = b
				switch {
				case st == 403 && policy == PolicyBlock:
					flaggedAt = i + 1
				case st != 200:
					t.Fatalf("query %d: %d %s", i, st, b)
				case policy == PolicyDegrade && isOneHot(decode(t, b).output("probabilities")):
					flaggedAt = i + 1
				}
				if flaggedAt > 0 {
					break
				}
			}
			if policy == PolicyAlert {
				if w.gw.metrics.value(mFlags, "model", "digits", "detector", "signals/coverage") == 0 {
					t.Fatal("never flagged")
				}
				if !strings.Contains(w.logs.String(), "extraction suspected") {
					t.Fatal("no alert logged")
				}
				return
			}
			if flaggedAt == 0 {
				t.Fatalf("not flagged in 200 queries; last %s", last)
			}
			t.Logf("%s from query %d", policy, flaggedAt)
			// Flagged: a natural digit is treated the same way now.
			st, b := w.infer(w.tokens["bob"], inferBody(digits.UCI().Row(0)))
			if policy == PolicyBlock && st != 403 {
				t.Fatalf("after block: %d", st)
			}
			if policy == PolicyDegrade && (st != 200 || !isOneHot(decode(t, b).output("probabilities"))) {
				t.Fatalf("after degrade: %d %s", st, b)
			}
			// Another client is unaffected.
			st, b = w.infer(w.tokens["all"], inferBody(digits.UCI().Row(0)))
			if st != 200 || isOneHot(decode(t, b).output("probabilities")) {
				t.Fatalf("other client: %d %s", st, b)
			}
			if !strings.Contains(w.logs.String(), `"detector":"signals/coverage"`) {
				t.Fatal("no detector decision logged")
			}
		})
	}
}

func isOneHot(p []float64) bool {
	ones := 0
	for _, v := range p {
		switch v {
		case 1:
			ones++
		case 0:
		default:
			return false
		}
	}
	return ones == 1
}

// Hardening changes the vector but not the label.
func TestHardening(t *testing.T) {
	w := newWorld(t, worldOpts{model: "    harden: {stages: [{mode: topk, k: 3}, {mode: round, decimals: 2}]}\n"})
	d := digits.UCI()
	m := digits.Pretrained()
	for i := range 30 {
		x := d.Row(i * 11)
		st, b := w.infer(w.tokens["all"], inferBody(x))
		if st != 200 {
			t.Fatalf("%d: %d %s", i, st, b)
		}
		r := decode(t, b)
		p := r.output("probabilities")
		nonzero := 0
		for _, v := range p {
			if v != 0 {
				nonzero++
			}
			if v*100 != float64(int(v*100+0.5)) && v*100-float64(int(v*100)) > 1e-3 {
				t.Fatalf("%d: %v not rounded to 2 decimals", i, v)
			}
		}
		if nonzero > 3 {
			t.Fatalf("%d: %d non-zero probabilities after top-3", i, nonzero)
		}
		if got, want := int(r.output("label")[0]), digits.Label(m.Predict(x)); got != want {
			t.Fatalf("%d: label %d, model says %d", i, got, want)
		}
	}
}

// A quarantine in the registry makes the model unavailable (503) within a
// generous deadline, through the event broker and through polling.
func TestRegistryGate(t *testing.T) {
	for _, events := range []bool{true, false} {
		name := map[bool]string{true: "events", false: "polling"}[events]
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			w := newWorld(t, worldOpts{model: "    registry: {model: digits}\n", events: events})
			good := inferBody(digits.UCI().Row(0))
			st, b := w.infer(w.tokens["all"], good)
			if st != 503 || !strings.Contains(errorOf(b), "no deployed version") {
				t.Fatalf("before deploy: %d %s", st, b)
			}
			deploy(t, w.svc.Store())
			waitStatus(t, w, good, 200)
			// A route naming a version serves only the deployed one.
			for path, want := range map[string]int{"/v2/models/digits/versions/1/infer": 200, "/v2/models/digits/versions/2/infer": 404,
				"/v2/models/digits/versions/../infer": 404, "/v2/models/digits/versions/1/infer/x": 404} {
				if st, b, _ := w.do("POST", path, w.tokens["all"], good); st != want {
					t.Errorf("%s: %d %s, want %d", path, st, b, want)
				}
			}
			root := registry.Actor{ID: "local:test", Role: registry.RoleAdmin}
			if _, err := w.svc.Transition(ctx, root, "digits", 1, registry.Quarantined, "test"); err != nil {
				t.Fatal(err)
			}
			waitStatus(t, w, good, 503)
		})
	}
}

// deploy writes version 1 of digits straight to the store as deployed:
// the gates it skips are the registry's own business, tested there.
func deploy(t *testing.T, st registry.Store) {
	t.Helper()
	ctx := context.Background()
	v := &registry.Version{Model: "digits", Digest: "sha256:" + strings.Repeat("0", 64), Publisher: "local:test"}
	if err := st.CreateVersion(ctx, v, &registry.AuditEntry{Actor: "local:test", Action: "version.push"}); err != nil {
		t.Fatal(err)
	}
	_, err := st.UpdateVersion(ctx, "digits", v.Number, func(v *registry.Version) (*registry.AuditEntry, error) {
		from := v.State
		v.State = registry.Deployed
		return &registry.AuditEntry{Actor: "local:test", Action: "version.transition", Model: "digits", Version: v.Number, From: from, To: registry.Deployed}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func waitStatus(t *testing.T, w *world, body string, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, _ := w.infer(w.tokens["all"], body)
		if st == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("status %d, still not %d", st, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Upstream failures: down 502, slow 504, garbage 502; the breaker opens
// after three failures and lets a probe through after the cool-down.
func TestUpstreamFailures(t *testing.T) {
	good := inferBody(digits.UCI().Row(0))
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()

	t.Run("down", func(t *testing.T) {
		w := newWorld(t, worldOpts{upstreams: downURL, top: "breaker: {failures: 3, cooldown: 30s}"})
		for i := range 3 {
			if st, b := w.infer(w.tokens["all"], good); st != 502 || !strings.Contains(errorOf(b), "unreachable") {
				t.Fatalf("%d: %d %s", i, st, b)
			}
		}
		st, b := w.infer(w.tokens["all"], good)
		if st != 503 || !strings.Contains(errorOf(b), "circuit") {
			t.Fatalf("breaker: %d %s", st, b)
		}
	})
	t.Run("slow", func(t *testing.T) {
		release := make(chan struct{})
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		t.Cleanup(func() { close(release); slow.Close() })
		w := newWorld(t, worldOpts{upstreams: slow.URL, top: "limits: {upstream_timeout: 100ms}"})
		if st, b := w.infer(w.tokens["all"], good); st != 504 || !strings.Contains(errorOf(b), "in time") {
			t.Fatalf("slow: %d %s", st, b)
		}
	})
	t.Run("garbage then recovery", func(t *testing.T) {
		real := digitsUpstream(t)
		var broken = true
		var mu = make(chan struct{}, 1)
		mu <- struct{}{}
		flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-mu
			b := broken
			mu <- struct{}{}
			if b {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"outputs":[{"name":"probabilities","shape":[1,10],"data":[1,2,`))
				return
			}
			r.URL.Host, r.URL.Scheme = strings.TrimPrefix(real.URL, "http://"), "http"
			r.RequestURI = ""
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				w.WriteHeader(500)
				return
			}
			defer resp.Body.Close()
			w.WriteHeader(resp.StatusCode)
			var v any
			_ = json.NewDecoder(resp.Body).Decode(&v)
			_ = json.NewEncoder(w).Encode(v)
		}))
		t.Cleanup(flaky.Close)
		w := newWorld(t, worldOpts{upstreams: flaky.URL, top: "breaker: {failures: 3, cooldown: 30s}"})
		for i := range 3 {
			if st, b := w.infer(w.tokens["all"], good); st != 502 || !strings.Contains(errorOf(b), "malformed") {
				t.Fatalf("%d: %d %s", i, st, b)
			}
		}
		if st, _ := w.infer(w.tokens["all"], good); st != 503 {
			t.Fatalf("breaker not open: %d", st)
		}
		<-mu
		broken = false
		mu <- struct{}{}
		if st, _ := w.infer(w.tokens["all"], good); st != 503 {
			t.Fatalf("open before the cool-down: %d", st)
		}
		w.clock.Advance(31 * time.Second)
		if st, b := w.infer(w.tokens["all"], good); st != 200 {
			t.Fatalf("half-open probe: %d %s", st, b)
		}
		if st, _ := w.infer(w.tokens["all"], good); st != 200 {
			t.Fatalf("closed again: %d", st)
		}
		if w.gw.metrics.value(mUpstream, "model", "digits", "kind", "garbage") != 3 {
			t.Fatal("upstream error metric")
		}
	})
}

// Many failing requests leave no goroutines behind.
func TestNoGoroutineLeak(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The server notices a client that left only once the body is read.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer slow.Close()
	defer close(release)
	w := newWorld(t, worldOpts{upstreams: slow.URL, top: "limits: {upstream_timeout: 20ms}\nbreaker: {failures: 1000000}"})
	good := inferBody(digits.UCI().Row(0))
	w.infer(w.tokens["all"], good) // warm the connections up
	w.ts.Client().CloseIdleConnections()
	before := runtime.NumGoroutine()
	for range 100 {
		if st, _ := w.infer(w.tokens["all"], good); st != 504 {
			t.Fatalf("status %d", st)
		}
	}
	w.ts.Client().CloseIdleConnections()
	w.gw.client.CloseIdleConnections()
	deadline := time.Now().Add(10 * time.Second)
	for {
		after := runtime.NumGoroutine()
		if after <= before+10 {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines %d before, %d after\n%s", before, after, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(50 * time.Millisecond)
	}
}
