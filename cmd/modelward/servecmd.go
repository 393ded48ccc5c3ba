package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/modelward/modelward/internal/version"
	"github.com/modelward/modelward/policy"
	"github.com/modelward/modelward/registry"
	"github.com/modelward/modelward/registry/blob"
	"github.com/modelward/modelward/registry/check"
	"github.com/modelward/modelward/registry/postgres"
	"github.com/modelward/modelward/registry/sqlite"
	"github.com/modelward/modelward/server"
	"github.com/modelward/modelward/sign/bundle"
)

type serveFlags struct {
	listen, data, postgres, policyFile, key string
	webhooks                                string
	every                                   time.Duration
	initAdmin                               bool
}

func newServeCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve [--listen ADDR] [--data DIR] [--postgres DSN]",
		Short: "Run the registry's control plane over HTTP (the API of docs/api.md)",
		Long: `Serve the model registry over HTTP/JSON: pushes, the lifecycle and its
gates, downloads of deployed (re-verified) files, tokens, the audit log and
its event stream. Every request but GET /healthz and GET /openapi.json
needs a bearer token.

State lives in --data: registry.db (SQLite) and blobs/ (the artifacts), or
with --postgres the metadata in PostgreSQL and the artifacts still in
--data. The audit log's head is signed every --checkpoint-every with the
server key (--key; by default DATA/server.key, an ECDSA P-256 key made on
first start, with server.pub beside it to verify checkpoints).

The first admin token: run once with --init-admin on an empty store; it
prints the token and exits. Keep it secret: it is shown only once.

Settings come from flags, then MODELWARD_* environment variables
(MODELWARD_LISTEN, MODELWARD_DATA, MODELWARD_POSTGRES, MODELWARD_POLICY,
MODELWARD_KEY, MODELWARD_CHECKPOINT_EVERY, MODELWARD_WEBHOOKS).

--webhooks names a YAML list of endpoints that receive every event (each
audit entry), signed as Standard Webhooks describes, in order, at least
once, with retries; each endpoint's position is kept in DATA/webhooks:
  - url: https://hooks.example.com/modelward
    secret_file: hook.secret        # whsec_<base64 of 24+ random bytes>
    actions: [version.transition]   # optional filters; "version.*" works
    models: [team/classifier] Logs are JSON on standard
error. SIGINT or SIGTERM shuts down gracefully.

Exit status: 0 after a clean shutdown, 2 on a usage or start-up error.`,
		Example: `  modelward serve --init-admin --data /var/lib/modelward
  modelward serve --data /var/lib/modelward --policy modelward.yaml
  MODELWARD_POSTGRES=postgres://registry@db/modelward modelward serve --listen :8470`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.fromEnv(cmd); err != nil {
				return usageErr("%v", err)
			}
			if f.initAdmin {
				return initAdmin(cmd, f)
			}
			return runServe(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", "127.0.0.1:8470", "address to listen on")
	fl.StringVar(&f.data, "data", "./modelward-data", "folder of the SQLite database, the blobs and the server key")
	fl.StringVar(&f.postgres, "postgres", "", "PostgreSQL connection string: keep the metadata there instead of SQLite")
	fl.StringVar(&f.policyFile, "policy", "", "policy file (YAML) extending the embedded default: the registry's gates")
	fl.StringVar(&f.key, "key", "", "checkpoint signing key (PEM; default DATA/server.key, made on first start)")
	fl.DurationVar(&f.every, "checkpoint-every", server.DefaultCheckpointEvery, "how often to sign the audit log's head")
	fl.StringVar(&f.webhooks, "webhooks", "", "YAML list of webhook endpoints (url, secret_file, actions, models) to send every event to")
	fl.BoolVar(&f.initAdmin, "init-admin", false, "create the first admin token on an empty store, print it and exit")
	return cmd
}

// fromEnv fills settings the user did not give as flags from MODELWARD_*.
func (f *serveFlags) fromEnv(cmd *cobra.Command) error {
	str := func(p *string) func(string) error { return func(v string) error { *p = v; return nil } }
	for _, e := range []struct {
		flag, name string
		set        func(string) error
	}{
		{"listen", "MODELWARD_LISTEN", str(&f.listen)},
		{"data", "MODELWARD_DATA", str(&f.data)},
		{"postgres", "MODELWARD_POSTGRES", str(&f.postgres)},
		{"policy", "MODELWARD_POLICY", str(&f.policyFile)},
		{"key", "MODELWARD_KEY", str(&f.key)},
		{"webhooks", "MODELWARD_WEBHOOKS", str(&f.webhooks)},
		{"checkpoint-every", "MODELWARD_CHECKPOINT_EVERY", func(v string) (err error) {
			f.every, err = time.ParseDuration(v)
			return err
		}},
	} {
		v, ok := os.LookupEnv(e.name)
		if cmd.Flags().Changed(e.flag) || !ok || v == "" {
			continue
		}
		if err := e.set(v); err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
	}
	if f.every <= 0 {
		return errors.New("--checkpoint-every must be positive")
	}
	return nil
}

