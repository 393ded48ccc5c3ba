package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/modelward/modelward/client"
	"github.com/modelward/modelward/registry"
	"github.com/modelward/modelward/report"
	"github.com/modelward/modelward/sign"
)

// Exit statuses of the registry client commands (docs/cli.md): 1 the
// registry refused (a gate, an illegal step, tampering), 3 the token is
// missing, invalid or lacks the role, 2 usage and connection errors.
const (
	exitRefused = 1
	exitDenied  = 3
)

const defaultServer = "http://127.0.0.1:8470"

// remoteFlags are the flags every registry client command shares.
type remoteFlags struct {
	server, tokenFile, format string
}

func (f *remoteFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&f.server, "server", envOr("MODELWARD_SERVER", defaultServer), "registry server URL (env MODELWARD_SERVER)")
	fl.StringVar(&f.tokenFile, "token-file", "", "read the API token from this file (default: env MODELWARD_TOKEN)")
	fl.StringVarP(&f.format, "format", "f", "text", "output: text or json")
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// client builds the API client. The token comes from a file or the
// environment, never a flag: command lines are visible to other users.
func (f *remoteFlags) client() (*client.Client, error) {
	if f.format != "text" && f.format != "json" {
		return nil, usageErr("--format must be text or json, not %q", f.format)
	}
	tok := os.Getenv("MODELWARD_TOKEN")
	if f.tokenFile != "" {
		b, err := os.ReadFile(f.tokenFile)
		if err != nil {
			return nil, usageErr("reading the token: %v", err)
		}
		tok = strings.TrimSpace(string(b))
	}
	c, err := client.New(f.server, tok)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return c, nil
}

// remoteErr turns an API error into the documented exit status, printing
// the registry's explanation.
func remoteErr(cmd *cobra.Command, err error) error {
	var p *client.Problem
	if !errors.As(err, &p) {
		return usageErr("%v", err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "modelward: %s: %s\n", p.Slug(), report.Terminal(p.Error()))
	switch p.Status {
	case 401, 403:
		return &statusError{exitDenied, err}
	case 409:
		return &statusError{exitRefused, err}
	}
	return &statusError{exitError, err}
}

// parseRef reads MODEL@N; a missing @N is an error when need is true.
func parseRef(s string, need bool) (string, int64, error) {
	model, num, ok := strings.Cut(s, "@")
	if !ok {
		if need {
			return "", 0, usageErr("%q: name a version as MODEL@N (for example team/classifier@3)", s)
		}
		return model, 0, registry.ValidModelName(model)
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return "", 0, usageErr("%q: the version after @ must be a positive number", s)
	}
	if err := registry.ValidModelName(model); err != nil {
		return "", 0, usageErr("%v", err)
	}
	return model, n, nil
}

func interruptible(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(cmd.Context(), os.Interrupt)
}

// remote makes one registry call with a client and an interruptible
// context, maps a refusal to its exit status, and shows the answer by
// --format, with text for the text form.
func remote[T any](cmd *cobra.Command, rf *remoteFlags, call func(context.Context, *client.Client) (T, error), text func(io.Writer, T)) error {
	cl, err := rf.client()
	if err != nil {
		return err
	}
	ctx, cancel := interruptible(cmd)
	defer cancel()
	v, err := call(ctx, cl)
	if err != nil {
		return remoteErr(cmd, err)
	}
	return show(cmd, rf.format, v, func(w io.Writer) { text(w, v) })
}

// printJSON or a text rendering, by --format.
func show(cmd *cobra.Command, format string, v any, text func(io.Writer)) error {
	out := cmd.OutOrStdout()
	if format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	text(out)
	return nil
}

func printVersion(w io.Writer, v *registry.Version) {
	fmt.Fprintf(w, "%s@%d  %s\n", report.Terminal(v.Model), v.Number, v.State)
	fmt.Fprintf(w, "  digest     %s\n  files      %d\n  verdict    %s (%d findings)\n", v.Digest, len(v.Files), v.Verdict, v.Findings)
	if v.Signer != "" {
		fmt.Fprintf(w, "  signer     %s\n", report.Terminal(v.Signer))
	}
	fmt.Fprintf(w, "  publisher  %s\n", v.Publisher)
	if v.Approver != "" {
		fmt.Fprintf(w, "  approver   %s\n", v.Approver)
	}
	if v.Reason != "" {
		fmt.Fprintf(w, "  reason     %s\n", report.Terminal(v.Reason))
	}
}

func newModelCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "model",
		Short: "Push, list and promote model versions in a registry server",
		Long: `Talk to a registry ('modelward serve'): push model versions, list and show
them, and move them through the lifecycle (verified, evaluated, approved,
deployed, deprecated, quarantined, retired). The server applies the
policy's gates and records every step in its audit log.

The server is --server or MODELWARD_SERVER (default ` + defaultServer + `);
the API token comes from MODELWARD_TOKEN or --token-file, never a flag.

Exit status: 0 done; 1 the registry refused (a gate blocked the step, the
step is not a lifecycle step, or the version was found tampered and
quarantined); 3 no valid token, or the token lacks the role or scope;
2 a usage error or the server could not be reached.`,
	}
	cmd.AddCommand(newModelPushCmd(), newModelListCmd(), newModelShowCmd(), newModelRollbackCmd(),
		newModelEvaluateCmd(), newModelRetireCmd())
	for _, t := range []struct {
		use   string
		to    registry.State
		short string
	}{
		{"verify", registry.Verified, "Check a version again (scan and signature) and mark it verified"},
		{"approve", registry.Approved, "Approve an evaluated version (approver role; not its publisher)"},
		{"deploy", registry.Deployed, "Deploy an approved version after re-verifying its artifacts"},
		{"deprecate", registry.Deprecated, "Take a deployed version out of service"},
		{"quarantine", registry.Quarantined, "Quarantine a version: nothing may load it"},
		{"release", registry.Registered, "Release a quarantined version (admin); every gate runs again"},
	} {
		cmd.AddCommand(newModelTransitionCmd(t.use, t.to, t.short))
	}
	return cmd
}

