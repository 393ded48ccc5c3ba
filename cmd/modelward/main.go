// Command modelward protects machine-learning models: it scans model files
// for embedded code and unsafe constructs before anyone loads them.
//
// Exit status: 0 when no finding reaches the --fail-on severity, 1 when at
// least one does, 2 on a usage error or when a file could not be read.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/modelward/modelward/report"
)

// Exit codes are a contract that scripts rely on; see docs/exit-codes.md.
const (
	exitOK       = 0
	exitFindings = 1
	exitError    = 2
)

// exitError carries an exit status through cobra.
type statusError struct {
	code int
	err  error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

func main() {
	// The scanner builds a large, short-lived object graph per pickle;
	// collecting half as often cut a 20,000-tensor checkpoint's scan by a
	// third without raising peak memory (docs/benchmarks.md). GOGC, when
	// set, still wins.
	if _, ok := os.LookupEnv("GOGC"); !ok {
		debug.SetGCPercent(200)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var se *statusError
	if errors.As(err, &se) {
		if se.err != nil && se.code == exitError {
			fmt.Fprintln(stderr, "modelward:", report.Terminal(se.err.Error()))
		}
		return se.code
	}
	fmt.Fprintln(stderr, "modelward:", report.Terminal(err.Error()))
	return exitError
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "modelward",
		Short: "Security for machine-learning models: scan model files before you load them",
		Long: `modelward protects machine-learning models across their life.

  scan         inspect model files, archives and Hugging Face repositories for
               embedded code and unsafe constructs, without loading them
  sign, verify sign models and verify them (OpenSSF model signing; keys,
               certificates, Sigstore keyless, post-quantum ML-DSA-65)
  bom          describe a model as a CycloneDX 1.6 AI bill of materials
  serve        run the model registry: lifecycle gates, rollback, retirement,
               a signed audit log (client: model, token, audit)
  gateway      guard deployed models: authentication, rate limits, input
               validation, extraction detection, output hardening

Every command has --help and documents its exit status; for scan: 0 when
no finding reaches --fail-on, 1 when one does, 2 on a usage error or a
file that could not be read. docs/README.md is the guide.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newScanCmd(), newPolicyCmd(), newVersionCmd())
	root.AddCommand(newDigestCmd())
	root.AddCommand(newSignCmd())
	root.AddCommand(newVerifyCmd(), newKeygenCmd())
	root.AddCommand(newModelCmd(), newTokenCmd(), newAuditCmd())
	root.AddCommand(newBOMCmd())
	root.AddCommand(newServeCmd())
	root.AddCommand(newDemoModelCmd())
	root.AddCommand(newGatewayCmd())
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &statusError{exitError, fmt.Errorf("%w (see '%s --help')", err, c.CommandPath())}
	})
	return root
}
