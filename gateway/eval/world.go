package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/modelward/modelward/gateway/digits"
	"github.com/modelward/modelward/gateway/oip"
	"github.com/modelward/modelward/gateway/proxy"
	"github.com/modelward/modelward/registry"
)

// Defence is one output-hardening setting, served as its own model name
// so that each has its own detector state.
type Defence struct {
	Name   string // as printed
	Model  string // served model name
	Harden string // the model's harden YAML
}

// Defences are the settings the brief asks for.
var Defences = []Defence{
	{"none", "digits-none", "{mode: none}"},
	{"top-1 label", "digits-label", "{mode: label}"},
	{"top-3 + round 1", "digits-top3", "{stages: [{mode: topk, k: 3}, {mode: round, decimals: 1}]}"},
	{"reverse sigmoid β0.7 γ0.4", "digits-rs", "{mode: reverse-sigmoid, beta: 0.7, gamma: 0.4}"},
}

// detectYAML is the detector setting of examples/gateway/gateway.yaml.
const detectYAML = `
    detect:
      prada: {enabled: true, threshold: 0.9, min_queries: 100}
      blacklight: {enabled: true, scale: 16, alarm_count: 3, salt: %q}
      signals: {enabled: true}
    policy: log
`

// world is the digits model over OIP v2 behind the gateway, both on real
// loopback HTTP, and a registry issuing one API key per client.
type world struct {
	up, gw *httptest.Server
	gate   *proxy.Gateway
	svc    *registry.Service
	flags  *flagLog
	clock  *clock
	client *http.Client
	dir    string
	benign map[string][]string // model -> benign principals
	closer []func()
}

// clock is the gateway's clock. It moves one second per query, so the
// rate signals see a client pacing itself at one query a second and only
// what the queries contain can flag them.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) tick() {
	c.mu.Lock()
	c.t = c.t.Add(time.Second)
	c.mu.Unlock()
}

// newWorld starts the servers. The Blacklight salt, random by default,
// comes from seed: the near-duplicate windows, and so when Jacobian
// queries are flagged, depend on it.
func newWorld(ctx context.Context, seed uint64) (w *world, err error) {
	w = &world{flags: newFlagLog(), benign: map[string][]string{}, clock: &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}
	defer func() {
		if err != nil {
			w.close()
		}
	}()
	preds := map[string]oip.Predictor{}
	for _, d := range Defences {
		preds[d.Model] = digits.NewPredictor(digits.Pretrained(), d.Model)
	}
	srv, err := oip.New(preds, oip.Options{})
	if err != nil {
		return nil, err
	}
	w.up = httptest.NewServer(srv)
	w.closer = append(w.closer, w.up.Close)
	if w.dir, err = os.MkdirTemp("", "modelward-eval-"); err != nil {
		return nil, err
	}
	w.closer = append(w.closer, func() { os.RemoveAll(w.dir) })
	svc, closeStore, err := proxy.OpenRegistry(ctx, w.dir)
	if err != nil {
		return nil, err
	}
	w.svc = svc
	w.closer = append(w.closer, func() { closeStore() })
	return w, w.startGateway(ctx, seed)
}

func (w *world) startGateway(ctx context.Context, seed uint64) error {
	var models strings.Builder
	for _, d := range Defences {
		fmt.Fprintf(&models, `
  - name: %s
    upstreams: [%s]
    rate: {rate: 100000, burst: 100000}
    input: {name: pixels, features: 64, min: 0, max: 16}
    classes: 10
    harden: %s%s`, d.Model, w.up.URL, d.Harden, fmt.Sprintf(detectYAML, fmt.Sprintf("eval-%d", seed)))
	}
	yml := fmt.Sprintf("listen: 127.0.0.1:0\nauth:\n  registry: {data: %q}\nmodels:%s", w.dir, models.String())
	cfg, err := proxy.ParseConfig([]byte(yml))
	if err != nil {
		return err
	}
	w.gate, err = proxy.New(cfg, proxy.Options{Log: slog.New(w.flags), Now: w.clock.Now, Registry: w.svc})
	if err != nil {
		return err
	}
	w.closer = append(w.closer, func() { w.gate.Close() })
	sctx, cancel := context.WithCancel(ctx)
	w.closer = append(w.closer, cancel)
	if err := w.gate.Start(sctx); err != nil {
		return err
	}
	w.gw = httptest.NewServer(w.gate)
	w.client = w.gw.Client()
	w.closer = append(w.closer, w.gw.Close)
	return nil
}

// close stops the servers; httptest's Close waits for handlers, so every
// request's log line is in once it returns.
func (w *world) close() {
	for i := len(w.closer) - 1; i >= 0; i-- {
		w.closer[i]()
	}
	w.closer = nil
}

