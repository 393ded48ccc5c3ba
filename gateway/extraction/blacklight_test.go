package extraction

import (
	"errors"
	"math"
	"strconv"
	"sync"
	"testing"
	"time"
)

// digitsBlacklight is the setting for the 64-feature UCI digits: the paper's
// step of 50 and window of 20 on features scaled from 0..16 to 0..256 (its
// pixel units). A 64-feature query has 45 windows, so the fingerprint keeps
// all of them; natural digits share many windows (blank borders, common
// strokes), hence a threshold of 12 shared hashes and an alarm at 3
// near-duplicates among the last 64 queries.
func digitsBlacklight() BlacklightConfig {
	return BlacklightConfig{Step: 50, Scale: 16, Window: 20, TopS: 50, MatchThreshold: 12, AlarmCount: 3,
		Salt: []byte("test salt")}
}

func newBL(t testing.TB, cfg BlacklightConfig) *Blacklight {
	t.Helper()
	b, err := NewBlacklight(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func observeAll(b *Blacklight, client string, qs [][]float32) []BlacklightDecision {
	out := make([]BlacklightDecision, len(qs))
	for i, q := range qs {
		out[i] = b.Observe(client, q)
	}
	return out
}

func firstBL(decs []BlacklightDecision) int {
	for i, d := range decs {
		if d.Flagged {
			return i + 1
		}
	}
	return 0
}

func logBL(t *testing.T, name string, decs []BlacklightDecision) {
	t.Helper()
	best, dups := 0, 0
	for _, d := range decs {
		best = max(best, d.Matches)
		if d.NearDuplicate {
			dups++
		}
	}
	t.Logf("%s: %d queries, %d near-duplicates, most shared hashes %d, first flag at %d", name, len(decs), dups, best, firstBL(decs))
	if at := firstBL(decs); at > 0 {
		t.Logf("%s: %s", name, decs[at-1].Reason())
	}
}

func TestBlacklightBenignClientsNotFlagged(t *testing.T) {
	ds := loadDigits(t)
	b := newBL(t, digitsBlacklight())
	dups := 0
	for seed := range uint64(50) {
		decs := observeAll(b, "benign"+strconv.FormatUint(seed, 10), benignQueries(ds, seed, 500))
		if seed < 3 {
			logBL(t, "benign "+strconv.FormatUint(seed, 10), decs)
		}
		for _, d := range decs {
			if d.Flagged {
				t.Fatalf("benign client %d flagged at query %d: %s", seed, d.Query, d.Reason())
			}
			if d.NearDuplicate {
				dups++
			}
		}
	}
	t.Logf("benign near-duplicates over 50 clients × 500 queries: %d (none flagged)", dups)
	if b.Len() != 50 {
		t.Fatalf("%d clients tracked, want 50", b.Len())
	}
}

func TestBlacklightPerturbationAttackFlagged(t *testing.T) {
	ds := loadDigits(t)
	b := newBL(t, digitsBlacklight())
	for seed := range uint64(5) {
		decs := observeAll(b, "attacker"+strconv.FormatUint(seed, 10), perturbationQueries(ds, seed, 200))
		logBL(t, "perturbation "+strconv.FormatUint(seed, 10), decs)
		at := firstBL(decs)
		if at == 0 || at > 200 {
			t.Fatalf("perturbation attacker %d not flagged within 200 queries", seed)
		}
		if d := decs[at-1]; d.Matched == 0 || d.Matched >= d.Query || d.Matches < d.Threshold {
			t.Fatalf("flag without evidence: %+v", d)
		}
	}
}

// TestBlacklightJacobianLogged records what the fingerprints see of
// Papernot et al.'s augmentation with lambda 1.6 (a tenth of the range, on
// every feature): each query moves every feature by 1.6, a quarter of a
// quantisation bin of 6.25, so few 20-feature windows survive. PRADA catches
// that attack (prada_test.go); this test only logs.
func TestBlacklightJacobianLogged(t *testing.T) {
	ds := loadDigits(t)
	b := newBL(t, digitsBlacklight())
	for seed := range uint64(3) {
		logBL(t, "jacobian "+strconv.FormatUint(seed, 10), observeAll(b, "j"+strconv.FormatUint(seed, 10), jacobianQueries(ds, seed, 200)))
	}
}

func TestBlacklightExactRepeatMatchesAll(t *testing.T) {
	ds := loadDigits(t)
	b := newBL(t, digitsBlacklight())
	b.Observe("c", ds.x[5])
	b.Observe("c", ds.x[6])
	d := b.Observe("c", ds.x[5])
	if !d.NearDuplicate || d.Matched != 1 || d.Query != 3 || d.Matches != 45 {
		t.Fatalf("repeat of query 1: %+v", d)
	}
	const why = "blacklight: query 3 shares 45 of its 45 fingerprint hashes with query 1 (threshold 12); 1 of the last 64 queries are near-duplicates (alarm at 3)"
	if got := d.Reason(); got != why {
		t.Fatalf("reason %q, want %q", got, why)
	}
	// Clients do not see each other's queries, and a query that is no
	// near-duplicate has no reason.
	if d := b.Observe("other", ds.x[5]); d.Matches != 0 || d.Matched != 0 || d.Reason() != "" {
		t.Fatalf("another client matched: %+v, %q", d, d.Reason())
	}
	// The salt decides the fingerprint: another salt, other hashes.
	cfg := digitsBlacklight()
	cfg.Salt = []byte("another")
	fa := newBL(t, digitsBlacklight()).fingerprint(ds.x[5], nil)
	fb := newBL(t, cfg).fingerprint(ds.x[5], nil)
	if shared(fa, fb) > 2 {
		t.Fatal("fingerprints under two salts share hashes")
	}
}

func shared(a, b []uint64) int {
	in := map[uint64]bool{}
	for _, v := range a {
		in[v] = true
	}
	n := 0
	for _, v := range b {
		if in[v] {
			n++
		}
	}
	return n
}

func TestBlacklightBoundedMemory(t *testing.T) {
	now := epoch
	cfg := digitsBlacklight()
	cfg.MaxClients, cfg.MaxHashes, cfg.IdleTTL = 100, 500, time.Minute
	cfg.Now = func() time.Time { return now }
	b := newBL(t, cfg)
	qs := randomQueries(4, 30)
	for i := range 1000 {
		b.Observe("client"+strconv.Itoa(i), qs[i%len(qs)])
	}
	if n := b.Len(); n > cfg.MaxClients+trackerShards-1 {
		t.Fatalf("%d clients tracked, bound %d", n, cfg.MaxClients+trackerShards-1)
	}
	for range 100 {
		b.Observe("one", qs[0])
	}
	c := b.clients.get("one")
	if len(c.hs) > (cfg.MaxHashes/cfg.TopS)*cfg.TopS || cap(c.hs) != (cfg.MaxHashes/cfg.TopS)*cfg.TopS || len(c.ids) != cfg.MaxHashes/cfg.TopS {
		t.Fatalf("%d hashes (cap %d), %d queries", len(c.hs), cap(c.hs), len(c.ids))
	}
	now = now.Add(2 * time.Minute) // everyone idle: the next query evicts its shard's idle clients
	d := b.Observe("one", qs[0])
	if d.Query != 1 {
		t.Fatalf("idle client not forgotten: query %d", d.Query)
	}
	t.Logf("Blacklight memory per client (TopS %d, MaxHashes %d): %d bytes + key", cfg.TopS, cfg.MaxHashes, b.MemoryPerClient())
}

func TestBlacklightHostileInput(t *testing.T) {
	b := newBL(t, digitsBlacklight())
	if d := b.Observe("c", nil); !errors.Is(d.Err, ErrBlacklightQuery) {
		t.Fatalf("empty query: %v", d.Err)
	}
	if d := b.Observe("c", make([]float32, DefaultBlacklightMaxDim+1)); !errors.Is(d.Err, ErrBlacklightQuery) {
		t.Fatalf("huge query: %v", d.Err)
	}
	for _, v := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 3e38, -3e38} {
		x := make([]float32, 64)
		for i := range x {
			x[i] = v
		}
		b.Observe("c", x)
		b.Observe("c", x[:3]) // fewer features than the window
	}
	for _, bad := range []BlacklightConfig{{Step: -1}, {TopS: 10, MatchThreshold: 11}, {Scale: float32(math.NaN())},
		{MaxHashes: 10}, {AlarmCount: 65}, {TopS: 1 << 17}} {
		if _, err := NewBlacklight(bad); err == nil {
			t.Errorf("config %+v accepted", bad)
		}
	}
}

func TestBlacklightConcurrent(t *testing.T) {
	ds := loadDigits(t)
	b := newBL(t, digitsBlacklight())
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i, q := range benignQueries(ds, uint64(g), 200) {
				b.Observe("c"+strconv.Itoa(i%4), q)
			}
		})
	}
	wg.Wait()
	if b.Len() != 4 {
		t.Fatalf("%d clients", b.Len())
	}
}

