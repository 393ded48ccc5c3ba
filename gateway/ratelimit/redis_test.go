package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const redisAddr = "127.0.0.1:6379"

// testRedis returns a client for a new replica and a key prefix unique to
// this test, removing the test's keys at the end. It skips when Redis is
// unreachable, unless MODELWARD_REQUIRE_REDIS=1.
func testRedis(tb testing.TB) (newReplica func() *Redis, prefix string) {
	tb.Helper()
	probe := redis.NewClient(&redis.Options{Addr: redisAddr})
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := probe.Ping(pctx).Err(); err != nil {
		_ = probe.Close()
		if os.Getenv("MODELWARD_REQUIRE_REDIS") == "1" {
			tb.Fatalf("redis at %s: %v", redisAddr, err)
		}
		tb.Skipf("redis at %s unreachable: %v", redisAddr, err)
	}
	var raw [8]byte
	_, _ = rand.Read(raw[:])
	prefix = "modelward-test:ratelimit:" + hex.EncodeToString(raw[:]) + ":"
	var clients []*redis.Client
	tb.Cleanup(func() {
		iter := probe.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			probe.Del(ctx, iter.Val())
		}
		_ = probe.Close()
		for _, c := range clients {
			_ = c.Close()
		}
	})
	return func() *Redis {
		c := redis.NewClient(&redis.Options{Addr: redisAddr, PoolSize: 32})
		clients = append(clients, c)
		return NewRedis(c, prefix)
	}, prefix
}