func newModelTransitionCmd(use string, to registry.State, short string) *cobra.Command {
	var (
		rf     remoteFlags
		reason string
	)
	c := &cobra.Command{
		Use:     use + " MODEL@N [--reason TEXT]",
		Short:   short,
		Example: "  modelward model " + use + " team/classifier@3 --reason \"ticket 42\"",
		Args:    exactlyOne("model " + use + " needs one MODEL@N"),
		RunE: func(cmd *cobra.Command, args []string) error {
			model, n, err := parseRef(args[0], true)
			if err != nil {
				return err
			}
			return remote(cmd, &rf, func(ctx context.Context, cl *client.Client) (*registry.Version, error) {
				return cl.Transition(ctx, model, n, to, reason)
			}, printVersion)
		},
	}
	rf.add(c.Flags())
	c.Flags().StringVar(&reason, "reason", "", "why, recorded in the audit log")
	return c
}

func newModelPushCmd() *cobra.Command {
	var (
		rf       remoteFlags
		sigFile  string
		unsigned bool
	)
	c := &cobra.Command{
		Use:   "push MODEL PATH [--signature SIG]",
		Short: "Push a model folder or file as a new version",
		Long: `Upload PATH (a folder or one file) as a new version of MODEL, with its
signature (--signature, default PATH/model.sig or PATH.sig as 'modelward
sign' writes it). The upload is streamed. The server stores the files,
scans them, verifies the signature against its trusted signers and writes
the AI-BOM; the version becomes verified when the gate passes, and stays
registered with the reasons printed otherwise (exit 1). .git, .github,
.gitattributes and .gitignore are not pushed, as signatures skip them.`,
		Example: `  modelward sign key ./classifier --private-key release.key
  MODELWARD_TOKEN=$(cat publisher.token) modelward model push team/classifier ./classifier`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := registry.ValidModelName(args[0]); err != nil {
				return usageErr("%v", err)
			}
			if sigFile == "" && !unsigned {
				sigFile = sign.DefaultSignature(args[1])
				if _, err := os.Stat(sigFile); err != nil {
					return usageErr("no signature at %s: sign the model first ('modelward sign'), name it with --signature, or pass --unsigned", sigFile)
				}
			}
			cl, err := rf.client()
			if err != nil {
				return err
			}
			ctx, cancel := interruptible(cmd)
			defer cancel()
			res, err := cl.Push(ctx, args[0], args[1], sigFile, nil)
			if err != nil {
				return remoteErr(cmd, err)
			}
			if err := show(cmd, rf.format, res, func(w io.Writer) { printPush(w, res) }); err != nil {
				return err
			}
			if len(res.Check.Blocked) > 0 {
				return &statusError{exitRefused, errors.New("blocked")}
			}
			return nil
		},
	}
	rf.add(c.Flags())
	c.Flags().StringVar(&sigFile, "signature", "", "the model's signature (default PATH/model.sig, or PATH.sig for a file)")
	c.Flags().BoolVar(&unsigned, "unsigned", false, "push without a signature (the policy may block it)")
	return c
}

