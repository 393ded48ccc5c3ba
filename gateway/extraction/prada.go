package extraction

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync/atomic"
	"unsafe"
)

// Defaults. MinQueries follows the paper (Juuti et al. 2019, Algorithm 1:
// W is tested once a client has more than 100 distances). The paper sets
// delta per data set from benign traffic, and so must a deployment: 0.90 is
// calibrated on the UCI digits (64 features) in the tests, where the lowest W
// of 200 benign clients over 500 queries each was 0.931 and Jacobian
// augmentation attackers fell to at most 0.68 within 200 queries.
const (
	DefaultThreshold    = 0.90
	DefaultMinQueries   = 100
	DefaultMaxPerClass  = 100
	DefaultMaxDistances = 1000
)

// Config sets one PRADA detector. Zero fields take the defaults above, except
// Dim and Classes, which describe the model and must be set.
type Config struct {
	// Threshold is delta: a client is flagged when W < Threshold.
	Threshold float64
	// MinQueries is how many distances a client needs before W is tested.
	MinQueries int
	// Dim is the number of features in every query.
	Dim int
	// Classes is the number of classes the model predicts (labels 0..Classes-1).
	Classes int
	// MaxPerClass bounds each class's growing set. Once full, a new member
	// replaces the oldest one (first in, first out): the growing set then
	// describes the client's recent queries, and search cost stays fixed.
	MaxPerClass int
	// MaxDistances is the window of distances W is computed over: the last
	// MaxDistances (at most 5000, the limit of Royston's approximation).
	MaxDistances int
	// Terse leaves Reason empty on decisions that are not flagged: a
	// server that only logs flags saves a formatted string per query.
	Terse bool
}

// ErrQuery reports a query the detector cannot take.
var ErrQuery = errors.New("prada: bad query")

// withDefaults fills zero fields and checks the result.
func (c Config) withDefaults() (Config, error) {
	if c.Threshold == 0 {
		c.Threshold = DefaultThreshold
	}
	if c.MinQueries == 0 {
		c.MinQueries = DefaultMinQueries
	}
	if c.MaxPerClass == 0 {
		c.MaxPerClass = DefaultMaxPerClass
	}
	if c.MaxDistances == 0 {
		c.MaxDistances = DefaultMaxDistances
	}
	switch {
	case c.Dim <= 0 || c.Classes <= 0:
		return c, fmt.Errorf("prada: Dim (%d) and Classes (%d) must be positive", c.Dim, c.Classes)
	case !(c.Threshold > 0 && c.Threshold <= 1):
		return c, fmt.Errorf("prada: Threshold %v outside (0, 1]", c.Threshold)
	case c.MinQueries < shapiroMinN || c.MaxDistances > shapiroMaxN || c.MinQueries > c.MaxDistances:
		return c, fmt.Errorf("prada: need %d <= MinQueries (%d) <= MaxDistances (%d) <= %d",
			shapiroMinN, c.MinQueries, c.MaxDistances, shapiroMaxN)
	case c.MaxPerClass < 1:
		return c, fmt.Errorf("prada: MaxPerClass %d must be positive", c.MaxPerClass)
	}
	return c, nil
}

// MemoryBound is the most memory, in bytes, that one client's Detector holds
// under c (after defaults): per class, MaxPerClass points of Dim float32 plus
// MaxPerClass float64 growing-set distances; MaxDistances float64 distances
// twice (arrival order and sorted); and the fixed struct sizes. The
// coefficient cache is shared by all clients and not counted here (see
// coefCache).
func (c Config) MemoryBound() int {
	perClass := c.MaxPerClass*(c.Dim*4+8) + int(unsafe.Sizeof(classSet{}))
	return c.Classes*perClass + 2*c.MaxDistances*8 + int(unsafe.Sizeof(Detector{}))
}

// Decision is the detector's verdict after one query, with its evidence.
type Decision struct {
	Client    string
	Queries   int     // queries seen from this client
	Tested    bool    // W has been computed (enough distances with some spread)
	W         float64 // latest Shapiro–Wilk W of the distances; 0 until Tested
	Threshold float64 // delta
	Flagged   bool
	Reason    string
	Err       error // set when the query was rejected (and not counted)
}

// classSet is one class's growing set G_c with its distances D_Gc and
// threshold T_c.
type classSet struct {
	points    []float32 // members, Dim values each, flattened
	count     int       // members held
	oldest    int       // member replaced next once count == MaxPerClass
	dists     ring      // D_Gc: minimum distances of the members when they joined
	threshold float64   // T_c
}

