package keras

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/modelward/modelward/finding"
)

func addFiles(f *testing.F, pattern string) {
	files, _ := filepath.Glob(pattern)
	if len(files) == 0 {
		f.Fatalf("no seed files match %s", pattern)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// FuzzCheckConfig checks that no document makes CheckConfig panic or
// produce unbounded or malformed findings.
func FuzzCheckConfig(f *testing.F) {
	addFiles(f, "testdata/benign/*.json")
	addFiles(f, "testdata/malicious/*.json")
	base := finding.Location{Path: "f", Member: []string{"a"}, Offset: -1}
	f.Fuzz(func(t *testing.T, data []byte) {
		fs := CheckConfig(data, "config.json", Config{Location: base})
		if len(fs) > maxFindings+1 {
			t.Fatalf("%d findings", len(fs))
		}
		for _, x := range fs {
			if x.Rule == "" || x.Message == "" || x.Location.Path != "f" || len(x.Location.Member) < 2 {
				t.Fatalf("malformed finding %+v", x)
			}
			if x.Location.Offset > int64(len(data))*2 {
				t.Fatalf("offset %d beyond a %d-byte document", x.Location.Offset, len(data))
			}
		}
		if len(base.Member) != 1 || base.Member[0] != "a" {
			t.Fatalf("base location modified")
		}
	})
}

// FuzzMarshal checks that the marshal reader never panics, and that what
// it returns is consistent.
func FuzzMarshal(f *testing.F) {
	addFiles(f, "testdata/marshal/*.marshal")
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := decodeMarshal(data)
		if err != nil {
			return
		}
		if d.top == nil || d.layout == "" {
			t.Fatalf("success without a code object: %+v", d)
		}
		rep := analyseCode(string(data)) // the raw_unicode_escape path
		if len(rep.names) > maxListedNames || len(rep.strs) > maxListedStrings {
			t.Fatalf("unbounded report")
		}
	})
}
