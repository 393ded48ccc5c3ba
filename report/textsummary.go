package report

import (
	"fmt"
	"strings"

	"github.com/modelward/modelward/scan"
)

// summary ends the text output. It counts every file and finding, shown or
// not, so hiding low findings never makes a scan look cleaner than it was.
func (tw *textWriter) summary(t tally, r *scan.Report) {
	tw.line("%s %s, %s (%d bytes) in %s", tw.o.paint(sgrBold, "Summary:"),
		plural(t.files, "file"), size(t.bytes), t.bytes, duration(r.Duration))
	tw.line("  verdicts: %s", tw.verdictCounts(t))
	tw.line("  findings: %d (%s)", t.findings, tw.severityCounts(t))
	if tw.hidden > 0 {
		tw.line("  %s below %s not shown", plural(tw.hidden, "finding"), tw.o.MinSeverity)
	}
	if len(r.Models) > 0 {
		tw.line("  models:")
		for _, m := range r.Models {
			tw.line("    %s  %s, %s: %s, %s", safe(m.Model), plural(m.Files, "file"), size(m.Bytes),
				tw.o.paint(verdictColor[m.Verdict], strings.ToUpper(safe(string(m.Verdict)))), plural(m.Findings, "finding"))
		}
	}
}

func (tw *textWriter) verdictCounts(t tally) string {
	var parts []string
	for _, v := range t.verdictKeys() {
		s := fmt.Sprintf("%d %s", t.verdicts[v], safe(string(v)))
		if t.verdicts[v] > 0 {
			s = tw.o.paint(verdictColor[v], s)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

func (tw *textWriter) severityCounts(t tally) string {
	var parts []string
	for _, s := range severityOrder {
		p := fmt.Sprintf("%d %s", t.severities[s], s)
		if t.severities[s] > 0 {
			p = tw.o.paint(severityColor[s], p)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}
