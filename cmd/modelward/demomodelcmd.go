package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/modelward/modelward/gateway/digits"
	"github.com/modelward/modelward/gateway/oip"
	"github.com/modelward/modelward/internal/version"
)

func newDemoModelCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "demo-model",
		Short: "A real model to protect: the UCI digits classifier, served over the Open Inference Protocol",
		Long: `The demo model is a small classifier of handwritten digits (8x8 images of
pixel counts 0..16, UCI "Optical Recognition of Handwritten Digits", CC BY
4.0) trained in Go: 64 inputs, 32 hidden ReLU units, 10 softmax outputs,
about 98% accurate on held-out data. Its weights ship inside modelward as a
safetensors file. The gateway's tests, benchmarks and attack harness use it
as the victim.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newDemoModelServeCmd())
	return cmd
}

type demoServeFlags struct {
	listen, model, name string
	maxBatch            int
	maxBody             int64
}

func newDemoModelServeCmd() *cobra.Command {
	var f demoServeFlags
	cmd := &cobra.Command{
		Use:   "serve [--listen ADDR] [--model FILE]",
		Short: "Serve the digits model over the Open Inference Protocol v2 (KServe/Triton REST)",
		Long: `Serve the digits model over HTTP with the Open Inference Protocol v2, the
REST API of KServe, Triton and Seldon MLServer:

  GET  /v2                                 server metadata
  GET  /v2/health/live, /v2/health/ready   200 when serving
  GET  /v2/models/NAME                     model metadata
  GET  /v2/models/NAME/ready               200 when the model is loaded
  POST /v2/models/NAME/infer               inference

The model takes one input, "pixels": FP32 of shape [batch, 64], each row an
8x8 image of pixel values 0..16 read row by row, sent flat or nested. It
answers "probabilities" (FP32, [batch, 10]) and "label" (INT64, [batch]).
Its version is the first 12 hex digits of the SHA-256 of its weights file.
Errors are JSON {"error": "..."}: 400 for a bad request, 404 for an unknown
model, 413 for a body over --max-body.

By default the built-in model is served; --model serves another safetensors
file with the same tensors (F32 fc1.weight [32,64], fc1.bias [32],
fc2.weight [10,32], fc2.bias [10]), checked strictly before use.
There is no authentication: put 'modelward gateway' in front of it.
Logs are JSON on standard error. SIGINT or SIGTERM shuts down gracefully.

Exit status: 0 after a clean shutdown, 2 on a usage or start-up error.`,
		Example: `  modelward demo-model serve
  curl -s localhost:8500/v2/models/digits/infer -d '{"inputs":[{"name":"pixels",
    "shape":[1,64],"datatype":"FP32","data":[0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,
    0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,
    10,12,0,0,0,0,6,13,10,0,0,0]}]}'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemoServe(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", "127.0.0.1:8500", "address to listen on")
	fl.StringVar(&f.model, "model", "", "safetensors file of a digits model (default: the built-in one)")
	fl.StringVar(&f.name, "name", "digits", "the model's name in URLs")
	fl.IntVar(&f.maxBatch, "max-batch", oip.DefaultMaxBatch, "most images in one request")
	fl.Int64Var(&f.maxBody, "max-body", oip.DefaultMaxBodyBytes, "largest request body in bytes")
	return cmd
}

// maxModelFile bounds a --model file: a digits model is about 10 KiB.
const maxModelFile = 1 << 20

func loadDemoModel(path string) (*digits.Model, error) {
	if path == "" {
		return digits.Pretrained(), nil
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--model: %w", err)
	}
	defer fh.Close()
	m, err := digits.LoadModel(io.LimitReader(fh, maxModelFile))
	if err != nil {
		return nil, fmt.Errorf("--model %s: %w", path, err)
	}
	return m, nil
}

func runDemoServe(cmd *cobra.Command, f demoServeFlags) error {
	if f.maxBatch <= 0 || f.maxBody <= 0 {
		return usageErr("--max-batch and --max-body must be positive")
	}
	if f.name == "" {
		return usageErr("--name must not be empty")
	}
	m, err := loadDemoModel(f.model)
	if err != nil {
		return usageErr("%v", err)
	}
	log := slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), nil))
	p := digits.NewPredictor(m, f.name)
	srv, err := oip.New(map[string]oip.Predictor{f.name: p}, oip.Options{
		Version:      version.Get().Version,
		MaxBodyBytes: f.maxBody,
		MaxBatch:     f.maxBatch,
		Log:          log,
	})
	if err != nil {
		return usageErr("%v", err)
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return usageErr("--listen: %v", err)
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "model", f.name, "version", p.Metadata().Versions[0])
	select {
	case err := <-served:
		return usageErr("serving: %v", err)
	case <-ctx.Done():
	}
	end, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(end); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return usageErr("shutting down: %v", err)
	}
	log.Info("stopped")
	return nil
}
