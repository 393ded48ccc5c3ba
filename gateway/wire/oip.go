package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// OIPConfig configures the Open Inference Protocol v2 codec.
type OIPConfig struct {
	Input   string // input tensor name (required)
	Output  string // output tensor name; default "probabilities"
	Version string // when set, paths name /versions/{Version}
}

type oipCodec struct {
	cfg    OIPConfig
	what   string // how errors name the output
	prefix []byte // {"inputs":[{"name":…,"datatype":"FP32","shape":[
	suffix []byte // }],"outputs":[{"name":…}]}
}

// NewOIP returns the Open Inference Protocol v2 codec (KServe, Triton,
// MLServer): POST /v2/models/{m}[/versions/{v}]/infer with one FP32 input
// tensor, reading one FP32 or FP64 output of shape [rows, classes].
func NewOIP(cfg OIPConfig) (Codec, error) {
	if cfg.Output == "" {
		cfg.Output = "probabilities"
	}
	if err := checkName("input tensor name", cfg.Input); err != nil {
		return nil, codecError("oip", err)
	}
	if err := checkName("output tensor name", cfg.Output); err != nil {
		return nil, codecError("oip", err)
	}
	if cfg.Version != "" {
		if err := checkName("version", cfg.Version); err != nil {
			return nil, codecError("oip", err)
		}
	}
	in, _ := json.Marshal(cfg.Input)
	out, _ := json.Marshal(cfg.Output)
	c := &oipCodec{cfg: cfg, what: "output " + strconv.Quote(clip(cfg.Output))}
	c.prefix = append(append([]byte(`{"inputs":[{"name":`), in...), `,"datatype":"FP32","shape":[`...)
	c.suffix = append(append([]byte(`}],"outputs":[{"name":`), out...), `}]}`...)
	return c, nil
}

// path builds one path in one concatenation (it is on the hot path).
func (c *oipCodec) path(model, suffix string) string {
	if c.cfg.Version == "" {
		return "/v2/models/" + segment(model) + suffix
	}
	return "/v2/models/" + segment(model) + "/versions/" + segment(c.cfg.Version) + suffix
}

func (c *oipCodec) MetadataPath(model string) string { return c.path(model, "") }
func (c *oipCodec) ReadyPath(model string) string    { return c.path(model, "/ready") }

// InferRequest writes the batch as one [rows, features] FP32 tensor in
// flat row-major "data", and asks for the configured output only.
func (c *oipCodec) InferRequest(model string, batch [][]float32) (string, []byte, error) {
	if err := checkName("model name", model); err != nil {
		return "", nil, codecError("oip", err)
	}
	features, err := checkBatch(batch)
	if err != nil {
		return "", nil, codecError("oip", err)
	}
	b := make([]byte, 0, bodySize(len(c.prefix)+len(c.suffix)+32, batch, features))
	b = append(b, c.prefix...)
	b = strconv.AppendInt(b, int64(len(batch)), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(features), 10)
	b = append(b, `],"data":`...)
	b = appendFlat(b, batch)
	b = append(b, c.suffix...)
	return c.path(model, "/infer"), b, nil
}

// InferResponse reads the inference response object (model_version and
// the named output; other members are validated and skipped).
func (c *oipCodec) InferResponse(body []byte, rows, classes int) ([][]float32, string, error) {
	m, flat, err := newMatrix(rows, classes)
	if err != nil {
		return nil, "", codecError("oip", err)
	}
	r := oipReader{c: c, body: body, m: m, flat: flat}
	if err := document(body, r.response); err != nil {
		return nil, "", codecError("oip", err)
	}
	if !r.found {
		return nil, "", codecError("oip", fmt.Errorf("no output %q in the answer", c.cfg.Output))
	}
	if err := checkProbs(m, c.what); err != nil {
		return nil, "", codecError("oip", err)
	}
	return m, r.version, nil
}

// oipReader is the state of one response read.
type oipReader struct {
	c       *oipCodec
	body    []byte
	m       [][]float32
	flat    []float32
	version string
	seen    uint8 // members already read, to refuse duplicates
	found   bool
}

const (
	seenVersion = 1 << iota
	seenOutputs
	seenName
	seenDatatype
	seenShape
	seenData
)

