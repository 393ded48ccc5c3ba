package finding

import (
	"testing"

	"github.com/modelward/modelward/framework"
)

func TestRuleReferencesExistInATLAS(t *testing.T) {
	for _, r := range Rules() {
		for _, ref := range r.Refs {
			if ref.Framework != framework.ATLAS {
				continue
			}
			got, err := framework.ATLASTechnique(ref.ID)
			if err != nil {
				t.Fatalf("%s: %v", r.ID, err)
			}
			if got.Name != ref.Name {
				t.Errorf("%s: ATLAS %s is named %q in the catalogue, rule says %q", r.ID, ref.ID, got.Name, ref.Name)
			}
		}
	}
}

func TestRulesUniqueAndComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.ID] || seen[r.Name] {
			t.Errorf("duplicate rule %s / %s", r.ID, r.Name)
		}
		seen[r.ID], seen[r.Name] = true, true
		if r.Title == "" || r.Rationale == "" {
			t.Errorf("%s lacks a title or rationale", r.ID)
		}
	}
}

func TestSeverityText(t *testing.T) {
	for s := Info; s <= Critical; s++ {
		var back Severity
		b, _ := s.MarshalText()
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("%v does not round-trip: %v %v", s, back, err)
		}
	}
	if _, err := ParseSeverity("severe"); err == nil {
		t.Error("an unknown severity was accepted")
	}
}
