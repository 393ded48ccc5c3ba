package oip_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modelward/modelward/gateway/digits"
	"github.com/modelward/modelward/gateway/oip"
)

func newServer(t testing.TB, opt oip.Options) (*httptest.Server, *digits.Predictor) {
	t.Helper()
	p := digits.NewPredictor(digits.Pretrained(), "digits")
	s, err := oip.New(map[string]oip.Predictor{"digits": p}, opt)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts, p
}

func do(t testing.TB, method, url, body string) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

// rows returns n test images of the data set as JSON, flat or nested.
func rows(n int, nested bool) string {
	d := digits.UCI()
	var parts []string
	for i := range n {
		var vals []string
		for _, v := range d.Row(i) {
			vals = append(vals, fmt.Sprint(v))
		}
		if nested {
			parts = append(parts, "["+strings.Join(vals, ",")+"]")
		} else {
			parts = append(parts, strings.Join(vals, ","))
		}
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func inferBody(n int, nested bool) string {
	return fmt.Sprintf(`{"id":"req-1","inputs":[{"name":"pixels","shape":[%d,64],"datatype":"FP32","data":%s}]}`, n, rows(n, nested))
}

type response struct {
	ModelName    string `json:"model_name"`
	ModelVersion string `json:"model_version"`
	ID           string `json:"id"`
	Outputs      []struct {
		Name     string    `json:"name"`
		Datatype string    `json:"datatype"`
		Shape    []int     `json:"shape"`
		Data     []float64 `json:"data"`
	} `json:"outputs"`
}

func TestHealthAndMetadata(t *testing.T) {
	ts, p := newServer(t, oip.Options{Version: "v1.2.3"})
	for _, path := range []string{"/v2/health/live", "/v2/health/ready", "/v2/models/digits/ready", "/v2/models/digits/versions/" + p.Metadata().Versions[0] + "/ready"} {
		if code, body, _ := do(t, "GET", ts.URL+path, ""); code != 200 || len(body) != 0 {
			t.Errorf("%s: %d %q", path, code, body)
		}
	}
	code, body, h := do(t, "GET", ts.URL+"/v2", "")
	if code != 200 || h.Get("Content-Type") != "application/json" || string(body) != `{"extensions":[],"name":"modelward","version":"v1.2.3"}` {
		t.Fatalf("server metadata: %d %s", code, body)
	}
	code, body, _ = do(t, "GET", ts.URL+"/v2/models/digits", "")
	var md oip.ModelMetadata
	if err := json.Unmarshal(body, &md); code != 200 || err != nil {
		t.Fatalf("model metadata: %d %s", code, body)
	}
	if md.Name != "digits" || len(md.Versions) != 1 || md.Platform == "" || len(md.Inputs) != 1 ||
		md.Inputs[0].Name != "pixels" || md.Inputs[0].Datatype != "FP32" || fmt.Sprint(md.Inputs[0].Shape) != "[-1 64]" ||
		len(md.Outputs) != 2 || md.Outputs[0].Name != "probabilities" || md.Outputs[1].Datatype != "INT64" {
		t.Fatalf("model metadata %s", body)
	}
}

func TestInfer(t *testing.T) {
	ts, p := newServer(t, oip.Options{})
	d := digits.UCI()
	for _, nested := range []bool{false, true} {
		code, body, _ := do(t, "POST", ts.URL+"/v2/models/digits/infer", inferBody(5, nested))
		if code != 200 {
			t.Fatalf("nested=%v: %d %s", nested, code, body)
		}
		var r response
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatal(err)
		}
		if r.ModelName != "digits" || r.ModelVersion != p.Metadata().Versions[0] || r.ID != "req-1" || len(r.Outputs) != 2 {
			t.Fatalf("response %s", body)
		}
		probs, labels := r.Outputs[0], r.Outputs[1]
		if probs.Name != "probabilities" || probs.Datatype != "FP32" || fmt.Sprint(probs.Shape) != "[5 10]" || len(probs.Data) != 50 ||
			labels.Name != "label" || labels.Datatype != "INT64" || fmt.Sprint(labels.Shape) != "[5]" || len(labels.Data) != 5 {
			t.Fatalf("outputs %s", body)
		}
		for i := range 5 {
			want := digits.Pretrained().Predict(d.Row(i))
			for k := range 10 {
				if float32(probs.Data[i*10+k]) != want[k] {
					t.Fatalf("row %d class %d: %v, want %v (the JSON must round-trip FP32 exactly)", i, k, probs.Data[i*10+k], want[k])
				}
			}
			if int(labels.Data[i]) != digits.Label(want) || int(labels.Data[i]) != int(d.Y[i]) {
				t.Fatalf("row %d: label %v, want %d", i, labels.Data[i], d.Y[i])
			}
		}
	}
	// Only the outputs asked for, in the order asked; no id, no id back.
	body := `{"inputs":[{"name":"pixels","shape":[1,64],"datatype":"FP32","data":` + rows(1, true) + `}],"outputs":[{"name":"label"}]}`
	code, out, _ := do(t, "POST", ts.URL+"/v2/models/digits/versions/"+p.Metadata().Versions[0]+"/infer", body)
	if code != 200 || !strings.Contains(string(out), `"outputs":[{"name":"label","datatype":"INT64","shape":[1],"data":[0]}]`) || strings.Contains(string(out), `"id"`) {
		t.Fatalf("%d %s", code, out)
	}
}

func TestInferErrors(t *testing.T) {
	ts, _ := newServer(t, oip.Options{MaxBodyBytes: 64 << 10, MaxBatch: 8})
	one := rows(1, false)
	input := func(name, shape, dtype, data string) string {
		return fmt.Sprintf(`{"inputs":[{"name":%q,"shape":%s,"datatype":%q,"data":%s}]}`, name, shape, dtype, data)
	}
	for _, c := range []struct {
		name, path, body string
		code             int
	}{
		{"wrong shape", "digits", input("pixels", "[1,63]", "FP32", one), 400},
		{"rank 1", "digits", input("pixels", "[64]", "FP32", one), 400},
		{"shape and data disagree", "digits", input("pixels", "[2,64]", "FP32", one), 400},
		{"ragged nested", "digits", input("pixels", "[2,64]", "FP32", "["+rows(1, false)+",[1,2]]"), 400},
		{"nested too deep", "digits", input("pixels", "[1,64]", "FP32", "[["+rows(1, false)+"]]"), 400},
		{"zero batch", "digits", input("pixels", "[0,64]", "FP32", "[]"), 400},
		{"negative batch", "digits", input("pixels", "[-1,64]", "FP32", one), 400},
		{"batch over limit", "digits", input("pixels", "[9,64]", "FP32", rows(9, false)), 400},
		{"wrong datatype", "digits", input("pixels", "[1,64]", "FP64", one), 400},
		{"wrong input name", "digits", input("image", "[1,64]", "FP32", one), 400},
		{"string data", "digits", input("pixels", "[1,64]", "FP32", strings.Replace(one, "0", `"0"`, 1)), 400},
		{"bool data", "digits", input("pixels", "[1,64]", "FP32", strings.Replace(one, "0", "true", 1)), 400},
		{"number too large", "digits", input("pixels", "[1,64]", "FP32", strings.Replace(one, "0", "1e39", 1)), 400},
		{"no data", "digits", `{"inputs":[{"name":"pixels","shape":[1,64],"datatype":"FP32"}]}`, 400},
		{"two inputs", "digits", `{"inputs":[{"name":"pixels","shape":[1,64],"datatype":"FP32","data":` + one + `},{"name":"pixels","shape":[1,64],"datatype":"FP32","data":` + one + `}]}`, 400},
		{"no inputs", "digits", `{"inputs":[]}`, 400},
		{"unknown output", "digits", `{"inputs":[{"name":"pixels","shape":[1,64],"datatype":"FP32","data":` + one + `}],"outputs":[{"name":"logits"}]}`, 400},
		{"repeated output", "digits", `{"inputs":[{"name":"pixels","shape":[1,64],"datatype":"FP32","data":` + one + `}],"outputs":[{"name":"label"},{"name":"label"}]}`, 400},
		{"binary output", "digits", `{"inputs":[{"name":"pixels","shape":[1,64],"datatype":"FP32","data":` + one + `}],"outputs":[{"name":"label","parameters":{"binary_data":true}}]}`, 400},
		{"unknown field", "digits", `{"input":[]}`, 400},
		{"not JSON", "digits", `{"inputs":`, 400},
		{"two values", "digits", input("pixels", "[1,64]", "FP32", one) + "{}", 400},
		{"id not a string", "digits", `{"id":42,"inputs":[]}`, 400},
		{"unknown model", "mnist", input("pixels", "[1,64]", "FP32", one), 404},
		{"model name case", "Digits", input("pixels", "[1,64]", "FP32", one), 404},
		{"unknown version", "digits/versions/0", input("pixels", "[1,64]", "FP32", one), 404},
		{"oversized body", "digits", input("pixels", "[1,64]", "FP32", one) + strings.Repeat(" ", 64<<10), 413},
	} {
		code, body, h := do(t, "POST", ts.URL+"/v2/models/"+c.path+"/infer", c.body)
		var e struct{ Error string }
		if code != c.code || json.Unmarshal(body, &e) != nil || e.Error == "" || h.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %s, want %d with a JSON error", c.name, code, body, c.code)
		} else {
			t.Logf("%s: %d %s", c.name, code, e.Error)
		}
	}
}

