package review

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// Queue holds flagged responses until a reviewer decides on them. It is
// safe for concurrent use; one mutex guards everything because every
// operation is a few map and slice updates, far cheaper than the HTTP
// round trips around it.
type Queue struct {
	cfg Config

	mu        sync.Mutex
	byID      map[string]*entry
	order     []*entry // creation order; forgotten entries linger until compacted
	dead      int      // forgotten entries still in order
	seq       uint64
	pendingBy map[string]int // pending items per principal
	counts    map[State]int
	held      int64
	deadlines deadlineHeap
}

// entry is the queue's own record of an item.
type entry struct {
	item     Item
	data     []byte // the held response; nil once collected, rejected or expired
	seq      uint64 // creation order, for pagination
	done     chan struct{}
	forgetAt time.Time
	gone     bool
}

// New returns an empty queue bounded by cfg.
func New(cfg Config) (*Queue, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Queue{
		cfg:       c,
		byID:      make(map[string]*entry),
		pendingBy: make(map[string]int),
		counts:    make(map[State]int),
	}, nil
}

// Hold stores a copy of response, pending review, and returns the new item
// whose ID is the client's ticket. It fails with ErrFull when any count or
// byte limit would be exceeded and with ErrInvalid on a malformed argument.
func (q *Queue) Hold(principal, model, version string, ev Evidence, summary string, response []byte) (Item, error) {
	if err := checkHold(principal, model, version, ev, summary); err != nil {
		return Item{}, err
	}
	if len(response) > q.cfg.MaxResponseBytes {
		return Item{}, fmt.Errorf("%w: response of %d bytes exceeds the %d-byte limit per item",
			ErrFull, len(response), q.cfg.MaxResponseBytes)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.cfg.Now()
	q.advanceLocked(now)
	if err := q.roomLocked(principal, len(response)); err != nil {
		return Item{}, err
	}
	e := q.addLocked(now, principal, model, version, ev, summary, response)
	return e.item, nil
}

// checkHold refuses arguments that would make a useless or unbounded item;
// a NaN score would also make the item impossible to encode as JSON.
func checkHold(principal, model, version string, ev Evidence, summary string) error {
	if principal == "" || model == "" {
		return fmt.Errorf("%w: principal and model are required", ErrInvalid)
	}
	for _, s := range []string{principal, model, version, ev.Detector, ev.Reason, summary} {
		if len(s) > MaxFieldBytes {
			return fmt.Errorf("%w: field of %d bytes exceeds %d", ErrInvalid, len(s), MaxFieldBytes)
		}
	}
	if math.IsNaN(ev.Score) || math.IsInf(ev.Score, 0) {
		return fmt.Errorf("%w: evidence score is not finite", ErrInvalid)
	}
	return nil
}

// roomLocked says which limit, if any, a new item of n bytes would break.
func (q *Queue) roomLocked(principal string, n int) error {
	c := q.cfg
	switch {
	case q.counts[StatePending] >= c.MaxPending:
		return fmt.Errorf("%w: %d items pending review (limit %d)", ErrFull, q.counts[StatePending], c.MaxPending)
	case q.pendingBy[principal] >= c.MaxPerPrincipal:
		return fmt.Errorf("%w: principal has %d items pending review (limit %d)", ErrFull, q.pendingBy[principal], c.MaxPerPrincipal)
	case q.held+int64(n) > c.MaxTotalBytes:
		return fmt.Errorf("%w: holding %d more bytes would exceed %d held in total", ErrFull, n, c.MaxTotalBytes)
	case len(q.byID) >= c.MaxItems:
		return fmt.Errorf("%w: %d items remembered (limit %d)", ErrFull, len(q.byID), c.MaxItems)
	}
	return nil
}

// addLocked records a new pending item; the caller checked the limits.
func (q *Queue) addLocked(now time.Time, principal, model, version string, ev Evidence, summary string, response []byte) *entry {
	id := newID()
	for q.byID[id] != nil { // 2^-128 odds, but a clash would hand out someone else's ticket
		id = newID()
	}
	q.seq++
	e := &entry{
		item: Item{
			ID: id, Principal: principal, Model: model, Version: version,
			Created: now, Expires: now.Add(q.cfg.TTL),
			Evidence: ev, Summary: summary, State: StatePending,
			ResponseBytes: len(response),
		},
		data: append(make([]byte, 0, len(response)), response...),
		seq:  q.seq,
		done: make(chan struct{}),
	}
	q.byID[id] = e
	q.order = append(q.order, e)
	q.counts[StatePending]++
	q.pendingBy[principal]++
	q.held += int64(len(response))
	q.deadlines.add(e.item.Expires, e, false)
	return e
}

// Get returns the item with this ID as anyone may see it (the admin API);
// a client-facing caller must check Item.Principal itself.
func (q *Queue) Get(id string) (Item, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.advanceLocked(q.cfg.Now())
	e := q.byID[id]
	if e == nil {
		return Item{}, false
	}
	return e.item, true
}

// Decide approves or rejects a pending item on behalf of reviewer. Only a
// pending item can be decided: ErrNotFound, ErrExpired or ErrDecided
// otherwise. Rejecting frees the held bytes at once.
func (q *Queue) Decide(id string, approve bool, reviewer, note string) (Item, error) {
	if reviewer == "" || len(reviewer) > MaxFieldBytes || len(note) > MaxFieldBytes {
		return Item{}, fmt.Errorf("%w: reviewer required, reviewer and note at most %d bytes", ErrInvalid, MaxFieldBytes)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.cfg.Now()
	q.advanceLocked(now)
	e := q.byID[id]
	switch {
	case e == nil:
		return Item{}, ErrNotFound
	case e.item.State == StateExpired:
		return e.item, ErrExpired
	case e.item.State != StatePending:
		return e.item, ErrDecided
	}
	state := StateRejected
	if approve {
		state = StateApproved
	}
	e.item.Reviewer, e.item.Note, e.item.Decided = reviewer, note, now
	q.finishLocked(e, state, now.Add(q.cfg.KeepDecided))
	if !approve {
		q.freeLocked(e)
	}
	return e.item, nil
}

// Collect hands the held response to the principal it was held for, once.
// Anyone else gets ErrNotFound, as for an unknown ID, so a ticket reveals
// nothing to another client. A pending item gives ErrPending, a rejected
// one ErrRejected, an expired one ErrExpired, a second collection
// ErrCollected; the item is returned with every error but ErrNotFound.
func (q *Queue) Collect(id, principal string) (Item, []byte, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.advanceLocked(q.cfg.Now())
	e := q.byID[id]
	if e == nil || e.item.Principal != principal {
		return Item{}, nil, ErrNotFound
	}
	switch e.item.State {
	case StatePending:
		return e.item, nil, ErrPending
	case StateRejected:
		return e.item, nil, ErrRejected
	case StateExpired:
		return e.item, nil, ErrExpired
	case StateCollected:
		return e.item, nil, ErrCollected
	}
	data := e.data
	q.freeLocked(e)
	q.setStateLocked(e, StateCollected)
	return e.item, data, nil
}

// Stats counts the remembered items by state and the bytes held.
func (q *Queue) Stats() Stats {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.advanceLocked(q.cfg.Now())
	return Stats{
		Pending:   q.counts[StatePending],
		Approved:  q.counts[StateApproved],
		Rejected:  q.counts[StateRejected],
		Expired:   q.counts[StateExpired],
		Collected: q.counts[StateCollected],
		HeldBytes: q.held,
	}
}

// Sweep expires and forgets what is due. Every method already does so
// lazily; the gateway calls Sweep on a ticker so that memory is released
// even when nobody touches the queue.
func (q *Queue) Sweep() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.advanceLocked(q.cfg.Now())
}
