package report

import (
	"encoding/json"
	"io"
	"math"
	"time"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/scan"
)

// SchemaVersion is the version of the JSON report format, described by
// JSONSchema and docs/json-report.md. Additive changes bump the minor
// version, breaking changes the major; consumers check the major.
const SchemaVersion = "1.1.0"

// The JSON document has its own types rather than reusing finding's and
// scan's struct tags: the format is a published contract, and a field added
// to an internal type must not leak into it without a schema change.
type jsonReport struct {
	SchemaVersion string      `json:"schemaVersion"`
	Tool          jsonTool    `json:"tool"`
	Files         []jsonFile  `json:"files"`
	Models        []jsonModel `json:"models,omitempty"`
	Summary       jsonSummary `json:"summary"`
}

type jsonModel struct {
	Model    string `json:"model"`
	Files    int    `json:"files"`
	Bytes    int64  `json:"bytes"`
	Verdict  string `json:"verdict"`
	Findings int    `json:"findings"`
}

type jsonTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type jsonFile struct {
	Path       string        `json:"path"`
	Model      string        `json:"model,omitempty"`
	Size       int64         `json:"size"`
	Format     string        `json:"format"`
	Verdict    string        `json:"verdict"`
	DurationMs float64       `json:"durationMs"`
	Findings   []jsonFinding `json:"findings"`
	Streams    []string      `json:"streams"`
	Error      string        `json:"error,omitempty"`
}

type jsonFinding struct {
	Rule       string       `json:"rule"`
	Name       string       `json:"name,omitempty"`
	Severity   string       `json:"severity"`
	Location   jsonLocation `json:"location"`
	Message    string       `json:"message"`
	Evidence   jsonEvidence `json:"evidence"`
	References []jsonRef    `json:"references"`
}

type jsonLocation struct {
	Path   string   `json:"path"`
	Member []string `json:"member"`
	Offset int64    `json:"offset"`
}

type jsonEvidence struct {
	Import string   `json:"import,omitempty"`
	Call   string   `json:"call,omitempty"`
	Args   []string `json:"args,omitempty"`
	Detail string   `json:"detail,omitempty"`
}

type jsonRef struct {
	Framework string `json:"framework"`
	ID        string `json:"id"`
	Name      string `json:"name"`
	URL       string `json:"url,omitempty"`
}

type jsonSummary struct {
	Files      int            `json:"files"`
	Bytes      int64          `json:"bytes"`
	Findings   int            `json:"findings"`
	DurationMs float64        `json:"durationMs"`
	Verdicts   map[string]int `json:"verdicts"`
	Severities map[string]int `json:"severities"`
}

func writeJSON(w io.Writer, r *scan.Report, o Options) error {
	doc := jsonReport{
		SchemaVersion: SchemaVersion,
		Tool:          jsonTool{Name: "modelward", Version: o.ToolVersion},
		Files:         make([]jsonFile, 0, len(r.Files)),
		Summary:       jsonSummaryOf(count(r), r.Duration),
	}
	for i := range r.Files {
		doc.Files = append(doc.Files, jsonFileOf(&r.Files[i]))
	}
	for _, m := range r.Models {
		doc.Models = append(doc.Models, jsonModel{Model: m.Model, Files: m.Files, Bytes: m.Bytes, Verdict: string(m.Verdict), Findings: m.Findings})
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // "<lambda>" reads better than "\u003clambda\u003e"
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

func jsonFileOf(f *scan.FileResult) jsonFile {
	out := jsonFile{
		Path:       f.Path,
		Model:      f.Model,
		Size:       f.Size,
		Format:     f.Format,
		Verdict:    string(f.Verdict),
		DurationMs: millis(f.Duration),
		Findings:   make([]jsonFinding, 0, len(f.Findings)),
		Streams:    nonNil(f.Streams),
		Error:      f.Error,
	}
	for _, fd := range sortedFindings(f.Findings) {
		out.Findings = append(out.Findings, jsonFindingOf(fd))
	}
	return out
}

func jsonFindingOf(f finding.Finding) jsonFinding {
	out := jsonFinding{
		Rule:     f.Rule,
		Severity: clampSeverity(f.Severity).String(),
		Location: jsonLocation{
			Path:   f.Location.Path,
			Member: nonNil(f.Location.Member),
			Offset: max(f.Location.Offset, -1),
		},
		Message: f.Message,
		Evidence: jsonEvidence{
			Import: f.Evidence.Import, Call: f.Evidence.Call,
			Args: f.Evidence.Args, Detail: f.Evidence.Detail,
		},
		References: []jsonRef{},
	}
	if rule, ok := finding.Lookup(f.Rule); ok {
		out.Name = rule.Name
		for _, ref := range rule.Refs {
			// A conversion, not a copy by field: should framework.Ref grow
			// a field, this stops compiling until the schema decides.
			out.References = append(out.References, jsonRef(ref))
		}
	}
	return out
}

func jsonSummaryOf(t tally, d time.Duration) jsonSummary {
	s := jsonSummary{
		Files: t.files, Bytes: t.bytes, Findings: t.findings, DurationMs: millis(d),
		Verdicts:   make(map[string]int),
		Severities: make(map[string]int),
	}
	for _, v := range t.verdictKeys() {
		s.Verdicts[string(v)] = t.verdicts[v]
	}
	for _, sev := range severityOrder {
		s.Severities[sev.String()] = t.severities[sev]
	}
	return s
}

// millis renders a duration in milliseconds to microsecond precision: fine
// enough for profiling, short enough to read.
func millis(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}

// nonNil makes absent lists render as [] so consumers never see null.
func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}
