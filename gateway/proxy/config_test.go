package proxy

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const baseConfig = `listen: 127.0.0.1:8080
auth: {none: true}
models:
  - name: digits
    upstreams: [http://127.0.0.1:9000]
    rate: {rate: 10, burst: 20, daily: 1000}
    input: {name: pixels, features: 64, min: 0, max: 16}
    classes: 10
`

func TestConfigDefaultsAndFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "gw.yaml")
	if err := os.WriteFile(p, []byte(baseConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	m := c.Models[0]
	if c.Limits.UpstreamTimeout != 10*time.Second || c.Breaker.Failures != 5 || m.Policy != PolicyLog ||
		m.Harden.Mode != "none" || !m.enabled() || c.Limits.MaxBodyBytes != 1<<20 {
		t.Fatalf("defaults: %+v", c)
	}
}

// Strict decoding: a typo or a bad value is an error, never ignored.
func TestConfigRejects(t *testing.T) {
	for _, c := range []struct{ name, edit, want string }{
		{"unknown field", "listen: 127.0.0.1:8080\nlisten_addr: x\n", "listen_addr"},
		{"typo in model", "    clases: 10\n", "clases"},
		{"no auth", "auth: {none: true}|auth: {}", "auth needs"},
		{"none and jwt", "auth: {none: true}|auth: {none: true, jwt: {issuer: x}}", "auth needs"},
		{"bad policy", "    policy: shrug\n", "policy"},
		{"bad upstream", "http://127.0.0.1:9000|file:///etc/passwd", "upstream"},
		{"bad name", "name: digits|name: ../x", "name"},
		{"bad rate", "rate: 10,|rate: -1,", "rate"},
		{"bad range", "min: 0, max: 16|min: 16, max: 0", "input"},
		{"bad harden", "    harden: {mode: topk, k: 0}\n", "harden"},
		{"gate without registry", "    registry: {model: digits}\n", "registry"},
		{"two documents", "---\nlisten: x\n", "more than one"},
	} {
		yml := baseConfig
		if old, repl, ok := strings.Cut(c.edit, "|"); ok {
			yml = strings.Replace(yml, old, repl, 1)
		} else if strings.HasPrefix(c.edit, "listen") {
			yml = strings.Replace(yml, "listen: 127.0.0.1:8080\n", c.edit, 1)
		} else {
			yml += c.edit
		}
		_, err := ParseConfig([]byte(yml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
		}
	}
}

func TestBreaker(t *testing.T) {
	clk := newClock()
	b := &breaker{limit: 2, cooldown: time.Second, now: clk.Now}
	b.done(false)
	if !b.allow() || b.state() != breakerClosed {
		t.Fatal("opened after one failure")
	}
	b.done(false)
	if b.allow() || b.state() != breakerOpen {
		t.Fatal("not open after two")
	}
	clk.Advance(time.Second)
	if !b.allow() {
		t.Fatal("no probe after the cool-down")
	}
	if b.allow() {
		t.Fatal("two probes at once")
	}
	b.done(false) // the probe failed: open again for a full cool-down
	if b.allow() {
		t.Fatal("reopened breaker let a call through")
	}
	clk.Advance(time.Second)
	if !b.allow() {
		t.Fatal("no second probe")
	}
	b.done(true)
	first, second := b.allow(), b.allow()
	if !first || !second || b.state() != breakerClosed {
		t.Fatal("not closed after a good probe")
	}
}

// The example configuration in examples/gateway parses as it is shipped.
func TestExampleConfigParses(t *testing.T) {
	b, err := os.ReadFile("../../examples/gateway/gateway.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Models) != 1 || cfg.Models[0].Name != "digits" || cfg.Models[0].Policy != PolicyBlock {
		t.Fatalf("example config: %+v", cfg.Models)
	}
}

// Every detector parameter reaches its detector: a consistent set builds,
// and an inconsistent one is refused at start-up, naming the detector.
func TestDetectorParameters(t *testing.T) {
	base := `listen: 127.0.0.1:0
auth: {none: true}
models:
  - name: digits
    upstreams: [http://127.0.0.1:1]
    rate: {rate: 10, burst: 10}
    input: {name: pixels, features: 64, min: 0, max: 16}
    classes: 10
    detect:
      idle_ttl: 10m
      prada: {enabled: true, threshold: 0.85, min_queries: 50, max_per_class: 20, max_distances: 500}
      blacklight: {enabled: true, scale: 16, step: 10, window: 8, top_s: 20, match_threshold: %d, alarm_count: 2, max_hashes: 400}
      signals: {enabled: true, short_window: 5s, long_window: 5m, max_short_rate: 10, max_long_rate: 2, digest_ring: 64,
        max_repeat: 0.4, bins: 8, max_coverage: 0.7, few_coords: 2, max_structure: 0.6, step_ring: 32, min_step_coords: 6,
        max_sign_steps: 0.4, min_queries: 20}
`
	cfg, err := ParseConfig([]byte(fmt.Sprintf(base, 10)))
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sc := g.models["digits"].det.signals.cfg
	if sc.StepRing != 32 || sc.MinStepCoords != 6 || sc.Bins != 8 || sc.DigestRing != 64 || sc.ShortWindow.Seconds() != 5 {
		t.Errorf("signals config %+v", sc)
	}
	g.Close()
	cfg, err = ParseConfig([]byte(fmt.Sprintf(base, 30))) // more matches than hashes in a fingerprint
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg, Options{}); err == nil || !strings.Contains(err.Error(), "blacklight") {
		t.Fatalf("inconsistent blacklight accepted: %v", err)
	}
}
