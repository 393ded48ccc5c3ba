package extraction

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// refBLClient is the table as it was before pending fingerprints: every
// query's hashes merged in at once, replacing those of the query perQ
// before it. The differential test below holds the folded table to it.
type refBLClient struct {
	hs      []uint32
	slots   []uint16
	ids     []uint64
	queries uint64
}

// observe returns the closest remembered query (hashes shared, its
// number) and remembers fp.
func (c *refBLClient) observe(perQ int, fp []uint64) (int, uint64) {
	if c.ids == nil {
		c.ids = make([]uint64, perQ)
	}
	c.queries++
	counts := make([]int, perQ)
	for _, h := range fp {
		i, _ := slices.BinarySearch(c.hs, uint32(h))
		for ; i < len(c.hs) && c.hs[i] == uint32(h); i++ {
			counts[c.slots[i]]++
		}
	}
	best, matched := 0, uint64(0)
	for k, m := range counts {
		if m > 0 && (m > best || (m == best && c.ids[k] > matched)) {
			best, matched = m, c.ids[k]
		}
	}
	k := uint16((c.queries - 1) % uint64(perQ))
	var hs []uint32
	var slots []uint16
	for i, s := range c.slots {
		if s != k {
			hs, slots = append(hs, c.hs[i]), append(slots, s)
		}
	}
	for _, h := range fp {
		i, _ := slices.BinarySearch(hs, uint32(h))
		hs, slots = slices.Insert(hs, i, uint32(h)), slices.Insert(slots, i, k)
	}
	c.hs, c.slots = hs, slots
	c.ids[k] = c.queries
	return best, matched
}

// The pending fingerprints and their folds change the cost, never the
// answer: every query's closest match is the reference table's, for rings
// of every size around the fold size and for random, natural and
// near-duplicate query streams.
func TestBlacklightFoldMatchesReference(t *testing.T) {
	ds := loadDigits(t)
	r := rand.New(rand.NewPCG(7, 8))
	stream := make([][]float32, 0, 1500)
	for i := range 500 {
		stream = append(stream, ds.x[(i*31)%len(ds.x)])
	}
	stream = append(stream, randomQueries(9, 300)...)
	base := ds.x[3]
	for range 700 { // near-duplicates of a few inputs, and exact repeats
		q := append([]float32(nil), base...)
		for j := range q {
			if r.IntN(6) == 0 {
				q[j] = min(16, max(0, q[j]+float32(r.IntN(5)-2)))
			}
		}
		if r.IntN(10) == 0 {
			base = ds.x[r.IntN(len(ds.x))]
		}
		stream = append(stream, q)
	}
	for _, perQ := range []int{1, 2, 3, 4, 5, 7, 8, 9, 31, 32, 33, 40} {
		cfg := digitsBlacklight()
		cfg.MaxHashes = perQ * cfg.TopS
		b := newBL(t, cfg)
		ref := &refBLClient{}
		sc := &blScratch{}
		for i, q := range stream {
			d := b.Observe("c", q)
			sc.fp = b.fingerprint(q, sc.fp[:0])
			m, id := ref.observe(perQ, sc.fp)
			if d.Matches != m || d.Matched != id {
				t.Fatalf("ring of %d (fold %d), query %d: matched query %d with %d hashes, reference %d with %d",
					perQ, foldSize(perQ), i+1, d.Matched, d.Matches, id, m)
			}
		}
	}
}
