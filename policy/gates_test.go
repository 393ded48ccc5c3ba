package policy

import (
	"strings"
	"testing"

	"github.com/modelward/modelward/finding"
)

func TestGatesDefaultsAndOverrides(t *testing.T) {
	d := Default().Registry
	if d.BlockOn != finding.Medium || !d.RequireSignature || !d.TwoPersonRule {
		t.Fatalf("default gates %+v", d)
	}
	p, err := Parse(strings.NewReader(`
registry:
  two_person_rule: false
  trusted_keys: [release.pub]
  evaluation:
    accuracy: {min: 0.9}
    latency_ms: {max: 50}
`))
	if err != nil {
		t.Fatal(err)
	}
	g := p.Registry
	if g.TwoPersonRule || !g.RequireSignature || g.BlockOn != finding.Medium || len(g.TrustedKeys) != 1 {
		t.Fatalf("gates %+v", g)
	}
	if fails := g.CheckEvaluation(map[string]float64{"accuracy": 0.95, "latency_ms": 20}); len(fails) != 0 {
		t.Fatalf("passing results refused: %v", fails)
	}
	fails := g.CheckEvaluation(map[string]float64{"accuracy": 0.5})
	if len(fails) != 2 || !strings.Contains(fails[0], "accuracy: 0.5 is below the minimum 0.9") || !strings.Contains(fails[1], "latency_ms: no result") {
		t.Fatalf("fails %v", fails)
	}
	for _, bad := range []string{
		"registry: {two_person: true}",                       // misspelt key
		"registry: {evaluation: {acc: {}}}",                  // no bound
		"registry: {evaluation: {acc: {min: 2, max: 1}}}",    // min above max
		"registry: {identities: [{subject: a@example.com}]}", // no issuer
		"registry: {block_on: severe}",
	} {
		if _, err := Parse(strings.NewReader(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}