func printPush(w io.Writer, r *client.PushResult) {
	printVersion(w, r.Version)
	for _, b := range r.Check.Blocked {
		fmt.Fprintf(w, "  blocked    %s\n", report.Terminal(b))
	}
}

func newModelListCmd() *cobra.Command {
	var rf remoteFlags
	c := &cobra.Command{
		Use:   "list",
		Short: "List the models in the registry",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return remote(cmd, &rf, func(ctx context.Context, cl *client.Client) ([]registry.ModelSummary, error) {
				return client.All(ctx, cl.Models)
			}, func(w io.Writer, all []registry.ModelSummary) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "MODEL\tVERSIONS\tDEPLOYED\tUPDATED")
				for _, m := range all {
					dep := "-"
					if m.Deployed > 0 {
						dep = strconv.FormatInt(m.Deployed, 10)
					}
					fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", report.Terminal(m.Model), m.Versions, dep, m.UpdatedAt.Format("2006-01-02 15:04"))
				}
				tw.Flush()
			})
		},
	}
	rf.add(c.Flags())
	return c
}

func newModelShowCmd() *cobra.Command {
	var rf remoteFlags
	c := &cobra.Command{
		Use:     "show MODEL[@N]",
		Short:   "Show a version, or list a model's versions",
		Example: "  modelward model show team/classifier\n  modelward model show team/classifier@3 --format json",
		Args:    exactlyOne("model show needs one MODEL or MODEL@N"),
		RunE: func(cmd *cobra.Command, args []string) error {
			model, n, err := parseRef(args[0], false)
			if err != nil {
				return usageErr("%v", err)
			}
			cl, err := rf.client()
			if err != nil {
				return err
			}
			ctx, cancel := interruptible(cmd)
			defer cancel()
			if n > 0 {
				v, err := cl.Version(ctx, model, n)
				if err != nil {
					return remoteErr(cmd, err)
				}
				return show(cmd, rf.format, v, func(w io.Writer) { printVersion(w, v) })
			}
			all, err := client.All(ctx, func(ctx context.Context, after string, limit int) ([]*registry.Version, string, error) {
				return cl.Versions(ctx, model, after, limit)
			})
			if err != nil {
				return remoteErr(cmd, err)
			}
			return show(cmd, rf.format, all, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "VERSION\tSTATE\tVERDICT\tSIGNER\tCREATED")
				for _, v := range all {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", v.Number, v.State, v.Verdict, report.Terminal(v.Signer), v.CreatedAt.Format("2006-01-02 15:04"))
				}
				tw.Flush()
			})
		},
	}
	rf.add(c.Flags())
	return c
}

