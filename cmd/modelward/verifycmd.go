package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/modelward/modelward/report"
	"github.com/modelward/modelward/sign"
	"github.com/modelward/modelward/sign/sigstore"
)

// Exit statuses of `verify`, one per failure (docs/cli.md): 1
// (exitFindings) means the model differs from what was signed and 2
// (exitError) a usage error or a model that could not be read.
const (
	exitWrongKey    = 3 // no trusted key made the signature, or it was altered
	exitUntrusted   = 4 // the certificate does not chain to a trusted root
	exitExpired     = 5 // a certificate is not valid at the verification time
	exitIdentity    = 6 // a trusted signature by a signer the policy does not accept
	exitBadBundle   = 7 // the signature file is malformed or unsupported
	exitNoSignature = 8 // there is no signature file
)

var exitForFailure = map[sign.Failure]int{
	sign.FailMismatch:    exitFindings,
	sign.FailWrongKey:    exitWrongKey,
	sign.FailUntrusted:   exitUntrusted,
	sign.FailExpired:     exitExpired,
	sign.FailIdentity:    exitIdentity,
	sign.FailMalformed:   exitBadBundle,
	sign.FailUnsupported: exitBadBundle,
	sign.FailMissing:     exitNoSignature,
}

const verifyExitStatus = `Exit status: 0 verified; 1 the model does not match its signature (each
missing, changed or unsigned file is named on standard error); 3 the
signature does not verify with the trusted key(s); 4 the certificate does
not chain to a trusted root; 5 a certificate is expired or not yet valid;
6 the signer is not an accepted identity; 7 the signature file is
malformed or unsupported; 8 there is no signature file; 2 a usage error
or a model that could not be read.`

// verifyFlags are the flags every verification method shares.
type verifyFlags struct {
	sigFile        string
	ignore         []string
	ignoreUnsigned bool
	format         string
}

func (f *verifyFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&f.sigFile, "signature", "", "signature to verify (default MODEL/model.sig, or MODEL.sig for a single file)")
	fl.StringArrayVar(&f.ignore, "ignore-paths", nil, "path relative to MODEL not to check (repeatable)")
	fl.BoolVar(&f.ignoreUnsigned, "ignore-unsigned-files", false, "accept files in MODEL that the signature does not list")
	fl.StringVarP(&f.format, "format", "f", "text", "output: text, or json (the structured verification result)")
	fl.SetNormalizeFunc(underscoreAliases)
}

// run verifies model under p (completed with the shared flags) and reports.
func (f *verifyFlags) run(cmd *cobra.Command, model string, p sign.Policy) error {
	if f.format != "text" && f.format != "json" {
		return usageErr("--format must be text or json, not %q", f.format)
	}
	p.IgnorePaths, p.IgnoreUnsignedFiles = f.ignore, f.ignoreUnsigned
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
	defer stop()
	v, err := sign.VerifyModel(ctx, model, f.sigFile, p)
	if f.format == "json" {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		if e := enc.Encode(v); e != nil {
			return e
		}
	}
	return reportVerification(cmd, v, err, f.format == "text", f.ignoreUnsigned)
}

