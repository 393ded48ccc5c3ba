package sign

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/modelward/modelward/sign/bundle"
	"github.com/modelward/modelward/sign/manifest"
	"github.com/modelward/modelward/sign/sigstore"
)

// Policy says whom a model may be signed by. It is what a program that
// loads models (the registry, the gateway, a Kubernetes admission hook)
// holds; VerifyModel checks a model against it. A signature is accepted
// when it matches any one of the configured signers.
type Policy struct {
	// Keys are trusted public key files (PEM). Each entry is one key set:
	// a single ECDSA or ML-DSA-65 key, or a hybrid pair whose two
	// signatures must both verify.
	Keys [][]byte
	// Roots are trusted root certificates (PEM) for certificate bundles.
	Roots [][]byte
	// CertSubjects, when set, restricts certificate bundles to signing
	// certificates naming one of these (an email, URI or DNS subject
	// alternative name, or the subject common name).
	CertSubjects []string
	// SigstoreRoot and SigstoreIdentities accept Sigstore keyless bundles
	// from one of the identities, verified offline against the root.
	SigstoreRoot       *sigstore.TrustedRoot
	SigstoreIdentities []sigstore.Identity
	// IgnorePaths and IgnoreUnsignedFiles are as in KeyOptions.
	IgnorePaths         []string
	IgnoreUnsignedFiles bool
	// Time is when certificate bundles must be valid (zero: now).
	Time time.Time
}

// Failure classifies why a verification failed, for programs that act on
// it (quarantine on Mismatch, alert on WrongKey, ...).
type Failure string

// Failure values; Verified results have none.
const (
	FailMismatch    Failure = "mismatch"    // files missing, changed or not signed
	FailWrongKey    Failure = "wrong-key"   // no trusted key made the signature
	FailUntrusted   Failure = "untrusted"   // the certificate chain is not trusted
	FailExpired     Failure = "expired"     // a certificate is not valid at the time
	FailIdentity    Failure = "identity"    // trusted, but not an accepted signer
	FailMalformed   Failure = "malformed"   // the signature file is not a valid bundle
	FailUnsupported Failure = "unsupported" // a format or algorithm not handled
	FailMissing     Failure = "no-signature"
	FailPolicy      Failure = "policy" // a trusted key or root of the policy is unusable
	FailIO          Failure = "io"     // the model could not be read
)

// ErrPolicy: the policy itself is unusable (a trusted key or root file
// that does not parse); no model can be verified against it.
var ErrPolicy = errors.New("verification policy is unusable")

// Verification is the structured outcome of VerifyModel.
type Verification struct {
	Model     string `json:"model"`
	Signature string `json:"signature"`
	Verified  bool   `json:"verified"`
	// Method is "key", "certificate" or "sigstore" once the bundle was read.
	Method string `json:"method,omitempty"`
	// Signer names who signed: key hints, the certificate subject, or the
	// keyless identity; Issuer is the certificate issuer or OIDC issuer.
	Signer     string   `json:"signer,omitempty"`
	Issuer     string   `json:"issuer,omitempty"`
	Algorithms []string `json:"algorithms,omitempty"`
	// HashType and Serialization describe the signed manifest.
	HashType      string   `json:"hash_type,omitempty"`
	Serialization string   `json:"serialization,omitempty"`
	Files         int      `json:"files,omitempty"`
	Missing       []string `json:"missing,omitempty"`
	Changed       []string `json:"changed,omitempty"`
	Extra         []string `json:"extra,omitempty"`
	Failure       Failure  `json:"failure,omitempty"`
	Message       string   `json:"message,omitempty"`
}

// VerifyModel checks the model at modelPath against its signature file
// (signature; empty means the default location, DefaultSignature) under
// the policy. It always returns a Verification; the error is non-nil
// exactly when the model is not verified, and wraps the same class as
// the Failure (bundle.ErrWrongKey, ErrMismatch, ...).
func VerifyModel(ctx context.Context, modelPath, signature string, p Policy) (*Verification, error) {
	return VerifyStored(ctx, modelPath, signature, p, nil)
}

