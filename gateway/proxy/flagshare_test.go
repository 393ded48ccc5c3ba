package proxy

import (
	"context"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/modelward/modelward/gateway/digits"
)

// A key of another type under <prefix>flag:* (a stray key, or anyone who
// can write to Redis) fails its own read only: the flags beside it still
// reach a replica started later (found by review: one such key made the
// whole page's pipeline fail, and every flag on it was lost).
func TestSharedFlagsBesideWrongTypeKey(t *testing.T) {
	prefix, probe := redisPrefix(t)
	opts := worldOpts{top: redisTop(prefix),
		model: "    policy: block\n    detect: {signals: {enabled: true}}\n"}
	a := newWorld(t, opts)
	if st, _, _ := floodRandom(t, a, a.tokens["bob"]); st != 403 {
		t.Fatalf("flood on replica a: %d", st)
	}
	ctx := context.Background()
	deadline := time.Now().Add(2 * time.Second)
	for {
		if keys, _ := probe.Scan(ctx, 0, prefix+"flag:*", 100).Val(); len(keys) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("flag key never written")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := probe.RPush(ctx, prefix+"flag:digits:stray", "x").Err(); err != nil {
		t.Fatal(err)
	}
	probe.Expire(ctx, prefix+"flag:digits:stray", time.Minute)
	// c runs no detectors of its own: only a shared flag can block bob there.
	c := newWorld(t, worldOpts{top: opts.top, model: "    policy: block\n"})
	c.gw.auth = a.gw.auth
	waitBlocked(t, c, a.tokens["bob"], inferBody(digits.UCI().Row(1)), "replica c, started later, one stray key")
}

// A resync reads at most one byte more than a flag can hold from each key:
// hostile values cost bounded memory (found by review: 8 keys of 16 MiB
// cost a resync 128 MiB).
func TestSharedFlagsHugeValuesBounded(t *testing.T) {
	prefix, probe := redisPrefix(t)
	opts := worldOpts{top: redisTop(prefix),
		model: "    policy: block\n"}
	a := newWorld(t, opts)
	ctx := context.Background()
	big := strings.Repeat("x", 16<<20)
	for i := range 8 {
		if err := probe.Set(ctx, prefix+"flag:digits:p"+string(rune('a'+i)), big, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	a.gw.resyncFlags(ctx)
	runtime.ReadMemStats(&after)
	got := after.TotalAlloc - before.TotalAlloc
	if limit := uint64(8*maxSharedFlag) * 16; got > limit {
		t.Fatalf("one resync over 8 hostile keys allocated %d MiB; a bound of %d KiB would do", got>>20, limit>>10)
	}
}

// With a Redis that accepts connections but never answers (overloaded, or
// a network that drops packets), Close does not wait for the calls in
// flight (found by review: it waited 17.5 s, for the subscription's wait
// and the resync's budget).
func TestSharedFlagsCloseWhileRedisHangs(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c) // never read, never answered
		}
	}()
	w := newWorld(t, worldOpts{top: "redis: {addr: " + ln.Addr().String() + ", prefix: \"x:\"}\n",
		model: "    policy: block\n"})
	time.Sleep(300 * time.Millisecond) // the subscription's handshake is waiting
	done := make(chan struct{})
	go func() { w.gw.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second): // a hang bound, far above the few ms it takes
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		for _, gr := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(gr, "flagshare") {
				t.Log(gr)
			}
		}
		<-done
		t.Fatal("Close waited for a Redis that does not answer")
	}
}

// A flag kept alive where it was raised (under degrade, each new flag
// restarts flag_ttl) is renewed on the other replicas, at most every
// quarter of flag_ttl, so that they do not drop it while its replica
// keeps it (found by review).
func TestSharedFlagsRenewed(t *testing.T) {
	prefix, _ := redisPrefix(t)
	opts := worldOpts{top: redisTop(prefix),
		model: "    policy: degrade\n    detect: {signals: {enabled: true}}\n"}
	a := newWorld(t, opts)
	b := newWorld(t, opts)
	b.gw.auth = a.gw.auth
	floodUntilFlagged(t, a, a.tokens["bob"])
	waitShared(t, b, 1)
	id, _ := flagged(a)

	// Twenty minutes on, a flags bob again: the renewal reaches b.
	a.clock.Advance(20 * time.Minute)
	b.clock.Advance(20 * time.Minute)
	floodUntilFlagged(t, a, a.tokens["bob"])
	waitShared(t, b, 2)
	// Seventy minutes after the first flag, fifty after the renewal, b still
	// holds it (flag_ttl is an hour).
	b.clock.Advance(50 * time.Minute)
	if _, ok := b.gw.models["digits"].flags.get(id, b.clock.Now()); !ok {
		t.Fatal("the renewed flag expired on replica b with the first one")
	}
}

// floodUntilFlagged sends random rows until a request flags the client
// (the answers stay 200 under degrade), or renews its flag.
func floodUntilFlagged(t *testing.T, w *world, secret string) {
	t.Helper()
	r := rand.New(rand.NewPCG(7, uint64(w.clock.Now().Unix())))
	for range 200 {
		x := make([]float32, 64)
		for j := range x {
			x[j] = float32(r.IntN(17))
		}
		w.clock.Advance(500 * time.Millisecond)
		if st, b := w.infer(secret, inferBody(x)); st != 200 {
			t.Fatalf("%d %s", st, b)
		}
		if _, at := flagged(w); at.Equal(w.clock.Now()) {
			return
		}
	}
	t.Fatal("never flagged in 200 random queries")
}

// flagged returns the principal of the one flag a world holds and when it
// was set, or zeroes.
func flagged(w *world) (string, time.Time) {
	f := w.gw.models["digits"].flags
	f.mu.Lock()
	defer f.mu.Unlock()
	if e := f.lru.Front(); e != nil {
		fe := e.Value.(*flagEntry)
		return fe.key, fe.at
	}
	return "", time.Time{}
}

// waitShared waits up to a second for a world to have applied n flags
// from other replicas.
func waitShared(t *testing.T, w *world, n float64) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for w.gw.metrics.value(mFlagsShared, "model", "digits") < n {
		if time.Now().After(deadline) {
			t.Fatalf("%v shared flags applied, want %v", w.gw.metrics.value(mFlagsShared, "model", "digits"), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
