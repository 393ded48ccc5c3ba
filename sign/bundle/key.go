package bundle

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/modelward/modelward/sign/manifest"
)

// curveInfo gives the hash and the v1.0.x keyDetails name for a curve.
func curveInfo(c elliptic.Curve) (crypto.Hash, string, error) {
	switch c {
	case elliptic.P256():
		return crypto.SHA256, "PKIX_ECDSA_P256_SHA_256", nil
	case elliptic.P384():
		return crypto.SHA384, "PKIX_ECDSA_P384_SHA_384", nil
	case elliptic.P521():
		return crypto.SHA512, "PKIX_ECDSA_P521_SHA_512", nil
	}
	name := "unknown"
	if c != nil && c.Params() != nil {
		name = c.Params().Name
	}
	return 0, "", fmt.Errorf("%w: ECDSA curve %s (only P-256, P-384 and P-521 are supported)", ErrUnsupported, name)
}

func digest(h crypto.Hash, msg []byte) []byte {
	w := h.New()
	w.Write(msg)
	return w.Sum(nil)
}

// LoadPrivateKeyPEM reads an ECDSA private key from PEM: PKCS#8
// ("PRIVATE KEY") or SEC1 ("EC PRIVATE KEY"). Other blocks (such as
// "EC PARAMETERS" or text before the block) are skipped.
func LoadPrivateKeyPEM(b []byte) (*ecdsa.PrivateKey, error) {
	rest := b
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			return nil, fmt.Errorf("%w: no PEM private key found", ErrMalformed)
		}
		switch blk.Type {
		case "EC PRIVATE KEY":
			k, err := x509.ParseECPrivateKey(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%w: EC private key: %v", ErrMalformed, err)
			}
			if _, _, err := curveInfo(k.Curve); err != nil {
				return nil, err
			}
			return k, nil
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%w: PKCS#8 private key: %v", ErrMalformed, err)
			}
			ek, ok := k.(*ecdsa.PrivateKey)
			if !ok {
				return nil, fmt.Errorf("%w: private key is %T, only ECDSA keys are supported", ErrUnsupported, k)
			}
			if _, _, err := curveInfo(ek.Curve); err != nil {
				return nil, err
			}
			return ek, nil
		case "ENCRYPTED PRIVATE KEY":
			return nil, fmt.Errorf("%w: encrypted private keys are not supported; decrypt the key first", ErrUnsupported)
		}
	}
}

// LoadPublicKeyPEM reads an ECDSA public key from a PEM "PUBLIC KEY"
// (SubjectPublicKeyInfo) block; text before the block is skipped.
func LoadPublicKeyPEM(b []byte) (*ecdsa.PublicKey, error) {
	rest := b
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			return nil, fmt.Errorf("%w: no PEM public key found", ErrMalformed)
		}
		if blk.Type != "PUBLIC KEY" {
			continue
		}
		return parsePKIX(blk.Bytes)
	}
}

func parsePKIX(der []byte) (*ecdsa.PublicKey, error) {
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: public key: %v", ErrMalformed, err)
	}
	ek, ok := k.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: public key is %T, only ECDSA keys are supported", ErrUnsupported, k)
	}
	if _, _, err := curveInfo(ek.Curve); err != nil {
		return nil, err
	}
	return ek, nil
}

