package bundle

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/modelward/modelward/sign/manifest"
)

// Key algorithms, as named on the command line and in messages.
const (
	AlgECDSAP256 = "ecdsa-p256"
	AlgECDSAP384 = "ecdsa-p384"
	AlgECDSAP521 = "ecdsa-p521"
	AlgMLDSA65   = "ml-dsa-65"
	// AlgHybrid is ECDSA P-256 and ML-DSA-65 over the same payload, a
	// modelward extension: the key files hold both keys, the bundle both
	// signatures, and both must verify.
	AlgHybrid = "hybrid-p256-ml-dsa-65"
)

// Algorithms lists what GenerateKeys accepts.
var Algorithms = []string{AlgECDSAP256, AlgECDSAP384, AlgECDSAP521, AlgMLDSA65, AlgHybrid}

// maxKeysPerFile bounds the keys read from one PEM file.
const maxKeysPerFile = 4

// Signer is one private key: ECDSA (P-256, P-384, P-521) or ML-DSA-65.
type Signer struct {
	ec *ecdsa.PrivateKey
	ml *mldsa65.PrivateKey
}

// Verifier is one public key: ECDSA or ML-DSA-65.
type Verifier struct {
	ec *ecdsa.PublicKey
	ml *mldsa65.PublicKey
}

// Algorithm names the key's algorithm.
func (s *Signer) Algorithm() string { return s.Public().Algorithm() }

// Public returns the verifier for the signer's public half.
func (s *Signer) Public() *Verifier {
	if s.ml != nil {
		return &Verifier{ml: s.ml.Public().(*mldsa65.PublicKey)}
	}
	return &Verifier{ec: &s.ec.PublicKey}
}

// sign signs the DSSE pre-authentication encoding. ECDSA signs the curve's
// hash of it (DER signature, as the reference); ML-DSA-65 signs it whole,
// hedged (randomised), with an empty context string.
func (s *Signer) sign(pae []byte) ([]byte, error) {
	if s.ml != nil {
		sig := make([]byte, mldsa65.SignatureSize)
		if err := mldsa65.SignTo(s.ml, pae, nil, true, sig); err != nil {
			return nil, err
		}
		return sig, nil
	}
	h, _, err := curveInfo(s.ec.Curve)
	if err != nil {
		return nil, err
	}
	return ecdsa.SignASN1(rand.Reader, s.ec, digest(h, pae))
}

// PrivatePEM encodes the key as a PKCS#8 "PRIVATE KEY" PEM block.
func (s *Signer) PrivatePEM() ([]byte, error) {
	if s.ml != nil {
		der, err := marshalMLDSAPrivate(s.ml.Seed())
		if err != nil {
			return nil, err
		}
		return pemBlock("PRIVATE KEY", der), nil
	}
	der, err := x509.MarshalPKCS8PrivateKey(s.ec)
	if err != nil {
		return nil, err
	}
	return pemBlock("PRIVATE KEY", der), nil
}

// Algorithm names the key's algorithm.
func (v *Verifier) Algorithm() string {
	if v.ml != nil {
		return AlgMLDSA65
	}
	switch v.ec.Curve {
	case elliptic.P256():
		return AlgECDSAP256
	case elliptic.P384():
		return AlgECDSAP384
	}
	return AlgECDSAP521
}

// PEM is the canonical "PUBLIC KEY" PEM block (the bytes hints hash).
func (v *Verifier) PEM() []byte {
	if v.ml != nil {
		return pemBlock("PUBLIC KEY", marshalMLDSAPublic(v.ml))
	}
	p, _ := publicPEM(v.ec) // curves were checked when the key was loaded
	return p
}

// Hint is hex sha256 of PEM(), the reference's publicKey.hint.
func (v *Verifier) Hint() string {
	s := sha256.Sum256(v.PEM())
	return hex.EncodeToString(s[:])
}

func (v *Verifier) verify(pae, sig []byte) bool {
	if v.ml != nil {
		return mldsa65.Verify(v.ml, pae, nil, sig)
	}
	h, _, err := curveInfo(v.ec.Curve)
	return err == nil && ecdsa.VerifyASN1(v.ec, digest(h, pae), sig)
}

func (v *Verifier) equal(o *Verifier) bool {
	if v.ml != nil || o.ml != nil {
		return v.ml != nil && o.ml != nil && v.ml.Equal(o.ml)
	}
	return v.ec.Equal(o.ec)
}

// setHint identifies a set of keys: the hint of their PEM blocks
// concatenated in order. For one key it is that key's hint, exactly as the
// reference computes it.
func setHint(vs []*Verifier) string {
	var all []byte
	for _, v := range vs {
		all = append(all, v.PEM()...)
	}
	s := sha256.Sum256(all)
	return hex.EncodeToString(s[:])
}

