package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/modelward/modelward/policy"
)

func newPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Show or check scan policies",
		Long: `A policy says which callables model files may import (allow), which are
dangerous (deny), which severity fails a scan (fail_on) and the limits every
parser obeys. The default policy is embedded; a policy file extends it.`,
	}
	var file string
	show := &cobra.Command{
		Use:   "show",
		Short: "Print the effective policy (the default, extended by --policy)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				file = os.Getenv("MODELWARD_POLICY")
			}
			p, err := loadPolicy(file)
			if err != nil {
				return usageErr("%v", err)
			}
			b, err := p.YAML()
			if err != nil {
				return usageErr("%v", err)
			}
			_, err = cmd.OutOrStdout().Write(b)
			return err
		},
	}
	show.Flags().StringVar(&file, "policy", "", "policy file (YAML) extending the embedded default")
	validate := &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a policy file and report the first problem",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := policy.Load(args[0]); err != nil {
				return usageErr("%v", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: valid\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(show, validate)
	return cmd
}
