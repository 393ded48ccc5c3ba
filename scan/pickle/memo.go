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
	if i <= int64(len(m.dense))+1024 && m.sparse == nil {
		for int64(len(m.dense)) < i {
			m.dense = append(m.dense, Value{})
			m.set = append(m.set, false)
		}
		m.dense = append(m.dense, v)
		m.set = append(m.set, true)
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
