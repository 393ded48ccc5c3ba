package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/modelward/modelward/gateway/auth"
	"github.com/modelward/modelward/gateway/ratelimit"
	"github.com/modelward/modelward/gateway/review"
)

// Route kinds.
const (
	routeNone = iota
	routeLive
	routeReady
	routeMetadata
	routeModelReady
	routeInfer
	routeDisable
	routeEnable
	routeMetrics
	routeTicket     // GET /v2/reviews/{id}
	routeReviewList // GET /admin/reviews
	routeReviewGet  // GET /admin/reviews/{id}
	routeApprove    // POST /admin/reviews/{id}/approve
	routeReject     // POST /admin/reviews/{id}/reject
)

type route struct {
	kind    int
	method  string
	model   string
	id      string // a review ID, for the review routes
	version string // the model version a /versions/{v} route names
}

// routePath matches the raw (escaped) path exactly. A percent sign never
// appears in a valid route (model names are plain), so encoded slashes
// and dots (%2F, %2e%2e) match nothing; empty segments (double slashes),
// "." and ".." match nothing; names compare case-sensitively. Nothing is
// cleaned or redirected: a path is either exactly a route or 404.
func routePath(escaped string) route {
	if strings.ContainsRune(escaped, '%') || !strings.HasPrefix(escaped, "/") {
		return route{}
	}
	var buf [maxSegments]string
	seg, ok := splitPath(escaped[1:], &buf)
	if !ok {
		return route{}
	}
	for _, s := range seg {
		if s == "" || s == "." || s == ".." {
			return route{}
		}
	}
	model := func(i int) (string, bool) {
		if i < len(seg) && plainName(seg[i], maxModelName) {
			return seg[i], true
		}
		return "", false
	}
	switch {
	case len(seg) == 1 && seg[0] == "metrics":
		return route{kind: routeMetrics, method: http.MethodGet}
	case len(seg) == 3 && seg[0] == "v2" && seg[1] == "health" && seg[2] == "live":
		return route{kind: routeLive, method: http.MethodGet}
	case len(seg) == 3 && seg[0] == "v2" && seg[1] == "health" && seg[2] == "ready":
		return route{kind: routeReady, method: http.MethodGet}
	case len(seg) >= 3 && len(seg) <= 6 && seg[0] == "v2" && seg[1] == "models":
		name, ok := model(2)
		if !ok {
			return route{}
		}
		return modelRoutePath(name, seg[3:])
	case len(seg) == 3 && seg[0] == "v2" && seg[1] == "reviews" && review.ValidID(seg[2]):
		return route{kind: routeTicket, method: http.MethodGet, id: seg[2]}
	case len(seg) >= 2 && len(seg) <= 4 && seg[0] == "admin" && seg[1] == "reviews":
		return reviewRoute(seg[2:])
	case len(seg) == 4 && seg[0] == "admin" && seg[1] == "models":
		name, ok := model(2)
		if !ok {
			return route{}
		}
		switch seg[3] {
		case "disable":
			return route{kind: routeDisable, method: http.MethodPost, model: name}
		case "enable":
			return route{kind: routeEnable, method: http.MethodPost, model: name}
		}
	}
	return route{}
}

// modelRoutePath matches what follows /v2/models/{name}: nothing
// (metadata), ready, infer, or the same after versions/{version}.
func modelRoutePath(name string, seg []string) route {
	version := ""
	if len(seg) >= 2 && seg[0] == "versions" {
		if !plainName(seg[1], maxVersionName) {
			return route{}
		}
		version, seg = seg[1], seg[2:]
	}
	switch {
	case len(seg) == 0:
		return route{kind: routeMetadata, method: http.MethodGet, model: name, version: version}
	case len(seg) > 1:
		return route{}
	case seg[0] == "ready":
		return route{kind: routeModelReady, method: http.MethodGet, model: name, version: version}
	case seg[0] == "infer":
		return route{kind: routeInfer, method: http.MethodPost, model: name, version: version}
	}
	return route{}
}

// reviewRoute matches what follows /admin/reviews.
func reviewRoute(seg []string) route {
	if len(seg) == 0 {
		return route{kind: routeReviewList, method: http.MethodGet}
	}
	if !review.ValidID(seg[0]) {
		return route{}
	}
	if len(seg) == 1 {
		return route{kind: routeReviewGet, method: http.MethodGet, id: seg[0]}
	}
	switch seg[1] {
	case "approve":
		return route{kind: routeApprove, method: http.MethodPost, id: seg[0]}
	case "reject":
		return route{kind: routeReject, method: http.MethodPost, id: seg[0]}
	}
	return route{}
}

