package oip

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// digitsRow is the first image of the UCI digits set, 64 pixels of 0..16.
var digitsRow = []int{0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4, 12, 0, 0, 8, 8, 0,
	0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6, 13, 10, 0, 0, 0}

var digitsModel = ModelMetadata{
	Name:     "digits",
	Platform: "test",
	Inputs:   []TensorMetadata{{Name: "pixels", Datatype: FP32, Shape: []int64{-1, 64}}},
	Outputs:  ClassifierOutputs(10),
}

// digitsBody is a request for n rows, flat or nested; rows vary a little
// and some values are fractions, so that numbers are not all small ints.
func digitsBody(n int, nested bool) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"id":"req-1","inputs":[{"name":"pixels","shape":[%d,64],"datatype":"FP32","data":[`, n)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		if nested {
			b.WriteByte('[')
		}
		for j, v := range digitsRow {
			if j > 0 {
				b.WriteByte(',')
			}
			if i%4 == 3 && v != 0 {
				fmt.Fprintf(&b, "%g", float32(v)/16)
			} else {
				fmt.Fprint(&b, (v+i)%17)
			}
		}
		if nested {
			b.WriteByte(']')
		}
	}
	b.WriteString("]}]}")
	return b.Bytes()
}

func parseSeeds() []string {
	return []string{
		string(digitsBody(1, false)),
		string(digitsBody(16, false)),
		string(digitsBody(16, true)),
		`{"id":"42","inputs":[{"name":"pixels","shape":[2,4],"datatype":"FP32","data":[0,1,2,3,4,5,6,7]}]}`,
		`{"inputs":[{"data":[[0,1.5,2e1,-3],[4,5,6,16]],"datatype":"FP32","shape":[2,4],"name":"pixels"}],"outputs":[{"name":"label"}]}`,
		`{"inputs":[{"name":"pix\u0065ls","shape":[1,4],"datatype":"FP32","data":[0,-0,1E+2,3.25e-3]}],"id":"\ud83d\ude00\u00e9\n\"\\\/\b\f\r\t"}`,
		`{"id":"\ud800x\udc00\ud800\u0041","inputs":[{"name":"pixels","shape":[1,4],"datatype":"FP32","data":[0,0,0,0]}]}`,
		`{"id":null,"outputs":null,"parameters":{"a":"b","c":1.5,"d":false},"inputs":[{"name":"pixels","shape":[1,4],"datatype":"FP32","parameters":{},"data":[1,2,3,4]}]}`,
		`{"inputs":[{"name":"pixels","shape":[1,4],"datatype":"FP32","data":[0,1,2,3]}],"outputs":[{"parameters":{"x":1},"name":"probabilities"},{"name":"label"}]}`,
		`{"inputs":[{"name":"pixels","shape":[1,4],"datatype":"FP32","data":[0,1,2,3]}]}]`,
		`{"inputs":[{"name":"pixels","shape":[1,4],"datatype":"FP32","data":[0,1,2,3]}]} {}`,
		`{"Inputs":[{"name":"pixels","shape":[1,4],"datatype":"FP32","data":[0,1,2,3]}]}`,
		`{"inputs":[{"name":"pixels","shape":[1,4],"datatype":"FP32","data":[0,1,2,3],"data":[0,1,2,3]}]}`,
		`{"inputs":[{"name":"pixels","shape":[1,4],"datatype":"FP32","data":[01,1,2,3]}]}`,
		`{"inputs":[{"name":"pixels","shape":[1,4],"datatype":"FP32","data":null}]}`,
		`{"inputs":[{"name":"pixels","shape":[1000000000,4],"datatype":"FP32","data":[]}]}`,
		`{"inputs":[{"name":"pixels","shape":[1,4],"datatype":"FP32","data":[0,1,2,3]}],"parameters":{"a":{"b":[[[[1]]]]}}}`,
		`{"inputs":[{"name":"pixels","shape":[1,4],"datatype":"FP32","data":[0,1,2,3]}],"outputs":[{"name":"label","parameters":{"binary_data":true}}]}`,
		"{\"id\":\"\xff\",\"inputs\":[{\"name\":\"pixels\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[0,1,2,3]}]}",
		"{\"id\":\"a\tb\",\"inputs\":[]}",
		`{"inputs":[{"name":"pixels","shape":[1,4.0],"datatype":"FP32","data":[0,1,2,3]}]}`,
		`{"inputs":[{"name":"pixels","shape":[1,4],"datatype":"FP32","data":[[[0,1,2,3]]]}]}`,
		`{"inputs":[{"name":"pixels","datatype":"FP32","data":[[[0,1,2,3]]],"shape":[1,4]}]}`,
		`{"inputs":[{"name":"pixels","shape":[1,4],"datatype":"FP32","data":[3.4028235e38,-3.4028236e38,1e-46,4.9406564584124654e-324]}]}`,
		`{"inputs":[{"name":"pixels","shape":[1,4],"datatype":"FP32","data":[123456789012345678901234567890,0.1000000000000000055511151231257827,9007199254740993,1e22]}]}`,
	}
}

// compareRequests reports how two accepted requests differ, or "".
func compareRequests(a, b *InferRequest) string {
	if a.ID != b.ID || !slices.Equal(a.Outputs, b.Outputs) || len(a.Batch) != len(b.Batch) {
		return fmt.Sprintf("%q %v %d rows vs %q %v %d rows", a.ID, a.Outputs, len(a.Batch), b.ID, b.Outputs, len(b.Batch))
	}
	for i := range a.Batch {
		if len(a.Batch[i]) != len(b.Batch[i]) {
			return fmt.Sprintf("row %d: %d vs %d values", i, len(a.Batch[i]), len(b.Batch[i]))
		}
		for j := range a.Batch[i] {
			if math.Float32bits(a.Batch[i][j]) != math.Float32bits(b.Batch[i][j]) {
				return fmt.Sprintf("row %d value %d: %v vs %v", i, j, a.Batch[i][j], b.Batch[i][j])
			}
		}
	}
	return ""
}

// schemaKeys are the keys the schema knows (parameters' keys are free).
var schemaKeys = []string{"id", "parameters", "inputs", "outputs", "name", "shape", "datatype", "data"}

// explainRefusal says which intended difference makes the new parser
// refuse a body the reference accepted, checking the claim against the
// body itself, or "" when none does.
func explainRefusal(body []byte, err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "invalid UTF-8") && !utf8.Valid(body):
		return "invalid UTF-8"
	case strings.Contains(msg, "more than one JSON value") && onlyClosersAfter(body):
		return "trailing ']' or '}' that json.Decoder.More let through"
	}
	// With a repeated key (the reference keeps the last) or a case variant
	// of a schema key (the reference folds case), the reference reads
	// another request than the one the new parser starts on, so the new
	// parser's first error may be about anything.
	switch repeated, variant := keyHazards(body); {
	case repeated != "":
		return "repeated key " + strconv.Quote(repeated)
	case variant != "":
		return "key " + strconv.Quote(variant) + " matched case-insensitively by the reference"
	}
	return ""
}

// onlyClosersAfter tells whether the body's first JSON value is followed
// only by whitespace and closing brackets.
func onlyClosersAfter(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	var v json.RawMessage
	if dec.Decode(&v) != nil {
		return false
	}
	return len(bytes.Trim(body[dec.InputOffset():], " \t\r\n]}")) == 0
}

// keyHazards walks the body's first JSON value and returns a key some
// object repeats, and a key outside a parameters object that differs from
// a schema key only in case ("" when there is none).
func keyHazards(body []byte) (repeated, variant string) {
	dec := json.NewDecoder(bytes.NewReader(body))
	type frame struct {
		object, wantKey, params bool
		lastKey                 string
		keys                    map[string]bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return repeated, variant
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if s, ok := tok.(string); ok && top != nil && top.object && top.wantKey {
			if top.keys[s] && repeated == "" {
				repeated = s
			}
			top.keys[s] = true
			top.lastKey, top.wantKey = s, false
			for _, k := range schemaKeys {
				if !top.params && s != k && strings.EqualFold(s, k) && variant == "" {
					variant = s
				}
			}
			continue
		}
		switch tok {
		case json.Delim('{'):
			params := top != nil && top.object && strings.EqualFold(top.lastKey, "parameters")
			stack = append(stack, &frame{object: true, wantKey: true, params: params, keys: map[string]bool{}})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return repeated, variant
			}
			top = stack[len(stack)-1]
		}
		if top != nil && top.object {
			top.wantKey = true // a value ended: a key comes next
		}
	}
}

// FuzzParseInferRequestDifferential checks the hand-written parser against
// the former encoding/json one: what the new parser accepts the reference
// accepts identically (bit for bit), and what only the reference accepts
// is one of the intended differences (see explainRefusal).
func FuzzParseInferRequestDifferential(f *testing.F) {
	for _, s := range parseSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, md := range []ModelMetadata{fuzzModel, digitsModel} {
			got, err := ParseInferRequest(body, md, 16)
			want, refErr := referenceParseInferRequest(body, md, 16)
			switch {
			case err == nil && refErr != nil:
				t.Fatalf("%s: accepted what the reference refuses (%v)", md.Name, refErr)
			case err == nil:
				if d := compareRequests(got, want); d != "" {
					t.Fatalf("%s: requests differ: %s", md.Name, d)
				}
			case refErr == nil:
				if why := explainRefusal(body, err); why == "" {
					t.Fatalf("%s: refused what the reference accepts, unexplained: %v", md.Name, err)
				}
			}
		}
	})
}

func TestParseSeedsAgree(t *testing.T) {
	for _, s := range parseSeeds() {
		for _, md := range []ModelMetadata{fuzzModel, digitsModel} {
			got, err := ParseInferRequest([]byte(s), md, 16)
			want, refErr := referenceParseInferRequest([]byte(s), md, 16)
			switch {
			case err == nil && refErr != nil:
				t.Errorf("%.80s: accepted, reference: %v", s, refErr)
			case err == nil:
				if d := compareRequests(got, want); d != "" {
					t.Errorf("%.80s: %s", s, d)
				}
			case refErr == nil:
				if why := explainRefusal([]byte(s), err); why == "" {
					t.Errorf("%.80s: unexplained refusal %v", s, err)
				} else {
					t.Logf("%.60s: refused (%s): %v", s, why, err)
				}
			}
		}
	}
}

// body4 is a valid width-4 request with its input object's members
// replaced by members.
func body4(members string) []byte {
	return []byte(`{"inputs":[{` + members + `}]}`)
}

const okMembers = `"name":"pixels","shape":[1,4],"datatype":"FP32","data":[0,1,2,3]`

func TestParseRefusals(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{`{"id":"a","id":"b","inputs":[{` + okMembers + `}]}`, `"id" appears twice`},
		{string(body4(okMembers + `,"name":"pixels"`)), `"name" appears twice`},
		{`{"inputs":[{` + okMembers + `}],"outputs":[{"name":"label","name":"label"}]}`, `"name" appears twice`},
		{`{"inputs":[{` + okMembers + `}],"parameters":{"a":1,"a":2}}`, `"a" appears twice`},
		{`{"ID":"a","inputs":[{` + okMembers + `}]}`, `unknown field "ID"`},
		{string(body4(`"Name":"pixels","shape":[1,4],"datatype":"FP32","data":[0,1,2,3]`)), `unknown field "Name"`},
		{`{"inputz":[]}`, `unknown field "inputz"`},
		{`{"` + strings.Repeat("k", 200) + `":1}`, `unknown field "` + strings.Repeat("k", 64) + `"`},
		{string(body4(okMembers + `,"extra":1`)), `unknown field "extra"`},
		{`{"inputs":[{` + okMembers + `}]} x`, "more than one JSON value"},
		{`{"inputs":[{` + okMembers + `}]}]`, "more than one JSON value"},
		{`{"inputs":[{` + okMembers + `}]}{}`, "more than one JSON value"},
		{"{\"inputs\":[{" + okMembers + "}]}\v", "more than one JSON value"},
		{"\f{\"inputs\":[]}", "not a JSON object"},
		{"{\"id\":\"a\x01\",\"inputs\":[]}", "control character"},
		{"{\"id\":\"a\xffb\",\"inputs\":[]}", "invalid UTF-8"},
		{"{\"id\":\"\xed\xa0\x80\",\"inputs\":[]}", "invalid UTF-8"}, // a surrogate encoded in UTF-8
		{`{"id":"\x41","inputs":[]}`, "invalid escape"},
		{`{"id":"\u12G4","inputs":[]}`, `invalid \u escape`},
		{`{"id":"abc`, "unterminated string"},
		{`{"id":42,"inputs":[]}`, `field "id" cannot be a number`},
		{`{"inputs":[{` + okMembers + `}],"parameters":null}`, "the request's parameters are not a JSON object"},
		{`{"inputs":[{` + okMembers + `}],"parameters":{"a":null}}`, `parameter "a" is not a string, number or boolean`},
		{`{"inputs":[{` + okMembers + `}],"parameters":{"a":` + strings.Repeat("[", 10000) + `}}`, `parameter "a" is not a string`},
		{`{"inputs":[{` + okMembers + `,"parameters":{"binary_data_size":1}}]}`, "binary tensor data"},
		{string(body4(`"name":"pixels","shape":[1,4],"datatype":"FP32","data":null`)), `input "pixels" has no data`},
		{string(body4(`"name":"pixels","shape":[1,4],"datatype":"FP32"`)), `input "pixels" has no data`},
		{`{"inputs":[null]}`, `field "inputs" cannot be null`},
		{`{"inputs":null}`, "has 0 inputs"},
		{`{"inputs":[{` + okMembers + `},{` + okMembers + `}]}`, "more than one input"},
		{string(body4(`"name":"pixels","shape":[1,4.0],"datatype":"FP32","data":[0,1,2,3]`)), `"inputs.shape" cannot be the number 4.0`},
		{string(body4(`"name":"pixels","shape":[1,4e0],"datatype":"FP32","data":[0,1,2,3]`)), `"inputs.shape" cannot be the number 4e0`},
		{string(body4(`"name":"pixels","shape":[9223372036854775808,4],"datatype":"FP32","data":[0,1,2,3]`)), `cannot be the number`},
		{string(body4(`"name":"pixels","shape":[1,4,1],"datatype":"FP32","data":[0,1,2,3]`)), "has shape [1 4 1]"},
		{string(body4(`"name":"pixels","shape":[17,4],"datatype":"FP32","data":[0,1,2,3]`)), "a batch of 17; the limit is 16"},
		{string(body4(`"name":"pixels","datatype":"FP32","data":[[[0,1,2,3]]],"shape":[1,4]`)), "nested deeper"},
		{string(body4(`"name":"pixels","datatype":"FP32","data":[[0,1,2,3]]`)), "has shape []"},
		{string(body4(`"name":"pixels","shape":[1,4],"datatype":"FP32","data":[0,1,2,"3"]`)), "element 3 at nesting depth 0 is not a number"},
		{string(body4(`"name":"pixels","shape":[1,4],"datatype":"FP32","data":[0,1,2,1e39]`)), "does not fit FP32"},
	} {
		_, err := ParseInferRequest([]byte(c.body), fuzzModel, 16)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%.80q: %v, want %q", c.body, err, c.want)
		}
	}
}