// VerifyStored is VerifyModel for a model whose file digests the caller
// computed itself as it stored the files (a registry hashes every file on
// upload, and again before it trusts them): when the signature uses the
// "files" method with SHA-256, those digests are compared instead of
// hashing the model again. Other methods and hashes hash the files laid
// out at modelPath. files nil is VerifyModel.
func VerifyStored(ctx context.Context, modelPath, signature string, p Policy, files []manifest.FileDigest) (*Verification, error) {
	if signature == "" {
		signature = DefaultSignature(modelPath)
	}
	v := &Verification{Model: modelPath, Signature: signature}
	bun, err := readBundle(signature)
	if errors.Is(err, fs.ErrNotExist) {
		return v.fail(FailMissing, err)
	}
	if err != nil {
		return v.fail(classify(err), err)
	}
	payload, err := p.checkSignature(bun, v)
	if err != nil {
		return v.fail(classify(err), err)
	}
	opt := KeyOptions{Signature: signature, IgnorePaths: p.IgnorePaths, IgnoreUnsignedFiles: p.IgnoreUnsignedFiles}
	res, signed, err := compare(ctx, modelPath, payload, opt, files)
	if signed != nil {
		v.HashType, v.Serialization, v.Files = signed.HashType, signed.Method, len(signed.Resources)
	}
	if res != nil {
		v.Missing, v.Changed, v.Extra = res.Missing, res.Changed, res.Extra
	}
	if err != nil {
		return v.fail(classify(err), err)
	}
	v.Verified = true
	return v, nil
}

func (v *Verification) fail(f Failure, err error) (*Verification, error) {
	v.Failure, v.Message = f, err.Error()
	return v, err
}

// DefaultSignature is MODEL/model.sig for a folder and MODEL.sig beside a
// single-file model. (The reference writes model.sig in the current
// directory in both cases and requires --signature to verify.)
func DefaultSignature(model string) string {
	if st, err := os.Stat(model); err == nil && st.IsDir() {
		return model + string(os.PathSeparator) + "model.sig"
	}
	return model + ".sig"
}

// readBundle reads at most bundle.MaxBundleSize bytes of a signature file.
// It opens without blocking and refuses anything but a regular file: a
// FIFO planted as model.sig must not hang the verifier.
func readBundle(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("reading the signature: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", bundle.ErrMalformed, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, bundle.MaxBundleSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the signature: %w", err)
	}
	if len(b) > bundle.MaxBundleSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", bundle.ErrMalformed, path, bundle.MaxBundleSize)
	}
	return b, nil
}

// bundleKind tells key, certificate and keyless bundles apart by their
// verification material: keyless bundles carry transparency log entries.
func bundleKind(bun []byte) (string, error) {
	b, err := bundle.Parse(bun)
	if err != nil {
		return "", err
	}
	vm := b.VerificationMaterial
	switch {
	case vm.PublicKey != nil:
		return "key", nil
	case len(vm.Certificate) > 0 || len(vm.X509CertificateChain) > 0:
		var entries []json.RawMessage
		if len(vm.TlogEntries) > 0 && json.Unmarshal(vm.TlogEntries, &entries) == nil && len(entries) > 0 {
			return "sigstore", nil
		}
		return "certificate", nil
	}
	return "", fmt.Errorf("%w: bundle names no key and no certificate", bundle.ErrMalformed)
}

// checkSignature verifies the bundle with the policy's signers of the
// bundle's kind and returns the signed statement.
func (p Policy) checkSignature(bun []byte, v *Verification) ([]byte, error) {
	kind, err := bundleKind(bun)
	if err != nil {
		return nil, err
	}
	v.Method = kind
	switch kind {
	case "key":
		return p.checkKeys(bun, v)
	case "certificate":
		return p.checkCertificate(bun, v)
	}
	return p.checkKeyless(bun, v)
}

