package eval

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/modelward/modelward/gateway/digits"
)

// Attack names.
const (
	AttackJacobian = "jacobian"
	AttackRandom   = "random"
	AttackNatural  = "natural"
)

// Attacks lists every attack in the order of the report.
var Attacks = []string{AttackJacobian, AttackRandom, AttackNatural}

// Config sizes a run. Zero fields take the brief's values.
type Config struct {
	Seed           uint64
	Queries        int // per attacker and defence; default 1000
	BenignClients  int // default 50
	BenignQueries  int // per benign client; default 200
	TrainSteps     int // Adam steps per surrogate fit; default 2000
	JacobianLambda float32
}

// Bounds on a run, so a flag typo cannot ask for hours of work.
const (
	MaxQueries       = 20000
	MaxBenignClients = 500
	MaxTrainSteps    = 50000
)

func (c Config) withDefaults() (Config, error) {
	if c.Queries == 0 {
		c.Queries = 1000
	}
	if c.BenignClients == 0 {
		c.BenignClients = 50
	}
	if c.BenignQueries == 0 {
		c.BenignQueries = 200
	}
	if c.TrainSteps == 0 {
		c.TrainSteps = 2000
	}
	if c.JacobianLambda == 0 {
		// Papernot et al. use λ = 0.1 on inputs scaled to [0, 1].
		c.JacobianLambda = 0.1 * digits.MaxPixel
	}
	switch {
	case c.Queries < digits.Classes || c.Queries > MaxQueries:
		return c, fmt.Errorf("queries must be in [%d, %d]", digits.Classes, MaxQueries)
	case c.BenignClients < 1 || c.BenignClients > MaxBenignClients:
		return c, fmt.Errorf("benign clients must be in [1, %d]", MaxBenignClients)
	case c.BenignQueries < 1 || c.BenignQueries > MaxQueries:
		return c, fmt.Errorf("benign queries must be in [1, %d]", MaxQueries)
	case c.TrainSteps < 1 || c.TrainSteps > MaxTrainSteps:
		return c, fmt.Errorf("train steps must be in [1, %d]", MaxTrainSteps)
	case !(c.JacobianLambda > 0 && c.JacobianLambda <= digits.MaxPixel):
		return c, fmt.Errorf("lambda must be in (0, %d]", digits.MaxPixel)
	}
	return c, nil
}

// AttackResult is one attacker against one defence.
type AttackResult struct {
	Attack    string  `json:"attack"`
	Defence   string  `json:"defence"`
	Queries   int     `json:"queries"`
	Detected  bool    `json:"detected"`
	Detector  string  `json:"detector,omitempty"`   // the detector of the first flag
	FirstFlag int     `json:"first_flag,omitempty"` // query number of the first flag, from 1
	Agreement float64 `json:"agreement"`            // surrogate = victim on the held-out set
	// ByDetector is the first query each detector flagged on (a detector
	// that fires on the same query as one before it in the gateway's
	// order, PRADA, Blacklight, signals, is not seen there).
	ByDetector map[string]int `json:"by_detector,omitempty"`
}

// BenignResult is the false alarms over the benign clients on one defence.
type BenignResult struct {
	Defence   string         `json:"defence"`
	Clients   int            `json:"clients"`
	Queries   int            `json:"queries_each"`
	Flagged   int            `json:"flagged"`
	Detectors map[string]int `json:"detectors,omitempty"`
}

// Report is a whole run.
type Report struct {
	Config         Config         `json:"config"`
	VictimAccuracy float64        `json:"victim_accuracy"` // on the held-out set
	HeldOut        int            `json:"held_out_rows"`
	Attacks        []AttackResult `json:"attacks"`
	Benign         []BenignResult `json:"benign"`
}

// data is the split every party uses: the victim was trained on UCI
// digits; the held-out rows are what benign clients send and where
// agreement is measured; the training rows are the natural-data pool.
type data struct {
	train, test *digits.Dataset
	victim      []int // the victim's label per held-out row
}

func newData(seed uint64) *data {
	train, test := digits.Split(digits.UCI(), 0.3, seed)
	m := digits.Pretrained()
	d := &data{train: train, test: test, victim: make([]int, test.Len())}
	for i := range d.victim {
		d.victim[i] = digits.Label(m.Predict(test.Row(i)))
	}
	return d
}

// agreement is the share of held-out rows on which s and the victim agree.
func (d *data) agreement(s *mlp) float64 {
	same := 0
	for i, v := range d.victim {
		if s.label(d.test.Row(i)) == v {
			same++
		}
	}
	return float64(same) / float64(len(d.victim))
}

