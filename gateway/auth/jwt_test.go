package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func TestJWTValid(t *testing.T) {
	k := getKeys(t)
	a := staticAuth(t)
	for _, tc := range []struct {
		name string
		alg  jose.SignatureAlgorithm
		key  any
		kid  string
	}{
		{"RS256", jose.RS256, k.rsa, "rsa1"},
		{"PS256", jose.PS256, k.rsa, "rsa1"},
		{"ES256", jose.ES256, k.ec, "ec1"},
		{"EdDSA", jose.EdDSA, k.ed, "ed1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := a.Authenticate(request(mint(t, tc.alg, tc.key, tc.kid, claims())))
			if err != nil {
				t.Fatal(err)
			}
			if p.Kind != KindJWT || p.ID != "jwt:alice" || p.Subject != "alice" || p.Issuer != testIssuer {
				t.Fatalf("principal %+v", p)
			}
			if !slices.Equal(p.Models, []string{"digits", "team/classifier"}) || !slices.Equal(p.Operations, []string{"infer", "metadata"}) {
				t.Fatalf("scope %+v", p)
			}
		})
	}
}

func b64(v any) string {
	b, ok := v.([]byte)
	if !ok {
		b, _ = json.Marshal(v)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// hs256 forges the classic confusion token: HMAC keyed with the bytes of
// the server's public key, hoping the verifier feeds its key to HMAC.
func hs256(t *testing.T, kid string, c map[string]any, secret []byte) string {
	in := b64(map[string]string{"alg": "HS256", "typ": "JWT", "kid": kid}) + "." + b64(c)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return in + "." + b64(m.Sum(nil))
}

func TestJWTRejected(t *testing.T) {
	k := getKeys(t)
	a := staticAuth(t)
	with := func(key string, v any) map[string]any {
		c := claims()
		if v == nil {
			delete(c, key)
		} else {
			c[key] = v
		}
		return c
	}
	now := time.Now()
	good := mint(t, jose.ES256, k.ec, "ec1", claims())
	parts := strings.Split(good, ".")
	der, _ := x509.MarshalPKIXPublicKey(k.rsa.Public())
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	for name, tok := range map[string]string{
		"expired":          mint(t, jose.ES256, k.ec, "ec1", with("exp", now.Add(-time.Hour).Unix())),
		"no exp":           mint(t, jose.ES256, k.ec, "ec1", with("exp", nil)),
		"not yet valid":    mint(t, jose.ES256, k.ec, "ec1", with("nbf", now.Add(time.Hour).Unix())),
		"issued in future": mint(t, jose.ES256, k.ec, "ec1", with("iat", now.Add(time.Hour).Unix())),
		"wrong issuer":     mint(t, jose.ES256, k.ec, "ec1", with("iss", "https://evil.example/")),
		"issuer prefix":    mint(t, jose.ES256, k.ec, "ec1", with("iss", strings.TrimSuffix(testIssuer, "/"))),
		"wrong audience":   mint(t, jose.ES256, k.ec, "ec1", with("aud", "someone-else")),
		"no audience":      mint(t, jose.ES256, k.ec, "ec1", with("aud", nil)),
		"no subject":       mint(t, jose.ES256, k.ec, "ec1", with("sub", nil)),
		"huge subject":     mint(t, jose.ES256, k.ec, "ec1", with("sub", strings.Repeat("a", 300))),
		"bad scope claim":  mint(t, jose.ES256, k.ec, "ec1", with("scope", 42)),
		"unknown kid":      mint(t, jose.ES256, k.ec, "nope", claims()),
		"kid of other key": mint(t, jose.RS256, k.rsa, "ec1", claims()),
		"alg vs key type":  mint(t, jose.ES256, k.ec, "rsa1", claims()),
		"alg not allowed":  mint(t, jose.ES384, mustEC384(t), "ec1", claims()),
		"alg none":         b64(map[string]string{"alg": "none", "kid": "ec1"}) + "." + b64(claims()) + ".",
		"alg none sig":     b64(map[string]string{"alg": "none", "kid": "ec1"}) + "." + b64(claims()) + "." + b64([]byte("x")),
		"HS256 pem key":    hs256(t, "rsa1", claims(), pemKey),
		"HS256 der key":    hs256(t, "rsa1", claims(), der),
		"HS256 no kid":     hs256(t, "", claims(), pemKey),
		"tampered payload": parts[0] + "." + b64(with("sub", "admin")) + "." + parts[2],
		"tampered sig":     parts[0] + "." + parts[1] + "." + flip(parts[2]),
		"swapped header":   b64(map[string]string{"alg": "EdDSA", "kid": "ed1"}) + "." + parts[1] + "." + parts[2],
		"oversized":        parts[0] + "." + strings.Repeat("A", MaxTokenBytes) + "." + parts[2],
		"garbage":          "a.b.c",
		"two parts":        parts[0] + "." + parts[1],
		"four parts":       good + ".x",
		"not base64":       parts[0] + ".%%%." + parts[2],
		"random":           "hello",
		"empty":            "",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := a.Authenticate(request(tok))
			if !errors.Is(err, ErrUnauthenticated) || Status(err) != http.StatusUnauthorized {
				t.Fatalf("want 401, got %v", err)
			}
			t.Log(err)
		})
	}
}

func flip(s string) string {
	b := []byte(s)
	if b[3] == 'A' {
		b[3] = 'B'
	} else {
		b[3] = 'A'
	}
	return string(b)
}

