package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/scan"
)

// textWriter renders the text format. It keeps the first write error so
// the rendering code reads straight through; Write reports it at the end.
type textWriter struct {
	w      io.Writer
	o      Options
	err    error
	hidden int // findings below o.MinSeverity, across the report
}

// writeText buffers its many short lines: the CLI writes to an unbuffered
// os.Stdout, and a scan of thousands of files should not cost a syscall a line.
func writeText(w io.Writer, r *scan.Report, o Options) error {
	bw := bufio.NewWriter(w)
	tw := &textWriter{w: bw, o: o}
	for i := range r.Files {
		tw.file(&r.Files[i])
	}
	tw.summary(count(r), r)
	if tw.err != nil {
		return tw.err
	}
	return bw.Flush()
}

func (tw *textWriter) line(format string, args ...any) {
	if tw.err == nil {
		_, tw.err = fmt.Fprintf(tw.w, format+"\n", args...)
	}
}

// file renders one file: a block when there is something to say, one line
// for a clean file in verbose mode, nothing otherwise.
func (tw *textWriter) file(f *scan.FileResult) {
	shown, hidden := tw.visible(f.Findings)
	tw.hidden += hidden
	if f.Verdict == scan.Clean && len(shown) == 0 && f.Error == "" {
		if tw.o.Verbose {
			tw.cleanLine(f)
		}
		return
	}
	tw.line("%s", tw.header(f))
	if f.Error != "" {
		tw.line("  %s %s", tw.o.paint(sgrRed, "error:"), safe(f.Error))
	}
	tw.findings(f.Path, shown)
	if hidden > 0 {
		tw.line("  (%s below %s not shown)", plural(hidden, "finding"), tw.o.MinSeverity)
	}
	if tw.o.Verbose && len(f.Streams) > 0 {
		tw.line("  streams: %s", safeJoin(f.Streams))
	}
	tw.line("")
}

// visible sorts a file's findings and splits off those below MinSeverity.
func (tw *textWriter) visible(fs []finding.Finding) (shown []finding.Finding, hidden int) {
	for _, f := range sortedFindings(fs) {
		if f.Severity >= tw.o.MinSeverity {
			shown = append(shown, f)
		} else {
			hidden++
		}
	}
	return shown, hidden
}

func (tw *textWriter) header(f *scan.FileResult) string {
	format := f.Format
	if format == "" {
		format = "unknown format"
	}
	verdict := strings.ToUpper(string(f.Verdict))
	return fmt.Sprintf("%s [%s, %s] %s", tw.o.paint(sgrBold, safe(f.Path)), safe(format),
		size(f.Size), tw.o.paint(verdictColor[f.Verdict], safe(verdict)))
}

func (tw *textWriter) cleanLine(f *scan.FileResult) {
	l := tw.header(f)
	if len(f.Streams) > 0 {
		l += ", streams: " + safeJoin(f.Streams)
	}
	tw.line("%s", l)
}

// findings renders rows aligned in columns: severity, rule, location,
// message, each followed by its evidence when there is any.
func (tw *textWriter) findings(path string, fs []finding.Finding) {
	locs := make([]string, len(fs))
	ruleW, locW := 0, 0
	for i, f := range fs {
		locs[i] = where(f.Location, path)
		ruleW = max(ruleW, utf8.RuneCountInString(safe(f.Rule)))
		locW = max(locW, utf8.RuneCountInString(locs[i]))
	}
	for i, f := range fs {
		sev := clampSeverity(f.Severity)
		word := pad(strings.ToUpper(sev.String()), len("CRITICAL"))
		tw.line("  %s  %s  %s  %s", tw.o.paint(severityColor[sev], word),
			pad(safe(f.Rule), ruleW), pad(locs[i], locW), safe(f.Message))
		if ev := evidence(f.Evidence); ev != "" {
			tw.line("  %s  %s", strings.Repeat(" ", len("CRITICAL")), tw.o.paint(sgrDim, ev))
		}
	}
}

// where renders a finding's location inside the file whose block it sits
// in: the member chain and offset, since the block header already names the
// file. A location in another file (rare) is rendered in full.
func where(l finding.Location, path string) string {
	if l.Path != path && l.Path != "" {
		return safe(l.String())
	}
	s := safe(l.MemberPath())
	if l.Offset >= 0 {
		s += fmt.Sprintf("@%d", l.Offset)
	}
	if s == "" {
		return "-"
	}
	return s
}

// evidence renders what the analyser saw on one line.
func evidence(e finding.Evidence) string {
	var parts []string
	if e.Import != "" {
		parts = append(parts, "import "+safe(e.Import))
	}
	switch c := call(e); {
	case e.Call == "" && len(e.Args) > 0:
		// Arguments without a call are what a format analyser quotes
		// (paths, names, references), not a call's arguments.
		parts = append(parts, safeJoin(e.Args))
	case c != "":
		parts = append(parts, "call "+c)
	}
	if e.Detail != "" {
		parts = append(parts, safe(e.Detail))
	}
	return strings.Join(parts, "; ")
}

// call renders the call with its arguments. Call usually already carries
// them; when it is a bare name the static arguments are appended.
func call(e finding.Evidence) string {
	switch {
	case e.Call != "" && (len(e.Args) == 0 || strings.Contains(e.Call, "(")):
		return safe(e.Call)
	case e.Call != "":
		return safe(e.Call) + "(" + safeJoin(e.Args) + ")"
	case len(e.Args) > 0:
		return "(" + safeJoin(e.Args) + ")"
	}
	return ""
}

func safeJoin(ss []string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = safe(s)
	}
	return strings.Join(out, ", ")
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
