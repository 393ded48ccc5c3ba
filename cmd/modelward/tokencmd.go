package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/modelward/modelward/client"
	"github.com/modelward/modelward/policy"
	"github.com/modelward/modelward/registry"
	"github.com/modelward/modelward/registry/postgres"
	"github.com/modelward/modelward/registry/sqlite"
	"github.com/modelward/modelward/report"
	"github.com/modelward/modelward/sign/bundle"
)

// localFlags open the registry's store directly (--local), for the
// administrator of the machine the server runs on.
type localFlags struct {
	local    bool
	data     string
	postgres string
}

func (f *localFlags) add(c *cobra.Command) {
	c.Flags().BoolVar(&f.local, "local", false, "act on the local store directly instead of through a server")
	c.Flags().StringVar(&f.data, "data", envOr("MODELWARD_DATA", "modelward-data"), "with --local: the server's data folder (registry.db, blobs/, server.pub)")
	c.Flags().StringVar(&f.postgres, "postgres", os.Getenv("MODELWARD_POSTGRES"), "with --local: the PostgreSQL DSN the server uses instead of SQLite")
}

func (f *localFlags) open(ctx context.Context) (registry.Store, error) {
	if f.postgres != "" {
		return postgres.Open(ctx, f.postgres)
	}
	db := filepath.Join(f.data, "registry.db")
	if _, err := os.Stat(db); err != nil {
		return nil, fmt.Errorf("no registry at %s: give the server's --data folder", db)
	}
	return sqlite.Open(ctx, db)
}

// localActor is who acts with --local: the machine's user, recorded as such.
func localActor() registry.Actor {
	u := os.Getenv("USER")
	if u == "" {
		u = "unknown"
	}
	return registry.Actor{ID: "local:" + u, Role: registry.RoleAdmin}
}

func newTokenCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke registry API tokens",
		Long: `Manage the API tokens of a registry server (admin role). A token is shown
once, when it is created; the server keeps only its hash. Roles: viewer,
publisher, approver, admin. --model scopes a token to some models;
--bound-version ties it to one version, and retiring that version revokes
it. --local acts on the server's store directly (the first admin token).

Exit status: 0 done; 1 the registry refused; 3 no valid token, or the
token lacks the admin role; 2 a usage error or the server could not be
reached.`,
	}
	cmd.AddCommand(newTokenCreateCmd(), newTokenListCmd(), newTokenRevokeCmd())
	return cmd
}

func newTokenCreateCmd() *cobra.Command {
	var (
		rf     remoteFlags
		lf     localFlags
		req    client.TokenRequest
		ttl    time.Duration
		models []string
	)
	c := &cobra.Command{
		Use:   "create --name NAME --role ROLE [--model M]... [--ttl 720h]",
		Short: "Create a token and print it (once)",
		Example: `  modelward token create --local --data ./modelward-data --name first-admin --role admin
  modelward token create --name ci --role publisher --model team/classifier --ttl 2160h`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req.Models = models
			if ttl > 0 {
				req.TTL = ttl.String()
			}
			ctx, cancel := interruptible(cmd)
			defer cancel()
			var secret string
			var tok *registry.Token
			var err error
			if lf.local {
				secret, tok, err = createLocal(ctx, &lf, req, ttl)
				if err != nil {
					return usageErr("%v", err)
				}
			} else {
				cl, cerr := rf.client()
				if cerr != nil {
					return cerr
				}
				if secret, tok, err = cl.CreateToken(ctx, req); err != nil {
					return remoteErr(cmd, err)
				}
			}
			out := map[string]any{"token": secret, "info": tok}
			return show(cmd, rf.format, out, func(w io.Writer) {
				fmt.Fprintln(w, secret)
				fmt.Fprintf(cmd.ErrOrStderr(), "modelward: token %s (%s) created; it is shown only now\n", tok.ID, tok.Role)
			})
		},
	}
	rf.add(c.Flags())
	lf.add(c)
	c.Flags().StringVar(&req.Name, "name", "", "what the token is for (required)")
	c.Flags().StringVar(&req.Role, "role", "", "viewer, publisher, approver or admin (required)")
	c.Flags().StringArrayVar(&models, "model", nil, "scope the token to this model (repeatable; default all)")
	c.Flags().DurationVar(&ttl, "ttl", 0, "expire the token after this long (default never)")
	c.Flags().StringVar(&req.BoundVersion, "bound-version", "", "tie the token to MODEL@N: retiring it revokes the token")
	_ = c.MarkFlagRequired("name")
	_ = c.MarkFlagRequired("role")
	return c
}

