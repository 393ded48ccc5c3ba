package hdf5

import (
	"bytes"
	"path/filepath"
	"testing"
)

// FuzzOpen checks that no input panics and that results stay within limits.
func FuzzOpen(f *testing.F) {
	evasion, _ := filepath.Glob("testdata/evasion/*.h5")
	for _, p := range append(fixtures(f), evasion...) {
		f.Add(mustRead(f, p))
	}
	lim := Limits{MaxObjects: 200, MaxAttrs: 50, MaxAttrBytes: 1 << 20, MaxTotalAttrBytes: 4 << 20}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := Open(bytes.NewReader(b), int64(len(b)), lim)
		if err != nil {
			return
		}
		if len(h.Objects) == 0 || len(h.Objects) > lim.MaxObjects || h.Objects[0].Path != "/" {
			t.Fatalf("%d objects", len(h.Objects))
		}
		if len(h.Problems) > maxProblems+1 {
			t.Fatalf("%d problems", len(h.Problems))
		}
		for _, o := range h.Objects {
			if len(o.Attrs) > lim.MaxAttrs {
				t.Fatalf("%s: %d attributes", o.Path, len(o.Attrs))
			}
			for _, a := range o.Attrs {
				if len(a.Raw) > maxRaw {
					t.Fatalf("%s: raw value of %d bytes", a.Name, len(a.Raw))
				}
			}
		}
	})
}
