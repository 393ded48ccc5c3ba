package wire

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func newTestOIP(t *testing.T, cfg OIPConfig) Codec {
	t.Helper()
	c, err := NewOIP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOIPRequestGolden(t *testing.T) {
	c := newTestOIP(t, OIPConfig{Input: "pixels"})
	path, body, err := c.InferRequest("digits", testBatch)
	if err != nil {
		t.Fatal(err)
	}
	if path != "/v2/models/digits/infer" {
		t.Fatalf("path %q", path)
	}
	if want := bytes.TrimSpace(load(t, "oip_request.json")); !bytes.Equal(body, want) {
		t.Fatalf("body\n%s\nwant\n%s", body, want)
	}
}

// TestOIPRequestRoundTrip reads the request back with encoding/json: every
// float32 must survive the shortest-decimal encoding bit for bit.
func TestOIPRequestRoundTrip(t *testing.T) {
	c := newTestOIP(t, OIPConfig{Input: `in"put`, Output: "out\\put"})
	batch := [][]float32{{1.0 / 3, -0, 3.4028235e38, 1.4e-45, -7.25}, {0.1, 1e10, -1e-10, 65504, 2}}
	_, body, err := c.InferRequest("m", batch)
	if err != nil {
		t.Fatal(err)
	}
	var req struct {
		Inputs []struct {
			Name, Datatype string
			Shape          []int
			Data           []float32
		}
		Outputs []struct{ Name string }
	}
	if err := json.Unmarshal(body, &req); err != nil {
		t.Fatalf("%v in %s", err, body)
	}
	in := req.Inputs[0]
	if in.Name != `in"put` || in.Datatype != "FP32" || len(in.Shape) != 2 || in.Shape[0] != 2 || in.Shape[1] != 5 {
		t.Fatalf("input header %+v", in)
	}
	if len(req.Outputs) != 1 || req.Outputs[0].Name != "out\\put" {
		t.Fatalf("outputs %+v", req.Outputs)
	}
	for i, v := range in.Data {
		if v != batch[i/5][i%5] {
			t.Fatalf("value %d: %v, want %v", i, v, batch[i/5][i%5])
		}
	}
}

func TestOIPPaths(t *testing.T) {
	for _, tc := range []struct {
		cfg                    OIPConfig
		model                  string
		infer, metadata, ready string
	}{
		{OIPConfig{Input: "x"}, "digits", "/v2/models/digits/infer", "/v2/models/digits", "/v2/models/digits/ready"},
		{OIPConfig{Input: "x", Version: "3"}, "digits", "/v2/models/digits/versions/3/infer", "/v2/models/digits/versions/3", "/v2/models/digits/versions/3/ready"},
		{OIPConfig{Input: "x", Version: "v/1"}, "a b/c?d", "/v2/models/a%20b%2Fc%3Fd/versions/v%2F1/infer", "/v2/models/a%20b%2Fc%3Fd/versions/v%2F1", "/v2/models/a%20b%2Fc%3Fd/versions/v%2F1/ready"},
		{OIPConfig{Input: "x"}, "..", "/v2/models/%2E%2E/infer", "/v2/models/%2E%2E", "/v2/models/%2E%2E/ready"},
	} {
		c := newTestOIP(t, tc.cfg)
		path, _, err := c.InferRequest(tc.model, testBatch)
		if err != nil {
			t.Fatal(err)
		}
		if path != tc.infer || c.MetadataPath(tc.model) != tc.metadata || c.ReadyPath(tc.model) != tc.ready {
			t.Errorf("%+v %q: got %q %q %q", tc.cfg, tc.model, path, c.MetadataPath(tc.model), c.ReadyPath(tc.model))
		}
	}
}

func TestOIPResponses(t *testing.T) {
	c := newTestOIP(t, OIPConfig{Input: "pixels"})
	for file, version := range map[string]string{
		"oip_response.json": "1", "oip_response_nested.json": "2", "triton_response.json": "1",
	} {
		probs, v, err := c.InferResponse(load(t, file), 2, 3)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		sameProbs(t, probs, want2x3)
		if v != version {
			t.Errorf("%s: version %q, want %q", file, v, version)
		}
	}
}

func TestOIPOutputName(t *testing.T) {
	c := newTestOIP(t, OIPConfig{Input: "x", Output: "scores"})
	body := `{"outputs":[{"name":"probabilities","shape":[1,2],"datatype":"FP32","data":[0.5,0.5]},` +
		`{"name":"scor\u0065s","shape":[1,2],"datatype":"FP32","data":[0.9,0.1]}]}`
	probs, v, err := c.InferResponse([]byte(body), 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	sameProbs(t, probs, [][]float32{{0.9, 0.1}})
	if v != "" {
		t.Fatalf("version %q from an answer without one", v)
	}
}

func oipBody(output string) string {
	return `{"model_name":"m","outputs":[` + output + `]}`
}

func TestOIPRejects(t *testing.T) {
	c := newTestOIP(t, OIPConfig{Input: "x"})
	good := `"name":"probabilities","shape":[2,3],"datatype":"FP32"`
	for _, tc := range []struct{ body, err string }{
		{"", "empty body"},
		{" \n", "empty body"},
		{`{"outputs":[{"name":"probabilities","data":[0.1`, "unexpected end"},
		{"[]", "expected an object"},
		{string(load(t, "oip_error.json")), "error object"},
		{string(load(t, "triton_binary_response.json")), "binary tensor data"},
		{`{"outputs":[]}`, `no output "probabilities"`},
		{oipBody(`{` + good + `,"data":[0.1,0.2,0.7,0.25,0.25]}`), "has 5 values, expected 6"},
		{oipBody(`{` + good + `,"data":[0.1,0.2,0.7,0.25,0.25,0.5,0]}`), "more than 6 values"},
		{oipBody(`{` + good + `,"data":[[0.1,0.2,0.7]]}`), "has 1 rows, expected 2"},
		{oipBody(`{` + good + `,"data":[[0.1,0.2,0.7],[0.25,0.75]]}`), "row 1 has 2 values, expected 3"},
		{oipBody(`{"name":"probabilities","shape":[3,2],"datatype":"FP32","data":[0.1,0.2,0.7,0.25,0.25,0.5]}`), "shape other than [2, 3]"},
		{oipBody(`{"name":"probabilities","shape":[6],"datatype":"FP32","data":[0.1,0.2,0.7,0.25,0.25,0.5]}`), "shape other than"},
		{oipBody(`{"name":"probabilities","shape":[2,3],"datatype":"INT64","data":[0,0,1,0,0,1]}`), `datatype "INT64"`},
		{oipBody(`{"name":"probabilities","shape":[2,3],"data":[0.1,0.2,0.7,0.25,0.25,0.5]}`), `has no datatype`},
		{oipBody(`{"name":"probabilities","shape":[2,3],"datatype":32,"data":[0.1,0.2,0.7,0.25,0.25,0.5]}`), `datatype is not a string`},
		{oipBody(`{"name":["probabilities"],"shape":[2,3],"datatype":"FP32","data":[0.1,0.2,0.7,0.25,0.25,0.5]}`), `name is not a string`},
		{oipBody(`{` + good + `,"data":[0.1,0.2,0.7,0.25,0.25,0.6]}`), "row 1 sums to"},
		{oipBody(`{` + good + `,"data":[-0.1,0.4,0.7,0.25,0.25,0.5]}`), "row 0 class 0 is -0.1"},
		{oipBody(`{` + good + `,"data":[1e39,0.2,0.7,0.25,0.25,0.5]}`), "non-finite"},
		{oipBody(`{` + good + `,"data":[NaN,0.2,0.7,0.25,0.25,0.5]}`), "non-finite value NaN"},
		{oipBody(`{` + good + `,"data":[0.1,0.2,"0.7",0.25,0.25,0.5]}`), "invalid JSON value"},
		{oipBody(`{` + good + `,"data":[0.1,0.2,0.7,0.25,0.25,0.5],"data":[1,0,0,1,0,0]}`), `"data" appears twice`},
		{oipBody(`{` + good + `,"data":[0.1,0.2,0.7,0.25,0.25,0.5]},{` + good + `,"data":[0.1,0.2,0.7,0.25,0.25,0.5]}`), "appears twice"},
		{`{"model_version":1,"outputs":[]}`, "model_version is not a string"},
		{`{"outputs":[],"outputs":[]}`, `"outputs" appears twice`},
		{oipBody(`{`+good+`,"data":[0.1,0.2,0.7,0.25,0.25,0.5]}`) + "x", "data after the JSON value"},
		{oipBody(`{` + good + `,"data":[0.1,0.2,0.7,0.25,0.25,0.5],}`), "expected a member name"},
		{oipBody(`{` + good + `,"data":[01,0.2,0.7,0.25,0.25,0.5]}`), "expected ','"},
		{oipBody(`{"name":"probabilities","shape":[2,3,1,1,1,1,1,1,1],"datatype":"FP32"}`), "more than 8 dimensions"},
		{oipBody(`{"name":"probabilities","shape":[2.5,3],"datatype":"FP32"}`), "not a non-negative integer"},
		{`{"parameters":` + strings.Repeat(`{"a":`, 20) + `1` + strings.Repeat(`}`, 20) + `}`, "nesting deeper than 16"},
		{"{\"id\":\"\x01\"}", "control character"},
		{`{"id":"\q"}`, "bad escape"},
	} {
		_, _, err := c.InferResponse([]byte(tc.body), 2, 3)
		wantErr(t, err, tc.err)
		if !strings.HasPrefix(err.Error(), "oip: ") {
			t.Errorf("error %q lacks the protocol", err)
		}
	}
}

// TestErrorsDoNotEchoTheBody: a body full of secrets must not reach logs.
func TestErrorsDoNotEchoTheBody(t *testing.T) {
	c := newTestOIP(t, OIPConfig{Input: "x"})
	secret := strings.Repeat("S", 500)
	_, _, err := c.InferResponse([]byte(`{"outputs":[`+secret+`]}`), 1, 2)
	wantErr(t, err, "expected an object")
	if strings.Count(err.Error(), "S") > snipLen {
		t.Fatalf("error echoes the body: %q", err)
	}
}

func TestOIPConfigAndArgs(t *testing.T) {
	if _, err := NewOIP(OIPConfig{}); err == nil {
		t.Error("no input name accepted")
	}
	if _, err := NewOIP(OIPConfig{Input: "x", Version: strings.Repeat("9", 300)}); err == nil {
		t.Error("a 300-byte version accepted")
	}
	c := newTestOIP(t, OIPConfig{Input: "x"})
	for _, tc := range []struct {
		model string
		batch [][]float32
		err   string
	}{
		{"", testBatch, "empty model name"},
		{"m", nil, "empty batch"},
		{"m", [][]float32{{}}, "want 1 to"},
		{"m", [][]float32{{1, 2}, {3}}, "row 1 has 1 features, expected 2"},
		{"m", [][]float32{{1, float32(posInf())}}, "row 0 feature 1 is not finite"},
	} {
		_, _, err := c.InferRequest(tc.model, tc.batch)
		wantErr(t, err, tc.err)
	}
	for _, dims := range [][2]int{{0, 3}, {2, 0}, {-1, 3}, {1 << 20, 1 << 20}} {
		_, _, err := c.InferResponse(load(t, "oip_response.json"), dims[0], dims[1])
		wantErr(t, err, "want at least 1")
	}
}
