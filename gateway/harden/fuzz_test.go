package harden

import (
	"encoding/binary"
	"math"
	"testing"
)

// FuzzApply feeds arbitrary bytes as a float32 vector to every property
// configuration: nothing may panic and every accepted vector must satisfy
// the invariants.
func FuzzApply(f *testing.F) {
	f.Add([]byte{0, 0, 128, 63, 0, 0, 0, 63}, uint8(0))
	f.Add([]byte{0, 0, 192, 127, 0, 0, 128, 127, 0, 0, 128, 255}, uint8(3))
	f.Add(make([]byte, 40), uint8(7))
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		n := min(len(data)/4, 512)
		in := make([]float32, n)
		for i := range in {
			in[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		cfg := propertyConfigs[int(which)%len(propertyConfigs)]
		h, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]float32, n)
		label := h.Apply(in, out)
		if want := expectedTop(in); label != want {
			t.Fatalf("label %d, want %d", label, want)
		}
		if label >= 0 {
			if msg := checkVector(out, label); msg != "" {
				t.Fatalf("%s: in %v out %v", msg, in, out)
			}
		}
	})
}
