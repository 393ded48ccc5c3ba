package safetensors

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

func readFile(t testing.TB, path string) (*Header, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !Is(b) {
		t.Errorf("%s is not recognised", path)
	}
	return Read(bytes.NewReader(b), int64(len(b)))
}

func TestBenignFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/benign/*.safetensors")
	if len(files) == 0 {
		t.Fatal("no fixtures: run scripts/gen_safetensors.py")
	}
	for _, f := range files {
		h, err := readFile(t, f)
		if err != nil || len(h.Problems) != 0 {
			t.Errorf("%s: %v %+v", f, err, h)
		}
	}
}

func TestMaliciousFixtures(t *testing.T) {
	want := map[string]ProblemKind{
		"overlapping_spans": Span, "span_past_end": Span, "gap_between_tensors": Span, "shape_mismatch": Span,
		"duplicate_name": Malformed, "metadata_template": Metadata, "invalid_json": Malformed,
	}
	for name, kind := range want {
		h, err := readFile(t, filepath.Join("testdata", "malicious", name+".safetensors"))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		found := false
		for _, p := range h.Problems {
			found = found || p.Kind == kind
		}
		if !found {
			t.Errorf("%s: no problem of kind %d in %+v", name, kind, h.Problems)
		}
	}
	if _, err := readFile(t, "testdata/malicious/header_past_end.safetensors"); err == nil {
		t.Error("a header running past the end was read")
	}
}

// The header is all that is read: a file claiming terabytes of tensor data
// costs no more than its header.
func TestCostIndependentOfTensorBytes(t *testing.T) {
	hdr := []byte(`{"w":{"dtype":"F32","shape":[1099511627776],"data_offsets":[0,4398046511104]}}`)
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
	b = append(b, hdr...)
	h, err := Read(bytes.NewReader(b), int64(len(b))+4398046511104)
	if err != nil || len(h.Problems) != 0 {
		t.Fatalf("%v %+v", err, h)
	}
}

func FuzzRead(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.safetensors")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := Read(bytes.NewReader(b), int64(len(b)))
		if err == nil && h == nil {
			t.Fatal("nil header without an error")
		}
	})
}
