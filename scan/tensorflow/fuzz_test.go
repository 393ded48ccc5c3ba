package tensorflow

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/modelward/modelward/finding"
)

func seed(f *testing.F, pattern string) {
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds for %s", pattern)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// checkBounded asserts what every check must guarantee on any input: known
// rules, a capped finding list, and an op histogram no larger than the
// node bound.
func checkBounded(t *testing.T, res *Result, fs []finding.Finding) {
	if len(fs) > maxFindings+1 {
		t.Fatalf("%d findings", len(fs))
	}
	for _, f := range fs {
		if _, ok := finding.Lookup(f.Rule); !ok || f.Message == "" {
			t.Fatalf("bad finding %+v", f)
		}
	}
	total := 0
	for _, n := range res.Ops {
		total += n
	}
	if total > maxNodes {
		t.Fatalf("%d ops counted", total)
	}
}

// FuzzSavedModel runs every protobuf check on arbitrary bytes.
func FuzzSavedModel(f *testing.F) {
	seed(f, "testdata/*/*.pb")
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := Config{MaxBytes: 1 << 20}
		res, fs := CheckSavedModel(bytes.NewReader(data), int64(len(data)), cfg)
		checkBounded(t, res, fs)
		res, fs = CheckKerasMetadata(bytes.NewReader(data), int64(len(data)), cfg)
		checkBounded(t, res, fs)
		if len(res.KerasMetadata) > maxKerasDocs {
			t.Fatalf("%d documents", len(res.KerasMetadata))
		}
		checkBounded(t, &Result{}, CheckFingerprint(bytes.NewReader(data), int64(len(data)), cfg))
	})
}

// FuzzTFLite runs the flatbuffer walk on arbitrary bytes; a file that is
// not clean must never pass silently when it is structurally broken, and no
// offset may be followed outside the file (bytes.Reader would error, the
// walker must turn that into a finding, not a panic).
func FuzzTFLite(f *testing.F) {
	seed(f, "testdata/*/*.tflite")
	f.Fuzz(func(t *testing.T, data []byte) {
		res, fs := CheckTFLite(bytes.NewReader(data), int64(len(data)), Config{})
		checkBounded(t, res, fs)
		if !IsTFLite(data) && len(fs) == 0 {
			t.Fatal("a file without the TFL3 identifier came out clean")
		}
	})
}
