package sigstore

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/modelward/modelward/sign/bundle"
)

// payloadTypeInToto is the DSSE payload type of in-toto statements, the
// only payload model_signing signs.
const payloadTypeInToto = "application/vnd.in-toto+json"

// Bundle media types of v0.3, in the two spellings found in model folders.
// Older versions (v0.1, v0.2) are not written by model_signing v1.x and are
// refused rather than verified under weaker rules.
const (
	mediaTypeV03    = "application/vnd.dev.sigstore.bundle.v0.3+json"
	mediaTypeV03Alt = "application/vnd.dev.sigstore.bundle+json;version=0.3"
)

// Signer describes who signed, from the verified certificate and log entry.
// Every field comes out of verified material; show Subject and Issuer to
// users, and SignedAt and LogIndex to let them look the entry up in Rekor.
type Signer struct {
	Subject, Issuer string
	Certificate     *x509.Certificate
	SignedAt        time.Time // verified time (integrated/observer timestamp)
	LogIndex        int64     // Rekor log index, -1 when none
}

// Verify checks a keyless bundle (certificate chain to a Fulcio CA of the
// root at the verified signing time, SCT, transparency log inclusion and
// signature over the DSSE envelope) and the identity, and returns the
// verified DSSE payload (the in-toto statement bytes, not yet interpreted)
// and the signer.
//
// A Fulcio certificate lives for minutes, so it is checked at the time
// Rekor (and, when the bundle holds one, a timestamp authority) vouches
// for, never at the current time; this is why a transparency log entry is
// required. The caller must still compare the statement's subjects with
// the model on disk: Verify only proves who signed which statement.
//
// Errors wrap one of the classes of package sign/bundle: ErrMalformed,
// ErrUnsupported, ErrUntrusted, ErrExpired, ErrWrongKey or ErrIdentity.
func Verify(bundleJSON []byte, tr *TrustedRoot, id Identity) (payload []byte, signer *Signer, err error) {
	if tr == nil || tr.tr == nil {
		return nil, nil, errorf(bundle.ErrUntrusted, "no Sigstore trusted root given: load one (LoadTrustedRoot) or use DefaultTrustedRoot")
	}
	ci, err := id.policy()
	if err != nil {
		return nil, nil, err
	}
	sb, err := parse(bundleJSON)
	if err != nil {
		return nil, nil, err
	}
	vc, err := sb.VerificationContent()
	if err != nil {
		return nil, nil, errorf(bundle.ErrMalformed, "bundle verification material: %v", err)
	}
	leaf := vc.Certificate()
	if leaf == nil {
		return nil, nil, errorf(bundle.ErrUnsupported, "bundle carries no certificate, so it is not a Sigstore keyless signature")
	}
	env := sb.GetDsseEnvelope()
	payload = env.GetPayload()

	v, err := verify.NewVerifier(tr.tr,
		verify.WithSignedCertificateTimestamps(1),
		verify.WithTransparencyLog(1),
		verify.WithObserverTimestamps(1),
		verify.WithoutStatementPredicate())
	if err != nil {
		// Cannot happen (the options are constant); fail closed all the same.
		return nil, nil, errorf(bundle.ErrUntrusted, "cannot set up the Sigstore verifier: %v", err)
	}
	res, verr := v.Verify(sb, verify.NewPolicy(verify.WithoutArtifactUnsafe(), verify.WithCertificateIdentity(ci)))
	if verr != nil {
		return nil, nil, diagnose(verr, v, sb, leaf, tr, id, payload)
	}
	if res.Signature == nil || res.Signature.Certificate == nil {
		// Verify succeeded on a key: cannot happen once parse demanded a certificate.
		return nil, nil, errorf(bundle.ErrUnsupported, "bundle was verified with a key, not a Fulcio certificate")
	}
	signer = &Signer{
		Subject:     res.Signature.Certificate.SubjectAlternativeName,
		Issuer:      res.Signature.Certificate.Issuer,
		Certificate: leaf,
		SignedAt:    signedAt(res.VerifiedTimestamps),
		LogIndex:    logIndex(sb, tr),
	}
	return bytes.Clone(payload), signer, nil
}

