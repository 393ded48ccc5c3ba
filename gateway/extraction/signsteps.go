package extraction

import (
	"encoding/binary"
	"math/bits"
)

// Sign steps: the signature of gradient-sign probing. Papernot et al.'s
// Jacobian-based dataset augmentation (and FGSM-style probes of decision
// boundaries) make each new query from an earlier one as x + λ·sign(g):
// every feature that moves, moves by the same amount λ, up or down, except
// where the valid range clips it. Two natural inputs almost never differ
// that way, so the share of a client's queries that are sign steps from
// one of its recent queries separates these attackers from benign use,
// including behind output hardening (the step does not depend on what the
// answers said). Recent queries are kept quantised to 8 bits, so the test
// sees steps of at least stepMinLevels/255 of the range; smaller steps
// hide in the quantisation (the scan signal covers tiny steps).

const (
	stepTolerance = 2 // levels: two rounded values differ by at most 1 from the truth each way
	stepMinLevels = 2 * stepTolerance
	// DefaultStepRingBytes bounds the recent-query ring per client.
	DefaultStepRingBytes = 16 << 10
	maxStepRing          = 1024
)

// signSteps is one client's ring of recent quantised queries and the
// sign-step bits of its last 64 queries.
type signSteps struct {
	ring  []uint8   // StepRing queries of Dim levels each
	held  int       // queries in the ring
	next  int       // slot written next
	x     []uint8   // the current query, quantised
	q     stepQuery // x prepared for fromRecent
	bits  uint64    // 1 = that query was a sign step
	n     int       // queries the bits cover, at most 64
	scale float32   // levels per unit of the feature range
	min   float32
}

func newSignSteps(c SignalsConfig) signSteps {
	return signSteps{ring: make([]uint8, c.StepRing*c.Dim), x: make([]uint8, c.Dim),
		scale: 255 / (c.Max - c.Min), min: c.Min}
}

// observe tests x against the ring, remembers it, and returns the share of
// sign steps among the recent queries.
func (s *signSteps) observe(x []float32, minCoords int) float64 {
	s.quantise(x)
	s.q.set(s.x)
	step := s.fromRecent(minCoords)
	s.bits <<= 1
	if step {
		s.bits |= 1
	}
	s.n = min(s.n+1, 64)
	dim := len(s.x)
	copy(s.ring[s.next*dim:(s.next+1)*dim], s.x)
	s.next = (s.next + 1) % (len(s.ring) / dim)
	s.held = min(s.held+1, len(s.ring)/dim)
	return float64(bits.OnesCount64(s.bits)) / float64(s.n)
}

func (s *signSteps) quantise(x []float32) {
	for i, v := range x {
		f := (v-s.min)*s.scale + 0.5
		switch {
		case f >= 255:
			s.x[i] = 255
		case f > 0:
			s.x[i] = uint8(f)
		default: // below the range, and NaN
			s.x[i] = 0
		}
	}
}

// fromRecent tells whether the current query is a sign step from any query
// in the ring; it stops at the first.
func (s *signSteps) fromRecent(minCoords int) bool {
	dim := len(s.x)
	for k := range s.held {
		if s.q.stepFrom(s.ring[k*dim:(k+1)*dim:(k+1)*dim], minCoords) {
			return true
		}
	}
	return false
}

// isSignStep tells whether x = p + λ·s for one λ of at least stepMinLevels
// and signs s, in at least minCoords unclipped features. A feature of x at
// the range's edge may have moved less than λ (it was clipped).
func isSignStep(x, p []uint8, minCoords int) bool {
	var q stepQuery
	q.set(x)
	return q.stepFrom(p, minCoords)
}

// stepQuery is a query prepared for sign-step tests against many earlier
// ones: its features 8 to a uint64 word, compared a word at a time (SWAR).
// Per-feature branches on whether a feature moved mispredicted on natural
// inputs, whose moved and unmoved features alternate without pattern.
type stepQuery struct {
	x      []uint8
	words  []uint64 // x little-endian, the last word zero-padded
	inside []uint64 // top bit of each byte of words strictly inside the range
}

