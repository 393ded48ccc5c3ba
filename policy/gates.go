package policy

import (
	"fmt"
	"math"
	"sort"

	"go.yaml.in/yaml/v3"

	"github.com/modelward/modelward/finding"
)

// Gates are the registry's lifecycle gates: what a model version must show
// to move from registered to verified, from verified to evaluated, and who
// may approve it. They live in the policy file under "registry:".
type Gates struct {
	// BlockOn: a version with a scan finding at or above this severity (or a
	// file that could not be fully inspected) cannot become verified.
	BlockOn finding.Severity `yaml:"block_on" json:"block_on"`
	// RequireSignature: a version must carry a signature that verifies
	// with one of the trusted signers below.
	RequireSignature bool `yaml:"require_signature" json:"require_signature"`
	// TrustedKeys and TrustedRoots are PEM files (public keys; root
	// certificates), relative to the working directory of the server.
	TrustedKeys  []string `yaml:"trusted_keys,omitempty" json:"trusted_keys,omitempty"`
	TrustedRoots []string `yaml:"trusted_roots,omitempty" json:"trusted_roots,omitempty"`
	// Identities accepted for Sigstore keyless signatures (subject and OIDC
	// issuer), verified offline against SigstoreTrustedRoot (a trusted root
	// JSON file; empty means the built-in public-good root).
	Identities          []Identity `yaml:"identities,omitempty" json:"identities,omitempty"`
	SigstoreTrustedRoot string     `yaml:"sigstore_trusted_root,omitempty" json:"sigstore_trusted_root,omitempty"`
	// Evaluation: metric name → bounds the recorded results must meet to
	// become evaluated. A metric the policy names must be present.
	Evaluation map[string]Bounds `yaml:"evaluation,omitempty" json:"evaluation,omitempty"`
	// TwoPersonRule: the approver of a version may not be its publisher.
	TwoPersonRule bool `yaml:"two_person_rule" json:"two_person_rule"`
}

// Identity is a keyless signer: certificate subject and OIDC issuer.
type Identity struct {
	Subject string `yaml:"subject" json:"subject"`
	Issuer  string `yaml:"issuer" json:"issuer"`
}

// Bounds limit one evaluation metric; a nil bound is open.
type Bounds struct {
	Min *float64 `yaml:"min,omitempty" json:"min,omitempty"`
	Max *float64 `yaml:"max,omitempty" json:"max,omitempty"`
}

// decodeGates lays the gates a file sets over base, rejecting unknown keys.
func decodeGates(n *yaml.Node, base Gates) (Gates, error) {
	g, err := decodeOver(n, base)
	if err != nil {
		return base, err
	}
	return g, g.validate()
}

func (g Gates) validate() error {
	for _, id := range g.Identities {
		if id.Subject == "" || id.Issuer == "" {
			return fmt.Errorf("registry.identities: every identity needs a subject and an issuer")
		}
	}
	for name, b := range g.Evaluation {
		for _, v := range []*float64{b.Min, b.Max} {
			if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
				return fmt.Errorf("registry.evaluation.%s: bounds must be finite numbers", name)
			}
		}
		if b.Min == nil && b.Max == nil {
			return fmt.Errorf("registry.evaluation.%s: give min, max or both", name)
		}
		if b.Min != nil && b.Max != nil && *b.Min > *b.Max {
			return fmt.Errorf("registry.evaluation.%s: min %g is above max %g", name, *b.Min, *b.Max)
		}
	}
	if g.RequireSignature && len(g.TrustedKeys)+len(g.TrustedRoots)+len(g.Identities) == 0 {
		return nil // allowed: the server refuses to verify anything until signers are configured
	}
	return nil
}

// CheckEvaluation compares recorded results with the bounds and returns
// one sentence per metric that fails, sorted; none means the gate passes.
func (g Gates) CheckEvaluation(results map[string]float64) []string {
	var out []string
	for name, b := range g.Evaluation {
		v, ok := results[name]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s: no result recorded", name))
		case math.IsNaN(v):
			out = append(out, fmt.Sprintf("%s: the result is not a number", name))
		case b.Min != nil && v < *b.Min:
			out = append(out, fmt.Sprintf("%s: %g is below the minimum %g", name, v, *b.Min))
		case b.Max != nil && v > *b.Max:
			out = append(out, fmt.Sprintf("%s: %g is above the maximum %g", name, v, *b.Max))
		}
	}
	sort.Strings(out)
	return out
}
