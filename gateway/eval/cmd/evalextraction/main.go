// Command evalextraction runs the extraction evaluation harness (package
// gateway/eval) and prints Markdown tables, or JSON with -json. With
// -seeds N it runs seeds 1..N (from -seed) and prints their summary first.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/modelward/modelward/gateway/eval"
)

func main() {
	var cfg eval.Config
	asJSON := flag.Bool("json", false, "print the report as JSON")
	seeds := flag.Int("seeds", 1, "how many seeds to run, from -seed on (1..20)")
	flag.Uint64Var(&cfg.Seed, "seed", 1, "first seed of the split, the attackers, the surrogates and the Blacklight salt")
	flag.IntVar(&cfg.Queries, "queries", 1000, "queries per attacker and defence")
	flag.IntVar(&cfg.BenignClients, "benign", 50, "benign clients per defence")
	flag.IntVar(&cfg.BenignQueries, "benign-queries", 200, "queries per benign client")
	flag.Parse()
	if *seeds < 1 || *seeds > 20 {
		fail(fmt.Errorf("-seeds %d outside 1..20", *seeds))
	}
	var reps []*eval.Report
	for i := range *seeds {
		c := cfg
		c.Seed += uint64(i)
		fmt.Fprintf(os.Stderr, "evalextraction: seed %d (%d of %d)\n", c.Seed, i+1, *seeds)
		rep, err := eval.Run(context.Background(), c)
		if err != nil {
			fail(err)
		}
		reps = append(reps, rep)
	}
	if err := write(reps, *asJSON); err != nil {
		fail(err)
	}
}

func write(reps []*eval.Report, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if len(reps) == 1 {
			return enc.Encode(reps[0])
		}
		return enc.Encode(eval.Summarise(reps))
	}
	if len(reps) > 1 {
		if err := eval.Summarise(reps).Markdown(os.Stdout); err != nil {
			return err
		}
		fmt.Println()
	}
	for _, r := range reps {
		if err := r.Markdown(os.Stdout); err != nil {
			return err
		}
		fmt.Println()
	}
	return nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "evalextraction:", err)
	os.Exit(1)
}
