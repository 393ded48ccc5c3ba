package extraction

import (
	"testing"
	"time"
)

// Jacobian-style augmentation is flagged by its sign steps soon after the
// diversity signals may fire, whatever the step directions.
func TestSignStepsFlagJacobian(t *testing.T) {
	ds := loadDigits(t)
	for seed := range uint64(5) {
		decs := feed(digitsSignals(t), jacobianQueries(ds, seed, 200), 2*time.Second)
		at := firstSignal(decs, FlagSignSteps)
		if at == 0 || at > 40 {
			t.Fatalf("seed %d: sign steps first flagged at query %d (0 = never); last %+v", seed, at, decs[len(decs)-1])
		}
		if name, score := decs[at-1].Primary(); name == "" || score <= 0 {
			t.Fatalf("primary %q %v", name, score)
		}
	}
}

// Natural digits, even 1,000 of them in a row with repeats, are never sign
// steps of one another often enough to flag; and perturbations by Gaussian
// noise (every feature moving by its own amount) are not sign steps.
func TestSignStepsSpareNaturalAndNoisyQueries(t *testing.T) {
	ds := loadDigits(t)
	for seed := range uint64(20) {
		for name, qs := range map[string][][]float32{
			"benign":       benignQueries(ds, seed, 1000),
			"perturbation": perturbationQueries(ds, seed, 300),
		} {
			decs := feed(digitsSignals(t), qs, 2*time.Second)
			peak := 0.0
			for _, d := range decs {
				peak = max(peak, d.SignSteps)
			}
			if at := firstSignal(decs, FlagSignSteps); at != 0 || peak > 0.1 {
				t.Fatalf("%s %d: sign steps flagged at %d, peak share %.2f", name, seed, at, peak)
			}
		}
	}
}

func TestIsSignStep(t *testing.T) {
	p := []uint8{10, 100, 200, 50, 250, 0, 30, 40}
	cases := []struct {
		x    []uint8
		want bool
	}{
		{[]uint8{30, 80, 220, 70, 255, 0, 10, 60}, true},   // ±20 everywhere, one feature clipped at 255
		{[]uint8{31, 79, 221, 70, 255, 0, 11, 59}, true},   // within the rounding tolerance
		{[]uint8{30, 80, 220, 70, 255, 0, 10, 90}, false},  // one feature moved 50
		{[]uint8{30, 80, 220, 50, 250, 0, 30, 40}, false},  // three moved: fewer than minCoords
		{[]uint8{13, 103, 203, 53, 253, 0, 33, 43}, false}, // λ = 3 levels: below the quantisation floor
		{p, false}, // a repeat is no step
		{[]uint8{30, 80, 220, 70, 200, 0, 10, 60}, false}, // moved 50 away from the edge: not a clip
	}
	for i, c := range cases {
		if got := isSignStep(c.x, p, 4); got != c.want {
			t.Errorf("case %d: %v, want %v", i, got, c.want)
		}
	}
	// A feature at the edge may have moved less than λ, not more.
	if isSignStep([]uint8{30, 80, 220, 70, 250, 255, 10, 60}, p, 4) {
		t.Error("a clip of 255 levels against λ 20 accepted")
	}
}

func TestSignStepsConfig(t *testing.T) {
	for _, dim := range []int{1, 64, 4096} {
		s, err := NewSignals(SignalsConfig{Dim: dim, Min: -1, Max: 1})
		if err != nil {
			t.Fatal(err)
		}
		c := s.Config()
		if c.StepRing < 8 || c.StepRing*dim > max(DefaultStepRingBytes, 8*dim) || len(s.steps.ring) != c.StepRing*dim {
			t.Errorf("dim %d: ring %d", dim, c.StepRing)
		}
	}
	for _, c := range []SignalsConfig{{StepRing: -1}, {StepRing: maxStepRing + 1}, {MaxSignSteps: 2}, {MinStepCoords: -3}} {
		c.Dim, c.Min, c.Max = 8, 0, 1
		if _, err := NewSignals(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

func BenchmarkSignSteps(b *testing.B) {
	ds := loadDigits(b)
	for _, name := range []string{"benign", "jacobian", "replay50"} {
		b.Run(name, func(b *testing.B) {
			qs := benignQueries(ds, 1, 1000)
			switch name {
			case "jacobian":
				qs = jacobianQueries(ds, 1, 1000)
			case "replay50": // one busy client cycling 50 rows: the ring holds repeats, which no feature rejects
				qs = benignQueries(ds, 1, 50)
			}
			s := newSignSteps(SignalsConfig{Dim: digitsDim, Min: 0, Max: 16, StepRing: 256})
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				s.observe(qs[i%len(qs)], 4)
			}
		})
	}
}
