package extraction

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"
)

func TestConfigRejects(t *testing.T) {
	for name, c := range map[string]Config{
		"no dim":           {Classes: 10},
		"no classes":       {Dim: 4},
		"threshold > 1":    {Dim: 4, Classes: 2, Threshold: 1.5},
		"window too big":   {Dim: 4, Classes: 2, MaxDistances: 5001},
		"min above window": {Dim: 4, Classes: 2, MinQueries: 50, MaxDistances: 40},
		"min below 3":      {Dim: 4, Classes: 2, MinQueries: 2},
		"negative set":     {Dim: 4, Classes: 2, MaxPerClass: -1},
	} {
		if _, err := NewDetector(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestObserveRejectsBadQueries(t *testing.T) {
	d, err := NewDetector(Config{Dim: 3, Classes: 2})
	if err != nil {
		t.Fatal(err)
	}
	for name, q := range map[string]struct {
		x     []float32
		class int
	}{
		"short":     {[]float32{1, 2}, 0},
		"long":      {[]float32{1, 2, 3, 4}, 0},
		"class -1":  {[]float32{1, 2, 3}, -1},
		"class 2":   {[]float32{1, 2, 3}, 2},
		"nan value": {[]float32{1, float32(nan()), 3}, 0},
	} {
		dec, err := d.Observe(q.x, q.class)
		if !errors.Is(err, ErrQuery) || !errors.Is(dec.Err, ErrQuery) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if dec, _ := d.Observe([]float32{1, 2, 3}, 1); dec.Queries != 1 {
		t.Errorf("rejected queries were counted: %d", dec.Queries)
	}
}

func nan() float64 { return zero / zero }

var zero float64

// TestMemoryBound drives a detector past every limit and checks that what it
// holds never exceeds Config.MemoryBound, and reaches it when every class is
// full.
func TestMemoryBound(t *testing.T) {
	cfg := Config{Dim: 16, Classes: 4, MaxPerClass: 30, MaxDistances: 200, MinQueries: 50}
	d, err := NewDetector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	bound := d.cfg.MemoryBound()
	want := 4*(30*(16*4+8)) + 2*200*8
	if bound < want || bound > want+4*200+400 {
		t.Fatalf("MemoryBound = %d, want %d plus struct headers", bound, want)
	}
	r := rand.New(rand.NewPCG(1, 1))
	x := make([]float32, 16)
	for i := range 5000 {
		for j := range x {
			x[j] = float32(r.NormFloat64()) * float32(1+i%7)
		}
		if _, err := d.Observe(x, i%4); err != nil {
			t.Fatal(err)
		}
		if got := d.memoryBytes(); got > bound {
			t.Fatalf("after %d queries: %d bytes held, bound %d", i+1, got, bound)
		}
	}
	for c, s := range d.sets {
		if s.count != 30 || len(s.points) != 30*16 {
			t.Errorf("class %d holds %d members (%d floats), want 30", c, s.count, len(s.points))
		}
	}
	t.Logf("per-client bound %d bytes, held %d; digits default (64 dims, 10 classes): %d bytes",
		bound, d.memoryBytes(), mustDefaults(t, digitsConfig()).MemoryBound())
}

func mustDefaults(t testing.TB, c Config) Config {
	t.Helper()
	c, err := c.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestGrowingSetEviction: a full growing set replaces its oldest member.
func TestGrowingSetEviction(t *testing.T) {
	var s classSet
	for i := range 5 {
		s.add([]float32{float32(i)}, 3)
	}
	if got := fmt.Sprint(s.points, s.count); got != "[3 4 2] 3" {
		t.Errorf("after 0..4 into 3 slots: %s, want [3 4 2] 3", got)
	}
	if d := s.nearest([]float32{2.5}, 1); d != 0.5 {
		t.Errorf("nearest = %v, want 0.5", d)
	}
}

func TestWindowKeepsLastValuesSorted(t *testing.T) {
	w := newWindow(4)
	for _, v := range []float64{5, 1, 4, 2, 3, 0} {
		w.push(v)
	}
	if got := fmt.Sprint(w.sorted); got != "[0 2 3 4]" {
		t.Errorf("sorted window = %s, want [0 2 3 4]", got)
	}
}

func TestPartialDistanceExact(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for dim := 1; dim < 40; dim++ {
		x, p := make([]float32, dim), make([]float32, dim)
		var want float32
		for i := range x {
			x[i], p[i] = r.Float32(), r.Float32()
			want += (x[i] - p[i]) * (x[i] - p[i])
		}
		if got := partialSqDist(x, p, float32(1e30)); got-want > 1e-4 || want-got > 1e-4 {
			t.Errorf("dim %d: %v, want %v", dim, got, want)
		}
		if got := partialSqDist(x, p, want/4); got < want/4 {
			t.Errorf("dim %d: early exit returned %v below the bound %v", dim, got, want/4)
		}
	}
}

func newTestTracker(t testing.TB, maxClients int, now func() time.Time) *Tracker {
	t.Helper()
	tr, err := NewTracker(TrackerConfig{Detector: Config{Dim: 2, Classes: 2}, MaxClients: maxClients, IdleTTL: time.Minute, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestTrackerEvictsLeastRecentlyUsed(t *testing.T) {
	tr := newTestTracker(t, 100, nil)
	x := []float32{1, 2}
	for i := range 1000 {
		tr.Observe("client-"+strconv.Itoa(i), x, 0)
		if n := tr.Len(); n > 100+trackerShards-1 {
			t.Fatalf("%d clients tracked, limit 100", n)
		}
	}
	if n := tr.Len(); n < 100 {
		t.Errorf("%d clients tracked, want the limit of 100 in use", n)
	}
	// A client kept busy survives while others come and go in its shard.
	for i := range 200 {
		if dec := tr.Observe("busy", x, 0); dec.Queries != i+1 {
			t.Fatalf("busy client restarted at query %d", dec.Queries)
		}
	}
}

func TestTrackerForgetsIdleClients(t *testing.T) {
	now := time.Unix(1e9, 0)
	tr := newTestTracker(t, 1000, func() time.Time { return now })
	x := []float32{1, 2}
	tr.Observe("a", x, 0)
	if dec := tr.Observe("a", x, 1); dec.Queries != 2 || dec.Client != "a" {
		t.Fatalf("decision %+v", dec)
	}
	now = now.Add(2 * time.Minute)
	if dec := tr.Observe("a", x, 0); dec.Queries != 1 {
		t.Errorf("idle client kept its history: %d queries", dec.Queries)
	}
	tr.Observe("b", x, 0)
	now = now.Add(2 * time.Minute)
	for i := range 200 { // touching every shard sweeps idle tails
		tr.Observe("c"+strconv.Itoa(i), x, 0)
	}
	if n := tr.Len(); n != 200 {
		t.Errorf("%d clients tracked, want only the 200 recent ones", n)
	}
}

func TestTrackerReportsRejectedQueries(t *testing.T) {
	tr := newTestTracker(t, 10, nil)
	dec := tr.Observe("a", []float32{1}, 0)
	if !errors.Is(dec.Err, ErrQuery) || dec.Client != "a" || dec.Reason == "" {
		t.Errorf("decision %+v", dec)
	}
}

// TestTrackerConcurrent is for the race detector: many goroutines, shared
// and separate clients, evictions under way.
func TestTrackerConcurrent(t *testing.T) {
	tr := newTestTracker(t, 100, nil)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 3))
			for i := range 2000 {
				x := []float32{r.Float32(), r.Float32()}
				tr.Observe("c"+strconv.Itoa(r.IntN(300)), x, i%2)
			}
		})
	}
	wg.Wait()
	if n := tr.Len(); n > 100+trackerShards-1 {
		t.Errorf("%d clients tracked", n)
	}
}

func benchConfig() Config {
	return Config{Dim: 64, Classes: 10, MaxPerClass: 200}
}

// benchQueries are natural-looking queries: Gaussian blobs, one per class.
func benchQueries(n int) ([][]float32, []int) {
	r := rand.New(rand.NewPCG(7, 7))
	centres := make([][]float32, 10)
	for c := range centres {
		centres[c] = make([]float32, 64)
		for j := range centres[c] {
			centres[c][j] = float32(r.NormFloat64() * 4)
		}
	}
	xs, cs := make([][]float32, n), make([]int, n)
	for i := range xs {
		c := r.IntN(10)
		xs[i], cs[i] = make([]float32, 64), c
		for j := range xs[i] {
			xs[i][j] = centres[c][j] + float32(r.NormFloat64())
		}
	}
	return xs, cs
}

// BenchmarkObserve is one client's steady state: every growing set can hold
// 200 members of 64 features and the window of distances is full.
func BenchmarkObserve(b *testing.B) {
	d, err := NewDetector(benchConfig())
	if err != nil {
		b.Fatal(err)
	}
	xs, cs := benchQueries(8192)
	for i := range 4000 { // warm up: fill the window and the growing sets
		_, _ = d.Observe(xs[i%len(xs)], cs[i%len(xs)])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		_, _ = d.Observe(xs[i%len(xs)], cs[i%len(xs)])
	}
}

// warmTracker is built once per process: 10,000 clients, each past the
// first W test (150 queries), so every benchmarked query runs the full path.
var warmTracker = sync.OnceValues(func() (*Tracker, error) {
	tr, err := NewTracker(TrackerConfig{Detector: benchConfig(), MaxClients: benchClients})
	if err != nil {
		return nil, err
	}
	xs, cs := benchQueries(8192)
	for i := range 150 * benchClients {
		tr.Observe(benchName(i%benchClients), xs[i%len(xs)], cs[i%len(xs)])
	}
	return tr, nil
})

const benchClients = 10000

func benchName(i int) string { return "client-" + strconv.Itoa(i) }

// BenchmarkTrackerObserve10kClients: 10,000 tracked clients, queries spread
// over them from parallel goroutines.
func BenchmarkTrackerObserve10kClients(b *testing.B) {
	tr, err := warmTracker()
	if err != nil {
		b.Fatal(err)
	}
	xs, cs := benchQueries(8192)
	names := make([]string, benchClients)
	for i := range names {
		names[i] = benchName(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(rand.Uint64(), 1))
		for pb.Next() {
			i := r.IntN(len(xs))
			tr.Observe(names[r.IntN(benchClients)], xs[i], cs[i])
		}
	})
	if n := tr.Len(); n != benchClients {
		b.Fatalf("%d clients tracked, want %d", n, benchClients)
	}
}
