package extraction

import "math/bits"

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
	ring  []uint8 // StepRing queries of Dim levels each
	held  int     // queries in the ring
	next  int     // slot written next
	x     []uint8 // the current query, quantised
	bits  uint64  // 1 = that query was a sign step
	n     int     // queries the bits cover, at most 64
	scale float32 // levels per unit of the feature range
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
		if isSignStep(s.x, s.ring[k*dim:(k+1)*dim:(k+1)*dim], minCoords) {
			return true
		}
	}
	return false
}

// isSignStep tells whether x = p + λ·s for one λ of at least stepMinLevels
// and signs s, in at least minCoords unclipped features. A feature of x at
// the range's edge may have moved less than λ (it was clipped). Most pairs
// of unrelated queries fail on their second moved feature.
func isSignStep(x, p []uint8, minCoords int) bool {
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
