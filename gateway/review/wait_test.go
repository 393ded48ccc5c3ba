package review

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
)

// settledGoroutines waits, in bounded steps, for the goroutine count to
// fall back to at most base, and reports whether it did.
func settledGoroutines(base int) bool {
	for range 200 {
		if runtime.NumGoroutine() <= base {
			return true
		}
		runtime.Gosched()
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

type waitResult struct {
	it  Item
	err error
}

func startWait(ctx context.Context, q *Queue, id string) <-chan waitResult {
	ch := make(chan waitResult, 1)
	go func() {
		it, err := q.Wait(ctx, id)
		ch <- waitResult{it, err}
	}()
	return ch
}

func TestWaitWakesOnDecision(t *testing.T) {
	base := runtime.NumGoroutine()
	q, _ := newTestQueue(t, Config{})
	it := mustHold(t, q, "alice", []byte("r"))
	var waiters []<-chan waitResult
	for range 5 {
		waiters = append(waiters, startWait(context.Background(), q, it.ID))
	}
	if _, err := q.Decide(it.ID, true, "root", ""); err != nil {
		t.Fatal(err)
	}
	for _, w := range waiters {
		r := <-w
		if r.err != nil || r.it.State != StateApproved {
			t.Fatalf("wait: %v %+v", r.err, r.it)
		}
	}
	if !settledGoroutines(base) {
		t.Fatalf("goroutines leaked: %d > %d", runtime.NumGoroutine(), base)
	}
}

func TestWaitWakesOnCancel(t *testing.T) {
	base := runtime.NumGoroutine()
	q, _ := newTestQueue(t, Config{})
	it := mustHold(t, q, "alice", nil)
	ctx, cancel := context.WithCancel(context.Background())
	w := startWait(ctx, q, it.ID)
	cancel()
	r := <-w
	if !errors.Is(r.err, context.Canceled) || r.it.State != StatePending {
		t.Fatalf("wait after cancel: %v %+v", r.err, r.it)
	}
	if !settledGoroutines(base) {
		t.Fatalf("goroutines leaked: %d > %d", runtime.NumGoroutine(), base)
	}
}

func TestWaitOnFinishedOrUnknown(t *testing.T) {
	q, _ := newTestQueue(t, Config{})
	it := mustHold(t, q, "alice", nil)
	if _, err := q.Decide(it.ID, false, "root", ""); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a finished item answers at once, even on a dead context
	if got, err := q.Wait(ctx, it.ID); err != nil || got.State != StateRejected {
		t.Fatalf("wait on rejected: %v %+v", err, got)
	}
	if _, err := q.Wait(context.Background(), newID()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("wait on unknown: %v", err)
	}
}

// Wait must notice expiry on its own: nothing else calls the queue here.
func TestWaitSeesExpiry(t *testing.T) {
	q, err := New(Config{TTL: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	it := mustHold(t, q, "alice", nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	got, err := q.Wait(ctx, it.ID)
	if err != nil || got.State != StateExpired {
		t.Fatalf("wait: %v %+v", err, got)
	}
}
