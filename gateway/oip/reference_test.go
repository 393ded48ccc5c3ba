package oip

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

type refRawRequest struct {
	ID         *string         `json:"id"`
	Parameters json.RawMessage `json:"parameters"`
	Inputs     []refRawInput   `json:"inputs"`
	Outputs    []refRawOutput  `json:"outputs"`
}

type refRawInput struct {
	Name       string          `json:"name"`
	Shape      []int64         `json:"shape"`
	Datatype   string          `json:"datatype"`
	Parameters json.RawMessage `json:"parameters"`
	Data       json.RawMessage `json:"data"`
}

type refRawOutput struct {
	Name       string          `json:"name"`
	Parameters json.RawMessage `json:"parameters"`
}

// referenceParseInferRequest is the former, encoding/json implementation
// of ParseInferRequest, kept as the differential fuzz target's reference.
// It decodes with json.Decoder and DisallowUnknownFields, which matches
// keys case-insensitively, keeps the last of repeated keys, replaces
// invalid UTF-8 and lets a trailing ']' or '}' through (json.Decoder.More).
func referenceParseInferRequest(body []byte, md ModelMetadata, maxBatch int) (*InferRequest, error) {
	width, err := checkMetadata(md)
	if err != nil {
		return nil, err
	}
	var raw refRawRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("the request is not a valid inference request object: %w", refJSONError(err))
	}
	if dec.More() {
		return nil, errors.New("the request body holds more than one JSON value")
	}
	if err := refCheckParameters("the request's", raw.Parameters); err != nil {
		return nil, err
	}
	req := &InferRequest{}
	if raw.ID != nil {
		req.ID = *raw.ID
	}
	in := md.Inputs[0]
	if len(raw.Inputs) != 1 {
		return nil, fmt.Errorf("the request has %d inputs; model %q takes exactly one, %q", len(raw.Inputs), md.Name, in.Name)
	}
	ri := raw.Inputs[0]
	if ri.Name != in.Name {
		return nil, fmt.Errorf("unknown input %.64q: model %q takes %q", ri.Name, md.Name, in.Name)
	}
	if ri.Datatype != in.Datatype {
		return nil, fmt.Errorf("input %q has datatype %.16q; the model takes %s", in.Name, ri.Datatype, in.Datatype)
	}
	if err := refCheckParameters("input "+strconv.Quote(in.Name)+"'s", ri.Parameters); err != nil {
		return nil, err
	}
	if len(ri.Shape) != 2 || ri.Shape[1] != int64(width) || ri.Shape[0] < 1 {
		return nil, fmt.Errorf("input %q has shape %v; the model takes [batch, %d] with batch >= 1", in.Name, clip(ri.Shape), width)
	}
	if ri.Shape[0] > int64(maxBatch) {
		return nil, fmt.Errorf("input %q has a batch of %d; the limit is %d", in.Name, ri.Shape[0], maxBatch)
	}
	if ri.Data == nil {
		return nil, fmt.Errorf("input %q has no data", in.Name)
	}
	batch := int(ri.Shape[0])
	flat := make([]float32, 0, batch*width)
	flat, err = refParseData(ri.Data, []int{batch, width}, flat)
	if err != nil {
		return nil, fmt.Errorf("input %q: %w", in.Name, err)
	}
	req.Batch = make([][]float32, batch)
	for i := range req.Batch {
		req.Batch[i] = flat[i*width : (i+1)*width : (i+1)*width]
	}
	seen := map[string]bool{}
	for _, o := range raw.Outputs {
		if !hasOutput(md, o.Name) {
			return nil, fmt.Errorf("unknown output %.64q: model %q answers %s", o.Name, md.Name, outputNames(md))
		}
		if seen[o.Name] {
			return nil, fmt.Errorf("output %q is requested twice", o.Name)
		}
		seen[o.Name] = true
		if err := refCheckParameters("output "+strconv.Quote(o.Name)+"'s", o.Parameters); err != nil {
			return nil, err
		}
		req.Outputs = append(req.Outputs, o.Name)
	}
	if req.Outputs == nil {
		for _, o := range md.Outputs {
			req.Outputs = append(req.Outputs, o.Name)
		}
	}
	return req, nil
}

// refJSONError words a decoding error without echoing much of the input.
func refJSONError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Errorf("field %q cannot be %s", te.Field, te.Value)
	}
	return err
}