// Run sets up the gateway in front of the digits model, runs every
// attacker and the benign clients against every defence, and reports.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	w, err := newWorld(ctx, cfg.Seed)
	if err != nil {
		return nil, err
	}
	defer w.close()
	d := newData(cfg.Seed)
	rep := &Report{Config: cfg, HeldOut: d.test.Len(), VictimAccuracy: accuracy(d)}
	var pending []pendingFlag
	for di, def := range Defences {
		for ai, name := range Attacks {
			c, err := w.newClient(ctx, fmt.Sprintf("%s-%d", name, di))
			if err != nil {
				return nil, err
			}
			s, err := runAttack(ctx, name, c, def.Model, d, cfg, cfg.Seed+uint64(100*di+ai))
			if err != nil {
				return nil, fmt.Errorf("%s against %s: %w", name, def.Name, err)
			}
			rep.Attacks = append(rep.Attacks, AttackResult{Attack: name, Defence: def.Name,
				Queries: len(s.x), Agreement: d.agreement(trainMLP(s, cfg.TrainSteps, cfg.Seed))})
			pending = append(pending, pendingFlag{def.Model, c.principal, len(rep.Attacks) - 1})
		}
		b, err := runBenign(ctx, w, def, d, cfg)
		if err != nil {
			return nil, err
		}
		rep.Benign = append(rep.Benign, b)
	}
	// The last log lines are written after the last answers: read the
	// verdicts once the gateway has stopped.
	w.close()
	for _, p := range pending {
		if f, ok := w.flags.flagged(p.model, p.principal); ok {
			r := &rep.Attacks[p.index]
			r.Detected, r.Detector, r.FirstFlag, r.ByDetector = true, f.detector, f.query, f.each
		}
	}
	for i, def := range Defences {
		countBenign(w, def, &rep.Benign[i])
	}
	return rep, nil
}

type pendingFlag struct {
	model, principal string
	index            int
}

func accuracy(d *data) float64 {
	right := 0
	for i, v := range d.victim {
		if v == int(d.test.Y[i]) {
			right++
		}
	}
	return float64(right) / float64(len(d.victim))
}

func runAttack(ctx context.Context, name string, c *client, model string, d *data, cfg Config, seed uint64) (*trainSet, error) {
	rng := rand.New(rand.NewPCG(seed, 0x61747461636b)) // "attack"
	switch name {
	case AttackJacobian:
		return jacobian(ctx, c, model, d, cfg, rng)
	case AttackRandom:
		return replay(ctx, c, model, cfg.Queries, func(int) []float32 { return uniform(rng) })
	case AttackNatural:
		perm := rng.Perm(d.train.Len())
		return replay(ctx, c, model, cfg.Queries, func(i int) []float32 { return d.train.Row(perm[i%len(perm)]) })
	}
	return nil, errors.New("unknown attack")
}

// replay sends n queries from next and keeps the answers.
func replay(ctx context.Context, c *client, model string, n int, next func(int) []float32) (*trainSet, error) {
	s := &trainSet{}
	for i := range n {
		x := next(i)
		a, err := c.query(ctx, model, x)
		if err != nil {
			return nil, err
		}
		s.add(x, a.target())
	}
	return s, nil
}

func uniform(rng *rand.Rand) []float32 {
	x := make([]float32, nIn)
	for i := range x {
		x[i] = rng.Float32() * digits.MaxPixel
	}
	return x
}

// jacobian is Papernot et al.'s Jacobian-based dataset augmentation: one
// seed per class from the held-out set; each round fits the surrogate to
// every answer so far and adds x + λ·sign(∇ₓ z_c(x)) for every point x
// with c the victim's label of x, clipped to the pixel range, until the
// query budget is spent.
func jacobian(ctx context.Context, c *client, model string, d *data, cfg Config, rng *rand.Rand) (*trainSet, error) {
	s := &trainSet{}
	var labels []int
	ask := func(x []float32) error {
		a, err := c.query(ctx, model, x)
		if err != nil {
			return err
		}
		s.add(x, a.target())
		labels = append(labels, a.label)
		return nil
	}
	for _, i := range seedRows(d.test, rng) {
		if err := ask(d.test.Row(i)); err != nil {
			return nil, err
		}
	}
	for round := uint64(1); len(s.x) < cfg.Queries; round++ {
		sur := trainMLP(s, cfg.TrainSteps, cfg.Seed+round)
		n := len(s.x)
		for i := 0; i < n && len(s.x) < cfg.Queries; i++ {
			g := sur.gradSign(s.x[i], labels[i])
			x := make([]float32, nIn)
			for k := range x {
				x[k] = min(max(s.x[i][k]+cfg.JacobianLambda*g[k], 0), digits.MaxPixel)
			}
			if err := ask(x); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

// seedRows picks one random row of each class.
func seedRows(t *digits.Dataset, rng *rand.Rand) []int {
	out := make([]int, 0, digits.Classes)
	for c := range uint8(digits.Classes) {
		var idx []int
		for i, y := range t.Y {
			if y == c {
				idx = append(idx, i)
			}
		}
		if len(idx) > 0 {
			out = append(out, idx[rng.IntN(len(idx))])
		}
	}
	return out
}

// runBenign replays held-out rows in a random order per client.
func runBenign(ctx context.Context, w *world, def Defence, d *data, cfg Config) (BenignResult, error) {
	b := BenignResult{Defence: def.Name, Clients: cfg.BenignClients, Queries: cfg.BenignQueries}
	for i := range cfg.BenignClients {
		c, err := w.newClient(ctx, fmt.Sprintf("benign-%s-%d", def.Model, i))
		if err != nil {
			return b, err
		}
		w.benign[def.Model] = append(w.benign[def.Model], c.principal)
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(i)))
		perm := rng.Perm(d.test.Len())
		if _, err := replay(ctx, c, def.Model, cfg.BenignQueries, func(k int) []float32 { return d.test.Row(perm[k%len(perm)]) }); err != nil {
			return b, err
		}
	}
	return b, nil
}

// countBenign reads which benign clients the gateway flagged.
func countBenign(w *world, def Defence, b *BenignResult) {
	for _, p := range w.benign[def.Model] {
		if f, ok := w.flags.flagged(def.Model, p); ok {
			b.Flagged++
			if b.Detectors == nil {
				b.Detectors = map[string]int{}
			}
			b.Detectors[f.detector]++
		}
	}
}
