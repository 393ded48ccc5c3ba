package extraction

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"
)

type shapiroCase struct {
	Name string    `json:"name"`
	X    []float64 `json:"x"`
	W    float64   `json:"w"`
	P    float64   `json:"p"`
	W64  float64   `json:"w64"`
}

func loadShapiroCases(t *testing.T) []shapiroCase {
	t.Helper()
	raw, err := os.ReadFile("testdata/shapiro.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Generator string        `json:"generator"`
		Cases     []shapiroCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Cases) < 50 {
		t.Fatalf("only %d reference cases", len(file.Cases))
	}
	t.Logf("reference: %s, %d cases", file.Generator, len(file.Cases))
	return file.Cases
}

// TestShapiroWilkMatchesScipy checks W and p against scipy.stats.shapiro,
// the reference implementation of AS R94 (testdata/gen_shapiro.py). scipy
// 1.10 computes in single precision, so W is compared with the double
// precision W from scipy's coefficients (w64), and the p-value transformation
// is compared at scipy's own W; the end-to-end p is logged.
func TestShapiroWilkMatchesScipy(t *testing.T) {
	var worstW, worstW32, worstP, worstEnd float64
	for _, c := range loadShapiroCases(t) {
		w, p, err := ShapiroWilk(c.X)
		if err != nil {
			t.Errorf("%s: %v", c.Name, err)
			continue
		}
		dw := math.Abs(w - c.W64)
		pAt := shapiroP(c.W, 1-c.W, len(c.X))
		dp := relOrAbs(pAt, c.P) - float32Slack(c.W, c.P, len(c.X))
		if math.Abs(pAt-c.P) <= 1e-6 { // absolute near 0
			dp = 0
		}
		worstW, worstP = max(worstW, dw), max(worstP, dp)
		worstW32, worstEnd = max(worstW32, math.Abs(w-c.W)), max(worstEnd, relOrAbs(p, c.P))
		if dw > 1e-6 {
			t.Errorf("%s: W = %.9f, double-precision reference %.9f (diff %.2g)", c.Name, w, c.W64, dw)
		}
		if math.Abs(w-c.W) > 1e-5 {
			t.Errorf("%s: W = %.9f, scipy %.9f (diff %.2g)", c.Name, w, c.W, math.Abs(w-c.W))
		}
		if dp > 1e-4 {
			t.Errorf("%s: p(W=%.9f) = %.9g, scipy %.9g (diff %.2g)", c.Name, c.W, pAt, c.P, dp)
		}
	}
	t.Logf("largest differences: W %.2g (vs scipy's single-precision W %.2g), p at scipy's W %.2g (end to end %.2g)",
		worstW, worstW32, worstP, worstEnd)
}

// float32Slack is how far, relative to want, a p-value moves when W moves
// by four single-precision ulps: the rounding scipy's swilk carries into p
// where p is steep in W (W near 1 for large n, W near 0.75 for n = 3).
func float32Slack(w, want float64, n int) float64 {
	ulp := float64(math.Nextafter32(float32(w), 2) - float32(w))
	lo, hi := w-4*ulp, min(w+4*ulp, 1)
	d := math.Abs(shapiroP(lo, 1-lo, n)-shapiroP(hi, 1-hi, n)) / 2
	if math.Abs(want) < 1e-6 {
		return d
	}
	return d / math.Abs(want)
}

// relOrAbs is the relative difference, or the absolute one for tiny values
// where a relative comparison would only measure rounding noise.
func relOrAbs(got, want float64) float64 {
	d := math.Abs(got - want)
	if math.Abs(want) < 1e-6 {
		return d
	}
	return d / math.Abs(want)
}

func TestShapiroWilkRejects(t *testing.T) {
	big := make([]float64, 5001)
	for i := range big {
		big[i] = float64(i)
	}
	for name, x := range map[string][]float64{
		"empty":    nil,
		"two":      {1, 2},
		"too many": big,
		"nan":      {1, math.NaN(), 3},
		"inf":      {1, math.Inf(1), 3},
		"constant": {4, 4, 4, 4},
		"overflow": {-math.MaxFloat64, 0, math.MaxFloat64},
	} {
		if _, _, err := ShapiroWilk(x); !errors.Is(err, ErrShapiroInput) {
			t.Errorf("%s: err = %v, want ErrShapiroInput", name, err)
		}
	}
}

func TestShapiroWilkDoesNotModifyInput(t *testing.T) {
	x := []float64{3, 1, 2, 5, 4}
	if _, _, err := ShapiroWilk(x); err != nil {
		t.Fatal(err)
	}
	if x[0] != 3 || x[4] != 4 {
		t.Errorf("input reordered: %v", x)
	}
}

// TestShapiroWilkInvariant: W depends on the shape of the sample only, so a
// shift and a positive scale change neither W nor p.
func TestShapiroWilkInvariant(t *testing.T) {
	x := []float64{0.3, 1.7, 2.2, 2.9, 3.1, 4.8, 5.5, 7.9, 8.0, 12.5, 13.1, 20}
	w, p, _ := ShapiroWilk(x)
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = 1000 + 0.01*v
	}
	w2, p2, _ := ShapiroWilk(y)
	if math.Abs(w-w2) > 1e-9 || math.Abs(p-p2) > 1e-7 {
		t.Errorf("W %v vs %v, p %v vs %v", w, w2, p, p2)
	}
}

func FuzzShapiroWilk(f *testing.F) {
	f.Add([]byte{1, 2, 3})
	f.Add([]byte{0, 0, 0, 0, 9})
	f.Add([]byte("a normal-ish sample of bytes"))
	f.Fuzz(func(t *testing.T, data []byte) {
		x := fuzzFloats(data)
		w, p, err := ShapiroWilk(x)
		if err != nil {
			return
		}
		if !(w >= 0 && w <= 1) || !(p >= 0 && p <= 1) {
			t.Fatalf("n=%d: W=%v p=%v", len(x), w, p)
		}
	})
}

// fuzzFloats reads 8-byte little-endian floats, or single bytes for short
// inputs so that small samples and ties are reached quickly.
func fuzzFloats(data []byte) []float64 {
	if len(data) < 24 || data[0]%2 == 0 {
		x := make([]float64, len(data))
		for i, b := range data {
			x[i] = float64(b)
		}
		return x
	}
	data = data[1:]
	x := make([]float64, 0, len(data)/8)
	for len(data) >= 8 {
		x = append(x, math.Float64frombits(binary.LittleEndian.Uint64(data)))
		data = data[8:]
	}
	return x
}
