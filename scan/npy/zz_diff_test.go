package npy

import (
	"encoding/json"
	"os"
	"testing"
)

func TestScratchDiff(t *testing.T) {
	raw, _ := os.ReadFile("/tmp/npydiff/results.json")
	var res map[string]struct {
		OK         bool    `json:"ok"`
		Shape      []int64 `json:"shape"`
		Fortran    bool    `json:"fortran"`
		Object     bool    `json:"object"`
		Structured bool    `json:"structured"`
		ItemSize   int64   `json:"itemsize"`
		Err        string  `json:"err"`
		Header     string  `json:"header"`
	}
	json.Unmarshal(raw, &res)
	seen := map[string]bool{}
	for name, want := range res {
		f, _ := os.Open("/tmp/npydiff/" + name)
		h, err := ParseHeader(f, Limits{})
		f.Close()
		key := ""
		switch {
		case want.OK && err != nil:
			key = "numpy accepts, we reject: " + want.Header + " :: " + err.Error()
		case !want.OK && err == nil:
			key = "numpy rejects, we accept: " + want.Header + " :: " + want.Err
		case want.OK:
			if h.HasObject != want.Object || h.FortranOrder != want.Fortran || (h.ItemSize != want.ItemSize && h.ItemSize != -1) || len(h.Shape) != len(want.Shape) {
				key = "mismatch: " + want.Header
				t.Logf("%+v vs %+v", h, want)
			}
			if h.ItemSize == -1 && want.ItemSize != -1 && !seen["unk"+h.Descr] {
				seen["unk"+h.Descr] = true
				t.Logf("itemsize unknown for %q (numpy %d)", h.Descr, want.ItemSize)
			}
		}
		if key != "" && !seen[key] {
			seen[key] = true
			t.Log(key)
		}
	}
}
