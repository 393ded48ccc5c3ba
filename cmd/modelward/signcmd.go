package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/modelward/modelward/report"
	"github.com/modelward/modelward/sign"
	"github.com/modelward/modelward/sign/manifest"
)

// underscoreAliases accepts the reference CLI's spellings (--private_key,
// --ignore_paths, ...) as hidden aliases of the dashed flags.
func underscoreAliases(_ *pflag.FlagSet, name string) pflag.NormalizedName {
	return pflag.NormalizedName(strings.ReplaceAll(name, "_", "-"))
}

func newDigestCmd() *cobra.Command {
	var (
		shardSize int64
		format    string
		hashType  string
	)
	cmd := &cobra.Command{
		Use:   "digest PATH",
		Short: "Print the OpenSSF model signing digests of a model folder or file",
		Long: `Hash a model folder or file the way the OpenSSF model signing format
(model_signing v1.x) does and print one "name  hexdigest" line per resource,
or with --format json the in-toto statement that 'sign key' would sign.
--hash-algorithm picks sha256 (the default), blake2b or blake3.
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
			opt := manifest.Options{Method: manifest.MethodFiles, HashType: hashType}
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
	cmd.Flags().StringVar(&hashType, "hash-algorithm", "sha256", "hash: sha256, blake2b or blake3")
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

// defaultSignature is where a model's signature lives unless --signature
// says otherwise.
func defaultSignature(model string) string { return sign.DefaultSignature(model) }

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
		keyFile string
		sf      signingFlags
	)
	key := &cobra.Command{
		Use:   "key MODEL --private-key KEY",
		Short: "Sign a model with a private key (ECDSA, ML-DSA-65 or hybrid)",
		Long: `Hash MODEL (a folder or a single file) and sign the in-toto statement with
the PEM private key: ECDSA P-256, P-384 or P-521 (PKCS#8 or SEC1), as the
reference does, or, as modelward extensions other verifiers do not read,
ML-DSA-65 (FIPS 204, PKCS#8) or a hybrid key file holding an ECDSA P-256
and an ML-DSA-65 key, which signs with both (see 'modelward keygen').
The Sigstore bundle is written to
--signature, by default MODEL/model.sig for a folder and MODEL.sig for a
single file. The signature file and the --ignore-paths (relative to MODEL)
are not hashed and are recorded in the statement so that verifiers skip
them too. The reference's spellings --private_key and --ignore_paths are
accepted.`,
		Example: `  modelward sign key ./my-model --private-key key.pem
  modelward sign key ./my-model --private-key key.pem --ignore-paths README.md
  modelward keygen --algorithm hybrid-p256-ml-dsa-65 --output-prefix release
  modelward sign key ./my-model --private-key release.key --hash-algorithm blake3`,
		Args: exactlyOne("sign key needs one MODEL (see 'modelward sign key --help')"),
		RunE: func(cmd *cobra.Command, args []string) error {
			model := args[0]
			pem, err := os.ReadFile(keyFile)
			if err != nil {
				return usageErr("reading the private key: %v", err)
			}
			opt := sf.options(model)
			return signAndWrite(cmd, model, sf.sigFile, func(ctx context.Context) ([]byte, error) {
				return sign.SignWithKey(ctx, model, pem, opt)
			})
		},
	}
	fl := key.Flags()
	fl.StringVar(&keyFile, "private-key", "", "PEM file holding the private key(s) (required)")
	sf.add(fl)
	_ = key.MarkFlagRequired("private-key")
	cmd.AddCommand(key, newSignCertificateCmd(), newSignSigstoreCmd())
	return cmd
}

func newSignCertificateCmd() *cobra.Command {
	var (
		keyFile, certFile string
		chain             []string
		sf                signingFlags
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
			opt := sf.options(model)
			return signAndWrite(cmd, model, sf.sigFile, func(ctx context.Context) ([]byte, error) {
				return sign.SignWithCertificate(ctx, model, keyPEM, leafPEM, chainPEM, opt)
			})
		},
	}
	fl := c.Flags()
	fl.StringVar(&keyFile, "private-key", "", "PEM file holding the ECDSA private key (required)")
	fl.StringVar(&certFile, "signing-certificate", "", "PEM certificate of the private key (required)")
	fl.StringArrayVar(&chain, "certificate-chain", nil, "PEM file of intermediate certificates to include (repeatable)")
	sf.add(fl)
	_ = c.MarkFlagRequired("private-key")
	_ = c.MarkFlagRequired("signing-certificate")
	return c
}

// signingFlags are the flags every signing method shares.
type signingFlags struct {
	sigFile   string
	ignore    []string
	shardSize int64
	hashType  string
}

func (f *signingFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&f.sigFile, "signature", "", "where to write the signature (default MODEL/model.sig, or MODEL.sig for a single file)")
	fl.StringArrayVar(&f.ignore, "ignore-paths", nil, "path relative to MODEL not to sign (repeatable)")
	fl.Int64Var(&f.shardSize, "shard-size", 0, `hash shards of this many bytes (method "shards"); 0 hashes whole files`)
	fl.StringVar(&f.hashType, "hash-algorithm", "sha256", "hash for files and shards: sha256, blake2b or blake3")
	fl.SetNormalizeFunc(underscoreAliases)
}

// options resolves the default signature location for model.
func (f *signingFlags) options(model string) sign.KeyOptions {
	if f.sigFile == "" {
		f.sigFile = defaultSignature(model)
	}
	return sign.KeyOptions{Signature: f.sigFile, IgnorePaths: f.ignore, ShardSize: f.shardSize, HashType: f.hashType}
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
