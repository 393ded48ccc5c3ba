package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"hash/fnv"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"

	"github.com/modelward/modelward/gateway/auth"
	"github.com/modelward/modelward/gateway/harden"
	"github.com/modelward/modelward/gateway/oip"
)

// infer is POST /v2/models/{name}/infer: bound, parse, validate, forward,
// detect, harden, answer.
func (g *Gateway) infer(w http.ResponseWriter, r *http.Request, m *model, p auth.Principal, lg *reqLog) *httpError {
	if e := g.flaggedBefore(w, r.Context(), m, p, lg); e != nil {
		return e
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, g.cfg.Limits.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fail(http.StatusRequestEntityTooLarge, "request body over %d bytes", g.cfg.Limits.MaxBodyBytes)
		}
		return fail(http.StatusBadRequest, "reading the request body failed")
	}
	req, err := oip.ParseInferRequest(body, m.md, g.cfg.Limits.MaxBatch)
	if err != nil {
		return fail(http.StatusBadRequest, "%s", err.Error())
	}
	if e := checkRange(req.Batch, m.cfg.Input); e != nil {
		return e
	}
	probs, version, e := g.forwardInfer(r.Context(), m, req, lg)
	if e != nil {
		return e
	}
	act, e := g.detect(m, p, req.Batch, probs, lg)
	if e != nil {
		return e
	}
	resp := g.response(m, req, version, probs, act == actDegrade)
	status := http.StatusOK
	if act == actReview {
		if e := g.hold(w, m, p, lg, resp, probs); e != nil {
			return e
		}
		status = http.StatusAccepted
	} else {
		writeJSON(w, http.StatusOK, resp)
	}
	g.record(m, p, req, version, probs, act, lg, status)
	return nil
}

// checkRange refuses values outside the model's input range: they are
// never forwarded (out-of-range probes are how decision boundaries are
// mapped cheaply, and what the model was not trained on).
func checkRange(batch [][]float32, in InputConfig) *httpError {
	for i, row := range batch {
		for j, v := range row {
			if v < in.Min || v > in.Max {
				return fail(http.StatusBadRequest, "input %q row %d element %d is %g, outside the allowed range [%g, %g]",
					in.Name, i, j, v, in.Min, in.Max)
			}
		}
	}
	return nil
}

// upstreamRequest is the request the gateway sends: rebuilt from the parsed
// one, so that only what was validated reaches the model (no parameters,
// no second copy of a field that another parser might read differently).
type upstreamRequest struct {
	ID      string           `json:"id,omitempty"`
	Inputs  []upstreamTensor `json:"inputs"`
	Outputs []upstreamOutput `json:"outputs"`
}

type upstreamTensor struct {
	Name     string    `json:"name"`
	Datatype string    `json:"datatype"`
	Shape    []int64   `json:"shape"`
	Data     []float32 `json:"data"`
}

type upstreamOutput struct {
	Name string `json:"name"`
}

type upstreamResponse struct {
	ModelName    string `json:"model_name"`
	ModelVersion string `json:"model_version"`
	Outputs      []struct {
		Name     string    `json:"name"`
		Datatype string    `json:"datatype"`
		Shape    []int64   `json:"shape"`
		Data     []float32 `json:"data"`
	} `json:"outputs"`
}

