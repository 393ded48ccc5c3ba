package harden

import (
	"math"
	"strings"
	"sync"
	"testing"
)

func mustNew(t testing.TB, c Config) *Hardener {
	t.Helper()
	h, err := New(c)
	if err != nil {
		t.Fatalf("New(%+v): %v", c, err)
	}
	return h
}

func near(a []float32, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i])-b[i]) > tol {
			return false
		}
	}
	return true
}

// Each case's want was computed by hand (reverse sigmoid: with the paper's
// log/exp form in a separate calculation), not by this package.
func TestKnownOutputs(t *testing.T) {
	const q = 1.0 / (1 << 20)
	cases := []struct {
		name  string
		cfg   Config
		in    []float32
		want  []float64
		label int
	}{
		{"none sanitises", Config{Mode: "none"}, []float32{2, float32(math.NaN()), -1, float32(math.Inf(1)), 2}, []float64{0.5, 0, 0, 0, 0.5}, 0},
		{"none unnormalised", Config{Mode: "none"}, []float32{1, 3}, []float64{0.25, 0.75}, 1},
		{"label", Config{Mode: "label"}, []float32{0.2, 0.5, 0.3}, []float64{0, 1, 0}, 1},
		{"label tie goes low", Config{Mode: "label"}, []float32{0.1, 0.45, 0.45}, []float64{0, 1, 0}, 1},
		{"topk 2", Config{Mode: "topk", K: 2}, []float32{0.1, 0.4, 0.2, 0.3}, []float64{0, 4.0 / 7, 0, 3.0 / 7}, 1},
		{"topk tie by index", Config{Mode: "topk", K: 2}, []float32{0.4, 0.3, 0.3}, []float64{4.0 / 7, 3.0 / 7, 0}, 0},
		{"topk k>n", Config{Mode: "topk", K: 5}, []float32{0.4, 0.6}, []float64{0.4, 0.6}, 1},
		{"round 1", Config{Mode: "round", Decimals: 1}, []float32{0.46, 0.27, 0.27}, []float64{0.4, 0.3, 0.3}, 0},
		{"round thirds", Config{Mode: "round", Decimals: 2}, []float32{1.0 / 3, 1.0 / 3, 1.0 / 3}, []float64{0.34, 0.33, 0.33}, 0},
		{"round 0 is one-hot", Config{Mode: "round", Decimals: 0}, []float32{0.3, 0.3, 0.4}, []float64{0, 0, 1}, 2},
		// Floors 4,4,1 leave one unit for the largest remainder (class 2):
		// 0.4,0.4,0.2 would read as label 0, so the top (1) is restored by a
		// transposition (equal values) and one unit from the tied class 0.
		{"round restores top", Config{Mode: "round", Decimals: 1}, []float32{0.41, 0.415, 0.175}, []float64{0.3, 0.5, 0.2}, 1},
		{"round may change label", Config{Mode: "round", Decimals: 1, AllowLabelChange: true}, []float32{0.41, 0.415, 0.175}, []float64{0.4, 0.4, 0.2}, 0},
		// β=1, γ=1: r = y − ½, so y' = ½ for every class: uniform.
		{"rs flattens", Config{Mode: "reverse-sigmoid", Beta: 1, Gamma: 1}, []float32{0.7, 0.2, 0.1}, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}, 0},
		{"rs flattens, top kept", Config{Mode: "reverse-sigmoid", Beta: 1, Gamma: 1}, []float32{0.2, 0.7, 0.1}, []float64{1.0/3 - q, 1.0/3 + q, 1.0 / 3}, 1},
		{"rs mild", Config{Mode: "reverse-sigmoid", Beta: 0.5, Gamma: 0.5}, []float32{0.5, 0.3, 0.2}, []float64{0.4403302446504091, 0.3101492833810259, 0.24952047196856514}, 0},
		// β=1, γ=2 on 0.6,0.3,0.1 gives 0.2485,0.3931,0.3583: class 1 would
		// win, so the values of classes 0 and 1 are swapped.
		{"rs swaps top back", Config{Mode: "reverse-sigmoid", Beta: 1, Gamma: 2}, []float32{0.6, 0.3, 0.1}, []float64{0.3931097043917254, 0.2485436510284171, 0.3583466445798576}, 0},
		{"rs may change label", Config{Mode: "reverse-sigmoid", Beta: 1, Gamma: 2, AllowLabelChange: true}, []float32{0.6, 0.3, 0.1}, []float64{0.2485436510284171, 0.3931097043917254, 0.3583466445798576}, 1},
		{"rs single class", Config{Mode: "reverse-sigmoid", Beta: 3, Gamma: 1}, []float32{0.9}, []float64{1}, 0},
		{"noise zero sigma", Config{Mode: "noise", Sigma: 0}, []float32{0.25, 0.75}, []float64{0.25, 0.75}, 1},
		{"pipeline", Config{Stages: []Stage{{Mode: "reverse-sigmoid", Beta: 0.5, Gamma: 0.5}, {Mode: "round", Decimals: 2}, {Mode: "topk", K: 2}}},
			// rs → 0.4403,0.3101,0.2495 → round → 0.44,0.31,0.25 → top-2.
			[]float32{0.5, 0.3, 0.2}, []float64{0.44 / 0.75, 0.31 / 0.75, 0}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := mustNew(t, c.cfg)
			out := make([]float32, len(c.in))
			label := h.Apply(c.in, out)
			if label != c.label || !near(out, c.want, 1e-6) {
				t.Errorf("got %v label %d, want %v label %d", out, label, c.want, c.label)
			}
		})
	}
}

