package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var ctx = context.Background()

// t0 is an arbitrary instant well inside a UTC day.
var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func mustAllow(t *testing.T, l Limiter, key string, lim Limit, now time.Time) Decision {
	t.Helper()
	d, err := l.Allow(ctx, key, lim, now)
	if err != nil {
		t.Fatalf("Allow(%q): %v", key, err)
	}
	return d
}

func TestMemoryBurstThenRate(t *testing.T) {
	m := NewMemory(MemoryOptions{})
	lim := Limit{Rate: 10, Burst: 5}
	for i := range 5 {
		d := mustAllow(t, m, "k", lim, t0)
		if !d.Allowed || d.Remaining != 4-i || d.Reason != "" || d.Limit != lim {
			t.Fatalf("request %d of the burst: %+v", i, d)
		}
	}
	d := mustAllow(t, m, "k", lim, t0)
	if d.Allowed || d.Reason != ReasonRate || d.RetryAfter != 100*time.Millisecond || d.Remaining != 0 {
		t.Fatalf("past the burst: %+v, want refused for rate, retry after 100ms", d)
	}
	if d := mustAllow(t, m, "k", lim, t0.Add(99*time.Millisecond)); d.Allowed || d.RetryAfter != time.Millisecond {
		t.Fatalf("1ms early: %+v", d)
	}
	// Exactly one token per 100 ms from now on.
	for i := 1; i <= 20; i++ {
		at := t0.Add(time.Duration(i) * 100 * time.Millisecond)
		if d := mustAllow(t, m, "k", lim, at); !d.Allowed || d.Remaining != 0 {
			t.Fatalf("token %d: %+v", i, d)
		}
		if d := mustAllow(t, m, "k", lim, at); d.Allowed {
			t.Fatalf("second request at token %d allowed", i)
		}
	}
	// A long idle refills the bucket to Burst and no further.
	later := t0.Add(time.Hour)
	for i := range 5 {
		if d := mustAllow(t, m, "k", lim, later); !d.Allowed {
			t.Fatalf("after idle, request %d refused", i)
		}
	}
	if d := mustAllow(t, m, "k", lim, later); d.Allowed {
		t.Fatal("idle bucket held more than Burst")
	}
	// Other keys are independent.
	if d := mustAllow(t, m, "other", lim, t0); !d.Allowed || d.Remaining != 4 {
		t.Fatalf("other key: %+v", d)
	}
}

func TestMemoryQuotaResetsAtUTCMidnight(t *testing.T) {
	// A zone east of UTC, so that local midnight and UTC midnight differ.
	zone := time.FixedZone("UTC+5", 5*3600)
	eve := time.Date(2026, 11, 26, 23, 59, 59, 900_000_000, time.UTC).In(zone)
	clock := eve
	m := NewMemory(MemoryOptions{Clock: func() time.Time { return clock }})
	lim := Limit{Rate: 1000, Burst: 1000, Daily: 3}
	for i := range 3 {
		d := mustAllow(t, m, "k", lim, time.Time{})
		if !d.Allowed || d.Remaining != 2-i {
			t.Fatalf("request %d: %+v", i, d)
		}
	}
	d := mustAllow(t, m, "k", lim, time.Time{})
	if d.Allowed || d.Reason != ReasonQuota || d.RetryAfter != 100*time.Millisecond {
		t.Fatalf("over quota: %+v, want refused for quota until midnight UTC", d)
	}
	clock = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC).Add(-time.Nanosecond)
	if d := mustAllow(t, m, "k", lim, time.Time{}); d.Allowed || d.RetryAfter != time.Nanosecond {
		t.Fatalf("1ns before midnight: %+v", d)
	}
	clock = clock.Add(time.Nanosecond)
	for i := range 3 {
		if d := mustAllow(t, m, "k", lim, time.Time{}); !d.Allowed {
			t.Fatalf("new day, request %d refused: %+v", i, d)
		}
	}
	if d := mustAllow(t, m, "k", lim, time.Time{}); d.Reason != ReasonQuota {
		t.Fatalf("new day over quota: %+v", d)
	}
}

