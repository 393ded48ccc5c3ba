package review

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// fuzzConfig is small so that random operations hit every limit.
var fuzzConfig = Config{
	MaxPending: 8, MaxPerPrincipal: 3, MaxResponseBytes: 64, MaxTotalBytes: 200,
	MaxItems: 16, TTL: 10 * time.Second, KeepDecided: 5 * time.Second,
}

var fuzzPrincipals = []string{"alice", "bob", "carol", "dave"}

// queueModel is what the fuzz driver expects of the queue.
type queueModel struct {
	t         *testing.T
	q         *Queue
	clock     *fakeClock
	ids       []string
	content   map[string][]byte
	collected map[string]bool
}

// FuzzQueueOps drives the queue with operations decoded from the input,
// two bytes each, and checks its invariants after every one.
func FuzzQueueOps(f *testing.F) {
	f.Add([]byte{0, 10, 0, 20, 1, 1, 2, 0, 2, 0})
	f.Add([]byte{0, 60, 0, 61, 0, 62, 0, 63, 3, 11, 4, 0, 5, 0})
	f.Add([]byte{0, 70, 1, 0, 3, 6, 2, 4, 6, 0, 0, 1, 1, 3})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 2000 {
			ops = ops[:2000]
		}
		clock := newFakeClock()
		cfg := fuzzConfig
		cfg.Now = clock.Now
		q, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		m := &queueModel{t: t, q: q, clock: clock, content: map[string][]byte{}, collected: map[string]bool{}}
		for i := 0; i+1 < len(ops); i += 2 {
			m.step(ops[i], ops[i+1])
			m.check()
		}
	})
}

func (m *queueModel) pick(b byte) string {
	if len(m.ids) == 0 {
		return newID()
	}
	return m.ids[int(b)%len(m.ids)]
}

func (m *queueModel) step(op, arg byte) {
	switch op % 7 {
	case 0:
		m.hold(arg)
	case 1:
		_, err := m.q.Decide(m.pick(arg>>1), arg&1 == 1, "root", "")
		if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrDecided) && !errors.Is(err, ErrExpired) {
			m.t.Fatalf("decide: %v", err)
		}
	case 2:
		m.collect(m.pick(arg>>2), fuzzPrincipals[arg&3])
	case 3:
		m.clock.Advance(time.Duration(arg%16) * time.Second)
	case 4:
		m.q.Sweep()
	case 5:
		m.list(State([]State{"", StatePending, StateApproved, StateRejected, StateExpired, StateCollected}[arg%6]), int(arg%5)+1)
	case 6:
		m.q.Get(m.pick(arg))
	}
}

func (m *queueModel) hold(arg byte) {
	n := int(arg) % 80 // sometimes above MaxResponseBytes
	resp := bytes.Repeat([]byte{byte(len(m.ids))}, n)
	it, err := m.q.Hold(fuzzPrincipals[arg&3], "digits", "", testEvidence, "", resp)
	if errors.Is(err, ErrFull) {
		return
	}
	if err != nil {
		m.t.Fatalf("hold: %v", err)
	}
	m.ids = append(m.ids, it.ID)
	m.content[it.ID] = resp
}

func (m *queueModel) collect(id, principal string) {
	it, data, err := m.q.Collect(id, principal)
	if err != nil {
		if data != nil {
			m.t.Fatalf("collect failed with %v but returned data", err)
		}
		return
	}
	if m.collected[id] {
		m.t.Fatalf("item %s collected twice", id)
	}
	m.collected[id] = true
	if it.Principal != principal || !bytes.Equal(data, m.content[id]) {
		m.t.Fatalf("collect %s by %s returned %+v / %d bytes", id, principal, it, len(data))
	}
}

// list pages through one state and checks the pages are in creation order.
func (m *queueModel) list(s State, limit int) {
	var prev time.Time
	after := ""
	for range 100 {
		items, next, err := m.q.List(Filter{State: s, Limit: limit, After: after})
		if err != nil {
			m.t.Fatal(err)
		}
		for _, it := range items {
			if (s != "" && it.State != s) || it.Created.Before(prev) {
				m.t.Fatalf("list %q: item %+v out of place", s, it)
			}
			prev = it.Created
		}
		if next == "" {
			return
		}
		after = next
	}
	m.t.Fatal("list does not terminate")
}

// check compares Stats with a full listing and with the limits.
func (m *queueModel) check() {
	st := m.q.Stats()
	all, _, err := m.q.List(Filter{Limit: MaxListLimit})
	if err != nil {
		m.t.Fatal(err)
	}
	var held int64
	counts := map[State]int{}
	pendingBy := map[string]int{}
	for _, it := range all {
		counts[it.State]++
		if it.State == StatePending || it.State == StateApproved {
			held += int64(it.ResponseBytes)
		}
		if it.State == StatePending {
			pendingBy[it.Principal]++
		}
	}
	want := Stats{counts[StatePending], counts[StateApproved], counts[StateRejected],
		counts[StateExpired], counts[StateCollected], held}
	c := m.q.cfg
	switch {
	case st != want:
		m.t.Fatalf("stats %+v, listing says %+v", st, want)
	case st.HeldBytes > c.MaxTotalBytes, st.Pending > c.MaxPending, len(all) > c.MaxItems:
		m.t.Fatalf("limits broken: %+v with %d items", st, len(all))
	}
	for p, n := range pendingBy {
		if n > c.MaxPerPrincipal {
			m.t.Fatalf("%s has %d pending", p, n)
		}
	}
}
