package extraction

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Limits of Royston's approximations: below 3 the statistic is undefined,
// above 5000 the polynomial fits for the p-value were not validated.
const (
	shapiroMinN = 3
	shapiroMaxN = 5000
)

// Polynomial coefficients from Royston (1992) and AS R94, lowest power first.
var (
	// Corrections to the two largest coefficients a_n and a_{n-1}, in u = 1/sqrt(n).
	swA1 = []float64{0, 0.221157, -0.147981, -2.071190, 4.434685, -2.706056}
	swA2 = []float64{0, 0.042981, -0.293762, -1.752461, 5.682633, -3.582633}
	// 4 <= n <= 11: gamma, mean and log sd of -log(gamma - log(1-W)), in n.
	swGamma  = []float64{-2.273, 0.459}
	swMuSm   = []float64{0.5440, -0.39978, 0.025054, -6.714e-4}
	swLogSSm = []float64{1.3822, -0.77857, 0.062767, -0.0020322}
	// n >= 12: mean and log sd of log(1-W), in log n.
	swMuLg   = []float64{-1.5861, -0.31082, -0.083751, 0.0038915}
	swLogSLg = []float64{-0.4803, -0.082676, 0.0030302}
)

// ErrShapiroInput reports a sample the W test cannot be computed on.
var ErrShapiroInput = errors.New("shapiro-wilk: unusable sample")

// ShapiroWilk returns the Shapiro–Wilk W statistic of x and its p-value under
// the hypothesis that x is a sample from a normal distribution. x is not
// modified. It needs 3 <= len(x) <= 5000 finite values that are not all equal.
func ShapiroWilk(x []float64) (w, p float64, err error) {
	n := len(x)
	if n < shapiroMinN || n > shapiroMaxN {
		return 0, 0, fmt.Errorf("%w: %d values, need %d to %d", ErrShapiroInput, n, shapiroMinN, shapiroMaxN)
	}
	y := slices.Clone(x)
	for _, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, 0, fmt.Errorf("%w: non-finite value %v", ErrShapiroInput, v)
		}
	}
	slices.Sort(y)
	rng := y[n-1] - y[0]
	if !(rng > 0) || math.IsInf(rng, 0) {
		return 0, 0, fmt.Errorf("%w: range %v, need a finite non-zero range", ErrShapiroInput, rng)
	}
	w1 := shapiroOneMinusW(y, shapiroCoefficients(n))
	w = min(max(1-w1, 0), 1)
	return w, shapiroP(w, w1, n), nil
}

// shapiroCoefficients returns the upper half of Royston's antisymmetric
// coefficient vector: a[i] weighs x[n-1-i] - x[i], for i < n/2.
func shapiroCoefficients(n int) []float64 {
	half := n / 2
	a := make([]float64, half)
	if n == 3 {
		a[0] = math.Sqrt2 / 2 // exact for n = 3
		return a
	}
	// m holds the expected upper normal order statistics, by Blom's
	// approximation with Royston's constant 3/8.
	m := make([]float64, half)
	var sumM2 float64
	for i := range half {
		m[i] = -normQuantile((float64(i+1) - 0.375) / (float64(n) + 0.25))
		sumM2 += m[i] * m[i]
	}
	sumM2 *= 2
	norm := math.Sqrt(sumM2)
	u := 1 / math.Sqrt(float64(n))
	a[0] = m[0]/norm + poly(swA1, u)
	// The outermost one (n <= 5) or two coefficients get Royston's
	// corrections; the rest are m rescaled so that sum a^2 = 1.
	fixed, fac := 1, math.Sqrt((sumM2-2*m[0]*m[0])/(1-2*a[0]*a[0]))
	if n > 5 {
		a[1] = m[1]/norm + poly(swA2, u)
		fixed = 2
		fac = math.Sqrt((sumM2 - 2*m[0]*m[0] - 2*m[1]*m[1]) / (1 - 2*a[0]*a[0] - 2*a[1]*a[1]))
	}
	for i := fixed; i < half; i++ {
		a[i] = m[i] / fac
	}
	return a
}

// shapiroOneMinusW returns 1-W, where W is the squared correlation between
// the sorted sample and the coefficients. Scaling by the range first keeps the sums well conditioned
// for samples with a large offset or magnitude.
func shapiroOneMinusW(y, a []float64) float64 {
	n := len(y)
	rng := y[n-1] - y[0]
	var mean float64
	for _, v := range y {
		mean += v / rng
	}
	mean /= float64(n)
	var sax, ssa, ssx float64
	for i, v := range y {
		ai := coefficient(a, i, n)
		xi := v/rng - mean
		sax += ai * xi
		ssa += ai * ai
		ssx += xi * xi
	}
	r := math.Sqrt(ssa * ssx)
	// A product of differences keeps precision when W is near 1, where the
	// p-value's log(1-W) is most sensitive.
	return max((r-sax)*(r+sax)/(ssa*ssx), 0)
}

// coefficient expands the half vector to the full antisymmetric one.
func coefficient(a []float64, i, n int) float64 {
	j := n - 1 - i
	switch {
	case i < j:
		return -a[i]
	case i > j:
		return a[j]
	}
	return 0
}

// shapiroP is the upper-tail p-value of W (w1 = 1-W) for a sample of size n.
func shapiroP(w, w1 float64, n int) float64 {
	if n == 3 {
		// Exact: W is distributed as sin^2 of a uniform angle on [pi/3, pi/2].
		p := 6 / math.Pi * (math.Asin(math.Sqrt(w)) - math.Pi/3)
		return min(max(p, 0), 1)
	}
	y := math.Log(w1)
	var mu, sigma float64
	if fn := float64(n); n <= 11 {
		gamma := poly(swGamma, fn)
		if y >= gamma {
			return 0 // beyond the transformation's support: certainly not normal
		}
		y = -math.Log(gamma - y)
		mu, sigma = poly(swMuSm, fn), math.Exp(poly(swLogSSm, fn))
	} else {
		ln := math.Log(fn)
		mu, sigma = poly(swMuLg, ln), math.Exp(poly(swLogSLg, ln))
	}
	return normUpper((y - mu) / sigma)
}

// poly evaluates c[0] + c[1] x + ... by Horner's rule.
func poly(c []float64, x float64) float64 {
	var r float64
	for i := len(c) - 1; i >= 0; i-- {
		r = r*x + c[i]
	}
	return r
}

// normQuantile is the standard normal inverse CDF.
func normQuantile(p float64) float64 { return -math.Sqrt2 * math.Erfcinv(2*p) }

// normUpper is P(Z > z) for a standard normal Z.
func normUpper(z float64) float64 { return 0.5 * math.Erfc(z/math.Sqrt2) }
