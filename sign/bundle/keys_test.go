package bundle

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
)

func keyFiles(t *testing.T, alg string) (priv, pub []byte) {
	t.Helper()
	ss, err := GenerateKeys(alg)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		p, err := s.PrivatePEM()
		if err != nil {
			t.Fatal(err)
		}
		priv = append(priv, p...)
		pub = append(pub, s.Public().PEM()...)
	}
	return priv, pub
}

// The ML-DSA-65 encodings are byte-exact to RFC 9881: the seed-form
// OneAsymmetricKey and the SubjectPublicKeyInfo start with these headers.
func TestMLDSAEncodingsFollowRFC9881(t *testing.T) {
	priv, pub := keyFiles(t, AlgMLDSA65)
	pb, _ := pem.Decode(priv)
	wantPriv := "3034020100300b0609608648016503040312042280 20"
	if got := hex.EncodeToString(pb.Bytes[:22]); got != strings.ReplaceAll(wantPriv, " ", "") || len(pb.Bytes) != 54 {
		t.Errorf("private key DER starts %s (len %d)", got, len(pb.Bytes))
	}
	kb, _ := pem.Decode(pub)
	wantPub := "308207b2300b0609608648016503040312038207a100"
	if got := hex.EncodeToString(kb.Bytes[:22]); got != wantPub || len(kb.Bytes) != 4+0x7b2 {
		t.Errorf("public key DER starts %s (len %d)", got, len(kb.Bytes))
	}
	// The expanded and "both" forms read back to the same key; a "both"
	// whose halves disagree is refused.
	ss, err := LoadSignersPEM(priv)
	if err != nil {
		t.Fatal(err)
	}
	seed := ss[0].ml.Seed()
	expanded := ss[0].ml.Bytes()
	for name, inner := range map[string][]byte{
		"expanded": mustDER(t, expanded, 0x04),
		"both":     mustDER(t, append(mustDER(t, seed, 0x04), mustDER(t, expanded, 0x04)...), 0x30),
	} {
		der := append([]byte{}, pb.Bytes[:18]...)
		der = append(der, mustDER(t, inner, 0x04)...)
		der = mustDER(t, der[2:], 0x30)
		got, err := LoadSignersPEM(pemBlock("PRIVATE KEY", der))
		if err != nil {
			t.Fatalf("%s form: %v", name, err)
		}
		if !got[0].Public().equal(ss[0].Public()) {
			t.Errorf("%s form: different key", name)
		}
	}
	bad := append([]byte{}, expanded...)
	bad[100] ^= 1
	inner := mustDER(t, append(mustDER(t, seed, 0x04), mustDER(t, bad, 0x04)...), 0x30)
	der := mustDER(t, append(append([]byte{}, pb.Bytes[2:18]...), mustDER(t, inner, 0x04)...), 0x30)
	if _, err := LoadSignersPEM(pemBlock("PRIVATE KEY", der)); !errors.Is(err, ErrMalformed) {
		t.Errorf("disagreeing halves: %v", err)
	}
}

// mustDER wraps b in a DER TLV with the given tag.
func mustDER(t *testing.T, b []byte, tag byte) []byte {
	t.Helper()
	n := len(b)
	switch {
	case n < 0x80:
		return append([]byte{tag, byte(n)}, b...)
	case n < 0x100:
		return append([]byte{tag, 0x81, byte(n)}, b...)
	default:
		return append([]byte{tag, 0x82, byte(n >> 8), byte(n)}, b...)
	}
}

func TestEveryAlgorithmSignsAndVerifies(t *testing.T) {
	for _, alg := range Algorithms {
		t.Run(alg, func(t *testing.T) {
			priv, pub := keyFiles(t, alg)
			ss, err := LoadSignersPEM(priv)
			if err != nil {
				t.Fatal(err)
			}
			vs, err := LoadVerifiersPEM(pub)
			if err != nil {
				t.Fatal(err)
			}
			bj, err := SignKeys([]byte(testStatement), ss, pub)
			if err != nil {
				t.Fatal(err)
			}
			st, err := VerifyKeys(bj, vs)
			if err != nil || string(st) != testStatement {
				t.Fatalf("verify: %v", err)
			}
			// Another key of the same algorithm is refused.
			_, otherPub := keyFiles(t, alg)
			ovs, _ := LoadVerifiersPEM(otherPub)
			if _, err := VerifyKeys(bj, ovs); !errors.Is(err, ErrWrongKey) {
				t.Errorf("other key: %v", err)
			}
		})
	}
}

// A hybrid bundle is satisfied only by both signatures.
func TestHybridNeedsBothSignatures(t *testing.T) {
	priv, pub := keyFiles(t, AlgHybrid)
	ss, _ := LoadSignersPEM(priv)
	vs, _ := LoadVerifiersPEM(pub)
	bj, err := SignKeys([]byte(testStatement), ss, nil)
	if err != nil {
		t.Fatal(err)
	}
	var b Bundle
	if err := json.Unmarshal(bj, &b); err != nil {
		t.Fatal(err)
	}
	sigs := b.DSSEEnvelope.Signatures
	if len(sigs) != 2 || sigs[0].KeyID != vs[0].Hint() || sigs[1].KeyID != vs[1].Hint() {
		t.Fatalf("signatures %+v", sigs)
	}
	edit := func(f func(*Bundle)) []byte {
		var c Bundle
		_ = json.Unmarshal(bj, &c)
		f(&c)
		out, _ := json.Marshal(c)
		return out
	}
	cases := map[string][]byte{
		"ML-DSA signature removed": edit(func(c *Bundle) { c.DSSEEnvelope.Signatures = c.DSSEEnvelope.Signatures[:1] }),
		"ECDSA signature removed":  edit(func(c *Bundle) { c.DSSEEnvelope.Signatures = c.DSSEEnvelope.Signatures[1:] }),
		"ML-DSA signature flipped": edit(func(c *Bundle) {
			raw, _ := base64.StdEncoding.DecodeString(c.DSSEEnvelope.Signatures[1].Sig)
			raw[10] ^= 1
			c.DSSEEnvelope.Signatures[1].Sig = base64.StdEncoding.EncodeToString(raw)
		}),
		"ECDSA signature duplicated over ML-DSA": edit(func(c *Bundle) { c.DSSEEnvelope.Signatures[1] = c.DSSEEnvelope.Signatures[0] }),
	}
	for name, data := range cases {
		_, err := VerifyKeys(data, vs)
		if !errors.Is(err, ErrWrongKey) || !strings.Contains(err.Error(), "hybrid") {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Only the ECDSA half as the trusted key: the bundle names the pair.
	if _, err := VerifyKeys(bj, vs[:1]); !errors.Is(err, ErrWrongKey) {
		t.Errorf("ECDSA key alone: %v", err)
	}
	// A key file naming one key twice is refused.
	if _, err := LoadVerifiersPEM(append(append([]byte{}, pub...), vs[0].PEM()...)); !errors.Is(err, ErrMalformed) {
		t.Errorf("duplicate key: %v", err)
	}
	if !bytes.Contains(priv, []byte("PRIVATE KEY")) {
		t.Error("no private key PEM")
	}
}
