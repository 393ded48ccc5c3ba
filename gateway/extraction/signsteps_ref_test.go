package extraction

import (
	"math/rand/v2"
	"testing"
)

// isSignStepRef is the feature-by-feature isSignStep that the word-at-a-time
// one must match exactly.
func isSignStepRef(x, p []uint8, minCoords int) bool {
	lambda, moved, clipped := 0, 0, 0
	for i, xv := range x {
		d := int(xv) - int(p[i])
		if d < 0 {
			d = -d
		}
		if d <= stepTolerance/2 {
			continue
		}
		if xv == 0 || xv == 255 {
			clipped = max(clipped, d)
			continue
		}
		if lambda == 0 {
			lambda = d
			if lambda < stepMinLevels {
				return false
			}
		} else if d > lambda+stepTolerance || d < lambda-stepTolerance {
			return false
		}
		moved++
	}
	return moved >= minCoords && clipped <= lambda+stepTolerance
}

// signStepPair makes x from a random p as a near sign step: most features
// move by λ plus a small error around the tolerance edges, some by 0 or 1,
// some clip at 0 or 255, and now and then one moves by anything at all.
func signStepPair(r *rand.Rand, n int) (x, p []uint8) {
	x, p = make([]uint8, n), make([]uint8, n)
	lambda := 1 + r.IntN(12)
	if r.IntN(4) == 0 {
		lambda = 1 + r.IntN(255)
	}
	wild := r.IntN(3) * r.IntN(n+1) // how many features are unconstrained
	for i := range p {
		switch r.IntN(6) {
		case 0:
			p[i] = 0
		case 1:
			p[i] = 255
		default:
			p[i] = uint8(r.IntN(256))
		}
		v := int(p[i])
		switch k := r.IntN(10); {
		case k < 2: // unmoved, or within rounding
			v += r.IntN(3) - 1
		case k < 7: // a step of λ with an error of up to ±3
			d := lambda + r.IntN(7) - 3
			if r.IntN(2) == 0 {
				d = -d
			}
			v += d
		case k < 8: // at the edge
			v = 255 * r.IntN(2)
		case k < 9 && wild > 0:
			v = r.IntN(256)
			wild--
		}
		x[i] = uint8(min(max(v, 0), 255))
	}
	return x, p
}

func TestIsSignStepMatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	lengths := []int{1, 2, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 100, 4096}
	steps := 0
	for it := range 400000 {
		n := lengths[it%len(lengths)]
		if n == 4096 && it%(20*len(lengths)) != len(lengths)-1 {
			n = 1 + r.IntN(130)
		}
		x, p := signStepPair(r, n)
		if r.IntN(8) == 0 { // unrelated rows
			for i := range x {
				x[i] = uint8(r.IntN(256))
			}
		}
		minCoords := 1 + r.IntN(min(n, 70))
		if r.IntN(4) == 0 {
			minCoords = 1 + r.IntN(4)
		}
		want := isSignStepRef(x, p, minCoords)
		if got := isSignStep(x, p, minCoords); got != want {
			t.Fatalf("x %v\np %v\nminCoords %d: %v, want %v", x, p, minCoords, got, want)
		}
		if want {
			steps++
		}
	}
	if steps < 10000 {
		t.Fatalf("only %d sign steps among the inputs", steps)
	}
}

// FuzzIsSignStep compares isSignStep with the reference on arbitrary pairs:
// the first half of data is x, the second p.
func FuzzIsSignStep(f *testing.F) {
	f.Add([]byte{30, 80, 220, 70, 255, 0, 10, 60, 10, 100, 200, 50, 250, 0, 30, 40}, uint8(4))
	f.Add([]byte{0, 255, 4, 9, 1, 0, 0, 13, 3, 255, 255, 3, 8, 255, 0, 2, 0, 0}, uint8(1))
	f.Add(make([]byte, 128), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, minCoords uint8) {
		n := min(len(data)/2, 4096)
		if n == 0 {
			return
		}
		x, p := data[:n], data[n:2*n]
		mc := int(minCoords%64) + 1
		if got, want := isSignStep(x, p, mc), isSignStepRef(x, p, mc); got != want {
			t.Fatalf("x %v\np %v\nminCoords %d: %v, want %v", x, p, mc, got, want)
		}
	})
}