// Detector runs PRADA for one client. It is not safe for concurrent use; the
// Tracker serialises each client's queries.
type Detector struct {
	cfg       Config
	coef      *coefCache
	sets      []classSet
	dists     window // D: the client's minimum distances, over all classes
	queries   int
	repeats   int // queries that repeated a member exactly (no distance)
	flaggedAt int // query count when first flagged, 0 if never
	lastW     float64
}

// NewDetector returns a detector for one client.
func NewDetector(cfg Config) (*Detector, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return newDetector(cfg, newCoefCache(cfg.MaxDistances)), nil
}

func newDetector(cfg Config, coef *coefCache) *Detector {
	d := &Detector{cfg: cfg, coef: coef, sets: make([]classSet, cfg.Classes), dists: newWindow(cfg.MaxDistances), lastW: math.NaN()}
	return d
}

// memoryBytes is what the detector holds now, counted from capacities.
func (d *Detector) memoryBytes() int {
	n := int(unsafe.Sizeof(*d)) + 8*(cap(d.dists.arrival.buf)+cap(d.dists.sorted))
	for _, s := range d.sets {
		n += int(unsafe.Sizeof(s)) + 4*cap(s.points) + 8*cap(s.dists.buf)
	}
	return n
}

// Observe records query x, which the model labelled class, and returns the
// decision for the client. A query with the wrong length, a non-finite value
// or an unknown class is rejected with an error wrapping ErrQuery.
//
// The growing-set rule is Algorithm 1 of Juuti et al. (Sect. V): d is the
// minimum L2 distance from x to G_c; d joins D; x joins G_c, and d joins
// D_Gc, when d > T_c; then T_c = max(T_c, mean(D_Gc) - std(D_Gc)). The first
// query of a class starts G_c with no distance; as in the authors' reference
// code, D_Gc then starts as {0} and T_c as 0.
func (d *Detector) Observe(x []float32, class int) (Decision, error) {
	if err := d.check(x, class); err != nil {
		dec := d.base()
		dec.Reason, dec.Err = err.Error(), err
		return dec, err
	}
	d.queries++
	s := &d.sets[class]
	if s.count == 0 {
		s.add(x, d.cfg.MaxPerClass)
		s.dists.push(0, d.cfg.MaxPerClass)
		return d.decide(), nil
	}
	dmin := s.nearest(x, d.cfg.Dim)
	if dmin == 0 {
		// An exact repeat of a member explores nothing. Counting its zero
		// distance would fail benign clients that resend inputs (retries,
		// popular inputs): a pile of zeros is as non-normal as any attack.
		// Repeats are the repeats signal's business (signals.go).
		d.repeats++
		return d.decide(), nil
	}
	d.dists.push(dmin)
	if dmin > s.threshold {
		s.add(x, d.cfg.MaxPerClass)
		s.dists.push(dmin, d.cfg.MaxPerClass)
		mean, std := meanStd(s.dists.buf)
		s.threshold = max(s.threshold, mean-std)
	}
	return d.decide(), nil
}

func (d *Detector) check(x []float32, class int) error {
	if len(x) != d.cfg.Dim {
		return fmt.Errorf("%w: %d features, the model takes %d", ErrQuery, len(x), d.cfg.Dim)
	}
	if class < 0 || class >= d.cfg.Classes {
		return fmt.Errorf("%w: class %d outside 0..%d", ErrQuery, class, d.cfg.Classes-1)
	}
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("%w: feature %d is %v", ErrQuery, i, v)
		}
	}
	return nil
}

// add stores x as a member, replacing the oldest one when the set is full.
func (s *classSet) add(x []float32, maxPerClass int) {
	dim := len(x)
	if s.count < maxPerClass {
		s.points = append(growTo(s.points, dim, maxPerClass*dim), x...)
		s.count++
		return
	}
	copy(s.points[s.oldest*dim:(s.oldest+1)*dim], x)
	s.oldest = (s.oldest + 1) % maxPerClass
}

// nearest returns the minimum L2 distance from x to the members. A member is
// abandoned as soon as its partial squared distance passes the best so far,
// checked every 8 features so the test does not slow the inner loop.
func (s *classSet) nearest(x []float32, dim int) float64 {
	best := float32(math.Inf(1))
	for off := 0; off < len(s.points); off += dim {
		p := s.points[off : off+dim : off+dim]
		if d := partialSqDist(x, p, best); d < best {
			best = d
		}
	}
	return math.Sqrt(float64(best))
}

