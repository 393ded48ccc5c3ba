package review

import (
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock safe for concurrent use.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newTestQueue builds a queue on a fake clock with cfg's limits.
func newTestQueue(t testing.TB, cfg Config) (*Queue, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	cfg.Now = clock.Now
	q, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return q, clock
}

var testEvidence = Evidence{Detector: "blacklight", Reason: "12 near-duplicate queries", Score: 0.93}

// mustHold holds response for principal on model "digits".
func mustHold(t testing.TB, q *Queue, principal string, response []byte) Item {
	t.Helper()
	it, err := q.Hold(principal, "digits", "3", testEvidence, "label 7", response)
	if err != nil {
		t.Fatalf("Hold: %v", err)
	}
	return it
}