// newClient issues an API key (a registry token) for one client and
// returns it with the principal ID the gateway logs for it.
func (w *world) newClient(ctx context.Context, name string) (*client, error) {
	root := registry.Actor{ID: "local:eval", Role: registry.RoleAdmin}
	secret, tok, err := w.svc.CreateToken(ctx, root, name, registry.RoleViewer, nil, 0, "")
	if err != nil {
		return nil, err
	}
	return &client{w: w, secret: secret, principal: tok.ID}, nil
}

type client struct {
	w         *world
	secret    string
	principal string
}

// answer is what the gateway returned for one query.
type answer struct {
	label int
	probs []float64 // nil when the response carried none
}

type inferResponse struct {
	Outputs []struct {
		Name string    `json:"name"`
		Data []float64 `json:"data"`
	} `json:"outputs"`
}

// query sends one image to a model through the gateway.
func (c *client) query(ctx context.Context, model string, x []float32) (answer, error) {
	c.w.clock.tick()
	body, err := json.Marshal(map[string]any{"inputs": []any{map[string]any{
		"name": digits.InputName, "datatype": "FP32", "shape": []int{1, nIn}, "data": x}}})
	if err != nil {
		return answer{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.w.gw.URL+"/v2/models/"+model+"/infer", bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Authorization", "Bearer "+c.secret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.w.client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return answer{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return answer{}, fmt.Errorf("gateway answered %d: %.200s", resp.StatusCode, b)
	}
	return parseAnswer(b)
}

// parseAnswer reads the label and, when present, the probabilities; it
// trusts nothing about their shape.
func parseAnswer(b []byte) (answer, error) {
	var r inferResponse
	if err := json.Unmarshal(b, &r); err != nil {
		return answer{}, err
	}
	a := answer{label: -1}
	for _, o := range r.Outputs {
		switch {
		case o.Name == oip.OutputLabel && len(o.Data) == 1 && o.Data[0] >= 0 && o.Data[0] < nOut:
			a.label = int(o.Data[0])
		case o.Name == oip.OutputProbabilities && len(o.Data) == nOut:
			a.probs = o.Data
		}
	}
	if a.label < 0 {
		return answer{}, errors.New("the response has no valid label")
	}
	return a, nil
}

// target is the training target an attacker takes from an answer: the
// returned probabilities when they are a distribution, else the label.
func (a answer) target() (y [nOut]float64) {
	var sum float64
	for _, p := range a.probs {
		if !(p >= 0 && p <= 1) {
			sum = 0
			break
		}
		sum += p
	}
	if sum <= 0 {
		y[a.label] = 1
		return y
	}
	for k, p := range a.probs {
		y[k] = p / sum
	}
	return y
}

// flagLog is a slog.Handler reading the gateway's one line per request:
// per model and principal it counts requests and keeps the first that
// carried a detector's verdict.
type flagLog struct {
	mu    sync.Mutex
	count map[string]int
	first map[string]flagAt
	// each is the first query each detector was named on: a remembered
	// flag repeats the name of an earlier fresh one, so a name's first
	// appearance is that detector's own first flag.
	each map[string]map[string]int
}

type flagAt struct {
	query    int
	detector string
	each     map[string]int
}

func newFlagLog() *flagLog {
	return &flagLog{count: map[string]int{}, first: map[string]flagAt{}, each: map[string]map[string]int{}}
}

func (f *flagLog) Enabled(context.Context, slog.Level) bool { return true }
func (f *flagLog) WithAttrs([]slog.Attr) slog.Handler       { return f }
func (f *flagLog) WithGroup(string) slog.Handler            { return f }

func (f *flagLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "request" {
		return nil
	}
	var principal, model, detector string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "principal":
			principal = a.Value.String()
		case "model":
			model = a.Value.String()
		case "detector":
			detector = a.Value.String()
		}
		return true
	})
	key := model + "\x00" + principal
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count[key]++
	if _, ok := f.first[key]; !ok && detector != "" {
		f.first[key] = flagAt{query: f.count[key], detector: detector}
	}
	if detector != "" {
		if f.each[key] == nil {
			f.each[key] = map[string]int{}
		}
		if _, ok := f.each[key][detector]; !ok {
			f.each[key][detector] = f.count[key]
		}
	}
	return nil
}

// flagged returns the first flagged query of a principal on a model.
func (f *flagLog) flagged(model, principal string) (flagAt, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := model + "\x00" + principal
	a, ok := f.first[key]
	a.each = maps.Clone(f.each[key])
	return a, ok
}
