package oip

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Defaults of Options.
const (
	DefaultMaxBodyBytes = 4 << 20
	DefaultMaxBatch     = 1024
)

// Options configure a Server.
type Options struct {
	// Name and Version are reported by GET /v2 (default "modelward", "dev").
	Name, Version string
	// MaxBodyBytes bounds a request body (default 4 MiB); larger gets 413.
	MaxBodyBytes int64
	// MaxBatch bounds the rows of one request (default 1024).
	MaxBatch int
	// Log receives one line per failed prediction (default: discarded).
	Log *slog.Logger
}

// Server answers the protocol for a fixed set of models.
type Server struct {
	opt    Options
	models map[string]*served
}

type served struct {
	p     Predictor
	md    ModelMetadata
	width int
	mdRaw []byte // the metadata response, encoded once
}

// New returns a server for models, keyed by the name clients use in URLs
// (which must equal the name in each model's metadata). It fails when a
// model's metadata is not one this server can serve.
func New(models map[string]Predictor, opt Options) (*Server, error) {
	if opt.Name == "" {
		opt.Name = "modelward"
	}
	if opt.Version == "" {
		opt.Version = "dev"
	}
	if opt.MaxBodyBytes <= 0 {
		opt.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = DefaultMaxBatch
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{opt: opt, models: map[string]*served{}}
	for name, p := range models {
		md := p.Metadata()
		if md.Name != name {
			return nil, fmt.Errorf("oip: model %q is registered as %q", md.Name, name)
		}
		width, err := checkMetadata(md)
		if err != nil {
			return nil, fmt.Errorf("oip: %w", err)
		}
		for _, o := range []string{OutputProbabilities, OutputLabel} {
			if !hasOutput(md, o) {
				return nil, fmt.Errorf("oip: model %q does not describe the output %q", name, o)
			}
		}
		raw, err := json.Marshal(md)
		if err != nil {
			return nil, fmt.Errorf("oip: model %q: %w", name, err)
		}
		s.models[name] = &served{p: p, md: md, width: width, mdRaw: raw}
	}
	return s, nil
}

// Handler returns a handler for models with default options. It panics
// when a model's metadata cannot be served (a programming error, as with
// regexp.MustCompile); use New to get the error instead.
func Handler(models map[string]Predictor) http.Handler {
	s, err := New(models, Options{})
	if err != nil {
		panic(err)
	}
	return s
}

// ServeHTTP routes a request. Paths are split at their literal slashes,
// then each segment is unescaped and matched case-sensitively: an encoded
// slash stays inside its segment (so "digits%2Fready" names a model that
// does not exist), and empty segments (double slashes) match nothing.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	seg := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	for i, e := range seg {
		u, err := url.PathUnescape(e)
		if err != nil {
			u = ""
		}
		seg[i] = u
	}
	if slices.Contains(seg, "") || seg[0] != "v2" {
		writeError(w, http.StatusNotFound, "no such endpoint: see the Open Inference Protocol's /v2 paths")
		return
	}
	seg = seg[1:]
	switch {
	case len(seg) == 0:
		if s.method(w, r, http.MethodGet) {
			writeJSON(w, http.StatusOK, map[string]any{"name": s.opt.Name, "version": s.opt.Version, "extensions": []string{}})
		}
		return
	case len(seg) == 2 && seg[0] == "health" && (seg[1] == "live" || seg[1] == "ready"):
		// Every model is loaded before the server starts: live is ready.
		if s.method(w, r, http.MethodGet) {
			w.WriteHeader(http.StatusOK)
		}
		return
	case len(seg) < 2 || seg[0] != "models":
		writeError(w, http.StatusNotFound, "no such endpoint: see the Open Inference Protocol's /v2 paths")
		return
	}
	m, ok := s.models[seg[1]]
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("unknown model %.64q", seg[1]))
		return
	}
	rest := seg[2:]
	version := ""
	if len(rest) >= 2 && rest[0] == "versions" {
		version, rest = rest[1], rest[2:]
		if !slices.Contains(m.md.Versions, version) {
			writeError(w, http.StatusNotFound, fmt.Sprintf("model %q has no version %.64q", m.md.Name, version))
			return
		}
	}
	if version == "" && len(m.md.Versions) > 0 {
		version = m.md.Versions[0]
	}
	switch {
	case len(rest) == 0:
		if s.method(w, r, http.MethodGet) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(m.mdRaw)
		}
	case len(rest) == 1 && rest[0] == "ready":
		if s.method(w, r, http.MethodGet) {
			w.WriteHeader(http.StatusOK)
		}
	case len(rest) == 1 && rest[0] == "infer":
		if s.method(w, r, http.MethodPost) {
			s.infer(w, r, m, version)
		}
	default:
		writeError(w, http.StatusNotFound, "no such endpoint: see the Open Inference Protocol's /v2 paths")
	}
}

