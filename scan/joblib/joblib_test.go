package joblib

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/policy"
	"github.com/modelward/modelward/scan/pickle"
)

// Plain (uncompressed) joblib files written by joblib 1.2 for real
// scikit-learn models: the hook must consume every array exactly, so the
// stream runs to STOP with nothing left over and no finding.
func TestRealJoblibFilesParseExactly(t *testing.T) {
	files := []string{"kmeans.joblib", "logistic_regression.joblib", "mlp.joblib"}
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "corpus", "benign", "sklearn", name))
			if err != nil {
				t.Fatal(err)
			}
			h := &Hook{}
			fs, res := pickle.ScanBytes(b, pickle.Config{Policy: policy.Default(), Options: pickle.Options{Hook: h.Build}})
			if !res.Complete || len(fs) != 0 {
				t.Fatalf("not clean: complete=%v findings=%+v", res.Complete, fs)
			}
			if h.Arrays == 0 || res.Bytes != int64(len(b)) {
				t.Fatalf("arrays %d, read %d of %d bytes", h.Arrays, res.Bytes, len(b))
			}
			// Without the hook the same file breaks at the first array:
			// this is what a plain pickle scanner sees.
			_, plain := pickle.ScanBytes(b, pickle.Config{Policy: policy.Default()})
			if plain.Complete {
				t.Fatal("the file parsed without the joblib hook; the test proves nothing")
			}
		})
	}
}

// A wrapper whose dtype is not a literal numpy.dtype cannot be sized: the
// analysis must stop with a malformed-stream finding, never guess.
func TestUnsizableWrapperFailsClosed(t *testing.T) {
	p := []byte("\x80\x02cjoblib.numpy_pickle\nNumpyArrayWrapper\n)\x81}(X\x05\x00\x00\x00dtypeK\x01X\x05\x00\x00\x00shapeK\x02\x85ub.")
	fs, res := pickle.ScanBytes(p, pickle.Config{Policy: policy.Default(), Options: pickle.Options{Hook: (&Hook{}).Build}})
	if res.Complete {
		t.Fatal("an unsizable array wrapper was accepted")
	}
	found := false
	for _, f := range fs {
		found = found || f.Rule == finding.PickleMalformed
	}
	if !found {
		t.Errorf("no malformed-stream finding: %+v", fs)
	}
}

func TestTypeSize(t *testing.T) {
	for typ, want := range map[string]int64{"f8": 8, "<f4": 4, "i8": 8, "b1": 1, "?": 1, "c16": 16, "U10": 40, "S5": 5, "M8": 8, "u2": 2} {
		got, err := typeSize(typ)
		if err != nil || got != want {
			t.Errorf("typeSize(%q) = %d, %v; want %d", typ, got, err, want)
		}
	}
	for _, bad := range []string{"", "f", "f0", "f99999999999"} {
		if _, err := typeSize(bad); err == nil {
			t.Errorf("typeSize(%q) accepted", bad)
		}
	}
}
