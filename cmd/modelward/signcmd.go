package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/modelward/modelward/report"
	"github.com/modelward/modelward/sign"
	"github.com/modelward/modelward/sign/bundle"
	"github.com/modelward/modelward/sign/manifest"
)

// exitWrongKey: verify found a signature that does not verify with the key
// (or names another key). Only `verify` uses it.
const exitWrongKey = 3

// underscoreAliases accepts the reference CLI's spellings (--private_key,
// --ignore_paths, ...) as hidden aliases of the dashed flags.
func underscoreAliases(_ *pflag.FlagSet, name string) pflag.NormalizedName {
	return pflag.NormalizedName(strings.ReplaceAll(name, "_", "-"))
}

func newDigestCmd() *cobra.Command {
	var (
		shardSize int64
		format    string
	)
	cmd := &cobra.Command{
		Use:   "digest PATH",
		Short: "Print the OpenSSF model signing digests of a model folder or file",
		Long: `Hash a model folder or file the way the OpenSSF model signing format
(model_signing v1.x) does and print one "name  sha256hex" line per resource,
or with --format json the in-toto statement that 'sign key' would sign.
A single-file model has one resource named ".". --shard-size N hashes
N-byte shards ("path:start:end") instead of whole files. The default
ignored paths (.git, .gitattributes, .github, .gitignore) are skipped.`,
		Example: `  modelward digest ./my-model
  modelward digest --format json --shard-size 1000000000 ./my-model`,
		Args: exactlyOne("digest needs one PATH (see 'modelward digest --help')"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usageErr("--format must be text or json, not %q", format)
			}
			if shardSize < 0 {
				return usageErr("--shard-size must be positive")
			}
			opt := manifest.Options{Method: manifest.MethodFiles}
			if shardSize > 0 {
				opt.Method, opt.ShardSize = manifest.MethodShards, shardSize
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			m, err := manifest.Build(ctx, args[0], opt)
			if err != nil {
				return usageErr("%v", err)
			}
			out := cmd.OutOrStdout()
			if format == "json" {
				b, err := m.Statement()
				if err != nil {
					return usageErr("%v", err)
				}
				_, err = out.Write(append(b, '\n'))
				return err
			}
			for _, r := range m.Resources {
				fmt.Fprintf(out, "%s  %s\n", report.Terminal(r.Name), hex.EncodeToString(r.Digest))
			}
			return nil
		},
	}
	cmd.Flags().Int64Var(&shardSize, "shard-size", 0, `hash shards of this many bytes (method "shards"); 0 hashes whole files`)
	cmd.Flags().StringVarP(&format, "format", "f", "text", "output format: text or json (the in-toto statement)")
	cmd.Flags().SetNormalizeFunc(underscoreAliases)
	return cmd
}

func exactlyOne(msg string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != 1 {
			return usageErr("%s", msg)
		}
		return nil
	}
}

// defaultSignature is MODEL/model.sig for a folder and MODEL.sig beside a
// single-file model. (The reference writes model.sig in the current
// directory in both cases and requires --signature to verify.)
func defaultSignature(model string) string {
	if st, err := os.Stat(model); err == nil && st.IsDir() {
		return model + string(os.PathSeparator) + "model.sig"
	}
	return model + ".sig"
}

func newSignCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sign",
		Short: "Sign models (OpenSSF model signing format)",
		Long: `Sign a model folder or file with the OpenSSF model signing format, compatible
with the reference tool model_signing v1.x. Methods: "key" (an ECDSA P-256,
P-384 or P-521 private key in PEM) and "certificate" (the same with its
X.509 certificate chain).`,
	}
	var (
		keyFile, sigFile string
		ignore           []string
		shardSize        int64
	)
	key := &cobra.Command{
		Use:   "key MODEL --private-key KEY",
		Short: "Sign a model with an ECDSA private key",
		Long: `Hash MODEL (a folder or a single file) and sign the in-toto statement with
the PEM private key (PKCS#8 or SEC1). The Sigstore bundle is written to
--signature, by default MODEL/model.sig for a folder and MODEL.sig for a
single file. The signature file and the --ignore-paths (relative to MODEL)
are not hashed and are recorded in the statement so that verifiers skip
them too. The reference's spellings --private_key and --ignore_paths are
accepted.`,
		Example: `  modelward sign key ./my-model --private-key key.pem
  modelward sign key ./my-model --private-key key.pem --ignore-paths README.md`,
		Args: exactlyOne("sign key needs one MODEL (see 'modelward sign key --help')"),
		RunE: func(cmd *cobra.Command, args []string) error {
			model := args[0]
			if sigFile == "" {
				sigFile = defaultSignature(model)
			}
			pem, err := os.ReadFile(keyFile)
			if err != nil {
				return usageErr("reading the private key: %v", err)
			}
			opt := sign.KeyOptions{Signature: sigFile, IgnorePaths: ignore, ShardSize: shardSize}
			return signAndWrite(cmd, model, sigFile, func(ctx context.Context) ([]byte, error) {
				return sign.SignWithKey(ctx, model, pem, opt)
			})
		},
	}
	fl := key.Flags()
	fl.StringVar(&keyFile, "private-key", "", "PEM file holding the ECDSA private key (required)")
	signingFlags(fl, &sigFile, &ignore, &shardSize)
	_ = key.MarkFlagRequired("private-key")
	cmd.AddCommand(key, newSignCertificateCmd())
	return cmd
}

func newSignCertificateCmd() *cobra.Command {
	var (
		keyFile, certFile, sigFile string
		chain, ignore              []string
		shardSize                  int64
	)
	c := &cobra.Command{
		Use:   "certificate MODEL --private-key KEY --signing-certificate CERT [--certificate-chain CHAIN]...",
		Short: "Sign a model with an ECDSA private key and its X.509 certificate",
		Long: `Hash MODEL like 'sign key' and sign the statement with the PEM private key
whose certificate is --signing-certificate (PEM; it should list the
code-signing extended key usage). The certificates of --certificate-chain
(PEM files, repeatable; the intermediates, leaf side first) are written into
the bundle after the signing certificate, as model_signing v1.1 does, so a
verifier needs only the root. The reference's spellings --private_key,
--signing_certificate, --certificate_chain and --ignore_paths are accepted.`,
		Example: `  modelward sign certificate ./my-model --private-key key.pem --signing-certificate cert.pem --certificate-chain int-ca.pem`,
		Args:    exactlyOne("sign certificate needs one MODEL (see 'modelward sign certificate --help')"),
		RunE: func(cmd *cobra.Command, args []string) error {
			model := args[0]
			if sigFile == "" {
				sigFile = defaultSignature(model)
			}
			keyPEM, err := os.ReadFile(keyFile)
			if err != nil {
				return usageErr("reading the private key: %v", err)
			}
			leafPEM, err := os.ReadFile(certFile)
			if err != nil {
				return usageErr("reading the signing certificate: %v", err)
			}
			var chainPEM [][]byte
			for _, f := range chain {
				b, err := os.ReadFile(f)
				if err != nil {
					return usageErr("reading the certificate chain: %v", err)
				}
				chainPEM = append(chainPEM, b)
			}
			opt := sign.KeyOptions{Signature: sigFile, IgnorePaths: ignore, ShardSize: shardSize}
			return signAndWrite(cmd, model, sigFile, func(ctx context.Context) ([]byte, error) {
				return sign.SignWithCertificate(ctx, model, keyPEM, leafPEM, chainPEM, opt)
			})
		},
	}
	fl := c.Flags()
	fl.StringVar(&keyFile, "private-key", "", "PEM file holding the ECDSA private key (required)")
	fl.StringVar(&certFile, "signing-certificate", "", "PEM certificate of the private key (required)")
	fl.StringArrayVar(&chain, "certificate-chain", nil, "PEM file of intermediate certificates to include (repeatable)")
	signingFlags(fl, &sigFile, &ignore, &shardSize)
	_ = c.MarkFlagRequired("private-key")
	_ = c.MarkFlagRequired("signing-certificate")
	return c
}

func newVerifyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Verify model signatures (OpenSSF model signing format)",
		Long: `Verify a model against an OpenSSF model signing signature, as written by
'modelward sign' or the reference tool model_signing v1.x. Methods: "key"
(an ECDSA public key in PEM) and "certificate" (trusted root certificates).`,
	}
	var (
		keyFile, sigFile string
		ignore           []string
		ignoreUnsigned   bool
	)
	key := &cobra.Command{
		Use:   "key MODEL --public-key KEY",
		Short: "Verify a model's signature with an ECDSA public key",
		Long: `Check that the signature (--signature, by default MODEL/model.sig for a
folder and MODEL.sig for a single file) verifies with the PEM public key,
then hash MODEL with the signed method and ignore paths (plus the signature
file and --ignore-paths) and compare every file with what was signed.

Exit status: 0 verified; 1 the model does not match its signature (each
missing, changed or unsigned file is named on standard error); 3 the
signature does not verify with the key, or names another key; 2 a usage
error, a malformed or unsupported signature, or a file that could not be
read. The reference's spellings --public_key, --ignore_paths and
--ignore_unsigned_files are accepted.`,
		Example: `  modelward verify key ./my-model --public-key key.pub.pem
  modelward verify key ./my-model --public-key pub.pem --signature model.sig --ignore-paths ignore-me`,
		Args: exactlyOne("verify key needs one MODEL (see 'modelward verify key --help')"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerifyKey(cmd, args[0], keyFile, sigFile, sign.KeyOptions{IgnorePaths: ignore, IgnoreUnsignedFiles: ignoreUnsigned})
		},
	}
	fl := key.Flags()
	fl.StringVar(&keyFile, "public-key", "", "PEM file holding the ECDSA public key (required)")
	fl.StringVar(&sigFile, "signature", "", "signature to verify (default MODEL/model.sig, or MODEL.sig for a single file)")
	fl.StringArrayVar(&ignore, "ignore-paths", nil, "path relative to MODEL not to check (repeatable)")
	fl.BoolVar(&ignoreUnsigned, "ignore-unsigned-files", false, "accept files in MODEL that the signature does not list")
	fl.SetNormalizeFunc(underscoreAliases)
	_ = key.MarkFlagRequired("public-key")
	cmd.AddCommand(key, newVerifyCertificateCmd())
	return cmd
}

func newVerifyCertificateCmd() *cobra.Command {
	var (
		sigFile        string
		roots, ignore  []string
		ignoreUnsigned bool
	)
	c := &cobra.Command{
		Use:   "certificate MODEL --certificate-chain ROOTS",
		Short: "Verify a model's certificate signature against trusted root certificates",
		Long: `Check that the signing certificate in the signature (--signature, default
as for 'verify key') chains, through the intermediates in the bundle, to a
root certificate of --certificate-chain (PEM files, repeatable: the CA),
that every certificate allows code signing (the signing certificate must
list it explicitly) and is valid now, and that the signature verifies with
the certificate's ECDSA key; then compare MODEL as 'verify key' does.
Bundles carry no trusted timestamp, so an expired signing certificate is
rejected.

Exit status: 0 verified; 1 the model does not match its signature; 3 the
certificate is untrusted, expired or not yet valid, or the signature does
not verify with its key; 2 a usage error, a malformed or unsupported
signature, or a file that could not be read.`,
		Example: `  modelward verify certificate ./my-model --certificate-chain ca-cert.pem`,
		Args:    exactlyOne("verify certificate needs one MODEL (see 'modelward verify certificate --help')"),
		RunE: func(cmd *cobra.Command, args []string) error {
			model := args[0]
			if sigFile == "" {
				sigFile = defaultSignature(model)
			}
			var rootsPEM [][]byte
			for _, f := range roots {
				b, err := os.ReadFile(f)
				if err != nil {
					return usageErr("reading the root certificates: %v", err)
				}
				rootsPEM = append(rootsPEM, b)
			}
			bun, err := readLimited(sigFile, bundle.MaxBundleSize)
			if err != nil {
				return usageErr("reading the signature: %v", err)
			}
			opt := sign.KeyOptions{Signature: sigFile, IgnorePaths: ignore, IgnoreUnsignedFiles: ignoreUnsigned}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			res, err := sign.VerifyWithCertificate(ctx, model, bun, rootsPEM, sign.CertOptions{KeyOptions: opt})
			return reportVerify(cmd, model, sigFile, res, err, opt)
		},
	}
	fl := c.Flags()
	fl.StringArrayVar(&roots, "certificate-chain", nil, "PEM file of trusted root certificates (required, repeatable)")
	fl.StringVar(&sigFile, "signature", "", "signature to verify (default MODEL/model.sig, or MODEL.sig for a single file)")
	fl.StringArrayVar(&ignore, "ignore-paths", nil, "path relative to MODEL not to check (repeatable)")
	fl.BoolVar(&ignoreUnsigned, "ignore-unsigned-files", false, "accept files in MODEL that the signature does not list")
	fl.SetNormalizeFunc(underscoreAliases)
	_ = c.MarkFlagRequired("certificate-chain")
	return c
}

