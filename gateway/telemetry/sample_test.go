package telemetry

import (
	"math"
	"strconv"
	"testing"
)

func digests(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = DigestRow([]float32{float32(i)})
	}
	return out
}

func TestSampleShare(t *testing.T) {
	ds := digests(10000)
	for _, share := range []float64{0.01, 0.1, 0.3, 0.5, 0.9} {
		s := newSampler(share, nil)
		kept := 0
		for _, d := range ds {
			if s.keep(d, "client-7") {
				kept++
			}
		}
		// 3σ of a binomial with n = 10,000 is at most 1.5%; allow 2%.
		if got := float64(kept) / float64(len(ds)); math.Abs(got-share) > 0.02 {
			t.Errorf("share %v: kept %v", share, got)
		}
	}
}

func TestSampleDeterministic(t *testing.T) {
	ds := digests(2000)
	a, b := newSampler(0.5, []byte("salt")), newSampler(0.5, []byte("salt"))
	other := newSampler(0.5, []byte("pepper"))
	differs := 0
	for _, d := range ds {
		if a.keep(d, "c") != b.keep(d, "c") {
			t.Fatalf("%s: decisions differ", d)
		}
		if a.keep(d, "c") != other.keep(d, "c") {
			differs++
		}
	}
	// A different salt must give a different sample (about half differ).
	if differs < len(ds)/4 {
		t.Fatalf("salt changed only %d of %d decisions", differs, len(ds))
	}
}

func TestSampleDependsOnClient(t *testing.T) {
	s := newSampler(0.5, nil)
	d := DigestRow([]float32{1, 2, 3})
	kept := 0
	for i := range 1000 {
		if s.keep(d, "client-"+strconv.Itoa(i)) {
			kept++
		}
	}
	if kept < 400 || kept > 600 {
		t.Fatalf("one digest, 1000 clients: %d kept", kept)
	}
}

func TestSampleAll(t *testing.T) {
	s := newSampler(1, nil)
	for _, d := range digests(100) {
		if !s.keep(d, "") {
			t.Fatal("share 1 dropped a record")
		}
	}
}
