package wire

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func newTestJSON(t *testing.T, cfg JSONConfig) Codec {
	t.Helper()
	c, err := NewJSON(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestJSONRequests(t *testing.T) {
	tmpl := string(load(t, "json_template.json"))
	batch := [][]float32{{1, 2}, {3, 4.5}}
	for _, tc := range []struct {
		tmpl, ptr, body string
	}{
		{"", "/rows", `{"rows":[[1,2],[3,4.5]]}`},
		{tmpl, "/data/rows", `{"task": "classify", "data": {"options": {"top_k": 0},"rows":[[1,2],[3,4.5]]}}` + "\n"},
		{tmpl, "/data/options", `{"task": "classify", "data": {"options": [[1,2],[3,4.5]]}}` + "\n"},
		{`{"a/b": {}}`, "/a~1b/x~0y", `{"a/b": {"x~y":[[1,2],[3,4.5]]}}`},
		{`{"calls": [{"x": null}]}`, "/calls/0/x", `{"calls": [{"x": [[1,2],[3,4.5]]}]}`},
		{`{"calls": [ ]}`, "/calls/-", `{"calls": [ [[1,2],[3,4.5]]]}`},
		{`{"calls": [1]}`, "/calls/-", `{"calls": [1,[[1,2],[3,4.5]]]}`},
		{`[{}]`, "/0/in", `[{"in":[[1,2],[3,4.5]]}]`},
	} {
		c := newTestJSON(t, JSONConfig{Path: "/predict/{model}", Template: tc.tmpl, InputPointer: tc.ptr, OutputPointer: "/out"})
		path, body, err := c.InferRequest("my/model", batch)
		if err != nil {
			t.Fatal(err)
		}
		if path != "/predict/my%2Fmodel" || string(body) != tc.body {
			t.Errorf("%s at %s: %s %s, want %s", tc.tmpl, tc.ptr, path, body, tc.body)
		}
		if !json.Valid(body) {
			t.Errorf("invalid JSON %s", body)
		}
	}
}

func TestJSONConfigRejects(t *testing.T) {
	base := JSONConfig{Path: "/p", InputPointer: "/x", OutputPointer: "/y"}
	for _, tc := range []struct {
		edit func(*JSONConfig)
		err  string
	}{
		{func(c *JSONConfig) { c.Path = "" }, "does not start with '/'"},
		{func(c *JSONConfig) { c.Path = "p" }, "does not start with '/'"},
		{func(c *JSONConfig) { c.Path = "/p?debug=1" }, "query"},
		{func(c *JSONConfig) { c.ReadyPath = "ready" }, "does not start"},
		{func(c *JSONConfig) { c.Template = `{"a":` }, "template"},
		{func(c *JSONConfig) { c.Template = `{} {}` }, "data after"},
		{func(c *JSONConfig) { c.Template = strings.Repeat("[", 17) + strings.Repeat("]", 17) }, "nesting"},
		{func(c *JSONConfig) { c.InputPointer = "" }, "empty"},
		{func(c *JSONConfig) { c.InputPointer = "x" }, "does not start"},
		{func(c *JSONConfig) { c.InputPointer = "/a/b" }, "parent"},
		{func(c *JSONConfig) { c.Template = `{"a":1}`; c.InputPointer = "/a/b" }, "not an object or array"},
		{func(c *JSONConfig) { c.Template = `{"a":[]}`; c.InputPointer = "/a/0" }, "past the end"},
		{func(c *JSONConfig) { c.OutputPointer = "~" }, "output pointer"},
		{func(c *JSONConfig) { c.VersionPointer = "/~x" }, "version pointer"},
	} {
		cfg := base
		tc.edit(&cfg)
		_, err := NewJSON(cfg)
		wantErr(t, err, tc.err)
	}
}

func TestJSONResponses(t *testing.T) {
	c := newTestJSON(t, JSONConfig{Path: "/p", InputPointer: "/x", OutputPointer: "/result/scores", VersionPointer: "/meta/model~1version",
		ReadyPath: "/health/{model}", MetadataPath: "/models/{model}"})
	probs, version, err := c.InferResponse(load(t, "json_response.json"), 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	sameProbs(t, probs, want2x3)
	if version != "2026-11-01" {
		t.Errorf("version %q", version)
	}
	if c.ReadyPath("a b") != "/health/a%20b" || c.MetadataPath("m") != "/models/m" {
		t.Errorf("paths %q %q", c.ReadyPath("a b"), c.MetadataPath("m"))
	}
	bare := newTestJSON(t, JSONConfig{Path: "/p", InputPointer: "/x", OutputPointer: "/result/scores"})
	if bare.ReadyPath("m") != "" || bare.MetadataPath("m") != "" {
		t.Error("paths that were not configured")
	}
}

func TestJSONSoftmax(t *testing.T) {
	c := newTestJSON(t, JSONConfig{Path: "/p", InputPointer: "/x", OutputPointer: "/result/logits", Softmax: true})
	probs, _, err := c.InferResponse(load(t, "json_response_logits.json"), 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	e := []float64{math.Exp(-1.5), math.Exp(0.25), math.Exp(3)}
	s := e[0] + e[1] + e[2]
	// The second row's logits of 1000 would overflow exp unshifted.
	sameProbs(t, probs, [][]float32{{float32(e[0] / s), float32(e[1] / s), float32(e[2] / s)}, {0.5, 0.5, 0}})
	plain := newTestJSON(t, JSONConfig{Path: "/p", InputPointer: "/x", OutputPointer: "/result/logits"})
	_, _, err = plain.InferResponse(load(t, "json_response_logits.json"), 2, 3)
	wantErr(t, err, "not a probability")
}

func TestJSONRejects(t *testing.T) {
	c := newTestJSON(t, JSONConfig{Path: "/p", InputPointer: "/x", OutputPointer: "/out", VersionPointer: "/v"})
	for _, tc := range []struct{ body, err string }{
		{`{"out":[[0.5,0.5]]}`, `json pointer "/v": no such member`},
		{`{"v":"1"}`, `json pointer "/out": no such member`},
		{`{"v":1,"out":[[0.5,0.5]]}`, "is not a string"},
		{`{"v":"1","out":[0.5,0.5]}`, "expected an array"},
		{`{"v":"1","out":[[0.5,0.5],[1,0]]}`, "more than 1 rows"},
		{`{"v":"1","out":[[0.5,0.4]]}`, "sums to"},
		{`{"v":"1","out":[[0.5,0.5]],"extra":[NaN]}`, "non-finite value NaN"},
		{`{"v":"1","out":[[0.5,0.5]],"out":[[1,0]]}`, "appears twice"},
		{`{"v":"1","out":[[0.5,0.5]]}]`, "data after"},
	} {
		_, _, err := c.InferResponse([]byte(tc.body), 1, 2)
		wantErr(t, err, tc.err)
		if !strings.HasPrefix(err.Error(), "json: ") {
			t.Errorf("error %q lacks the protocol", err)
		}
	}
	if _, _, err := c.InferRequest("", testBatch); err == nil {
		t.Error("empty model name accepted")
	}
}

// TestConcurrentUse: a codec is shared by every request of a model.
func TestConcurrentUse(t *testing.T) {
	oip := newTestOIP(t, OIPConfig{Input: "x"})
	tf := newTestTF(t, TFServingConfig{OutputKey: "probabilities"})
	js := newTestJSON(t, JSONConfig{Path: "/p", InputPointer: "/x", OutputPointer: "/result/scores"})
	cases := []struct {
		c    Codec
		body []byte
	}{{oip, load(t, "oip_response.json")}, {tf, load(t, "tfserving_predict_objects.json")}, {js, load(t, "json_response.json")}}
	errs := make(chan error, 8*len(cases))
	for range 8 {
		for _, tc := range cases {
			go func() {
				_, _, err := tc.c.InferRequest("m", testBatch)
				if err == nil {
					_, _, err = tc.c.InferResponse(tc.body, 2, 3)
				}
				errs <- err
			}()
		}
	}
	for range 8 * len(cases) {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// appendValue writes what strconv's shortest float32 'g' writes, for the
// whole numbers it takes a shortcut on and around them.
func TestAppendValueMatchesStrconv(t *testing.T) {
	check := func(v float32) {
		t.Helper()
		want := strconv.AppendFloat(nil, float64(v), 'g', -1, 32)
		if got := appendValue(nil, v); string(got) != string(want) {
			t.Fatalf("%v (bits %#x): got %s, want %s", v, math.Float32bits(v), got, want)
		}
	}
	for i := -1_000_100; i <= 1_000_100; i++ {
		check(float32(i))
	}
	for _, v := range []float32{float32(math.Copysign(0, -1)), 0.5, -0.5, 1e6, -1e6, 999999.94, 16777216, 1e-7,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), math.MaxFloat32, math.SmallestNonzeroFloat32} {
		check(v)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200_000 {
		check(math.Float32frombits(r.Uint32()))
	}
}
