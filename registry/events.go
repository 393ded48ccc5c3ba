package registry

import "sync"

// Events fans committed audit entries out to in-process subscribers (the
// gateway and the monitor): every state change is an audit entry, so the
// log is the event stream, and a subscriber that falls behind or restarts
// resumes from the log by sequence number (Store.Audit).
type Events struct {
	mu   sync.Mutex
	subs map[chan AuditEntry]struct{}
}

// NewEvents returns an empty broker.
func NewEvents() *Events { return &Events{subs: map[chan AuditEntry]struct{}{}} }

// Subscribe returns a channel of entries appended from now on, buffered
// by n, and a function that ends the subscription. A subscriber whose
// buffer is full misses entries rather than stalling the registry; it
// notices the gap in sequence numbers and reads them from the store.
func (ev *Events) Subscribe(n int) (<-chan AuditEntry, func()) {
	ch := make(chan AuditEntry, max(n, 1))
	ev.mu.Lock()
	ev.subs[ch] = struct{}{}
	ev.mu.Unlock()
	return ch, func() {
		ev.mu.Lock()
		if _, ok := ev.subs[ch]; ok {
			delete(ev.subs, ch)
			close(ch)
		}
		ev.mu.Unlock()
	}
}

// Publish sends e to every subscriber without blocking.
func (ev *Events) Publish(e AuditEntry) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	for ch := range ev.subs {
		select {
		case ch <- e:
		default:
		}
	}
}
