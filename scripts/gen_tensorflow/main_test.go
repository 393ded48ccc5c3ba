package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestFixturesUpToDate fails when the committed fixtures differ from what
// the generator writes, so the two cannot drift apart; it also proves the
// output is deterministic.
func TestFixturesUpToDate(t *testing.T) {
	dir := filepath.Join("..", "..", "scan", "tensorflow", "testdata")
	for name, want := range fixtures() {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v (run go run ./scripts/gen_tensorflow)", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go run ./scripts/gen_tensorflow", name)
		}
		if again := fixtures()[name]; !bytes.Equal(again, want) {
			t.Errorf("%s: generator output is not deterministic", name)
		}
	}
}
