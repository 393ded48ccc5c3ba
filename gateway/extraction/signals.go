package extraction

// Volume and diversity signals of one client, the query-pattern indicators
// that model-extraction guidance names (query volume, input diversity, the
// ratio of unique to repeated inputs, systematically structured queries):
//   - rate: queries per second over a short and a long sliding window, each
//     a sliding-window counter (the previous fixed window weighted by how much
//     of it still overlaps the sliding one), so memory is O(1);
//   - uniqueness: the share of distinct inputs among the last DigestRing
//     queries, by exact digest of the input's bytes;
//   - coverage: the mean normalised entropy of each feature's values over
//     Bins equal bins of [Min, Max]. Natural inputs leave features
//     concentrated (a digit's border pixels are always 0, its strokes near
//     0 or 16); uniform-noise queries, which PRADA does not catch, spread
//     every feature evenly and score near 1;
//   - structure: the share of recent transitions that look like a scan:
//     the query differs from the previous one in at most FewCoords features
//     (a grid walk, one coordinate at a time), or by the same step vector as
//     the transition before it (a line scan);
//   - sign steps: the share of recent queries that equal one of the
//     client's recent queries moved by ±λ in every feature that moved, the
//     step of gradient-sign probing (Jacobian augmentation, FGSM); see
//     signsteps.go.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// Signals defaults.
const (
	DefaultShortWindow   = 10 * time.Second
	DefaultLongWindow    = 10 * time.Minute
	DefaultMaxShortRate  = 20  // queries per second
	DefaultMaxLongRate   = 5   // queries per second
	DefaultDigestRing    = 128 // inputs remembered for uniqueness
	DefaultMaxRepeat     = 0.5 // repeated share that flags
	DefaultBins          = 4
	DefaultCountCap      = 1024 // per-feature counts halve when reached
	DefaultMaxCoverage   = 0.8
	DefaultMaxStructure  = 0.5
	DefaultMaxSignSteps  = 0.5
	DefaultSignalsMinQ   = 30 // queries before diversity flags may fire
	DefaultSignalsMaxDim = 4096
	structureRing        = 64 // transitions the structure score covers
	maxCountCap          = 1 << 15
)

// SignalsConfig sets one client's Signals. Zero fields take the defaults,
// except Dim, Min and Max, which describe the model's input and must be set.
type SignalsConfig struct {
	Dim      int     // features per query (at most MaxDim)
	Min, Max float32 // the features' range, for the coverage bins
	MaxDim   int     // bound on Dim: per-client memory grows with Dim

	ShortWindow, LongWindow   time.Duration
	MaxShortRate, MaxLongRate float64 // queries per second that flag

	DigestRing int     // last inputs kept for the unique/repeated ratio
	MaxRepeat  float64 // flag when the repeated share of the ring reaches it

	Bins        int     // coverage bins per feature (2..255)
	CountCap    int     // per-feature counts halve when a feature's total reaches it, so old queries fade
	MaxCoverage float64 // flag when coverage reaches it (0..1]

	FewCoords    int     // a transition changing at most this many features is a scan step; default max(1, Dim/16)
	StepEpsilon  float32 // changes (and differences between steps) at most this large count as none; default 1e-4·(Max-Min)
	MaxStructure float64 // flag when the structured share of the last 64 transitions reaches it

	StepRing      int     // recent queries kept for the sign-step test; default min(256, DefaultStepRingBytes/Dim), at least 8
	MinStepCoords int     // fewest features a sign step moves; default max(4, Dim/16)
	MaxSignSteps  float64 // flag when the sign-step share of the last 64 queries reaches it

	MinQueries int // queries before the uniqueness, coverage, structure and sign-step flags may fire
}

// Signal flags.
const (
	FlagRate SignalFlag = 1 << iota
	FlagRepeats
	FlagCoverage
	FlagStructure
	FlagSignSteps
)

// SignalFlag is a set of signals that fired.
type SignalFlag uint8