// publicPEM is the canonical PEM SubjectPublicKeyInfo encoding (64-column
// lines, trailing newline), the bytes the reference hashes for the hint.
func publicPEM(pub *ecdsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: public key: %v", ErrUnsupported, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// KeyHint is the v1.1.x publicKey.hint: hex sha256 of the canonical PEM
// encoding of the public key.
func KeyHint(pub *ecdsa.PublicKey) (string, error) {
	p, err := publicPEM(pub)
	if err != nil {
		return "", err
	}
	s := sha256.Sum256(p)
	return hex.EncodeToString(s[:]), nil
}

// SignKey signs statement (an in-toto statement, the DSSE payload) with key
// and returns a v0.3 bundle laid out like model_signing v1.1 key bundles:
// compact JSON, publicKey.hint, empty tlogEntries, keyid "". pubPEM, when
// non-nil, must hold the public half of key.
func SignKey(statement []byte, key *ecdsa.PrivateKey, pubPEM []byte) ([]byte, error) {
	if key == nil {
		return nil, errors.New("sign: no private key")
	}
	if len(statement) == 0 || !json.Valid(statement) {
		return nil, errors.New("sign: statement is not valid JSON")
	}
	if len(statement) > manifest.MaxStatementSize {
		return nil, fmt.Errorf("sign: statement is %d bytes, the limit is %d", len(statement), manifest.MaxStatementSize)
	}
	h, _, err := curveInfo(key.Curve)
	if err != nil {
		return nil, err
	}
	if pubPEM != nil {
		pub, err := LoadPublicKeyPEM(pubPEM)
		if err != nil {
			return nil, err
		}
		if !pub.Equal(&key.PublicKey) {
			return nil, fmt.Errorf("%w: the public key file does not belong to the private key", ErrWrongKey)
		}
	}
	hint, err := KeyHint(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	return seal(statement, key, h, VerificationMaterial{PublicKey: &PublicKey{Hint: hint}})
}

// seal signs the statement's PAE with the curve's hash h and writes the
// v0.3 bundle carrying vm, laid out as model_signing v1.1 writes it.
func seal(statement []byte, key *ecdsa.PrivateKey, h crypto.Hash, vm VerificationMaterial) ([]byte, error) {
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest(h, PAE(manifest.PayloadType, statement)))
	if err != nil {
		return nil, fmt.Errorf("sign: %v", err)
	}
	vm.TlogEntries = json.RawMessage("[]")
	b := Bundle{
		MediaType:            MediaTypeV03,
		VerificationMaterial: vm,
		DSSEEnvelope: &Envelope{
			Payload:     base64.StdEncoding.EncodeToString(statement),
			PayloadType: manifest.PayloadType,
			Signatures:  []Signature{{Sig: base64.StdEncoding.EncodeToString(sig)}},
		},
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&b); err != nil {
		return nil, fmt.Errorf("sign: %v", err)
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n")), nil
}

// VerifyKey checks a key-based bundle against pub and returns the signed
// statement (the DSSE payload). It checks the v0.3 media type, the in-toto
// payload type, any key identification in the bundle (v1.1 hint, v1.0
// rawBytes/keyDetails) and that at least one signature is a valid DER ECDSA
// signature over the PAE, hashed with the curve's hash.
func VerifyKey(bundleJSON []byte, pub *ecdsa.PublicKey) ([]byte, error) {
	if pub == nil {
		return nil, errors.New("verify: no public key")
	}
	h, details, err := curveInfo(pub.Curve)
	if err != nil {
		return nil, err
	}
	b, err := Parse(bundleJSON)
	if err != nil {
		return nil, err
	}
	if b.MediaType != MediaTypeV03 && b.MediaType != mediaTypeV03Alt {
		return nil, fmt.Errorf("%w: bundle mediaType %q (only %s is supported)", ErrUnsupported, b.MediaType, MediaTypeV03)
	}
	env := b.DSSEEnvelope
	if env.PayloadType != manifest.PayloadType {
		return nil, fmt.Errorf("%w: DSSE payloadType %q (expected %s)", ErrUnsupported, env.PayloadType, manifest.PayloadType)
	}
	vm := b.VerificationMaterial
	pk := vm.PublicKey
	if pk == nil {
		if len(vm.Certificate) > 0 || len(vm.X509CertificateChain) > 0 {
			return nil, fmt.Errorf("%w: bundle is signed with a certificate, not a key", ErrUnsupported)
		}
		return nil, fmt.Errorf("%w: bundle has no verificationMaterial.publicKey", ErrMalformed)
	}
	if pk.Hint != "" {
		want, err := KeyHint(pub)
		if err != nil {
			return nil, err
		}
		if pk.Hint != want {
			return nil, fmt.Errorf("%w: the bundle was signed with key %s, this key is %s", ErrWrongKey, pk.Hint, want)
		}
	}
	if pk.RawBytes != "" {
		raw, _ := decodeBase64(pk.RawBytes) // checked by Parse
		var bk *ecdsa.PublicKey
		if bytes.Contains(raw, []byte("-----BEGIN")) {
			bk, err = LoadPublicKeyPEM(raw)
		} else {
			bk, err = parsePKIX(raw)
		}
		if err != nil {
			return nil, fmt.Errorf("bundle publicKey.rawBytes: %w", err)
		}
		if !bk.Equal(pub) {
			return nil, fmt.Errorf("%w: the bundle carries a different public key", ErrWrongKey)
		}
	}
	if pk.KeyDetails != "" && pk.KeyDetails != details {
		return nil, fmt.Errorf("%w: the bundle was made with a %s key, this key is %s", ErrWrongKey, pk.KeyDetails, details)
	}
	payload, err := b.PayloadBytes()
	if err != nil {
		return nil, err
	}
	d := digest(h, PAE(env.PayloadType, payload))
	for _, s := range env.Signatures {
		sig, _ := decodeBase64(s.Sig) // checked by Parse
		if ecdsa.VerifyASN1(pub, d, sig) {
			return payload, nil
		}
	}
	return nil, fmt.Errorf("%w: no signature in the bundle verifies with this key (the model was signed by another key, or the bundle was altered)", ErrWrongKey)
}
