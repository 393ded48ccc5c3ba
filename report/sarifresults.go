package report

import (
	"fmt"
	"strings"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/scan"
)

type sarifResult struct {
	RuleID              string                `json:"ruleId"`
	RuleIndex           int                   `json:"ruleIndex"`
	Level               string                `json:"level"`
	Message             sarifMessage          `json:"message"`
	Locations           []sarifLocation       `json:"locations"`
	PartialFingerprints map[string]string     `json:"partialFingerprints"`
	Properties          sarifResultProperties `json:"properties"`
}

// sarifResultProperties keeps what SARIF has no field for: modelward's own
// severity word, the evidence, and where inside an archive the finding is.
type sarifResultProperties struct {
	Severity string        `json:"severity"`
	Evidence *jsonEvidence `json:"evidence,omitempty"`
	Member   []string      `json:"member,omitempty"`
	Offset   *int64        `json:"offset,omitempty"`
}

// results lists every finding, files in report order, findings sorted.
// It starts non-nil: SARIF distinguishes "no results" ([]) from "results
// not computed" (absent).
func results(r *scan.Report, cat *catalogue, root uriRoot) []sarifResult {
	out := []sarifResult{}
	for _, f := range r.Files {
		for _, fd := range sortedFindings(f.Findings) {
			out = append(out, result(fd, f.Path, cat, root))
		}
	}
	return out
}

func result(fd finding.Finding, filePath string, cat *catalogue, root uriRoot) sarifResult {
	path := fd.Location.Path
	if path == "" {
		path = filePath
	}
	art := root.artifact(path)
	return sarifResult{
		RuleID:    fd.Rule,
		RuleIndex: cat.index[fd.Rule],
		Level:     level(fd.Severity),
		Message:   sarifMessage{Text: resultMessage(fd, cat)},
		Locations: []sarifLocation{{
			PhysicalLocation: sarifPhysicalLocation{ArtifactLocation: art, Region: region(fd.Location)},
			LogicalLocations: logical(fd.Location),
		}},
		PartialFingerprints: map[string]string{fingerprintKey: fingerprint(fd, art.URI)},
		Properties:          resultProperties(fd),
	}
}

// resultMessage names the member and offset in the text as well, since
// code-scanning UIs show the message but not logical locations or binary
// regions. SARIF requires a non-empty message, so the rule's title stands
// in for a missing one.
func resultMessage(fd finding.Finding, cat *catalogue) string {
	msg := fd.Message
	if msg == "" {
		msg = cat.rules[cat.index[fd.Rule]].ShortDescription.Text
	}
	var parts []string
	if m := fd.Location.MemberPath(); m != "" {
		parts = append(parts, "in "+m)
	}
	if off := fd.Location.Offset; off >= 0 {
		parts = append(parts, fmt.Sprintf("at byte %d", off))
	}
	if len(parts) > 0 {
		msg += " (" + strings.Join(parts, " ") + ")"
	}
	return msg
}

// region gives the byte offset only when it is an offset into the file
// itself. For an archive member the offset is inside the decompressed
// member, which no viewer of the outer file could locate; it goes into the
// property bag instead.
func region(l finding.Location) *sarifRegion {
	if len(l.Member) > 0 || l.Offset < 0 {
		return nil
	}
	return &sarifRegion{ByteOffset: l.Offset}
}

// logical names the archive member chain, innermost member as the name.
func logical(l finding.Location) []sarifLogicalLocation {
	if len(l.Member) == 0 {
		return nil
	}
	return []sarifLogicalLocation{{Name: l.Member[len(l.Member)-1], FullyQualifiedName: l.MemberPath()}}
}

func resultProperties(fd finding.Finding) sarifResultProperties {
	p := sarifResultProperties{Severity: clampSeverity(fd.Severity).String(), Member: fd.Location.Member}
	if e := fd.Evidence; e.Import != "" || e.Call != "" || len(e.Args) > 0 || e.Detail != "" {
		p.Evidence = &jsonEvidence{Import: e.Import, Call: e.Call, Args: e.Args, Detail: e.Detail}
	}
	if off := fd.Location.Offset; off >= 0 {
		p.Offset = &off
	}
	return p
}