func TestRefused(t *testing.T) {
	h := mustNew(t, Config{Mode: "none"})
	nan := float32(math.NaN())
	for _, in := range [][]float32{{}, {0, 0}, {nan, nan}, {-1, float32(math.Inf(-1))}, {float32(math.Inf(1))}, make([]float32, MaxClasses+1)} {
		out := make([]float32, len(in))
		for i := range out {
			out[i] = 7
		}
		if got := h.Apply(in, out); got != -1 {
			t.Errorf("Apply(%d classes) = %d, want -1", len(in), got)
		}
		if len(in) <= MaxClasses {
			for _, v := range out {
				if v != 0 {
					t.Fatalf("refused vector left %v in out", v)
				}
			}
		}
	}
	out := []float32{7}
	if got := h.Apply([]float32{0.5, 0.5}, out); got != -1 || out[0] != 7 {
		t.Errorf("length mismatch: label %d, out %v; want -1 and out untouched", got, out)
	}
}

func TestNewRejects(t *testing.T) {
	inf := math.Inf(1)
	cases := map[string]Config{
		"empty mode":    {},
		"unknown mode":  {Mode: "blur"},
		"both":          {Mode: "label", Stages: []Stage{{Mode: "label"}}},
		"k zero":        {Mode: "topk"},
		"k huge":        {Mode: "topk", K: MaxClasses + 1},
		"decimals neg":  {Mode: "round", Decimals: -1},
		"decimals 7":    {Mode: "round", Decimals: 7},
		"beta zero":     {Mode: "reverse-sigmoid", Gamma: 1},
		"gamma neg":     {Mode: "reverse-sigmoid", Beta: 1, Gamma: -1},
		"beta inf":      {Mode: "reverse-sigmoid", Beta: inf, Gamma: 1},
		"gamma nan":     {Mode: "reverse-sigmoid", Beta: 1, Gamma: math.NaN()},
		"sigma neg":     {Mode: "noise", Sigma: -0.1},
		"sigma nan":     {Mode: "noise", Sigma: math.NaN()},
		"sigma big":     {Mode: "noise", Sigma: 2},
		"bad stage":     {Stages: []Stage{{Mode: "label"}, {Mode: "topk", K: 0}}},
		"too many":      {Stages: make([]Stage, MaxStages+1)},
		"stage no mode": {Stages: []Stage{{}}},
	}
	for name, c := range cases {
		if _, err := New(c); err == nil || !strings.HasPrefix(err.Error(), "harden: ") {
			t.Errorf("%s: New(%+v) error = %v, want a harden: error", name, c, err)
		}
	}
}

func TestNewCopiesStages(t *testing.T) {
	stages := []Stage{{Mode: "label"}}
	h := mustNew(t, Config{Stages: stages})
	stages[0].Mode = "none"
	out := make([]float32, 2)
	h.Apply([]float32{0.3, 0.7}, out)
	if out[1] != 1 {
		t.Errorf("changing the caller's Stages changed the Hardener: %v", out)
	}
}

func TestNoiseDeterministic(t *testing.T) {
	in := []float32{0.1, 0.2, 0.3, 0.4}
	a, b, c := make([]float32, 4), make([]float32, 4), make([]float32, 4)
	h1 := mustNew(t, Config{Mode: "noise", Sigma: 0.05, Seed: 42})
	h2 := mustNew(t, Config{Mode: "noise", Sigma: 0.05, Seed: 42})
	h1.ApplyNonce(in, a, 7)
	h2.ApplyNonce(in, b, 7)
	h1.ApplyNonce(in, c, 8)
	if !near(a, f64(b), 0) {
		t.Errorf("same seed and nonce differ: %v %v", a, b)
	}
	if near(a, f64(c), 0) {
		t.Errorf("different nonces gave the same noise: %v", a)
	}
	if near(a, f64(in), 1e-4) {
		t.Errorf("sigma 0.05 changed nothing: %v", a)
	}
	// Apply numbers requests from 1: the first two match nonces 1 and 2.
	h3 := mustNew(t, Config{Mode: "noise", Sigma: 0.05, Seed: 42})
	h3.Apply(in, a)
	h3.Apply(in, b)
	h1.ApplyNonce(in, c, 2)
	if !near(b, f64(c), 0) {
		t.Errorf("second Apply differs from nonce 2: %v %v", b, c)
	}
}