// SignalDecision is the state of one client's signals after a query.
type SignalDecision struct {
	Queries     uint64
	ShortRate   float64 // queries per second over ShortWindow
	LongRate    float64 // queries per second over LongWindow
	UniqueRatio float64 // distinct share of the last DigestRing inputs (1 = all distinct)
	Coverage    float64 // mean normalised feature entropy (0 = constant, 1 = uniform)
	Structure   float64 // scan-like share of the recent transitions
	SignSteps   float64 // sign-step share of the recent queries
	Flags       SignalFlag
	Flagged     bool
	Err         error // set when the query was rejected (and not counted)

	// What Reason needs besides the figures above.
	cfg             *SignalsConfig
	structN, stepsN int
}

// ErrSignalsQuery reports a query Signals cannot take.
var ErrSignalsQuery = errors.New("signals: bad query")

// Signals holds one client's volume and diversity state. Its memory is fixed
// at creation (see MemoryBound). It is safe for concurrent use.
type Signals struct {
	cfg SignalsConfig
	mu  sync.Mutex
	n   uint64

	short, long rateCounter

	digests []uint64
	repeat  []bool
	repeats int

	counts []uint16  // Dim × Bins
	clogc  []float64 // per feature: Σ c·ln c over its bins
	tot    []uint16  // per feature: its histogram's total
	maxH   float64   // ln(Bins)

	prev       []float32
	prevStep   []float32 // the last transition that changed something
	hasStep    bool
	structBits uint64 // one bit per recent transition, 1 = scan-like
	structN    int

	steps signSteps
}

type rateCounter struct {
	window      int64 // nanoseconds
	start       int64 // start of the current fixed window
	cur, before uint32
}

func (c SignalsConfig) withDefaults() (SignalsConfig, error) {
	if c.MaxDim == 0 {
		c.MaxDim = DefaultSignalsMaxDim
	}
	if c.Dim < 1 || c.Dim > c.MaxDim || !(c.Max > c.Min) || math.IsInf(float64(c.Max-c.Min), 0) {
		return c, fmt.Errorf("signals: need Dim (%d) in 1..%d and a finite range Min %v < Max %v", c.Dim, c.MaxDim, c.Min, c.Max)
	}
	durs := []*time.Duration{&c.ShortWindow, &c.LongWindow}
	for i, d := range []time.Duration{DefaultShortWindow, DefaultLongWindow} {
		if *durs[i] == 0 {
			*durs[i] = d
		}
	}
	floats := []*float64{&c.MaxShortRate, &c.MaxLongRate, &c.MaxRepeat, &c.MaxCoverage, &c.MaxStructure, &c.MaxSignSteps}
	for i, d := range []float64{DefaultMaxShortRate, DefaultMaxLongRate, DefaultMaxRepeat, DefaultMaxCoverage, DefaultMaxStructure, DefaultMaxSignSteps} {
		if *floats[i] == 0 {
			*floats[i] = d
		}
	}
	ints := []*int{&c.DigestRing, &c.Bins, &c.CountCap, &c.FewCoords, &c.MinQueries, &c.StepRing, &c.MinStepCoords}
	for i, d := range []int{DefaultDigestRing, DefaultBins, DefaultCountCap, max(1, c.Dim/16), DefaultSignalsMinQ,
		max(8, min(256, DefaultStepRingBytes/c.Dim)), max(4, c.Dim/16)} {
		if *ints[i] == 0 {
			*ints[i] = d
		}
	}
	if c.StepEpsilon == 0 {
		c.StepEpsilon = 1e-4 * (c.Max - c.Min)
	}
	return c, c.check()
}

