package proxy

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/modelward/modelward/gateway/oip"
)

// Calibration replays benign traffic through a model's detectors, offline,
// and reports how close benign clients came to each alarm: the detectors'
// thresholds (PRADA's δ above all) must sit beyond what benign use of this
// model reaches, and that depends on the model and its data.
//
// Each simulated client sends Queries rows drawn in its own random order
// from the benign set, one every Pace; the labels PRADA needs come from
// the model itself, through the upstream, in batches.
type Calibration struct {
	Model       string            `json:"model"`
	Rows        int               `json:"rows"`
	Clients     int               `json:"clients"`
	QueriesEach int               `json:"queries_each"`
	PRADA       *PRADACalibration `json:"prada,omitempty"`
	Blacklight  *BlacklightCalib  `json:"blacklight,omitempty"`
	Signals     *SignalsCalib     `json:"signals,omitempty"`
}

// PRADACalibration is PRADA's W over the benign clients.
type PRADACalibration struct {
	Threshold float64 `json:"threshold"` // δ in force
	LowestW   float64 `json:"lowest_w"`  // the lowest W any benign client reached once tested
	Flagged   int     `json:"flagged"`   // benign clients flagged at δ
	Suggested float64 `json:"suggested"` // a δ below every benign W, with a margin
}

// BlacklightCalib is Blacklight's near-duplicate count over the benign clients.
type BlacklightCalib struct {
	AlarmCount    int `json:"alarm_count"`
	HighestRecent int `json:"highest_recent"` // most near-duplicates among any client's last 64 queries
	Flagged       int `json:"flagged"`
	Suggested     int `json:"suggested"`
}

// SignalsCalib is each diversity signal's highest benign score beside its limit.
type SignalsCalib struct {
	Flagged int                    `json:"flagged"`
	Scores  map[string]SignalScore `json:"scores"`
}

// SignalScore is one signal's limit, the highest benign score, and a limit
// that clears it with a margin (the limit in force when it already does).
type SignalScore struct {
	Limit     float64 `json:"limit"`
	Highest   float64 `json:"highest"`
	Suggested float64 `json:"suggested"` // 0 when no limit clears the benign clients
	Note      string  `json:"note,omitempty"`
}

// CalibrateOptions sizes a calibration. Zero fields take the defaults.
type CalibrateOptions struct {
	Clients int           // simulated benign clients; default 50
	Queries int           // queries per client; default min(500, 2 × rows)
	Pace    time.Duration // time between a client's queries; default 1s
	Seed    uint64
}

// Bounds on a calibration.
const (
	MaxCalibrationClients = 1000
	MaxCalibrationQueries = 20000
)

// Calibrate replays rows (benign inputs of model) as opt says and reports.
func (g *Gateway) Calibrate(ctx context.Context, model string, rows [][]float32, opt CalibrateOptions) (*Calibration, error) {
	m, ok := g.models[model]
	if !ok {
		return nil, fmt.Errorf("unknown model %q", model)
	}
	opt = opt.withDefaults(len(rows))
	if len(rows) == 0 || opt.Clients > MaxCalibrationClients || opt.Queries > MaxCalibrationQueries || opt.Clients < 1 || opt.Queries < 1 {
		return nil, fmt.Errorf("need benign rows, 1..%d clients and 1..%d queries each", MaxCalibrationClients, MaxCalibrationQueries)
	}
	cal := newCalibration(m, len(rows), opt)
	if cal.PRADA == nil && cal.Blacklight == nil && cal.Signals == nil {
		return nil, errNoDetectors
	}
	labels, err := g.labels(ctx, m, rows)
	if err != nil {
		return nil, err
	}
	// Fresh detectors on a clock of their own: calibration must not touch
	// the serving state, and its clients pace themselves.
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	det, err := newDetectors(&m.cfg, func() time.Time { return clock })
	if err != nil {
		return nil, err
	}
	for c := range opt.Clients {
		rng := rand.New(rand.NewPCG(opt.Seed, uint64(c)))
		perm := rng.Perm(len(rows))
		client := "calibration-" + strconv.Itoa(c)
		var flags clientFlags
		for q := range opt.Queries {
			clock = clock.Add(opt.Pace)
			i := perm[q%len(perm)]
			cal.observe(det, client, rows[i], labels[i], clock, &flags)
		}
		cal.count(flags)
	}
	cal.suggest()
	return cal, nil
}

func (o CalibrateOptions) withDefaults(rows int) CalibrateOptions {
	if o.Clients == 0 {
		o.Clients = 50
	}
	if o.Queries == 0 {
		o.Queries = min(500, 2*rows)
	}
	if o.Pace == 0 {
		o.Pace = time.Second
	}
	return o
}

