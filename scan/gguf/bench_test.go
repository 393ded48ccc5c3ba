package gguf

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/modelward/modelward/finding"
)

// BenchmarkCheckLarge checks a sparse 10 GB GGUF file: the llama fixture
// (header, tensor infos, tensors) followed by 10 GB of sparse zeros. The
// time must match that of the small fixture: no tensor bytes are read.
func BenchmarkCheckLarge(b *testing.B) {
	const size = 10 << 30
	data, err := os.ReadFile("testdata/benign/llama_v3_align32.gguf")
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "large.gguf")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.Truncate(path, size); err != nil {
		b.Skip("sparse files unsupported:", err)
	}
	fh, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer fh.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, fs, err := Check(fh, size, Config{Location: finding.Location{Path: path}})
		if err != nil || len(fs) != 0 || res.Tensors != 5 {
			b.Fatalf("%v %+v %+v", err, fs, res)
		}
	}
}
