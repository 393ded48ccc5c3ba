// Package server is the registry's control plane over HTTP: the API that
// docs/api.md specifies, served by `modelward serve`. It authenticates
// every request before routing, authorises each call through the
// registry's Actor, maps registry errors to RFC 9457 problems, streams
// pushes and downloads, and signs audit checkpoints periodically.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/modelward/modelward/registry"
	"github.com/modelward/modelward/sign/bundle"
)

// Options configure a Server. Zero values take the defaults below.
type Options struct {
	Logger *slog.Logger
	// MaxBodyBytes bounds a whole push body (default 64 GiB).
	MaxBodyBytes int64
	// MaxFiles bounds the files of one push (default 10,000).
	MaxFiles int
	// MaxFileBytes bounds one pushed file (default MaxBodyBytes).
	MaxFileBytes int64
	// CheckpointKey signs audit checkpoints (Run) and verifies them
	// (GET /v1/audit/verify). Without it Run does nothing.
	CheckpointKey *bundle.Signer
	// CheckpointVerifiers are earlier server keys whose checkpoints still
	// count as valid in GET /v1/audit/verify.
	CheckpointVerifiers []*bundle.Verifier
	// CheckpointEvery is the period of Run's checkpoints (default 1h).
	CheckpointEvery time.Duration
	// RequestTimeout bounds ordinary API calls; pushes, downloads and the
	// event stream have no overall deadline (default 1 minute).
	RequestTimeout time.Duration
}

// Defaults for Options.
const (
	DefaultMaxBodyBytes    = 64 << 30
	DefaultMaxFiles        = 10_000
	DefaultCheckpointEvery = time.Hour
	DefaultRequestTimeout  = time.Minute
	// maxJSONBytes bounds every JSON request body.
	maxJSONBytes = 1 << 20
)

// Server serves the registry API.
type Server struct {
	svc     *registry.Service
	opt     Options
	log     *slog.Logger
	mux     *http.ServeMux
	handler http.Handler
	// stop closes when Run's context ends: event streams end with it, so
	// a graceful shutdown does not wait on them forever.
	stop     chan struct{}
	stopOnce sync.Once
	// enter, when set (tests), is called with a route's pattern each time a
	// request reaches its handler, which proves what authentication stops.
	enter func(pattern string)
}

// New builds a server over svc.
func New(svc *registry.Service, opt Options) *Server {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.MaxBodyBytes <= 0 {
		opt.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opt.MaxFiles <= 0 {
		opt.MaxFiles = DefaultMaxFiles
	}
	if opt.MaxFileBytes <= 0 {
		opt.MaxFileBytes = opt.MaxBodyBytes
	}
	if opt.CheckpointEvery <= 0 {
		opt.CheckpointEvery = DefaultCheckpointEvery
	}
	if opt.RequestTimeout <= 0 {
		opt.RequestTimeout = DefaultRequestTimeout
	}
	s := &Server{svc: svc, opt: opt, log: opt.Logger, mux: http.NewServeMux(), stop: make(chan struct{})}
	for _, rt := range routes() {
		s.mux.Handle(rt.method+" "+rt.path, s.wrap(rt))
	}
	// Order matters: headers and the log see every response, and
	// authentication runs before the mux ever looks at the path.
	s.handler = s.logged(secured(s.authenticate(http.HandlerFunc(s.route))))
	return s
}

// Handler returns the HTTP handler of the whole API.
func (s *Server) Handler() http.Handler { return s.handler }

// route hands an authenticated request to the mux. Requests the mux
// answers itself (no route, wrong method) get a problem body instead of
// its plain text.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern == "" {
		w = &problemWriter{ResponseWriter: w, s: s, r: r}
	}
	s.mux.ServeHTTP(w, r)
}

// problemWriter turns the mux's own error responses into problems.
type problemWriter struct {
	http.ResponseWriter
	s       *Server
	r       *http.Request
	swallow bool
}

func (p *problemWriter) WriteHeader(code int) {
	if code < 400 {
		p.ResponseWriter.WriteHeader(code)
		return
	}
	p.swallow = true
	slug := "not-found"
	if code == http.StatusMethodNotAllowed {
		slug = "method-not-allowed"
	}
	p.s.problem(p.ResponseWriter, p.r, code, slug, http.StatusText(code))
}

func (p *problemWriter) Write(b []byte) (int, error) {
	if p.swallow {
		return len(b), nil
	}
	return p.ResponseWriter.Write(b)
}