func TestParseBadNumbers(t *testing.T) {
	for _, n := range []string{"01", "+1", ".5", "1.", "1e", "-", "1e400", "-1e400", "0x10", "Infinity", "NaN", "1e+", "--1", "1.5.5", "1e5e5", "-.5", "00", "1E-"} {
		members := `"name":"pixels","shape":[1,4],"datatype":"FP32","data":[0,1,2,` + n + `]`
		for _, body := range [][]byte{body4(members), body4(`"data":[0,1,2,` + n + `],"name":"pixels","shape":[1,4],"datatype":"FP32"`)} {
			if req, err := ParseInferRequest(body, fuzzModel, 16); err == nil {
				t.Errorf("%s accepted: %v", n, req.Batch)
			}
		}
		// Also as a shape element and a parameter.
		if _, err := ParseInferRequest(body4(`"name":"pixels","shape":[1,`+n+`],"datatype":"FP32","data":[0,1,2,3]`), fuzzModel, 16); err == nil {
			t.Errorf("shape %s accepted", n)
		}
		if _, err := ParseInferRequest([]byte(`{"parameters":{"p":`+n+`},"inputs":[{`+okMembers+`}]}`), fuzzModel, 16); err == nil && n != "1e400" && n != "-1e400" {
			t.Errorf("parameter %s accepted", n)
		}
	}
}

