package source

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelward/modelward/scan"
	"github.com/modelward/modelward/scan/hf"
	"github.com/modelward/modelward/scan/hf/hubtest"
)

// gguf writes a GGUF v3 file of one F32 tensor of n elements, the tensor
// bytes left sparse.
func gguf(t testing.TB, path string, n uint64) {
	str := func(s string) []byte { return append(binary.LittleEndian.AppendUint64(nil, uint64(len(s))), s...) }
	b := []byte("GGUF")
	b = binary.LittleEndian.AppendUint32(b, 3)
	b = binary.LittleEndian.AppendUint64(b, 1) // tensors
	b = binary.LittleEndian.AppendUint64(b, 1) // metadata
	b = append(b, str("general.architecture")...)
	b = binary.LittleEndian.AppendUint32(b, 8) // string
	b = append(b, str("llama")...)
	b = append(b, str("w")...)
	b = binary.LittleEndian.AppendUint32(b, 1)
	b = binary.LittleEndian.AppendUint64(b, n)
	b = binary.LittleEndian.AppendUint32(b, 0) // F32
	b = binary.LittleEndian.AppendUint64(b, 0)
	for len(b)%32 != 0 {
		b = append(b, 0)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, int64(len(b))+int64(4*n)); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkRemote10GiB scans hf://org/big from a local hub holding a
// 10 GiB safetensors file and a 10 GiB GGUF file (sparse), served as LFS
// files behind a redirect: the bytes fetched per scan are reported, and
// must be a few blocks, not the tensors.
func BenchmarkRemote10GiB(b *testing.B) {
	dir := b.TempDir()
	const n = (10 << 30) / 4
	safetensors(b, filepath.Join(dir, "model.safetensors"), n)
	gguf(b, filepath.Join(dir, "model.gguf"), n)
	write(b, filepath.Join(dir, "config.json"), []byte(`{"model_type":"llama"}`))
	srv := hubtest.New(b, hubtest.WithRepo("org/big", strings.Repeat("d", 40), dir, "main"), hubtest.WithLFSRedirect(1<<20))
	s := scan.New(scan.Options{})
	var served int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		before := srv.BytesServed("model.safetensors") + srv.BytesServed("model.gguf")
		targets, err := Expand(context.Background(), []string{"hf://org/big"}, Options{Hub: &hf.Client{Endpoint: srv.URL}})
		if err != nil {
			b.Fatal(err)
		}
		rep := s.ScanTargets(context.Background(), targets)
		for _, f := range rep.Files {
			if f.Verdict != scan.Clean && !strings.HasSuffix(f.Path, "config.json") {
				b.Fatalf("%s: %s %v", f.Path, f.Verdict, f.Findings)
			}
		}
		served += srv.BytesServed("model.safetensors") + srv.BytesServed("model.gguf") - before
	}
	b.ReportMetric(float64(served)/float64(b.N), "bytes-fetched/op")
}