func TestMemoryClockBackAcrossMidnight(t *testing.T) {
	m := NewMemory(MemoryOptions{})
	lim := Limit{Rate: 1000, Burst: 1000, Daily: 1}
	midnight := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	mustAllow(t, m, "k", lim, midnight)
	d := mustAllow(t, m, "k", lim, midnight.Add(-time.Second))
	if d.Allowed || d.Reason != ReasonQuota || d.RetryAfter != 24*time.Hour+time.Second {
		t.Fatalf("clock stepped back a second: %+v, want the later day's quota kept", d)
	}
}

func TestMemoryRefusalsConsumeNothing(t *testing.T) {
	m := NewMemory(MemoryOptions{})
	lim := Limit{Rate: 1, Burst: 1, Daily: 2}
	mustAllow(t, m, "k", lim, t0)
	// Rate refusals must not use up the quota...
	for range 100 {
		if d := mustAllow(t, m, "k", lim, t0); d.Reason != ReasonRate {
			t.Fatalf("want rate refusal, got %+v", d)
		}
	}
	if d := mustAllow(t, m, "k", lim, t0.Add(time.Second)); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("second of two daily requests: %+v", d)
	}
	// ...and quota refusals must not use up tokens: the bucket is full again
	// at +10s, the quota spent, so quota is the reason.
	for range 10 {
		if d := mustAllow(t, m, "k", lim, t0.Add(10*time.Second)); d.Reason != ReasonQuota {
			t.Fatalf("want quota refusal, got %+v", d)
		}
	}
	next := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	if d := mustAllow(t, m, "k", lim, next); !d.Allowed {
		t.Fatalf("next day: %+v", d)
	}
}

func TestMemoryRejectsBadInput(t *testing.T) {
	m := NewMemory(MemoryOptions{})
	good := Limit{Rate: 1, Burst: 1}
	for _, l := range []Limit{
		{}, {Rate: -1, Burst: 1}, {Rate: math.NaN(), Burst: 1}, {Rate: math.Inf(1), Burst: 1},
		{Rate: 2e6, Burst: 1}, {Rate: 1, Burst: 0}, {Rate: 1, Burst: MaxBurst + 1},
		{Rate: 1, Burst: 1, Daily: -1}, {Rate: 1, Burst: 1, Daily: 2e12},
		{Rate: 1e-9, Burst: 1},
	} {
		if _, err := m.Allow(ctx, "k", l, t0); !errors.Is(err, ErrInvalidLimit) {
			t.Errorf("limit %+v: err %v, want ErrInvalidLimit", l, err)
		}
	}
	long := string(make([]byte, MaxKeyLen+1))
	if _, err := m.Allow(ctx, long, good, t0); !errors.Is(err, ErrKeyTooLong) {
		t.Errorf("long key: %v", err)
	}
	for _, at := range []time.Time{time.Unix(-1, 0), time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if _, err := m.Allow(ctx, "k", good, at); !errors.Is(err, ErrClock) {
			t.Errorf("time %v: %v", at, err)
		}
	}
	if m.Len() != 0 {
		t.Errorf("refused inputs left %d keys", m.Len())
	}
}

func TestMemoryEvictionBound(t *testing.T) {
	for _, max := range []int{1, 7, 100, 1000} {
		m := NewMemory(MemoryOptions{MaxKeys: max})
		lim := Limit{Rate: 1, Burst: 1}
		for i := range 20 * max {
			mustAllow(t, m, fmt.Sprint("key-", i), lim, t0)
			if n := m.Len(); n > max {
				t.Fatalf("MaxKeys %d: %d keys tracked", max, n)
			}
		}
		if m.Len() != max {
			t.Errorf("MaxKeys %d: table holds %d, want it full", max, m.Len())
		}
		if got, want := m.Evictions(), int64(19*max); got != want {
			t.Errorf("MaxKeys %d: %d evictions, want %d", max, got, want)
		}
	}
}