// Numbers parse bit-identically to strconv.ParseFloat(s, 64) then float32.
func TestParseNumberMatchesStrconv(t *testing.T) {
	for _, s := range []string{"0", "-0", "-0.0", "1", "0.1", "3.4028235e38", "3.4028236e38", "3.4028235677973366e38",
		"1.401298464324817e-45", "7e-46", "9007199254740993", "9007199254740992e-22", "123456789012345678",
		"1234567890123456789", "12345678901234567890", "12345678901234567890e-22", "1234567890123456789e-22",
		"0.30000000000000004", "1e22", "1e23", "1e-22", "1e-23", "4.9e-324", "2.2250738585072011e-308",
		"1.7976931348623157e308", "0e999999999", "0.000000000000000000000000000001", "0.0000000000000000000001",
		"100000000000000000000000", "-16.5E+1"} {
		if msg := vsStrconv([]byte(s)); msg != "" {
			t.Error(msg)
		}
	}
}

// vsStrconv says how parseNumber(b) differs from strconv.ParseFloat(b, 64),
// which it must equal bit for bit, refusing what overflows; "" when not.
func vsStrconv(b []byte) string {
	want, werr := strconv.ParseFloat(string(b), 64)
	got, gerr := parseNumber(b)
	if (werr != nil || math.IsInf(want, 0)) != (gerr != nil) || gerr == nil && math.Float64bits(got) != math.Float64bits(want) {
		return fmt.Sprintf("%.80s (%d bytes): got %v %v, want %v %v", b, len(b), got, gerr, want, werr)
	}
	return ""
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"0", "-0", "1.5", "1e22", "9007199254740993", "0.1", "-1.25e-3", "1e400", "01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, err := parseNumber([]byte(s))
		valid := json.Valid([]byte(s)) && len(s) > 0 && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) && strings.Trim(s, "-+.eE0123456789") == ""
		if err == errBadNumber {
			if valid {
				t.Fatalf("%q refused as malformed", s)
			}
			return
		}
		if !valid {
			t.Fatalf("%q accepted", s)
		}
		if msg := vsStrconv([]byte(s)); msg != "" {
			t.Fatal(msg)
		}
	})
}