// readAll reads each named file, saying which kind of file failed.
func readAll(what string, names []string) ([][]byte, error) {
	var out [][]byte
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, usageErr("reading the %s: %v", what, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// trustFlags name every kind of trusted signer at once, for commands that
// accept a signature of any kind ('bom').
type trustFlags struct {
	keys, roots      []string
	identity, issuer string
	trustConfig      string
}

func (f *trustFlags) add(fl *pflag.FlagSet) {
	fl.StringArrayVar(&f.keys, "public-key", nil, "trust signatures by the key(s) of this PEM file (repeatable)")
	fl.StringArrayVar(&f.roots, "certificate-chain", nil, "trust certificate signatures chaining to these PEM roots (repeatable)")
	fl.StringVar(&f.identity, "identity", "", "accept only this signer: certificate subject, or Sigstore keyless identity")
	fl.StringVar(&f.issuer, "identity-provider", "", "OIDC issuer of a Sigstore keyless signer (with --identity)")
	fl.StringVar(&f.trustConfig, "trust-config", "", "Sigstore trusted root JSON (default: the built-in public-good root)")
}

// policy builds the policy; trusted is false when no signer was named.
func (f *trustFlags) policy() (p sign.Policy, trusted bool, err error) {
	if p.Keys, err = readAll("public key", f.keys); err != nil {
		return p, false, err
	}
	if p.Roots, err = readAll("root certificates", f.roots); err != nil {
		return p, false, err
	}
	if f.identity != "" && len(p.Roots) > 0 {
		p.CertSubjects = []string{f.identity}
	}
	if f.issuer != "" {
		if f.identity == "" {
			return p, false, usageErr("--identity-provider needs --identity (the signer)")
		}
		if p.SigstoreRoot, err = loadTrustedRoot(f.trustConfig); err != nil {
			return p, false, err
		}
		p.SigstoreIdentities = []sigstore.Identity{{Subject: f.identity, Issuer: f.issuer}}
	}
	return p, len(p.Keys)+len(p.Roots)+len(p.SigstoreIdentities) > 0, nil
}

// loadTrustedRoot reads a Sigstore trusted root, or the built-in one.
func loadTrustedRoot(name string) (*sigstore.TrustedRoot, error) {
	if name == "" {
		r, err := sigstore.DefaultTrustedRoot()
		if err != nil {
			return nil, usageErr("trusted root: %v", err)
		}
		return r, nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, usageErr("reading the trust config: %v", err)
	}
	r, err := sigstore.LoadTrustedRoot(b)
	if err != nil {
		return nil, usageErr("trusted root %s: %v", name, err)
	}
	return r, nil
}

func newVerifyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Verify model signatures (OpenSSF model signing format)",
		Long: `Verify a model against an OpenSSF model signing signature, as written by
'modelward sign' or the reference tool model_signing v1.x. Methods: "key"
(public keys in PEM), "certificate" (trusted root certificates) and
"sigstore" (keyless signatures, checked offline against a trusted root).`,
	}
	cmd.AddCommand(newVerifyKeyCmd(), newVerifyCertificateCmd(), newVerifySigstoreCmd())
	return cmd
}

func newVerifyKeyCmd() *cobra.Command {
	var (
		keys []string
		vf   verifyFlags
	)
	c := &cobra.Command{
		Use:   "key MODEL --public-key KEY",
		Short: "Verify a model's signature with a public key",
		Long: `Check that the signature (--signature, by default MODEL/model.sig for a
folder and MODEL.sig for a single file) verifies with the PEM public key,
then hash MODEL with the signed method, hash and ignore paths (plus the
signature file and --ignore-paths) and compare every file with what was
signed. A key file may hold an ECDSA key, an ML-DSA-65 key, or the two
keys of a hybrid pair, whose signatures must both verify. --public-key may
be repeated to trust several signers.

` + verifyExitStatus + `

The reference's spellings --public_key, --ignore_paths and
--ignore_unsigned_files are accepted.`,
		Example: `  modelward verify key ./my-model --public-key key.pub.pem
  modelward verify key ./my-model --public-key pub.pem --signature model.sig --ignore-paths ignore-me`,
		Args: exactlyOne("verify key needs one MODEL (see 'modelward verify key --help')"),
		RunE: func(cmd *cobra.Command, args []string) error {
			pems, err := readAll("public key", keys)
			if err != nil {
				return err
			}
			return vf.run(cmd, args[0], sign.Policy{Keys: pems})
		},
	}
	fl := c.Flags()
	fl.StringArrayVar(&keys, "public-key", nil, "PEM file holding the public key(s) of a trusted signer (required, repeatable)")
	vf.add(fl)
	_ = c.MarkFlagRequired("public-key")
	return c
}

func newVerifyCertificateCmd() *cobra.Command {
	var (
		roots, subjects []string
		vf              verifyFlags
	)
	c := &cobra.Command{
		Use:   "certificate MODEL --certificate-chain ROOTS",
		Short: "Verify a model's certificate signature against trusted root certificates",
		Long: `Check that the signing certificate in the signature (--signature, default
as for 'verify key') chains, through the intermediates in the bundle, to a
root certificate of --certificate-chain (PEM files, repeatable: the CA),
that every certificate allows code signing (the signing certificate must
list it explicitly) and is valid now, that it names one of --identity when
given (an email, URI or DNS subject alternative name; the common name only
for a certificate without any), and that
the signature verifies with the certificate's key; then compare MODEL as
'verify key' does. Bundles carry no trusted timestamp, so an expired
signing certificate is rejected.

` + verifyExitStatus,
		Example: `  modelward verify certificate ./my-model --certificate-chain ca-cert.pem
  modelward verify certificate ./my-model --certificate-chain ca.pem --identity release@example.com`,
		Args: exactlyOne("verify certificate needs one MODEL (see 'modelward verify certificate --help')"),
		RunE: func(cmd *cobra.Command, args []string) error {
			pems, err := readAll("root certificates", roots)
			if err != nil {
				return err
			}
			return vf.run(cmd, args[0], sign.Policy{Roots: pems, CertSubjects: subjects})
		},
	}
	fl := c.Flags()
	fl.StringArrayVar(&roots, "certificate-chain", nil, "PEM file of trusted root certificates (required, repeatable)")
	fl.StringArrayVar(&subjects, "identity", nil, "accept only signing certificates naming this subject (repeatable)")
	vf.add(fl)
	_ = c.MarkFlagRequired("certificate-chain")
	return c
}

