package eval

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Markdown writes the report as tables.
func (r *Report) Markdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## Extraction evaluation: the digits model through the gateway\n\n")
	fmt.Fprintf(&b, "Victim accuracy on the %d held-out rows: %.3f. Seed %d; %d queries per attacker; "+
		"%d benign clients × %d queries per defence; detectors PRADA, Blacklight and signals, policy log.\n\n",
		r.HeldOut, r.VictimAccuracy, r.Config.Seed, r.Config.Queries, r.Config.BenignClients, r.Config.BenignQueries)
	b.WriteString("| attack | defence | queries | detected | by | first flag at query | each detector's first flag | surrogate agreement |\n")
	b.WriteString("|---|---|---:|---|---|---:|---|---:|\n")
	for _, a := range r.Attacks {
		det, by, at := "no", "-", "-"
		if a.Detected {
			det, by, at = "yes", a.Detector, fmt.Sprint(a.FirstFlag)
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %s | %s | %s | %.3f |\n", a.Attack, a.Defence, a.Queries, det, by, at, perDetector(a.ByDetector), a.Agreement)
	}
	b.WriteString("\n| defence | benign clients | queries each | false alarms | by |\n|---|---:|---:|---:|---|\n")
	for _, c := range r.Benign {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %s |\n", c.Defence, c.Clients, c.Queries, c.Flagged, perDetector(c.Detectors))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// perDetector prints "name n, ..." sorted by name, or "-".
func perDetector(m map[string]int) string {
	if len(m) == 0 {
		return "-"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
