package compress

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var fuzzMethods = []Method{Zlib, Gzip, Bz2, XZ, LZMA, ZFZlib, LZ4}

func methodIndex(m Method) uint8 {
	for i, x := range fuzzMethods {
		if x == m {
			return uint8(i)
		}
	}
	return 0
}

// FuzzNewReader feeds every method hostile input: no panic, output within
// MaxBytes, and every error worded for the user.
func FuzzNewReader(f *testing.F) {
	for name, e := range loadManifest(f) {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(methodIndex(e.Method), data)
	}
	parts, _ := xzParts(3)
	f.Add(methodIndex(XZ), buildXZ(parts, 40, true))
	f.Add(methodIndex(Gzip), zeroBomb(f, 2))
	const maxBytes = 1 << 20
	f.Fuzz(func(t *testing.T, mi uint8, data []byte) {
		Detect(data)
		m := fuzzMethods[int(mi)%len(fuzzMethods)]
		r, err := NewReader(m, bytes.NewReader(data), int64(len(data)), Limits{MaxBytes: maxBytes})
		if err != nil {
			checkWording(t, err)
			return
		}
		defer r.Close()
		n, err := io.Copy(io.Discard, r)
		if n > maxBytes {
			t.Fatalf("%s: %d bytes out, limit %d", m, n, maxBytes)
		}
		if err != nil {
			checkWording(t, err)
		}
	})
}

func checkWording(t *testing.T, err error) {
	t.Helper()
	if !strings.HasPrefix(err.Error(), "compress: ") {
		t.Fatalf("error not worded by the package: %v", err)
	}
}
