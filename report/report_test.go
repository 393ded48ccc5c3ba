package report

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/modelward/modelward/scan"
)

func render(t *testing.T, r *scan.Report, f Format, o Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, r, f, o); err != nil {
		t.Fatalf("Write %s: %v", f, err)
	}
	return b.Bytes()
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"text": Text, "JSON": JSON, " sarif ": SARIF} {
		got, err := ParseFormat(in)
		if err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "xml", "sarif2"} {
		if _, err := ParseFormat(in); err == nil {
			t.Errorf("ParseFormat(%q) accepted an unknown format", in)
		}
	}
}

func TestWriteRejects(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, nil, Text, Options{}); err == nil {
		t.Error("a nil report was rendered")
	}
	if err := Write(&b, emptyReport(), "xml", Options{}); err == nil || !strings.Contains(err.Error(), "xml") {
		t.Errorf("unknown format: err = %v", err)
	}
}

type failWriter struct{}

var errDiskFull = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestWriteReportsWriterErrors(t *testing.T) {
	for _, f := range Formats() {
		if err := Write(failWriter{}, mixedReport(), f, Options{}); !errors.Is(err, errDiskFull) {
			t.Errorf("%s: err = %v, want %v", f, err, errDiskFull)
		}
	}
}

// TestWriteLeavesReportAlone renders one report in every format at once
// (run with -race) and checks it was neither reordered nor changed.
func TestWriteLeavesReportAlone(t *testing.T) {
	r, want := mixedReport(), mixedReport()
	var wg sync.WaitGroup
	for _, f := range Formats() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := Write(new(bytes.Buffer), r, f, Options{Verbose: true}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if !reflect.DeepEqual(r, want) {
		t.Error("rendering changed the report")
	}
}