func (g *Gateway) forwardInfer(ctx context.Context, m *model, req *oip.InferRequest, lg *reqLog) ([][]float32, string, *httpError) {
	width := m.cfg.Input.Features
	flat := make([]float32, 0, len(req.Batch)*width)
	for _, row := range req.Batch {
		flat = append(flat, row...)
	}
	body, err := json.Marshal(upstreamRequest{ID: req.ID,
		Inputs:  []upstreamTensor{{Name: m.cfg.Input.Name, Datatype: oip.FP32, Shape: []int64{int64(len(req.Batch)), int64(width)}, Data: flat}},
		Outputs: []upstreamOutput{{Name: oip.OutputProbabilities}}})
	if err != nil {
		return nil, "", fail(http.StatusInternalServerError, "encoding the upstream request failed")
	}
	var probs [][]float32
	var version string
	e := g.call(ctx, m, http.MethodPost, "/infer", body, lg, func(status int, b []byte) *httpError {
		if status != http.StatusOK {
			return upstreamStatus(status)
		}
		probs, version, err = parseProbs(b, len(req.Batch), m.cfg.Classes)
		if err != nil {
			return &httpError{status: http.StatusBadGateway, msg: "the upstream answered a malformed inference response", reason: "garbage"}
		}
		return nil
	})
	return probs, version, e
}

// upstreamStatus maps an upstream's refusal: its 5xx are its failures
// (502); a 4xx on a request the gateway validated is a mismatch between
// the gateway's config and the model, also the gateway's fault (502).
func upstreamStatus(status int) *httpError {
	return &httpError{status: http.StatusBadGateway, msg: "the upstream answered " + strconv.Itoa(status), reason: "status"}
}

// parseProbs reads the "probabilities" output: batch rows of classes
// well-formed probabilities, or an error.
func parseProbs(b []byte, batch, classes int) ([][]float32, string, error) {
	var resp upstreamResponse
	if err := json.Unmarshal(b, &resp); err != nil {
		return nil, "", err
	}
	for _, o := range resp.Outputs {
		if o.Name != oip.OutputProbabilities {
			continue
		}
		if len(o.Shape) != 2 || o.Shape[0] != int64(batch) || o.Shape[1] != int64(classes) || len(o.Data) != batch*classes {
			return nil, "", errors.New("probabilities of the wrong shape")
		}
		rows := make([][]float32, batch)
		for i := range rows {
			rows[i] = o.Data[i*classes : (i+1)*classes : (i+1)*classes]
			if err := harden.Check(rows[i], 1e-3); err != nil {
				return nil, "", err
			}
		}
		return rows, resp.ModelVersion, nil
	}
	return nil, "", errors.New("no probabilities output")
}

// call sends one request to an upstream the pool picks, reads at most
// MaxResponseBytes of its answer and hands it to handle, whose verdict
// (nil or a 502) feeds the breaker. Transport failures are 502, timeouts
// 504; a caller that went away does not count against the upstream.
func (g *Gateway) call(ctx context.Context, m *model, method, suffix string, body []byte, lg *reqLog,
	handle func(status int, b []byte) *httpError) *httpError {
	u := m.pool.pick()
	if u == nil {
		g.metrics.inc(mUpstream, "model", m.cfg.Name, "kind", "circuit-open")
		return &httpError{status: http.StatusServiceUnavailable, msg: errNoUpstream.Error() + ": every upstream's circuit is open", retryAfter: g.cfg.Breaker.Cooldown}
	}
	lg.upstream = u.base
	ctx, cancel := context.WithTimeout(ctx, g.cfg.Limits.UpstreamTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.base+"/v2/models/"+url.PathEscape(m.cfg.Name)+suffix, rd)
	if err != nil {
		u.br.release()
		return fail(http.StatusInternalServerError, "building the upstream request failed")
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	e := g.exchange(req, handle)
	g.settle(ctx, m, u, e)
	return e
}

func (g *Gateway) exchange(req *http.Request, handle func(int, []byte) *httpError) *httpError {
	resp, err := g.client.Do(req)
	if err != nil {
		return transportError(req.Context(), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, g.cfg.Limits.MaxResponseBytes+1))
	if err != nil {
		return transportError(req.Context(), err)
	}
	if int64(len(b)) > g.cfg.Limits.MaxResponseBytes {
		return &httpError{status: http.StatusBadGateway, msg: "the upstream's answer is too large", reason: "garbage"}
	}
	return handle(resp.StatusCode, b)
}

func transportError(ctx context.Context, err error) *httpError {
	var ne interface{ Timeout() bool }
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return &httpError{status: http.StatusGatewayTimeout, msg: "the upstream did not answer in time", reason: "timeout"}
	}
	return &httpError{status: http.StatusBadGateway, msg: "the upstream is unreachable", reason: "unreachable"}
}

