package scan

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelward/modelward/finding"
)

// safetensors files written exactly to the format by
// scripts/gen_safetensors.py: benign ones are clean, every lie is high.
func TestSafetensorsFixtures(t *testing.T) {
	files, _ := filepath.Glob("safetensors/testdata/*/*.safetensors")
	if len(files) < 10 {
		t.Fatalf("only %d fixtures", len(files))
	}
	rep := New(Options{}).ScanFiles(context.Background(), files)
	for _, fr := range rep.Files {
		max, _ := finding.Max(fr.Findings)
		if strings.Contains(fr.Path, "/benign/") {
			if fr.Verdict != Clean || fr.Format != "safetensors" {
				t.Errorf("%s: %s %s: %s", fr.Path, fr.Format, fr.Verdict, summarise(fr))
			}
		} else if max < finding.High {
			t.Errorf("%s: max %s: %s", fr.Path, max, summarise(fr))
		}
	}
}
