package scan

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/policy"
)

// fuzzNames are the names a fuzzed stream goes by: formats without a
// magic number are recognised by name, so the name is part of the input.
var fuzzNames = []string{"fuzz.bin", "model.onnx", "saved_model.pb", "keras_metadata.pb", "fingerprint.pb",
	"tokenizer_config.json", "chat_template.jinja"}

// fuzzSeedName picks the name a seed file is scanned under.
func fuzzSeedName(p string) uint8 {
	switch {
	case filepath.Ext(p) == ".onnx":
		return 1
	case filepath.Base(p) == "keras_metadata.pb":
		return 3
	case filepath.Base(p) == "fingerprint.pb":
		return 4
	case filepath.Ext(p) == ".pb":
		return 2
	case filepath.Ext(p) == ".jinja":
		return 6
	}
	return 0
}

// FuzzInspect drives the whole dispatcher (detection by name and content,
// every container and decompressor, and every format analyser) with small
// limits. It must never panic or hang, and every finding must name a known
// rule.
func FuzzInspect(f *testing.F) {
	for _, pat := range []string{"../testdata/corpus/*/*/*", "testdata/redteam/*", "compress/testdata/*", "npy/testdata/*",
		"safetensors/testdata/*/*", "../testdata/archives/*", "../testdata/keras/*/*", "onnx/testdata/*/*", "gguf/testdata/*/*",
		"tensorflow/testdata/*/*", "jinja/testdata/malicious/*", "hdf5/testdata/*.h5"} {
		files, _ := filepath.Glob(pat)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
				f.Add(fuzzSeedName(p), b)
			}
		}
	}
	pol := policy.Default()
	pol.Limits.MaxDecompressedBytes = 8 << 20
	pol.Limits.MaxTotalBytes = 32 << 20
	pol.Limits.MaxPickleOps = 200_000
	pol.Limits.MaxArchiveMembers = 200
	pol.Limits.MaxNestedBytes = 1 << 20
	f.Fuzz(func(t *testing.T, name uint8, b []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		j := newJob(ctx, pol, fuzzNames[int(name)%len(fuzzNames)], "")
		j.inspectAt(bytes.NewReader(b), int64(len(b)), nil, 0, roleFile)
		for _, x := range j.findings {
			if _, ok := finding.Lookup(x.Rule); !ok {
				t.Fatalf("unknown rule %s", x.Rule)
			}
		}
	})
}