func createLocal(ctx context.Context, lf *localFlags, req client.TokenRequest, ttl time.Duration) (string, *registry.Token, error) {
	st, err := lf.open(ctx)
	if err != nil {
		return "", nil, err
	}
	defer st.Close()
	svc := registry.NewService(st, nil, nil, policy.Default().Registry, nil)
	return svc.CreateToken(ctx, localActor(), req.Name, registry.Role(req.Role), req.Models, ttl, req.BoundVersion)
}

func newTokenListCmd() *cobra.Command {
	var rf remoteFlags
	c := &cobra.Command{
		Use:   "list",
		Short: "List tokens (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return remote(cmd, &rf, func(ctx context.Context, cl *client.Client) ([]*registry.Token, error) {
				return client.All(ctx, cl.Tokens)
			}, func(w io.Writer, all []*registry.Token) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tROLE\tMODELS\tSTATUS")
				for _, t := range all {
					status := "active"
					switch {
					case !t.RevokedAt.IsZero():
						status = "revoked"
					case !t.ExpiresAt.IsZero() && time.Now().After(t.ExpiresAt):
						status = "expired"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, report.Terminal(t.Name), t.Role, strings.Join(t.Models, ","), status)
				}
				tw.Flush()
			})
		},
	}
	rf.add(c.Flags())
	return c
}

func newTokenRevokeCmd() *cobra.Command {
	var (
		rf     remoteFlags
		reason string
	)
	c := &cobra.Command{
		Use:   "revoke ID [--reason TEXT]",
		Short: "Revoke a token",
		Args:  exactlyOne("token revoke needs one token ID (see 'modelward token list')"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := rf.client()
			if err != nil {
				return err
			}
			ctx, cancel := interruptible(cmd)
			defer cancel()
			if err := cl.RevokeToken(ctx, args[0], reason); err != nil {
				return remoteErr(cmd, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked %s\n", report.Terminal(args[0]))
			return nil
		},
	}
	rf.add(c.Flags())
	c.Flags().StringVar(&reason, "reason", "", "why, recorded in the audit log")
	return c
}

func newAuditCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Check the registry's audit log"}
	var (
		rf   remoteFlags
		lf   localFlags
		keys []string
	)
	verify := &cobra.Command{
		Use:   "verify [--local --data DIR] [--key server.pub]...",
		Short: "Verify the audit log's hash chain and signed checkpoints",
		Long: `Check that no audit entry was edited, deleted, inserted or reordered (the
hash chain) and that every checkpoint is signed by the server's key and
still matches the log. Through a server, the server checks; with --local
the store is read directly and checked here, with the server's public key
(--key, default DATA/server.pub).

Exit status: 0 intact; 1 the log is broken (the first broken entry is
named); 3 no valid token; 2 usage or connection errors.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := interruptible(cmd)
			defer cancel()
			r, err := auditReport(ctx, &rf, &lf, keys)
			var ce *registry.ChainError
			var p *client.Problem
			switch {
			case errors.As(err, &ce) || (errors.As(err, &p) && p.Slug() == "audit-broken"):
				fmt.Fprintf(cmd.ErrOrStderr(), "modelward: %s\n", report.Terminal(err.Error()))
				return &statusError{exitRefused, err}
			case errors.As(err, &p):
				return remoteErr(cmd, err)
			case err != nil:
				return usageErr("%v", err)
			}
			return show(cmd, rf.format, r, func(w io.Writer) {
				fmt.Fprintf(w, "audit log intact: %d entries, %d signed checkpoints, head %d %x\n", r.Entries, r.Checkpoints, r.HeadSeq, r.Head)
			})
		},
	}
	rf.add(verify.Flags())
	lf.add(verify)
	verify.Flags().StringArrayVar(&keys, "key", nil, "with --local: the server's public key (PEM; repeatable)")
	cmd.AddCommand(verify)
	return cmd
}

func auditReport(ctx context.Context, rf *remoteFlags, lf *localFlags, keyFiles []string) (*registry.AuditReport, error) {
	if !lf.local {
		cl, err := rf.client()
		if err != nil {
			return nil, err
		}
		return cl.VerifyAudit(ctx)
	}
	if len(keyFiles) == 0 {
		keyFiles = []string{filepath.Join(lf.data, "server.pub")}
	}
	var keys []*bundle.Verifier
	for _, f := range keyFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("the server's public key: %w", err)
		}
		vs, err := bundle.LoadVerifiersPEM(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		keys = append(keys, vs...)
	}
	st, err := lf.open(ctx)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return registry.VerifyAudit(ctx, st, keys)
}
