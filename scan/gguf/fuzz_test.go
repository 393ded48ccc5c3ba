package gguf

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/modelward/modelward/finding"
)

// FuzzGGUF checks that no input makes Check panic or hang, that findings
// stay bounded, and that offsets stay inside the file.
func FuzzGGUF(f *testing.F) {
	for _, dir := range []string{"benign", "malicious"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.gguf"))
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, fs, err := Check(bytes.NewReader(data), int64(len(data)), Config{MaxStringBytes: 1 << 20, MaxCount: 1 << 16})
		if err != nil {
			if res != nil || len(fs) != 0 {
				t.Fatalf("error %v with results", err)
			}
			return
		}
		if len(fs) > maxFindings+1 {
			t.Fatalf("%d findings", len(fs))
		}
		for _, x := range fs {
			if x.Location.Offset > int64(len(data)) && x.Rule != finding.TemplateInjection {
				t.Fatalf("offset %d past the %d-byte file: %+v", x.Location.Offset, len(data), x)
			}
		}
		if res.Tensors < 0 || res.Tensors > len(data) {
			t.Fatalf("tensor count %d", res.Tensors)
		}
	})
}
