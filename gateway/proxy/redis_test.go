package proxy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/modelward/modelward/gateway/digits"
)

const redisAddr = "127.0.0.1:6379"

// redisPrefix skips the test when Redis is unreachable (fails it under
// MODELWARD_REQUIRE_REDIS=1) and returns a key prefix of its own, whose
// keys are removed when it ends.
func redisPrefix(t *testing.T) (string, *redis.Client) {
	t.Helper()
	ctx := context.Background()
	probe := redis.NewClient(&redis.Options{Addr: redisAddr})
	t.Cleanup(func() { probe.Close() })
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := probe.Ping(pctx).Err(); err != nil {
		if os.Getenv("MODELWARD_REQUIRE_REDIS") == "1" {
			t.Fatalf("redis at %s: %v", redisAddr, err)
		}
		t.Skipf("redis at %s unreachable: %v", redisAddr, err)
	}
	var raw [8]byte
	_, _ = rand.Read(raw[:])
	prefix := "modelward-test:gateway:" + hex.EncodeToString(raw[:]) + ":"
	t.Cleanup(func() {
		iter := probe.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			probe.Del(ctx, iter.Val())
		}
	})
	return prefix, probe
}

// redisTop is the configuration's redis section for a test's prefix.
func redisTop(prefix string) string {
	return "redis: {addr: " + redisAddr + ", prefix: \"" + prefix + "\"}\n"
}

// Two gateways sharing Redis share a principal's bucket: the second
// replica refuses what the first used up.
func TestSharedRedisLimit(t *testing.T) {
	prefix, _ := redisPrefix(t)
	top := redisTop(prefix)
	a := newWorld(t, worldOpts{top: top})
	a.gw.models["digits"].cfg.Rate = RateConfig{Rate: 0.001, Burst: 2}
	// The second replica reads the same registry, so the same token works.
	b := newWorld(t, worldOpts{top: top})
	b.gw.auth = a.gw.auth
	b.gw.models["digits"].cfg.Rate = RateConfig{Rate: 0.001, Burst: 2}
	good := inferBody(digits.UCI().Row(1))
	for i, w := range []*world{a, b} {
		if st, body := w.infer(a.tokens["all"], good); st != 200 {
			t.Fatalf("replica %d: %d %s", i, st, body)
		}
	}
	if st, _ := b.infer(a.tokens["all"], good); st != 429 {
		t.Fatalf("third request across replicas: %d, want 429", st)
	}
}

// A client blocked by one replica is blocked by the others within a
// second, and by a replica started afterwards; other clients are not.
// What arrives from Redis malformed, or for a model not served, changes
// nothing.
func TestSharedFlags(t *testing.T) {
	prefix, probe := redisPrefix(t)
	opts := worldOpts{top: redisTop(prefix),
		model: "    policy: block\n    detect: {signals: {enabled: true}}\n"}
	a := newWorld(t, opts)
	b := newWorld(t, opts)
	b.gw.auth = a.gw.auth
	good := inferBody(digits.UCI().Row(1))
	if st, body := b.infer(a.tokens["bob"], good); st != 200 {
		t.Fatalf("before the flag: %d %s", st, body)
	}
	if st, _, _ := floodRandom(t, a, a.tokens["bob"]); st != 403 {
		t.Fatalf("flood on replica a: %d", st)
	}
	waitBlocked(t, b, a.tokens["bob"], good, "replica b")
	if st, body := b.infer(a.tokens["all"], good); st != 200 {
		t.Fatalf("another client on replica b: %d %s", st, body)
	}
	if n := b.gw.metrics.value(mFlagsShared, "model", "digits"); n != 1 {
		t.Fatalf("replica b applied %v shared flags, want 1", n)
	}

	// A replica that starts later reads the flag from its key.
	c := newWorld(t, opts)
	c.gw.auth = a.gw.auth
	waitBlocked(t, c, a.tokens["bob"], good, "replica c, started later")
	if n := c.gw.metrics.value(mFlagsShared, "model", "digits"); n != 1 {
		t.Fatalf("replica c applied %v shared flags, want 1 (its own detectors flag waitBlocked's repeats)", n)
	}

	// Garbage and flags for other models are dropped.
	ctx := context.Background()
	for _, msg := range []string{"not json", `{"model":"digits","principal":"","detector":"x"}`,
		`{"model":"digits","principal":"p","detector":"x","score":1e999}`} {
		if err := probe.Publish(ctx, prefix+"flags", msg).Err(); err != nil {
			t.Fatal(err)
		}
	}
	probe.Publish(ctx, prefix+"flags", `{"model":"unknown","principal":"someone","detector":"x"}`)
	deadline := time.Now().Add(2 * time.Second)
	for b.gw.metrics.value(mFlagShareErrors, "op", "malformed") < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("malformed flags counted: %v, want 3", b.gw.metrics.value(mFlagShareErrors, "op", "malformed"))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := b.gw.metrics.value(mFlagsShared, "model", "digits"); n != 1 {
		t.Fatalf("shared flags applied after garbage: %v, want 1", n)
	}
}

// waitBlocked polls until a request is refused 403, for at most a second.
func waitBlocked(t *testing.T, w *world, secret, body, what string) {
	t.Helper()
	start := time.Now()
	for {
		st, b := w.infer(secret, body)
		if st == http.StatusForbidden {
			t.Logf("%s: blocked after %v", what, time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Since(start) > time.Second {
			t.Fatalf("%s: %d %s after %v, want 403", what, st, b, time.Since(start))
		}
		time.Sleep(5 * time.Millisecond)
	}
}