func runVerifyKey(cmd *cobra.Command, model, keyFile, sigFile string, opt sign.KeyOptions) error {
	if sigFile == "" {
		sigFile = defaultSignature(model)
	}
	opt.Signature = sigFile
	pem, err := os.ReadFile(keyFile)
	if err != nil {
		return usageErr("reading the public key: %v", err)
	}
	bun, err := readLimited(sigFile, bundle.MaxBundleSize)
	if err != nil {
		return usageErr("reading the signature: %v", err)
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
	defer stop()
	res, err := sign.VerifyWithKey(ctx, model, bun, pem, opt)
	return reportVerify(cmd, model, sigFile, res, err, opt)
}

// reportVerify prints the outcome of a verification and maps it to the
// exit status: 0 verified, 1 mismatch, 3 wrong key / untrusted / expired
// certificate, 2 anything else.
func reportVerify(cmd *cobra.Command, model, sigFile string, res *sign.Result, err error, opt sign.KeyOptions) error {
	stderr := cmd.ErrOrStderr()
	switch {
	case err == nil:
		for _, n := range res.Extra {
			fmt.Fprintf(stderr, "modelward: not signed (ignored): %s\n", report.Terminal(n))
		}
		fmt.Fprintf(cmd.OutOrStdout(), "verified %s\n", report.Terminal(model))
		return nil
	case errors.Is(err, sign.ErrMismatch):
		fmt.Fprintf(stderr, "modelward: %s does not match its signature\n", report.Terminal(model))
		list := func(what string, names []string) {
			for _, n := range names {
				fmt.Fprintf(stderr, "  %s: %s\n", what, report.Terminal(n))
			}
		}
		list("missing", res.Missing)
		list("changed", res.Changed)
		if !opt.IgnoreUnsignedFiles {
			list("not signed", res.Extra)
		}
		return &statusError{exitFindings, err}
	case errors.Is(err, bundle.ErrWrongKey), errors.Is(err, bundle.ErrUntrusted), errors.Is(err, bundle.ErrExpired):
		fmt.Fprintf(stderr, "modelward: %s: %s\n", report.Terminal(sigFile), report.Terminal(err.Error()))
		return &statusError{exitWrongKey, err}
	default:
		return usageErr("verifying %s: %v", model, err)
	}
}

// readLimited reads at most limit+1 bytes so an oversized file is reported
// (by the bundle parser) without being read whole.
func readLimited(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit+1))
}

// signingFlags are the flags every signing method shares.
func signingFlags(fl *pflag.FlagSet, sigFile *string, ignore *[]string, shardSize *int64) {
	fl.StringVar(sigFile, "signature", "", "where to write the signature (default MODEL/model.sig, or MODEL.sig for a single file)")
	fl.StringArrayVar(ignore, "ignore-paths", nil, "path relative to MODEL not to sign (repeatable)")
	fl.Int64Var(shardSize, "shard-size", 0, `hash shards of this many bytes (method "shards"); 0 hashes whole files`)
	fl.SetNormalizeFunc(underscoreAliases)
}

// signAndWrite runs one signing method, interruptible, and writes the
// bundle it returns to sigFile.
func signAndWrite(cmd *cobra.Command, model, sigFile string, signWith func(context.Context) ([]byte, error)) error {
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
	defer stop()
	b, err := signWith(ctx)
	if err != nil {
		return usageErr("signing %s: %v", model, err)
	}
	if err := os.WriteFile(sigFile, b, 0o644); err != nil {
		return usageErr("writing the signature: %v", err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "signed %s: signature written to %s\n", report.Terminal(model), report.Terminal(sigFile))
	return nil
}
