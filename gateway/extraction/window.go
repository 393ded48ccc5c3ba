package extraction

import (
	"math"
	"slices"
)

// ring keeps the last cap values in arrival order.
type ring struct {
	buf  []float64 // buf[next] is the oldest once full
	next int
}

// push appends v and returns the value it displaced, if any.
func (r *ring) push(v float64, capacity int) (old float64, full bool) {
	if len(r.buf) < capacity {
		r.buf = growAppend(r.buf, v, capacity)
		return 0, false
	}
	old = r.buf[r.next]
	r.buf[r.next] = v
	r.next = (r.next + 1) % capacity
	return old, true
}

// window keeps the last cap values in arrival order and, beside them, the same
// values sorted. Keeping the sorted copy up to date costs one binary search and
// one memmove per value, where re-sorting for every W would cost n log n.
type window struct {
	arrival ring
	sorted  []float64
	cap     int
}

func newWindow(capacity int) window { return window{cap: capacity} }

func (w *window) len() int { return len(w.sorted) }

// push appends v, dropping the oldest value when the window is full.
func (w *window) push(v float64) {
	if old, full := w.arrival.push(v, w.cap); full {
		i, _ := slices.BinarySearch(w.sorted, old)
		w.sorted = slices.Delete(w.sorted, i, i+1)
	}
	j, _ := slices.BinarySearch(w.sorted, v)
	w.sorted = growTo(w.sorted, 1, w.cap)
	w.sorted = slices.Insert(w.sorted, j, v)
}

// meanStd returns the mean and population standard deviation (numpy's
// default, as in the PRADA reference code) of the values in the window.
func meanStd(v []float64) (mean, std float64) {
	if len(v) == 0 {
		return 0, 0
	}
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(v)))
}

// growTo makes room for need more elements without exceeding limit, so that
// a slice's capacity, and so the memory bound, never passes its configured
// size. Growing by doubling keeps light clients small.
func growTo[T any](s []T, need, limit int) []T {
	if len(s)+need <= cap(s) {
		return s
	}
	n := min(max(2*cap(s), 8*need, len(s)+need), limit)
	grown := make([]T, len(s), n)
	copy(grown, s)
	return grown
}

func growAppend[T any](s []T, v T, limit int) []T {
	return append(growTo(s, 1, limit), v)
}
