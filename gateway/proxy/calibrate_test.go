package proxy

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/modelward/modelward/gateway/digits"
)

// Calibration on real digits reports benign extremes short of every alarm
// and a δ below the lowest benign W; on uniform noise offered as "benign"
// it reports the coverage it saw and a limit that would clear it.
func TestCalibrate(t *testing.T) {
	w := newWorld(t, worldOpts{model: "    detect: {prada: {enabled: true}, blacklight: {enabled: true, scale: 16, alarm_count: 3}, signals: {enabled: true}}\n"})
	d := digits.UCI()
	rows := make([][]float32, 600)
	for i := range rows {
		rows[i] = d.Row(i)
	}
	ctx := context.Background()
	cal, err := w.gw.Calibrate(ctx, "digits", rows, CalibrateOptions{Clients: 10, Queries: 300, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v %+v %+v", *cal.PRADA, *cal.Blacklight, cal.Signals.Scores)
	p := cal.PRADA
	if !(p.LowestW > 0.8 && p.LowestW < 1) || p.Suggested > p.Threshold || p.Suggested >= p.LowestW || p.Flagged != 0 {
		t.Errorf("prada %+v", *p)
	}
	if cal.Signals.Flagged != 0 || cal.Signals.Scores["max_coverage"].Highest > 0.8 || cal.Signals.Scores["max_coverage"].Suggested != 0.8 {
		t.Errorf("signals %+v", *cal.Signals)
	}
	r := rand.New(rand.NewPCG(3, 3))
	for i := range rows {
		rows[i] = make([]float32, 64)
		for j := range rows[i] {
			rows[i][j] = float32(r.IntN(17))
		}
	}
	noise, err := w.gw.Calibrate(ctx, "digits", rows, CalibrateOptions{Clients: 3, Queries: 100})
	if err != nil {
		t.Fatal(err)
	}
	if cov := noise.Signals.Scores["max_coverage"]; noise.Signals.Flagged != 3 || cov.Highest < 0.9 || cov.Suggested <= cov.Highest {
		t.Errorf("noise %+v", *noise.Signals)
	}
	cal = &Calibration{Signals: &SignalsCalib{Scores: map[string]SignalScore{"max_coverage": {Limit: 0.8, Highest: 1}}}}
	cal.suggest()
	if sc := cal.Signals.Scores["max_coverage"]; sc.Suggested != 0 || sc.Note == "" {
		t.Errorf("a benign maximum of 1: %+v", sc)
	}
	if _, err := w.gw.Calibrate(ctx, "digits", [][]float32{{1, 2}}, CalibrateOptions{}); err == nil {
		t.Error("a row of the wrong width accepted")
	}
	if _, err := w.gw.Calibrate(ctx, "nope", rows, CalibrateOptions{}); err == nil {
		t.Error("unknown model accepted")
	}
}
