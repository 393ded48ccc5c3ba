// Package oip serves classifiers over the Open Inference Protocol's
// HTTP/REST API (the KServe "V2 inference protocol" that Triton, KServe,
// Seldon MLServer and others speak):
//
//	GET  /v2                                              server metadata
//	GET  /v2/health/live, /v2/health/ready                200, empty body
//	GET  /v2/models/{name}[/versions/{v}]                 model metadata
//	GET  /v2/models/{name}[/versions/{v}]/ready           200, empty body
//	POST /v2/models/{name}[/versions/{v}]/infer           inference
//
// A model takes one FP32 input of shape [-1, N] and answers two outputs:
// "probabilities" (FP32, [batch, classes]) and "label" (INT64, [batch], the
// most probable class). Requests are hostile: bodies and batches are
// bounded, shapes, datatypes and names are checked against the model's
// metadata, and every failure is a JSON {"error": "..."} with a 4xx status:
// 400 for a bad request, 404 for an unknown model, version or path, 405 for
// a wrong method, 413 for a body over the limit, 415 for a binary body
// (application/octet-stream or multipart: the binary tensor data extension
// is not supported). Other bodies are parsed as JSON whatever their
// Content-Type, as curl -d sends one of form data.
package oip

import (
	"errors"
	"fmt"
)

// Datatypes of the protocol that this package uses.
const (
	FP32  = "FP32"
	INT64 = "INT64"
)

// Output names every model answers.
const (
	OutputProbabilities = "probabilities"
	OutputLabel         = "label"
)

// TensorMetadata describes one input or output ($metadata_tensor).
type TensorMetadata struct {
	Name     string  `json:"name"`
	Datatype string  `json:"datatype"`
	Shape    []int64 `json:"shape"`
}

// ModelMetadata describes a model ($metadata_model_response). Inputs must
// hold exactly one FP32 tensor of shape [-1, N]; Outputs should describe
// "probabilities" and "label" (ClassifierOutputs makes them). The first of
// Versions, if any, is the version served, reported as model_version.
type ModelMetadata struct {
	Name     string           `json:"name"`
	Versions []string         `json:"versions,omitempty"`
	Platform string           `json:"platform"`
	Inputs   []TensorMetadata `json:"inputs"`
	Outputs  []TensorMetadata `json:"outputs"`
}

// ClassifierOutputs returns the output metadata of a classifier of the
// given number of classes.
func ClassifierOutputs(classes int) []TensorMetadata {
	return []TensorMetadata{
		{Name: OutputProbabilities, Datatype: FP32, Shape: []int64{-1, int64(classes)}},
		{Name: OutputLabel, Datatype: INT64, Shape: []int64{-1}},
	}
}

// Predictor is a model the server can run. Predict gets a batch of rows of
// the input's width, already checked (finite FP32 values), and returns one
// row of class probabilities per input row, all of the same length. An
// error wrapping ErrInvalidInput is answered 400, any other 500. Predict
// may be called concurrently.
type Predictor interface {
	Metadata() ModelMetadata
	Predict(batch [][]float32) ([][]float32, error)
}

// ErrInvalidInput marks a Predictor error caused by the request's values.
var ErrInvalidInput = errors.New("invalid input")

// checkMetadata returns the width of the model's single input.
func checkMetadata(md ModelMetadata) (int, error) {
	if md.Name == "" {
		return 0, errors.New("model metadata without a name")
	}
	if len(md.Inputs) != 1 {
		return 0, fmt.Errorf("model %q has %d inputs; this server serves models of exactly one", md.Name, len(md.Inputs))
	}
	in := md.Inputs[0]
	if in.Datatype != FP32 || len(in.Shape) != 2 || in.Shape[0] != -1 || in.Shape[1] <= 0 || in.Shape[1] > maxWidth {
		return 0, fmt.Errorf("model %q: input %q is %s %v; this server serves FP32 inputs of shape [-1, N], N <= %d", md.Name, in.Name, in.Datatype, in.Shape, maxWidth)
	}
	return int(in.Shape[1]), nil
}

// maxWidth bounds a model's input width.
const maxWidth = 1 << 20
