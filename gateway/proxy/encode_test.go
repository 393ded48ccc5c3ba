package proxy

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
)

// The hand encoder writes exactly what encoding/json writes, for awkward
// strings and for float32 values across every magnitude.
func TestEncodeMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	strs := []string{"", "digits", `q"uo\te`, "tab\tnew\nline\r", "\x00\x1f<>&", "é😀", "\u2028\u2029", "bad\xffutf8\xc3", "v1.2-rc"}
	for i := range 2000 {
		floats := make([]float32, 1+r.IntN(12))
		for k := range floats {
			switch r.IntN(4) {
			case 0:
				floats[k] = r.Float32()
			case 1:
				floats[k] = float32(math.Pow(10, r.Float64()*60-30)) * float32(1-2*r.IntN(2))
			case 2:
				floats[k] = math.Float32frombits(r.Uint32())
			default:
				floats[k] = float32(r.IntN(3)) / 2
			}
			if f := float64(floats[k]); math.IsNaN(f) || math.IsInf(f, 0) {
				floats[k] = 0
			}
		}
		resp := inferResponse{ModelName: strs[i%len(strs)], ModelVersion: strs[(i+1)%len(strs)], ID: strs[(i+3)%len(strs)],
			Outputs: []responseTensor{{"probabilities", "FP32", []int64{1, int64(len(floats))}, floats},
				{"label", "INT64", []int64{1}, []int64{int64(r.IntN(10)) - 3}}}}
		if i%7 == 0 {
			resp.Outputs = nil
		}
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(resp); err != nil {
			t.Fatal(err)
		}
		if got := appendInferResponse(nil, &resp); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("case %d:\n got %s\nwant %s", i, got, want.Bytes())
		}
	}
}

func BenchmarkEncodeInfer(b *testing.B) {
	resp := inferResponse{ModelName: "digits", ModelVersion: "1", Outputs: []responseTensor{
		{"probabilities", "FP32", []int64{1, 10}, []float32{0.01, 0.02, 0.9, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01}},
		{"label", "INT64", []int64{1}, []int64{2}}}}
	b.Run("hand", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 1024)
		for b.Loop() {
			buf = appendInferResponse(buf[:0], &resp)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			_ = json.NewEncoder(&buf).Encode(resp)
		}
	})
}
