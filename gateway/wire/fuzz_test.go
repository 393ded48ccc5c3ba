package wire

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedAll adds every testdata document (and a few hand-made edge cases)
// to a fuzz corpus.
func seedAll(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{``, `{}`, `[`, `{"outputs":[{"name":"probabilities","data":[0.5,0.5`, `{"a":"\u00e9\ud83d\ude00"}`} {
		f.Add([]byte(s))
	}
}

// checkAnswer is what every successful read must satisfy.
func checkAnswer(t *testing.T, probs [][]float32, err error, rows, classes int) {
	t.Helper()
	if err != nil {
		if strings.TrimSpace(err.Error()) == "" || len(err.Error()) > 400 {
			t.Fatalf("bad error %q", err)
		}
		return
	}
	if len(probs) != rows {
		t.Fatalf("%d rows, want %d", len(probs), rows)
	}
	for _, row := range probs {
		if len(row) != classes {
			t.Fatalf("row of %d, want %d", len(row), classes)
		}
	}
	if err := checkProbs(probs, "fuzz"); err != nil {
		t.Fatalf("accepted invalid probabilities: %v", err)
	}
}

func FuzzOIPResponse(f *testing.F) {
	seedAll(f)
	c, err := NewOIP(OIPConfig{Input: "x"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, dims := range [][2]int{{2, 3}, {1, 2}} {
			probs, _, err := c.InferResponse(body, dims[0], dims[1])
			checkAnswer(t, probs, err, dims[0], dims[1])
		}
	})
}

func FuzzTFServingResponse(f *testing.F) {
	seedAll(f)
	var codecs []Codec
	for _, cfg := range []TFServingConfig{{}, {OutputKey: "probabilities"}, {Columnar: true}, {Columnar: true, OutputKey: "probabilities"}} {
		c, err := NewTFServing(cfg)
		if err != nil {
			f.Fatal(err)
		}
		codecs = append(codecs, c)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, c := range codecs {
			probs, _, err := c.InferResponse(body, 2, 3)
			checkAnswer(t, probs, err, 2, 3)
			c.(ReadyChecker).Ready(body)
		}
	})
}

func FuzzJSONResponse(f *testing.F) {
	seedAll(f)
	plain, err := NewJSON(JSONConfig{Path: "/p", InputPointer: "/x", OutputPointer: "/result/scores", VersionPointer: "/meta/model~1version"})
	if err != nil {
		f.Fatal(err)
	}
	logits, err := NewJSON(JSONConfig{Path: "/p", InputPointer: "/x", OutputPointer: "/result/logits", Softmax: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, c := range []Codec{plain, logits} {
			probs, _, err := c.InferResponse(body, 2, 3)
			checkAnswer(t, probs, err, 2, 3)
		}
	})
}

// FuzzPointer parses pointers (a parsed one must print back to itself)
// and evaluates them against the RFC 6901 example and the test data.
func FuzzPointer(f *testing.F) {
	for _, s := range []string{"", "/", "/foo/0", "/a~1b", "/m~0n", "/~01", "/data/rows", "/result/scores/1/2", "/a/-", "/~", "/~2", "x"} {
		f.Add(s)
	}
	docs := [][]byte{[]byte(rfc6901Doc), load(f, "json_response.json"), load(f, "oip_response_nested.json")}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePointer(s)
		if err != nil {
			return
		}
		if p.String() != s {
			t.Fatalf("%q prints as %q", s, p.String())
		}
		for _, d := range docs {
			if st, e, err := p.Find(d); err == nil && (st < 0 || e > len(d) || st >= e) {
				t.Fatalf("%q: span [%d, %d) of %d bytes", s, st, e, len(d))
			}
		}
		// A parent that exists must accept the batch, and the result
		// must be valid JSON.
		if len(p) == 0 {
			return
		}
		if c, err := newJSON(JSONConfig{Path: "/p", Template: rfc6901Doc, InputPointer: s}); err == nil {
			_, body, err := c.InferRequest("m", testBatch)
			if err != nil || document(body, func(i int) (int, error) { return skipValue(body, i, 0) }) != nil {
				t.Fatalf("%q: %v, body %s", s, err, body)
			}
		}
	})
}
