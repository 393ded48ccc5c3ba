package proxy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/modelward/modelward/gateway/digits"
)

// JWTs from an OIDC issuer, checked against its JWKS (a local file here),
// authenticate through the whole gateway beside the registry's API keys;
// their claims scope models and operations.
func TestJWTThroughGateway(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "k1", Use: "sig", Algorithm: "ES256"}}})
	jwks := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(jwks, set, 0o600); err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, worldOpts{jwt: fmt.Sprintf(`{issuer: "https://issuer.test", audiences: [modelward], jwks_file: %q, algorithms: [ES256], models_claim: models, ops_claim: scope}`, jwks)})
	mint := func(k *ecdsa.PrivateKey, mod func(map[string]any)) string {
		now := time.Now()
		c := map[string]any{"iss": "https://issuer.test", "aud": "modelward", "sub": "svc-1",
			"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "models": []string{"digits"}, "scope": "infer"}
		if mod != nil {
			mod(c)
		}
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
		if err != nil {
			t.Fatal(err)
		}
		tok, err := jwt.Signed(s).Claims(c).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := inferBody(digits.UCI().Row(2))
	cases := []struct {
		name   string
		tok    string
		path   string
		status int
	}{
		{"valid", mint(key, nil), "/v2/models/digits/infer", 200},
		{"operation outside scope", mint(key, nil), "/v2/models/digits", 403},
		{"model outside scope", mint(key, func(c map[string]any) { c["models"] = []string{"other"} }), "/v2/models/digits/infer", 403},
		{"expired", mint(key, func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }), "/v2/models/digits/infer", 401},
		{"wrong audience", mint(key, func(c map[string]any) { c["aud"] = "someone-else" }), "/v2/models/digits/infer", 401},
		{"wrong issuer", mint(key, func(c map[string]any) { c["iss"] = "https://evil.test" }), "/v2/models/digits/infer", 401},
		{"unknown signer", mint(other, nil), "/v2/models/digits/infer", 401},
		{"API key beside JWTs", w.tokens["all"], "/v2/models/digits/infer", 200},
	}
	for _, c := range cases {
		method, body := "POST", good
		if c.path == "/v2/models/digits" {
			method, body = "GET", ""
		}
		if st, b, _ := w.do(method, c.path, c.tok, body); st != c.status {
			t.Errorf("%s: %d, want %d: %s", c.name, st, c.status, b)
		}
	}
	if !containsAll(w.logs.String(), `"principal":"jwt:`) {
		t.Error("the JWT principal is not in the request log")
	}
}