// GenerateKeys makes fresh keys for alg (one of Algorithms): two for the
// hybrid, ECDSA first.
func GenerateKeys(alg string) ([]*Signer, error) {
	switch alg {
	case AlgECDSAP256, AlgECDSAP384, AlgECDSAP521:
		c := map[string]elliptic.Curve{AlgECDSAP256: elliptic.P256(), AlgECDSAP384: elliptic.P384(), AlgECDSAP521: elliptic.P521()}[alg]
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			return nil, err
		}
		return []*Signer{{ec: k}}, nil
	case AlgMLDSA65:
		_, k, err := mldsa65.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		return []*Signer{{ml: k}}, nil
	case AlgHybrid:
		e, err := GenerateKeys(AlgECDSAP256)
		if err != nil {
			return nil, err
		}
		m, err := GenerateKeys(AlgMLDSA65)
		if err != nil {
			return nil, err
		}
		return append(e, m...), nil
	}
	return nil, fmt.Errorf("%w: key algorithm %q (supported: %s)", ErrUnsupported, alg, strings.Join(Algorithms, ", "))
}

// LoadSignersPEM reads every private key of a PEM file: ECDSA (PKCS#8 or
// SEC1) and ML-DSA-65 (PKCS#8). A hybrid key file holds one of each.
func LoadSignersPEM(b []byte) ([]*Signer, error) {
	var out []*Signer
	for rest := b; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		switch {
		case blk.Type == "PRIVATE KEY" && isMLDSA65(blk.Bytes):
			k, err := parseMLDSAPrivate(blk.Bytes)
			if err != nil {
				return nil, err
			}
			out = append(out, &Signer{ml: k})
		case blk.Type == "PRIVATE KEY" || blk.Type == "EC PRIVATE KEY" || blk.Type == "ENCRYPTED PRIVATE KEY":
			k, err := LoadPrivateKeyPEM(pem.EncodeToMemory(blk))
			if err != nil {
				return nil, err
			}
			out = append(out, &Signer{ec: k})
		}
		if len(out) > maxKeysPerFile {
			return nil, fmt.Errorf("%w: more than %d private keys in one file", ErrMalformed, maxKeysPerFile)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no PEM private key found", ErrMalformed)
	}
	return out, checkKeySet(len(out), func(i int) *Verifier { return out[i].Public() })
}

// LoadVerifiersPEM reads every "PUBLIC KEY" block of a PEM file (ECDSA or
// ML-DSA-65); text between blocks is skipped.
func LoadVerifiersPEM(b []byte) ([]*Verifier, error) {
	var out []*Verifier
	for rest := b; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "PUBLIC KEY" {
			continue
		}
		if isMLDSA65(blk.Bytes) {
			k, err := parseMLDSAPublic(blk.Bytes)
			if err != nil {
				return nil, err
			}
			out = append(out, &Verifier{ml: k})
		} else {
			k, err := parsePKIX(blk.Bytes)
			if err != nil {
				return nil, err
			}
			out = append(out, &Verifier{ec: k})
		}
		if len(out) > maxKeysPerFile {
			return nil, fmt.Errorf("%w: more than %d public keys in one file", ErrMalformed, maxKeysPerFile)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no PEM public key found", ErrMalformed)
	}
	return out, checkKeySet(len(out), func(i int) *Verifier { return out[i] })
}

// checkKeySet refuses a file that names the same key twice: a "hybrid"
// of one key twice would look stronger than it is.
func checkKeySet(n int, at func(int) *Verifier) error {
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if at(i).equal(at(j)) {
				return fmt.Errorf("%w: the key file holds the same key twice", ErrMalformed)
			}
		}
	}
	return nil
}

// SignKeys signs statement (an in-toto statement, the DSSE payload) with
// every signer and returns a v0.3 bundle laid out like model_signing v1.1
// key bundles: compact JSON, publicKey.hint, empty tlogEntries. With one
// ECDSA key the bundle is exactly what the reference writes and reads; with
// ML-DSA-65 or several keys it is a modelward extension (the hint covers
// the whole key set; each signature's keyid is its key's hint). pubPEM,
// when non-nil, must hold exactly the signers' public keys.
func SignKeys(statement []byte, signers []*Signer, pubPEM []byte) ([]byte, error) {
	if len(signers) == 0 {
		return nil, errors.New("sign: no private key")
	}
	if err := checkStatement(statement); err != nil {
		return nil, err
	}
	pubs := make([]*Verifier, len(signers))
	for i, s := range signers {
		pubs[i] = s.Public()
	}
	if pubPEM != nil {
		given, err := LoadVerifiersPEM(pubPEM)
		if err != nil {
			return nil, err
		}
		if !sameKeys(given, pubs) {
			return nil, fmt.Errorf("%w: the public key file does not belong to the private key", ErrWrongKey)
		}
	}
	return seal(statement, signers, VerificationMaterial{PublicKey: &PublicKey{Hint: setHint(pubs)}})
}

func sameKeys(a, b []*Verifier) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].equal(b[i]) {
			return false
		}
	}
	return true
}