func (c SignalsConfig) check() error {
	switch {
	case c.ShortWindow <= 0 || c.LongWindow <= 0:
		return fmt.Errorf("signals: windows %v and %v must be positive", c.ShortWindow, c.LongWindow)
	case !(c.MaxShortRate > 0) || !(c.MaxLongRate > 0):
		return fmt.Errorf("signals: MaxShortRate %v and MaxLongRate %v must be positive", c.MaxShortRate, c.MaxLongRate)
	case !(c.MaxRepeat > 0 && c.MaxRepeat <= 1) || !(c.MaxCoverage > 0 && c.MaxCoverage <= 1) || !(c.MaxStructure > 0 && c.MaxStructure <= 1) ||
		!(c.MaxSignSteps > 0 && c.MaxSignSteps <= 1):
		return fmt.Errorf("signals: MaxRepeat %v, MaxCoverage %v, MaxStructure %v, MaxSignSteps %v must be in (0, 1]",
			c.MaxRepeat, c.MaxCoverage, c.MaxStructure, c.MaxSignSteps)
	case c.StepRing < 1 || c.StepRing > maxStepRing || c.MinStepCoords < 1:
		return fmt.Errorf("signals: StepRing %d outside 1..%d or MinStepCoords %d not positive", c.StepRing, maxStepRing, c.MinStepCoords)
	case c.DigestRing < 2 || c.DigestRing > 1<<16:
		return fmt.Errorf("signals: DigestRing %d outside 2..65536", c.DigestRing)
	case c.Bins < 2 || c.Bins > 255 || c.CountCap < 2 || c.CountCap > maxCountCap:
		return fmt.Errorf("signals: Bins %d outside 2..255 or CountCap %d outside 2..%d", c.Bins, c.CountCap, maxCountCap)
	case c.FewCoords < 1 || c.MinQueries < 1 || !(c.StepEpsilon >= 0):
		return fmt.Errorf("signals: FewCoords %d and MinQueries %d must be positive, StepEpsilon %v not negative", c.FewCoords, c.MinQueries, c.StepEpsilon)
	}
	return nil
}

// MemoryBound is the most memory, in bytes, one Signals holds under c (after
// defaults): DigestRing digests and flags, Dim×Bins counts, Dim entropy sums
// and totals, the previous query and step, the sign-step ring of StepRing
// quantised queries and its scratch query, that query prepared 8 features
// a word (two words per 8 features), and the struct itself.
func (c SignalsConfig) MemoryBound() int {
	return c.DigestRing*9 + c.Dim*(c.Bins*2+8+2+4+4) + (c.StepRing+1)*c.Dim + 16*((c.Dim+7)/8) + int(unsafe.Sizeof(Signals{}))
}

// NewSignals returns a client's signals with nothing observed.
func NewSignals(cfg SignalsConfig) (*Signals, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Signals{
		cfg:      cfg,
		short:    rateCounter{window: int64(cfg.ShortWindow)},
		long:     rateCounter{window: int64(cfg.LongWindow)},
		digests:  make([]uint64, cfg.DigestRing),
		repeat:   make([]bool, cfg.DigestRing),
		counts:   make([]uint16, cfg.Dim*cfg.Bins),
		clogc:    make([]float64, cfg.Dim),
		tot:      make([]uint16, cfg.Dim),
		maxH:     math.Log(float64(cfg.Bins)),
		prev:     make([]float32, cfg.Dim),
		prevStep: make([]float32, cfg.Dim),
		steps:    newSignSteps(cfg),
	}, nil
}

// Config is the configuration in force, defaults filled in.
func (s *Signals) Config() SignalsConfig { return s.cfg }

