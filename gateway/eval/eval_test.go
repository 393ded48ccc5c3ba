package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// A small run: every attack against every defence is reported with
// numbers in range, the random-query attacker is flagged everywhere, and
// no benign client is.
func TestSmallRun(t *testing.T) {
	rep, err := Run(context.Background(), Config{Seed: 3, Queries: 120, BenignClients: 5, BenignQueries: 100, TrainSteps: 200})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Attacks) != len(Attacks)*len(Defences) || len(rep.Benign) != len(Defences) {
		t.Fatalf("%d attack rows, %d benign rows", len(rep.Attacks), len(rep.Benign))
	}
	seen := map[string]bool{}
	for _, a := range rep.Attacks {
		seen[a.Attack+"/"+a.Defence] = true
		if a.Queries != 120 || a.Agreement < 0 || a.Agreement > 1 || a.Detected != (a.FirstFlag > 0) ||
			a.FirstFlag > a.Queries || (a.Detected && a.ByDetector[a.Detector] != a.FirstFlag) {
			t.Errorf("row %+v", a)
		}
		if a.Attack == AttackRandom && !a.Detected {
			t.Errorf("random queries against %s not flagged", a.Defence)
		}
	}
	for _, a := range Attacks {
		for _, d := range Defences {
			if !seen[a+"/"+d.Name] {
				t.Errorf("no row for %s against %s", a, d.Name)
			}
		}
	}
	for _, b := range rep.Benign {
		if b.Clients != 5 || b.Flagged != 0 {
			t.Errorf("benign %+v", b)
		}
	}
	var md bytes.Buffer
	if err := rep.Markdown(&md); err != nil || strings.Count(md.String(), "\n| ") != len(rep.Attacks)+len(rep.Benign)+2 {
		t.Errorf("markdown %v:\n%s", err, md.String())
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Fatal(err)
	}
}

func TestConfigBounds(t *testing.T) {
	for _, c := range []Config{{Queries: 5}, {Queries: MaxQueries + 1}, {BenignClients: -1}, {TrainSteps: MaxTrainSteps + 1}, {JacobianLambda: -1}} {
		if _, err := Run(context.Background(), c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

// The answer parser takes nothing on trust.
func TestParseAnswer(t *testing.T) {
	for _, b := range []string{`{}`, `{"outputs":[{"name":"label","data":[10]}]}`, `{"outputs":[{"name":"label","data":[-1]}]}`, `[`} {
		if _, err := parseAnswer([]byte(b)); err == nil {
			t.Errorf("%s accepted", b)
		}
	}
	a, err := parseAnswer([]byte(`{"outputs":[{"name":"label","data":[2]},{"name":"probabilities","data":[0,0,2,0,0,0,0,0,0,0]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if y := a.target(); y[2] != 1 { // an out-of-range probability falls back to the label
		t.Errorf("target %v", y)
	}
}