// settle feeds the outcome to the breaker and the metrics.
func (g *Gateway) settle(ctx context.Context, m *model, u *upstream, e *httpError) {
	parent := context.Cause(ctx)
	switch {
	case e == nil:
		u.br.done(true)
	case e.reason == "":
		u.br.release()
	case errors.Is(parent, context.Canceled):
		u.br.release() // the client left; the upstream is not to blame
	default:
		u.br.done(false)
		g.metrics.inc(mUpstream, "model", m.cfg.Name, "kind", e.reason)
	}
}

// passthrough forwards GET metadata and model readiness.
func (g *Gateway) passthrough(w http.ResponseWriter, r *http.Request, m *model, kind int, lg *reqLog) *httpError {
	suffix := ""
	if kind == routeModelReady {
		suffix = "/ready"
	}
	return g.call(r.Context(), m, http.MethodGet, suffix, nil, lg, func(status int, b []byte) *httpError {
		if kind == routeModelReady {
			if status != http.StatusOK {
				return &httpError{status: http.StatusServiceUnavailable, msg: "the upstream model is not ready"}
			}
			w.WriteHeader(http.StatusOK)
			return nil
		}
		if status != http.StatusOK {
			return upstreamStatus(status)
		}
		var md map[string]json.RawMessage
		if json.Unmarshal(b, &md) != nil {
			return &httpError{status: http.StatusBadGateway, msg: "the upstream answered malformed metadata", reason: "garbage"}
		}
		writeJSON(w, http.StatusOK, md)
		return nil
	})
}

type responseTensor struct {
	Name     string  `json:"name"`
	Datatype string  `json:"datatype"`
	Shape    []int64 `json:"shape"`
	Data     any     `json:"data"`
}

type inferResponse struct {
	ModelName    string           `json:"model_name"`
	ModelVersion string           `json:"model_version,omitempty"`
	ID           string           `json:"id,omitempty"`
	Outputs      []responseTensor `json:"outputs"`
}

// response hardens every row and writes the outputs the client asked for.
func (g *Gateway) response(m *model, req *oip.InferRequest, version string, probs [][]float32, degrade bool) inferResponse {
	h := m.hard
	if degrade {
		h = m.label
	}
	classes := m.cfg.Classes
	flat := make([]float32, 0, len(probs)*classes)
	labels := make([]int64, len(probs))
	for i, row := range probs {
		out := make([]float32, classes)
		// The nonce is a digest of the input: a repeated query gets the
		// same noise, so averaging repeats teaches nothing.
		labels[i] = int64(h.ApplyNonce(row, out, digest(req.Batch[i])))
		flat = append(flat, out...)
	}
	resp := inferResponse{ModelName: m.cfg.Name, ModelVersion: version, ID: req.ID}
	n := int64(len(probs))
	for _, name := range req.Outputs {
		switch name {
		case oip.OutputProbabilities:
			resp.Outputs = append(resp.Outputs, responseTensor{name, oip.FP32, []int64{n, int64(classes)}, flat})
		case oip.OutputLabel:
			resp.Outputs = append(resp.Outputs, responseTensor{name, oip.INT64, []int64{n}, labels})
		}
	}
	return resp
}

func digest(x []float32) uint64 {
	h := fnv.New64a()
	var b [4]byte
	for _, v := range x {
		u := math.Float32bits(v)
		b[0], b[1], b[2], b[3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
		h.Write(b[:])
	}
	return h.Sum64()
}

// argmax reads a vector as numpy.argmax does: ties to the lowest index.
func argmax(row []float32) int {
	best := 0
	for i, v := range row {
		if v > row[best] {
			best = i
		}
	}
	return best
}