// secured adds the headers every response carries: API bodies are data,
// never pages to render or cache.
func secured(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// statusWriter records the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (sw *statusWriter) WriteHeader(code int) {
	if sw.status == 0 {
		sw.status = code
	}
	sw.ResponseWriter.WriteHeader(code)
}

func (sw *statusWriter) Write(b []byte) (int, error) {
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	return sw.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (sw *statusWriter) Unwrap() http.ResponseWriter { return sw.ResponseWriter }

// logged writes one log line per request: never headers (tokens), never
// the query (it is not ours to log).
func (s *Server) logged(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		// Deadlines are per connection and outlive a request on keep-alive
		// connections: set fresh ones for every request (streaming routes
		// lift them).
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(start.Add(s.opt.RequestTimeout))
		_ = rc.SetWriteDeadline(start.Add(s.opt.RequestTimeout))
		sw := &statusWriter{ResponseWriter: w}
		var actor string
		r = r.WithContext(context.WithValue(r.Context(), actorLogKey{}, &actor))
		next.ServeHTTP(sw, r)
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", safePath(r)),
			slog.Int("status", sw.status), slog.Duration("duration", time.Since(start)),
			slog.String("actor", actor))
	})
}

// safePath is the escaped request path for logs and problems: cut short
// (attackers choose it), and withheld when it holds what looks like a
// token pasted into a URL by mistake.
func safePath(r *http.Request) string {
	p := r.URL.EscapedPath()
	if mayHoldToken(p) {
		return "[path withheld: it may contain a token]"
	}
	if len(p) > 256 {
		p = p[:256] + "..."
	}
	return strings.ToValidUTF8(p, "?")
}

// tokenShape matches a token's id and secret however it is prefixed.
var tokenShape = regexp.MustCompile(`[0-9a-fA-F]{16}_[A-Za-z0-9_-]{43}`)

// mayHoldToken looks for a token in a path, escaped or not (mwt%5F...
// spells mwt_), with or without its prefix: a token pasted into a URL must
// not reach the logs.
func mayHoldToken(escaped string) bool {
	for _, p := range []string{escaped, unescapeAll(escaped)} {
		if strings.Contains(strings.ToLower(p), "mwt_") || tokenShape.MatchString(p) {
			return true
		}
	}
	return false
}

// unescapeAll undoes percent-encoding, repeatedly (a double-encoded
// token is still a token), at most a few times.
func unescapeAll(p string) string {
	for range 3 {
		u, err := url.PathUnescape(p)
		if err != nil || u == p {
			return p
		}
		p = u
	}
	return p
}

// Run signs an audit checkpoint every CheckpointEvery until ctx ends, and
// once more on the way out so the log's tail is covered; then it ends the
// open event streams. Without a checkpoint key it just waits for ctx.
func (s *Server) Run(ctx context.Context) error {
	defer s.stopOnce.Do(func() { close(s.stop) })
	if s.opt.CheckpointKey == nil {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(s.opt.CheckpointEvery)
	defer t.Stop()
	var last int64 = -1
	for {
		select {
		case <-t.C:
			last = s.checkpoint(ctx, last)
		case <-ctx.Done():
			end, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			s.checkpoint(end, last)
			cancel()
			return nil
		}
	}
}

// checkpoint signs the head unless it is the one signed last time, and
// returns the head's sequence.
func (s *Server) checkpoint(ctx context.Context, last int64) int64 {
	seq, _, err := s.svc.Store().Head(ctx)
	if err != nil {
		s.log.Error("audit checkpoint: reading the head", "err", err)
		return last
	}
	if seq == last {
		return last
	}
	c, err := s.svc.Checkpoint(ctx, s.opt.CheckpointKey)
	if err != nil {
		s.log.Error("audit checkpoint", "err", err)
		return last
	}
	s.log.Info("audit checkpoint", "seq", c.Seq, "key", c.KeyID)
	return c.Seq
}

// HTTPServer returns an http.Server for the handler with the timeouts and
// limits the API wants: slow headers are cut off, idle connections closed,
// and OPTIONS * goes through authentication like everything else.
// Bodies have no overall read timeout (pushes are long); ordinary routes
// set their own deadlines.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:                         addr,
		Handler:                      s.Handler(),
		ReadHeaderTimeout:            10 * time.Second,
		IdleTimeout:                  2 * time.Minute,
		MaxHeaderBytes:               64 << 10,
		DisableGeneralOptionsHandler: true,
		ErrorLog:                     slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}
