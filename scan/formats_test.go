package scan

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelward/modelward/finding"
)

// fixtureSets are the fixtures of each format package, written by the
// real libraries (h5py, onnx) or to the published specification (GGUF,
// TensorFlow protobufs and flatbuffers, Keras archives), scanned here
// end to end through detection, the analyser and the scanner's verdicts.
var fixtureSets = []struct{ benign, malicious string }{
	{"../testdata/keras/benign", "../testdata/keras/malicious"},
	{"onnx/testdata/benign", "onnx/testdata/malicious"},
	{"gguf/testdata/benign", "gguf/testdata/malicious"},
	{"jinja/testdata/benign", "jinja/testdata/malicious"},
	{"tensorflow/testdata/benign", "tensorflow/testdata/malicious"},
	{"hdf5/testdata", "hdf5/testdata/evasion"},
}

// minSeverity is what a malicious fixture must reach: high, except for
// faults medium by their rule: an operator outside the standard set
// (MW314), whose behaviour cannot be seen from the model, and a lookup
// layer reading a relative vocabulary file (MW309 medium).
func minSeverity(p string) finding.Severity {
	base := filepath.Base(p)
	if strings.Contains(base, "custom_") || strings.Contains(base, "unknown_default_op") || strings.Contains(base, "vocabulary_relative") {
		return finding.Medium
	}
	return finding.High
}

// maliciousHDF5 are the HDF5 fixtures that reach outside the file.
var maliciousHDF5 = map[string]bool{"links.h5": true}

// TestFormatFixtures: every benign fixture has no finding at medium or
// above and every malicious one a finding at high or above.
func TestFormatFixtures(t *testing.T) {
	s := New(Options{})
	for _, set := range fixtureSets {
		for _, f := range fixtureFiles(t, set.benign) {
			if maliciousHDF5[filepath.Base(f)] || strings.Contains(f, "/evasion/") {
				continue
			}
			res := s.ScanFile(context.Background(), f)
			if max, any := finding.Max(res.Findings); any && max >= finding.Medium {
				t.Errorf("%s (benign): %s %v", f, res.Verdict, res.Findings)
			}
		}
		malicious := maliciousFiles(t, set.benign, set.malicious)
		for _, f := range malicious {
			res := s.ScanFile(context.Background(), asLoaded(t, f))
			if max, any := finding.Max(res.Findings); !any || max < minSeverity(f) {
				t.Errorf("%s (malicious): %s %v", f, res.Verdict, res.Findings)
			}
		}
	}
}

func maliciousFiles(t *testing.T, benign, malicious string) []string {
	out := fixtureFiles(t, malicious)
	for name := range maliciousHDF5 {
		if p := filepath.Join(benign, name); strings.HasPrefix(benign, "hdf5/") {
			out = append(out, p)
		}
	}
	return out
}

// fixtureFiles lists the model files under dir: sidecars that describe
// fixtures (.json next to .h5) and side data files are not models.
func fixtureFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasSuffix(p, ".h5.json") || strings.HasSuffix(p, ".bin") {
			return nil
		}
		out = append(out, p)
		return nil
	})
	if err != nil || len(out) == 0 {
		t.Fatalf("no fixtures in %s: %v", dir, err)
	}
	return out
}

// asLoaded names a TensorFlow protobuf fixture as TensorFlow opens it:
// saved_model.pb, the name that makes it a SavedModel.
func asLoaded(t *testing.T, p string) string {
	if filepath.Ext(p) != ".pb" || filepath.Base(p) == "saved_model.pb" {
		return p
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "saved_model.pb")
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}
