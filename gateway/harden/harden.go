package harden

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
)

// Limits on what a Hardener accepts. A vector longer than MaxClasses is
// refused rather than processed, so the cost of a request stays bounded.
const (
	MaxClasses  = 1 << 16
	MaxStages   = 16
	MaxDecimals = 6
	MaxSigma    = 1.0
)

// The stage modes.
const (
	ModeNone           = "none"
	ModeLabel          = "label"
	ModeTopK           = "topk"
	ModeRound          = "round"
	ModeReverseSigmoid = "reverse-sigmoid"
	ModeNoise          = "noise"
)

// Stage is one step of a hardening pipeline. Only the parameters of its
// Mode are read: K for topk, Decimals for round, Beta and Gamma for
// reverse-sigmoid, Sigma for noise.
type Stage struct {
	Mode        string
	K           int
	Decimals    int
	Beta, Gamma float64
	Sigma       float64
}

// Config configures a Hardener: either one stage through Mode and its
// parameters, or a pipeline through Stages (then Mode must be empty).
type Config struct {
	Mode             string // "none" | "label" | "topk" | "round" | "reverse-sigmoid" | "noise"
	K                int
	Decimals         int
	Beta, Gamma      float64
	Sigma            float64
	AllowLabelChange bool
	Seed             uint64
	Stages           []Stage
}

// Hardener hardens probability vectors. It is safe for concurrent use.
type Hardener struct {
	stages      []Stage
	allowChange bool
	seed        uint64
	requests    atomic.Uint64
}

// New validates c and returns its Hardener.
func New(c Config) (*Hardener, error) {
	stages, err := c.pipeline()
	if err != nil {
		return nil, err
	}
	for i, s := range stages {
		if err := s.validate(); err != nil {
			return nil, fmt.Errorf("harden: stage %d (%q): %w", i, s.Mode, err)
		}
	}
	return &Hardener{stages: slices.Clone(stages), allowChange: c.AllowLabelChange, seed: c.Seed}, nil
}

func (c Config) pipeline() ([]Stage, error) {
	if len(c.Stages) == 0 {
		if c.Mode == "" {
			// An empty mode is more likely a missing setting than a wish to
			// serve raw outputs: fail closed and make "none" explicit.
			return nil, errors.New(`harden: mode is empty; set "none" to serve outputs unhardened`)
		}
		return []Stage{{Mode: c.Mode, K: c.K, Decimals: c.Decimals, Beta: c.Beta, Gamma: c.Gamma, Sigma: c.Sigma}}, nil
	}
	if c.Mode != "" {
		return nil, errors.New("harden: set either Mode or Stages, not both")
	}
	if len(c.Stages) > MaxStages {
		return nil, fmt.Errorf("harden: %d stages, at most %d allowed", len(c.Stages), MaxStages)
	}
	return c.Stages, nil
}

func (s Stage) validate() error {
	switch s.Mode {
	case ModeNone, ModeLabel:
		return nil
	case ModeTopK:
		if s.K < 1 || s.K > MaxClasses {
			return fmt.Errorf("k must be between 1 and %d, got %d", MaxClasses, s.K)
		}
	case ModeRound:
		if s.Decimals < 0 || s.Decimals > MaxDecimals {
			return fmt.Errorf("decimals must be between 0 and %d, got %d", MaxDecimals, s.Decimals)
		}
	case ModeReverseSigmoid:
		if !positiveFinite(s.Beta) || !positiveFinite(s.Gamma) {
			return fmt.Errorf("beta and gamma must be finite and above 0, got beta=%v gamma=%v", s.Beta, s.Gamma)
		}
	case ModeNoise:
		if !(s.Sigma >= 0 && s.Sigma <= MaxSigma) {
			return fmt.Errorf("sigma must be between 0 and %v, got %v", MaxSigma, s.Sigma)
		}
	default:
		return fmt.Errorf("unknown mode %q (want none, label, topk, round, reverse-sigmoid or noise)", s.Mode)
	}
	return nil
}