// BenchmarkBlacklightObserve is the per-query cost with 10,000 tracked
// clients, each with a full ring of remembered fingerprints (default
// MaxHashes: 40 queries of up to 50 hashes).
func BenchmarkBlacklightObserve(b *testing.B) {
	ds := loadDigits(b)
	cfg := digitsBlacklight()
	cfg.MaxHashes = DefaultBlacklightMaxHashes
	bl := newBL(b, cfg)
	const clients = 10000
	keys := make([]string, clients)
	for i := range keys {
		keys[i] = "client-" + strconv.Itoa(i)
	}
	perQ := cfg.MaxHashes / cfg.TopS
	for i := range clients * perQ {
		bl.Observe(keys[i%clients], ds.x[i%len(ds.x)])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		bl.Observe(keys[i%clients], ds.x[(i*7)%len(ds.x)])
	}
}

// BenchmarkBlacklightObserveOneClient is the per-query cost for one busy
// client, its table in cache: the gateway's benchmark sends every request
// with one key.
func BenchmarkBlacklightObserveOneClient(b *testing.B) {
	ds := loadDigits(b)
	cfg := digitsBlacklight()
	cfg.MaxHashes = DefaultBlacklightMaxHashes
	bl := newBL(b, cfg)
	for i := range 100 {
		bl.Observe("one", ds.x[i%len(ds.x)])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		bl.Observe("one", ds.x[(i*7)%len(ds.x)])
	}
}