// parse runs the cheap structural checks, which name precisely what is
// wrong, and then sigstore-go's own parser, whose result is what gets
// verified (so both parsers must accept the bundle).
func parse(bundleJSON []byte) (*sgbundle.Bundle, error) {
	if len(bundleJSON) > bundle.MaxBundleSize {
		return nil, errorf(bundle.ErrMalformed, "bundle is %d bytes, the limit is %d", len(bundleJSON), bundle.MaxBundleSize)
	}
	shape, err := bundle.Parse(bundleJSON)
	if err != nil {
		if isClass(err) {
			return nil, err
		}
		return nil, errorf(bundle.ErrMalformed, "%v", err)
	}
	if shape.MediaType != mediaTypeV03 && shape.MediaType != mediaTypeV03Alt {
		return nil, errorf(bundle.ErrUnsupported, "bundle mediaType %q: only Sigstore bundle v0.3 (%s) is supported", shape.MediaType, mediaTypeV03)
	}
	vm := shape.VerificationMaterial
	switch {
	case vm.PublicKey != nil:
		return nil, errorf(bundle.ErrUnsupported, "bundle is signed with a key, not a Sigstore keyless certificate: verify it with the signer's public key")
	case len(vm.X509CertificateChain) > 0:
		return nil, errorf(bundle.ErrUnsupported, "bundle carries an X.509 certificate chain (model_signing certificate mode), not a Sigstore keyless certificate: verify it with the chain's root certificate")
	case len(vm.Certificate) == 0:
		return nil, errorf(bundle.ErrMalformed, "bundle has no verificationMaterial.certificate")
	}
	var rc rawCertificate
	if err := decodeJSON(vm.Certificate, &rc, "verificationMaterial.certificate"); err != nil {
		return nil, err
	}
	if _, err := x509.ParseCertificate(rc.RawBytes); err != nil {
		return nil, errorf(bundle.ErrMalformed, "signing certificate: %v", err)
	}
	env := shape.DSSEEnvelope
	if env.PayloadType != payloadTypeInToto {
		return nil, errorf(bundle.ErrUnsupported, "DSSE payloadType %q: only in-toto statements (%s) are verified", env.PayloadType, payloadTypeInToto)
	}
	if len(env.Signatures) != 1 {
		return nil, errorf(bundle.ErrUnsupported, "DSSE envelope has %d signatures; a Sigstore bundle carries exactly one", len(env.Signatures))
	}

	var sb sgbundle.Bundle
	if err := sb.UnmarshalJSON(bundleJSON); err != nil {
		if errors.Is(err, sgbundle.ErrUnsupportedMediaType) {
			return nil, errorf(bundle.ErrUnsupported, "%v", err)
		}
		return nil, errorf(bundle.ErrMalformed, "not a valid Sigstore bundle: %v", err)
	}
	// Same document, two parsers: refuse anything they read differently
	// (duplicate keys, say) instead of checking one reading and reporting
	// the other.
	want, _ := shape.PayloadBytes() // checked by bundle.Parse
	env2 := sb.GetDsseEnvelope()
	if env2 == nil || !bytes.Equal(env2.GetPayload(), want) || env2.GetPayloadType() != env.PayloadType || len(env2.GetSignatures()) != 1 {
		return nil, errorf(bundle.ErrMalformed, "the DSSE envelope reads differently under two JSON parsers (duplicate or odd keys?)")
	}
	return &sb, nil
}

// diagnose classifies a failure of sigstore-go's Verify, which returns plain
// errors. Its verdict stands (this never turns a failure into success); the
// checks below only find which stage failed, in the order a user should fix
// things, re-running the exported stages of the library where it has them.
func diagnose(verr error, v *verify.Verifier, sb *sgbundle.Bundle, leaf *x509.Certificate, tr *TrustedRoot, id Identity, payload []byte) error {
	// Identity matching is the last stage: everything else passed.
	var idErr *verify.ErrNoMatchingCertificateIdentity
	if errors.As(verr, &idErr) {
		return mismatch(leaf, id)
	}

	env := sb.GetDsseEnvelope()
	sig := env.GetSignatures()[0].GetSig() // parse demanded exactly one
	if checkDSSE(leaf.PublicKey, bundle.PAE(env.GetPayloadType(), payload), sig) == sigBad {
		return errorf(bundle.ErrWrongKey, "the DSSE signature does not verify with the signing certificate's key: the statement or the signature was altered after signing")
	}

	if tr.fulcioCount() == 0 {
		return errorf(bundle.ErrUntrusted, "the trusted root holds no Fulcio certificate authority, so no keyless certificate can be trusted: use a trusted root that lists the Fulcio CA that issued it")
	}
	entries, err := sb.TlogEntries()
	if err != nil || len(entries) == 0 {
		return errorf(bundle.ErrUntrusted, "bundle has no transparency log entry: a keyless signature is trusted only once Rekor has logged it; re-sign with a Sigstore client that uploads to Rekor")
	}
	if tr.rekorCount() == 0 {
		return errorf(bundle.ErrUntrusted, "the trusted root holds no Rekor key, so the transparency log entry cannot be checked: use a trusted root that lists the log")
	}
	logTimes, err := v.VerifyTransparencyLogInclusion(sb)
	if err != nil {
		return errorf(bundle.ErrUntrusted, "the transparency log entry does not verify against the Rekor keys of the trusted root (altered, from another log, or not this signature's entry): %v", oneLine(err))
	}
	times, err := v.VerifyObserverTimestamps(sb, logTimes)
	if err != nil {
		return errorf(bundle.ErrUntrusted, "no verified signing time (Rekor integrated time or RFC 3161 timestamp): %v", oneLine(err))
	}
	if err := outsideValidity(leaf, times); err != nil {
		return err
	}
	for _, ts := range times {
		chains, err := verify.VerifyLeafCertificate(ts.Timestamp, leaf, tr.tr)
		if err != nil {
			return errorf(bundle.ErrUntrusted, "the signing certificate (issued by %q) does not chain to a Fulcio CA of the trusted root valid at %s: the root is out of date or the certificate comes from another Sigstore instance",
				leaf.Issuer.String(), ts.Timestamp.UTC().Format(time.RFC3339))
		}
		if err := verify.VerifySignedCertificateTimestamp(chains, 1, tr.tr); err != nil {
			return errorf(bundle.ErrUntrusted, "the signing certificate has no valid signed certificate timestamp from a CT log of the trusted root: %v", oneLine(err))
		}
	}
	// Everything the library exposes passed on its own; report its verdict.
	if checkDSSE(leaf.PublicKey, bundle.PAE(env.GetPayloadType(), payload), sig) == sigUnknown {
		return errorf(bundle.ErrWrongKey, "the DSSE signature does not verify with the signing certificate's %T key: %v", leaf.PublicKey, oneLine(verr))
	}
	return errorf(bundle.ErrUntrusted, "keyless verification failed: %v", oneLine(verr))
}

