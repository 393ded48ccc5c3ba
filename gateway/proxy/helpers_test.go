package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelward/modelward/gateway/digits"
	"github.com/modelward/modelward/gateway/oip"
	"github.com/modelward/modelward/policy"
	"github.com/modelward/modelward/registry"
)

const adminKey = "admin-key-0123456789abcdef"

// clock is a test clock that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// world is a gateway in front of the real OIP server with the digits
// model, authenticating against a real registry store.
type world struct {
	t      testing.TB
	up     *httptest.Server
	gw     *Gateway
	ts     *httptest.Server
	svc    *registry.Service
	clock  *clock
	logs   *syncBuffer
	lines  *syncBuffer       // request lines, with worldOpts.requestLog
	tokens map[string]string // name -> secret
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// digitsUpstream serves the pretrained digits model over OIP v2.
func digitsUpstream(t testing.TB) *httptest.Server {
	t.Helper()
	p := digits.NewPredictor(digits.Pretrained(), "digits")
	s, err := oip.New(map[string]oip.Predictor{"digits": p}, oip.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts
}

// modelYAML is the digits model's config; extra is appended inside it.
func modelYAML(upstreams, extra string) string {
	return fmt.Sprintf(`
  - name: digits
    upstreams: [%s]
    rate: {rate: 10000, burst: 10000}
    input: {name: pixels, features: 64, min: 0, max: 16}
    classes: 10
%s`, upstreams, extra)
}

type worldOpts struct {
	upstreams string // default: the digits upstream
	model     string // extra model YAML
	top       string // extra top-level YAML
	events    bool   // give the registry service an event broker
	jwt       string // an auth.jwt YAML mapping, beside registry API keys
	transport http.RoundTripper
	// requestLog sends request lines to world.lines rather than the logger.
	requestLog bool
}

func newWorld(t testing.TB, o worldOpts) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{t: t, clock: newClock(), logs: &syncBuffer{}, tokens: map[string]string{}}
	w.up = digitsUpstream(t)
	if o.upstreams == "" {
		o.upstreams = w.up.URL
	}
	dir := t.TempDir()
	svc, closeStore, err := OpenRegistry(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeStore() })
	if o.events {
		svc = registry.NewService(svc.Store(), nil, nil, policy.Gates{}, registry.NewEvents())
	}
	w.svc = svc
	root := registry.Actor{ID: "local:test", Role: registry.RoleAdmin}
	for name, models := range map[string][]string{"all": nil, "other": {"other-model"}, "bob": nil} {
		secret, _, err := svc.CreateToken(ctx, root, name, registry.RoleViewer, models, 0, "")
		if err != nil {
			t.Fatal(err)
		}
		w.tokens[name] = secret
	}
	jwt := ""
	if o.jwt != "" {
		jwt = "  jwt: " + o.jwt + "\n"
	}
	yml := fmt.Sprintf("listen: 127.0.0.1:0\nauth:\n  registry: {data: %q, poll: 50ms}\n%s%s\nmodels:%s", dir, jwt, o.top, modelYAML(o.upstreams, o.model))
	cfg, err := ParseConfig([]byte(yml))
	if err != nil {
		t.Fatalf("config: %v\n%s", err, yml)
	}
	log := slog.New(slog.NewJSONHandler(w.logs, nil))
	opt := Options{Log: log, Now: w.clock.Now, Registry: svc, AdminKey: adminKey, Transport: o.transport}
	if o.requestLog {
		w.lines = &syncBuffer{}
		opt.RequestLog = w.lines
	}
	w.gw, err = New(cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	if err := w.gw.Start(sctx); err != nil {
		t.Fatal(err)
	}
	w.ts = httptest.NewServer(w.gw)
	t.Cleanup(func() {
		w.ts.Close()
		cancel()
		w.gw.Close()
	})
	return w
}

// do sends a request with a bearer secret ("" for none).
func (w *world) do(method, path, secret, body string) (int, []byte, http.Header) {
	w.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, w.ts.URL+path, rd)
	if err != nil {
		w.t.Fatal(err)
	}
	bare, _, _ := strings.Cut(path, "?")
	req.URL.Opaque = "//" + req.URL.Host + bare // send the path exactly as written
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := w.ts.Client().Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func (w *world) infer(secret, body string) (int, []byte) {
	w.t.Helper()
	st, b, _ := w.do("POST", "/v2/models/digits/infer", secret, body)
	return st, b
}

// inferBody is an OIP request for the given rows.
func inferBody(rows ...[]float32) string {
	flat := []float32{}
	for _, r := range rows {
		flat = append(flat, r...)
	}
	b, _ := json.Marshal(map[string]any{"id": "t1", "inputs": []any{map[string]any{
		"name": "pixels", "datatype": "FP32", "shape": []int{len(rows), 64}, "data": flat}}})
	return string(b)
}

type oipResponse struct {
	ModelName    string `json:"model_name"`
	ModelVersion string `json:"model_version"`
	ID           string `json:"id"`
	Outputs      []struct {
		Name  string    `json:"name"`
		Shape []int64   `json:"shape"`
		Data  []float64 `json:"data"`
	} `json:"outputs"`
}

func decode(t testing.TB, b []byte) oipResponse {
	t.Helper()
	var r oipResponse
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("response %s: %v", b, err)
	}
	return r
}

func (r oipResponse) output(name string) []float64 {
	for _, o := range r.Outputs {
		if o.Name == name {
			return o.Data
		}
	}
	return nil
}

// errorOf reads a problem body's error member.
func errorOf(b []byte) string {
	var p problem
	_ = json.Unmarshal(b, &p)
	return p.Error
}

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}
