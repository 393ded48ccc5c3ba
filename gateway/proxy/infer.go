package proxy

import (
	"bytes"
	"context"
	"errors"
	"hash/fnv"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/modelward/modelward/gateway/auth"
	"github.com/modelward/modelward/gateway/h1"
	"github.com/modelward/modelward/gateway/oip"
	"github.com/modelward/modelward/gateway/wire"
)

// infer is POST /v2/models/{name}/infer: bound, parse, validate, forward,
// detect, harden, answer.
func (g *Gateway) infer(w http.ResponseWriter, r *http.Request, m *model, p auth.Principal, lg *reqLog) *httpError {
	req, e := g.readInfer(r, m)
	rows := 1 // a request that fails to parse still costs one query
	if e == nil {
		rows = len(req.Batch)
	}
	// Charged once the rows are known, so limits, quotas and the throttle
	// count queries, not requests, and every request is charged exactly
	// once: max(rows, 1).
	if le := g.limit(w, r.Context(), m, p, rows); le != nil {
		return le
	}
	if e != nil {
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
		writeInfer(w, http.StatusOK, &resp)
	}
	g.record(m, p, req, version, probs, act, lg, status)
	return nil
}

// readInfer reads the bounded body and parses and validates the request.
func (g *Gateway) readInfer(r *http.Request, m *model) (*oip.InferRequest, *httpError) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, g.cfg.Limits.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, fail(http.StatusRequestEntityTooLarge, "request body over %d bytes", g.cfg.Limits.MaxBodyBytes)
		}
		return nil, fail(http.StatusBadRequest, "reading the request body failed")
	}
	req, err := oip.ParseInferRequest(body, m.md, g.cfg.Limits.MaxBatch)
	if err != nil {
		return nil, fail(http.StatusBadRequest, "%s", err.Error())
	}
	if e := checkRange(req.Batch, m.cfg.Input); e != nil {
		return nil, e
	}
	return req, nil
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

// forwardInfer sends the validated batch upstream in the model's protocol
// (gateway/wire): the request is rebuilt from the parsed one, so only
// what was validated reaches the model, and the answer must be well-formed
// probabilities for every row.
func (g *Gateway) forwardInfer(ctx context.Context, m *model, req *oip.InferRequest, lg *reqLog) ([][]float32, string, *httpError) {
	path, body, err := m.codec.InferRequest(m.cfg.UpstreamModel, req.Batch)
	if err != nil {
		return nil, "", fail(http.StatusInternalServerError, "encoding the upstream request failed")
	}
	var probs [][]float32
	var version string
	e := g.call(ctx, m, http.MethodPost, path, body, lg, func(status int, b []byte) *httpError {
		if status != http.StatusOK {
			return upstreamStatus(status)
		}
		probs, version, err = m.codec.InferResponse(b, len(req.Batch), m.cfg.Classes)
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

// call sends one request to an upstream the pool picks, reads at most
// MaxResponseBytes of its answer and hands it to handle, whose verdict
// (nil or a 502) feeds the breaker. Transport failures are 502, timeouts
// 504; a caller that went away does not count against the upstream.
func (g *Gateway) call(ctx context.Context, m *model, method, path string, body []byte, lg *reqLog,
	handle func(status int, b []byte) *httpError) *httpError {
	u := m.pool.pick()
	if u == nil {
		g.metrics.inc(mUpstream, "model", m.cfg.Name, "kind", "circuit-open")
		return &httpError{status: http.StatusServiceUnavailable, msg: errNoUpstream.Error() + ": every upstream's circuit is open", retryAfter: g.cfg.Breaker.Cooldown}
	}
	lg.upstream = u.base
	var e *httpError
	if g.lean != nil && u.plain {
		e = g.exchangeLean(ctx, u, method, path, body, handle)
	} else {
		cctx, cancel := context.WithTimeout(ctx, g.cfg.Limits.UpstreamTimeout)
		e = g.exchangeHTTP(cctx, u, method, path, body, handle)
		cancel()
	}
	g.settle(ctx, m, u, e)
	return e
}

// exchangeLean makes the call through the lean HTTP/1.1 client, which
// takes the upstream timeout as the request's deadline: no context and
// timer per call.
func (g *Gateway) exchangeLean(ctx context.Context, u *upstream, method, path string, body []byte,
	handle func(int, []byte) *httpError) *httpError {
	req := &h1.Request{Method: method, Host: u.host, Path: path, Body: body, MaxResponseBytes: g.cfg.Limits.MaxResponseBytes,
		Deadline: time.Now().Add(g.cfg.Limits.UpstreamTimeout)}
	if body != nil {
		req.ContentType = "application/json"
	}
	resp, err := g.lean.Do(ctx, req)
	switch {
	case errors.Is(err, h1.ErrTooLarge):
		return &httpError{status: http.StatusBadGateway, msg: "the upstream's answer is too large", reason: "garbage"}
	case errors.Is(err, h1.ErrMalformed):
		return &httpError{status: http.StatusBadGateway, msg: "the upstream answered malformed HTTP", reason: "garbage"}
	case err != nil:
		return transportError(ctx, err)
	}
	return handle(resp.Status, resp.Body)
}

// exchangeHTTP makes the call through net/http (https upstreams, tests).
func (g *Gateway) exchangeHTTP(ctx context.Context, u *upstream, method, path string, body []byte,
	handle func(int, []byte) *httpError) *httpError {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.base+path, rd)
	if err != nil {
		return fail(http.StatusInternalServerError, "building the upstream request failed")
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
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

// passthrough answers GET metadata and model readiness. Metadata is the
// gateway's own: the input it validates and the outputs it answers, and
// the served version. The upstream's document is not passed on: it can
// name internal versions and platforms, and it is not what the gateway
// accepts. Readiness asks the upstream when its protocol has a path.
func (g *Gateway) passthrough(w http.ResponseWriter, r *http.Request, m *model, kind int, lg *reqLog) *httpError {
	if kind == routeMetadata {
		md := m.md
		if v := g.servedVersion(m); v != "" {
			md.Versions = []string{v}
		}
		writeJSON(w, http.StatusOK, md)
		return nil
	}
	path := m.codec.ReadyPath(m.cfg.UpstreamModel)
	if path == "" {
		w.WriteHeader(http.StatusOK)
		return nil
	}
	return g.call(r.Context(), m, http.MethodGet, path, nil, lg, func(status int, b []byte) *httpError {
		rc, check := m.codec.(wire.ReadyChecker)
		if status != http.StatusOK || (check && !rc.Ready(b)) {
			return &httpError{status: http.StatusServiceUnavailable, msg: "the upstream model is not ready"}
		}
		w.WriteHeader(http.StatusOK)
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
