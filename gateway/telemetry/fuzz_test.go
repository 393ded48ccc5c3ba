package telemetry

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// writerSeeds returns what the writer itself produces, ordinary and odd.
func writerSeeds(f *testing.F) []byte {
	path := tempPath(f)
	sink, err := OpenFile(FileConfig{Path: path})
	if err != nil {
		f.Fatal(err)
	}
	for i := range 5 {
		sink.Write(rec(i))
	}
	odd := rec(5)
	odd.Time = time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("", -7*3600))
	odd.Client, odd.Detector, odd.Score, odd.Degraded = "\"<é>\"\x01", "signals", -1e-300, true
	odd.Label, odd.Status, odd.Confidence = -1, 599, 1e-45
	sink.Write(odd)
	if err := sink.Close(); err != nil {
		f.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	return data
}

func FuzzRead(f *testing.F) {
	data := writerSeeds(f)
	f.Add(data)
	for line := range bytes.Lines(data) {
		f.Add(line)
	}
	f.Add([]byte(goodLine + "\r\n"))
	f.Add([]byte(`{"client":"a","client":"b"}`))
	f.Add([]byte(`{"row":1e400}` + "\n\n"))
	f.Add([]byte(strings.Repeat("[", 1000)))
	f.Fuzz(func(t *testing.T, in []byte) {
		var got []Record
		if err := Read(bytes.NewReader(in), func(r Record) error { got = append(got, r); return nil }); err != nil {
			return
		}
		w := &writer{}
		w.enc = json.NewEncoder(&w.line)
		for _, r := range got {
			line, err := w.encode(r)
			if err != nil {
				t.Fatalf("cannot re-encode %+v: %v", r, err)
			}
			var back []Record
			if err := Read(bytes.NewReader(line), func(r Record) error { back = append(back, r); return nil }); err != nil {
				t.Fatalf("writer output %q refused: %v", line, err)
			}
			if len(back) != 1 || !sameRecord(r, back[0]) {
				t.Fatalf("%+v re-read as %+v", r, back)
			}
		}
	})
}

// sameRecord compares two records the writer would not have changed:
// times by instant, strings only when short enough to survive truncation.
func sameRecord(a, b Record) bool {
	if !a.Time.Equal(b.Time) {
		return false
	}
	for _, s := range []string{a.RequestID, a.Client, a.Model, a.Version, a.InputDigest, a.Detector} {
		if len(s) > maxField {
			return true
		}
	}
	a.Time, b.Time = time.Time{}, time.Time{}
	return a == b
}
