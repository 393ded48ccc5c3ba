package npy

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseHeader checks that no input makes ParseHeader panic, read past
// the header, or return a header that contradicts itself.
func FuzzParseHeader(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.npy")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(build(1, `{'descr': [('a', '<i4', (2, 3)), ('b', [('c', 'O')])], 'fortran_order': True, 'shape': (3, 0x4)}`))
	f.Add(build(2, "{'descr': '<U\\x31', # c\n 'fortran_order': False, 'shape': (1L,)}"))
	f.Add(build(3, `{'descr': r'''<f8''' "", 'fortran_order': False, 'shape': ()}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		h, err := ParseHeader(r, Limits{MaxHeaderLen: 1 << 16})
		if err != nil {
			return
		}
		consumed := int64(len(data) - r.Len())
		if consumed != h.DataOffset {
			t.Fatalf("consumed %d bytes, DataOffset %d", consumed, h.DataOffset)
		}
		if h.HasObject && h.ItemSize != -1 {
			t.Fatalf("object dtype with item size %d", h.ItemSize)
		}
		if n, ok := h.DataBytes(); ok && n < 0 {
			t.Fatalf("negative DataBytes %d", n)
		}
	})
}