func positiveFinite(x float64) bool { return x > 0 && !math.IsInf(x, 1) }

// Apply hardens probs into out (len(out) must equal len(probs)) and returns
// the label to report: the input's top class, or with AllowLabelChange the
// hardened vector's. It returns -1 for a vector it refuses (see the package
// documentation). Noise is drawn with the next request number as nonce.
func (h *Hardener) Apply(probs, out []float32) (label int) {
	return h.ApplyNonce(probs, out, h.requests.Add(1))
}

// ApplyNonce is Apply with the noise nonce chosen by the caller: the same
// Seed, nonce and input give the same output.
func (h *Hardener) ApplyNonce(probs, out []float32, nonce uint64) (label int) {
	n := len(probs)
	if n == 0 || n > MaxClasses || len(out) != n {
		return -1
	}
	if !sanitize(probs, out) {
		clear(out)
		return -1
	}
	top := argmax(out)
	var rng rand.PCG
	rng.Seed(h.seed, nonce)
	for _, s := range h.stages {
		q := s.apply(out, argmax(out), &rng)
		if !h.allowChange {
			keepTop(out, top, q)
		}
	}
	if h.allowChange {
		return argmax(out)
	}
	return top
}

// argmax returns the index of the largest value, the lowest on ties.
func argmax(v []float32) int {
	best := 0
	for i := 1; i < len(v); i++ {
		if v[i] > v[best] {
			best = i
		}
	}
	return best
}

// keepTop restores top as the argmax of out after a stage moved it: one
// transposition keeps the stage's values, then one quantum q from a class
// still tied with top makes top strictly largest.
func keepTop(out []float32, top int, q float32) {
	m := argmax(out)
	if m == top {
		return
	}
	out[top], out[m] = out[m], out[top]
	for j, v := range out {
		if j != top && v >= out[top] {
			d := min(q, v)
			out[j] -= d
			out[top] += d
			return // top now exceeds every other class: they were all ≤ its value
		}
	}
}

// sanitize copies in to out with non-finite and negative entries as 0 and
// normalises to sum 1; false when no positive finite mass is left.
func sanitize(in, out []float32) bool {
	for i, v := range in {
		x := float64(v)
		if !(x > 0) || math.IsInf(x, 1) {
			x = 0
		}
		out[i] = float32(x)
	}
	return renorm(out)
}

// renorm scales v to sum 1, summing in float64 so long vectors of float32
// keep their precision; false when the sum is not positive and finite.
func renorm(v []float32) bool {
	var sum float64
	for _, x := range v {
		sum += float64(x)
	}
	if !(sum > 0) || math.IsInf(sum, 1) {
		return false
	}
	for i, x := range v {
		v[i] = float32(float64(x) / sum)
	}
	return true
}

// Check reports whether probs is a well-formed probability vector: 1 to
// MaxClasses finite entries in [0, 1] summing to 1 within tol.
func Check(probs []float32, tol float64) error {
	if len(probs) == 0 || len(probs) > MaxClasses {
		return fmt.Errorf("harden: %d classes, want 1 to %d", len(probs), MaxClasses)
	}
	var sum float64
	for i, v := range probs {
		x := float64(v)
		if !(x >= 0 && x <= 1) {
			return fmt.Errorf("harden: probability %d is %v, outside [0, 1]", i, v)
		}
		sum += x
	}
	if math.Abs(sum-1) > tol {
		return fmt.Errorf("harden: probabilities sum to %v, not 1", sum)
	}
	return nil
}

// Agreement is the fraction of positions where a and b hold the same label,
// over the longer of the two (a missing label disagrees); 0 when both are
// empty.
func Agreement(a, b []int) float64 {
	n := max(len(a), len(b))
	if n == 0 {
		return 0
	}
	same := 0
	for i := range min(len(a), len(b)) {
		if a[i] == b[i] {
			same++
		}
	}
	return float64(same) / float64(n)
}
