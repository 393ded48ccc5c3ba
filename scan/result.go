package scan

import (
	"time"

	"github.com/modelward/modelward/finding"
)

// Verdict summarises one file's findings for people and for policy.
type Verdict string

const (
	// Clean: fully inspected, nothing at medium or above.
	Clean Verdict = "clean"
	// Suspicious: a medium or high finding, such as an import not verified safe.
	Suspicious Verdict = "suspicious"
	// Malicious: at least one critical finding (code execution or worse on load).
	Malicious Verdict = "malicious"
	// NotInspected: part of the content could not be inspected (encrypted,
	// malformed, or past a limit); never read this as clean.
	NotInspected Verdict = "not-inspected"
	// Unrecognised: not a model format modelward knows; nothing was analysed.
	Unrecognised Verdict = "unrecognised"
	// Failed: the file could not be read at all (an I/O error).
	Failed Verdict = "error"
)

// FileResult is everything modelward learned about one file.
type FileResult struct {
	Path string `json:"path"`
	// Model is the repository and revision the file belongs to, for files
	// of a Hugging Face cache or remote repository.
	Model    string            `json:"model,omitempty"`
	Size     int64             `json:"size"`
	Format   string            `json:"format"`
	Verdict  Verdict           `json:"verdict"`
	Findings []finding.Finding `json:"findings"`
	// Streams lists every inner stream that was analysed (archive members,
	// pickle streams), so a reader can see what "clean" covered.
	Streams []string `json:"streams,omitempty"`
	Error   string   `json:"error,omitempty"`
	// Duration is the wall time spent on this file.
	Duration time.Duration `json:"-"`
}

// Report is the result of one scan run, files in a deterministic order.
type Report struct {
	Files []FileResult `json:"files"`
	// Models summarises the files of each model (repository and
	// revision), in order of first appearance.
	Models   []ModelResult `json:"models,omitempty"`
	Bytes    int64         `json:"bytes"`
	Duration time.Duration `json:"-"`
}

// Findings returns every finding of the report in file order.
func (r *Report) Findings() []finding.Finding {
	var out []finding.Finding
	for _, f := range r.Files {
		out = append(out, f.Findings...)
	}
	return out
}

// verdictOf derives a file's verdict from its findings.
func verdictOf(fs []finding.Finding, recognised bool) Verdict {
	max, any := finding.Max(fs)
	switch {
	case any && max == finding.Critical:
		return Malicious
	case hasRule(fs, finding.NotInspected, finding.LimitReached, finding.PickleMalformed, finding.ArchiveBomb, finding.StructureInvalid):
		return NotInspected
	case any && max >= finding.Medium:
		return Suspicious
	case !recognised:
		return Unrecognised
	default:
		return Clean
	}
}

func hasRule(fs []finding.Finding, ids ...string) bool {
	for _, f := range fs {
		for _, id := range ids {
			if f.Rule == id {
				return true
			}
		}
	}
	return false
}

// ModelResult is one model's summary: its files' worst verdict and counts.
type ModelResult struct {
	Model    string  `json:"model"`
	Files    int     `json:"files"`
	Bytes    int64   `json:"bytes"`
	Verdict  Verdict `json:"verdict"`
	Findings int     `json:"findings"`
}

// verdictRank orders verdicts for a model's summary: the worst wins, and
// a model whose model files are clean is clean even though its README and
// other side files are not model formats.
var verdictRank = map[Verdict]int{Unrecognised: 0, Clean: 1, Suspicious: 2, NotInspected: 3, Failed: 4, Malicious: 5}

func summariseModels(files []FileResult) []ModelResult {
	var out []ModelResult
	index := map[string]int{}
	for _, f := range files {
		if f.Model == "" {
			continue
		}
		i, ok := index[f.Model]
		if !ok {
			i = len(out)
			index[f.Model] = i
			out = append(out, ModelResult{Model: f.Model, Verdict: Unrecognised})
		}
		m := &out[i]
		m.Files++
		m.Bytes += f.Size
		m.Findings += len(f.Findings)
		if verdictRank[f.Verdict] > verdictRank[m.Verdict] {
			m.Verdict = f.Verdict
		}
	}
	return out
}
