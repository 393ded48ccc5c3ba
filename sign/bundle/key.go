package bundle

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
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

// SignKey signs statement with one ECDSA key; see SignKeys.
func SignKey(statement []byte, key *ecdsa.PrivateKey, pubPEM []byte) ([]byte, error) {
	if key == nil {
		return nil, errors.New("sign: no private key")
	}
	return SignKeys(statement, []*Signer{{ec: key}}, pubPEM)
}

// checkStatement refuses what must never be signed.
func checkStatement(statement []byte) error {
	if len(statement) == 0 || !json.Valid(statement) {
		return errors.New("sign: statement is not valid JSON")
	}
	if len(statement) > manifest.MaxStatementSize {
		return fmt.Errorf("sign: statement is %d bytes, the limit is %d", len(statement), manifest.MaxStatementSize)
	}
	return nil
}

// seal signs the statement's PAE with every signer and writes the v0.3
// bundle carrying vm, laid out as model_signing v1.1 writes it. A single
// signature has keyid "" as the reference writes it; several (the hybrid
// extension) each carry their key's hint so a verifier can pair them.
func seal(statement []byte, signers []*Signer, vm VerificationMaterial) ([]byte, error) {
	pae := PAE(manifest.PayloadType, statement)
	sigs := make([]Signature, len(signers))
	for i, s := range signers {
		sig, err := s.sign(pae)
		if err != nil {
			return nil, fmt.Errorf("sign: %s: %v", s.Algorithm(), err)
		}
		sigs[i].Sig = base64.StdEncoding.EncodeToString(sig)
		if len(signers) > 1 {
			sigs[i].KeyID = s.Public().Hint()
		}
	}
	vm.TlogEntries = json.RawMessage("[]")
	b := Bundle{
		MediaType:            MediaTypeV03,
		VerificationMaterial: vm,
		DSSEEnvelope: &Envelope{
			Payload:     base64.StdEncoding.EncodeToString(statement),
			PayloadType: manifest.PayloadType,
			Signatures:  sigs,
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

// VerifyKey checks a key-based bundle against one ECDSA key; see
// VerifyKeys.
func VerifyKey(bundleJSON []byte, pub *ecdsa.PublicKey) ([]byte, error) {
	if pub == nil {
		return nil, errors.New("verify: no public key")
	}
	if _, _, err := curveInfo(pub.Curve); err != nil {
		return nil, err
	}
	return VerifyKeys(bundleJSON, []*Verifier{{ec: pub}})
}