func TestMemoryEvictsLeastRecentlyUsed(t *testing.T) {
	// One shard, so that the order of all keys is one list.
	m := newMemory(MemoryOptions{MaxKeys: 3}, 1)
	lim := Limit{Rate: 1, Burst: 1}
	for _, k := range []string{"a", "b", "c"} {
		mustAllow(t, m, k, lim, t0)
	}
	mustAllow(t, m, "a", lim, t0) // refused, but a is now the most recent
	mustAllow(t, m, "d", lim, t0) // evicts b
	if d := mustAllow(t, m, "a", lim, t0); d.Allowed {
		t.Error("a was evicted though recently used")
	}
	if d := mustAllow(t, m, "c", lim, t0); d.Allowed {
		t.Error("c was evicted before b")
	}
	if d := mustAllow(t, m, "b", lim, t0); !d.Allowed {
		t.Error("b, the least recently used, was kept")
	}
}

func TestMemoryConcurrent(t *testing.T) {
	m := NewMemory(MemoryOptions{MaxKeys: 64})
	lim := Limit{Rate: 1, Burst: 50, Daily: 40}
	var allowed [4]atomic.Int64
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			for i := range 500 {
				k := (g + i) % 4
				d, err := m.Allow(ctx, fmt.Sprint("shared-", k), lim, t0)
				if err != nil {
					t.Error(err)
					return
				}
				if d.Allowed {
					allowed[k].Add(1)
				}
				// Churn other keys through the table to race eviction too.
				_, _ = m.Allow(ctx, fmt.Sprint("churn-", g, "-", i), lim, t0)
			}
		})
	}
	wg.Wait()
	// At a frozen clock each shared key gets exactly min(Burst, Daily)
	// requests, unless churn evicted it (then more): count evictions out.
	for k := range allowed {
		if got := allowed[k].Load(); got < 40 {
			t.Errorf("key %d: %d allowed, want at least 40", k, got)
		}
	}
	if m.Len() > 64 {
		t.Errorf("%d keys tracked, bound 64", m.Len())
	}
}

func TestMemoryConcurrentExact(t *testing.T) {
	m := NewMemory(MemoryOptions{})
	lim := Limit{Rate: 1, Burst: 100}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 100 {
				if d, _ := m.Allow(ctx, "one", lim, t0); d.Allowed {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if allowed.Load() != 100 {
		t.Errorf("%d allowed from a frozen bucket of 100", allowed.Load())
	}
}

func TestMemoryHotPathAllocations(t *testing.T) {
	m := NewMemory(MemoryOptions{})
	lim := Limit{Rate: 1e6, Burst: 10, Daily: 1e9}
	mustAllow(t, m, "client/model", lim, t0)
	now := t0
	if n := testing.AllocsPerRun(1000, func() {
		now = now.Add(time.Microsecond)
		_, _ = m.Allow(ctx, "client/model", lim, now)
	}); n != 0 {
		t.Errorf("%v allocations per Allow on a tracked key", n)
	}
}

func FuzzMemoryAllow(f *testing.F) {
	f.Add("k", 10.0, 5, int64(0), int64(0))
	f.Add("\x00{}", 1e6, 1, int64(3), int64(86399e9))
	f.Fuzz(func(t *testing.T, key string, rate float64, burst int, daily, at int64) {
		m := NewMemory(MemoryOptions{MaxKeys: 4})
		lim := Limit{Rate: rate, Burst: burst, Daily: daily}
		now := time.Unix(0, at)
		for range 3 {
			d, err := m.Allow(ctx, key, lim, now)
			if err != nil {
				return
			}
			if d.Allowed != (d.Reason == "") || d.RetryAfter < 0 || d.Remaining < 0 || (!d.Allowed && d.RetryAfter == 0) {
				t.Fatalf("inconsistent decision %+v", d)
			}
		}
		if m.Len() > 4 {
			t.Fatalf("%d keys", m.Len())
		}
	})
}

func BenchmarkMemoryAllow(b *testing.B) {
	const keys = 10_000
	m := NewMemory(MemoryOptions{MaxKeys: 2 * keys})
	names := make([]string, keys)
	for i := range names {
		names[i] = fmt.Sprintf("key-%d/model-%d", i, i%7)
	}
	lim := Limit{Rate: 1e6, Burst: 100, Daily: 1e9}
	var seq atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := int(seq.Add(7919))
		now := t0
		for pb.Next() {
			i++
			now = now.Add(time.Microsecond)
			_, _ = m.Allow(ctx, names[i%keys], lim, now)
		}
	})
}
