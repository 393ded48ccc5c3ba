package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modelward/modelward/report"
	"github.com/modelward/modelward/sign/bundle"
)

func newKeygenCmd() *cobra.Command {
	var alg, prefix string
	c := &cobra.Command{
		Use:   "keygen --output-prefix PREFIX [--algorithm ALG]",
		Short: "Generate a signing key pair (ECDSA, ML-DSA-65 or hybrid)",
		Long: `Generate a key pair for 'modelward sign key' and write PREFIX.key (the
private key, PKCS#8 PEM, readable only by you) and PREFIX.pub (the public
key, PEM) for 'modelward verify key'. Existing files are never
overwritten.

Algorithms: ecdsa-p256 (the default), ecdsa-p384 and ecdsa-p521 produce
signatures the reference model_signing verifies; ml-dsa-65 (FIPS 204,
post-quantum) and hybrid-p256-ml-dsa-65 (an ECDSA P-256 and an ML-DSA-65
key in one file; both sign and both must verify) are modelward
extensions that other verifiers do not read. ML-DSA-65 keys are encoded
as RFC 9881 specifies (the private key in its 32-byte seed form).

Exit status: 0 when both files were written, 2 on any error.`,
		Example: `  modelward keygen --output-prefix release
  modelward keygen --algorithm hybrid-p256-ml-dsa-65 --output-prefix release-pq`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			keys, err := bundle.GenerateKeys(alg)
			if err != nil {
				return usageErr("%v (supported: %s)", err, strings.Join(bundle.Algorithms, ", "))
			}
			var priv, pub []byte
			for _, k := range keys {
				p, err := k.PrivatePEM()
				if err != nil {
					return usageErr("encoding the key: %v", err)
				}
				priv = append(priv, p...)
				pub = append(pub, k.Public().PEM()...)
			}
			if err := writeNew(prefix+".key", priv, 0o600); err != nil {
				return err
			}
			if err := writeNew(prefix+".pub", pub, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s.key (private) and %s.pub (public), %s\n", report.Terminal(prefix), report.Terminal(prefix), alg)
			return nil
		},
	}
	c.Flags().StringVarP(&alg, "algorithm", "a", bundle.AlgECDSAP256, "key algorithm: "+strings.Join(bundle.Algorithms, ", "))
	c.Flags().StringVarP(&prefix, "output-prefix", "o", "", "write PREFIX.key and PREFIX.pub (required)")
	c.Flags().SetNormalizeFunc(underscoreAliases)
	_ = c.MarkFlagRequired("output-prefix")
	return c
}

// writeNew creates name with perm and data, refusing to replace a file.
func writeNew(name string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if errors.Is(err, fs.ErrExist) {
		return usageErr("%s exists; choose another --output-prefix or remove it", name)
	}
	if err != nil {
		return usageErr("writing the key: %v", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return usageErr("writing the key: %v", err)
	}
	return f.Close()
}

func newSignSigstoreCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "sigstore MODEL",
		Short: "Keyless signing with Sigstore (needs the public Sigstore services; not available)",
		Long: `Keyless signing obtains a short-lived certificate from Fulcio for an OIDC
identity and records the signature in the Rekor transparency log, so it
needs those public services and an OIDC token. This build of modelward
does not implement it: use the reference tool 'model_signing sign
sigstore' (or any Sigstore signer that writes a DSSE bundle) to sign, and
'modelward verify sigstore' to verify, fully offline. To sign without
network services use 'sign key' or 'sign certificate'. See docs/signing.md.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(*cobra.Command, []string) error {
			return usageErr("keyless signing needs the public Sigstore services (Fulcio, Rekor and an OIDC provider) and is not implemented in modelward; sign with 'model_signing sign sigstore', or use 'modelward sign key' or 'sign certificate' (see docs/signing.md)")
		},
	}
}
