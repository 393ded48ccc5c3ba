package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/scan"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from current output")

func TestTextGolden(t *testing.T) {
	cases := []struct {
		name string
		r    *scan.Report
		o    Options
	}{
		{"empty", emptyReport(), Options{}},
		{"mixed", mixedReport(), Options{}},
		{"mixed-verbose", mixedReport(), Options{Verbose: true}},
		{"mixed-color", mixedReport(), Options{Color: true}},
		{"mixed-high", mixedReport(), Options{MinSeverity: finding.High}},
		{"hostile", hostileReport(), Options{Verbose: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := render(t, c.r, Text, c.o)
			golden(t, filepath.Join("testdata", "text-"+c.name+".golden"), got)
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (rerun with -update if the change is intended)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// findingRow matches the first line of any rendered finding.
var findingRow = regexp.MustCompile(`^  (CRITICAL|HIGH|MEDIUM|LOW|INFO) +MW\d+ `)

// TestTextKeepsEveryFinding fails if the text renderer drops, merges or
// invents a finding: each one must appear exactly once, with its severity,
// rule, location and message, and there must be no other finding rows.
func TestTextKeepsEveryFinding(t *testing.T) {
	r := mixedReport()
	lines := strings.Split(string(render(t, r, Text, Options{})), "\n")
	total := 0
	for _, f := range r.Files {
		for _, fd := range f.Findings {
			total++
			row := regexp.MustCompile("^  " + strings.ToUpper(fd.Severity.String()) + " +" + fd.Rule + "  " +
				regexp.QuoteMeta(where(fd.Location, f.Path)) + " *  " + regexp.QuoteMeta(fd.Message) + "$")
			if n := countMatches(lines, row); n != 1 {
				t.Errorf("%s at %s appears %d times", fd.Rule, fd.Location, n)
			}
		}
	}
	if n := countMatches(lines, findingRow); n != total {
		t.Errorf("%d finding rows, want %d", n, total)
	}
}

func countMatches(lines []string, re *regexp.Regexp) int {
	n := 0
	for _, l := range lines {
		if re.MatchString(l) {
			n++
		}
	}
	return n
}

func TestTextSeverityFilterStillCounts(t *testing.T) {
	out := string(render(t, mixedReport(), Text, Options{MinSeverity: finding.Critical}))
	for _, want := range []string{
		"findings: 10 (2 critical, 3 high, 1 medium, 2 low, 2 info)",
		"8 findings below critical not shown",
		"Summary: 6 files",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "MW104") {
		t.Error("a high finding was shown with MinSeverity critical")
	}
	// A not-inspected file stays visible even when all its findings are hidden.
	if !strings.Contains(out, pathBundle) || !strings.Contains(out, pathBroken) {
		t.Error("a file that is not clean vanished from filtered output")
	}
}

func TestTextCleanFilesOnlyWhenVerbose(t *testing.T) {
	quiet := string(render(t, mixedReport(), Text, Options{}))
	if strings.Contains(quiet, pathClean) {
		t.Error("clean file listed without Verbose")
	}
	if !strings.Contains(quiet, "1 clean") {
		t.Error("summary does not count the clean file")
	}
	verbose := string(render(t, mixedReport(), Text, Options{Verbose: true}))
	if n := strings.Count(verbose, pathClean); n != 1 {
		t.Errorf("clean file appears on %d lines in verbose mode, want 1", n)
	}
}

// sgr matches the colour sequences the renderer itself writes.
var sgr = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// TestTextNoTerminalControl checks that nothing a scanned file controls can
// reach the terminal as a control character, colours on or off.
func TestTextNoTerminalControl(t *testing.T) {
	for _, color := range []bool{false, true} {
		out := render(t, hostileReport(), Text, Options{Color: color, Verbose: true})
		if !color && bytes.ContainsRune(out, 0x1b) {
			t.Error("escape character in uncoloured output")
		}
		checkPrintable(t, sgr.ReplaceAllString(string(out), ""))
	}
	plain := string(render(t, mixedReport(), Text, Options{}))
	for _, r := range plain {
		if r > unicode.MaxASCII && !strings.ContainsRune(pathUnicode, r) {
			t.Errorf("non-ASCII %q in plain output that the input did not contain", r)
		}
	}
}

func checkPrintable(t *testing.T, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Error("output is not valid UTF-8")
	}
	for _, l := range strings.Split(s, "\n") {
		for _, r := range l {
			if !unicode.IsGraphic(r) {
				t.Errorf("unprintable %U in line %q", r, l)
			}
		}
	}
}

func FuzzSafe(f *testing.F) {
	for _, s := range []string{"", "plain", "a\x1bb", "\u202e", "\xff\xfe", "模型\n", `\x41`, `C:\dir`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := safe(s)
		checkPrintable(t, out)
		if strings.Contains(out, "\n") {
			t.Error("newline survived")
		}
		if isPlain(s) && out != s {
			t.Errorf("plain %q changed to %q", s, out)
		}
	})
}

func TestSizeAndDuration(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 1 << 20: "1.0 MiB", 5 << 40: "5.0 TiB"} {
		if got := size(n); got != want {
			t.Errorf("size(%d) = %q, want %q", n, got, want)
		}
	}
	if got := duration(1500e6); got != "1.50s" {
		t.Errorf("duration = %q", got)
	}
	if got := duration(250e3); got != "0.2ms" && got != "0.3ms" {
		t.Errorf("duration = %q", got)
	}
}