// A body of unknown length (chunked) over the limit is cut off with 413 too.
func TestChunkedBodyLimit(t *testing.T) {
	ts, _ := newServer(t, oip.Options{MaxBodyBytes: 1 << 10})
	body := io.MultiReader(strings.NewReader(inferBody(1, false)), strings.NewReader(strings.Repeat(" ", 4<<10)))
	req, _ := http.NewRequest("POST", ts.URL+"/v2/models/digits/infer", body)
	req.ContentLength = -1
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Fatalf("%d", resp.StatusCode)
	}
}

func TestRouting(t *testing.T) {
	ts, _ := newServer(t, oip.Options{})
	for _, c := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/v2/models/digits/infer", 405},
		{"POST", "/v2/health/live", 405},
		{"DELETE", "/v2/models/digits", 405},
		{"GET", "/v2/models/nope", 404},
		{"GET", "/v2/models/nope/ready", 404},
		{"GET", "/v2/models", 404},
		{"GET", "/v2/models/digits/other", 404},
		{"GET", "/v1/models/digits", 404},
		{"GET", "/v2//models/digits", 404},
		{"GET", "/V2/health/live", 404},
		{"GET", "/v2/models/digits%2Fready", 404},
		{"GET", "/v2/models/digits%2fready", 404},
		{"GET", "/v2/%6dodels/digits", 200},
		{"GET", "/v2/models/digits/%2E%2E/digits", 404},
		{"GET", "/v2/models/digits/versions/", 404},
		{"HEAD", "/v2/health/live", 200},
	} {
		code, body, _ := do(t, c.method, ts.URL+c.path, "")
		if code != c.code {
			t.Errorf("%s %s: %d %s, want %d", c.method, c.path, code, body, c.code)
		}
	}
	// Binary tensor data is refused up front.
	req, _ := http.NewRequest("POST", ts.URL+"/v2/models/digits/infer", strings.NewReader("x"))
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 415 {
		t.Fatalf("octet-stream: %d", resp.StatusCode)
	}
}

