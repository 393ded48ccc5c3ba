package telemetry

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

var epoch = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// rec is a realistic record numbered i (in Row and in the digest).
func rec(i int) Record {
	return Record{
		Time:        epoch.Add(time.Duration(i) * time.Millisecond),
		RequestID:   "req-" + time.Duration(i).String(),
		Client:      "client-7",
		Model:       "digits",
		Version:     "1.2.0",
		Row:         i,
		InputDigest: DigestRow([]float32{float32(i), 0, 5, 13}),
		Label:       i % 10,
		Confidence:  0.5 + float32(i%50)/100,
		Status:      200,
	}
}

func tempPath(t testing.TB) string {
	return filepath.Join(t.TempDir(), "predictions.jsonl")
}

func mustOpen(t testing.TB, cfg FileConfig) *File {
	t.Helper()
	f, err := OpenFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func readAll(t testing.TB, path string) []Record {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var out []Record
	if err := Read(fh, func(r Record) error { out = append(out, r); return nil }); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}