// Observe counts the query x sent at now and returns every signal's score.
func (s *Signals) Observe(x []float32, now time.Time) SignalDecision {
	if len(x) != s.cfg.Dim {
		return SignalDecision{Err: fmt.Errorf("%w: %d features, want %d", ErrSignalsQuery, len(x), s.cfg.Dim)}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	t := now.UnixNano()
	dec := SignalDecision{Queries: s.n, ShortRate: s.short.add(t), LongRate: s.long.add(t)}
	dec.UniqueRatio = s.observeDigest(x)
	dec.Coverage = s.observeCoverage(x)
	dec.Structure = s.observeStructure(x)
	dec.SignSteps = s.steps.observe(x, s.cfg.MinStepCoords)
	s.flag(&dec)
	return dec
}

// add counts one event at t and returns the sliding-window rate per second.
// A clock that steps back counts the event in the current window.
func (r *rateCounter) add(t int64) float64 {
	if r.start == 0 {
		r.start = t
	}
	if d := t - r.start; d >= r.window {
		if d >= 2*r.window {
			r.before = 0
		} else {
			r.before = r.cur
		}
		r.cur = 0
		r.start = t - d%r.window
	}
	if r.cur < math.MaxUint32 {
		r.cur++
	}
	elapsed := min(max(float64(t-r.start)/float64(r.window), 0), 1)
	n := float64(r.before)*(1-elapsed) + float64(r.cur)
	return n / (float64(r.window) / float64(time.Second))
}

// observeDigest records x's digest and returns the distinct share of the ring.
func (s *Signals) observeDigest(x []float32) float64 {
	d := digest(x)
	slot := int((s.n - 1) % uint64(len(s.digests)))
	seen := min(s.n, uint64(len(s.digests)))
	if s.repeat[slot] {
		s.repeats--
	}
	rep := false
	for i := range int(seen) {
		if i != slot && s.digests[i] == d {
			rep = true
			break
		}
	}
	s.digests[slot], s.repeat[slot] = d, rep
	if rep {
		s.repeats++
	}
	return 1 - float64(s.repeats)/float64(seen)
}

// digest hashes x's bytes (FNV-1a, 64 bits, finalised): equal inputs, equal
// digests; -0 and +0 differ, as they do on the wire.
func digest(x []float32) uint64 {
	h := uint64(14695981039346656037)
	var b [4]byte
	for _, v := range x {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
		for _, c := range b {
			h = (h ^ uint64(c)) * 1099511628211
		}
	}
	return mix64(h)
}

// observeCoverage adds x to the per-feature histograms and returns their
// mean normalised entropy. The entropy of a histogram of total n is
// (n·ln n − Σc·ln c) / n, so keeping Σc·ln c per feature makes each update
// O(1) and the score O(Dim) table look-ups, with no logarithm per query.
func (s *Signals) observeCoverage(x []float32) float64 {
	B := s.cfg.Bins
	width := float64(s.cfg.Max-s.cfg.Min) / float64(B)
	clogc := clogcTable() // once per query, not three times per feature
	sum := 0.0
	for i, v := range x {
		if int(s.tot[i]) >= s.cfg.CountCap {
			s.halve(i)
		}
		b := 0
		if f := float64(v-s.cfg.Min) / width; f > 0 { // NaN and below Min: bin 0
			b = int(min(f, float64(B-1)))
		}
		c := &s.counts[i*B+b]
		s.clogc[i] += clogc[*c+1] - clogc[*c]
		*c++
		s.tot[i]++
		n := s.tot[i]
		sum += (clogc[n] - s.clogc[i]) / float64(n)
	}
	return max(0, sum/float64(len(x))/s.maxH)
}

// halve ages feature i's histogram: its counts halve (rounding up, so no
// seen bin empties), old queries weigh less and counts stay small.
func (s *Signals) halve(i int) {
	B := s.cfg.Bins
	clogc := clogcTable()
	n, cl := 0, 0.0
	for b := range B {
		c := &s.counts[i*B+b]
		*c = (*c + 1) / 2
		n += int(*c)
		cl += clogc[*c]
	}
	s.tot[i], s.clogc[i] = uint16(n), cl
}

// clogcTable holds c·ln c for c up to maxCountCap (0 at 0), made on first
// use.
var clogcTable = sync.OnceValue(func() []float64 {
	t := make([]float64, maxCountCap+1)
	for c := 1; c < len(t); c++ {
		t[c] = float64(c) * math.Log(float64(c))
	}
	return t
})

// observeStructure scores the transition from the previous query to x and
// returns the scan-like share of the last structureRing transitions.
func (s *Signals) observeStructure(x []float32) float64 {
	if s.n > 1 {
		changed, same := s.step(x)
		scan := changed > 0 && (changed <= s.cfg.FewCoords || same)
		s.structBits <<= 1
		if scan {
			s.structBits |= 1
		}
		s.structN = min(s.structN+1, structureRing)
		if changed > 0 {
			s.hasStep = true
			for i, v := range x {
				s.prevStep[i] = v - s.prev[i]
			}
		}
	}
	copy(s.prev, x)
	if s.structN == 0 {
		return 0
	}
	return float64(bits.OnesCount64(s.structBits)) / float64(s.structN)
}

// step counts the features that changed beyond StepEpsilon and tells
// whether the step equals the previous one within StepEpsilon per feature
// (a line scan: x, x+d, x+2d, ...). NaN steps are never equal.
func (s *Signals) step(x []float32) (changed int, same bool) {
	eps := s.cfg.StepEpsilon
	same = s.hasStep
	for i, v := range x {
		d := v - s.prev[i]
		if !(d <= eps && d >= -eps) {
			changed++
		}
		if e := d - s.prevStep[i]; !(e <= eps && e >= -eps) {
			same = false
		}
	}
	return changed, same
}

// flag sets the flags whose signals passed their limits. The words come
// later, from Reason, and only when asked: a flagged client's every query
// is flagged again, and formatting five numbers per query cost more than
// the signals themselves.
func (s *Signals) flag(d *SignalDecision) {
	c := s.cfg
	if d.ShortRate > c.MaxShortRate || d.LongRate > c.MaxLongRate {
		d.Flags |= FlagRate
	}
	if d.Queries >= uint64(c.MinQueries) {
		if 1-d.UniqueRatio >= c.MaxRepeat {
			d.Flags |= FlagRepeats
		}
		if d.Coverage >= c.MaxCoverage {
			d.Flags |= FlagCoverage
		}
		if d.Structure >= c.MaxStructure {
			d.Flags |= FlagStructure
		}
		if d.SignSteps >= c.MaxSignSteps {
			d.Flags |= FlagSignSteps
		}
	}
	d.Flagged = d.Flags != 0
	d.cfg, d.structN, d.stepsN = &s.cfg, s.structN, s.steps.n
}

// Reason explains every fired flag with its figures and limits; it is ""
// when none fired.
func (d SignalDecision) Reason() string {
	if !d.Flagged || d.cfg == nil {
		return ""
	}
	c := d.cfg
	var why []string
	if d.Flags&FlagRate != 0 {
		why = append(why, fmt.Sprintf("rate %.2f/s over %v (limit %.2f), %.2f/s over %v (limit %.2f)",
			d.ShortRate, c.ShortWindow, c.MaxShortRate, d.LongRate, c.LongWindow, c.MaxLongRate))
	}
	if d.Flags&FlagRepeats != 0 {
		why = append(why, fmt.Sprintf("%.0f%% of the last %d inputs are exact repeats (limit %.0f%%)",
			100*(1-d.UniqueRatio), min(d.Queries, uint64(c.DigestRing)), 100*c.MaxRepeat))
	}
	if d.Flags&FlagCoverage != 0 {
		why = append(why, fmt.Sprintf("input coverage %.3f (limit %.3f): features spread evenly over their range, as uniform random queries do",
			d.Coverage, c.MaxCoverage))
	}
	if d.Flags&FlagStructure != 0 {
		why = append(why, fmt.Sprintf("%.0f%% of the last %d transitions are scan steps (at most %d features changed, or the same step repeated; limit %.0f%%)",
			100*d.Structure, d.structN, c.FewCoords, 100*c.MaxStructure))
	}
	if d.Flags&FlagSignSteps != 0 {
		why = append(why, fmt.Sprintf("%.0f%% of the last %d queries are sign steps from a recent query (every moved feature moved by the same amount, as gradient-sign probing does; limit %.0f%%)",
			100*d.SignSteps, d.stepsN, 100*c.MaxSignSteps))
	}
	return "signals: " + strings.Join(why, "; ")
}

// Primary names the first signal that fired, in the order rate, repeats,
// coverage, structure, sign steps, with its score: a short, bounded label
// for logs and metrics. It is "" and 0 when none fired.
func (d SignalDecision) Primary() (name string, score float64) {
	switch {
	case d.Flags&FlagRate != 0:
		return "rate", max(d.ShortRate, d.LongRate)
	case d.Flags&FlagRepeats != 0:
		return "repeats", 1 - d.UniqueRatio
	case d.Flags&FlagCoverage != 0:
		return "coverage", d.Coverage
	case d.Flags&FlagStructure != 0:
		return "structure", d.Structure
	case d.Flags&FlagSignSteps != 0:
		return "sign-steps", d.SignSteps
	}
	return "", 0
}
