// Command evalextraction runs the extraction evaluation harness (package
// gateway/eval) and prints a Markdown table, or JSON with -json.
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
	flag.Uint64Var(&cfg.Seed, "seed", 1, "seed of the split, the attackers and the surrogates")
	flag.IntVar(&cfg.Queries, "queries", 1000, "queries per attacker and defence")
	flag.IntVar(&cfg.BenignClients, "benign", 50, "benign clients per defence")
	flag.IntVar(&cfg.BenignQueries, "benign-queries", 200, "queries per benign client")
	flag.Parse()
	rep, err := eval.Run(context.Background(), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "evalextraction:", err)
		os.Exit(1)
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = rep.Markdown(os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "evalextraction:", err)
		os.Exit(1)
	}
}
