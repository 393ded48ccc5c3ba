package proxy

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/modelward/modelward/gateway/auth"
	"github.com/modelward/modelward/gateway/h1"
	"github.com/modelward/modelward/gateway/harden"
	"github.com/modelward/modelward/gateway/oip"
	"github.com/modelward/modelward/gateway/ratelimit"
	"github.com/modelward/modelward/gateway/review"
	"github.com/modelward/modelward/gateway/telemetry"
	"github.com/modelward/modelward/gateway/wire"
	"github.com/modelward/modelward/registry"
)

// Options carries what a configuration file cannot: clocks, loggers and
// already opened services. Zero fields are built from the Config.
type Options struct {
	Log *slog.Logger
	// RequestLog, when set, receives the one JSON line per request (the
	// same fields slog's JSON handler writes for it) directly, in one
	// Write each, instead of through Log: cheaper by an order of
	// magnitude. It must be safe for concurrent use.
	RequestLog io.Writer
	// Now is the clock for breakers, detectors and flags; nil means time.Now.
	Now func() time.Time
	// Registry serves API keys and the deployed versions; required when
	// the Config names auth.registry (OpenRegistry opens one).
	Registry *registry.Service
	// Limiter replaces the one the Config selects (in process, or Redis).
	Limiter ratelimit.Limiter
	// AdminKey replaces admin.key_file.
	AdminKey string
	// Transport replaces the upstream transport (tests).
	Transport http.RoundTripper
}

// Gateway is the runtime gateway: an http.Handler for the OIP v2 routes,
// the admin routes and /metrics.
type Gateway struct {
	cfg        *Config
	log        *slog.Logger
	requestLog io.Writer
	now        func() time.Time
	auth       *auth.Authenticator // nil with auth.none
	admin      [sha256.Size]byte
	hasAdmin   bool
	limiter    ratelimit.Limiter
	closers    []func() error
	client     *http.Client // https upstreams, and tests' transports
	lean       *h1.Client   // plain-http upstreams; nil when Options.Transport is set
	models     map[string]*model
	metrics    *metrics
	reg        *registry.Service
	reviews    *review.Queue
	tele       *telemetry.File // nil without telemetry
	alerts     chan alert      // to the registry, off the request path
	share      *flagShare      // nil without Redis

	stopOnce sync.Once
	stop     chan struct{}
	wg       sync.WaitGroup
}

// model is one served model and its state.
type model struct {
	cfg     ModelConfig
	md      oip.ModelMetadata
	pool    *pool
	codec   wire.Codec // how the upstreams are spoken to
	hard    *harden.Hardener
	label   *harden.Hardener // degrade: label only
	det     *detectors
	flags   *flags
	enabled atomic.Bool
	// deployed is the registry's deployed version number for gated
	// models: 0 when none is, and nothing is served.
	deployed atomic.Int64
}

// New builds a Gateway. Call Start to follow the registry and Close to
// release what it holds.
func New(cfg *Config, opt Options) (*Gateway, error) {
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	g := &Gateway{cfg: cfg, log: opt.Log, requestLog: opt.RequestLog, now: opt.Now, models: map[string]*model{},
		metrics: newMetrics(), reg: opt.Registry, stop: make(chan struct{}), alerts: make(chan alert, 256)}
	if err := g.setupAuth(opt); err != nil {
		return nil, err
	}
	rq, err := review.New(review.Config{TTL: cfg.Review.TTL, MaxPending: cfg.Review.MaxPending,
		MaxPerPrincipal: cfg.Review.MaxPerPrincipal, Now: opt.Now})
	if err != nil {
		return nil, fmt.Errorf("review: %w", err)
	}
	g.reviews = rq
	if err := g.openTelemetry(); err != nil {
		return nil, err
	}
	if err := g.setupShared(opt); err != nil {
		return nil, err
	}
	g.setupClient(opt)
	for i := range cfg.Models {
		m, err := g.newModel(cfg.Models[i])
		if err != nil {
			g.Close()
			return nil, fmt.Errorf("model %q: %w", cfg.Models[i].Name, err)
		}
		g.models[m.cfg.Name] = m
	}
	return g, nil
}

func (g *Gateway) setupAuth(opt Options) error {
	key := opt.AdminKey
	if key == "" && g.cfg.Admin.KeyFile != "" {
		b, err := os.ReadFile(g.cfg.Admin.KeyFile)
		if err != nil {
			return fmt.Errorf("admin key: %w", err)
		}
		key = strings.TrimSpace(string(b))
	}
	if key != "" {
		if len(key) < 16 {
			return errors.New("admin key: shorter than 16 characters")
		}
		g.admin, g.hasAdmin = sha256.Sum256([]byte(key)), true
	}
	if g.cfg.Auth.None {
		return nil
	}
	var ao auth.Options
	if g.cfg.Auth.Registry != nil {
		if g.reg == nil {
			return errors.New("auth.registry is configured but no registry was opened")
		}
		ao.Keys = g.reg
	}
	if j := g.cfg.Auth.JWT; j != nil {
		src, err := jwksSource(j)
		if err != nil {
			return err
		}
		ao.JWT = &auth.JWTConfig{Issuer: j.Issuer, Audiences: j.Audiences, JWKS: src, Algorithms: j.Algorithms,
			ModelsClaim: j.ModelsClaim, OpsClaim: j.OpsClaim, CacheSize: 1024}
	}
	a, err := auth.New(ao)
	if err != nil {
		return err
	}
	g.auth = a
	return nil
}