// httpError is an answer other than success, with what to log.
type httpError struct {
	status     int
	msg        string
	retryAfter time.Duration
	reason     string // for metrics: blocked/degraded reasons, upstream kinds
}

func (e *httpError) Error() string { return e.msg }

func fail(status int, format string, args ...any) *httpError {
	return &httpError{status: status, msg: fmt.Sprintf(format, args...)}
}

// reqLog collects what the request's one log line says.
type reqLog struct {
	principal string
	model     string
	status    int
	verdict   verdict
	newFlag   bool // this request raised verdict: its reason is logged
	upstream  string
}

// ServeHTTP authenticates first, then routes: no path, however spelled,
// reaches a route without a verified credential.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(r.Context(), g.cfg.Limits.RequestTimeout)
	defer cancel()
	r = r.WithContext(ctx)
	lg := &reqLog{}
	sw := &statusWriter{ResponseWriter: w}
	if err := g.serve(sw, r, lg); err != nil {
		writeError(sw, err)
	}
	lg.status = sw.status
	if lg.status == 0 {
		lg.status = http.StatusOK
	}
	g.finish(r, lg, start)
}

func (g *Gateway) finish(r *http.Request, lg *reqLog, start time.Time) {
	el := time.Since(start)
	model := lg.model
	if model == "" {
		model = "-"
	}
	g.metrics.inc(mRequests, "model", model, "status", strconv.Itoa(lg.status))
	g.metrics.observe(el, "model", model)
	line := requestLine{at: start.Add(el), principal: lg.principal, model: model, method: r.Method, status: lg.status,
		latency: el, upstream: lg.upstream}
	if v := lg.verdict; v.Flagged {
		line.flagged, line.detector, line.score = true, v.Detector, v.Score
		if lg.newFlag {
			line.reason = v.Reason()
		}
	}
	if g.requestLog != nil {
		if err := line.writeTo(g.requestLog); err != nil {
			g.metrics.inc(mLogErrors)
		}
		return
	}
	g.logRequest(r.Context(), &line)
}

// logRequest sends the request line through the Logger, for gateways
// without a RequestLog (tests and the evaluation read it from there).
func (g *Gateway) logRequest(ctx context.Context, l *requestLine) {
	attrs := make([]slog.Attr, 0, 9)
	attrs = append(attrs, slog.String("principal", l.principal), slog.String("model", l.model), slog.String("method", l.method),
		slog.Int("status", l.status), slog.Float64("latency_ms", float64(l.latency.Microseconds())/1000))
	if l.upstream != "" {
		attrs = append(attrs, slog.String("upstream", l.upstream))
	}
	if l.flagged {
		attrs = append(attrs, slog.String("detector", l.detector), slog.Float64("score", l.score))
		if l.reason != "" {
			attrs = append(attrs, slog.String("reason", l.reason))
		}
	}
	g.log.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
}

