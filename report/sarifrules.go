package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/framework"
	"github.com/modelward/modelward/scan"
)

type sarifRule struct {
	ID                   string              `json:"id"`
	Name                 string              `json:"name"`
	ShortDescription     sarifMessage        `json:"shortDescription"`
	FullDescription      sarifMessage        `json:"fullDescription"`
	Help                 sarifHelp           `json:"help"`
	DefaultConfiguration sarifRuleConfig     `json:"defaultConfiguration"`
	Properties           sarifRuleProperties `json:"properties"`
}

type sarifHelp struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifRuleProperties struct {
	SecuritySeverity string   `json:"security-severity"`
	Tags             []string `json:"tags"`
}

// catalogue is driver.rules plus an index from rule ID to position.
//
// It lists every rule in the catalogue, not only those with results: the
// list is short, ruleIndex then stays the same from run to run, and a
// reader of a clean report can still see which rules were checked. A
// finding whose rule is missing from this build's catalogue gets a stub
// descriptor rather than being dropped.
type catalogue struct {
	rules []sarifRule
	index map[string]int
}

func newCatalogue(r *scan.Report) *catalogue {
	c := &catalogue{index: make(map[string]int)}
	for _, rule := range finding.Rules() {
		c.add(ruleDescriptor(rule))
	}
	for _, id := range unknownRules(r) {
		c.add(stubDescriptor(id, r))
	}
	return c
}

func (c *catalogue) add(d sarifRule) {
	c.index[d.ID] = len(c.rules)
	c.rules = append(c.rules, d)
}

func ruleDescriptor(r finding.Rule) sarifRule {
	return sarifRule{
		ID:                   r.ID,
		Name:                 r.Name,
		ShortDescription:     sarifMessage{Text: r.Title},
		FullDescription:      sarifMessage{Text: r.Rationale},
		Help:                 sarifHelp{Text: helpText(r), Markdown: helpMarkdown(r)},
		DefaultConfiguration: sarifRuleConfig{Level: level(r.Severity)},
		Properties:           sarifRuleProperties{SecuritySeverity: securitySeverity(r.Severity), Tags: tags(r.Refs)},
	}
}

// unknownRules returns, sorted, the rule IDs used by findings but missing
// from the catalogue: a newer analyser than renderer, or a typo upstream.
func unknownRules(r *scan.Report) []string {
	var ids []string
	for _, f := range r.Findings() {
		if _, ok := finding.Lookup(f.Rule); !ok && !slices.Contains(ids, f.Rule) {
			ids = append(ids, f.Rule)
		}
	}
	slices.Sort(ids)
	return ids
}

// stubDescriptor describes an unknown rule from its findings, at the
// highest severity they carry.
func stubDescriptor(id string, r *scan.Report) sarifRule {
	sev := finding.Info
	for _, f := range r.Findings() {
		if f.Rule == id {
			sev = max(sev, clampSeverity(f.Severity))
		}
	}
	return ruleDescriptor(finding.Rule{
		ID: id, Name: id, Severity: sev,
		Title:     fmt.Sprintf("Rule %s is not in this build's catalogue", id),
		Rationale: "A finding names a rule this build of modelward does not describe; it is reported as found rather than dropped.",
	})
}

func helpText(r finding.Rule) string {
	var b strings.Builder
	b.WriteString(r.Title + ".\n\n" + r.Rationale + "\n")
	if len(r.Refs) > 0 {
		b.WriteString("\nReferences:\n")
	}
	for _, ref := range r.Refs {
		fmt.Fprintf(&b, "- %s %s: %s", ref.Framework, ref.ID, ref.Name)
		if ref.URL != "" {
			b.WriteString(" <" + ref.URL + ">")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func helpMarkdown(r finding.Rule) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s.**\n\n%s\n", r.Title, r.Rationale)
	if len(r.Refs) > 0 {
		b.WriteString("\n**References**\n\n")
	}
	for _, ref := range r.Refs {
		label := fmt.Sprintf("%s %s: %s", ref.Framework, ref.ID, ref.Name)
		if ref.URL != "" {
			label = "[" + label + "](" + ref.URL + ")"
		}
		b.WriteString("- " + label + "\n")
	}
	return b.String()
}

// tags are "security" (which makes GitHub read security-severity) and the
// framework IDs, so alerts can be filtered by ATLAS technique or OWASP entry.
func tags(refs []framework.Ref) []string {
	out := []string{"security"}
	for _, r := range refs {
		if !slices.Contains(out, r.ID) {
			out = append(out, r.ID)
		}
	}
	return out
}

// level maps a severity to a SARIF level as GitHub shows them.
func level(s finding.Severity) string {
	switch clampSeverity(s) {
	case finding.Critical, finding.High:
		return "error"
	case finding.Medium:
		return "warning"
	}
	return "note"
}

// securitySeverity is the CVSS-like score GitHub buckets into its own
// critical (>= 9.0), high (7.0-8.9), medium (4.0-6.9) and low (0.1-3.9).
func securitySeverity(s finding.Severity) string {
	return [...]string{"0.0", "3.0", "5.5", "8.0", "9.5"}[clampSeverity(s)]
}