func newVerifySigstoreCmd() *cobra.Command {
	var (
		identity, issuer, trust string
		vf                      verifyFlags
	)
	c := &cobra.Command{
		Use:   "sigstore MODEL --identity SIGNER --identity-provider ISSUER",
		Short: "Verify a Sigstore keyless signature offline",
		Long: `Check a Sigstore keyless signature without network access: the Fulcio
certificate must chain to a certificate authority of the trusted root at
the time the Rekor transparency log (or a timestamp authority) vouches
for, the log entry and its signed timestamp must verify with the root's
keys, the certificate must name --identity (the signer's email or URI) and
--identity-provider (the OIDC issuer), and the signature must verify;
then MODEL is compared as 'verify key' does.

--trust-config names a Sigstore trusted root JSON file; without it the
public-good root built into modelward is used (a snapshot: refresh it
with 'cosign trusted-root create' or from the sigstore TUF repository
when the Sigstore keys rotate).

` + verifyExitStatus + `

The reference's spellings --identity_provider and --trust_config are
accepted.`,
		Example: `  modelward verify sigstore ./my-model --identity alice@example.com --identity-provider https://accounts.google.com
  modelward verify sigstore ./my-model --identity alice@example.com --identity-provider https://github.com/login/oauth --trust-config trusted_root.json`,
		Args: exactlyOne("verify sigstore needs one MODEL (see 'modelward verify sigstore --help')"),
		RunE: func(cmd *cobra.Command, args []string) error {
			root, err := loadTrustedRoot(trust)
			if err != nil {
				return err
			}
			id := sigstore.Identity{Subject: identity, Issuer: issuer}
			return vf.run(cmd, args[0], sign.Policy{SigstoreRoot: root, SigstoreIdentities: []sigstore.Identity{id}})
		},
	}
	fl := c.Flags()
	fl.StringVar(&identity, "identity", "", "the signer: the certificate's email or URI subject (required)")
	fl.StringVar(&issuer, "identity-provider", "", "the OIDC issuer that vouched for the signer (required)")
	fl.StringVar(&trust, "trust-config", "", "Sigstore trusted root JSON (default: the built-in public-good root)")
	vf.add(fl)
	_ = c.MarkFlagRequired("identity")
	_ = c.MarkFlagRequired("identity-provider")
	return c
}

// reportVerification prints the outcome (on standard output only for the
// text format; problems always go to standard error) and maps it to the
// documented exit status.
func reportVerification(cmd *cobra.Command, v *sign.Verification, err error, text, ignoreUnsigned bool) error {
	stderr := cmd.ErrOrStderr()
	if err == nil {
		if text {
			for _, n := range v.Extra {
				fmt.Fprintf(stderr, "modelward: not signed (ignored): %s\n", report.Terminal(n))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "verified %s (%s, signed by %s)\n", report.Terminal(v.Model), v.Method, report.Terminal(v.Signer))
		}
		return nil
	}
	if v.Failure == sign.FailMismatch {
		fmt.Fprintf(stderr, "modelward: %s does not match its signature\n", report.Terminal(v.Model))
		list := func(what string, names []string) {
			for _, n := range names {
				fmt.Fprintf(stderr, "  %s: %s\n", what, report.Terminal(n))
			}
		}
		list("missing", v.Missing)
		list("changed", v.Changed)
		if !ignoreUnsigned {
			list("not signed", v.Extra)
		}
		return &statusError{exitFindings, err}
	}
	if code, ok := exitForFailure[v.Failure]; ok {
		fmt.Fprintf(stderr, "modelward: %s: %s\n", report.Terminal(v.Signature), report.Terminal(err.Error()))
		return &statusError{code, err}
	}
	return usageErr("verifying %s: %v", v.Model, err)
}
