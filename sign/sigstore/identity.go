package sigstore

import (
	"crypto/x509"
	"fmt"
	"regexp"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/modelward/modelward/sign/bundle"
)

// Identity is who must have signed: a Fulcio certificate's subject
// alternative name and OIDC issuer. A keyless signature proves only that
// someone holding an OIDC token signed; without an expected identity any
// account at any provider would pass, so both halves are mandatory.
//
// The regular expressions (Go syntax) must match the whole value: they are
// anchored here, so "alice@example\.com" does not accept
// "alice@example.com.evil.test". Give either the exact value or the
// expression for each half, not both.
type Identity struct {
	Subject       string // exact SAN (email or URI); empty when SubjectRegexp is used
	SubjectRegexp string
	Issuer        string // exact OIDC issuer; empty when IssuerRegexp is used
	IssuerRegexp  string
}

// anchor makes re match whole values only.
func anchor(re string) string { return "^(?:" + re + ")$" }

// policy checks id and turns it into the sigstore-go identity matcher.
// Errors wrap bundle.ErrIdentity: the identity to expect is unusable, so no
// signer could be accepted.
func (id Identity) policy() (verify.CertificateIdentity, error) {
	var none verify.CertificateIdentity
	switch {
	case id.Subject == "" && id.SubjectRegexp == "":
		return none, errorf(bundle.ErrIdentity, "no expected signer given: name the certificate subject (the signer's email or URI) or a regular expression for it; any identity is never accepted")
	case id.Subject != "" && id.SubjectRegexp != "":
		return none, errorf(bundle.ErrIdentity, "expected signer given both as %q and as the expression %q: give only one", id.Subject, id.SubjectRegexp)
	case id.Issuer == "" && id.IssuerRegexp == "":
		return none, errorf(bundle.ErrIdentity, "no expected OIDC issuer given (e.g. https://accounts.google.com): a subject alone can be claimed at any identity provider")
	case id.Issuer != "" && id.IssuerRegexp != "":
		return none, errorf(bundle.ErrIdentity, "expected OIDC issuer given both as %q and as the expression %q: give only one", id.Issuer, id.IssuerRegexp)
	}
	var subjRe, issRe string
	if id.SubjectRegexp != "" {
		if _, err := regexp.Compile(id.SubjectRegexp); err != nil {
			return none, errorf(bundle.ErrIdentity, "expected signer expression %q is not a valid regular expression: %v", id.SubjectRegexp, err)
		}
		subjRe = anchor(id.SubjectRegexp)
	}
	if id.IssuerRegexp != "" {
		if _, err := regexp.Compile(id.IssuerRegexp); err != nil {
			return none, errorf(bundle.ErrIdentity, "expected OIDC issuer expression %q is not a valid regular expression: %v", id.IssuerRegexp, err)
		}
		issRe = anchor(id.IssuerRegexp)
	}
	ci, err := verify.NewShortCertificateIdentity(id.Issuer, issRe, id.Subject, subjRe)
	if err != nil {
		return none, errorf(bundle.ErrIdentity, "expected identity is unusable: %v", err)
	}
	return ci, nil
}

// expected describes id for messages: `"a@b" (issuer "https://x")`.
func (id Identity) expected() string {
	s := fmt.Sprintf("%q", id.Subject)
	if id.SubjectRegexp != "" {
		s = fmt.Sprintf("a subject matching %q", id.SubjectRegexp)
	}
	if id.IssuerRegexp != "" {
		return fmt.Sprintf("%s (issuer matching %q)", s, id.IssuerRegexp)
	}
	return fmt.Sprintf("%s (issuer %q)", s, id.Issuer)
}

// certIdentity reads the SAN and the Fulcio OIDC issuer extension of a
// certificate, as sigstore-go summarises them for its own matching.
func certIdentity(c *x509.Certificate) (subject, issuer string, err error) {
	s, err := certificate.SummarizeCertificate(c)
	if err != nil {
		return "", "", err
	}
	return s.SubjectAlternativeName, s.Issuer, nil
}

// mismatch words an identity failure: who signed and who was expected.
func mismatch(leaf *x509.Certificate, id Identity) error {
	subj, iss, err := certIdentity(leaf)
	if err != nil {
		return errorf(bundle.ErrIdentity, "the signing certificate names no usable identity (%v), expected %s", err, id.expected())
	}
	return errorf(bundle.ErrIdentity, "signed by %q (issuer %q), expected %s; if you trust this signer, name that identity instead",
		subj, iss, id.expected())
}
