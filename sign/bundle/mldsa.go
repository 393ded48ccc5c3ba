package bundle

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
)

// ML-DSA-65 keys (FIPS 204) are written as RFC 9881 describes: a
// SubjectPublicKeyInfo whose algorithm is id-ml-dsa-65 with absent
// parameters and whose BIT STRING is the raw public key, and a PKCS#8
// OneAsymmetricKey whose privateKey OCTET STRING holds the
// ML-DSA-PrivateKey CHOICE: seed [0] (written), expandedKey, or both (read).
// crypto/x509 does not know the algorithm yet, so the encoding is done here.

var oidMLDSA65 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 18}

type spki struct {
	Algorithm pkix.AlgorithmIdentifier
	PublicKey asn1.BitString
}

type oneAsymmetricKey struct {
	Version    int
	Algorithm  pkix.AlgorithmIdentifier
	PrivateKey []byte
	Attributes asn1.RawValue `asn1:"optional,tag:0"`
	PublicKey  asn1.RawValue `asn1:"optional,tag:1"`
}

// isMLDSA65 reports whether DER (SPKI or PKCS#8) names id-ml-dsa-65,
// without parsing the key.
func isMLDSA65(der []byte) bool {
	enc, _ := asn1.Marshal(oidMLDSA65)
	return bytes.Contains(der[:min(len(der), 32)], enc)
}

func marshalMLDSAPublic(pk *mldsa65.PublicKey) []byte {
	der, _ := asn1.Marshal(spki{
		Algorithm: pkix.AlgorithmIdentifier{Algorithm: oidMLDSA65},
		PublicKey: asn1.BitString{Bytes: pk.Bytes(), BitLength: 8 * mldsa65.PublicKeySize},
	})
	return der
}

func parseMLDSAPublic(der []byte) (*mldsa65.PublicKey, error) {
	var k spki
	rest, err := asn1.Unmarshal(der, &k)
	if err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: ML-DSA-65 public key is not a SubjectPublicKeyInfo", ErrMalformed)
	}
	if !k.Algorithm.Algorithm.Equal(oidMLDSA65) || len(k.Algorithm.Parameters.FullBytes) != 0 {
		return nil, fmt.Errorf("%w: public key algorithm %v (expected id-ml-dsa-65 without parameters)", ErrUnsupported, k.Algorithm.Algorithm)
	}
	if k.PublicKey.BitLength != 8*mldsa65.PublicKeySize || len(k.PublicKey.Bytes) != mldsa65.PublicKeySize {
		return nil, fmt.Errorf("%w: ML-DSA-65 public key is %d bits, expected %d", ErrMalformed, k.PublicKey.BitLength, 8*mldsa65.PublicKeySize)
	}
	var pk mldsa65.PublicKey
	if err := pk.UnmarshalBinary(k.PublicKey.Bytes); err != nil {
		return nil, fmt.Errorf("%w: ML-DSA-65 public key: %v", ErrMalformed, err)
	}
	return &pk, nil
}

// marshalMLDSAPrivate writes the seed form, the smallest and the one every
// RFC 9881 reader accepts.
func marshalMLDSAPrivate(seed []byte) ([]byte, error) {
	inner, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, Bytes: seed})
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(oneAsymmetricKey{
		Algorithm:  pkix.AlgorithmIdentifier{Algorithm: oidMLDSA65},
		PrivateKey: inner,
	})
}

func parseMLDSAPrivate(der []byte) (*mldsa65.PrivateKey, error) {
	var k oneAsymmetricKey
	rest, err := asn1.Unmarshal(der, &k)
	if err != nil || len(rest) != 0 || (k.Version != 0 && k.Version != 1) {
		return nil, fmt.Errorf("%w: ML-DSA-65 private key is not PKCS#8", ErrMalformed)
	}
	if !k.Algorithm.Algorithm.Equal(oidMLDSA65) {
		return nil, fmt.Errorf("%w: private key algorithm %v", ErrUnsupported, k.Algorithm.Algorithm)
	}
	var choice asn1.RawValue
	if rest, err := asn1.Unmarshal(k.PrivateKey, &choice); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: ML-DSA-65 private key body", ErrMalformed)
	}
	switch {
	case choice.Class == asn1.ClassContextSpecific && choice.Tag == 0: // seed
		return mldsaFromSeed(choice.Bytes)
	case choice.Class == asn1.ClassUniversal && choice.Tag == asn1.TagOctetString: // expandedKey
		return mldsaFromExpanded(choice.Bytes)
	case choice.Class == asn1.ClassUniversal && choice.Tag == asn1.TagSequence: // both
		var both struct{ Seed, Expanded []byte }
		if rest, err := asn1.Unmarshal(choice.FullBytes, &both); err != nil || len(rest) != 0 {
			return nil, fmt.Errorf("%w: ML-DSA-65 private key (seed and expanded key)", ErrMalformed)
		}
		sk, err := mldsaFromSeed(both.Seed)
		if err != nil {
			return nil, err
		}
		// A key file whose halves disagree is corrupt or forged; never
		// pick one silently.
		if !bytes.Equal(sk.Bytes(), both.Expanded) {
			return nil, fmt.Errorf("%w: ML-DSA-65 private key seed and expanded key disagree", ErrMalformed)
		}
		return sk, nil
	}
	return nil, fmt.Errorf("%w: ML-DSA-65 private key form", ErrUnsupported)
}

func mldsaFromSeed(seed []byte) (*mldsa65.PrivateKey, error) {
	if len(seed) != mldsa65.SeedSize {
		return nil, fmt.Errorf("%w: ML-DSA-65 seed is %d bytes, expected %d", ErrMalformed, len(seed), mldsa65.SeedSize)
	}
	_, sk := mldsa65.NewKeyFromSeed((*[mldsa65.SeedSize]byte)(seed))
	return sk, nil
}

func mldsaFromExpanded(b []byte) (*mldsa65.PrivateKey, error) {
	if len(b) != mldsa65.PrivateKeySize {
		return nil, fmt.Errorf("%w: ML-DSA-65 expanded key is %d bytes, expected %d", ErrMalformed, len(b), mldsa65.PrivateKeySize)
	}
	var sk mldsa65.PrivateKey
	if err := sk.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("%w: ML-DSA-65 expanded key: %v", ErrMalformed, err)
	}
	return &sk, nil
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}
