package scan

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelward/modelward/finding"
)

// TestArchiveEscapes scans the fixtures scripts/gen_archives.py writes
// with Python's zipfile and tarfile, zstd and 7z: member names and links
// that escape the extraction folder and compression bombs are reported
// with their rule at the expected severity, and benign archives (internal
// links included) have no finding at medium or above.
func TestArchiveEscapes(t *testing.T) {
	labels := readArchiveLabels(t, "../testdata/archives/LABELS.tsv")
	s := New(Options{})
	for name, want := range labels {
		t.Run(name, func(t *testing.T) {
			res := s.ScanFile(context.Background(), filepath.Join("../testdata/archives", name))
			if want.rule == "-" {
				for _, f := range res.Findings {
					if f.Severity >= finding.Medium {
						t.Errorf("benign archive has %s %s: %s", f.Rule, f.Severity, f.Message)
					}
				}
				return
			}
			sev, err := finding.ParseSeverity(want.severity)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range res.Findings {
				if f.Rule == want.rule && f.Severity >= sev {
					return
				}
			}
			t.Errorf("want %s at %s or above; got %v", want.rule, want.severity, res.Findings)
		})
	}
}

type archiveLabel struct{ rule, severity string }

func readArchiveLabels(t *testing.T, path string) map[string]archiveLabel {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v: run /usr/bin/python3 scripts/gen_archives.py", err)
	}
	defer fh.Close()
	out := map[string]archiveLabel{}
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 3 {
			t.Fatalf("bad label line %q", sc.Text())
		}
		out[f[0]] = archiveLabel{f[1], f[2]}
	}
	if len(out) == 0 {
		t.Fatal("no labels")
	}
	return out
}
