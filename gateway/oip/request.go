package oip

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// InferRequest is a parsed, checked $inference_request.
type InferRequest struct {
	// ID is the request's "id", echoed in the response ("" when absent).
	ID string
	// Batch holds the input rows; each row has the input's width.
	Batch [][]float32
	// Outputs lists the outputs to answer, in order: every output when the
	// request names none.
	Outputs []string
}

// ParseInferRequest parses and checks an inference request body against a
// model's metadata: exactly the model's one input, by name, as FP32 of
// shape [batch, width] with 1 <= batch <= maxBatch, its data flat or
// nested to match the shape, every value a finite number that fits FP32;
// requested outputs known and not repeated; parameters, where given, a
// JSON object of strings, numbers and booleans. It never panics; every
// error is the client's and worded for it.
//
// The body must be exactly one JSON object (RFC 8259, strictly: valid
// UTF-8, no trailing bytes but whitespace). Keys match exactly, and an
// unknown or repeated key in any object is refused. A lone UTF-16
// surrogate in a \u escape becomes U+FFFD. Members may come in any order
// ("data" before "shape" is parsed once the shape is known). A null "id",
// "inputs", "outputs", "name", "datatype" or "shape" counts as absent (so
// a null "inputs" is zero inputs and a null "outputs" asks for every
// output), a null shape element as 0, and a null "data" as no data; a null "parameters", or null where an
// input or output object belongs, is refused. The body is not retained:
// the caller may reuse it.
func ParseInferRequest(body []byte, md ModelMetadata, maxBatch int) (*InferRequest, error) {
	width, err := checkMetadata(md)
	if err != nil {
		return nil, err
	}
	p := requestParser{r: reader{buf: body}, md: md, width: width, maxBatch: maxBatch, req: &InferRequest{}}
	return p.parse()
}

// requestParser walks the $inference_request schema over a reader.
type requestParser struct {
	r        reader
	md       ModelMetadata
	width    int
	maxBatch int
	req      *InferRequest
	inputs   int
}

// objectError words a schema violation as encoding/json's did.
func objectError(format string, args ...any) error {
	return fmt.Errorf("the request is not a valid inference request object: "+format, args...)
}

// member marks key (bit of the object's known keys) as seen, refusing a
// repeat: two parsers that keep the first and the last of a repeated key
// would see different requests.
func member(seen *uint8, bit uint8, key []byte) error {
	if *seen&bit != 0 {
		return objectError("field %.64q appears twice", key)
	}
	*seen |= bit
	return nil
}

func (p *requestParser) parse() (*InferRequest, error) {
	if p.r.peek() != '{' {
		return nil, objectError("the body is not a JSON object")
	}
	var seen uint8
	err := p.r.object(func(key []byte) error {
		switch string(key) {
		case "id":
			if err := member(&seen, 1, key); err != nil {
				return err
			}
			return p.id()
		case "parameters":
			if err := member(&seen, 2, key); err != nil {
				return err
			}
			return p.r.parameters("the request's")
		case "inputs":
			if err := member(&seen, 4, key); err != nil {
				return err
			}
			return p.r.array("inputs", true, p.input)
		case "outputs":
			if err := member(&seen, 8, key); err != nil {
				return err
			}
			return p.r.array("outputs", true, p.output)
		}
		return objectError("unknown field %.64q", key)
	})
	if err != nil {
		return nil, err
	}
	if p.r.ws(); p.r.pos != len(p.r.buf) {
		return nil, errors.New("the request body holds more than one JSON value")
	}
	if p.inputs == 0 {
		return nil, fmt.Errorf("the request has 0 inputs; model %q takes exactly one, %q", p.md.Name, p.md.Inputs[0].Name)
	}
	if p.req.Outputs == nil {
		p.req.Outputs = make([]string, len(p.md.Outputs))
		for i, o := range p.md.Outputs {
			p.req.Outputs[i] = o.Name
		}
	}
	return p.req, nil
}

func (p *requestParser) id() error {
	if p.r.literal("null") {
		return nil
	}
	if p.r.peek() != '"' {
		return objectError("field %q cannot be %s", "id", p.r.kind())
	}
	s, err := p.r.readString()
	if err != nil {
		return err
	}
	p.req.ID = string(s) // a copy: the caller reuses body
	return nil
}

// tensorInput gathers an input object's members, which may come in any
// order.
type tensorInput struct {
	seen       uint8
	nameOK     bool   // the name is the model's input's
	name       string // the name, kept only when it is wrong
	datatypeOK bool
	datatype   string // kept only when it is wrong
	shape      [8]int64
	rank       int // may exceed len(shape): only the first 8 are kept
	shapeOK    bool
	data       int // where a "data" read before the shape starts, or -1
	hasData    bool
	flat       []float32
}

