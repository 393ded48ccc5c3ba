package eval

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// Summary folds the reports of several seeds: one seed's numbers depend on
// its split, its attackers' random choices and the Blacklight salt, so a
// difference of a few points means something only across seeds.
type Summary struct {
	Seeds   []uint64        `json:"seeds"`
	Attacks []AttackSummary `json:"attacks"`
	Benign  []BenignSummary `json:"benign"`
	Reports []*Report       `json:"reports"`
}

// AttackSummary is one attack against one defence over every seed.
type AttackSummary struct {
	Attack        string  `json:"attack"`
	Defence       string  `json:"defence"`
	Detected      int     `json:"detected"` // seeds in which it was flagged
	Runs          int     `json:"runs"`
	WorstFlag     int     `json:"worst_first_flag,omitempty"` // the latest first flag among detected runs
	AgreementMean float64 `json:"agreement_mean"`
	AgreementSD   float64 `json:"agreement_sd"`
}

// BenignSummary is the false alarms on one defence over every seed.
type BenignSummary struct {
	Defence string `json:"defence"`
	Clients int    `json:"clients"` // benign clients over all seeds
	Flagged int    `json:"flagged"`
}

// Summarise folds reports that ran the same attacks and defences.
func Summarise(reps []*Report) *Summary {
	s := &Summary{Reports: reps}
	for _, r := range reps {
		s.Seeds = append(s.Seeds, r.Config.Seed)
	}
	if len(reps) == 0 {
		return s
	}
	for i, a := range reps[0].Attacks {
		as := AttackSummary{Attack: a.Attack, Defence: a.Defence, Runs: len(reps)}
		var agree []float64
		for _, r := range reps {
			x := r.Attacks[i]
			agree = append(agree, x.Agreement)
			if x.Detected {
				as.Detected++
				as.WorstFlag = max(as.WorstFlag, x.FirstFlag)
			}
		}
		as.AgreementMean, as.AgreementSD = meanSD(agree)
		s.Attacks = append(s.Attacks, as)
	}
	for i, b := range reps[0].Benign {
		bs := BenignSummary{Defence: b.Defence}
		for _, r := range reps {
			bs.Clients += r.Benign[i].Clients
			bs.Flagged += r.Benign[i].Flagged
		}
		s.Benign = append(s.Benign, bs)
	}
	return s
}

func meanSD(x []float64) (mean, sd float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	if len(x) < 2 {
		return mean, 0
	}
	for _, v := range x {
		sd += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(sd / float64(len(x)-1))
}

// Markdown writes the summary as tables.
func (s *Summary) Markdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## Extraction evaluation over %d seeds %v\n\n", len(s.Seeds), s.Seeds)
	b.WriteString("| attack | defence | detected | latest first flag | surrogate agreement (mean ± sd) |\n|---|---|---:|---:|---:|\n")
	for _, a := range s.Attacks {
		worst := "-"
		if a.Detected > 0 {
			worst = fmt.Sprint(a.WorstFlag)
		}
		fmt.Fprintf(&b, "| %s | %s | %d/%d | %s | %.3f ± %.3f |\n", a.Attack, a.Defence, a.Detected, a.Runs, worst, a.AgreementMean, a.AgreementSD)
	}
	b.WriteString("\n| defence | benign clients (all seeds) | false alarms |\n|---|---:|---:|\n")
	for _, c := range s.Benign {
		fmt.Fprintf(&b, "| %s | %d | %d |\n", c.Defence, c.Clients, c.Flagged)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