func jwksSource(j *JWTAuthConfig) (auth.JWKSSource, error) {
	if j.JWKSFile != "" {
		b, err := os.ReadFile(j.JWKSFile)
		if err != nil {
			return nil, fmt.Errorf("jwks_file: %w", err)
		}
		return auth.StaticJWKS(b)
	}
	return auth.RemoteJWKS(j.JWKSURL, auth.RemoteOptions{})
}

// setupShared sets up what replicas share: rate limits and quotas (in
// process without Redis, or Options.Limiter), and with Redis the flags,
// which are shared even when Options.Limiter replaces the limits.
func (g *Gateway) setupShared(opt Options) error {
	var c *redis.Client
	if g.cfg.Redis.Addr != "" {
		c = redis.NewClient(&redis.Options{Addr: g.cfg.Redis.Addr})
		g.closers = append(g.closers, c.Close)
		// The flags have a client of their own, closed when the gateway
		// stops, which ends a call in flight to a Redis that does not answer.
		g.share = newFlagShare(g.cfg.Redis.Addr, g.cfg.Redis.Prefix)
		g.closers = append(g.closers, g.share.close)
	}
	switch {
	case opt.Limiter != nil:
		g.limiter = opt.Limiter
	case c != nil:
		g.limiter = ratelimit.NewRedis(c, g.cfg.Redis.Prefix)
	default:
		g.limiter = ratelimit.NewMemory(ratelimit.MemoryOptions{})
	}
	return nil
}

func (g *Gateway) setupClient(opt Options) {
	rt := opt.Transport
	if rt == nil {
		rt = &http.Transport{
			Proxy:                 nil, // upstreams are addressed directly
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConnsPerHost:   64,
			IdleConnTimeout:       g.cfg.Limits.UpstreamIdle,
			ResponseHeaderTimeout: g.cfg.Limits.UpstreamTimeout,
		}
	}
	// The client timeout bounds the whole exchange, body included; each
	// call also carries a context deadline, so nothing outlives it.
	g.client = &http.Client{Transport: rt, Timeout: g.cfg.Limits.UpstreamTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if opt.Transport == nil {
		// Plain-http upstreams go through the lean client: no goroutine
		// hand-offs per call (gateway/h1).
		g.lean, _ = h1.New(h1.Config{MaxIdlePerHost: 64, IdleTimeout: g.cfg.Limits.UpstreamIdle, DialTimeout: 5 * time.Second})
	}
}

func (g *Gateway) newModel(mc ModelConfig) (*model, error) {
	m := &model{cfg: mc, pool: newPool(mc.Upstreams, g.cfg.Breaker, g.now)}
	m.md = oip.ModelMetadata{Name: mc.Name, Platform: "modelward-gateway",
		Inputs:  []oip.TensorMetadata{{Name: mc.Input.Name, Datatype: oip.FP32, Shape: []int64{-1, int64(mc.Input.Features)}}},
		Outputs: oip.ClassifierOutputs(mc.Classes)}
	var err error
	if m.codec, err = mc.codec(); err != nil {
		return nil, err
	}
	if m.hard, err = harden.New(mc.Harden.config()); err != nil {
		return nil, err
	}
	if m.label, err = harden.New(harden.Config{Mode: harden.ModeLabel}); err != nil {
		return nil, err
	}
	if m.det, err = newDetectors(&mc, g.now); err != nil {
		return nil, err
	}
	m.flags = newFlags(mc.FlagTTL, m.det.maxClients)
	if m.det.perClient > 0 {
		g.log.Info("extraction detectors' memory", "model", mc.Name, "max_clients", m.det.maxClients,
			"bytes_per_client", m.det.perClient, "worst_case_bytes", m.det.worstCase())
	}
	m.enabled.Store(mc.enabled())
	return m, nil
}

// Close stops the registry watcher and releases connections.
func (g *Gateway) Close() error {
	g.stopOnce.Do(func() { close(g.stop) })
	g.wg.Wait()
	g.client.CloseIdleConnections()
	if g.lean != nil {
		_ = g.lean.Close()
	}
	var errs []error
	for _, c := range g.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

// SetEnabled is the kill switch: a disabled model answers 503.
func (g *Gateway) SetEnabled(name string, on bool) bool {
	m, ok := g.models[name]
	if ok {
		m.enabled.Store(on)
		g.log.Warn("model switched", "model", name, "enabled", on)
	}
	return ok
}

// ApplyReload takes from a reloaded Config what can change while running:
// each model's enabled flag. Everything else needs a restart.
func (g *Gateway) ApplyReload(cfg *Config) {
	for i := range cfg.Models {
		g.SetEnabled(cfg.Models[i].Name, cfg.Models[i].enabled())
	}
}

// MetricsHandler serves the metrics without authentication, for a
// separate listener.
func (g *Gateway) MetricsHandler() http.Handler { return g.metrics }

// isAdmin compares the presented bearer with the admin key in constant
// time (over digests, so the length leaks nothing either).
func (g *Gateway) isAdmin(r *http.Request) bool {
	if !g.hasAdmin {
		return false
	}
	vals := r.Header.Values("Authorization")
	if len(vals) != 1 {
		return false
	}
	scheme, tok, ok := strings.Cut(vals[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	d := sha256.Sum256([]byte(strings.TrimLeft(tok, " ")))
	return subtle.ConstantTimeCompare(d[:], g.admin[:]) == 1
}