func (p *requestParser) input(int) error {
	p.inputs++
	in := p.md.Inputs[0]
	if p.inputs > 1 {
		return fmt.Errorf("the request has more than one input; model %q takes exactly one, %q", p.md.Name, in.Name)
	}
	if p.r.peek() != '{' {
		return objectError("field %q cannot be %s", "inputs", p.r.kind())
	}
	// An absent name is "", as encoding/json left it.
	t := tensorInput{data: -1, nameOK: in.Name == ""}
	err := p.r.object(func(key []byte) error { return p.inputMember(&t, key) })
	if err != nil {
		return err
	}
	if !t.nameOK {
		return fmt.Errorf("unknown input %.64q: model %q takes %q", t.name, p.md.Name, in.Name)
	}
	if !t.datatypeOK {
		return fmt.Errorf("input %q has datatype %.16q; the model takes %s", in.Name, t.datatype, in.Datatype)
	}
	if !t.shapeOK {
		if err := p.checkShape(&t); err != nil {
			return err
		}
	}
	if !t.hasData {
		return fmt.Errorf("input %q has no data", in.Name)
	}
	if t.data >= 0 {
		// The data came before the shape: parse it now from where it began.
		r := reader{buf: p.r.buf, pos: t.data}
		if err := p.tensorData(&r, &t); err != nil {
			return err
		}
	}
	batch := len(t.flat) / p.width
	p.req.Batch = make([][]float32, batch)
	for i := range p.req.Batch {
		p.req.Batch[i] = t.flat[i*p.width : (i+1)*p.width : (i+1)*p.width]
	}
	return nil
}

// expect reads the string (or null) member what and tells whether it is
// want; only a wrong one is copied into got, for the error message, so the
// common request allocates nothing here.
func (p *requestParser) expect(what, want string, got *string) (bool, error) {
	s, err := p.r.nullableString(what)
	if string(s) == want {
		return true, err
	}
	*got = string(s)
	return false, err
}

func (p *requestParser) inputMember(t *tensorInput, key []byte) error {
	in := p.md.Inputs[0]
	switch string(key) {
	case "name":
		if err := member(&t.seen, 1, key); err != nil {
			return err
		}
		var err error
		t.nameOK, err = p.expect("inputs.name", in.Name, &t.name)
		return err
	case "datatype":
		if err := member(&t.seen, 2, key); err != nil {
			return err
		}
		var err error
		t.datatypeOK, err = p.expect("inputs.datatype", in.Datatype, &t.datatype)
		return err
	case "shape":
		if err := member(&t.seen, 4, key); err != nil {
			return err
		}
		if err := p.shape(t); err != nil {
			return err
		}
		return p.checkShape(t)
	case "parameters":
		if err := member(&t.seen, 8, key); err != nil {
			return err
		}
		return p.r.parameters("input " + strconv.Quote(in.Name) + "'s")
	case "data":
		if err := member(&t.seen, 16, key); err != nil {
			return err
		}
		return p.data(t)
	}
	return objectError("unknown field %.64q", key)
}

// shape reads an array of integers, keeping the first few for messages.
func (p *requestParser) shape(t *tensorInput) error {
	if p.r.literal("null") {
		return nil
	}
	return p.r.array("inputs.shape", false, func(int) error {
		v, err := p.r.integer("inputs.shape")
		if t.rank < len(t.shape) {
			t.shape[t.rank] = v
		}
		t.rank++
		return err
	})
}

// checkShape bounds the batch before any of it is allocated.
func (p *requestParser) checkShape(t *tensorInput) error {
	in := p.md.Inputs[0]
	shape := t.shape[:min(t.rank, len(t.shape))]
	if t.rank != 2 || shape[1] != int64(p.width) || shape[0] < 1 {
		// A copy, so that t need not live on the heap for the message.
		return fmt.Errorf("input %q has shape %v; the model takes [batch, %d] with batch >= 1", in.Name, slices.Clone(shape), p.width)
	}
	if shape[0] > int64(p.maxBatch) {
		return fmt.Errorf("input %q has a batch of %d; the limit is %d", in.Name, shape[0], p.maxBatch)
	}
	t.shapeOK = true
	return nil
}

// data parses the tensor data once the shape is known; before, it only
// checks it and notes where it is.
func (p *requestParser) data(t *tensorInput) error {
	if p.r.literal("null") {
		return nil
	}
	t.hasData = true
	if t.shapeOK {
		return p.tensorData(&p.r, t)
	}
	t.data = p.r.pos
	return p.r.skipData(0)
}

