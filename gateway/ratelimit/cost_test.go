package ratelimit

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A request of n queries costs n tokens and n of the daily quota, all or
// nothing, in memory and in Redis alike; a cost over the burst is an error.
func TestAllowNCostsTokensAndQuota(t *testing.T) {
	ctx := context.Background()
	limiters := map[string]func() Limiter{"memory": func() Limiter { return NewMemory(MemoryOptions{}) }}
	if !testing.Short() {
		limiters["redis"] = func() Limiter { newReplica, _ := testRedis(t); return newReplica() }
	}
	for name, newLimiter := range limiters {
		t.Run(name, func(t *testing.T) {
			l := newLimiter()
			now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
			slow := Limit{Rate: 0.001, Burst: 10} // nothing refills during the test
			steps := []struct {
				n     int
				allow bool
			}{{4, true}, {4, true}, {3, false}, {2, true}, {1, false}}
			for i, s := range steps {
				d, err := l.AllowN(ctx, "k-rate", slow, s.n, now)
				if err != nil || d.Allowed != s.allow {
					t.Fatalf("step %d (cost %d): %+v %v", i, s.n, d, err)
				}
			}
			quota := Limit{Rate: 1000, Burst: 100, Daily: 10}
			for i, s := range steps {
				d, err := l.AllowN(ctx, "k-quota", quota, s.n, now)
				if err != nil || d.Allowed != s.allow || (!s.allow && d.Reason != ReasonQuota) {
					t.Fatalf("quota step %d (cost %d): %+v %v", i, s.n, d, err)
				}
			}
			for _, n := range []int{0, -1, 11} {
				if _, err := l.AllowN(ctx, "k-bad", slow, n, now); !errors.Is(err, ErrCost) {
					t.Errorf("cost %d: %v", n, err)
				}
			}
			if _, err := l.AllowN(ctx, "k-bad", quota, 11, now); !errors.Is(err, ErrCost) {
				t.Errorf("a cost over the daily quota: %v", err)
			}
			// A refund gives back both the tokens and the quota.
			both := Limit{Rate: 0.001, Burst: 6, Daily: 8}
			for i, s := range []struct {
				n      int
				refund bool
				allow  bool
			}{{5, true, true}, {6, false, true}, {1, false, false}} {
				d, err := l.AllowN(ctx, "k-refund", both, s.n, now)
				if err != nil || d.Allowed != s.allow {
					t.Fatalf("refund step %d: %+v %v", i, d, err)
				}
				if s.refund {
					if err := l.Refund(ctx, "k-refund", both, s.n, now); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
}
