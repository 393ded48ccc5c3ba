package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/modelward/modelward/gateway/proxy"
)

type calibrateFlags struct {
	config, model, benign string
	clients, queries      int
	pace                  time.Duration
	seed                  uint64
	json                  bool
}

func newGatewayCalibrateCmd() *cobra.Command {
	var f calibrateFlags
	cmd := &cobra.Command{
		Use:   "calibrate --config FILE --model NAME --benign ROWS.csv",
		Short: "Replay benign inputs through a model's detectors and suggest thresholds",
		Long: `Replay benign inputs through a model's extraction detectors, offline, and
report how close benign clients came to each alarm, with thresholds that
clear them. PRADA's delta in particular depends on the model and its data:
set it below the lowest W your benign traffic reaches.

ROWS.csv holds one input per line, the model's features as numbers (a
first line that is not numbers is a header). Simulated clients each send
--queries rows in their own random order, one every --pace; the labels
PRADA needs come from the model itself, through the upstream named in the
configuration, which must be reachable. Nothing is served and the
gateway's own state is untouched.

Exit status: 0 when no simulated benign client was flagged, 1 when some
were (the thresholds need the suggested change), 2 on a usage error.`,
		Example: `  modelward gateway calibrate --config gateway.yaml --model digits --benign held-out.csv`,
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return runCalibrate(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.config, "config", "", "gateway configuration file (YAML)")
	fl.StringVar(&f.model, "model", "", "the model to calibrate, as named in the configuration")
	fl.StringVar(&f.benign, "benign", "", "CSV file of benign inputs, one per line")
	fl.IntVar(&f.clients, "clients", 50, "simulated benign clients")
	fl.IntVar(&f.queries, "queries", 0, "queries per client (default min(500, 2 × rows))")
	fl.DurationVar(&f.pace, "pace", time.Second, "time between one client's queries")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the clients' orders")
	fl.BoolVar(&f.json, "json", false, "print the report as JSON")
	return cmd
}

func runCalibrate(cmd *cobra.Command, f calibrateFlags) error {
	if f.config == "" || f.model == "" || f.benign == "" {
		return usageErr("--config, --model and --benign are required")
	}
	cfg, err := proxy.LoadConfig(f.config)
	if err != nil {
		return usageErr("%v", err)
	}
	mc := findModel(cfg, f.model)
	if mc == nil {
		return usageErr("model %q is not in %s", f.model, f.config)
	}
	file, err := os.Open(f.benign)
	if err != nil {
		return usageErr("%v", err)
	}
	rows, err := proxy.ReadRows(file, mc.Input.Features, proxy.MaxCalibrationRows)
	file.Close()
	if err != nil {
		return usageErr("%s: %v", f.benign, err)
	}
	// Calibration only asks the model for labels: no callers to
	// authenticate, no registry to follow.
	cfg.Auth = proxy.AuthConfig{None: true}
	cfg.Telemetry = nil // and no prediction records
	gw, err := proxy.New(cfg, proxy.Options{})
	if err != nil {
		return usageErr("%v", err)
	}
	defer gw.Close()
	cal, err := gw.Calibrate(cmd.Context(), f.model, rows, proxy.CalibrateOptions{Clients: f.clients, Queries: f.queries, Pace: f.pace, Seed: f.seed})
	if err != nil {
		return usageErr("%v", err)
	}
	if f.json {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		err = enc.Encode(cal)
	} else {
		err = printCalibration(cmd.OutOrStdout(), cal)
	}
	if err != nil {
		return err
	}
	if flagged(cal) {
		return &statusError{code: exitFindings}
	}
	return nil
}

func findModel(cfg *proxy.Config, name string) *proxy.ModelConfig {
	for i := range cfg.Models {
		if cfg.Models[i].Name == name {
			return &cfg.Models[i]
		}
	}
	return nil
}

func flagged(c *proxy.Calibration) bool {
	return (c.PRADA != nil && c.PRADA.Flagged > 0) || (c.Blacklight != nil && c.Blacklight.Flagged > 0) ||
		(c.Signals != nil && c.Signals.Flagged > 0)
}

func printCalibration(w io.Writer, c *proxy.Calibration) error {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("Calibration of %q: %d benign rows, %d clients × %d queries\n\n", c.Model, c.Rows, c.Clients, c.QueriesEach)
	p("%-28s %10s %14s %9s %10s\n", "detector / setting", "in force", "benign worst", "flagged", "suggested")
	if x := c.PRADA; x != nil {
		p("%-28s %10.2f %14.4f %9d %10.2f\n", "prada threshold (delta)", x.Threshold, x.LowestW, x.Flagged, x.Suggested)
	}
	if x := c.Blacklight; x != nil {
		p("%-28s %10d %14d %9d %10d\n", "blacklight alarm_count", x.AlarmCount, x.HighestRecent, x.Flagged, x.Suggested)
	}
	if x := c.Signals; x != nil {
		for i, name := range slices.Sorted(maps.Keys(x.Scores)) {
			s := x.Scores[name]
			n := ""
			if i == 0 {
				n = fmt.Sprint(x.Flagged)
			}
			if s.Note != "" {
				p("%-28s %10.3f %14.3f %9s %10s  %s\n", "signals "+name, s.Limit, s.Highest, n, "-", s.Note)
				continue
			}
			p("%-28s %10.3f %14.3f %9s %10.3f\n", "signals "+name, s.Limit, s.Highest, n, s.Suggested)
		}
	}
	_, err := fmt.Fprintln(w, "\nPRADA's worst is the lowest W; the others the highest score. A suggestion clears the worst with a margin.")
	return err
}
