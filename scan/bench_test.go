package scan

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// benchFile scans one file of the project corpus end to end: detection,
// containers, the pickle machine and the classifier.
func benchFile(b *testing.B, rel string) {
	path := filepath.Join("..", "testdata", "corpus", rel)
	info, err := os.Stat(path)
	if err != nil {
		b.Skip(err)
	}
	s := New(Options{})
	b.SetBytes(info.Size())
	b.ReportAllocs()
	for b.Loop() {
		fr := s.ScanFile(context.Background(), path)
		if fr.Verdict != Clean {
			b.Fatalf("verdict %s", fr.Verdict)
		}
	}
}

func BenchmarkScanStateDict20kZip(b *testing.B) { benchFile(b, "benign/torch/state_dict_20k.pt") }
func BenchmarkScanList2MGzip(b *testing.B)      { benchFile(b, "benign/pickle/list_2m.pkl.gz") }
func BenchmarkScanJoblibXZ(b *testing.B) {
	benchFile(b, "benign/sklearn/tfidf_multinomial_nb.xz.joblib")
}
func BenchmarkScanLegacyTorch(b *testing.B) { benchFile(b, "benign/torch/full_module_legacy.pt") }
