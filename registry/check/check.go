// Package check is the registry's Checker: it scans a laid-out model with
// the scanner, verifies its signature with the signing package under the
// policy's trusted signers, and writes its AI-BOM, then says which gates
// block it. It is the only place the registry meets those packages.
package check

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/modelward/modelward/bom"
	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/policy"
	"github.com/modelward/modelward/registry"
	"github.com/modelward/modelward/report"
	"github.com/modelward/modelward/scan"
	"github.com/modelward/modelward/sign"
	"github.com/modelward/modelward/sign/manifest"
	"github.com/modelward/modelward/sign/sigstore"
)

// maxReasons bounds the findings quoted in a refusal.
const maxReasons = 10

// Checker implements registry.Checker.
type Checker struct {
	pol         *policy.Policy
	trust       sign.Policy
	toolVersion string
}

// New builds a checker from the policy: its scan rules and limits, its
// gates, and the trusted signers the gates name (key and root files are
// read now, so a missing file fails at start, not at the first push).
func New(pol *policy.Policy, toolVersion string) (*Checker, error) {
	g := pol.Registry
	t := sign.Policy{}
	for _, f := range g.TrustedKeys {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("registry.trusted_keys: %w", err)
		}
		t.Keys = append(t.Keys, b)
	}
	for _, f := range g.TrustedRoots {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("registry.trusted_roots: %w", err)
		}
		t.Roots = append(t.Roots, b)
	}
	if len(g.Identities) > 0 {
		root, err := trustedRoot(g.SigstoreTrustedRoot)
		if err != nil {
			return nil, err
		}
		t.SigstoreRoot = root
		for _, id := range g.Identities {
			t.SigstoreIdentities = append(t.SigstoreIdentities, sigstore.Identity{Subject: id.Subject, Issuer: id.Issuer})
		}
	}
	return &Checker{pol: pol, trust: t, toolVersion: toolVersion}, nil
}

func trustedRoot(path string) (*sigstore.TrustedRoot, error) {
	if path == "" {
		return sigstore.DefaultTrustedRoot()
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("registry.sigstore_trusted_root: %w", err)
	}
	return sigstore.LoadTrustedRoot(b)
}

// Check scans dir, verifies signature (a path, or "" when none) and writes
// the AI-BOM. files carries the digests the registry computed, so the model
// is not hashed again.
func (c *Checker) Check(ctx context.Context, dir, signature string, files []registry.File) (*registry.Check, error) {
	known := make([]manifest.FileDigest, len(files))
	for i, f := range files {
		d, err := hex.DecodeString(f.Digest)
		if err != nil {
			return nil, fmt.Errorf("file %s: bad digest %q", f.Path, f.Digest)
		}
		known[i] = manifest.FileDigest{Path: f.Path, SHA256: d}
	}
	m, err := manifest.FromDigests(filepath.Base(dir), known, nil)
	if err != nil {
		return nil, err
	}
	// Scan every stored file, not only those the manifest covers: a file
	// no signature covers must still not ride along unscanned.
	rep := scan.New(scan.Options{Policy: c.pol}).ScanFiles(ctx, layoutPaths(dir, files))
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := &registry.Check{Digest: "sha256:" + hex.EncodeToString(m.SubjectDigest())}
	c.judgeScan(out, rep, dir)
	sig := c.judgeSignature(ctx, out, dir, signature, known)

	var buf bytes.Buffer
	if err := report.Write(&buf, rep, report.JSON, report.Options{ToolVersion: c.toolVersion, BaseDir: dir}); err != nil {
		return nil, err
	}
	out.Report = bytes.Clone(buf.Bytes())
	buf.Reset()
	b, err := bom.Build(ctx, bom.Input{Path: dir, Manifest: m, Scan: rep, Signature: sig, ToolVersion: c.toolVersion})
	if err != nil {
		return nil, fmt.Errorf("AI-BOM: %w", err)
	}
	if err := bom.Encode(&buf, b); err != nil {
		return nil, err
	}
	out.BOM = buf.Bytes()
	return out, nil
}

// judgeScan sets the verdict and the scan's reasons to block.
func (c *Checker) judgeScan(out *registry.Check, rep *scan.Report, dir string) {
	worst := map[scan.Verdict]int{scan.Unrecognised: 0, scan.Clean: 1, scan.Suspicious: 2, scan.NotInspected: 3, scan.Failed: 4, scan.Malicious: 5}
	out.Verdict = string(scan.Clean)
	for _, f := range rep.Files {
		rel := relTo(dir, f.Path)
		if worst[f.Verdict] > worst[scan.Verdict(out.Verdict)] {
			out.Verdict = string(f.Verdict)
		}
		if f.Verdict == scan.NotInspected || f.Verdict == scan.Failed {
			out.Blocked = append(out.Blocked, fmt.Sprintf("%s could not be fully inspected (%s)", rel, f.Verdict))
		}
		for _, fd := range f.Findings {
			out.Findings++
			if fd.Severity >= c.pol.Registry.BlockOn && fd.Severity > finding.Info && len(out.Blocked) < maxReasons {
				out.Blocked = append(out.Blocked, fmt.Sprintf("%s %s in %s: %s", fd.Rule, fd.Severity, rel, fd.Message))
			}
		}
	}
}

// judgeSignature verifies the signature under the trusted signers and
// returns its state for the AI-BOM.
func (c *Checker) judgeSignature(ctx context.Context, out *registry.Check, dir, signature string, known []manifest.FileDigest) bom.Signature {
	if signature == "" {
		if c.pol.Registry.RequireSignature {
			out.Blocked = append(out.Blocked, "the version carries no signature and the policy requires one")
		}
		return bom.Signature{State: bom.SignatureAbsent}
	}
	v, err := sign.VerifyStored(ctx, dir, signature, c.trust, known)
	s := bom.Signature{Method: v.Method, Signer: v.Signer}
	switch {
	case err == nil:
		out.Signer = v.Signer
		s.State = bom.SignatureVerified
	case v.Failure == sign.FailMismatch:
		out.Tampered = true
		out.Blocked = append(out.Blocked, "signature: "+err.Error())
		s.State, s.Detail = bom.SignatureMismatch, err.Error()
	default:
		out.Blocked = append(out.Blocked, "signature: "+err.Error())
		s.State, s.Detail = bom.SignatureInvalid, err.Error()
	}
	return s
}

// layoutPaths are the stored files as laid out under dir.
func layoutPaths(dir string, files []registry.File) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = dir
		if f.Path != "." {
			out[i] = filepath.Join(dir, filepath.FromSlash(f.Path))
		}
	}
	return out
}

func relTo(dir, p string) string {
	if r, err := filepath.Rel(dir, p); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return filepath.Base(p)
}
