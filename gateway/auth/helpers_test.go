package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

const (
	testIssuer   = "https://idp.example.test/"
	testAudience = "modelward-gateway"
)

// testKeys are generated once: RSA generation is slow and the race
// detector makes it slower.
type testKeys struct {
	rsa *rsa.PrivateKey
	ec  *ecdsa.PrivateKey
	ed  ed25519.PrivateKey
}

var (
	keysOnce sync.Once
	keys     testKeys
)

func getKeys(t testing.TB) testKeys {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if keys.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if keys.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
		if _, keys.ed, err = ed25519.GenerateKey(rand.Reader); err != nil {
			panic(err)
		}
	})
	return keys
}

// jwksJSON publishes the public halves under the given kids.
func jwksJSON(t testing.TB, pubs map[string]crypto.PublicKey) []byte {
	t.Helper()
	var set jose.JSONWebKeySet
	for kid, pub := range pubs {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: pub, KeyID: kid, Use: "sig"})
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func defaultJWKS(t testing.TB) []byte {
	k := getKeys(t)
	return jwksJSON(t, map[string]crypto.PublicKey{"rsa1": k.rsa.Public(), "ec1": k.ec.Public(), "ed1": k.ed.Public()})
}

// claims returns valid claims, with scope, to be modified by a test.
func claims() map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": testIssuer, "aud": []string{"other", testAudience}, "sub": "alice",
		"exp": now.Add(time.Hour).Unix(), "iat": now.Add(-time.Minute).Unix(), "nbf": now.Add(-time.Minute).Unix(),
		"models": []string{"digits", "team/classifier"}, "scope": "infer metadata",
	}
}

// mint signs claims with key under alg and kid.
func mint(t testing.TB, alg jose.SignatureAlgorithm, key any, kid string, c map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(s).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func newJWTAuth(t testing.TB, src JWKSSource, mod func(*JWTConfig)) *Authenticator {
	t.Helper()
	cfg := JWTConfig{Issuer: testIssuer, Audiences: []string{testAudience}, JWKS: src,
		Algorithms: []string{"RS256", "PS256", "ES256", "EdDSA"}, ModelsClaim: "models", OpsClaim: "scope"}
	if mod != nil {
		mod(&cfg)
	}
	a, err := New(Options{JWT: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func staticAuth(t testing.TB) *Authenticator {
	t.Helper()
	src, err := StaticJWKS(defaultJWKS(t))
	if err != nil {
		t.Fatal(err)
	}
	return newJWTAuth(t, src, nil)
}

func request(tok string) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, "http://gw/v2/models/digits/infer", nil)
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	return r
}
