package bundle

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Certificate error classes (besides ErrMalformed, ErrUnsupported and
// ErrWrongKey). Returned errors wrap one of them; test with errors.Is.
var (
	// ErrUntrusted: the signing certificate does not chain to the trusted
	// roots, or the chain does not allow code signing.
	ErrUntrusted = errors.New("signing certificate is not trusted")
	// ErrExpired: the signing certificate (or a certificate of its chain) is
	// not valid at the verification time.
	ErrExpired = errors.New("signing certificate is expired or not yet valid")
	// ErrIdentity: the signature is valid and trusted but was made by an
	// identity (certificate subject or OIDC issuer) other than the expected.
	ErrIdentity = errors.New("signer identity does not match")
)

// MaxChainCertificates bounds the certificates read from a bundle.
const MaxChainCertificates = 10

type rawCert struct {
	RawBytes string `json:"rawBytes"`
}

type certChain struct {
	Certificates []rawCert `json:"certificates"`
}

// ParseCertificatesPEM returns every "CERTIFICATE" block of b, in order;
// other blocks are skipped. It fails when there is none.
func ParseCertificatesPEM(b []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	rest := b
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: certificate: %v", ErrMalformed, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no PEM certificate found", ErrMalformed)
	}
	return out, nil
}

// SignCertificate signs statement with key and returns a v0.3 bundle laid
// out like model_signing v1.1 certificate bundles: compact JSON,
// verificationMaterial.x509CertificateChain listing the leaf (leafPEM, the
// certificate of key) followed by every certificate of chainPEM in order
// (intermediates; the reference passes what --certificate_chain names),
// empty tlogEntries, keyid "".
func SignCertificate(statement []byte, key *ecdsa.PrivateKey, leafPEM []byte, chainPEM [][]byte) ([]byte, error) {
	if key == nil {
		return nil, errors.New("sign: no private key")
	}
	if err := checkStatement(statement); err != nil {
		return nil, err
	}
	if _, _, err := curveInfo(key.Curve); err != nil {
		return nil, err
	}
	leaves, err := ParseCertificatesPEM(leafPEM)
	if err != nil {
		return nil, fmt.Errorf("signing certificate: %w", err)
	}
	leaf := leaves[0]
	lk, ok := leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok || !lk.Equal(&key.PublicKey) {
		return nil, fmt.Errorf("%w: the signing certificate does not belong to the private key", ErrWrongKey)
	}
	certs := []rawCert{{RawBytes: base64.StdEncoding.EncodeToString(leaf.Raw)}}
	for i, p := range chainPEM {
		cs, err := ParseCertificatesPEM(p)
		if err != nil {
			return nil, fmt.Errorf("certificate chain %d: %w", i+1, err)
		}
		for _, c := range cs {
			certs = append(certs, rawCert{RawBytes: base64.StdEncoding.EncodeToString(c.Raw)})
		}
	}
	if len(certs) > MaxChainCertificates {
		return nil, fmt.Errorf("sign: %d certificates, the limit is %d", len(certs), MaxChainCertificates)
	}
	chainJSON, err := json.Marshal(certChain{Certificates: certs})
	if err != nil {
		return nil, fmt.Errorf("sign: %v", err)
	}
	return seal(statement, []*Signer{{ec: key}}, VerificationMaterial{X509CertificateChain: chainJSON})
}

