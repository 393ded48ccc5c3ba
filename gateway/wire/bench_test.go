package wire

import (
	"encoding/json"
	"testing"
)

// The gateway's hot path: one row of 64 features, 10 classes.
func benchBatch() ([][]float32, []byte) {
	row := make([]float32, 64)
	for i := range row {
		row[i] = float32(i%17) / 16
	}
	probs := []float32{0.01, 0.02, 0.03, 0.04, 0.5, 0.1, 0.1, 0.1, 0.05, 0.05}
	resp, _ := json.Marshal(stdResponse{ModelName: "digits", ModelVersion: "1",
		Outputs: []stdTensor{{Name: "probabilities", Datatype: "FP32", Shape: []int64{1, 10}, Data: probs}}})
	return [][]float32{row}, resp
}

// stdResponse and friends are the encoding/json structs the proxy used
// before this package, for comparison.
type stdTensor struct {
	Name     string    `json:"name"`
	Datatype string    `json:"datatype"`
	Shape    []int64   `json:"shape"`
	Data     []float32 `json:"data"`
}

type stdRequest struct {
	Inputs  []stdTensor             `json:"inputs"`
	Outputs []struct{ Name string } `json:"outputs"`
}

type stdResponse struct {
	ModelName    string      `json:"model_name"`
	ModelVersion string      `json:"model_version"`
	Outputs      []stdTensor `json:"outputs"`
}

func BenchmarkOIPInferRequest(b *testing.B) {
	batch, _ := benchBatch()
	c, _ := NewOIP(OIPConfig{Input: "pixels"})
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.InferRequest("digits", batch); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOIPInferResponse(b *testing.B) {
	_, resp := benchBatch()
	c, _ := NewOIP(OIPConfig{Input: "pixels"})
	b.SetBytes(int64(len(resp)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.InferResponse(resp, 1, 10); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStdlibRequest(b *testing.B) {
	batch, _ := benchBatch()
	b.ReportAllocs()
	for b.Loop() {
		flat := make([]float32, 0, 64)
		flat = append(flat, batch[0]...)
		req := stdRequest{Inputs: []stdTensor{{Name: "pixels", Datatype: "FP32", Shape: []int64{1, 64}, Data: flat}},
			Outputs: []struct{ Name string }{{"probabilities"}}}
		if _, err := json.Marshal(req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStdlibResponse(b *testing.B) {
	_, resp := benchBatch()
	b.SetBytes(int64(len(resp)))
	b.ReportAllocs()
	for b.Loop() {
		var r stdResponse
		if err := json.Unmarshal(resp, &r); err != nil {
			b.Fatal(err)
		}
		rows := [][]float32{r.Outputs[0].Data}
		if checkProbs(rows, "std") != nil {
			b.Fatal("bad")
		}
	}
}

// TestResponseAllocs pins the hot path's allocations: the probabilities,
// their row headers and the version string.
func TestResponseAllocs(t *testing.T) {
	_, resp := benchBatch()
	c, _ := NewOIP(OIPConfig{Input: "pixels"})
	n := testing.AllocsPerRun(100, func() {
		if _, _, err := c.InferResponse(resp, 1, 10); err != nil {
			t.Fatal(err)
		}
	})
	if n > 3 {
		t.Fatalf("%v allocations per response, want at most 3", n)
	}
}

// BenchmarkOIPInferRequestPixels is a UCI digits row: whole numbers 0..16,
// as the gateway's demo model and its benchmark send.
func BenchmarkOIPInferRequestPixels(b *testing.B) {
	row := make([]float32, 64)
	for i := range row {
		row[i] = float32((i * 7) % 17)
	}
	c, _ := NewOIP(OIPConfig{Input: "pixels"})
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.InferRequest("digits", [][]float32{row}); err != nil {
			b.Fatal(err)
		}
	}
}