func TestParseAccepts(t *testing.T) {
	for _, c := range []struct {
		body string
		id   string
		row  []float32
		outs string
	}{
		{string(body4(`"name":"pix\u0065ls","shape":[1,4],"datatype":"F\u0050\u00332","data":[0,1,2,3]`)), "", []float32{0, 1, 2, 3}, "probabilities,label"},
		{`{"id":"\ud83d\ude00","inputs":[{` + okMembers + `}]}`, "\U0001F600", nil, ""},
		{`{"id":"\ud800","inputs":[{` + okMembers + `}]}`, "\uFFFD", nil, ""},
		{`{"id":"\udc00\ud800A","inputs":[{` + okMembers + `}]}`, "\uFFFD\uFFFDA", nil, ""},
		{`{"id":"\ud800\u0041","inputs":[{` + okMembers + `}]}`, "\uFFFDA", nil, ""},
		{"{\"id\":\"\u00e9\u4e16\",\"inputs\":[{" + okMembers + "}]}", "é世", nil, ""},
		{`{"id":"\"\\\/\b\f\n\r\t","inputs":[{` + okMembers + `}]}`, "\"\\/\b\f\n\r\t", nil, ""},
		// Shape after data, nested or flat.
		{string(body4(`"data":[[4,5,6,7]],"datatype":"FP32","name":"pixels","shape":[1,4]`)), "", []float32{4, 5, 6, 7}, ""},
		{string(body4(`"data":[4,5,6,7],"shape":[1,4],"datatype":"FP32","name":"pixels"`)), "", []float32{4, 5, 6, 7}, ""},
		// Nulls that count as absent.
		{`{"id":null,"outputs":null,"inputs":[{` + okMembers + `}]}`, "", nil, "probabilities,label"},
		{`{"outputs":[{"parameters":{"a":"b"},"name":"label"}],"inputs":[{` + okMembers + `}]}`, "", nil, "label"},
		{" \t\r\n{\"inputs\":[{" + okMembers + "}]} \t\r\n", "", nil, ""},
		{string(body4(`"name":"pixels","shape":[1,4],"datatype":"FP32","data":[-0,1e-50,3.4028234e38,-2.5E-1]`)), "", []float32{float32(math.Copysign(0, -1)), 0, 3.4028234e38, -0.25}, ""},
	} {
		req, err := ParseInferRequest([]byte(c.body), fuzzModel, 16)
		if err != nil {
			t.Errorf("%.80s: %v", c.body, err)
			continue
		}
		if req.ID != c.id || (c.outs != "" && strings.Join(req.Outputs, ",") != c.outs) {
			t.Errorf("%.80s: id %q outputs %v", c.body, req.ID, req.Outputs)
		}
		for i, v := range c.row {
			if math.Float32bits(req.Batch[0][i]) != math.Float32bits(v) {
				t.Errorf("%.80s: value %d is %v, want %v", c.body, i, req.Batch[0][i], v)
			}
		}
	}
}

