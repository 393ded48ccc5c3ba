// Package sigstore verifies Sigstore keyless bundles offline: the bundles
// the OpenSSF model signing reference (Python model_signing v1.x) writes in
// its default mode, where a short-lived Fulcio certificate binds an OIDC
// identity to an ephemeral key and Rekor records the signature.
//
// Verification needs no network: trust comes from a Sigstore trusted root
// (Fulcio CAs, Rekor keys, CT log keys, timestamp authorities) given by the
// caller, or the snapshot embedded here. The cryptography is done by
// github.com/sigstore/sigstore-go; this package adds bounded input checks,
// an explicit identity policy and errors that wrap the classes of
// github.com/modelward/modelward/sign/bundle, so callers handle key,
// certificate and keyless signatures alike.
package sigstore

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/modelward/modelward/sign/bundle"
)

// MaxTrustedRootSize bounds the trusted root JSON read by LoadTrustedRoot.
// The public-good root is about 7 KiB; 4 MiB leaves room for long key
// histories while refusing a memory exhaustion attempt.
const MaxTrustedRootSize = 4 << 20

// TrustedRoot is a parsed Sigstore trusted root (Fulcio CAs, Rekor keys, CT
// logs, TSAs). It decides which certificate authorities and logs a keyless
// signature may rely on; it is immutable and safe for concurrent use.
type TrustedRoot struct {
	tr *root.TrustedRoot
}

// LoadTrustedRoot parses a trusted root in the Sigstore JSON format
// (media type application/vnd.dev.sigstore.trustedroot+json;version=0.1),
// as distributed by the Sigstore TUF repository or written by hand for a
// private deployment. Errors wrap bundle.ErrMalformed.
//
// A root without a Fulcio CA is accepted here (it may serve other uses) but
// Verify then rejects every keyless bundle with bundle.ErrUntrusted.
func LoadTrustedRoot(json []byte) (*TrustedRoot, error) {
	if len(json) > MaxTrustedRootSize {
		return nil, fmt.Errorf("%w: trusted root is %d bytes, the limit is %d", bundle.ErrMalformed, len(json), MaxTrustedRootSize)
	}
	if len(bytes.TrimSpace(json)) == 0 {
		return nil, fmt.Errorf("%w: trusted root is empty", bundle.ErrMalformed)
	}
	tr, err := root.NewTrustedRootFromJSON(json)
	if err != nil {
		return nil, fmt.Errorf("%w: not a Sigstore trusted root (expected the JSON of %s): %v", bundle.ErrMalformed, root.TrustedRootMediaType01, err)
	}
	return &TrustedRoot{tr: tr}, nil
}

//go:embed public-good-trusted-root.json
var publicGoodJSON []byte

var defaultRoot = sync.OnceValues(func() (*TrustedRoot, error) {
	return LoadTrustedRoot(publicGoodJSON)
})

// DefaultTrustedRoot returns the Sigstore public-good trusted root
// (fulcio.sigstore.dev, rekor.sigstore.dev and their CT logs and TSA) as
// embedded in this package. It is a snapshot taken when the package was
// built, so verification stays offline and reproducible; keys the Sigstore
// project rotates in later are missing from it. A root given with
// --trust-config (LoadTrustedRoot) replaces it entirely.
func DefaultTrustedRoot() (*TrustedRoot, error) {
	return defaultRoot()
}

// fulcioCount and rekorCount let Verify explain an unusable root.
func (t *TrustedRoot) fulcioCount() int { return len(t.tr.FulcioCertificateAuthorities()) }
func (t *TrustedRoot) rekorCount() int  { return len(t.tr.RekorLogs()) }

// rawCertificate is the JSON shape of verificationMaterial.certificate.
type rawCertificate struct {
	RawBytes []byte `json:"rawBytes"` // encoding/json decodes standard base64
}

// errorf wraps class with a message for the user.
func errorf(class error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", class, fmt.Sprintf(format, args...))
}

// isClass reports whether err already wraps one of the bundle error classes.
func isClass(err error) bool {
	for _, c := range []error{bundle.ErrMalformed, bundle.ErrUnsupported, bundle.ErrUntrusted, bundle.ErrExpired, bundle.ErrWrongKey, bundle.ErrIdentity} {
		if errors.Is(err, c) {
			return true
		}
	}
	return false
}

// decodeJSON is encoding/json with the error reworded for users.
func decodeJSON(b []byte, v any, what string) error {
	if err := json.Unmarshal(b, v); err != nil {
		return errorf(bundle.ErrMalformed, "%s is not valid: %v", what, err)
	}
	return nil
}