type failing struct{ err error }

func (f failing) Metadata() oip.ModelMetadata {
	return oip.ModelMetadata{Name: "f", Platform: "test",
		Inputs:  []oip.TensorMetadata{{Name: "x", Datatype: "FP32", Shape: []int64{-1, 2}}},
		Outputs: oip.ClassifierOutputs(2)}
}
func (f failing) Predict([][]float32) ([][]float32, error) { return nil, f.err }

type wrongRows struct{ failing }

func (wrongRows) Predict(b [][]float32) ([][]float32, error) { return make([][]float32, len(b)+1), nil }

func TestPredictorErrors(t *testing.T) {
	body := `{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2]}]}`
	for _, c := range []struct {
		p    oip.Predictor
		code int
	}{
		{failing{fmt.Errorf("%w: out of range", oip.ErrInvalidInput)}, 400},
		{failing{errors.New("boom")}, 500},
		{wrongRows{}, 500},
	} {
		ts := httptest.NewServer(oip.Handler(map[string]oip.Predictor{"f": c.p}))
		code, out, _ := do(t, "POST", ts.URL+"/v2/models/f/infer", body)
		ts.Close()
		if code != c.code || !bytes.HasPrefix(out, []byte(`{"error":`)) {
			t.Errorf("%T: %d %s", c.p, code, out)
		}
	}
}

type badMeta struct {
	failing
	md oip.ModelMetadata
}

func (b badMeta) Metadata() oip.ModelMetadata { return b.md }

func TestNewRejectsMetadata(t *testing.T) {
	good := failing{}.Metadata()
	mod := func(f func(*oip.ModelMetadata)) oip.Predictor {
		md := good
		md.Inputs = []oip.TensorMetadata{good.Inputs[0]}
		f(&md)
		return badMeta{md: md}
	}
	for name, p := range map[string]oip.Predictor{
		"no name":    mod(func(m *oip.ModelMetadata) { m.Name = "" }),
		"INT8 input": mod(func(m *oip.ModelMetadata) { m.Inputs[0].Datatype = "INT8" }),
		"rank 3":     mod(func(m *oip.ModelMetadata) { m.Inputs[0].Shape = []int64{-1, 2, 2} }),
		"no outputs": mod(func(m *oip.ModelMetadata) { m.Outputs = nil }),
	} {
		if _, err := oip.New(map[string]oip.Predictor{p.Metadata().Name: p}, oip.Options{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := oip.New(map[string]oip.Predictor{"other": failing{}}, oip.Options{}); err == nil {
		t.Error("a name that differs from the metadata's was accepted")
	}
}

func BenchmarkInferHTTP(b *testing.B) {
	for _, n := range []int{1, 32} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			ts, _ := newServer(b, oip.Options{})
			body := []byte(inferBody(n, false))
			client := ts.Client()
			url := ts.URL + "/v2/models/digits/infer"
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				resp, err := client.Post(url, "application/json", bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatal(resp.Status)
				}
			}
		})
	}
}

// BenchmarkInferHandler measures the handler alone, without the network.
func BenchmarkInferHandler(b *testing.B) {
	h := oip.Handler(map[string]oip.Predictor{"digits": digits.NewPredictor(digits.Pretrained(), "digits")})
	body := []byte(inferBody(1, false))
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/v2/models/digits/infer", bytes.NewReader(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
