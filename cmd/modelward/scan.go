package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/internal/progress"
	"github.com/modelward/modelward/internal/version"
	"github.com/modelward/modelward/policy"
	"github.com/modelward/modelward/report"
	"github.com/modelward/modelward/scan"
	"github.com/modelward/modelward/scan/source"
)

type scanFlags struct {
	format     string
	output     string
	failOn     string
	policyFile string
	workers    int
	verbose    bool
	noProgress bool
}

func newScanCmd() *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "scan PATH|hf://ORG/NAME[@REVISION]...",
		Short: "Scan model files, folders and Hugging Face repositories for embedded code",
		Long: `Scan model files and folders (recursively) for embedded code and unsafe
constructs. Formats are recognised by content where they have a magic
number, by name where they have none: pickle (protocols 0-5), PyTorch (zip,
legacy, tar, TorchScript), joblib, NumPy .npy/.npz, safetensors, GGUF, ONNX,
Keras (.h5 and .keras), TensorFlow SavedModel and TFLite, chat templates in
tokenizer_config.json, and zip, tar (plain, gzip, bzip2, xz, zstd) and 7z
archives.

A Hugging Face hub cache folder (~/.cache/huggingface/hub, or one
models--org--name folder in it) is scanned snapshot by snapshot and
reported once per repository and revision. hf://org/name[@revision] scans
a remote repository through the hub API (HF_ENDPOINT, HF_TOKEN), fetching
only what each format needs: safetensors and GGUF headers and zip
directories by range requests, whole files only for pickles.

Nothing is ever loaded or executed.

Settings come from flags, then MODELWARD_* environment variables
(MODELWARD_FORMAT, MODELWARD_FAIL_ON, MODELWARD_POLICY, MODELWARD_WORKERS),
then the policy file.

Exit status: 0 when no finding is at or above --fail-on, 1 when at least
one is, 2 on a usage error or when a file could not be read.`,
		Example: `  modelward scan model.pt
  modelward scan hf://openai-community/gpt2
  modelward scan ~/.cache/huggingface/hub
  modelward scan --format sarif --output results.sarif ./models
  modelward scan --fail-on high --policy modelward.yaml checkpoints/`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr("scan needs at least one PATH to scan (see 'modelward scan --help')")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScan(cmd, args, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.format, "format", "f", "text", "output format: text, json or sarif")
	fl.StringVarP(&f.output, "output", "o", "", "write the report to this file instead of standard output")
	fl.StringVar(&f.failOn, "fail-on", "", "exit 1 when a finding is at or above this severity: critical, high, medium, low or info (default from the policy: medium)")
	fl.StringVar(&f.policyFile, "policy", "", "policy file (YAML) extending the embedded default policy")
	fl.IntVarP(&f.workers, "workers", "j", 0, "files scanned in parallel (default: one per CPU)")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "list clean files and every stream inspected")
	fl.BoolVar(&f.noProgress, "no-progress", false, "never draw a progress bar")
	return cmd
}

// fromEnv fills settings the user did not give as flags from MODELWARD_*.
func (f *scanFlags) fromEnv(cmd *cobra.Command) error {
	env := func(flag, name string, set func(string) error) error {
		if cmd.Flags().Changed(flag) {
			return nil
		}
		if v, ok := os.LookupEnv(name); ok && v != "" {
			if err := set(v); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		return nil
	}
	for _, e := range []struct {
		flag, name string
		set        func(string) error
	}{
		{"format", "MODELWARD_FORMAT", func(v string) error { f.format = v; return nil }},
		{"fail-on", "MODELWARD_FAIL_ON", func(v string) error { f.failOn = v; return nil }},
		{"policy", "MODELWARD_POLICY", func(v string) error { f.policyFile = v; return nil }},
		{"workers", "MODELWARD_WORKERS", func(v string) error {
			n, err := strconv.Atoi(v)
			f.workers = n
			return err
		}},
	} {
		if err := env(e.flag, e.name, e.set); err != nil {
			return err
		}
	}
	return nil
}

func usageErr(format string, a ...any) error {
	return &statusError{exitError, fmt.Errorf(format, a...)}
}

func loadPolicy(file string) (*policy.Policy, error) {
	if file == "" {
		return policy.Default(), nil
	}
	return policy.Load(file)
}

func runScan(cmd *cobra.Command, args []string, f scanFlags) error {
	if err := f.fromEnv(cmd); err != nil {
		return usageErr("%v", err)
	}
	format, err := report.ParseFormat(f.format)
	if err != nil {
		return usageErr("%v", err)
	}
	pol, err := loadPolicy(f.policyFile)
	if err != nil {
		return usageErr("%v", err)
	}
	failOn := pol.FailOn
	if f.failOn != "" {
		if failOn, err = finding.ParseSeverity(f.failOn); err != nil {
			return usageErr("--fail-on: %v", err)
		}
	}
	if f.workers < 0 {
		return usageErr("--workers must be positive")
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
	defer stop()
	targets, err := source.Expand(ctx, args, source.Options{})
	if err != nil {
		return usageErr("%v", err)
	}
	rep := scanWithProgress(ctx, pol, f, targets)

	out, closeOut, err := openOutput(cmd.OutOrStdout(), f.output)
	if err != nil {
		return usageErr("%v", err)
	}
	opts := report.Options{ToolVersion: version.Get().Version, Verbose: f.verbose, Color: colorFor(out, f.output)}
	if err := report.Write(out, rep, format, opts); err != nil {
		closeOut()
		return usageErr("writing the report: %v", err)
	}
	if err := closeOut(); err != nil {
		return usageErr("writing %s: %v", f.output, err)
	}
	return exitFor(rep, failOn)
}

func scanWithProgress(ctx context.Context, pol *policy.Policy, f scanFlags, targets []scan.Target) *scan.Report {
	bar := progress.New(os.Stderr, !f.noProgress && term.IsTerminal(int(os.Stderr.Fd())), time.Second)
	s := scan.New(scan.Options{Policy: pol, Workers: f.workers, Progress: bar.Update})
	rep := s.ScanTargets(ctx, targets)
	bar.Done()
	return rep
}

func openOutput(stdout io.Writer, path string) (io.Writer, func() error, error) {
	if path == "" || path == "-" {
		return stdout, func() error { return nil }, nil
	}
	fh, err := os.Create(path)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot write the report: %w", err)
	}
	return fh, fh.Close, nil
}

func colorFor(w io.Writer, output string) bool {
	if output != "" && output != "-" {
		return false
	}
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		return false
	}
	fh, ok := w.(*os.File)
	return ok && term.IsTerminal(int(fh.Fd()))
}

// exitFor applies the exit-code contract: an unreadable file is an error
// (2) even when findings would fail the run, since the run is incomplete.
func exitFor(rep *scan.Report, failOn finding.Severity) error {
	for _, fr := range rep.Files {
		if fr.Verdict == scan.Failed {
			return &statusError{exitError, fmt.Errorf("%s: %s", fr.Path, fr.Error)}
		}
	}
	for _, fr := range rep.Files {
		for _, fd := range fr.Findings {
			if fd.Severity >= failOn {
				return &statusError{code: exitFindings}
			}
		}
	}
	return nil
}
