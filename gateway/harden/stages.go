package harden

import (
	"math"
	"math/rand/v2"
)

// nudge is the quantum keepTop moves for stages without a grid: far above
// float32 resolution near 1 (2^-23), far below any probability that can be
// a maximum (at least 1/MaxClasses = 2^-16).
const nudge = 1.0 / (1 << 20)

var pow10 = [MaxDecimals + 1]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6}

// apply runs the stage on out (a normalised vector whose argmax is lead) and
// returns the quantum keepTop may move afterwards.
func (s Stage) apply(out []float32, lead int, rng *rand.PCG) float32 {
	switch s.Mode {
	case ModeLabel:
		oneHot(out, lead)
	case ModeTopK:
		topK(out, s.K, lead)
	case ModeRound:
		roundHamilton(out, s.Decimals, lead)
		return float32(1 / pow10[s.Decimals])
	case ModeReverseSigmoid:
		if !reverseSigmoid(out, s.Beta, s.Gamma) {
			oneHot(out, lead)
		}
	case ModeNoise:
		if !addNoise(out, s.Sigma, rng) {
			oneHot(out, lead)
		}
	}
	return nudge
}

func oneHot(out []float32, lead int) {
	clear(out)
	out[lead] = 1
}

// topK keeps the k largest values (ties: lead first, then lower indices).
func topK(out []float32, k, lead int) {
	if k >= len(out) {
		return
	}
	val := func(i int) float64 { return float64(out[i]) }
	c := newChooser(len(out), k, lead, val)
	for i := range out {
		if !c.pick(i, val(i)) {
			out[i] = 0
		}
	}
	renorm(out) // lead is kept and positive, so the sum is too
}

// roundHamilton rounds to multiples of u = 10^-decimals that still sum to
// exactly 1: every value is floored, and the units left over go to the
// largest remainders (ties: lead first, then lower indices).
func roundHamilton(out []float32, decimals, lead int) {
	units := pow10[decimals]
	var sum float64
	for _, v := range out {
		sum += float64(v)
	}
	scaled := func(i int) float64 { return float64(out[i]) / sum * units }
	rem := func(i int) float64 { x := scaled(i); return x - math.Floor(x) }
	var floors float64
	for i := range out {
		floors += math.Floor(scaled(i))
	}
	// Remainders are below 1, so at most n-1 units are left, give or take
	// the float32 rounding of the input's sum: clamp rather than trust it.
	left := int(min(max(units-floors, 0), float64(len(out))))
	var c chooser
	if left > 0 {
		c = newChooser(len(out), left, lead, rem)
	}
	for i := range out {
		f := math.Floor(scaled(i))
		if left > 0 && c.pick(i, rem(i)) {
			f++
		}
		out[i] = float32(f / units)
	}
}

// reverseSigmoid applies Lee et al.'s perturbation; false if nothing is left
// after clamping (possible only for a single class and beta ≥ 2).
func reverseSigmoid(out []float32, beta, gamma float64) bool {
	for i, v := range out {
		y := float64(v)
		s := 1 / (1 + math.Pow((1-y)/y, gamma)) // s(γ·s⁻¹(y)); y = 0 gives Inf → 0
		out[i] = clamp01(y - beta*(s-0.5))
	}
	return renorm(out)
}

// addNoise adds N(0, sigma²) per class; false if every class clamps to 0.
func addNoise(out []float32, sigma float64, rng *rand.PCG) bool {
	if sigma == 0 {
		return true
	}
	for i := 0; i < len(out); i += 2 {
		z0, z1 := gaussPair(rng)
		out[i] = clamp01(float64(out[i]) + sigma*z0)
		if i+1 < len(out) {
			out[i+1] = clamp01(float64(out[i+1]) + sigma*z1)
		}
	}
	return renorm(out)
}

// gaussPair draws two independent standard normal variates (Box–Muller).
func gaussPair(rng *rand.PCG) (float64, float64) {
	const scale = 1.0 / (1 << 53)
	u1 := (float64(rng.Uint64()>>11) + 0.5) * scale // in (0, 1): the log stays finite
	u2 := float64(rng.Uint64()>>11) * scale
	r := math.Sqrt(-2 * math.Log(u1))
	s, c := math.Sincos(2 * math.Pi * u2)
	return r * c, r * s
}

func clamp01(x float64) float32 {
	if !(x > 0) { // also NaN
		return 0
	}
	if x > 1 {
		return 1
	}
	return float32(x)
}