func (p Policy) checkKeys(bun []byte, v *Verification) ([]byte, error) {
	if len(p.Keys) == 0 {
		return nil, fmt.Errorf("%w: the model is signed with a key and the policy trusts no key", bundle.ErrWrongKey)
	}
	var firstErr error
	for _, pem := range p.Keys {
		keys, err := bundle.LoadVerifiersPEM(pem)
		if err != nil {
			return nil, fmt.Errorf("%w: trusted key: %v", ErrPolicy, err)
		}
		payload, err := bundle.VerifyKeys(bun, keys)
		if err == nil {
			for _, k := range keys {
				v.Algorithms = append(v.Algorithms, k.Algorithm())
				v.Signer = strings.TrimPrefix(v.Signer+","+k.Hint(), ",")
			}
			return payload, nil
		}
		if firstErr == nil || !errors.Is(err, bundle.ErrWrongKey) {
			firstErr = err
		}
	}
	if len(p.Keys) > 1 && errors.Is(firstErr, bundle.ErrWrongKey) {
		return nil, fmt.Errorf("%w: the signature verifies with none of the %d trusted keys", bundle.ErrWrongKey, len(p.Keys))
	}
	return nil, firstErr
}

func (p Policy) checkCertificate(bun []byte, v *Verification) ([]byte, error) {
	if len(p.Roots) == 0 {
		return nil, fmt.Errorf("%w: the model is signed with a certificate and the policy trusts no root certificate", bundle.ErrUntrusted)
	}
	roots, err := RootPool(p.Roots...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPolicy, err)
	}
	payload, leaf, err := bundle.VerifyCertificate(bun, roots, p.Time)
	if err != nil {
		return nil, err
	}
	v.Signer, v.Issuer = certName(leaf), leaf.Issuer.String()
	v.Algorithms = []string{leaf.PublicKeyAlgorithm.String()}
	if len(p.CertSubjects) > 0 && !slices.ContainsFunc(p.CertSubjects, func(s string) bool { return certNames(leaf, s) }) {
		return nil, fmt.Errorf("%w: signed by %q, expected one of %q", bundle.ErrIdentity, v.Signer, p.CertSubjects)
	}
	return payload, nil
}

func (p Policy) checkKeyless(bun []byte, v *Verification) ([]byte, error) {
	if len(p.SigstoreIdentities) == 0 {
		return nil, fmt.Errorf("%w: the model is signed keyless (Sigstore) and the policy names no identity to accept", bundle.ErrIdentity)
	}
	root := p.SigstoreRoot
	if root == nil {
		var err error
		if root, err = sigstore.DefaultTrustedRoot(); err != nil {
			return nil, err
		}
	}
	var firstErr error
	for _, id := range p.SigstoreIdentities {
		payload, s, err := sigstore.Verify(bun, root, id)
		if err == nil {
			v.Signer, v.Issuer = s.Subject, s.Issuer
			v.Algorithms = []string{s.Certificate.PublicKeyAlgorithm.String()}
			return payload, nil
		}
		if !errors.Is(err, bundle.ErrIdentity) {
			return nil, err // the same for every identity
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, firstErr
}

// certName is the most telling name of a certificate: its first email or
// URI subject alternative name, else its subject.
func certName(c *x509.Certificate) string {
	if len(c.EmailAddresses) > 0 {
		return c.EmailAddresses[0]
	}
	if len(c.URIs) > 0 {
		return c.URIs[0].String()
	}
	return c.Subject.String()
}

// certNames reports whether the certificate names want. Subject
// alternative names are what CAs validate; the common name is often a
// free-form display name, so it counts only for a certificate without any
// subject alternative name.
func certNames(c *x509.Certificate, want string) bool {
	if len(c.EmailAddresses)+len(c.DNSNames)+len(c.URIs)+len(c.IPAddresses) == 0 {
		return c.Subject.CommonName == want
	}
	if slices.Contains(c.EmailAddresses, want) || slices.Contains(c.DNSNames, want) {
		return true
	}
	return slices.ContainsFunc(c.URIs, func(u *url.URL) bool { return u.String() == want })
}

// classify maps an error to its Failure.
func classify(err error) Failure {
	for _, c := range []struct {
		err error
		f   Failure
	}{
		{ErrPolicy, FailPolicy}, {ErrMismatch, FailMismatch}, {bundle.ErrWrongKey, FailWrongKey}, {bundle.ErrUntrusted, FailUntrusted},
		{bundle.ErrExpired, FailExpired}, {bundle.ErrIdentity, FailIdentity}, {bundle.ErrMalformed, FailMalformed},
		{bundle.ErrUnsupported, FailUnsupported},
	} {
		if errors.Is(err, c.err) {
			return c.f
		}
	}
	return FailIO
}