// refCheckParameters accepts a $parameters object: values that are strings,
// numbers or booleans. The binary tensor data extension is refused, since
// its tensors are not in the JSON.
func refCheckParameters(whose string, raw json.RawMessage) error {
	if raw == nil {
		return nil
	}
	var params map[string]json.RawMessage
	if err := json.Unmarshal(raw, &params); err != nil || params == nil {
		return fmt.Errorf("%s parameters are not a JSON object", whose)
	}
	for k, v := range params {
		switch v[0] {
		case '{', '[', 'n':
			return fmt.Errorf("%s parameter %.64q is not a string, number or boolean", whose, k)
		}
		if (k == "binary_data" && string(v) == "true") || k == "binary_data_size" || k == "binary_data_output" && string(v) == "true" {
			return fmt.Errorf("%s parameter %q asks for binary tensor data, which this server does not support: send JSON data", whose, k)
		}
	}
	return nil
}

// refParseData appends the tensor data raw holds to dst, checking it against
// shape: either one flat array of every element, or arrays nested to match
// shape exactly. raw is valid JSON (encoding/json checked it).
func refParseData(raw []byte, shape []int, dst []float32) ([]float32, error) {
	total := 1
	for _, d := range shape {
		total *= d
	}
	p := refDataParser{buf: raw, dst: dst, shape: shape}
	p.skipSpace()
	if !p.consume('[') {
		return nil, errors.New("data is not an array")
	}
	p.skipSpace()
	nested := p.pos < len(p.buf) && p.buf[p.pos] == '['
	var err error
	if nested {
		err = p.array(shape, 0, true)
	} else {
		err = p.array([]int{total}, 0, true)
	}
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.buf) {
		return nil, errors.New("data has bytes after its array")
	}
	return p.dst, nil
}

type refDataParser struct {
	buf   []byte
	pos   int
	dst   []float32
	shape []int // the tensor's shape, for messages
}

func (p *refDataParser) skipSpace() {
	for p.pos < len(p.buf) {
		switch p.buf[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *refDataParser) consume(c byte) bool {
	if p.pos < len(p.buf) && p.buf[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

// countError words a wrong element count: got is -1 for too many.
func (p *refDataParser) countError(got, depth int, flat bool) error {
	count := fmt.Sprint(got)
	if got < 0 {
		count = "more"
	}
	if flat {
		total := 1
		for _, d := range p.shape {
			total *= d
		}
		return fmt.Errorf("flat data holds %s values where the shape %v asks %d", count, p.shape, total)
	}
	return fmt.Errorf("data has %s elements at nesting depth %d where the shape %v asks %d", count, depth, p.shape, p.shape[depth])
}

// array parses an array of shape[depth] elements; its '[' is consumed
// already when opened is true.
func (p *refDataParser) array(shape []int, depth int, opened bool) error {
	if !opened {
		p.skipSpace()
		if !p.consume('[') {
			return fmt.Errorf("data at nesting depth %d is not an array of %d elements, as the shape %v asks", depth, shape[depth], p.shape)
		}
	}
	want := shape[depth]
	leaf := depth == len(shape)-1
	for i := 0; ; i++ {
		p.skipSpace()
		if p.consume(']') {
			if i != want {
				return p.countError(i, depth, len(shape) == 1 && len(p.shape) > 1)
			}
			return nil
		}
		if i > 0 && !p.consume(',') {
			return errors.New("data is malformed")
		}
		if i == want {
			return p.countError(-1, depth, len(shape) == 1 && len(p.shape) > 1)
		}
		if !leaf {
			if err := p.array(shape, depth+1, false); err != nil {
				return err
			}
			continue
		}
		p.skipSpace()
		start := p.pos
		for p.pos < len(p.buf) {
			c := p.buf[p.pos]
			if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
				p.pos++
				continue
			}
			break
		}
		if start == p.pos {
			return fmt.Errorf("data element %d at nesting depth %d is not a number", i, depth)
		}
		v, err := strconv.ParseFloat(string(p.buf[start:p.pos]), 64)
		if err != nil || math.IsInf(v, 0) || math.Abs(v) > math.MaxFloat32 {
			return fmt.Errorf("data element %d at nesting depth %d does not fit FP32", i, depth)
		}
		p.dst = append(p.dst, float32(v))
	}
}