func (q *stepQuery) set(x []uint8) {
	n := (len(x) + 7) / 8
	if cap(q.words) < n {
		q.words, q.inside = make([]uint64, n), make([]uint64, n)
	}
	q.x, q.words, q.inside = x, q.words[:n], q.inside[:n]
	for i := range q.words {
		w := loadWord(x[8*i:])
		q.words[i], q.inside[i] = w, nonZero(w)&nonZero(^w)
	}
}

// stepFrom is isSignStep(q.x, p, minCoords). λ is the first unclipped moved
// feature's distance, as in a feature-by-feature scan; a word is rejected as
// soon as one of its unclipped moved features lies outside λ±stepTolerance.
// Clips only matter once everything else has passed, which is rare.
func (q *stepQuery) stepFrom(p []uint8, minCoords int) bool {
	p = p[:len(q.x)]
	inside := q.inside[:len(q.words)]
	var lambda, moved int
	var win, top uint64 // broadcast λ-stepTolerance bytes and their top bits
	for i, xw := range q.words {
		d := absDiff(xw, loadWord(p[8*i:]))
		// Top bit of each byte inside the range that moved by more than the
		// rounding slack.
		m := nonZero(d&^(ones*(stepTolerance/2))) & inside[i]
		if m == 0 {
			continue
		}
		if lambda == 0 {
			lambda = int(d >> (bits.TrailingZeros64(m) &^ 7) & 0xff)
			if lambda < stepMinLevels {
				return false
			}
			win = ones * uint64(lambda-stepTolerance)
			top = ^win & hi
		}
		// (d - (λ-2)) per byte, modulo 256, must be at most 2·stepTolerance.
		r := ((d | hi) - (win &^ hi)) ^ ((d ^ top) & hi)
		if gt(r, 2*stepTolerance)&m != 0 {
			return false
		}
		moved += bits.OnesCount64(m)
	}
	return moved >= minCoords && clipsWithin(q.x, p, lambda+stepTolerance)
}

const (
	ones = 0x0101010101010101
	lo7  = 0x7f7f7f7f7f7f7f7f
	hi   = 0x8080808080808080
)

// loadWord reads up to 8 bytes little-endian; missing bytes are 0 in both x
// and p, so they never move.
func loadWord(b []uint8) uint64 {
	if len(b) >= 8 {
		return binary.LittleEndian.Uint64(b)
	}
	var w uint64
	for i, v := range b {
		w |= uint64(v) << (8 * i)
	}
	return w
}

// absDiff is |a-b| per byte: max minus min, which never borrows across bytes.
func absDiff(a, b uint64) uint64 {
	ge := geq(a, b)
	m := (ge - ge>>7) | ge // 0xff where a >= b
	s := (a ^ b) & m
	return (b ^ s) - (a ^ s)
}

// geq sets the top bit of each byte where a >= b.
func geq(a, b uint64) uint64 {
	t := (a | hi) - (b &^ hi) // top bit: the low 7 bits of a >= those of b
	return ((a &^ b) | (^(a ^ b) & t)) & hi
}

// nonZero sets the top bit of each nonzero byte.
func nonZero(v uint64) uint64 {
	return ((v&lo7 + lo7) | v) & hi
}

// gt sets the top bit of each byte greater than c (c < 128).
func gt(v uint64, c uint8) uint64 {
	return ((v&lo7 + ones*uint64(0x7f-c)) | v) & hi
}

// clipsWithin tells whether every feature of x at the range's edge moved at
// most limit levels from p.
func clipsWithin(x, p []uint8, limit int) bool {
	p = p[:len(x)]
	for i, xv := range x {
		if xv != 0 && xv != 255 {
			continue
		}
		if d := int(xv) - int(p[i]); d > limit || -d > limit {
			return false
		}
	}
	return true
}