// outsideValidity reports, as ErrExpired, a verified signing time at which
// the leaf certificate was not valid. Fulcio certificates live about ten
// minutes, so this means the log or timestamp authority saw the signature
// after the certificate had expired (or before it was issued).
func outsideValidity(leaf *x509.Certificate, times []verify.TimestampVerificationResult) error {
	for _, ts := range times {
		if ts.Timestamp.Before(leaf.NotBefore) || ts.Timestamp.After(leaf.NotAfter) {
			return errorf(bundle.ErrExpired, "the signing certificate for %s is valid from %s to %s, but the signature was made at %s (%s time): it was signed or logged outside the certificate's lifetime",
				sanOf(leaf), leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339), ts.Timestamp.UTC().Format(time.RFC3339), ts.Type)
		}
	}
	return nil
}

// oneLine folds the multi-line messages some sigstore-go errors carry
// (Merkle roots printed as byte lists) into one line for logs and terminals.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// sanOf names a certificate's subject for messages.
func sanOf(c *x509.Certificate) string {
	if s, _, err := certIdentity(c); err == nil {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q", c.Subject.String())
}

type sigResult int

const (
	sigUnknown sigResult = iota // key type not checked here; sigstore-go decides
	sigGood
	sigBad
)

// checkDSSE verifies sig over the DSSE pre-authentication encoding with
// pub, as sigstore-go does for bundles up to v0.3 (ECDSA with the curve's
// hash, or SHA-256 as older clients used; pure Ed25519). It serves only to
// classify a failure as ErrWrongKey; acceptance is sigstore-go's.
func checkDSSE(pub crypto.PublicKey, pae, sig []byte) sigResult {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		s256 := sha256.Sum256(pae)
		digests := [][]byte{s256[:]}
		switch k.Curve {
		case elliptic.P384():
			s384 := sha512.Sum384(pae)
			digests = append(digests, s384[:])
		case elliptic.P521():
			s512 := sha512.Sum512(pae)
			digests = append(digests, s512[:])
		}
		for _, d := range digests {
			if ecdsa.VerifyASN1(k, d, sig) {
				return sigGood
			}
		}
		return sigBad
	case ed25519.PublicKey:
		if ed25519.Verify(k, pae, sig) {
			return sigGood
		}
		return sigBad
	}
	return sigUnknown
}

// signedAt picks the time to show: Rekor's integrated time, the one the
// log entry (LogIndex) records; else the earliest verified timestamp.
func signedAt(ts []verify.TimestampVerificationResult) time.Time {
	var best time.Time
	for _, t := range ts {
		if t.Type == "Tlog" {
			return t.Timestamp
		}
		if best.IsZero() || t.Timestamp.Before(best) {
			best = t.Timestamp
		}
	}
	return best
}

// logIndex returns the index of the first log entry from a log the root
// knows (the one that can have verified), or -1.
func logIndex(sb *sgbundle.Bundle, tr *TrustedRoot) int64 {
	entries, err := sb.TlogEntries()
	if err != nil {
		return -1
	}
	logs := tr.tr.RekorLogs()
	for _, e := range entries {
		if _, ok := logs[fmt.Sprintf("%x", e.LogKeyID())]; ok {
			return e.LogIndex()
		}
	}
	return -1
}