// TestRedisTwoReplicasShareRate runs two replicas, each with its own client
// and many goroutines, against one key. The bound is on the count, computed
// from the elapsed time measured, so a slow machine cannot fail it: the
// server allows Burst at once and then Rate per second of its own clock, and
// its clock runs within the interval the test measures.
func TestRedisTwoReplicasShareRate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about 3 s")
	}
	newReplica, _ := testRedis(t)
	replicas := []*Redis{newReplica(), newReplica()}
	lim := Limit{Rate: 200, Burst: 20}
	const run = 3 * time.Second
	var allowed, refused, errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for g := range 32 {
		r := replicas[g%2]
		wg.Go(func() {
			for time.Since(start) < run {
				d, err := r.Allow(ctx, "tenant/model", lim, time.Time{})
				switch {
				case err != nil:
					errs.Add(1)
				case d.Allowed:
					allowed.Add(1)
				default:
					refused.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if errs.Load() > 0 {
		t.Fatalf("%d redis errors", errs.Load())
	}
	want := lim.Rate*elapsed.Seconds() + float64(lim.Burst)
	got := float64(allowed.Load())
	t.Logf("allowed %v of %v requests in %v; rate*elapsed+burst = %.1f (%.2f%% off)",
		got, got+float64(refused.Load()), elapsed, want, 100*(got-want)/want)
	if refused.Load() == 0 {
		t.Fatal("nothing was refused: the load never reached the limit")
	}
	if math.Abs(got-want) > 0.05*want {
		t.Errorf("allowed %v, want %.1f ± 5%%", got, want)
	}
}

func TestRedisDailyQuotaExactAcrossReplicas(t *testing.T) {
	newReplica, _ := testRedis(t)
	replicas := []*Redis{newReplica(), newReplica()}
	lim := Limit{Rate: MaxRate, Burst: 1000, Daily: 137}
	var allowed, quota atomic.Int64
	var wg sync.WaitGroup
	for g := range 16 {
		r := replicas[g%2]
		wg.Go(func() {
			for range 40 {
				d, err := r.Allow(ctx, "quota-key", lim, time.Time{})
				if err != nil {
					t.Error(err)
					return
				}
				if d.Allowed {
					allowed.Add(1)
				} else if d.Reason == ReasonQuota && d.RetryAfter > 0 && d.RetryAfter <= 24*time.Hour {
					quota.Add(1)
				} else {
					t.Errorf("unexpected refusal %+v", d)
				}
			}
		})
	}
	wg.Wait()
	if allowed.Load() != lim.Daily || quota.Load() != 16*40-lim.Daily {
		t.Errorf("allowed %d, refused for quota %d; want exactly %d allowed", allowed.Load(), quota.Load(), lim.Daily)
	}
}

func TestRedisBurstThenRefuse(t *testing.T) {
	newReplica, _ := testRedis(t)
	r := newReplica()
	// A rate slow enough that no token comes back during the test.
	lim := Limit{Rate: 0.001, Burst: 5, Daily: 100}
	for i := range 5 {
		d := mustAllow(t, r, "k", lim, time.Time{})
		if !d.Allowed || d.Remaining != 4-i || d.Limit != lim {
			t.Fatalf("request %d: %+v", i, d)
		}
	}
	d := mustAllow(t, r, "k", lim, time.Time{})
	if d.Allowed || d.Reason != ReasonRate || d.RetryAfter <= 990*time.Second || d.RetryAfter > 1000*time.Second {
		t.Fatalf("past the burst: %+v, want refused for rate for about 1000 s", d)
	}
	// The refusal was not counted, and the state outlives the day's quota.
	ttl, err := r.client.PTTL(ctx, r.KeyName("k")).Result()
	if err != nil || ttl <= 0 || ttl > 24*time.Hour+time.Hour+2*time.Second {
		t.Fatalf("state key expiry %v (%v), want set and bounded by the refill or the day", ttl, err)
	}
	used, err := r.client.HGet(ctx, r.KeyName("k"), "used").Int()
	if err != nil || used != 5 {
		t.Fatalf("used = %d (%v), want 5", used, err)
	}
}

// TestRedisQuotaDayRollover plants yesterday's spent quota: the server's
// new day must start the count afresh, as a key per day would.
func TestRedisQuotaDayRollover(t *testing.T) {
	newReplica, _ := testRedis(t)
	r := newReplica()
	lim := Limit{Rate: 1, Burst: 10, Daily: 2}
	sec, err := r.client.Time(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	today := sec.Unix() / 86400
	key := r.KeyName("k")
	r.client.HSet(ctx, key, "tat", "0", "day", today-1, "used", 2)
	for i := range 2 {
		if d := mustAllow(t, r, "k", lim, time.Time{}); !d.Allowed {
			t.Fatalf("request %d after the day changed: %+v", i, d)
		}
	}
	if d := mustAllow(t, r, "k", lim, time.Time{}); d.Reason != ReasonQuota {
		t.Fatalf("third request today: %+v", d)
	}
}

// TestRedisIgnoresCallerClock gives two replicas clocks decades apart: the
// server's clock decides, so they share one bucket all the same.
func TestRedisIgnoresCallerClock(t *testing.T) {
	newReplica, _ := testRedis(t)
	a, b := newReplica(), newReplica()
	lim := Limit{Rate: 0.001, Burst: 2}
	past, future := time.Unix(0, 0), time.Date(2150, 1, 1, 0, 0, 0, 0, time.UTC)
	if d := mustAllow(t, a, "k", lim, past); !d.Allowed {
		t.Fatal(d)
	}
	if d := mustAllow(t, b, "k", lim, future); !d.Allowed {
		t.Fatal(d)
	}
	if d := mustAllow(t, b, "k", lim, future); d.Allowed || d.Reason != ReasonRate {
		t.Fatalf("third request: %+v", d)
	}
}

func TestRedisHostileKeys(t *testing.T) {
	newReplica, prefix := testRedis(t)
	r := newReplica()
	lim := Limit{Rate: 1, Burst: 1}
	name := regexp.MustCompile(`^` + regexp.QuoteMeta(prefix) + `\{[0-9a-f]{32}\}$`)
	seen := map[string]bool{}
	for _, k := range []string{"", "a", "A", "{x}", "*", "\r\nFLUSHALL\r\n", "\x00", strings.Repeat("é", 1<<16)} {
		n := r.KeyName(k)
		if !name.MatchString(n) || seen[n] {
			t.Errorf("key %.20q: name %q", k, n)
		}
		seen[n] = true
		if d := mustAllow(t, r, k, lim, time.Time{}); !d.Allowed {
			t.Errorf("key %.20q: first request refused: %+v", k, d)
		}
	}
}

func TestRedisScriptReloaded(t *testing.T) {
	newReplica, _ := testRedis(t)
	r := newReplica()
	lim := Limit{Rate: 1, Burst: 2}
	mustAllow(t, r, "k", lim, time.Time{})
	// Make the server forget the script: EVALSHA fails with NOSCRIPT and
	// the call must fall back to EVAL without losing the state.
	if err := r.client.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if d := mustAllow(t, r, "k", lim, time.Time{}); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("after SCRIPT FLUSH: %+v", d)
	}
	if d := mustAllow(t, r, "k", lim, time.Time{}); d.Allowed {
		t.Fatal("state lost across the reload")
	}
}

func TestRedisErrorsAreReturned(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer c.Close()
	r := NewRedis(c, "x:")
	d, err := r.Allow(ctx, "k", Limit{Rate: 1, Burst: 1}, time.Time{})
	if err == nil || d.Allowed {
		t.Fatalf("unreachable redis: %+v, %v; want an error and a refusal", d, err)
	}
	if _, err := r.Allow(ctx, "k", Limit{}, time.Time{}); err == nil {
		t.Fatal("invalid limit accepted")
	}
}

func BenchmarkRedisAllow(b *testing.B) {
	newReplica, _ := testRedis(b)
	r := newReplica()
	lim := Limit{Rate: MaxRate, Burst: 1000, Daily: 1e12}
	names := make([]string, 1000)
	for i := range names {
		names[i] = fmt.Sprint("bench-", i)
	}
	var seq atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := int(seq.Add(101))
		for pb.Next() {
			i++
			if _, err := r.Allow(ctx, names[i%len(names)], lim, time.Time{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