// bundleCertificates returns the leaf and the intermediates carried by vm:
// x509CertificateChain (leaf first, as model_signing writes it) or a single
// certificate.
func bundleCertificates(vm VerificationMaterial) (*x509.Certificate, []*x509.Certificate, error) {
	var raws []rawCert
	switch {
	case len(vm.X509CertificateChain) > 0:
		var ch certChain
		if err := json.Unmarshal(vm.X509CertificateChain, &ch); err != nil {
			return nil, nil, fmt.Errorf("%w: x509CertificateChain: %v", ErrMalformed, err)
		}
		raws = ch.Certificates
	case len(vm.Certificate) > 0:
		var c rawCert
		if err := json.Unmarshal(vm.Certificate, &c); err != nil {
			return nil, nil, fmt.Errorf("%w: certificate: %v", ErrMalformed, err)
		}
		raws = []rawCert{c}
	case vm.PublicKey != nil:
		return nil, nil, fmt.Errorf("%w: bundle is signed with a key, not a certificate", ErrUnsupported)
	default:
		return nil, nil, fmt.Errorf("%w: bundle has no certificate", ErrMalformed)
	}
	if len(raws) == 0 {
		return nil, nil, fmt.Errorf("%w: bundle certificate chain is empty", ErrMalformed)
	}
	if len(raws) > MaxChainCertificates {
		return nil, nil, fmt.Errorf("%w: bundle holds %d certificates, the limit is %d", ErrMalformed, len(raws), MaxChainCertificates)
	}
	certs := make([]*x509.Certificate, 0, len(raws))
	for i, r := range raws {
		der, err := decodeBase64(r.RawBytes)
		if err != nil || len(der) == 0 {
			return nil, nil, fmt.Errorf("%w: bundle certificate %d is not base64", ErrMalformed, i)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: bundle certificate %d: %v", ErrMalformed, i, err)
		}
		certs = append(certs, c)
	}
	return certs[0], certs[1:], nil
}

// VerifyCertificate checks a certificate bundle and returns the signed
// statement and the signing (leaf) certificate. The leaf must be valid at
// `at` (the zero time means now), chain through the bundle's intermediates
// to one of roots with every certificate allowing code signing (the leaf
// must list the code-signing extended key usage explicitly), hold an
// ECDSA key, and verify at least one DSSE signature over the PAE. Bundles
// carry no trusted timestamp, so `at` is the caller's choice; nothing is
// skipped when it is in the past.
func VerifyCertificate(bundleJSON []byte, roots *x509.CertPool, at time.Time) ([]byte, *x509.Certificate, error) {
	if roots == nil {
		return nil, nil, errors.New("verify: no trusted root certificates")
	}
	if at.IsZero() {
		at = time.Now()
	}
	b, env, err := parseDSSE(bundleJSON)
	if err != nil {
		return nil, nil, err
	}
	leaf, inter, err := bundleCertificates(b.VerificationMaterial)
	if err != nil {
		return nil, nil, err
	}
	if at.Before(leaf.NotBefore) || at.After(leaf.NotAfter) {
		return nil, nil, fmt.Errorf("%w: %q is valid from %s to %s, not at %s", ErrExpired,
			leaf.Subject.String(), leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339))
	}
	if leaf.KeyUsage != 0 && leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		// crypto/x509 leaves the leaf's key usage to the caller.
		return nil, nil, fmt.Errorf("%w: %q may not make signatures (its key usage lacks digitalSignature)", ErrUntrusted, leaf.Subject.String())
	}
	if !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageCodeSigning) {
		// x509.Verify lets a leaf without extended key usages do anything;
		// a model signing certificate must name code signing.
		return nil, nil, fmt.Errorf("%w: %q does not allow code signing (no extended key usage codeSigning)", ErrUntrusted, leaf.Subject.String())
	}
	pool := x509.NewCertPool()
	for _, c := range inter {
		pool.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: pool,
		CurrentTime:   at,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}); err != nil {
		var ie x509.CertificateInvalidError
		if errors.As(err, &ie) && ie.Reason == x509.Expired {
			return nil, nil, fmt.Errorf("%w: %v", ErrExpired, err)
		}
		return nil, nil, fmt.Errorf("%w: %v", ErrUntrusted, err)
	}
	pub, ok := leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return nil, nil, fmt.Errorf("%w: signing certificate key is %T, only ECDSA keys are supported", ErrUnsupported, leaf.PublicKey)
	}
	if _, _, err := curveInfo(pub.Curve); err != nil {
		return nil, nil, err
	}
	payload, err := b.PayloadBytes()
	if err != nil {
		return nil, nil, err
	}
	if anyVerifies(&Verifier{ec: pub}, env.Signatures, PAE(env.PayloadType, payload)) {
		return payload, leaf, nil
	}
	return nil, nil, fmt.Errorf("%w: no signature in the bundle verifies with the signing certificate's key (the bundle was altered)", ErrWrongKey)
}
