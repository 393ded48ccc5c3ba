package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/modelward/modelward/gateway/proxy"
	"github.com/modelward/modelward/internal/logbuf"
)

type gatewayFlags struct {
	config, metricsListen, pprof string
	logFlush                     time.Duration
}

func newGatewayCmd() *cobra.Command {
	var f gatewayFlags
	cmd := &cobra.Command{
		Use:   "gateway --config FILE",
		Short: "Run the runtime gateway in front of Open Inference Protocol v2 model servers",
		Long: `Run the runtime gateway: a reverse proxy for Open Inference Protocol v2
upstreams (KServe, Triton, MLServer, 'modelward demo-model serve') that
authenticates every request (registry API keys or JWTs), rate-limits per
principal and per model, validates inputs against each model's declared
range, watches every client for model extraction (PRADA, Blacklight,
volume and diversity signals), applies the model's response policy (log,
alert, degrade to label only, throttle, hold for human review, block),
hardens outputs, writes prediction records for monitoring, and serves a
model only while the registry shows a deployed version of it. Upstreams
speak OIP v2, TensorFlow Serving REST or a JSON mapping of your own;
clients always speak OIP v2.

  GET  /v2/health/live, /v2/health/ready
  GET  /v2/models/NAME[/versions/V], .../ready    metadata and readiness
  POST /v2/models/NAME[/versions/V]/infer
  GET  /v2/reviews/ID                            a held answer's ticket
  POST /admin/models/NAME/disable|enable         admin key (kill switch)
  GET  /admin/reviews[/ID], POST .../approve|reject   admin key (review queue)
  GET  /metrics                                  admin key, or --metrics-listen

The configuration is YAML, decoded strictly (an unknown field is an
error). SIGHUP re-reads it and applies each model's 'enabled' flag; other
changes need a restart. Logs are JSON on standard error, one line per
request, written in batches every --log-flush (a crash loses at most that
window; 0 writes each line at once). SIGINT or SIGTERM shuts down
gracefully.

Exit status: 0 after a clean shutdown, 2 on a usage or start-up error.`,
		Example: `  modelward demo-model serve --listen 127.0.0.1:8500 &
  modelward gateway --config gateway.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runGateway(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.config, "config", "", "gateway configuration file (YAML)")
	fl.StringVar(&f.metricsListen, "metrics-listen", "", "serve /metrics without authentication on this address (overrides metrics_listen)")
	fl.DurationVar(&f.logFlush, "log-flush", logbuf.DefaultInterval, "write log lines in batches this often (0: each line at once)")
	fl.StringVar(&f.pprof, "pprof", "", "serve Go's profiler (/debug/pprof/) without authentication on this loopback address, for diagnosis")
	cmd.AddCommand(newGatewayCalibrateCmd())
	return cmd
}

func runGateway(cmd *cobra.Command, f gatewayFlags) error {
	if f.config == "" {
		return usageErr("--config is required")
	}
	if f.pprof != "" && !isLoopback(f.pprof) {
		return usageErr("--pprof %s: the profiler is unauthenticated; give a loopback address such as 127.0.0.1:6060", f.pprof)
	}

	cfg, err := proxy.LoadConfig(f.config)
	if err != nil {
		return usageErr("%v", err)
	}
	if f.metricsListen != "" {
		cfg.MetricsListen = f.metricsListen
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The gateway writes its request lines itself, beside slog: both go
	// through one writer that keeps each line whole (the batching Writer
	// does, under its lock; Serial when lines go out one by one).
	logOut := logbuf.Serial(cmd.ErrOrStderr())
	if f.logFlush > 0 {
		lw := logbuf.New(cmd.ErrOrStderr(), f.logFlush, 0)
		defer lw.Close()
		logOut = lw
	}
	log := slog.New(slog.NewJSONHandler(logOut, nil))
	opt := proxy.Options{Log: log, RequestLog: logOut}
	if cfg.Auth.Registry != nil {
		svc, closeStore, err := proxy.OpenRegistry(ctx, cfg.Auth.Registry.Data)
		if err != nil {
			return usageErr("%v", err)
		}
		defer closeStore()
		opt.Registry = svc
	}
	gw, err := proxy.New(cfg, opt)
	if err != nil {
		return usageErr("%v", err)
	}
	defer gw.Close()
	if err := gw.Start(ctx); err != nil {
		return usageErr("%v", err)
	}
	go reloadOnHUP(ctx, f.config, gw, log)
	if f.pprof != "" {
		if err := servePprof(ctx, f.pprof, log); err != nil {
			return usageErr("--pprof: %v", err)
		}
	}
	return serveGateway(ctx, cfg, gw, log)
}

// isLoopback tells whether addr (host:port) names a loopback address.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// servePprof serves net/http/pprof on its own mux and listener until ctx
// ends: never on the gateway's port, never on the default mux.
func servePprof(ctx context.Context, addr string, log *slog.Logger) error {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	context.AfterFunc(ctx, func() { _ = hs.Close() })
	log.Info("profiler listening", "addr", ln.Addr().String())
	return nil
}

// reloadOnHUP applies the kill switches of a re-read config.
func reloadOnHUP(ctx context.Context, path string, gw *proxy.Gateway, log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			cfg, err := proxy.LoadConfig(path)
			if err != nil {
				log.Error("reload refused", "err", err)
				continue
			}
			gw.ApplyReload(cfg)
			log.Info("reloaded", "config", path)
		}
	}
}

func serveGateway(ctx context.Context, cfg *proxy.Config, gw *proxy.Gateway, log *slog.Logger) error {
	servers := []*http.Server{newHTTPServer(cfg, gw, log)}
	addrs := []string{cfg.Listen}
	msgs := []string{"listening"}
	if cfg.MetricsListen != "" {
		servers = append(servers, newHTTPServer(cfg, gw.MetricsHandler(), log))
		addrs = append(addrs, cfg.MetricsListen)
		msgs = append(msgs, "metrics listening")
	}
	served := make(chan error, len(servers))
	for i, hs := range servers {
		ln, err := net.Listen("tcp", addrs[i])
		if err != nil {
			for _, s := range servers[:i] {
				_ = s.Close()
			}
			return usageErr("listen %s: %v", addrs[i], err)
		}
		go func() { served <- hs.Serve(ln) }()
		log.Info(msgs[i], "addr", ln.Addr().String())
	}
	var serveErr error
	select {
	case serveErr = <-served:
	case <-ctx.Done():
	}
	end, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, hs := range servers {
		if err := hs.Shutdown(end); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			log.Warn("shutting down", "err", err)
		}
	}
	if serveErr != nil {
		return usageErr("serving: %v", serveErr)
	}
	log.Info("stopped")
	return nil
}

func newHTTPServer(cfg *proxy.Config, h http.Handler, log *slog.Logger) *http.Server {
	l := cfg.Limits
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.RequestTimeout,
		WriteTimeout:      l.RequestTimeout + 5*time.Second,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