func (g *Gateway) serve(w http.ResponseWriter, r *http.Request, lg *reqLog) *httpError {
	admin := g.isAdmin(r)
	var p auth.Principal
	switch {
	case admin:
		p = auth.Principal{ID: "admin", Kind: "admin"}
	case g.auth == nil:
		p = auth.Principal{ID: "anonymous", Models: []string{"*"}, Operations: []string{"*"}}
	default:
		var err error
		if p, err = g.auth.Authenticate(r); err != nil {
			e := fail(auth.Status(err), "%s", authMessage(err))
			if e.status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="modelward"`)
			}
			return e
		}
	}
	lg.principal = p.ID
	rt := routePath(r.URL.EscapedPath())
	if rt.kind == routeNone {
		return fail(http.StatusNotFound, "no such route")
	}
	if r.Method != rt.method {
		w.Header().Set("Allow", rt.method)
		return fail(http.StatusMethodNotAllowed, "use %s", rt.method)
	}
	lg.model = g.modelLabel(rt.model)
	switch rt.kind {
	case routeMetrics, routeDisable, routeEnable:
		return g.adminRoute(w, r, rt, admin)
	case routeReviewList, routeReviewGet, routeApprove, routeReject:
		if !admin {
			return fail(http.StatusForbidden, "admin key required")
		}
		return g.reviewAdmin(w, r, rt)
	}
	if admin {
		return fail(http.StatusForbidden, "the admin key serves /admin and /metrics only")
	}
	switch rt.kind {
	case routeLive:
		w.WriteHeader(http.StatusOK)
		return nil
	case routeReady:
		return g.ready(w, lg)
	case routeTicket:
		return g.collect(w, rt.id, p)
	}
	return g.modelRoute(w, r, rt, p, lg)
}

// modelLabel keeps metric labels bounded: only configured names appear.
func (g *Gateway) modelLabel(name string) string {
	if _, ok := g.models[name]; ok {
		return name
	}
	return ""
}

// authMessage words an authentication failure without echoing credentials
// (auth's errors never include them; this keeps the answer short anyway).
func authMessage(err error) string {
	switch auth.Status(err) {
	case http.StatusUnauthorized:
		return "authentication required: present a valid bearer credential"
	case http.StatusForbidden:
		return "the credential does not allow this request"
	}
	return "authentication backend unavailable"
}

func (g *Gateway) adminRoute(w http.ResponseWriter, r *http.Request, rt route, admin bool) *httpError {
	if !admin {
		return fail(http.StatusForbidden, "admin key required")
	}
	if rt.kind == routeMetrics {
		if g.cfg.MetricsListen != "" {
			return fail(http.StatusNotFound, "metrics are served on the metrics listener")
		}
		g.metrics.ServeHTTP(w, r)
		return nil
	}
	if !g.SetEnabled(rt.model, rt.kind == routeEnable) {
		return fail(http.StatusNotFound, "unknown model")
	}
	writeJSON(w, http.StatusOK, map[string]any{"model": rt.model, "enabled": rt.kind == routeEnable})
	return nil
}

func (g *Gateway) ready(w http.ResponseWriter, lg *reqLog) *httpError {
	for _, m := range g.models {
		if g.available(m) == nil && m.pool.healthy() {
			w.WriteHeader(http.StatusOK)
			return nil
		}
	}
	return fail(http.StatusServiceUnavailable, "no model is servable")
}

// available says whether a model may be served at all now.
func (g *Gateway) available(m *model) *httpError {
	if !m.enabled.Load() {
		return fail(http.StatusServiceUnavailable, "model %q is disabled", m.cfg.Name)
	}
	if m.cfg.Registry != nil && m.deployed.Load() == 0 {
		return fail(http.StatusServiceUnavailable, "model %q has no deployed version in the registry", m.cfg.Name)
	}
	return nil
}

// modelRoute authorises the operation, then dispatches it.
func (g *Gateway) modelRoute(w http.ResponseWriter, r *http.Request, rt route, p auth.Principal, lg *reqLog) *httpError {
	op := map[int]string{routeMetadata: auth.OpMetadata, routeModelReady: auth.OpReady, routeInfer: auth.OpInfer}[rt.kind]
	if err := p.Allow(rt.model, op); err != nil {
		return fail(http.StatusForbidden, "not allowed to %s model %q", op, rt.model)
	}
	m, ok := g.models[rt.model]
	if !ok {
		return fail(http.StatusNotFound, "unknown model %q", rt.model)
	}
	if e := g.available(m); e != nil {
		return e
	}
	if e := g.checkVersion(m, rt.version); e != nil {
		return e
	}
	if v, ok := g.blocked(m, p); ok {
		// Blocked means every operation, not only inference.
		lg.verdict = v
		g.metrics.inc(mBlocked, "model", m.cfg.Name, "reason", v.Detector)
		return fail(http.StatusForbidden, "this client is blocked from model %q: its queries look like model extraction", m.cfg.Name)
	}
	if rt.kind == routeInfer {
		return g.infer(w, r, m, p, lg) // charged by its rows once parsed
	}
	if e := g.limit(w, r.Context(), m, p, 1); e != nil {
		return e
	}
	return g.passthrough(w, r, m, rt.kind, lg)
}

// checkVersion admits a route naming a version only when that is the
// version served: the registry's deployed one for a gated model, else the
// one the config pins upstream. The gateway never serves another version
// because a client asked for it.
func (g *Gateway) checkVersion(m *model, version string) *httpError {
	if version == "" {
		return nil
	}
	if version != g.servedVersion(m) {
		return fail(http.StatusNotFound, "model %q version %q is not served here; use /v2/models/%s/infer for the served version", m.cfg.Name, version, m.cfg.Name)
	}
	return nil
}

// blocked reports a client flagged on a model whose policy blocks it; the
// flag table is only consulted under that policy.
func (g *Gateway) blocked(m *model, p auth.Principal) (verdict, bool) {
	if m.cfg.Policy != PolicyBlock {
		return verdict{}, false
	}
	return m.flags.get(p.ID, g.now())
}

// servedVersion is the version the gateway serves of m: the registry's
// deployed number for a gated model, else the one pinned upstream, else "".
func (g *Gateway) servedVersion(m *model) string {
	switch {
	case m.cfg.Registry != nil:
		return strconv.FormatInt(m.deployed.Load(), 10)
	case m.cfg.OIP != nil:
		return m.cfg.OIP.Version
	}
	return ""
}

// limitCheck is one limit a request is charged against.
type limitCheck struct {
	key      string
	l        ratelimit.Limit
	throttle bool // the flagged-client throttle, not an ordinary limit
}

// limit charges n queries to the principal's limit on this model, the
// model's limit over all principals and, for a client flagged under the
// throttle policy, the throttle. An inference is charged its rows once
// parsed (one when it fails to parse), other routes one, so limits and
// quotas count queries, not requests. A limiter that cannot answer
// refuses (503): failing open would lift every limit whenever Redis is
// down.
func (g *Gateway) limit(w http.ResponseWriter, ctx context.Context, m *model, p auth.Principal, n int) *httpError {
	if n < 1 {
		return nil
	}
	checks := []limitCheck{{key: "p:" + m.cfg.Name + ":" + p.ID, l: m.cfg.Rate.limit()}}
	if m.cfg.ModelRate != nil {
		checks = append(checks, limitCheck{key: "m:" + m.cfg.Name, l: m.cfg.ModelRate.limit()})
	}
	if m.cfg.Policy == PolicyThrottle {
		if _, flagged := m.flags.get(p.ID, g.now()); flagged {
			checks = append(checks, limitCheck{key: "t:" + m.cfg.Name + ":" + p.ID, l: m.cfg.Throttle.limit(), throttle: true})
		}
	}
	for i, c := range checks {
		if e := g.charge(w, ctx, m, c, n); e != nil {
			g.refund(ctx, m, checks[:i], n)
			return e
		}
	}
	return nil
}

// refund gives back what the checks before a refusal charged: a refused
// request costs no limit anything.
func (g *Gateway) refund(ctx context.Context, m *model, charged []limitCheck, n int) {
	for _, c := range charged {
		if err := g.limiter.Refund(ctx, c.key, c.l, n, g.now()); err != nil {
			g.log.Error("rate limiter refund", "model", m.cfg.Name, "err", err)
		}
	}
}

func (g *Gateway) charge(w http.ResponseWriter, ctx context.Context, m *model, c limitCheck, n int) *httpError {
	d, err := g.limiter.AllowN(ctx, c.key, c.l, n, g.now())
	if errors.Is(err, ratelimit.ErrCost) {
		return fail(http.StatusBadRequest, "a batch of %d rows is more than the limit allows at once (burst %d, daily quota %d); send fewer rows per request", n, c.l.Burst, c.l.Daily)
	}
	if err != nil {
		g.log.Error("rate limiter", "model", m.cfg.Name, "err", err)
		return fail(http.StatusServiceUnavailable, "rate limiter unavailable")
	}
	if d.Allowed {
		return nil
	}
	secs := max(int64(math.Ceil(d.RetryAfter.Seconds())), 1)
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	if c.throttle {
		g.metrics.inc(mBlocked, "model", m.cfg.Name, "reason", "throttled")
		return fail(http.StatusTooManyRequests, "this client is throttled on model %q: its queries look like model extraction; retry after %d s", m.cfg.Name, secs)
	}
	g.metrics.inc(mBlocked, "model", m.cfg.Name, "reason", d.Reason)
	return fail(http.StatusTooManyRequests, "rate limit exceeded (%s); retry after %d s", d.Reason, secs)
}

// problem is the error body: RFC 9457 problem details with an "error"
// member too, the field OIP v2 clients read.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Error  string `json:"error"`
}

func writeError(w http.ResponseWriter, e *httpError) {
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(int64(math.Ceil(e.retryAfter.Seconds())), 10))
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(problem{Type: "about:blank", Title: http.StatusText(e.status),
		Status: e.status, Detail: e.msg, Error: e.msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

var errNoUpstream = errors.New("no upstream available")

// statusWriter remembers the status written, for the log line.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}
