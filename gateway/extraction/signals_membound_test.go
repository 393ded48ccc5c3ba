package extraction

import (
	"testing"
	"time"
	"unsafe"
)

// held is what a Signals holds, by its slices' capacities and its struct.
func (s *Signals) held() int {
	return int(unsafe.Sizeof(*s)) + cap(s.digests)*8 + cap(s.repeat) + cap(s.counts)*2 + cap(s.clogc)*8 +
		cap(s.tot)*2 + cap(s.prev)*4 + cap(s.prevStep)*4 +
		cap(s.steps.ring) + cap(s.steps.x) + cap(s.steps.q.words)*8 + cap(s.steps.q.inside)*8
}

// MemoryBound (which detect.max_memory relies on) covers everything a
// Signals holds once it has seen a query, the sign-step test's prepared
// query included.
func TestSignalsMemoryBoundCoversHeld(t *testing.T) {
	for _, dim := range []int{1, 7, 64, 784, 3072, 4096} {
		s, err := NewSignals(SignalsConfig{Dim: dim, Min: 0, Max: 1})
		if err != nil {
			t.Fatal(err)
		}
		q := make([]float32, dim)
		for i := range 3 {
			q[0] = float32(i) / 4
			s.Observe(q, time.Unix(int64(i), 0))
		}
		if held, bound := s.held(), s.Config().MemoryBound(); held > bound {
			t.Errorf("dim %d: a Signals holds %d bytes, over its MemoryBound %d", dim, held, bound)
		}
	}
}