// once refuses a second copy of a member: with duplicates, which one
// counts depends on the parser, and the gateway must read what the
// client would.
func once(seen *uint8, bit uint8, name string) error {
	if *seen&bit != 0 {
		return fmt.Errorf("member %q appears twice", name)
	}
	*seen |= bit
	return nil
}

func (r *oipReader) response(i int) (int, error) {
	return eachMember(r.body, i, 0, func(b []byte, ks, ke int, esc bool, vs int) (int, error) {
		switch {
		case keyIs(b, ks, ke, esc, "model_version"):
			if err := once(&r.seen, seenVersion, "model_version"); err != nil {
				return 0, err
			}
			s, end, err := readString(b, vs, "model_version")
			r.version = s
			return end, err
		case keyIs(b, ks, ke, esc, "outputs"):
			if err := once(&r.seen, seenOutputs, "outputs"); err != nil {
				return 0, err
			}
			return eachElem(b, vs, 1, func(_, es int) (int, error) { return r.output(b, es) })
		case keyIs(b, ks, ke, esc, "error"):
			return 0, errors.New("the answer is an error object")
		}
		return skipValue(b, vs, 1)
	})
}

// output reads one output tensor; its data is parsed straight into the
// result when its name came first (the usual order), else after.
func (r *oipReader) output(b []byte, i int) (int, error) {
	var seen uint8
	named, dtypeAt := false, -1 // compared in place: no strings on the hot path
	shapeOK, dataAt, parsed := false, -1, false
	what := r.c.what
	end, err := eachMember(b, i, 2, func(b []byte, ks, ke int, esc bool, vs int) (int, error) {
		switch {
		case keyIs(b, ks, ke, esc, "name"):
			if err := once(&seen, seenName, "name"); err != nil {
				return 0, err
			}
			match, end, err := stringIs(b, vs, "output name", r.c.cfg.Output)
			named = match
			return end, err
		case keyIs(b, ks, ke, esc, "datatype"):
			if err := once(&seen, seenDatatype, "datatype"); err != nil {
				return 0, err
			}
			dtypeAt = vs
			_, end, err := stringIs(b, vs, "output datatype", "")
			return end, err
		case keyIs(b, ks, ke, esc, "shape"):
			if err := once(&seen, seenShape, "shape"); err != nil {
				return 0, err
			}
			ok, end, err := readShape(b, vs, len(r.m), len(r.m[0]))
			shapeOK = ok
			return end, err
		case keyIs(b, ks, ke, esc, "data"):
			if err := once(&seen, seenData, "data"); err != nil {
				return 0, err
			}
			dataAt = vs
			if named {
				parsed = true
				return readTensor(b, vs, 3, r.m, r.flat, what)
			}
		}
		return skipValue(b, vs, 3)
	})
	if err != nil || !named {
		return end, err
	}
	if parsed {
		dataAt = -2
	}
	return end, r.accept(b, dtypeAt, shapeOK, dataAt, what)
}

// accept checks the matching output's header and reads its data if that
// came before its name (dataAt is -1 when there was none, -2 when it was
// read already).
func (r *oipReader) accept(b []byte, dtypeAt int, shapeOK bool, dataAt int, what string) error {
	if r.found {
		return fmt.Errorf("%s appears twice", what)
	}
	r.found = true
	if dtypeAt < 0 {
		return fmt.Errorf("%s has no datatype", what)
	}
	fp32, _, _ := stringIs(b, dtypeAt, "", "FP32")
	fp64, _, _ := stringIs(b, dtypeAt, "", "FP64")
	if !fp32 && !fp64 {
		dtype, _, _ := readString(b, dtypeAt, "")
		return fmt.Errorf("%s has datatype %q, expected FP32 or FP64", what, clip(dtype))
	}
	if !shapeOK {
		return fmt.Errorf("%s has a shape other than [%d, %d]", what, len(r.m), len(r.m[0]))
	}
	switch dataAt {
	case -1:
		return fmt.Errorf("%s has no JSON data (binary tensor data is not supported)", what)
	case -2:
		return nil
	}
	_, err := readTensor(b, dataAt, 3, r.m, r.flat, what)
	return err
}
