package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modelward/modelward/bom"
	"github.com/modelward/modelward/internal/version"
	"github.com/modelward/modelward/report"
	"github.com/modelward/modelward/scan"
	"github.com/modelward/modelward/sign"
	"github.com/modelward/modelward/sign/manifest"
)

func newBOMCmd() *cobra.Command {
	var (
		output, sigFile string
		noScan          bool
		trust           trustFlags
	)
	cmd := &cobra.Command{
		Use:   "bom PATH [-o FILE] [--no-scan] [--signature FILE]",
		Short: "Write an AI bill of materials (CycloneDX 1.6 JSON) for a model folder or file",
		Long: `Describe a model folder or single-file model as a CycloneDX 1.6 AI-BOM:
the model as a machine-learning-model component with a model card (from
config.json and the README.md front matter: architecture, task, licences,
datasets, base model, evaluation results), every file with its SHA-256 (the
digests of the OpenSSF model signing manifest), the frameworks that load
it, the datasets it declares, the scanner's findings as vulnerabilities
and whether a signature is present. docs/bom.md describes every field.

The files are hashed like 'modelward digest' (.git, .gitattributes,
.github, .gitignore, the signature file and the output file are left out)
and scanned like 'modelward scan' unless --no-scan. The signature
(--signature, by default PATH/model.sig for a folder and PATH.sig beside a
single file) is verified when trust is given (--public-key,
--certificate-chain, or --identity with --identity-provider for Sigstore
keyless signatures, as for 'modelward verify') and reported as verified,
mismatch (with the files) or invalid (with the reason); without trust it
is reported as present-unverified or absent. A config.json or README.md
that cannot be parsed is noted in the BOM, never an error.

Exit status: 0 when the BOM was written, whatever the scan found (read the
vulnerabilities, or run 'modelward scan' to gate on them); 2 on a usage
error or a model that could not be read.`,
		Example: `  modelward bom ./my-model > my-model.cdx.json
  modelward bom ./my-model -o my-model.cdx.json --signature my-model.sig --public-key release.pub
  modelward bom --no-scan model.safetensors`,
		Args: exactlyOne("bom needs one PATH (see 'modelward bom --help')"),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, trusted, err := trust.policy()
			if err != nil {
				return err
			}
			check := presentSignature
			if trusted {
				check = verifiedSignature(p)
			}
			return runBOM(cmd, args[0], output, sigFile, noScan, check)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&output, "output", "o", "", "write the BOM to FILE (default standard output; - is standard output)")
	fl.BoolVar(&noScan, "no-scan", false, "do not scan the files: no formats, verdicts or vulnerabilities in the BOM")
	fl.StringVar(&sigFile, "signature", "", "the model's signature file (default PATH/model.sig, or PATH.sig for a single file)")
	trust.add(fl)
	fl.SetNormalizeFunc(underscoreAliases)
	return cmd
}

func runBOM(cmd *cobra.Command, model, output, sigFile string, noScan bool, check signatureCheck) error {
	if _, err := os.Stat(model); err != nil {
		return usageErr("cannot read the model: %v", err)
	}
	if sigFile == "" {
		sigFile = defaultSignature(model)
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
	defer stop()

	var ignore []string
	for _, f := range []string{sigFile, output} {
		if rel, ok := insideModel(model, f); ok {
			ignore = append(ignore, rel)
		}
	}
	m, err := manifest.Build(ctx, model, manifest.Options{Method: manifest.MethodFiles, IgnorePaths: ignore})
	if err != nil {
		return usageErr("hashing %s: %v", model, err)
	}
	// The manifest covers what a verifier hashes, unless it also left out
	// an output file inside the model: then the verifier hashes on its own.
	var known []manifest.FileDigest
	if _, inside := insideModel(model, output); !inside {
		for _, r := range m.Resources {
			known = append(known, manifest.FileDigest{Path: r.Name, SHA256: r.Digest})
		}
	}
	in := bom.Input{
		Path:        model,
		Manifest:    m,
		Signature:   check(ctx, model, sigFile, known),
		ToolVersion: version.Get().Version,
	}
	if !noScan {
		in.Scan = scan.New(scan.Options{}).ScanFiles(ctx, m.Paths(model))
	}
	if err := ctx.Err(); err != nil {
		return usageErr("interrupted: %v", err)
	}
	b, err := bom.Build(ctx, in)
	if err != nil {
		return usageErr("%v", err)
	}
	var buf bytes.Buffer
	if err := bom.Encode(&buf, b); err != nil {
		return usageErr("%v", err)
	}
	if output == "" || output == "-" {
		_, err := cmd.OutOrStdout().Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(output, buf.Bytes(), 0o644); err != nil {
		return usageErr("writing the BOM: %v", err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "modelward: AI-BOM of %s written to %s\n", report.Terminal(model), report.Terminal(output))
	return nil
}

// signatureCheck reports a model's signature for the BOM.
// known, when not nil, are the digests of every file a verifier would
// hash, already computed for the BOM, so the model is not hashed twice.
type signatureCheck func(ctx context.Context, model, sigFile string, known []manifest.FileDigest) bom.Signature

// presentSignature only says whether a signature file is there: without
// trust nothing can be verified.
func presentSignature(_ context.Context, _ string, sigFile string, _ []manifest.FileDigest) bom.Signature {
	st, err := os.Stat(sigFile)
	if err != nil || !st.Mode().IsRegular() {
		return bom.Signature{State: bom.SignatureAbsent}
	}
	return bom.Signature{
		State:  bom.SignaturePresentUnverified,
		Bundle: sigFile,
		Detail: "a signature file is present; no trusted key, root or identity was given to verify it",
	}
}

// verifiedSignature verifies the signature under p, as 'verify' does.
func verifiedSignature(p sign.Policy) signatureCheck {
	return func(ctx context.Context, model, sigFile string, known []manifest.FileDigest) bom.Signature {
		v, err := sign.VerifyStored(ctx, model, sigFile, p, known)
		s := bom.Signature{Method: v.Method, Signer: v.Signer, Bundle: sigFile}
		switch {
		case err == nil:
			s.State = bom.SignatureVerified
			s.Detail = fmt.Sprintf("%s signature, %s %s manifest of %d resources", strings.Join(v.Algorithms, "+"), v.Serialization, v.HashType, v.Files)
		case v.Failure == sign.FailMissing:
			s.State, s.Bundle = bom.SignatureAbsent, ""
		case v.Failure == sign.FailMismatch:
			s.State, s.Detail = bom.SignatureMismatch, err.Error()
		default:
			s.State, s.Detail = bom.SignatureInvalid, err.Error()
		}
		return s
	}
}

// insideModel returns file's slash path relative to the model folder when
// it lies inside it, so that it can be left out of the manifest.
func insideModel(model, file string) (string, bool) {
	if file == "" || file == "-" {
		return "", false
	}
	root, err1 := filepath.Abs(model)
	abs, err2 := filepath.Abs(file)
	if err1 != nil || err2 != nil {
		return "", false
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}