func (p *requestParser) tensorData(r *reader, t *tensorInput) error {
	batch := int(t.shape[0])
	// d works on a copy of r: a pointer to it in d would make escape
	// analysis, which does not tell d's fields apart, move the reader and
	// the whole requestParser to the heap along with d.dst.
	// Capacity for what the body can hold (an element takes at least two
	// bytes, "0,"), not what the shape claims: a 70-byte request naming a
	// large shape would otherwise cost its full tensor before failing.
	d := dataParser{r: *r, shape: [2]int{batch, p.width}, dst: make([]float32, 0, min(batch*p.width, (len(r.buf)+1)/2))}
	err := d.parse()
	r.pos = d.r.pos
	if err != nil {
		return fmt.Errorf("input %q: %w", p.md.Inputs[0].Name, err)
	}
	t.flat = d.dst
	return nil
}

// output reads one requested output, checking it as soon as its name is
// known.
func (p *requestParser) output(i int) error {
	if p.r.peek() != '{' {
		return objectError("field %q cannot be %s", "outputs", p.r.kind())
	}
	var seen uint8
	name, named := "", false
	err := p.r.object(func(key []byte) error {
		switch string(key) {
		case "name":
			if err := member(&seen, 1, key); err != nil {
				return err
			}
			s, err := p.r.nullableString("outputs.name")
			if err != nil {
				return err
			}
			name, named = p.outputName(s)
			return p.checkOutput(name, named, s)
		case "parameters":
			if err := member(&seen, 2, key); err != nil {
				return err
			}
			whose := fmt.Sprintf("output %d's", i)
			if named {
				whose = "output " + strconv.Quote(name) + "'s"
			}
			return p.r.parameters(whose)
		}
		return objectError("unknown field %.64q", key)
	})
	if err != nil {
		return err
	}
	if seen&1 == 0 {
		name, named = p.outputName(nil)
		if err := p.checkOutput(name, named, nil); err != nil {
			return err
		}
	}
	if p.req.Outputs == nil {
		// Outputs are distinct names of the model's: this is room for all.
		p.req.Outputs = make([]string, 0, len(p.md.Outputs))
	}
	p.req.Outputs = append(p.req.Outputs, name)
	return nil
}

// outputName returns the model's own string for a requested name: no
// copy of the (reused) body is kept.
func (p *requestParser) outputName(s []byte) (string, bool) {
	for _, o := range p.md.Outputs {
		if o.Name == string(s) {
			return o.Name, true
		}
	}
	return "", false
}

func (p *requestParser) checkOutput(name string, known bool, s []byte) error {
	if !known {
		return fmt.Errorf("unknown output %.64q: model %q answers %s", s, p.md.Name, outputNames(p.md))
	}
	for _, o := range p.req.Outputs {
		if o == name {
			return fmt.Errorf("output %q is requested twice", name)
		}
	}
	return nil
}

// dataParser reads tensor data against its shape: either one flat array of
// every element, or arrays nested to match the shape exactly.
type dataParser struct {
	r     reader
	dst   []float32 // its capacity is the shape's element count
	shape [2]int
}

func (d *dataParser) parse() error {
	if !d.r.consume('[') {
		return errors.New("data is not an array")
	}
	if d.r.peek() == '[' {
		return d.array(d.shape[:], 0, true)
	}
	return d.array([]int{d.shape[0] * d.shape[1]}, 0, true)
}

// countError words a wrong element count: got is -1 for too many.
func (d *dataParser) countError(got, depth int, flat bool) error {
	count := fmt.Sprint(got)
	if got < 0 {
		count = "more"
	}
	if flat {
		return fmt.Errorf("flat data holds %s values where the shape %v asks %d", count, d.shape, d.shape[0]*d.shape[1])
	}
	return fmt.Errorf("data has %s elements at nesting depth %d where the shape %v asks %d", count, depth, d.shape, d.shape[depth])
}

// array parses an array of dims[depth] elements; its '[' is consumed
// already when opened is true. Recursion is bounded by len(dims) <= 2.
func (d *dataParser) array(dims []int, depth int, opened bool) error {
	if !opened && !d.r.consume('[') {
		return fmt.Errorf("data at nesting depth %d is not an array of %d elements, as the shape %v asks", depth, dims[depth], d.shape)
	}
	want := dims[depth]
	leaf := depth == len(dims)-1
	flat := len(dims) == 1
	for i := 0; ; i++ {
		if d.r.consume(']') {
			if i != want {
				return d.countError(i, depth, flat)
			}
			return nil
		}
		if i > 0 && !d.r.consume(',') {
			return errors.New("data is malformed")
		}
		if i == want {
			return d.countError(-1, depth, flat)
		}
		if !leaf {
			if err := d.array(dims, depth+1, false); err != nil {
				return err
			}
			continue
		}
		if err := d.element(i, depth); err != nil {
			return err
		}
	}
}

