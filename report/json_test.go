package report

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/scan"
)

func TestJSONValidates(t *testing.T) {
	s := compileSchema(t, JSONSchema())
	for name, r := range map[string]*scan.Report{
		"empty": emptyReport(), "mixed": mixedReport(), "hostile": hostileReport(), "unknown-rule": unknownRuleReport(),
	} {
		t.Run(name, func(t *testing.T) {
			validate(t, s, render(t, r, JSON, Options{ToolVersion: "1.2.3"}))
		})
	}
}

// TestJSONSchemaRejectsDrift makes sure the schema is strict enough to
// catch an undocumented field or a wrong version, so it cannot silently
// fall behind the output.
func TestJSONSchemaRejectsDrift(t *testing.T) {
	s := compileSchema(t, JSONSchema())
	good := render(t, mixedReport(), JSON, Options{})
	for _, edit := range [][2]string{
		{`"schemaVersion": "1.1.0"`, `"schemaVersion": "2.0.0"`},
		{`"rule": "MW101"`, `"rule": "MW101", "extra": 1`},
		{`"severity": "critical"`, `"severity": "fatal"`},
		{`"offset": 52`, `"offset": -2`},
	} {
		bad := strings.Replace(string(good), edit[0], edit[1], 1)
		if bad == string(good) {
			t.Fatalf("fixture lacks %s", edit[0])
		}
		v := mustUnmarshal(t, []byte(bad))
		if s.Validate(v) == nil {
			t.Errorf("schema accepted %s", edit[1])
		}
	}
}

func mustUnmarshal(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func decodeJSON(t *testing.T, r *scan.Report, o Options) jsonReport {
	t.Helper()
	var doc jsonReport
	if err := json.Unmarshal(render(t, r, JSON, o), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestJSONKeepsEveryFinding compares the findings in the document with the
// report's, field by field, in the order finding.Sort gives.
func TestJSONKeepsEveryFinding(t *testing.T) {
	r := mixedReport()
	doc := decodeJSON(t, r, Options{MinSeverity: finding.Critical}) // ignored by JSON
	if len(doc.Files) != len(r.Files) {
		t.Fatalf("%d files, want %d", len(doc.Files), len(r.Files))
	}
	for i, f := range r.Files {
		want := sortedFindings(f.Findings)
		got := doc.Files[i].Findings
		if len(got) != len(want) {
			t.Errorf("%s: %d findings, want %d", f.Path, len(got), len(want))
			continue
		}
		for j := range want {
			if a, b := findingKey(want[j]), jsonKey(got[j]); a != b {
				t.Errorf("%s finding %d:\n got %s\nwant %s", f.Path, j, b, a)
			}
		}
	}
}

func findingKey(f finding.Finding) string {
	e := f.Evidence
	return fmt.Sprintf("%s|%s|%s|%q|%d|%s|%s|%s|%q|%s", f.Rule, f.Severity, f.Location.Path, f.Location.Member,
		f.Location.Offset, f.Message, e.Import, e.Call, e.Args, e.Detail)
}

func jsonKey(f jsonFinding) string {
	e := f.Evidence
	return fmt.Sprintf("%s|%s|%s|%q|%d|%s|%s|%s|%q|%s", f.Rule, f.Severity, f.Location.Path, f.Location.Member,
		f.Location.Offset, f.Message, e.Import, e.Call, e.Args, e.Detail)
}

func TestJSONReferencesAndSummary(t *testing.T) {
	doc := decodeJSON(t, mixedReport(), Options{ToolVersion: "v0.3.0"})
	if doc.SchemaVersion != SchemaVersion || doc.Tool != (jsonTool{"modelward", "v0.3.0"}) {
		t.Errorf("header = %q %+v", doc.SchemaVersion, doc.Tool)
	}
	first := doc.Files[0].Findings[0]
	rule, _ := finding.Lookup(finding.PickleDangerous)
	if first.Rule != rule.ID || first.Name != rule.Name || len(first.References) != len(rule.Refs) {
		t.Fatalf("first finding %+v does not carry %s's name and references", first, rule.ID)
	}
	for i, ref := range rule.Refs {
		if first.References[i] != jsonRef(ref) {
			t.Errorf("reference %d = %+v, want %+v", i, first.References[i], ref)
		}
	}
	want := jsonSummary{
		Files: 6, Bytes: mixedReport().Bytes, Findings: 10, DurationMs: 1500,
		Verdicts:   map[string]int{"clean": 1, "suspicious": 1, "malicious": 1, "not-inspected": 1, "unrecognised": 1, "error": 1},
		Severities: map[string]int{"critical": 2, "high": 3, "medium": 1, "low": 2, "info": 2},
	}
	if !reflect.DeepEqual(doc.Summary, want) {
		t.Errorf("summary = %+v\nwant %+v", doc.Summary, want)
	}
}

func TestJSONEmptyListsAreArrays(t *testing.T) {
	out := string(render(t, &scan.Report{Files: []scan.FileResult{{Path: "a", Verdict: scan.Clean}}}, JSON, Options{}))
	if strings.Contains(out, "null") {
		t.Errorf("null in output:\n%s", out)
	}
	out = string(render(t, emptyReport(), JSON, Options{}))
	if !strings.Contains(out, `"files": []`) {
		t.Errorf("empty report lacks files: []:\n%s", out)
	}
}

func TestJSONUnknownRule(t *testing.T) {
	doc := decodeJSON(t, unknownRuleReport(), Options{})
	f := doc.Files[0].Findings[0]
	if f.Rule != "MW999" || f.Name != "" || f.References == nil || len(f.References) != 0 {
		t.Errorf("unknown rule rendered as %+v", f)
	}
}

func TestJSONSeverityClamped(t *testing.T) {
	r := &scan.Report{Files: []scan.FileResult{{Path: "a", Verdict: scan.Malicious, Findings: []finding.Finding{
		fnd(finding.PickleDangerous, finding.Critical+3, loc("a", -1), "x", finding.Evidence{}),
	}}}}
	doc := decodeJSON(t, r, Options{})
	if got := doc.Files[0].Findings[0].Severity; got != "critical" {
		t.Errorf("severity %q", got)
	}
	if !slices.Equal(doc.Files[0].Findings[0].Location.Member, []string{}) {
		t.Error("member is not an empty list")
	}
}

// TestJSONDocExample keeps the example in docs/json-report.md valid
// against the schema, so the page cannot drift from the contract.
func TestJSONDocExample(t *testing.T) {
	doc := string(readFile(t, "..", "docs", "json-report.md"))
	start := strings.Index(doc, "```json\n")
	end := strings.Index(doc[start+1:], "\n```")
	if start < 0 || end < 0 {
		t.Fatal("docs/json-report.md has no JSON example")
	}
	validate(t, compileSchema(t, JSONSchema()), []byte(doc[start+len("```json\n"):start+1+end]))
	if !strings.Contains(doc, "Current schema version: **"+SchemaVersion+"**") {
		t.Errorf("docs/json-report.md does not state schema version %s", SchemaVersion)
	}
}