// labels asks the model for the label of every row, max_batch at a time.
func (g *Gateway) labels(ctx context.Context, m *model, rows [][]float32) ([]int, error) {
	for i, x := range rows {
		if len(x) != m.cfg.Input.Features {
			return nil, fmt.Errorf("row %d has %d features; model %q takes %d", i+1, len(x), m.cfg.Name, m.cfg.Input.Features)
		}
		if e := checkRange([][]float32{x}, m.cfg.Input); e != nil {
			return nil, fmt.Errorf("row %d: %s", i+1, e.msg)
		}
	}
	out := make([]int, 0, len(rows))
	for start := 0; start < len(rows); start += g.cfg.Limits.MaxBatch {
		batch := rows[start:min(start+g.cfg.Limits.MaxBatch, len(rows))]
		probs, _, e := g.forwardInfer(ctx, m, &oip.InferRequest{Batch: batch}, &reqLog{})
		if e != nil {
			return nil, fmt.Errorf("asking the model for labels: %s", e.msg)
		}
		for _, p := range probs {
			out = append(out, argmax(p))
		}
	}
	return out, nil
}

// clientFlags is which detectors flagged one simulated client.
type clientFlags struct{ prada, blacklight, signals bool }

func newCalibration(m *model, rows int, opt CalibrateOptions) *Calibration {
	cal := &Calibration{Model: m.cfg.Name, Rows: rows, Clients: opt.Clients, QueriesEach: opt.Queries}
	d := m.cfg.Detect
	if d.PRADA != nil && d.PRADA.Enabled {
		cal.PRADA = &PRADACalibration{LowestW: math.Inf(1)}
	}
	if d.Blacklight != nil && d.Blacklight.Enabled {
		cal.Blacklight = &BlacklightCalib{AlarmCount: max(d.Blacklight.AlarmCount, 1)}
	}
	if d.Signals != nil && d.Signals.Enabled {
		cal.Signals = &SignalsCalib{Scores: map[string]SignalScore{}}
	}
	return cal
}

// observe feeds one query to every detector and keeps the extremes.
func (cal *Calibration) observe(det *detectors, client string, x []float32, label int, now time.Time, f *clientFlags) {
	if det.prada != nil {
		dec := det.prada.Observe(client, x, label)
		cal.PRADA.Threshold = dec.Threshold
		if dec.Tested {
			cal.PRADA.LowestW = min(cal.PRADA.LowestW, dec.W)
		}
		f.prada = f.prada || dec.Flagged
	}
	if det.blacklight != nil {
		dec := det.blacklight.Observe(client, x)
		cal.Blacklight.HighestRecent = max(cal.Blacklight.HighestRecent, dec.Recent)
		f.blacklight = f.blacklight || dec.Flagged
	}
	if det.signals != nil {
		s := det.signals.get(client)
		dec := s.Observe(x, now)
		if dec.Queries >= uint64(s.Config().MinQueries) {
			c := s.Config()
			for name, v := range map[string][2]float64{
				"max_repeat": {1 - dec.UniqueRatio, c.MaxRepeat}, "max_coverage": {dec.Coverage, c.MaxCoverage},
				"max_structure": {dec.Structure, c.MaxStructure}, "max_sign_steps": {dec.SignSteps, c.MaxSignSteps},
				"max_short_rate": {dec.ShortRate, c.MaxShortRate}, "max_long_rate": {dec.LongRate, c.MaxLongRate},
			} {
				sc := cal.Signals.Scores[name]
				sc.Limit, sc.Highest = v[1], max(sc.Highest, v[0])
				cal.Signals.Scores[name] = sc
			}
		}
		f.signals = f.signals || dec.Flagged
	}
}

func (cal *Calibration) count(f clientFlags) {
	if f.prada {
		cal.PRADA.Flagged++
	}
	if f.blacklight {
		cal.Blacklight.Flagged++
	}
	if f.signals {
		cal.Signals.Flagged++
	}
}

// suggest proposes limits that clear the benign extremes with a margin,
// keeping a limit in force when it already does.
func (cal *Calibration) suggest() {
	if p := cal.PRADA; p != nil {
		if math.IsInf(p.LowestW, 1) {
			p.LowestW, p.Suggested = 0, p.Threshold // never tested: too few queries
		} else {
			p.Suggested = math.Min(p.Threshold, math.Floor((p.LowestW-0.02)*100)/100)
		}
	}
	if b := cal.Blacklight; b != nil {
		b.Suggested = max(b.AlarmCount, min(b.HighestRecent+2, 64))
	}
	if s := cal.Signals; s != nil {
		for name, sc := range s.Scores {
			share := name != "max_short_rate" && name != "max_long_rate"
			sc.Suggested = sc.Limit
			switch {
			case share && sc.Highest >= 1:
				// A share flags at >= its limit, and no limit above 1 exists.
				sc.Suggested, sc.Note = 0, "benign clients reach 1: no limit clears them; turn this signal off for this model"
			case sc.Highest >= sc.Limit*0.9:
				sc.Suggested = sc.Highest * 1.2
				if share {
					sc.Suggested = math.Min(1, sc.Suggested)
				}
			}
			s.Scores[name] = sc
		}
	}
}

var errNoDetectors = errors.New("the model has no detector enabled: nothing to calibrate")
