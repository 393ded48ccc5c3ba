package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// TFServingConfig configures the TensorFlow Serving REST predict codec.
type TFServingConfig struct {
	SignatureName string // serving signature; "" uses the default one
	Version       string // numeric model version; excludes Label
	Label         string // version label (e.g. "stable"); excludes Version
	InputKey      string // when set, each instance is {InputKey: row}
	OutputKey     string // when set, each prediction is {OutputKey: row}
	Columnar      bool   // use "inputs"/"outputs" instead of "instances"/"predictions"
}

type tfCodec struct {
	cfg    TFServingConfig
	prefix []byte // up to the batch
	suffix []byte // after the batch
	key    []byte // "InputKey": when set, as JSON
}

// NewTFServing returns the TensorFlow Serving REST predict codec:
// POST /v1/models/{m}[/versions/{v}|/labels/{l}]:predict in row
// ("instances") or columnar ("inputs") format.
func NewTFServing(cfg TFServingConfig) (Codec, error) {
	if err := cfg.check(); err != nil {
		return nil, codecError("tfserving", err)
	}
	c := &tfCodec{cfg: cfg}
	c.prefix = []byte("{")
	if cfg.SignatureName != "" {
		sig, _ := json.Marshal(cfg.SignatureName)
		c.prefix = append(append(append(c.prefix, `"signature_name":`...), sig...), ',')
	}
	member := `"instances":`
	if cfg.Columnar {
		member = `"inputs":`
	}
	c.prefix = append(c.prefix, member...)
	c.suffix = []byte("}")
	if cfg.InputKey != "" {
		k, _ := json.Marshal(cfg.InputKey)
		c.key = append(k, ':')
		if cfg.Columnar {
			c.prefix = append(append(c.prefix, '{'), c.key...)
			c.suffix = []byte("}}")
		}
	}
	return c, nil
}

func (cfg TFServingConfig) check() error {
	if cfg.Version != "" && cfg.Label != "" {
		return errors.New("set a version or a label, not both")
	}
	if cfg.Version != "" {
		if _, err := strconv.ParseInt(cfg.Version, 10, 64); err != nil || cfg.Version[0] == '+' || cfg.Version[0] == '-' {
			return fmt.Errorf("version %q is not a non-negative integer", clip(cfg.Version))
		}
	}
	if cfg.Label != "" {
		if err := tfSegment("label", cfg.Label); err != nil {
			return err
		}
	}
	for _, s := range []string{cfg.SignatureName, cfg.InputKey, cfg.OutputKey} {
		if len(s) > maxName {
			return fmt.Errorf("name %q longer than %d bytes", clip(s), maxName)
		}
	}
	return nil
}

// tfSegment refuses names TF Serving's URL pattern cannot carry: it
// splits on "/" and ":" before decoding anything.
func tfSegment(what, s string) error {
	if err := checkName(what, s); err != nil {
		return err
	}
	if strings.ContainsAny(s, ":/") {
		return fmt.Errorf("%s %q holds ':' or '/', which TF Serving's URLs cannot carry", what, clip(s))
	}
	return nil
}

func (c *tfCodec) base(model string) string {
	p := "/v1/models/" + segment(model)
	switch {
	case c.cfg.Version != "":
		p += "/versions/" + c.cfg.Version
	case c.cfg.Label != "":
		p += "/labels/" + segment(c.cfg.Label)
	}
	return p
}

func (c *tfCodec) MetadataPath(model string) string { return c.base(model) + "/metadata" }

// ReadyPath is the model status API; see Ready.
func (c *tfCodec) ReadyPath(model string) string { return c.base(model) }

// InferRequest writes the batch as instances (rows, or {key: row}
// objects) or, columnar, as one [rows, features] input.
func (c *tfCodec) InferRequest(model string, batch [][]float32) (string, []byte, error) {
	if err := tfSegment("model name", model); err != nil {
		return "", nil, codecError("tfserving", err)
	}
	features, err := checkBatch(batch)
	if err != nil {
		return "", nil, codecError("tfserving", err)
	}
	b := make([]byte, 0, bodySize(len(c.prefix)+len(c.suffix)+len(batch)*(len(c.key)+2), batch, features))
	b = append(b, c.prefix...)
	if c.key == nil || c.cfg.Columnar {
		b = appendRows(b, batch)
	} else {
		b = append(b, '[')
		for r, row := range batch {
			if r > 0 {
				b = append(b, ',')
			}
			b = appendRow(append(append(b, '{'), c.key...), row)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, c.suffix...)
	return c.base(model) + ":predict", b, nil
}
