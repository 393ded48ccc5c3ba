package compress

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// manifestEntry is one fixture from testdata/manifest.json, written by
// testdata/gen.py with the decoded output of joblib's own readers.
type manifestEntry struct {
	Method Method `json:"method"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

func loadManifest(t testing.TB) map[string]manifestEntry {
	t.Helper()
	raw, err := os.ReadFile("testdata/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]manifestEntry
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func readAll(t testing.TB, m Method, data []byte, lim Limits) ([]byte, error) {
	t.Helper()
	r, err := NewReader(m, bytes.NewReader(data), int64(len(data)), lim)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

func TestFixturesMatchJoblib(t *testing.T) {
	manifest := loadManifest(t)
	if len(manifest) < 15 {
		t.Fatalf("manifest lists only %d fixtures", len(manifest))
	}
	for name, want := range manifest {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			if m, ok := Detect(data); !ok || m != want.Method {
				t.Errorf("Detect = %q, %v; want %q", m, ok, want.Method)
			}
			out, err := readAll(t, want.Method, data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(out)
			if int64(len(out)) != want.Size || hex.EncodeToString(sum[:]) != want.SHA256 {
				t.Errorf("decoded %d bytes (sha256 %x), joblib decoded %d (%s)", len(out), sum, want.Size, want.SHA256)
			}
		})
	}
}

func TestDetectRejectsPlainData(t *testing.T) {
	payload, err := os.ReadFile("testdata/payload.pkl")
	if err != nil {
		t.Fatal(err)
	}
	for name, head := range map[string][]byte{
		"protocol 2 pickle":      payload,
		"protocol 0 pickle":      []byte("(dp0\nS'a'\np1\nI1\ns."),
		"protocol 0 mark string": []byte("(S'abc'\np0\n" + strings.Repeat(" ", 32)),
		"protocol 1 list":        []byte("]q\x00(K\x01K\x02e."),
		"zip":                    []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00" + strings.Repeat("\x00", 30)),
		"npy":                    []byte("\x93NUMPY\x01\x00v\x00{'descr': '<f4'"),
		"bare x":                 []byte("x marks the spot, not a zlib header"),
		"ZF without hex":         []byte("ZF this is not a z-file header at all"),
		"BZh without block":      []byte("BZh9 not really bzip2 data here"),
		"empty":                  nil,
	} {
		if m, ok := Detect(head); ok {
			t.Errorf("%s detected as %s", name, m)
		}
	}
}

func TestUnsupported(t *testing.T) {
	_, err := NewReader("brotli", strings.NewReader("x"), 1, Limits{})
	if !errors.Is(err, ErrUnsupported) {
		t.Errorf("unknown method: %v", err)
	}
}

// TestTruncated cuts every fixture short and expects a truncation error
// (or, for a cut right after a stream, the output of the whole streams).
func TestTruncated(t *testing.T) {
	for _, name := range []string{"payload.zlib", "payload.gz", "payload.bz2", "payload.xz", "payload.lzma", "payload.lz4", "payload.zf"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		m, _ := Detect(data)
		for _, cut := range []int{len(data) / 3, len(data) / 2, len(data) - 1} {
			_, err := readAll(t, m, data[:cut], Limits{})
			if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "truncated") && !strings.Contains(err.Error(), "ends") {
				t.Errorf("%s cut to %d: %v", name, cut, err)
			}
		}
	}
}

func TestCorrupt(t *testing.T) {
	data, err := os.ReadFile("testdata/payload.gz")
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(data)
	bad[len(bad)-8] ^= 0xff // the CRC32
	_, err = readAll(t, Gzip, bad, Limits{})
	if err == nil || !strings.Contains(err.Error(), "gzip data is corrupt") {
		t.Errorf("bad checksum: %v", err)
	}
}