func f64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// The Box–Muller pairs are standard normal: mean 0, variance 1, and the two
// halves uncorrelated (fixed seed, so the bounds are not flaky).
func TestGaussPair(t *testing.T) {
	rng := newTestPCG(1, 2)
	const n = 200000
	var s0, s1, q0, q1, c float64
	for range n / 2 {
		z0, z1 := gaussPair(rng)
		s0, s1, q0, q1, c = s0+z0, s1+z1, q0+z0*z0, q1+z1*z1, c+z0*z1
	}
	m := float64(n / 2)
	if math.Abs(s0/m) > 0.02 || math.Abs(s1/m) > 0.02 || math.Abs(q0/m-1) > 0.02 || math.Abs(q1/m-1) > 0.02 || math.Abs(c/m) > 0.02 {
		t.Errorf("moments off: means %v %v, variances %v %v, covariance %v", s0/m, s1/m, q0/m, q1/m, c/m)
	}
}

// The reverse sigmoid agrees with the paper's log/exp form on random
// vectors (label changes allowed, so no restore step interferes).
func TestReverseSigmoidMatchesPaper(t *testing.T) {
	rng := newTestPCG(3, 4)
	for range 2000 {
		beta, gamma := 0.05+2*unit(rng), 0.05+3*unit(rng)
		h := mustNew(t, Config{Mode: "reverse-sigmoid", Beta: beta, Gamma: gamma, AllowLabelChange: true})
		in := make([]float32, 2+int(rng.Uint64()%10))
		for i := range in {
			in[i] = float32(unit(rng))
		}
		out := make([]float32, len(in))
		if h.Apply(in, out) < 0 {
			continue
		}
		if want := paperReverseSigmoid(in, beta, gamma); !near(out, want, 1e-5) {
			t.Fatalf("beta %v gamma %v in %v: got %v want %v", beta, gamma, in, out, want)
		}
	}
}

func paperReverseSigmoid(in []float32, beta, gamma float64) []float64 {
	var sum float64
	for _, v := range in {
		sum += float64(v)
	}
	out := make([]float64, len(in))
	var total float64
	for i, v := range in {
		y := min(max(float64(float32(float64(v)/sum)), 1e-12), 1-1e-12)
		s := 1 / (1 + math.Exp(-gamma*math.Log(y/(1-y))))
		out[i] = min(max(y-beta*(s-0.5), 0), 1)
		total += out[i]
	}
	for i := range out {
		out[i] /= total
	}
	return out
}

func TestConcurrentApply(t *testing.T) {
	h := mustNew(t, Config{Stages: []Stage{{Mode: "noise", Sigma: 0.1}, {Mode: "round", Decimals: 2}}, Seed: 9})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := []float32{0.1, 0.6, 0.3}
			out := make([]float32, 3)
			for range 1000 {
				if got := h.Apply(in, out); got != 1 || argmax(out) != 1 {
					t.Errorf("goroutine %d: label %d out %v", g, got, out)
					return
				}
			}
		}()
	}
	wg.Wait()
	if got := h.requests.Load(); got != 8000 {
		t.Errorf("request counter %d, want 8000", got)
	}
}

func TestCheck(t *testing.T) {
	good := [][]float32{{1}, {0.25, 0.75}, {0, 0, 1}}
	bad := [][]float32{{}, {0.5}, {float32(math.NaN()), 1}, {-0.1, 1.1}, {2}, {float32(math.Inf(1))}, make([]float32, MaxClasses+1)}
	for _, v := range good {
		if err := Check(v, 1e-5); err != nil {
			t.Errorf("Check(%v) = %v", v, err)
		}
	}
	for _, v := range bad {
		if err := Check(v, 1e-5); err == nil {
			t.Errorf("Check(%d values) accepted garbage", len(v))
		}
	}
}

func TestAgreement(t *testing.T) {
	cases := []struct {
		a, b []int
		want float64
	}{
		{nil, nil, 0},
		{[]int{1, 2, 3, 4}, []int{1, 2, 0, 4}, 0.75},
		{[]int{1, 2}, []int{1, 2, 3, 4}, 0.5},
		{[]int{5}, []int{5}, 1},
		{[]int{-1}, []int{2}, 0},
	}
	for _, c := range cases {
		if got := Agreement(c.a, c.b); got != c.want {
			t.Errorf("Agreement(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