func mustEC384(t *testing.T) any {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestHeaderParsing(t *testing.T) {
	k := getKeys(t)
	a := staticAuth(t)
	tok := mint(t, jose.EdDSA, k.ed, "ed1", claims())
	for hdr, ok := range map[string]bool{
		"Bearer " + tok:        true,
		"bearer " + tok:        true,
		"BEARER  " + tok:       true,
		"Basic " + tok:         false,
		"Bearer":               false,
		"Bearer ":              false,
		"Bearer" + tok:         false,
		"Bearer " + tok + " x": false,
		tok:                    false,
	} {
		r := request("")
		r.Header.Set("Authorization", hdr)
		if _, err := a.Authenticate(r); (err == nil) != ok {
			t.Errorf("%.20q: %v", hdr, err)
		}
	}
	r := request(tok)
	r.Header.Add("Authorization", "Bearer "+tok)
	if _, err := a.Authenticate(r); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("two headers: %v", err)
	}
	if _, err := a.Authenticate(request("")); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("no header: %v", err)
	}
}

// The reason is kept for logs, but the 401 error itself says nothing more.
func TestErrorsWrapReason(t *testing.T) {
	k := getKeys(t)
	c := claims()
	c["exp"] = time.Now().Add(-time.Hour).Unix()
	_, err := staticAuth(t).Authenticate(request(mint(t, jose.ES256, k.ec, "ec1", c)))
	if !errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("%v", err)
	}
}

// A token without kid is accepted only when exactly one key fits its alg.
func TestNoKid(t *testing.T) {
	k := getKeys(t)
	if _, err := staticAuth(t).Authenticate(request(mint(t, jose.ES256, k.ec, "", claims()))); err != nil {
		t.Fatal(err)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	src, err := StaticJWKS(jwksJSON(t, map[string]crypto.PublicKey{"a": k.ec.Public(), "b": other.Public()}))
	if err != nil {
		t.Fatal(err)
	}
	a := newJWTAuth(t, src, nil)
	if _, err := a.Authenticate(request(mint(t, jose.ES256, k.ec, "", claims()))); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("two candidate keys, no kid: %v", err)
	}
	if _, err := a.Authenticate(request(mint(t, jose.ES256, k.ec, "a", claims()))); err != nil {
		t.Fatal(err)
	}
}

func TestNewRejectsConfig(t *testing.T) {
	src, _ := StaticJWKS(defaultJWKS(t))
	for name, cfg := range map[string]JWTConfig{
		"none":        {Issuer: testIssuer, Audiences: []string{testAudience}, JWKS: src, Algorithms: []string{"none"}},
		"HS256":       {Issuer: testIssuer, Audiences: []string{testAudience}, JWKS: src, Algorithms: []string{"RS256", "HS256"}},
		"no issuer":   {Audiences: []string{testAudience}, JWKS: src},
		"no audience": {Issuer: testIssuer, JWKS: src},
		"empty aud":   {Issuer: testIssuer, Audiences: []string{""}, JWKS: src},
		"no JWKS":     {Issuer: testIssuer, Audiences: []string{testAudience}},
		"leeway":      {Issuer: testIssuer, Audiences: []string{testAudience}, JWKS: src, Leeway: time.Hour},
	} {
		if _, err := New(Options{JWT: &cfg}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := New(Options{}); err == nil {
		t.Error("empty options accepted")
	}
}

func TestStaticJWKSRejects(t *testing.T) {
	k := getKeys(t)
	priv, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: k.ec, KeyID: "p"}}})
	oct, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "h"}}})
	for name, data := range map[string][]byte{
		"private":   priv,
		"symmetric": oct,
		"empty":     []byte(`{"keys":[]}`),
		"garbage":   []byte(`{"keys":[{"kty":"XX"}]}`),
		"not json":  []byte(`<html>`),
		"huge":      []byte(`{"keys":[` + strings.Repeat(" ", maxJWKSBytes) + `]}`),
	} {
		if _, err := StaticJWKS(data); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// The length bound applies before any decoding, wherever the token comes from.
func TestVerifyOversized(t *testing.T) {
	k := getKeys(t)
	c := claims()
	c["pad"] = strings.Repeat("x", MaxTokenBytes)
	_, err := staticAuth(t).Verify(context.Background(), mint(t, jose.ES256, k.ec, "ec1", c))
	if !errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("%v", err)
	}
}

// keyFits is the second line against algorithm confusion, behind the
// allow-list: even a configured algorithm must match the key's type.
func TestKeyFits(t *testing.T) {
	k := getKeys(t)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	for _, tc := range []struct {
		key  jose.JSONWebKey
		alg  jose.SignatureAlgorithm
		want bool
	}{
		{jose.JSONWebKey{Key: k.rsa.Public()}, jose.RS256, true},
		{jose.JSONWebKey{Key: k.rsa.Public()}, jose.PS512, true},
		{jose.JSONWebKey{Key: k.rsa.Public()}, jose.HS256, false},
		{jose.JSONWebKey{Key: k.rsa.Public()}, jose.ES256, false},
		{jose.JSONWebKey{Key: small.Public()}, jose.RS256, false},
		{jose.JSONWebKey{Key: k.ec.Public()}, jose.ES256, true},
		{jose.JSONWebKey{Key: k.ec.Public()}, jose.ES384, false},
		{jose.JSONWebKey{Key: p384.Public()}, jose.ES384, true},
		{jose.JSONWebKey{Key: k.ed.Public()}, jose.EdDSA, true},
		{jose.JSONWebKey{Key: k.ed.Public()}, jose.ES256, false},
		{jose.JSONWebKey{Key: []byte("secret")}, jose.HS256, false},
		{jose.JSONWebKey{Key: k.ec.Public(), Use: "enc"}, jose.ES256, false},
		{jose.JSONWebKey{Key: k.ec.Public(), Algorithm: "ES384"}, jose.ES256, false},
	} {
		if got := keyFits(&tc.key, tc.alg); got != tc.want {
			t.Errorf("%T %s: %v", tc.key.Key, tc.alg, got)
		}
	}
}