// A huge batch is refused from its shape, before anything is allocated
// for it, whichever of shape and data comes first.
func TestParseHugeBatchRefusedEarly(t *testing.T) {
	for _, body := range [][]byte{
		[]byte(`{"inputs":[{"name":"pixels","shape":[1000000000,64],"datatype":"FP32","data":[]}]}`),
		[]byte(`{"inputs":[{"name":"pixels","data":[],"shape":[1000000000,64],"datatype":"FP32"}]}`),
		[]byte(`{"inputs":[{"name":"pixels","shape":[9223372036854775807,64],"datatype":"FP32","data":[]}]}`),
	} {
		start := time.Now()
		allocs := testing.AllocsPerRun(10, func() {
			if _, err := ParseInferRequest(body, digitsModel, 16); err == nil || !strings.Contains(err.Error(), "the limit is 16") {
				t.Fatalf("%s: %v", body, err)
			}
		})
		if allocs > 10 || time.Since(start) > time.Second {
			t.Errorf("%s: %v allocs, %v", body, allocs, time.Since(start))
		}
	}
}

// The parser keeps nothing of the body, which the server reuses.
func TestParseDoesNotAliasBody(t *testing.T) {
	body := []byte(`{"id":"abc","inputs":[{` + okMembers + `}],"outputs":[{"name":"label"}]}`)
	req, err := ParseInferRequest(body, fuzzModel, 16)
	if err != nil {
		t.Fatal(err)
	}
	for i := range body {
		body[i] = 'x'
	}
	if req.ID != "abc" || req.Outputs[0] != "label" {
		t.Fatalf("%+v", req)
	}
}

func BenchmarkParseInferRequest(b *testing.B) {
	for _, c := range []struct {
		name string
		body []byte
	}{{"row64", digitsBody(1, false)}, {"batch16", digitsBody(16, false)}} {
		for _, impl := range []struct {
			name  string
			parse func([]byte, ModelMetadata, int) (*InferRequest, error)
		}{{"new", ParseInferRequest}, {"reference", referenceParseInferRequest}} {
			b.Run(c.name+"/"+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(c.body)))
				for b.Loop() {
					if _, err := impl.parse(c.body, digitsModel, 16); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
