package oip

import (
	"strings"
	"testing"
)

var fuzzModel = ModelMetadata{
	Name:     "m",
	Platform: "test",
	Inputs:   []TensorMetadata{{Name: "pixels", Datatype: FP32, Shape: []int64{-1, 4}}},
	Outputs:  ClassifierOutputs(3),
}

func FuzzParseInferRequest(f *testing.F) {
	for _, s := range []string{
		`{"id":"42","inputs":[{"name":"pixels","shape":[2,4],"datatype":"FP32","data":[0,1,2,3,4,5,6,7]}]}`,
		`{"inputs":[{"name":"pixels","shape":[2,4],"datatype":"FP32","data":[[0,1.5,2e1,-3],[4,5,6,16]]}],"outputs":[{"name":"label"}]}`,
		`{"inputs":[{"name":"pixels","shape":[1,4],"datatype":"FP32","parameters":{"content_type":"np"},"data":[ 0 , 1 , 2 , 3 ]}],"parameters":{"a":1,"b":true}}`,
		`{"inputs":[{"name":"pixels","shape":[1,4],"datatype":"FP32","data":[[0,1,2]]}]}`,
		`{"inputs":[{"name":"pixels","shape":[1,4],"datatype":"FP32","data":[0,1,2,"3"]}]}`,
		`{"inputs":[{"name":"pixels","shape":[18446744073709551616,4],"datatype":"FP32","data":[]}]}`,
		`{"inputs":[{"name":"pixels","shape":[1,4],"datatype":"FP32","data":[1e400,0,0,0]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := ParseInferRequest(body, fuzzModel, 16)
		if err != nil {
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatal("empty error")
			}
			return
		}
		if len(req.Batch) < 1 || len(req.Batch) > 16 || len(req.Outputs) == 0 {
			t.Fatalf("batch %d, outputs %v", len(req.Batch), req.Outputs)
		}
		for _, row := range req.Batch {
			if len(row) != 4 {
				t.Fatalf("row of %d", len(row))
			}
			for _, v := range row {
				if v != v || v > 3.4028235e38 || v < -3.4028235e38 {
					t.Fatalf("value %v", v)
				}
			}
		}
	})
}

func TestParseInferRequest(t *testing.T) {
	req, err := ParseInferRequest([]byte(`{"id":"a","inputs":[{"name":"pixels","shape":[2,4],"datatype":"FP32","data":[[0,1.5,2e1,-3],[4,5,6,16]]}]}`), fuzzModel, 16)
	if err != nil {
		t.Fatal(err)
	}
	if req.ID != "a" || len(req.Batch) != 2 || req.Batch[0][2] != 20 || req.Batch[1][3] != 16 || strings.Join(req.Outputs, ",") != "probabilities,label" {
		t.Fatalf("%+v", req)
	}
	// A batch's capacity ends at its row: appending to one row cannot
	// overwrite the next.
	if cap(req.Batch[0]) != 4 {
		t.Fatalf("cap %d", cap(req.Batch[0]))
	}
}
