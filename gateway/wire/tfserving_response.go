package wire

import (
	"encoding/json"
	"errors"
	"fmt"
)

// InferResponse reads {"predictions": …} (row format) or {"outputs": …}
// (columnar). TF Serving's predict answer names no version.
func (c *tfCodec) InferResponse(body []byte, rows, classes int) ([][]float32, string, error) {
	m, _, err := newMatrix(rows, classes)
	if err != nil {
		return nil, "", codecError("tfserving", err)
	}
	member := "predictions"
	if c.cfg.Columnar {
		member = "outputs"
	}
	found := false
	err = document(body, func(i int) (int, error) {
		return eachMember(body, i, 0, func(b []byte, ks, ke int, esc bool, vs int) (int, error) {
			switch {
			case keyIs(b, ks, ke, esc, member):
				if found {
					return 0, fmt.Errorf("member %q appears twice", member)
				}
				found = true
				return c.readPredictions(b, vs, m, member)
			case keyIs(b, ks, ke, esc, "error"):
				return 0, errors.New("the answer is an error object")
			}
			return skipValue(b, vs, 1)
		})
	})
	if err == nil && !found {
		err = fmt.Errorf("no %q in the answer", member)
	}
	if err == nil {
		err = checkProbs(m, member)
	}
	if err != nil {
		return nil, "", codecError("tfserving", err)
	}
	return m, "", nil
}

// readPredictions reads the four shapes the API can answer in.
func (c *tfCodec) readPredictions(b []byte, i int, m [][]float32, member string) (int, error) {
	key := c.cfg.OutputKey
	switch {
	case key == "":
		return readNested(b, i, 1, m, member)
	case c.cfg.Columnar:
		return c.keyed(b, i, 1, member, -1, func(vs int) (int, error) { return readNested(b, vs, 2, m, member+"."+key) })
	}
	return readRows(b, i, 1, m, member, func(idx, vs int) (int, error) {
		return c.keyed(b, vs, 2, member, idx, func(ks int) (int, error) { return readRow(b, ks, 3, m[idx], member+"."+key, idx) })
	})
}

// keyed reads the object at b[i], handing the OutputKey member to read
// and skipping the model's other outputs.
func (c *tfCodec) keyed(b []byte, i, depth int, member string, row int, read func(vs int) (int, error)) (int, error) {
	if i >= len(b) || b[i] != '{' {
		return 0, fmt.Errorf("%s is not an object of named outputs", rowName(member, row))
	}
	found := false
	end, err := eachMember(b, i, depth, func(b []byte, ks, ke int, esc bool, vs int) (int, error) {
		if !keyIs(b, ks, ke, esc, c.cfg.OutputKey) {
			return skipValue(b, vs, depth+1)
		}
		if found {
			return 0, fmt.Errorf("%s has %q twice", rowName(member, row), clip(c.cfg.OutputKey))
		}
		found = true
		return read(vs)
	})
	if err == nil && !found {
		err = fmt.Errorf("%s has no output %q", rowName(member, row), clip(c.cfg.OutputKey))
	}
	return end, err
}

// tfStatus is the part of GetModelStatusResponse that says readiness.
type tfStatus struct {
	ModelVersionStatus []struct {
		Version string `json:"version"`
		State   string `json:"state"`
	} `json:"model_version_status"`
}

// Ready reads a model status answer: ready when some version (the
// configured one, when set) is AVAILABLE.
func (c *tfCodec) Ready(body []byte) bool {
	if document(body, func(i int) (int, error) { return skipValue(body, i, 0) }) != nil {
		return false
	}
	var st tfStatus
	if json.Unmarshal(body, &st) != nil {
		return false
	}
	for _, v := range st.ModelVersionStatus {
		if v.State == "AVAILABLE" && (c.cfg.Version == "" || v.Version == c.cfg.Version) {
			return true
		}
	}
	return false
}
