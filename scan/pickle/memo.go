package pickle

// memo models the unpickler's memo. Picklers number memo slots densely
// from zero, so slots live in a slice; a crafted stream may use any index,
// and sparse or far-off indices go to a map so they cannot force a huge
// allocation.
type memo struct {
	dense  []Value
	set    []bool
	sparse map[int64]Value
	n      int // entries, for MEMOIZE (which uses len(memo))
}

func (m *memo) reset() {
	m.dense, m.set, m.sparse, m.n = m.dense[:0], m.set[:0], nil, 0
}

func (m *memo) get(i int64) (Value, bool) {
	if i >= 0 && i < int64(len(m.dense)) {
		return m.dense[i], m.set[i]
	}
	v, ok := m.sparse[i]
	return v, ok
}

// put stores v at i and reports whether i was already in use.
func (m *memo) put(i int64, v Value) bool {
	if i < int64(len(m.dense)) {
		had := m.set[i]
		m.dense[i], m.set[i] = v, true
		if !had {
			m.n++
		}
		return had
	}
	// Dense only while the stream stays dense: an index may run ahead of
	// the entry count by a bounded amount, so a stream that PUTs at every
	// 1024th index cannot make the slice grow a thousand times faster than
	// max_memo allows.
	if i <= int64(len(m.dense))+1024 && i <= 2*int64(m.n)+1024 && m.sparse == nil {
		m.grow(int(i) + 1)
		m.dense[i], m.set[i] = v, true
		m.n++
		return false
	}
	if m.sparse == nil {
		m.sparse = make(map[int64]Value)
	}
	_, had := m.sparse[i]
	m.sparse[i] = v
	if !had {
		m.n++
	}
	return had
}

// grow extends the dense slots to n, doubling capacity: append's gentler
// growth for large slices made the memo the machine's main cost.
func (m *memo) grow(n int) {
	if n > cap(m.dense) {
		c := max(2*cap(m.dense), n, 64)
		d := make([]Value, len(m.dense), c)
		copy(d, m.dense)
		s := make([]bool, len(m.set), c)
		copy(s, m.set)
		m.dense, m.set = d, s
	}
	old := len(m.dense)
	m.dense = m.dense[:n]
	m.set = m.set[:n]
	if n > old { // slots past the old length may hold a previous stream's values
		clear(m.dense[old:])
		clear(m.set[old:])
	}
}
