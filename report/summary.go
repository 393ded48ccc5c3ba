package report

import (
	"slices"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/scan"
)

// verdictOrder lists verdicts worst first: the order people read them in.
var verdictOrder = []scan.Verdict{
	scan.Malicious, scan.Suspicious, scan.NotInspected,
	scan.Failed, scan.Unrecognised, scan.Clean,
}

// severityOrder lists severities highest first.
var severityOrder = []finding.Severity{
	finding.Critical, finding.High, finding.Medium, finding.Low, finding.Info,
}

// tally counts a whole report. Every renderer's summary comes from here,
// so text and JSON can never disagree about what was found.
type tally struct {
	files      int
	bytes      int64
	findings   int
	verdicts   map[scan.Verdict]int
	severities map[finding.Severity]int
}

func count(r *scan.Report) tally {
	t := tally{
		files:      len(r.Files),
		bytes:      r.Bytes,
		verdicts:   make(map[scan.Verdict]int),
		severities: make(map[finding.Severity]int),
	}
	for _, v := range verdictOrder {
		t.verdicts[v] = 0
	}
	for _, f := range r.Files {
		t.verdicts[f.Verdict]++
		for _, fd := range f.Findings {
			t.findings++
			t.severities[clampSeverity(fd.Severity)]++
		}
	}
	return t
}

// verdictKeys returns the known verdicts in order, then any verdict the
// scanner produced that this package does not know yet, sorted, so a new
// verdict shows up instead of vanishing from the summary.
func (t tally) verdictKeys() []scan.Verdict {
	keys := slices.Clone(verdictOrder)
	var extra []scan.Verdict
	for v := range t.verdicts {
		if !slices.Contains(verdictOrder, v) {
			extra = append(extra, v)
		}
	}
	slices.Sort(extra)
	return append(keys, extra...)
}
