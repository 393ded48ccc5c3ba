package extraction

import (
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

func digitsSignals(t testing.TB) *Signals {
	t.Helper()
	s, err := NewSignals(SignalsConfig{Dim: digitsDim, Min: 0, Max: 16})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// feed sends queries every pace and returns the decisions.
func feed(s *Signals, queries [][]float32, pace time.Duration) []SignalDecision {
	out := make([]SignalDecision, len(queries))
	for i, q := range queries {
		out[i] = s.Observe(q, epoch.Add(time.Duration(i)*pace))
	}
	return out
}

// firstSignal is the 1-based query at which flag first fired, 0 if never.
func firstSignal(decs []SignalDecision, flag SignalFlag) int {
	for i, d := range decs {
		if d.Flags&flag != 0 {
			return i + 1
		}
	}
	return 0
}

func logSignals(t *testing.T, name string, decs []SignalDecision) {
	t.Helper()
	var peak SignalDecision
	for _, d := range decs {
		peak.ShortRate = max(peak.ShortRate, d.ShortRate)
		peak.Coverage = max(peak.Coverage, d.Coverage)
		peak.Structure = max(peak.Structure, d.Structure)
	}
	last := decs[len(decs)-1]
	t.Logf("%s: %d queries; last: rate %.2f/s (long %.3f/s) unique %.2f coverage %.3f structure %.2f flags %04b; peaks: rate %.2f coverage %.3f structure %.2f",
		name, len(decs), last.ShortRate, last.LongRate, last.UniqueRatio, last.Coverage, last.Structure, last.Flags,
		peak.ShortRate, peak.Coverage, peak.Structure)
	for _, d := range decs {
		if d.Flagged {
			t.Logf("%s: first flag at query %d: %s", name, d.Queries, d.Reason())
			return
		}
	}
}

func TestSignalsBenignClientsNotFlagged(t *testing.T) {
	ds := loadDigits(t)
	worst := 0.0
	for seed := range uint64(50) {
		decs := feed(digitsSignals(t), benignQueries(ds, seed, 500), 2*time.Second)
		if seed < 3 {
			logSignals(t, "benign "+strconv.FormatUint(seed, 10), decs)
		}
		for _, d := range decs {
			worst = max(worst, d.Coverage)
			if d.Flagged {
				t.Fatalf("benign client %d flagged at query %d: %s", seed, d.Queries, d.Reason())
			}
		}
	}
	t.Logf("highest benign coverage over 50 clients × 500 queries: %.3f (limit %.3f)", worst, DefaultMaxCoverage)
}

func TestSignalsRandomAttackFlagged(t *testing.T) {
	for seed := range uint64(5) {
		decs := feed(digitsSignals(t), randomQueries(seed, 200), 2*time.Second)
		logSignals(t, "random "+strconv.FormatUint(seed, 10), decs)
		at := firstSignal(decs, FlagCoverage)
		if at == 0 || at > 200 {
			t.Fatalf("uniform random queries not flagged by coverage within 200 queries")
		}
		if firstSignal(decs, FlagRate) != 0 {
			t.Fatal("a client at the benign pace was flagged for rate")
		}
	}
}

// gridQueries walks two pixels of a seed image over a grid, one step at a
// time: the systematic probing of a decision boundary.
func gridQueries(ds *digits, n int) [][]float32 {
	seed := ds.x[0]
	out := make([][]float32, 0, n)
	for a := 0; len(out) < n; a++ {
		for b := 0; b <= 16 && len(out) < n; b++ {
			y := append([]float32(nil), seed...)
			y[27], y[36] = float32(a%17), float32(b)
			out = append(out, y)
		}
	}
	return out
}

// lineQueries walk the straight line between two natural samples in equal
// steps, then the next pair: a line search for the boundary.
func lineQueries(ds *digits, n int) [][]float32 {
	out := make([][]float32, 0, n)
	const steps = 50
	for p := 0; len(out) < n; p++ {
		a, b := ds.x[2*p], ds.x[2*p+1]
		for k := range steps {
			if len(out) == n {
				break
			}
			t := float32(k) / steps
			y := make([]float32, len(a))
			for i := range y {
				y[i] = a[i] + t*(b[i]-a[i])
			}
			out = append(out, y)
		}
	}
	return out
}

func TestSignalsScansFlaggedByStructure(t *testing.T) {
	ds := loadDigits(t)
	for name, qs := range map[string][][]float32{"grid": gridQueries(ds, 200), "line": lineQueries(ds, 200)} {
		decs := feed(digitsSignals(t), qs, 2*time.Second)
		logSignals(t, name, decs)
		if at := firstSignal(decs, FlagStructure); at == 0 || at > 200 {
			t.Fatalf("%s scan not flagged by the structure signal within 200 queries", name)
		}
	}
}

func TestSignalsOtherAttacksLogged(t *testing.T) {
	ds := loadDigits(t)
	for name, qs := range map[string][][]float32{
		"jacobian": jacobianQueries(ds, 1, 200), "perturbation": perturbationQueries(ds, 1, 200),
	} {
		logSignals(t, name, feed(digitsSignals(t), qs, 2*time.Second))
	}
}

func TestSignalsRateAndRepeats(t *testing.T) {
	ds := loadDigits(t)
	decs := feed(digitsSignals(t), benignQueries(ds, 7, 300), 10*time.Millisecond)
	logSignals(t, "fast benign", decs)
	if at := firstSignal(decs, FlagRate); at == 0 || at > 300 {
		t.Fatal("100 queries per second not flagged for rate")
	}
	same := make([][]float32, 100)
	for i := range same {
		same[i] = ds.x[i%5]
	}
	decs = feed(digitsSignals(t), same, 2*time.Second)
	logSignals(t, "replay of 5 inputs", decs)
	if decs[99].UniqueRatio > 0.1 || firstSignal(decs, FlagRepeats) == 0 {
		t.Fatalf("replaying 5 inputs: unique ratio %.2f, flags %b", decs[99].UniqueRatio, decs[99].Flags)
	}
	// After the burst the rate decays: an hour later it is one query's worth.
	s := digitsSignals(t)
	feed(s, benignQueries(ds, 8, 300), time.Millisecond)
	d := s.Observe(ds.x[0], epoch.Add(time.Hour))
	if d.ShortRate > 1 || d.LongRate > 1 {
		t.Fatalf("rates %v, %v after an hour's pause", d.ShortRate, d.LongRate)
	}
}

func TestSignalsRejectsAndSurvivesHostileInput(t *testing.T) {
	s := digitsSignals(t)
	if d := s.Observe(make([]float32, 3), epoch); !errors.Is(d.Err, ErrSignalsQuery) {
		t.Fatalf("short query: %v", d.Err)
	}
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	for i, v := range []float32{nan, inf, -inf, -1e38, 1e38, 0} {
		x := make([]float32, digitsDim)
		for j := range x {
			x[j] = v
		}
		d := s.Observe(x, epoch.Add(time.Duration(-i)*time.Hour)) // clock going back
		if d.Err != nil || math.IsNaN(d.Coverage) || math.IsNaN(d.Structure) || math.IsNaN(d.ShortRate) {
			t.Fatalf("value %v: %+v", v, d)
		}
	}
	for _, bad := range []SignalsConfig{{}, {Dim: 64}, {Dim: 64, Min: 1, Max: 1}, {Dim: 1 << 20, Max: 1},
		{Dim: 4, Max: 1, Bins: 1}, {Dim: 4, Max: 1, CountCap: 1 << 20}, {Dim: 4, Max: 1, MaxCoverage: 2}, {Dim: 4, Max: 1, DigestRing: 1}} {
		if _, err := NewSignals(bad); err == nil {
			t.Errorf("config %+v accepted", bad)
		}
	}
}

// TestSignalsMemoryBounded checks that the state does not grow with the
// queries seen: the slices keep their sizes after many queries.
func TestSignalsMemoryBounded(t *testing.T) {
	s := digitsSignals(t)
	for i, q := range randomQueries(3, 5000) {
		s.Observe(q, epoch.Add(time.Duration(i)*time.Millisecond))
	}
	c := s.Config()
	if len(s.digests) != c.DigestRing || len(s.counts) != c.Dim*c.Bins || len(s.prev) != c.Dim {
		t.Fatal("state grew")
	}
	for i, n := range s.tot {
		if int(n) > c.CountCap {
			t.Fatalf("feature %d total %d over CountCap %d", i, n, c.CountCap)
		}
	}
	t.Logf("Signals memory bound for the digits (Dim 64): %d bytes", c.MemoryBound())
}

// perturbationQueries are small Gaussian perturbations (sigma 0.5 of the
// 0..16 range) of a few natural seeds, in turn: the queries of a
// gradient-estimation attack.
func perturbationQueries(ds *digits, seed uint64, n int) [][]float32 {
	r := rand.New(rand.NewPCG(seed, 9))
	seeds := make([][]float32, 5)
	for i := range seeds {
		seeds[i] = ds.x[r.IntN(len(ds.x))]
	}
	out := make([][]float32, n)
	for i := range out {
		s := seeds[i%len(seeds)]
		y := make([]float32, len(s))
		for j := range y {
			y[j] = min(max(s[j]+float32(r.NormFloat64())*0.5, 0), 16)
		}
		out[i] = y
	}
	return out
}

// BenchmarkSignalsObserve is the per-query cost with 10,000 clients' Signals
// in memory, visited in turn (so caches are cold as in a busy gateway).
func BenchmarkSignalsObserve(b *testing.B) {
	ds := loadDigits(b)
	const clients = 10000
	sigs := make([]*Signals, clients)
	for i := range sigs {
		sigs[i] = digitsSignals(b)
		for k := range 5 {
			sigs[i].Observe(ds.x[(i+k)%len(ds.x)], epoch.Add(time.Duration(k)*time.Second))
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		sigs[i%clients].Observe(ds.x[(i*7)%len(ds.x)], epoch.Add(time.Duration(i)*time.Millisecond))
	}
}

// FuzzSignalsAndBlacklight feeds arbitrary float32 bit patterns to both
// detectors: no panic, no NaN score, and rejection only for bad lengths.
func FuzzSignalsAndBlacklight(f *testing.F) {
	f.Add([]byte{0, 0, 0x80, 0x7f, 0, 0, 0xc0, 0x7f}, int64(0))
	f.Add(make([]byte, 256), int64(-1))
	f.Fuzz(func(t *testing.T, data []byte, step int64) {
		x := make([]float32, 0, len(data)/4)
		for i := 0; i+4 <= len(data); i += 4 {
			x = append(x, math.Float32frombits(uint32(data[i])|uint32(data[i+1])<<8|uint32(data[i+2])<<16|uint32(data[i+3])<<24))
		}
		s, err := NewSignals(SignalsConfig{Dim: 16, Max: 16})
		if err != nil {
			t.Fatal(err)
		}
		b, err := NewBlacklight(BlacklightConfig{Step: 50, Scale: 16, Window: 4, TopS: 8, MatchThreshold: 4, Salt: []byte("f")})
		if err != nil {
			t.Fatal(err)
		}
		now := epoch
		for range 3 {
			d := s.Observe(x, now)
			if (len(x) == 16) != (d.Err == nil) {
				t.Fatalf("%d features: %v", len(x), d.Err)
			}
			if math.IsNaN(d.Coverage) || math.IsNaN(d.Structure) || math.IsNaN(d.ShortRate) || math.IsNaN(d.UniqueRatio) {
				t.Fatalf("NaN score: %+v", d)
			}
			bd := b.Observe("c", x)
			if (len(x) > 0) != (bd.Err == nil) {
				t.Fatalf("%d features: %v", len(x), bd.Err)
			}
			now = now.Add(time.Duration(step))
		}
	})
}
