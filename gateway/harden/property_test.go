package harden

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func newTestPCG(a, b uint64) *rand.PCG { return rand.NewPCG(a, b) }

func unit(r *rand.PCG) float64 { return float64(r.Uint64()>>11) / (1 << 53) }

// propertyConfigs covers every mode, with parameters at and inside their
// bounds, and pipelines that chain them.
var propertyConfigs = []Config{
	{Mode: "none"},
	{Mode: "label"},
	{Mode: "topk", K: 1},
	{Mode: "topk", K: 3},
	{Mode: "round", Decimals: 0},
	{Mode: "round", Decimals: 1},
	{Mode: "round", Decimals: 2},
	{Mode: "round", Decimals: 6},
	{Mode: "reverse-sigmoid", Beta: 1, Gamma: 1},
	{Mode: "reverse-sigmoid", Beta: 0.7, Gamma: 0.3},
	{Mode: "reverse-sigmoid", Beta: 5, Gamma: 8},
	{Mode: "noise", Sigma: 0.01},
	{Mode: "noise", Sigma: 1},
	{Stages: []Stage{{Mode: "reverse-sigmoid", Beta: 0.5, Gamma: 0.5}, {Mode: "round", Decimals: 2}, {Mode: "topk", K: 3}}},
	{Stages: []Stage{{Mode: "noise", Sigma: 0.2}, {Mode: "round", Decimals: 1}, {Mode: "noise", Sigma: 0.05}}},
}

// randomVector draws the shapes that break hardening code: smooth vectors,
// ties, zeros, one-hot, non-finite and negative entries, huge and
// subnormal values, and lengths on both sides of smallN.
func randomVector(r *rand.PCG, buf []float32) []float32 {
	n := 1 + int(r.Uint64()%16)
	switch r.Uint64() % 20 {
	case 0:
		n = 65 + int(r.Uint64()%300)
	case 1:
		n = 2 + int(r.Uint64()%3)
	}
	v := buf[:n]
	kind := r.Uint64() % 7
	for i := range v {
		switch kind {
		case 0: // smooth, like a softmax
			v[i] = float32(math.Exp(6 * unit(r)))
		case 1: // ties
			v[i] = float32(r.Uint64()%3) * 0.25
		case 2: // mostly zeros
			if r.Uint64()%4 == 0 {
				v[i] = float32(unit(r))
			} else {
				v[i] = 0
			}
		case 3: // one-hot
			v[i] = 0
		case 4: // hostile entries mixed in
			v[i] = []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), -1, 1e-40, math.MaxFloat32, float32(unit(r))}[r.Uint64()%7]
		case 5: // uniform
			v[i] = 1
		default:
			v[i] = float32(unit(r))
		}
	}
	if kind == 3 {
		v[r.Uint64()%uint64(n)] = 1
	}
	return v
}

// expectedTop is the argmax of the sanitised input, computed independently
// of the package: non-finite and negative entries count as 0, and -1 when no
// positive mass is left.
func expectedTop(v []float32) int {
	best, bestV := -1, 0.0
	var sum float64
	for i, x := range v {
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 {
			continue
		}
		sum += f
		if f > bestV {
			best, bestV = i, f
		}
	}
	if sum == 0 {
		return -1
	}
	// Normalising is monotone, but float32 rounding may merge two close
	// values into a tie; the package decides on the normalised vector.
	for i, x := range v {
		f := float64(x)
		if f > 0 && !math.IsInf(f, 0) && float32(f/sum) == float32(bestV/sum) {
			return i
		}
	}
	return best
}

func TestProperties(t *testing.T) {
	vectors := 100000
	if testing.Short() {
		vectors = 10000
	}
	for ci, cfg := range propertyConfigs {
		h := mustNew(t, cfg)
		r := newTestPCG(uint64(ci), 77)
		in, out := make([]float32, 400), make([]float32, 400)
		for k := range vectors {
			v := randomVector(r, in)
			o := out[:len(v)]
			label := h.Apply(v, o)
			if want := expectedTop(v); label != want {
				t.Fatalf("config %d vector %d %v: label %d, want %d (out %v)", ci, k, v, label, want, o)
			}
			if label < 0 {
				continue
			}
			if msg := checkVector(o, label); msg != "" {
				t.Fatalf("config %d vector %d %v: %s: %v", ci, k, v, msg, o)
			}
		}
	}
}

// checkVector reports what is wrong with a hardened vector, or "".
func checkVector(o []float32, label int) string {
	var sum float64
	for _, x := range o {
		f := float64(x)
		if !(f >= 0 && f <= 1) {
			return "value outside [0, 1] or not finite"
		}
		sum += f
	}
	if math.Abs(sum-1) > 1e-5 {
		return "does not sum to 1"
	}
	if argmax(o) != label {
		return "argmax moved"
	}
	return ""
}

// With label changes allowed the vector is still a distribution and the
// reported label is its argmax.
func TestPropertiesLabelChange(t *testing.T) {
	for ci, cfg := range propertyConfigs {
		cfg.AllowLabelChange = true
		h := mustNew(t, cfg)
		r := newTestPCG(uint64(ci), 78)
		in, out := make([]float32, 400), make([]float32, 400)
		for k := range 10000 {
			v := randomVector(r, in)
			o := out[:len(v)]
			label := h.Apply(v, o)
			if label < 0 {
				continue
			}
			if msg := checkVector(o, label); msg != "" {
				t.Fatalf("config %d vector %d: %s: %v", ci, k, msg, o)
			}
		}
	}
}

// The three paths of threshold agree with sorting.
func TestThresholdPaths(t *testing.T) {
	r := newTestPCG(5, 6)
	vals := make([]float64, 300)
	sorted := make([]float64, 300)
	for range 20000 {
		n := 1 + int(r.Uint64()%300)
		for i := range n {
			vals[i] = float64(r.Uint64()%5) * unit(r)
		}
		copy(sorted, vals[:n])
		slices.Sort(sorted[:n])
		val := func(i int) float64 { return vals[i] }
		k := 1 + int(r.Uint64()%uint64(n))
		want := sorted[n-k]
		if got := thresholdSorted(n, k, val); got != want {
			t.Fatalf("sorted n %d k %d: %v, want %v", n, k, got, want)
		}
		if k <= smallN {
			if got := extreme(n, k, val, true); got != want {
				t.Fatalf("largest n %d k %d: %v, want %v", n, k, got, want)
			}
		}
		if n-k+1 <= smallN {
			if got := extreme(n, n-k+1, val, false); got != want {
				t.Fatalf("smallest n %d k %d: %v, want %v", n, k, got, want)
			}
		}
	}
}
