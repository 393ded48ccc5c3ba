package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// JSONConfig maps a bespoke model server's JSON API. Pointers are RFC 6901
// JSON Pointers.
type JSONConfig struct {
	Path           string // request path; "{model}" becomes the escaped model name
	Template       string // request body the batch is put into; default "{}"
	InputPointer   string // where the batch goes, as an array of rows; its parent must exist
	OutputPointer  string // the answer's array of rows of probabilities
	VersionPointer string // optional: a string holding the model version
	Softmax        bool   // the server answers logits: apply a softmax per row
	ReadyPath      string // optional GET path, "{model}" substituted
	MetadataPath   string // optional GET path, "{model}" substituted
}

// Bounds on the configuration.
const (
	maxPath     = 1024
	maxTemplate = 64 << 10
)

type jsonCodec struct {
	cfg             JSONConfig
	prefix, suffix  []byte // the template around the batch
	output, version Pointer
}

// NewJSON returns a codec for a configurable JSON mapping: the batch is
// spliced into Template at InputPointer, and the probabilities read at
// OutputPointer.
func NewJSON(cfg JSONConfig) (Codec, error) {
	c, err := newJSON(cfg)
	if err != nil {
		return nil, codecError("json", err)
	}
	return c, nil
}

func newJSON(cfg JSONConfig) (*jsonCodec, error) {
	for _, p := range []string{cfg.Path, cfg.ReadyPath, cfg.MetadataPath} {
		if err := checkPath(p, p == cfg.Path); err != nil {
			return nil, err
		}
	}
	if cfg.Template == "" {
		cfg.Template = "{}"
	}
	c := &jsonCodec{cfg: cfg}
	var err error
	if c.prefix, c.suffix, err = splice([]byte(cfg.Template), cfg.InputPointer); err != nil {
		return nil, err
	}
	if c.output, err = ParsePointer(cfg.OutputPointer); err != nil {
		return nil, fmt.Errorf("output pointer: %w", err)
	}
	if cfg.VersionPointer != "" {
		if c.version, err = ParsePointer(cfg.VersionPointer); err != nil {
			return nil, fmt.Errorf("version pointer: %w", err)
		}
	}
	return c, nil
}

func checkPath(p string, required bool) error {
	switch {
	case p == "" && !required:
		return nil
	case p == "" || p[0] != '/':
		return fmt.Errorf("path %q does not start with '/'", clip(p))
	case len(p) > maxPath:
		return fmt.Errorf("path longer than %d bytes", maxPath)
	case strings.ContainsAny(p, "?# \t\r\n"):
		// The codec owns the path only; a query or fragment would be
		// read differently by the proxy's URL joining.
		return fmt.Errorf("path %q holds a query, fragment or white space", clip(p))
	}
	return nil
}

// splice splits the template around the place InputPointer names: an
// existing value is replaced, a missing member of an existing object is
// added, and "-" in an existing array appends (RFC 6901, section 4).
func splice(tmpl []byte, pointer string) (prefix, suffix []byte, err error) {
	if len(tmpl) > maxTemplate {
		return nil, nil, fmt.Errorf("template longer than %d bytes", maxTemplate)
	}
	if err := document(tmpl, func(i int) (int, error) { return skipValue(tmpl, i, 0) }); err != nil {
		return nil, nil, fmt.Errorf("template: %w", err)
	}
	p, err := ParsePointer(pointer)
	if err != nil {
		return nil, nil, fmt.Errorf("input pointer: %w", err)
	}
	if len(p) == 0 {
		return nil, nil, errors.New("input pointer: empty; the batch must go inside the template")
	}
	ps, pe, err := p[:len(p)-1].Find(tmpl)
	if err != nil {
		return nil, nil, fmt.Errorf("input pointer's parent: %w", err)
	}
	last := p[len(p)-1]
	vs, err := child(tmpl, ps, len(p)-1, last)
	switch {
	case err == nil:
		ve, _ := skipValue(tmpl, vs, len(p))
		return clone(tmpl[:vs]), clone(tmpl[ve:]), nil
	case errors.Is(err, errNoMember) || (tmpl[ps] == '[' && last == "-"):
		return addChild(tmpl, ps, pe, last)
	}
	return nil, nil, fmt.Errorf("input pointer %q: %w", clip(pointer), err)
}

// addChild opens room for a new last member or element of the container
// tmpl[ps:pe].
func addChild(tmpl []byte, ps, pe int, token string) (prefix, suffix []byte, err error) {
	at := pe - 1 // the closing brace or bracket
	prefix = clone(tmpl[:at])
	if ws(tmpl, ps+1) != at {
		prefix = append(prefix, ',')
	}
	if tmpl[ps] == '{' {
		k, _ := json.Marshal(token)
		prefix = append(append(prefix, k...), ':')
	}
	return prefix, clone(tmpl[at:]), nil
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

func (c *jsonCodec) expand(p, model string) string {
	if p == "" {
		return ""
	}
	return strings.ReplaceAll(p, "{model}", segment(model))
}

func (c *jsonCodec) MetadataPath(model string) string { return c.expand(c.cfg.MetadataPath, model) }
func (c *jsonCodec) ReadyPath(model string) string    { return c.expand(c.cfg.ReadyPath, model) }

// InferRequest writes the template with the batch, as rows, in place.
func (c *jsonCodec) InferRequest(model string, batch [][]float32) (string, []byte, error) {
	if err := checkName("model name", model); err != nil {
		return "", nil, codecError("json", err)
	}
	features, err := checkBatch(batch)
	if err != nil {
		return "", nil, codecError("json", err)
	}
	b := make([]byte, 0, bodySize(len(c.prefix)+len(c.suffix), batch, features))
	b = append(b, c.prefix...)
	b = appendRows(b, batch)
	b = append(b, c.suffix...)
	return c.expand(c.cfg.Path, model), b, nil
}

// InferResponse checks the whole answer, then reads the rows (and the
// version) where the pointers say.
func (c *jsonCodec) InferResponse(body []byte, rows, classes int) ([][]float32, string, error) {
	m, version, err := c.response(body, rows, classes)
	if err != nil {
		return nil, "", codecError("json", err)
	}
	return m, version, nil
}

func (c *jsonCodec) response(body []byte, rows, classes int) ([][]float32, string, error) {
	m, _, err := newMatrix(rows, classes)
	if err != nil {
		return nil, "", err
	}
	if err := document(body, func(i int) (int, error) { return skipValue(body, i, 0) }); err != nil {
		return nil, "", err
	}
	s, _, err := c.output.Find(body)
	if err != nil {
		return nil, "", err
	}
	what := "output " + clip(c.output.String())
	if _, err := readNested(body, s, len(c.output), m, what); err != nil {
		return nil, "", err
	}
	version := ""
	if c.version != nil {
		if version, err = c.readVersion(body); err != nil {
			return nil, "", err
		}
	}
	if c.cfg.Softmax {
		softmax(m)
	}
	return m, version, checkProbs(m, what)
}

func (c *jsonCodec) readVersion(body []byte) (string, error) {
	s, _, err := c.version.Find(body)
	if err != nil {
		return "", err
	}
	v, _, err := readString(body, s, "version "+clip(c.version.String()))
	return v, err
}