// partialSqDist is the squared distance between x and p, or some value of at
// least bound once the partial sum reaches it.
func partialSqDist(x, p []float32, bound float32) float32 {
	var sum float32
	i := 0
	for ; i+8 <= len(x); i += 8 {
		a0, a1, a2, a3 := x[i]-p[i], x[i+1]-p[i+1], x[i+2]-p[i+2], x[i+3]-p[i+3]
		a4, a5, a6, a7 := x[i+4]-p[i+4], x[i+5]-p[i+5], x[i+6]-p[i+6], x[i+7]-p[i+7]
		sum += a0*a0 + a1*a1 + a2*a2 + a3*a3 + a4*a4 + a5*a5 + a6*a6 + a7*a7
		if sum >= bound {
			return sum
		}
	}
	for ; i < len(x); i++ {
		a := x[i] - p[i]
		sum += a * a
	}
	return sum
}

// decide tests the distances once there are enough and explains the result.
// A flag is kept once raised: PRADA's alarm marks the client, and a later W
// back above delta does not undo the queries already answered.
func (d *Detector) decide() Decision {
	dec := d.base()
	n := d.dists.len()
	if n < d.cfg.MinQueries {
		if d.explain(dec) {
			dec.Reason = fmt.Sprintf("collecting: %d of %d distances before the normality test", n, d.cfg.MinQueries)
		}
		return dec
	}
	w, kept, ok := d.w()
	if !ok {
		if d.explain(dec) {
			dec.Reason = fmt.Sprintf("untested: the %d distances (%d within 3 sd) have no spread", n, kept)
		}
		return d.withFlag(dec)
	}
	d.lastW, dec.W, dec.Tested = w, w, true
	if w < d.cfg.Threshold && d.flaggedAt == 0 {
		d.flaggedAt = d.queries
	}
	dec.Flagged = d.flaggedAt > 0
	if !d.explain(dec) {
		return dec
	}
	rel := ">="
	if w < d.cfg.Threshold {
		rel = "<"
	}
	dec.Reason = fmt.Sprintf("W=%.4f %s delta=%.4f over %d distances (%d within 3 sd)", w, rel, d.cfg.Threshold, n, kept)
	if d.repeats > 0 {
		dec.Reason += fmt.Sprintf("; %d exact repeats not counted", d.repeats)
	}
	return d.withFlag(dec)
}

// explain tells whether dec gets a Reason: always, unless Terse and not
// flagged.
func (d *Detector) explain(dec Decision) bool { return !d.cfg.Terse || dec.Flagged }

// base is the decision's state before this query's test. W stays NaN inside
// the detector until tested but is reported as 0, which JSON can encode.
func (d *Detector) base() Decision {
	dec := Decision{Queries: d.queries, Threshold: d.cfg.Threshold, Flagged: d.flaggedAt > 0}
	if !math.IsNaN(d.lastW) {
		dec.W, dec.Tested = d.lastW, true
	}
	return dec
}

func (d *Detector) withFlag(dec Decision) Decision {
	if d.flaggedAt > 0 {
		dec.Reason += fmt.Sprintf("; flagged as extraction at query %d: distances to earlier queries are not normal (PRADA)", d.flaggedAt)
	}
	return dec
}

// w is Shapiro–Wilk W over the window, after dropping values more than 3
// standard deviations from the mean as the paper does (Algorithm 1, D').
// The window is sorted, so the kept values are one contiguous run.
func (d *Detector) w() (w float64, kept int, ok bool) {
	all := d.dists.sorted
	mean, std := meanStd(all)
	lo, _ := slices.BinarySearch(all, mean-3*std)
	hi := len(all)
	for hi > lo && all[hi-1] > mean+3*std {
		hi--
	}
	y := all[lo:hi]
	if len(y) < shapiroMinN || !(y[len(y)-1] > y[0]) {
		return 0, len(y), false
	}
	w1 := shapiroOneMinusW(y, d.coef.get(len(y)))
	return min(max(1-w1, 0), 1), len(y), true
}

// coefCache holds Royston's coefficients for every sample size up to a limit,
// computed on first use and shared by all clients of a Tracker: the size
// varies with the outlier filter, and computing n/2 normal quantiles per
// query would cost more than the rest of PRADA. At most limit^2/4 float64,
// 2 MB for a window of 1000.
type coefCache struct {
	bySize []atomic.Pointer[[]float64]
}

func newCoefCache(limit int) *coefCache {
	return &coefCache{bySize: make([]atomic.Pointer[[]float64], limit+1)}
}

func (c *coefCache) get(n int) []float64 {
	if a := c.bySize[n].Load(); a != nil {
		return *a
	}
	// Two goroutines may both compute it; they store equal values.
	a := shapiroCoefficients(n)
	c.bySize[n].Store(&a)
	return a
}
