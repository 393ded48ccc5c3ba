package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// A small run: every attack against every defence is reported with
// numbers in range, the Jacobian and random-query attackers are flagged
// everywhere within their 120 queries, and no benign client is.
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
		if (a.Attack == AttackRandom || a.Attack == AttackJacobian) && !a.Detected {
			t.Errorf("%s against %s not flagged", a.Attack, a.Defence)
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
	checkSummary(t, rep)
}

// checkSummary folds the run with a copy of itself in which one attacker
// went unseen and one benign client was flagged.
func checkSummary(t *testing.T, rep *Report) {
	other := *rep
	other.Config.Seed++
	other.Attacks = append([]AttackResult(nil), rep.Attacks...)
	other.Attacks[0].Detected, other.Attacks[0].FirstFlag = false, 0
	other.Attacks[0].Agreement = rep.Attacks[0].Agreement + 0.1
	other.Benign = append([]BenignResult(nil), rep.Benign...)
	other.Benign[1].Flagged++
	s := Summarise([]*Report{rep, &other})
	a, b := s.Attacks[0], s.Benign[1]
	if len(s.Attacks) != len(rep.Attacks) || a.Runs != 2 || a.Detected != 1 || a.WorstFlag != rep.Attacks[0].FirstFlag ||
		math.Abs(a.AgreementMean-(rep.Attacks[0].Agreement+0.05)) > 1e-9 || math.Abs(a.AgreementSD-0.1/math.Sqrt2) > 1e-9 {
		t.Errorf("attack summary %+v", a)
	}
	if b.Clients != 2*rep.Benign[1].Clients || b.Flagged != rep.Benign[1].Flagged+1 {
		t.Errorf("benign summary %+v", b)
	}
	var md bytes.Buffer
	if err := s.Markdown(&md); err != nil || !strings.Contains(md.String(), "| 1/2 |") {
		t.Errorf("summary markdown %v:\n%s", err, md.String())
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
