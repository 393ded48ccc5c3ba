// Package bundle reads and writes Sigstore bundles (media type
// application/vnd.dev.sigstore.bundle.v0.3+json) that carry a DSSE envelope,
// the container the OpenSSF model signing reference (Python model_signing
// v1.x) uses for model signatures. ECDSA signatures made with a plain key
// (key.go) or with a key certified by an X.509 chain (cert.go) are signed
// and verified here; Sigstore keyless bundles are not yet verified.
package bundle

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Format constants.
const (
	MediaTypeV03    = "application/vnd.dev.sigstore.bundle.v0.3+json"
	mediaTypeV03Alt = "application/vnd.dev.sigstore.bundle+json;version=0.3"
	mediaTypePrefix = "application/vnd.dev.sigstore.bundle"
)

// Limits applied by Parse.
const (
	MaxBundleSize = 16 << 20 // bytes of bundle JSON
	MaxSignatures = 16
)

// Error classes. Returned errors wrap one of these; test with errors.Is.
var (
	// ErrMalformed: the bundle (or key) is not well-formed.
	ErrMalformed = errors.New("malformed signature bundle")
	// ErrUnsupported: well-formed but uses a format or algorithm this
	// implementation does not handle.
	ErrUnsupported = errors.New("unsupported signature bundle")
	// ErrWrongKey: the signature does not verify with the given key, or the
	// bundle names a different key.
	ErrWrongKey = errors.New("signature does not match the public key")
)

// Bundle is the JSON shape of a v0.3 Sigstore bundle holding a DSSE envelope.
type Bundle struct {
	MediaType            string               `json:"mediaType"`
	VerificationMaterial VerificationMaterial `json:"verificationMaterial"`
	DSSEEnvelope         *Envelope            `json:"dsseEnvelope,omitempty"`
}

// VerificationMaterial holds what identifies the signer. Certificate forms
// and transparency data are kept verbatim for later use.
type VerificationMaterial struct {
	PublicKey                 *PublicKey      `json:"publicKey,omitempty"`
	Certificate               json.RawMessage `json:"certificate,omitempty"`
	X509CertificateChain      json.RawMessage `json:"x509CertificateChain,omitempty"`
	TlogEntries               json.RawMessage `json:"tlogEntries,omitempty"`
	TimestampVerificationData json.RawMessage `json:"timestampVerificationData,omitempty"`
}

// PublicKey identifies a signing key. model_signing v1.1.x writes Hint (hex
// sha256 of the PEM public key); v1.0.x wrote RawBytes (base64 of the PEM)
// and KeyDetails (e.g. "PKIX_ECDSA_P384_SHA_384").
type PublicKey struct {
	Hint       string `json:"hint,omitempty"`
	RawBytes   string `json:"rawBytes,omitempty"`
	KeyDetails string `json:"keyDetails,omitempty"`
}

// Envelope is a DSSE envelope; Payload and Signature.Sig are base64.
type Envelope struct {
	Payload     string      `json:"payload"`
	PayloadType string      `json:"payloadType"`
	Signatures  []Signature `json:"signatures"`
}

// Signature is one DSSE signature.
type Signature struct {
	Sig   string `json:"sig"`
	KeyID string `json:"keyid"`
}

// PAE is the DSSE v1 pre-authentication encoding:
// "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in ASCII decimal.
func PAE(payloadType string, payload []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(payloadType) + len(payload) + 32)
	b.WriteString("DSSEv1 ")
	b.WriteString(strconv.Itoa(len(payloadType)))
	b.WriteByte(' ')
	b.WriteString(payloadType)
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(len(payload)))
	b.WriteByte(' ')
	b.Write(payload)
	return b.Bytes()
}

// decodeBase64 accepts standard or URL-safe base64, padded or not.
func decodeBase64(s string) ([]byte, error) {
	var firstErr error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		b, err := enc.Strict().DecodeString(s)
		if err == nil {
			return b, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, firstErr
}

// Parse decodes and structurally checks a bundle: size, media type family,
// a DSSE envelope with a payload type, a base64 payload and 1..MaxSignatures
// base64 signatures. It does not verify anything cryptographically.
func Parse(b []byte) (*Bundle, error) {
	if len(b) > MaxBundleSize {
		return nil, fmt.Errorf("%w: bundle is %d bytes, the limit is %d", ErrMalformed, len(b), MaxBundleSize)
	}
	var bun Bundle
	if err := json.Unmarshal(b, &bun); err != nil {
		return nil, fmt.Errorf("%w: not valid bundle JSON: %v", ErrMalformed, err)
	}
	if bun.MediaType == "" {
		return nil, fmt.Errorf("%w: missing mediaType", ErrMalformed)
	}
	if !strings.HasPrefix(bun.MediaType, mediaTypePrefix) {
		return nil, fmt.Errorf("%w: mediaType %q is not a Sigstore bundle", ErrUnsupported, bun.MediaType)
	}
	env := bun.DSSEEnvelope
	if env == nil {
		return nil, fmt.Errorf("%w: bundle has no dsseEnvelope (message-signature bundles are not supported)", ErrUnsupported)
	}
	if env.PayloadType == "" {
		return nil, fmt.Errorf("%w: dsseEnvelope has no payloadType", ErrMalformed)
	}
	if env.Payload == "" {
		return nil, fmt.Errorf("%w: dsseEnvelope has no payload", ErrMalformed)
	}
	if _, err := decodeBase64(env.Payload); err != nil {
		return nil, fmt.Errorf("%w: dsseEnvelope payload is not base64: %v", ErrMalformed, err)
	}
	if len(env.Signatures) == 0 {
		return nil, fmt.Errorf("%w: dsseEnvelope has no signatures", ErrMalformed)
	}
	if len(env.Signatures) > MaxSignatures {
		return nil, fmt.Errorf("%w: dsseEnvelope has %d signatures, the limit is %d", ErrMalformed, len(env.Signatures), MaxSignatures)
	}
	for i, s := range env.Signatures {
		if s.Sig == "" {
			return nil, fmt.Errorf("%w: signature %d is empty", ErrMalformed, i)
		}
		if _, err := decodeBase64(s.Sig); err != nil {
			return nil, fmt.Errorf("%w: signature %d is not base64: %v", ErrMalformed, i, err)
		}
	}
	if pk := bun.VerificationMaterial.PublicKey; pk != nil && pk.RawBytes != "" {
		if _, err := decodeBase64(pk.RawBytes); err != nil {
			return nil, fmt.Errorf("%w: publicKey.rawBytes is not base64: %v", ErrMalformed, err)
		}
	}
	return &bun, nil
}

// PayloadBytes returns the decoded DSSE payload (the signed statement,
// unverified). The bundle must come from Parse.
func (b *Bundle) PayloadBytes() ([]byte, error) {
	if b.DSSEEnvelope == nil {
		return nil, fmt.Errorf("%w: bundle has no dsseEnvelope", ErrMalformed)
	}
	p, err := decodeBase64(b.DSSEEnvelope.Payload)
	if err != nil {
		return nil, fmt.Errorf("%w: dsseEnvelope payload is not base64: %v", ErrMalformed, err)
	}
	return p, nil
}
