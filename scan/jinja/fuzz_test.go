package jinja

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzJinja checks that no template makes Check panic or hang, and that
// issues stay within the template and the snippet bound.
func FuzzJinja(f *testing.F) {
	for _, dir := range []string{"benign", "malicious"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.jinja"))
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(string(b))
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		for _, is := range Check(src) {
			if is.Offset < 0 || (len(src) > 0 && is.Offset >= len(src)) || len(is.Expr) > maxExpr {
				t.Fatalf("issue out of bounds: %+v (len %d)", is, len(src))
			}
		}
	})
}