// VerifyKeys checks a key-based bundle against a set of public keys and
// returns the signed statement (the DSSE payload). It checks the v0.3 media
// type, the in-toto payload type, the key identification in the bundle
// (v1.1 hint, v1.0 rawBytes/keyDetails) and that every key has a valid
// signature over the PAE: a hybrid key set is satisfied only when both its
// ECDSA and its ML-DSA-65 signatures verify.
func VerifyKeys(bundleJSON []byte, keys []*Verifier) ([]byte, error) {
	if len(keys) == 0 {
		return nil, errors.New("verify: no public key")
	}
	b, env, err := parseDSSE(bundleJSON)
	if err != nil {
		return nil, err
	}
	pk := b.VerificationMaterial.PublicKey
	if pk == nil {
		if len(b.VerificationMaterial.Certificate) > 0 || len(b.VerificationMaterial.X509CertificateChain) > 0 {
			return nil, fmt.Errorf("%w: bundle is signed with a certificate, not a key", ErrUnsupported)
		}
		return nil, fmt.Errorf("%w: bundle has no verificationMaterial.publicKey", ErrMalformed)
	}
	if err := checkKeyID(pk, keys); err != nil {
		return nil, err
	}
	payload, err := b.PayloadBytes()
	if err != nil {
		return nil, err
	}
	pae := PAE(env.PayloadType, payload)
	for _, k := range keys {
		if !anyVerifies(k, env.Signatures, pae) {
			what := "no signature in the bundle verifies with this key (the model was signed by another key, or the bundle was altered)"
			if len(keys) > 1 {
				what = fmt.Sprintf("the %s signature is missing or does not verify (both signatures of a hybrid bundle must verify)", k.Algorithm())
			}
			return nil, fmt.Errorf("%w: %s", ErrWrongKey, what)
		}
	}
	return payload, nil
}

func anyVerifies(k *Verifier, sigs []Signature, pae []byte) bool {
	for _, s := range sigs {
		sig, _ := decodeBase64(s.Sig) // checked by Parse
		if k.verify(pae, sig) {
			return true
		}
	}
	return false
}

// checkKeyID compares the bundle's key identification with the keys.
func checkKeyID(pk *PublicKey, keys []*Verifier) error {
	if pk.Hint != "" {
		if want := setHint(keys); pk.Hint != want {
			return fmt.Errorf("%w: the bundle was signed with key %s, this key is %s", ErrWrongKey, pk.Hint, want)
		}
	}
	if pk.RawBytes == "" && pk.KeyDetails == "" {
		return nil
	}
	// v1.0.x bundles describe a single ECDSA key.
	if len(keys) != 1 || keys[0].ec == nil {
		return fmt.Errorf("%w: the bundle names one ECDSA key, %d key(s) given", ErrWrongKey, len(keys))
	}
	pub := keys[0].ec
	if pk.RawBytes != "" {
		raw, _ := decodeBase64(pk.RawBytes) // checked by Parse
		var bk *ecdsa.PublicKey
		var err error
		if bytes.Contains(raw, []byte("-----BEGIN")) {
			bk, err = LoadPublicKeyPEM(raw)
		} else {
			bk, err = parsePKIX(raw)
		}
		if err != nil {
			return fmt.Errorf("bundle publicKey.rawBytes: %w", err)
		}
		if !bk.Equal(pub) {
			return fmt.Errorf("%w: the bundle carries a different public key", ErrWrongKey)
		}
	}
	if _, details, _ := curveInfo(pub.Curve); pk.KeyDetails != "" && pk.KeyDetails != details {
		return fmt.Errorf("%w: the bundle was made with a %s key, this key is %s", ErrWrongKey, pk.KeyDetails, details)
	}
	return nil
}

// parseDSSE parses a bundle and checks the media type and payload type
// every signing mode shares.
func parseDSSE(bundleJSON []byte) (*Bundle, *Envelope, error) {
	b, err := Parse(bundleJSON)
	if err != nil {
		return nil, nil, err
	}
	if b.MediaType != MediaTypeV03 && b.MediaType != mediaTypeV03Alt {
		return nil, nil, fmt.Errorf("%w: bundle mediaType %q (only %s is supported)", ErrUnsupported, b.MediaType, MediaTypeV03)
	}
	env := b.DSSEEnvelope
	if env.PayloadType != manifest.PayloadType {
		return nil, nil, fmt.Errorf("%w: DSSE payloadType %q (expected %s)", ErrUnsupported, env.PayloadType, manifest.PayloadType)
	}
	return b, env, nil
}

// SignMessage signs msg as a whole (ECDSA over the curve's hash of it;
// ML-DSA-65 over msg): for records other than bundles, such as the
// registry's audit checkpoints. Callers prefix msg with their own domain.
func (s *Signer) SignMessage(msg []byte) ([]byte, error) { return s.sign(msg) }

// VerifyMessage checks a SignMessage signature.
func (v *Verifier) VerifyMessage(msg, sig []byte) bool { return v.verify(msg, sig) }
