package review

import (
	"container/heap"
	"time"
)

// advanceLocked expires pending items whose TTL has passed and forgets
// finished items whose KeepDecided has passed. Deadlines sit in a min-heap,
// so the cost is logarithmic per due item rather than a scan per call, and
// a clock that jumps backwards merely delays work.
func (q *Queue) advanceLocked(now time.Time) {
	for q.deadlines.Len() > 0 && !now.Before(q.deadlines[0].at) {
		d := heap.Pop(&q.deadlines).(deadline)
		e := d.e
		switch {
		case e.gone:
			// forgotten already; a stale deadline
		case !d.forget && e.item.State == StatePending:
			q.freeLocked(e)
			q.finishLocked(e, StateExpired, e.item.Expires.Add(q.cfg.KeepDecided))
		case d.forget && d.at.Equal(e.forgetAt):
			q.forgetLocked(e)
		}
	}
}

// finishLocked moves a pending item to a final state, wakes its waiters
// and schedules it to be forgotten at forgetAt.
func (q *Queue) finishLocked(e *entry, s State, forgetAt time.Time) {
	q.pendingBy[e.item.Principal]--
	if q.pendingBy[e.item.Principal] <= 0 {
		delete(q.pendingBy, e.item.Principal) // keep the map as small as the pending set
	}
	q.setStateLocked(e, s)
	close(e.done)
	e.forgetAt = forgetAt
	q.deadlines.add(forgetAt, e, true)
}

func (q *Queue) setStateLocked(e *entry, s State) {
	q.counts[e.item.State]--
	q.counts[s]++
	e.item.State = s
}

// freeLocked drops the held bytes of an item.
func (q *Queue) freeLocked(e *entry) {
	q.held -= int64(len(e.data))
	e.data = nil
}

// forgetLocked removes a finished item. Its slot in q.order is reclaimed
// in bulk once half the slice is dead, so removal stays amortised O(1).
func (q *Queue) forgetLocked(e *entry) {
	q.freeLocked(e)
	q.counts[e.item.State]--
	delete(q.byID, e.item.ID)
	e.gone = true
	q.dead++
	if q.dead > 32 && q.dead > len(q.order)/2 {
		q.compactLocked()
	}
}

func (q *Queue) compactLocked() {
	live := make([]*entry, 0, len(q.order)-q.dead)
	for _, e := range q.order {
		if !e.gone {
			live = append(live, e)
		}
	}
	q.order, q.dead = live, 0
}

// deadline is a moment when an entry must expire (forget false) or be
// forgotten (forget true).
type deadline struct {
	at     time.Time
	e      *entry
	forget bool
}

// deadlineHeap is a min-heap of deadlines by time (container/heap).
type deadlineHeap []deadline

func (h deadlineHeap) Len() int           { return len(h) }
func (h deadlineHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h deadlineHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *deadlineHeap) Push(x any)        { *h = append(*h, x.(deadline)) }
func (h *deadlineHeap) Pop() any {
	old := *h
	d := old[len(old)-1]
	old[len(old)-1] = deadline{} // drop the entry pointer so the GC can reclaim it
	*h = old[:len(old)-1]
	return d
}

func (h *deadlineHeap) add(at time.Time, e *entry, forget bool) {
	heap.Push(h, deadline{at: at, e: e, forget: forget})
}