func newModelRollbackCmd() *cobra.Command {
	var (
		rf     remoteFlags
		reason string
	)
	c := &cobra.Command{
		Use:   "rollback MODEL [--reason TEXT]",
		Short: "Deploy the newest earlier approved version, re-verified and re-scanned",
		Args:  exactlyOne("model rollback needs one MODEL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return remote(cmd, &rf, func(ctx context.Context, cl *client.Client) (*registry.Version, error) {
				return cl.Rollback(ctx, args[0], reason)
			}, printVersion)
		},
	}
	rf.add(c.Flags())
	c.Flags().StringVar(&reason, "reason", "", "why, recorded in the audit log")
	return c
}

func newModelEvaluateCmd() *cobra.Command {
	var (
		rf      remoteFlags
		results map[string]string
		reason  string
	)
	c := &cobra.Command{
		Use:     "evaluate MODEL@N --result METRIC=VALUE...",
		Short:   "Record evaluation results and mark the version evaluated when they meet the policy",
		Example: "  modelward model evaluate team/classifier@3 --result accuracy=0.962 --result latency_ms=18",
		Args:    exactlyOne("model evaluate needs one MODEL@N"),
		RunE: func(cmd *cobra.Command, args []string) error {
			model, n, err := parseRef(args[0], true)
			if err != nil {
				return err
			}
			vals := map[string]float64{}
			for k, s := range results {
				if vals[k], err = strconv.ParseFloat(s, 64); err != nil {
					return usageErr("--result %s=%s: not a number", k, s)
				}
			}
			cl, err := rf.client()
			if err != nil {
				return err
			}
			ctx, cancel := interruptible(cmd)
			defer cancel()
			if _, err := cl.RecordEvaluation(ctx, model, n, vals); err != nil {
				return remoteErr(cmd, err)
			}
			v, err := cl.Transition(ctx, model, n, registry.Evaluated, reason)
			if err != nil {
				return remoteErr(cmd, err)
			}
			return show(cmd, rf.format, v, func(w io.Writer) { printVersion(w, v) })
		},
	}
	rf.add(c.Flags())
	c.Flags().StringToStringVar(&results, "result", nil, "an evaluation result METRIC=VALUE (repeatable)")
	c.Flags().StringVar(&reason, "reason", "", "why, recorded in the audit log")
	_ = c.MarkFlagRequired("result")
	return c
}

func newModelRetireCmd() *cobra.Command {
	var (
		rf  remoteFlags
		req client.RetireRequest
	)
	c := &cobra.Command{
		Use:   "retire MODEL@N [--shred] [--revoke-signer]",
		Short: "Retire a version: archived encrypted, never deployable again (admin)",
		Long: `Retire a version: its files are archived encrypted under a key of their
own, it can never be deployed again, and tokens bound to it are revoked.
--shred destroys the archive's key at once (crypto-shredding): the
archive, and every copy of it, becomes unreadable. --revoke-signer
revokes the identity that signed the version (a key or certificate made
for it alone): no version it signed passes the verification gate again.`,
		Args: exactlyOne("model retire needs one MODEL@N"),
		RunE: func(cmd *cobra.Command, args []string) error {
			model, n, err := parseRef(args[0], true)
			if err != nil {
				return err
			}
			return remote(cmd, &rf, func(ctx context.Context, cl *client.Client) (*registry.Version, error) {
				return cl.Retire(ctx, model, n, req)
			}, printVersion)
		},
	}
	rf.add(c.Flags())
	c.Flags().StringVar(&req.Reason, "reason", "", "why, recorded in the audit log")
	c.Flags().BoolVar(&req.Shred, "shred", false, "destroy the archive key now")
	c.Flags().BoolVar(&req.RevokeSigner, "revoke-signer", false, "revoke the identity that signed the version")
	return c
}