// element appends one number; the caller has checked there is room.
func (d *dataParser) element(i, depth int) error {
	r := &d.r
	r.ws()
	start := r.pos
	end := r.numberSpan()
	if start == end {
		return fmt.Errorf("data element %d at nesting depth %d is not a number", i, depth)
	}
	v, err := parseNumber(r.buf[start:end])
	if err == errBadNumber {
		return fmt.Errorf("data element %d at nesting depth %d is not a valid JSON number", i, depth)
	}
	if err != nil || math.Abs(v) > math.MaxFloat32 {
		return fmt.Errorf("data element %d at nesting depth %d does not fit FP32", i, depth)
	}
	r.pos = end
	d.dst = append(d.dst, float32(v))
	return nil
}

func hasOutput(md ModelMetadata, name string) bool {
	for _, o := range md.Outputs {
		if o.Name == name {
			return true
		}
	}
	return false
}

func outputNames(md ModelMetadata) string {
	var b []byte
	for i, o := range md.Outputs {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendQuote(b, o.Name)
	}
	return string(b)
}

// clip keeps an error message short when a shape is long.
func clip(shape []int64) []int64 {
	if len(shape) > 8 {
		return shape[:8]
	}
	return shape
}

// parameters checks a $parameters object: values that are strings,
// numbers or booleans. The binary tensor data extension is refused, since
// its tensors are not in the JSON.
func (r *reader) parameters(whose string) error {
	if r.peek() != '{' {
		return fmt.Errorf("%s parameters are not a JSON object", whose)
	}
	var seen map[string]bool // only for the rare request with parameters
	return r.object(func(key []byte) error {
		if len(seen) == maxParameters {
			return fmt.Errorf("%s parameters number more than %d", whose, maxParameters)
		}
		if len(key) > maxParameterKey {
			return fmt.Errorf("%s parameter %.64q... has a name longer than %d bytes", whose, key, maxParameterKey)
		}
		k := string(key) // before scratch is reused by a string value
		if seen[k] {
			return fmt.Errorf("%s parameter %.64q appears twice", whose, k)
		}
		if seen == nil {
			seen = map[string]bool{}
		}
		seen[k] = true
		start := r.pos
		if err := r.scalar(); err != nil {
			if err == errNotScalar {
				return fmt.Errorf("%s parameter %.64q is not a string, number or boolean", whose, k)
			}
			return err
		}
		isTrue := string(r.buf[start:r.pos]) == "true"
		if (k == "binary_data" && isTrue) || k == "binary_data_size" || k == "binary_data_output" && isTrue {
			return fmt.Errorf("%s parameter %q asks for binary tensor data, which this server does not support: send JSON data", whose, k)
		}
		return nil
	})
}

var errNotScalar = errors.New("not a string, number or boolean")

// Bounds on one $parameters object. The protocol's parameters are a few
// named options; without a bound, a body of many thousand keys costs map
// growth out of proportion to its size.
const (
	maxParameters   = 64
	maxParameterKey = 256
)

// scalar skips a string, number or boolean, leaving r.pos just past it.
func (r *reader) scalar() error {
	switch c := r.peek(); {
	case c == '"':
		_, err := r.readString()
		return err
	case c == 't' || c == 'f':
		if r.literal("true") || r.literal("false") {
			return nil
		}
	case c == '-' || (c >= '0' && c <= '9'):
		end := r.numberSpan()
		if validNumber(r.buf[r.pos:end]) {
			r.pos = end
			return nil
		}
		return r.syntaxError("invalid number")
	case c == '{' || c == '[' || c == 'n':
		return errNotScalar
	}
	return r.syntaxError("expected a value")
}

// maxDataDepth is how deeply data may nest: a rank-2 tensor's rows.
const maxDataDepth = 2

// skipData checks data read before its shape: arrays nested at most
// maxDataDepth deep around scalars. Which scalars are numbers, and how
// many, is left to the parse that follows once the shape is known, so that
// its messages do not depend on the members' order.
func (r *reader) skipData(depth int) error {
	if r.peek() != '[' {
		if r.literal("null") {
			return nil
		}
		if err := r.scalar(); err != errNotScalar {
			return err
		}
		return errors.New("data is malformed")
	}
	if depth == maxDataDepth {
		return fmt.Errorf("data is nested deeper than %d arrays", maxDataDepth)
	}
	r.pos++
	if r.consume(']') {
		return nil
	}
	for {
		if err := r.skipData(depth + 1); err != nil {
			return err
		}
		if r.consume(']') {
			return nil
		}
		if !r.consume(',') {
			return errors.New("data is malformed")
		}
	}
}
