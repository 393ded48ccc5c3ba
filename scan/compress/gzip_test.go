package compress

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
)

// Python's gzip reads a header whose file name is longer than the 511
// bytes Go's compress/gzip accepts, and skips zero padding between
// members; joblib.load relies on Python's reader, so the scanner must too.
func TestGzipLongNameAndPadding(t *testing.T) {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Name = strings.Repeat("n", 4000)
	w.Comment = strings.Repeat("c", 700)
	w.Write([]byte("first "))
	w.Close()
	buf.Write(make([]byte, 16)) // padding
	w2 := gzip.NewWriter(&buf)
	w2.Write([]byte("second"))
	w2.Close()
	r, err := NewReader(Gzip, bytes.NewReader(buf.Bytes()), int64(buf.Len()), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "first second" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestGzipCorruptTrailer(t *testing.T) {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write([]byte("payload"))
	w.Close()
	b := buf.Bytes()
	b[len(b)-5] ^= 0xff // CRC
	r, err := NewReader(Gzip, bytes.NewReader(b), int64(len(b)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(r); err == nil {
		t.Fatal("a wrong CRC was accepted")
	}
}