// method answers 405 unless r uses want (HEAD passes for GET).
func (s *Server) method(w http.ResponseWriter, r *http.Request, want string) bool {
	if r.Method == want || (want == http.MethodGet && r.Method == http.MethodHead) {
		return true
	}
	allow := want
	if want == http.MethodGet {
		allow = "GET, HEAD"
	}
	w.Header().Set("Allow", allow)
	writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("use %s here", want))
	return false
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

func (s *Server) infer(w http.ResponseWriter, r *http.Request, m *served, version string) {
	// The body is parsed as JSON whatever its declared type (curl -d says
	// form-urlencoded), except for the types of binary payloads.
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/octet-stream" || strings.HasPrefix(mt, "multipart/") {
		writeError(w, http.StatusUnsupportedMediaType, "the request body must be JSON; binary tensor data is not supported")
		return
	}
	if r.Header.Get("Inference-Header-Content-Length") != "" {
		writeError(w, http.StatusUnsupportedMediaType, "binary tensor data is not supported: send the inputs as JSON")
		return
	}
	if r.ContentLength > s.opt.MaxBodyBytes {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body exceeds the %d-byte limit", s.opt.MaxBodyBytes))
		return
	}
	bp := bufPool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 1<<20 {
			bufPool.Put(bp)
		}
	}()
	body, err := readBody(http.MaxBytesReader(w, r.Body, s.opt.MaxBodyBytes), (*bp)[:0])
	*bp = body[:0]
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body exceeds the %d-byte limit", s.opt.MaxBodyBytes))
			return
		}
		writeError(w, http.StatusBadRequest, "reading the request body failed")
		return
	}
	req, err := ParseInferRequest(body, m.md, s.opt.MaxBatch)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	probs, err := m.p.Predict(req.Batch)
	if err == nil {
		err = checkProbs(probs, len(req.Batch))
	}
	if err != nil {
		if errors.Is(err, ErrInvalidInput) {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		s.opt.Log.Error("prediction failed", "model", m.md.Name, "err", err)
		writeError(w, http.StatusInternalServerError, "the model failed to predict")
		return
	}
	out := appendResponse(body[:0], m.md.Name, version, req, probs)
	*bp = out[:0]
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}

// readBody reads r to its end into buf.
func readBody(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

func checkProbs(probs [][]float32, batch int) error {
	if len(probs) != batch {
		return fmt.Errorf("the model returned %d rows for a batch of %d", len(probs), batch)
	}
	for _, row := range probs {
		if len(row) == 0 || len(row) != len(probs[0]) {
			return errors.New("the model returned rows of different or zero lengths")
		}
	}
	return nil
}

// appendResponse writes the $inference_response for probs.
func appendResponse(b []byte, model, version string, req *InferRequest, probs [][]float32) []byte {
	b = append(b, `{"model_name":`...)
	b = appendString(b, model)
	if version != "" {
		b = append(b, `,"model_version":`...)
		b = appendString(b, version)
	}
	if req.ID != "" {
		b = append(b, `,"id":`...)
		b = appendString(b, req.ID)
	}
	b = append(b, `,"outputs":[`...)
	classes := len(probs[0])
	for i, name := range req.Outputs {
		if i > 0 {
			b = append(b, ',')
		}
		switch name {
		case OutputProbabilities:
			b = append(b, `{"name":"probabilities","datatype":"FP32","shape":[`...)
			b = strconv.AppendInt(b, int64(len(probs)), 10)
			b = append(b, ',')
			b = strconv.AppendInt(b, int64(classes), 10)
			b = append(b, `],"data":[`...)
			for r, row := range probs {
				for k, p := range row {
					if r > 0 || k > 0 {
						b = append(b, ',')
					}
					b = appendFloat(b, p)
				}
			}
			b = append(b, "]}"...)
		case OutputLabel:
			b = append(b, `{"name":"label","datatype":"INT64","shape":[`...)
			b = strconv.AppendInt(b, int64(len(probs)), 10)
			b = append(b, `],"data":[`...)
			for r, row := range probs {
				if r > 0 {
					b = append(b, ',')
				}
				b = strconv.AppendInt(b, int64(argmax(row)), 10)
			}
			b = append(b, "]}"...)
		}
	}
	return append(b, "]}"...)
}

// appendFloat writes p as a JSON number; what is not finite becomes 0,
// since JSON has no NaN (checked models never produce one).
func appendFloat(b []byte, p float32) []byte {
	if math.IsNaN(float64(p)) || math.IsInf(float64(p), 0) {
		return append(b, '0')
	}
	return strconv.AppendFloat(b, float64(p), 'g', -1, 32)
}

func appendString(b []byte, s string) []byte {
	js, err := json.Marshal(s)
	if err != nil {
		return append(b, `""`...)
	}
	return append(b, js...)
}

// argmax returns the index of the largest value, the lowest on a tie.
func argmax(row []float32) int {
	best := 0
	for k, p := range row {
		if p > row[best] {
			best = k
		}
	}
	return best
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encoding the response failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
