package telemetry

import (
	"errors"
	"strings"
	"testing"
)

const goodLine = `{"time":"2026-11-26T12:00:00Z","request_id":"r1","client":"alice","model":"digits","version":"3","row":0,"input_digest":"sha256:00","label":7,"confidence":0.93,"degraded":true,"detector":"blacklight","score":2.5,"status":403}`

func readString(s string) ([]Record, error) {
	var out []Record
	err := Read(strings.NewReader(s), func(r Record) error { out = append(out, r); return nil })
	return out, err
}

func TestReadGood(t *testing.T) {
	got, err := readString(goodLine + "\r\n" + goodLine)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Client != "alice" || got[1].Label != 7 || got[1].Status != 403 || !got[1].Degraded {
		t.Fatalf("got %+v", got)
	}
	if got, err := readString(""); err != nil || len(got) != 0 {
		t.Fatalf("empty input: %v, %v", got, err)
	}
}

func TestReadRefuses(t *testing.T) {
	for name, in := range map[string]string{
		"garbage":        "hello\n",
		"binary":         "\x00\xff\x10\n",
		"empty line":     "\n" + goodLine,
		"null":           "null\n",
		"array":          "[]\n",
		"number":         "42\n",
		"unknown field":  `{"client":"a","secret":"k"}`,
		"case variant":   `{"Client":"a"}`,
		"repeated field": `{"client":"a","client":"b"}`,
		"null value":     `{"client":null}`,
		"nested value":   `{"client":{"id":"a"}}`,
		"trailing data":  `{"client":"a"} {}`,
		"trailing junk":  `{"client":"a"}x`,
		"truncated":      `{"client":"a"`,
		"wrong type":     `{"row":"1"}`,
		"fraction row":   `{"row":1.5}`,
		"huge label":     `{"label":1e400}`,
		"float32 range":  `{"confidence":1e39}`,
		"bad time":       `{"time":"yesterday"}`,
	} {
		if _, err := readString(goodLine + "\n" + in); err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%s: error %v, want one naming line 2", name, err)
		}
	}
}

func TestReadLineLength(t *testing.T) {
	// Padding inside a string value makes a valid line of exactly n bytes.
	line := func(n int) string {
		head, tail := `{"client":"`, `"}`
		return head + strings.Repeat("a", n-len(head)-len(tail)) + tail
	}
	if _, err := readString(line(MaxLineBytes) + "\n"); err != nil {
		t.Fatalf("line of MaxLineBytes: %v", err)
	}
	for _, in := range []string{
		goodLine + "\n" + goodLine + "\n" + line(MaxLineBytes+1) + "\n",
		goodLine + "\n" + goodLine + "\n" + line(MaxLineBytes+1),
		goodLine + "\n" + goodLine + "\n" + strings.Repeat("x", 1<<20),
	} {
		_, err := readString(in)
		if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "longer") {
			t.Errorf("over-long line: %v", err)
		}
	}
}

func TestReadReturnsCallbackError(t *testing.T) {
	stop := errors.New("enough")
	n := 0
	err := Read(strings.NewReader(goodLine+"\n"+goodLine+"\n"+goodLine), func(Record) error {
		if n++; n == 2 {
			return stop
		}
		return nil
	})
	if err != stop || n != 2 {
		t.Fatalf("err %v after %d records", err, n)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestReadReaderError(t *testing.T) {
	if err := Read(failingReader{}, func(Record) error { return nil }); err == nil {
		t.Fatal("read error lost")
	}
}
