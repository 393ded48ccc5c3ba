package sign

import (
	"context"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/modelward/modelward/sign/bundle"
)

// CertOptions controls VerifyWithCertificate.
type CertOptions struct {
	KeyOptions
	// Time is when the signing certificate must be valid; the zero value
	// means now. Bundles carry no trusted timestamp, so the certificate is
	// checked at this time (an expired certificate is rejected, never
	// skipped).
	Time time.Time
}

// SignWithCertificate hashes the model like SignWithKey and signs the
// statement with the PEM ECDSA private key whose certificate is leafPEM.
// chainPEM holds the intermediate certificates (PEM, any number per item)
// written into the bundle after the leaf. It returns the bundle JSON.
func SignWithCertificate(ctx context.Context, modelPath string, keyPEM, leafPEM []byte, chainPEM [][]byte, opt KeyOptions) ([]byte, error) {
	key, err := bundle.LoadPrivateKeyPEM(keyPEM)
	if err != nil {
		return nil, err
	}
	return Sign(ctx, modelPath, StatementSignerFunc(func(_ context.Context, st []byte) ([]byte, error) {
		return bundle.SignCertificate(st, key, leafPEM, chainPEM)
	}), opt)
}

// RootPool builds a pool from the "CERTIFICATE" blocks of PEM files'
// contents; it fails when there is none.
func RootPool(rootsPEM ...[]byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	n := 0
	for _, p := range rootsPEM {
		cs, err := bundle.ParseCertificatesPEM(p)
		if err != nil {
			return nil, fmt.Errorf("trusted roots: %w", err)
		}
		for _, c := range cs {
			pool.AddCert(c)
			n++
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: no trusted root certificate", bundle.ErrMalformed)
	}
	return pool, nil
}

// VerifyWithCertificate checks a certificate bundle against the trusted
// roots (PEM) at opt.Time, then compares the model with the signed manifest
// like VerifyWithKey. Errors wrap bundle.ErrUntrusted, bundle.ErrExpired,
// bundle.ErrWrongKey, bundle.ErrMalformed or bundle.ErrUnsupported for
// signature problems and ErrMismatch (with the Result) when the model
// differs; anything else is an I/O error.
func VerifyWithCertificate(ctx context.Context, modelPath string, bundleJSON []byte, rootsPEM [][]byte, opt CertOptions) (*Result, error) {
	roots, err := RootPool(rootsPEM...)
	if err != nil {
		return nil, err
	}
	payload, _, err := bundle.VerifyCertificate(bundleJSON, roots, opt.Time)
	if err != nil {
		return nil, err
	}
	return compareModel(ctx, modelPath, payload, opt.KeyOptions)
}
