package wire

import (
	"encoding/json"
	"strings"
	"testing"
)

func newTestTF(t *testing.T, cfg TFServingConfig) Codec {
	t.Helper()
	c, err := NewTFServing(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTFServingRequests(t *testing.T) {
	batch := [][]float32{{1, 2.5}, {-3, 0}}
	for _, tc := range []struct {
		cfg  TFServingConfig
		body string
	}{
		{TFServingConfig{}, `{"instances":[[1,2.5],[-3,0]]}`},
		{TFServingConfig{SignatureName: "serving_default"}, `{"signature_name":"serving_default","instances":[[1,2.5],[-3,0]]}`},
		{TFServingConfig{InputKey: "dense_input"}, `{"instances":[{"dense_input":[1,2.5]},{"dense_input":[-3,0]}]}`},
		{TFServingConfig{Columnar: true}, `{"inputs":[[1,2.5],[-3,0]]}`},
		{TFServingConfig{Columnar: true, InputKey: "x", SignatureName: "s"}, `{"signature_name":"s","inputs":{"x":[[1,2.5],[-3,0]]}}`},
	} {
		c := newTestTF(t, tc.cfg)
		path, body, err := c.InferRequest("half_plus_three", batch)
		if err != nil {
			t.Fatal(err)
		}
		if string(body) != tc.body || path != "/v1/models/half_plus_three:predict" {
			t.Errorf("%+v: %s %s, want %s", tc.cfg, path, body, tc.body)
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Errorf("%+v: %v", tc.cfg, err)
		}
	}
}

func TestTFServingPaths(t *testing.T) {
	for _, tc := range []struct {
		cfg                     TFServingConfig
		model                   string
		predict, metadata, stat string
	}{
		{TFServingConfig{}, "m", "/v1/models/m:predict", "/v1/models/m/metadata", "/v1/models/m"},
		{TFServingConfig{Version: "123"}, "m", "/v1/models/m/versions/123:predict", "/v1/models/m/versions/123/metadata", "/v1/models/m/versions/123"},
		{TFServingConfig{Label: "can ary"}, "my model", "/v1/models/my%20model/labels/can%20ary:predict", "/v1/models/my%20model/labels/can%20ary/metadata", "/v1/models/my%20model/labels/can%20ary"},
	} {
		c := newTestTF(t, tc.cfg)
		path, _, err := c.InferRequest(tc.model, testBatch)
		if err != nil {
			t.Fatal(err)
		}
		if path != tc.predict || c.MetadataPath(tc.model) != tc.metadata || c.ReadyPath(tc.model) != tc.stat {
			t.Errorf("%+v: %q %q %q", tc.cfg, path, c.MetadataPath(tc.model), c.ReadyPath(tc.model))
		}
	}
	c := newTestTF(t, TFServingConfig{})
	for _, model := range []string{"a:predict", "a/b", ""} {
		if _, _, err := c.InferRequest(model, testBatch); err == nil {
			t.Errorf("model name %q accepted", model)
		}
	}
}

func TestTFServingConfig(t *testing.T) {
	for _, cfg := range []TFServingConfig{
		{Version: "1", Label: "stable"},
		{Version: "v1"},
		{Version: "-1"},
		{Version: "+1"},
		{Label: "a:b"},
		{InputKey: strings.Repeat("k", 300)},
	} {
		if _, err := NewTFServing(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

func TestTFServingResponses(t *testing.T) {
	for _, tc := range []struct {
		cfg  TFServingConfig
		file string
	}{
		{TFServingConfig{}, "tfserving_predict_row.json"},
		{TFServingConfig{OutputKey: "probabilities"}, "tfserving_predict_objects.json"},
		{TFServingConfig{Columnar: true}, "tfserving_predict_columnar.json"},
		{TFServingConfig{Columnar: true, OutputKey: "probabilities"}, "tfserving_predict_columnar_named.json"},
	} {
		probs, version, err := newTestTF(t, tc.cfg).InferResponse(load(t, tc.file), 2, 3)
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		sameProbs(t, probs, want2x3)
		if version != "" {
			t.Errorf("%s: version %q", tc.file, version)
		}
	}
}

func TestTFServingRejects(t *testing.T) {
	row := TFServingConfig{}
	objects := TFServingConfig{OutputKey: "probabilities"}
	columnar := TFServingConfig{Columnar: true, OutputKey: "probabilities"}
	for _, tc := range []struct {
		cfg  TFServingConfig
		body string
		err  string
	}{
		{row, string(load(t, "tfserving_predict_nan.json")), "non-finite value NaN"},
		{row, string(load(t, "tfserving_error.json")), "error object"},
		{row, `{"predictions":[[0.1,0.2,0.7],[0.25,0.25,0.5],[1,0,0]]}`, "more than 2 rows"},
		{row, `{"predictions":[[0.1,0.2,0.7]]}`, "predictions has 1 rows, expected 2"},
		{row, `{"predictions":[[0.1,0.2,0.7],[0.5,0.5]]}`, "predictions row 1 has 2 values, expected 3"},
		{row, `{"predictions":[0.1,0.2,0.7,0.25,0.25,0.5]}`, "expected an array"},
		{row, `{"predictions":[[0.1,0.2,0.7],[0.25,0.25,Infinity]]}`, "non-finite value Infinity"},
		{row, `{"predictions":[[0.1,0.2,0.7],[0.25,0.25,-Infinity]]}`, "non-finite value -Infinity"},
		{row, `{"predictions":[[0.1,0.2,0.7],[0.2,0.2,0.5]]}`, "row 1 sums to"},
		{row, `{"outputs":[[0.1,0.2,0.7],[0.25,0.25,0.5]]}`, `no "predictions"`},
		{row, `{"predictions":[[0.1,0.2,0.7],[0.25,0.25,0.5]],"predictions":[[1,0,0],[1,0,0]]}`, "appears twice"},
		{objects, `{"predictions":[[0.1,0.2,0.7],[0.25,0.25,0.5]]}`, "not an object of named outputs"},
		{objects, `{"predictions":[{"probabilities":[0.1,0.2,0.7]},{"classes":2}]}`, `row 1 has no output "probabilities"`},
		{objects, `{"predictions":[{"probabilities":[0.1,0.2,0.7]},{"probabilities":[0.25,0.25,0.5],"probabilities":[1,0,0]}]}`, "twice"},
		{columnar, `{"outputs":[[0.1,0.2,0.7],[0.25,0.25,0.5]]}`, "not an object of named outputs"},
		{columnar, `{"outputs":{"probabilities":[[0.1,0.2,0.7]]}}`, "outputs.probabilities has 1 rows, expected 2"},
		{columnar, `{"predictions":{"probabilities":[[0.1,0.2,0.7]]}}`, `no "outputs"`},
	} {
		_, _, err := newTestTF(t, tc.cfg).InferResponse([]byte(tc.body), 2, 3)
		wantErr(t, err, tc.err)
		if !strings.HasPrefix(err.Error(), "tfserving: ") {
			t.Errorf("error %q lacks the protocol", err)
		}
	}
}

func TestTFServingReady(t *testing.T) {
	latest := newTestTF(t, TFServingConfig{})
	v123 := newTestTF(t, TFServingConfig{Version: "123"})
	v9 := newTestTF(t, TFServingConfig{Version: "9"})
	ok, loading := load(t, "tfserving_status.json"), load(t, "tfserving_status_loading.json")
	for _, tc := range []struct {
		c    Codec
		body []byte
		want bool
	}{
		{latest, ok, true}, {v123, ok, true}, {v9, ok, false}, {latest, loading, false},
		{latest, []byte(`{}`), false}, {latest, []byte(`not json`), false},
		{latest, []byte(`{"model_version_status":[{"state":"AVAILABLE"}]} trailing`), false},
	} {
		rc, isRC := tc.c.(ReadyChecker)
		if !isRC {
			t.Fatal("the TF Serving codec is no ReadyChecker")
		}
		if got := rc.Ready(tc.body); got != tc.want {
			t.Errorf("Ready(%s) = %v", tc.body, got)
		}
	}
	if _, isRC := newTestOIP(t, OIPConfig{Input: "x"}).(ReadyChecker); isRC {
		t.Error("OIP's ready endpoint needs no body check")
	}
}
