package review

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Many clients hold, poll and collect while reviewers decide and a sweeper
// ticks; under -race this checks the locking, and the tally checks that
// every approved response reaches its client exactly once.
func TestConcurrentUse(t *testing.T) {
	q, clock := newTestQueue(t, Config{MaxPending: 64, MaxPerPrincipal: 8})
	var collected, approved atomic.Int64
	ids := make(chan Item, 1024)
	var clients, reviewers sync.WaitGroup
	for c := range 8 {
		clients.Go(func() {
			who := fmt.Sprintf("client%d", c)
			for i := range 50 {
				it, err := q.Hold(who, "digits", "", testEvidence, "", []byte(who))
				if errors.Is(err, ErrFull) {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				ids <- it
				if i%2 == 0 {
					collectWhenDone(t, q, it, &collected)
				}
			}
		})
	}
	for range 3 {
		reviewers.Go(func() {
			for it := range ids {
				if _, err := q.Decide(it.ID, it.ID[3] < 'n', "root", ""); err == nil && it.ID[3] < 'n' {
					approved.Add(1)
				}
				q.List(Filter{State: StatePending, Limit: 5})
				q.Sweep()
				clock.Advance(time.Millisecond)
			}
		})
	}
	clients.Wait()
	close(ids)
	reviewers.Wait()
	if s := q.Stats(); int64(s.Collected) != collected.Load() || int64(s.Approved+s.Collected) != approved.Load() {
		t.Fatalf("stats %+v, collected %d, approved %d", s, collected.Load(), approved.Load())
	}
}

// collectWhenDone long-polls an item and collects it if approved.
func collectWhenDone(t *testing.T, q *Queue, it Item, n *atomic.Int64) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	got, err := q.Wait(ctx, it.ID)
	if err != nil {
		t.Error(err)
		return
	}
	if got.State != StateApproved {
		return
	}
	if _, data, err := q.Collect(it.ID, it.Principal); err != nil || string(data) != it.Principal {
		t.Errorf("collect: %v %q", err, data)
		return
	}
	n.Add(1)
}
