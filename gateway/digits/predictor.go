package digits

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/modelward/modelward/gateway/oip"
)

// InputName is the name of the model's input tensor over the protocol.
const InputName = "pixels"

// Predictor serves a Model over package oip.
type Predictor struct {
	m  *Model
	md oip.ModelMetadata
}

// NewPredictor wraps m for oip under name. Its version is the first 12 hex
// digits of the SHA-256 of the model's safetensors bytes, so a prediction
// record names the exact weights that made it.
func NewPredictor(m *Model, name string) *Predictor {
	var buf bytes.Buffer
	_ = m.Save(&buf) // a bytes.Buffer does not fail
	sum := sha256.Sum256(buf.Bytes())
	return &Predictor{m: m, md: oip.ModelMetadata{
		Name:     name,
		Versions: []string{hex.EncodeToString(sum[:6])},
		Platform: "modelward_go_mlp",
		Inputs:   []oip.TensorMetadata{{Name: InputName, Datatype: oip.FP32, Shape: []int64{-1, Features}}},
		Outputs:  oip.ClassifierOutputs(Classes),
	}}
}

// Metadata implements oip.Predictor.
func (p *Predictor) Metadata() oip.ModelMetadata { return p.md }

// Predict implements oip.Predictor: one row of 10 probabilities per image.
func (p *Predictor) Predict(batch [][]float32) ([][]float32, error) {
	flat := make([]float32, len(batch)*Classes)
	out := make([][]float32, len(batch))
	for i, x := range batch {
		if len(x) != Features {
			return nil, fmt.Errorf("%w: row %d has %d values, want %d", oip.ErrInvalidInput, i, len(x), Features)
		}
		probs := p.m.Predict(x)
		out[i] = flat[i*Classes : (i+1)*Classes : (i+1)*Classes]
		copy(out[i], probs[:])
	}
	return out, nil
}
