// Package report renders a scan.Report for people (text), for programs
// (JSON, with a versioned schema) and for code-scanning services (SARIF
// 2.1.0). Renderers never change the report they are given and never drop
// a finding: filtering by severity is a text-only convenience, and the
// summary always counts everything.
package report

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/scan"
)

// Format names an output format.
type Format string

// The output formats.
const (
	Text  Format = "text"
	JSON  Format = "json"
	SARIF Format = "sarif"
)

// Formats lists every format, in the order the CLI offers them.
func Formats() []Format { return []Format{Text, JSON, SARIF} }

// ParseFormat reads a format name, case-insensitively.
func ParseFormat(s string) (Format, error) {
	name := Format(strings.ToLower(strings.TrimSpace(s)))
	for _, f := range Formats() {
		if f == name {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown output format %q: use one of text, json, sarif", s)
}

// Options tune rendering. The zero value is plain text with every finding.
type Options struct {
	// ToolVersion is modelward's version, written into JSON and SARIF.
	ToolVersion string
	// Color enables ANSI colours in text output. The CLI sets it only when
	// stdout is a terminal and NO_COLOR is unset.
	Color bool
	// Verbose lists clean files and the streams inspected in each file.
	Verbose bool
	// MinSeverity hides text findings below it; JSON and SARIF always
	// carry every finding, since programs filter better than people.
	MinSeverity finding.Severity
	// BaseDir is the root SARIF URIs are made relative to (%SRCROOT%);
	// empty means the current directory.
	BaseDir string
}

// Write renders r to w in format f.
func Write(w io.Writer, r *scan.Report, f Format, o Options) error {
	if r == nil {
		return errors.New("report: no scan report to render")
	}
	switch f {
	case Text:
		return writeText(w, r, o)
	case JSON:
		return writeJSON(w, r, o)
	case SARIF:
		return writeSARIF(w, r, o)
	}
	return fmt.Errorf("report: unknown output format %q: use one of text, json, sarif", string(f))
}

// sortedFindings returns a sorted copy of a file's findings, so rendering
// never reorders the caller's slice (reports may be shared between
// goroutines, for example rendered in two formats at once).
func sortedFindings(fs []finding.Finding) []finding.Finding {
	out := append([]finding.Finding(nil), fs...)
	finding.Sort(out)
	return out
}

// clampSeverity keeps a severity inside the five documented words. A value
// outside them is a bug upstream; rendering the nearest bound keeps every
// document valid against its schema instead of emitting "severity(7)".
func clampSeverity(s finding.Severity) finding.Severity {
	return max(finding.Info, min(s, finding.Critical))
}
