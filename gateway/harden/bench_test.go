package harden

import (
	"fmt"
	"math"
	"testing"
)

var benchConfigs = []struct {
	name string
	cfg  Config
}{
	{"none", Config{Mode: "none"}},
	{"label", Config{Mode: "label"}},
	{"topk3", Config{Mode: "topk", K: 3}},
	{"round2", Config{Mode: "round", Decimals: 2}},
	{"reverse-sigmoid", Config{Mode: "reverse-sigmoid", Beta: 0.7, Gamma: 0.5}},
	{"noise", Config{Mode: "noise", Sigma: 0.02}},
	{"pipeline", Config{Stages: []Stage{{Mode: "reverse-sigmoid", Beta: 0.7, Gamma: 0.5}, {Mode: "round", Decimals: 2}, {Mode: "topk", K: 3}}}},
}

// BenchmarkApply measures each mode on 10 classes (the digits model) and on
// 1000 (ImageNet-sized; rounding there sorts a pooled copy).
func BenchmarkApply(b *testing.B) {
	for _, n := range []int{10, 1000} {
		in := make([]float32, n)
		for i := range in {
			in[i] = float32(math.Exp(float64(i%7) - 3))
		}
		out := make([]float32, n)
		for _, bc := range benchConfigs {
			b.Run(fmt.Sprintf("%s/n=%d", bc.name, n), func(b *testing.B) {
				h := mustNew(b, bc.cfg)
				b.ReportAllocs()
				for b.Loop() {
					h.Apply(in, out)
				}
			})
		}
	}
}

func TestApplyDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers at random")
	}
	in := make([]float32, 1000) // round2 leaves up to 100 units: the pooled path
	for i := range in {
		in[i] = float32(i%13) + 0.5
	}
	out := make([]float32, len(in))
	for _, bc := range benchConfigs {
		h := mustNew(t, bc.cfg)
		if a := testing.AllocsPerRun(100, func() { h.Apply(in, out) }); a != 0 {
			t.Errorf("%s: %v allocations per Apply", bc.name, a)
		}
	}
}
