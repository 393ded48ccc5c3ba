package harden

import (
	"slices"
	"sync"
)

// smallN bounds the stack buffer threshold keeps the extreme values in.
const smallN = 64

// chooser picks the r largest of n values in one pass over the indices.
// Values equal to the r-th largest are taken lead first, then by index, so
// the choice is deterministic and never drops the top class.
type chooser struct {
	thr     float64
	ties    int // tied values still to take, besides lead
	lead    int
	leadTie bool
}

// newChooser prepares the choice of the r largest of val(0..n-1), with
// 1 ≤ r ≤ n and every value finite and ≥ +0.
func newChooser(n, r, lead int, val func(int) float64) chooser {
	thr, above := threshold(n, r, val)
	c := chooser{thr: thr, ties: r - above, lead: lead}
	if val(lead) == thr {
		c.leadTie = true
		c.ties--
	}
	return c
}

// pick reports whether index i, whose value is v, is among the chosen; call
// it once per index in increasing order.
func (c *chooser) pick(i int, v float64) bool {
	switch {
	case v > c.thr:
		return true
	case v < c.thr:
		return false
	case i == c.lead:
		return c.leadTie
	case c.ties > 0:
		c.ties--
		return true
	}
	return false
}

// threshold returns the r-th largest value and how many lie above it. The
// r-th largest is the (n-r+1)-th smallest: whichever rank is within smallN
// is found in one pass with a stack buffer; otherwise by sorting a copy.
func threshold(n, r int, val func(int) float64) (float64, int) {
	var thr float64
	switch {
	case r <= smallN:
		thr = extreme(n, r, val, true)
	case n-r+1 <= smallN:
		thr = extreme(n, n-r+1, val, false)
	default:
		thr = thresholdSorted(n, r, val)
	}
	above := 0
	for i := range n {
		if val(i) > thr {
			above++
		}
	}
	return thr, above
}

// extreme returns the r-th largest (largest) or r-th smallest value, for
// r ≤ smallN, keeping the r most extreme values seen in a sorted buffer.
func extreme(n, r int, val func(int) float64, largest bool) float64 {
	var a [smallN]float64
	before := func(x, y float64) bool { return x > y == largest && x != y }
	m := 0
	for i := range n {
		v := val(i)
		if m == r {
			if !before(v, a[r-1]) {
				continue
			}
			m-- // v displaces the least extreme kept value
		}
		j := m
		for ; j > 0 && before(v, a[j-1]); j-- {
			a[j] = a[j-1]
		}
		a[j] = v
		m++
	}
	return a[r-1]
}

// scratch holds the buffers thresholdSorted copies values into, so that
// large vectors cost no allocation once the pool is warm.
var scratch = sync.Pool{New: func() any { return new([]float64) }}

// thresholdSorted sorts a pooled copy: O(n log n) even on adversarial
// values, where a quickselect could be driven quadratic.
func thresholdSorted(n, r int, val func(int) float64) float64 {
	p := scratch.Get().(*[]float64)
	a := slices.Grow((*p)[:0], n)[:n]
	for i := range a {
		a[i] = val(i)
	}
	slices.Sort(a)
	thr := a[n-r]
	*p = a
	scratch.Put(p)
	return thr
}
