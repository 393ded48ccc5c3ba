package proxy

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/modelward/modelward/gateway/digits"
)

// tfServing is a TensorFlow Serving REST stand-in for the digits model,
// strict about the request as the predict API documents it (row format:
// {"signature_name": ..., "instances": [[...], ...]} answered by
// {"predictions": [[...], ...]}) and answering the model status API.
func tfServing(t *testing.T) *httptest.Server {
	m := digits.Pretrained()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/models/digits:predict", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			SignatureName string      `json:"signature_name"`
			Instances     [][]float32 `json:"instances"`
		}
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil || len(req.Instances) == 0 {
			http.Error(w, `{"error": "bad request"}`, http.StatusBadRequest)
			return
		}
		out := make([][]float32, len(req.Instances))
		for i, x := range req.Instances {
			if len(x) != 64 {
				http.Error(w, `{"error": "bad shape"}`, http.StatusBadRequest)
				return
			}
			p := m.Predict(x)
			out[i] = p[:]
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"predictions": out})
	})
	mux.HandleFunc("GET /v1/models/digits", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"model_version_status":[{"version":"1","state":"AVAILABLE","status":{"error_code":"OK","error_message":""}}]}`)
	})
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// bespoke is a model server of its own design: rows under /batch/rows in,
// logits under /result/logits out, a version string.
func bespoke(t *testing.T) *httptest.Server {
	m := digits.Pretrained()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /predict/digits", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Batch struct {
				Rows [][]float32 `json:"rows"`
			} `json:"batch"`
			Client string `json:"client"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Client != "modelward" {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		logits := make([][]float64, len(req.Batch.Rows))
		for i, x := range req.Batch.Rows {
			for _, p := range m.Predict(x) {
				logits[i] = append(logits[i], math.Log(max(float64(p), 1e-30))+3) // a shifted log: softmax undoes it
			}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"result": map[string]any{"logits": logits, "model": "v7"}})
	})
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// The gateway speaks TF Serving and a generic JSON mapping upstream and
// OIP v2 to clients, with the same labels as the model itself.
func TestUpstreamProtocols(t *testing.T) {
	tf, own := tfServing(t), bespoke(t)
	m := digits.Pretrained()
	for _, c := range []struct{ name, upstream, yaml, version string }{
		{"tfserving", tf.URL, "    protocol: tfserving\n    tfserving: {signature_name: serving_default}\n", ""},
		{"json", own.URL, "    protocol: json\n    json: {path: \"/predict/{model}\", template: '{\"batch\": {}, \"client\": \"modelward\"}', " +
			"input_pointer: /batch/rows, output_pointer: /result/logits, version_pointer: /result/model, softmax: true}\n", "v7"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, worldOpts{upstreams: c.upstream, model: c.yaml})
			d := digits.UCI()
			rows := [][]float32{d.Row(3), d.Row(4), d.Row(5)}
			st, b := w.infer(w.tokens["all"], inferBody(rows...))
			if st != 200 {
				t.Fatalf("%d %s", st, b)
			}
			r := decode(t, b)
			probs := r.output("probabilities")
			for i, x := range rows {
				want := m.Predict(x)
				for k := range want {
					if math.Abs(probs[i*10+k]-float64(want[k])) > 1e-4 {
						t.Fatalf("row %d class %d: %v, the model says %v", i, k, probs[i*10+k], want[k])
					}
				}
			}
			if r.ModelVersion != c.version {
				t.Errorf("version %q, want %q", r.ModelVersion, c.version)
			}
			if st, _, _ := w.do("GET", "/v2/models/digits/ready", w.tokens["all"], ""); st != 200 {
				t.Errorf("ready: %d", st)
			}
			st, md, _ := w.do("GET", "/v2/models/digits", w.tokens["all"], "")
			if st != 200 || !json.Valid(md) || !containsAll(string(md), `"pixels"`, `"probabilities"`) {
				t.Errorf("metadata: %d %s", st, md)
			}
		})
	}
}

// With a transport of its own (https upstreams, or a caller's choice) the
// gateway goes through net/http: same answers, same refusals.
func TestNetHTTPUpstreamPath(t *testing.T) {
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(make([]byte, 8<<20))
	}))
	t.Cleanup(huge.Close)
	for _, c := range []struct {
		upstream string
		status   int
	}{{"", 200}, {huge.URL, 502}} {
		w := newWorld(t, worldOpts{upstreams: c.upstream, transport: &http.Transport{}})
		if w.gw.lean != nil {
			t.Fatal("the lean client is in use despite a transport")
		}
		if st, b := w.infer(w.tokens["all"], inferBody(digits.UCI().Row(7))); st != c.status {
			t.Fatalf("%s: %d %s", c.upstream, st, b)
		}
	}
	w := newWorld(t, worldOpts{})
	if w.gw.lean == nil || !w.gw.models["digits"].pool.ups[0].plain {
		t.Fatal("plain-http upstreams should use the lean client")
	}
}
