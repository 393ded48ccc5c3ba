package review

import (
	"context"
	"time"
)

// Wait blocks until the item leaves the pending state (decided or expired)
// or ctx is done, for long polling, and returns the item as it then is.
// On ctx's end it returns the still pending item and ctx's error; for an
// unknown or forgotten ID, ErrNotFound. Like Get it does not check the
// principal: a client-facing caller must compare Item.Principal.
//
// Wait starts no goroutine. Expiry being lazy, it also sleeps on a timer
// until the item's expiry time, so a waiter learns of the expiry even
// when nothing else touches the queue.
func (q *Queue) Wait(ctx context.Context, id string) (Item, error) {
	for {
		it, done, left, err := q.waitState(id)
		if err != nil || done == nil {
			return it, err
		}
		timer := time.NewTimer(left)
		select {
		case <-done:
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return it, ctx.Err()
		}
		timer.Stop()
	}
}

// waitState returns the item and, while it is pending, the channel closed
// when it stops being pending and the time left until it expires.
func (q *Queue) waitState(id string) (Item, <-chan struct{}, time.Duration, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.cfg.Now()
	q.advanceLocked(now)
	e := q.byID[id]
	if e == nil {
		return Item{}, nil, 0, ErrNotFound
	}
	if e.item.State != StatePending {
		return e.item, nil, 0, nil
	}
	// positive, since advanceLocked expired the item if its time had come
	return e.item, e.done, e.item.Expires.Sub(now), nil
}
