package wire

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func load(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// want2x3 is what every testdata answer holds.
var want2x3 = [][]float32{{0.1, 0.2, 0.7}, {0.25, 0.25, 0.5}}

func sameProbs(t *testing.T, got, want [][]float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Fatalf("row %d: got %d values, want %d", i, len(got[i]), len(want[i]))
		}
		for j := range want[i] {
			if d := got[i][j] - want[i][j]; d > 1e-6 || d < -1e-6 {
				t.Fatalf("row %d class %d: got %v, want %v", i, j, got[i][j], want[i][j])
			}
		}
	}
}

// wantErr checks that err is non-nil, mentions sub, and stays short.
func wantErr(t *testing.T, err error, sub string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", sub)
	}
	if !strings.Contains(err.Error(), sub) {
		t.Fatalf("error %q does not mention %q", err, sub)
	}
	if len(err.Error()) > 300 {
		t.Fatalf("error of %d bytes: %q", len(err.Error()), err)
	}
}

var testBatch = [][]float32{{0, 1.5, -2, 1e-7}, {3.25, 4, 5, 16}}

func posInf() float64 { return 1 / zero }

var zero = 0.0