// openStores opens the metadata store and the blob store.
func openStores(ctx context.Context, f serveFlags) (registry.Store, *blob.Store, error) {
	if err := os.MkdirAll(f.data, 0o700); err != nil {
		return nil, nil, fmt.Errorf("data folder: %w", err)
	}
	blobs, err := blob.Open(filepath.Join(f.data, "blobs"))
	if err != nil {
		return nil, nil, err
	}
	var st registry.Store
	if f.postgres != "" {
		st, err = postgres.Open(ctx, f.postgres)
	} else {
		st, err = sqlite.Open(ctx, filepath.Join(f.data, "registry.db"))
	}
	return st, blobs, err
}

// initAdmin creates the first admin token, only on a store with no tokens
// at all: afterwards admins make tokens through the API.
func initAdmin(cmd *cobra.Command, f serveFlags) error {
	ctx := cmd.Context()
	st, blobs, err := openStores(ctx, f)
	if err != nil {
		return usageErr("%v", err)
	}
	defer st.Close()
	ts, _, err := st.Tokens(ctx, registry.Page{Limit: 1})
	if err != nil {
		return usageErr("reading tokens: %v", err)
	}
	if len(ts) > 0 {
		return usageErr("the registry already has tokens; ask an admin for one (POST /v1/tokens)")
	}
	// Creating a token needs no checker or gates.
	svc := registry.NewService(st, blobs, nil, policy.Gates{}, nil)
	secret, _, err := svc.CreateToken(ctx, registry.Actor{ID: "local:init", Role: registry.RoleAdmin}, "initial admin", registry.RoleAdmin, nil, 0, "")
	if err != nil {
		return usageErr("creating the token: %v", err)
	}
	fmt.Fprintln(cmd.OutOrStdout(), secret)
	return nil
}

// runServe wires the registry and serves until SIGINT or SIGTERM.
func runServe(cmd *cobra.Command, f serveFlags) error {
	log := slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), nil))
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, svc, closeAll, err := buildServer(ctx, f, log)
	if err != nil {
		return usageErr("%v", err)
	}
	defer closeAll()
	hooks, err := newDispatcher(f, svc, log)
	if err != nil {
		return usageErr("%v", err)
	}
	if hooks != nil {
		go func() {
			if err := hooks.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("webhooks stopped", "err", err)
			}
		}()
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return usageErr("%v", err)
	}
	hs := srv.HTTPServer(f.listen)
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	ran := make(chan error, 1)
	go func() { ran <- srv.Run(ctx) }()
	log.Info("listening", "addr", ln.Addr().String(), "version", version.Get().Version)
	select {
	case err = <-served: // the listener failed
		stop()
	case <-ctx.Done():
	}
	// Run ends the event streams and signs a last checkpoint; then the
	// server drains the requests in flight.
	<-ran
	end, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if serr := hs.Shutdown(end); serr != nil {
		log.Warn("shutdown", "err", serr)
	}
	log.Info("stopped")
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return usageErr("serving: %v", err)
	}
	return nil
}

// buildServer opens the stores, the checker and the key.
func buildServer(ctx context.Context, f serveFlags, log *slog.Logger) (*server.Server, *registry.Service, func(), error) {
	pol, err := loadPolicy(f.policyFile)
	if err != nil {
		return nil, nil, nil, err
	}
	chk, err := check.New(pol, version.Get().Version)
	if err != nil {
		return nil, nil, nil, err
	}
	key, err := serverKey(f, log)
	if err != nil {
		return nil, nil, nil, err
	}
	st, blobs, err := openStores(ctx, f)
	if err != nil {
		return nil, nil, nil, err
	}
	svc := registry.NewService(st, blobs, chk, pol.Registry, nil)
	srv := server.New(svc, server.Options{Logger: log, CheckpointKey: key, CheckpointEvery: f.every})
	return srv, svc, func() { st.Close() }, nil
}

// serverKey loads the checkpoint key, or makes DATA/server.key (0600) and
// DATA/server.pub on first start.
func serverKey(f serveFlags, log *slog.Logger) (*bundle.Signer, error) {
	path := f.key
	if path == "" {
		path = filepath.Join(f.data, "server.key")
		if err := os.MkdirAll(f.data, 0o700); err != nil {
			return nil, fmt.Errorf("data folder: %w", err)
		}
		if err := makeServerKey(path); err == nil {
			log.Info("made the checkpoint key", "key", path, "public", strings.TrimSuffix(path, ".key")+".pub")
		} else if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint key: %w", err)
	}
	keys, err := bundle.LoadSignersPEM(b)
	if err != nil {
		return nil, fmt.Errorf("checkpoint key %s: %w", path, err)
	}
	if len(keys) != 1 {
		return nil, fmt.Errorf("checkpoint key %s: holds %d keys; use one ECDSA or ML-DSA-65 key", path, len(keys))
	}
	return keys[0], nil
}

// makeServerKey writes a new ECDSA P-256 key and its public half; it
// fails with fs.ErrExist when the key is there already.
func makeServerKey(path string) error {
	keys, err := bundle.GenerateKeys(bundle.AlgECDSAP256)
	if err != nil {
		return err
	}
	priv, err := keys[0].PrivatePEM()
	if err != nil {
		return err
	}
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := fh.Write(priv); err != nil {
		fh.Close()
		return err
	}
	if err := fh.Close(); err != nil {
		return err
	}
	return os.WriteFile(strings.TrimSuffix(path, ".key")+".pub", keys[0].Public().PEM(), 0o644)
}
