package auth

import (
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func TestVerifiedCache(t *testing.T) {
	k := getKeys(t)
	src, _ := StaticJWKS(defaultJWKS(t))
	a := newJWTAuth(t, src, func(c *JWTConfig) { c.CacheSize, c.Leeway = 2, -1 })
	clock := &fakeClock{now: time.Now()}
	a.jwt.now = clock.Now
	c := claims()
	c["exp"] = clock.Now().Add(90 * time.Second).Unix()
	tok := mint(t, jose.ES256, k.ec, "ec1", c)

	p, err := a.Authenticate(request(tok))
	if err != nil {
		t.Fatal(err)
	}
	p.Models[0] = "stolen" // callers may scribble on what they get
	p, err = a.Authenticate(request(tok))
	if err != nil || p.Models[0] != "digits" || len(a.jwt.cache.entries) != 1 {
		t.Fatalf("cached: %v %+v", err, p)
	}
	// Past the cache TTL the token is verified again (and still valid).
	clock.advance(61 * time.Second)
	if _, ok := a.jwt.cache.get(sha(tok), clock.Now()); ok {
		t.Fatal("entry outlived the cache TTL")
	}
	if _, err := a.Authenticate(request(tok)); err != nil {
		t.Fatal(err)
	}
	// Never past exp: the next entry ends at exp, and then it is refused.
	clock.advance(30 * time.Second)
	if _, err := a.Authenticate(request(tok)); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("expired token served from cache: %v", err)
	}
	// Bounded: a third token evicts one of two.
	for _, sub := range []string{"a", "b", "c"} {
		c := claims()
		c["sub"] = sub
		if _, err := a.Authenticate(request(mint(t, jose.ES256, k.ec, "ec1", c))); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(a.jwt.cache.entries); n > 2 {
		t.Fatalf("%d entries in a cache of 2", n)
	}
	// Failures are never cached.
	bad := mint(t, jose.ES256, k.ec, "nope", claims())
	a.Authenticate(request(bad))
	if _, ok := a.jwt.cache.get(sha(bad), clock.Now()); ok {
		t.Fatal("failure cached")
	}
}

func sha(s string) [32]byte { return sha256.Sum256([]byte(s)) }

func TestCacheConfig(t *testing.T) {
	src, _ := StaticJWKS(defaultJWKS(t))
	for _, c := range []JWTConfig{{CacheSize: -1}, {CacheSize: 10, CacheTTL: time.Hour}} {
		c.Issuer, c.Audiences, c.JWKS = testIssuer, []string{testAudience}, src
		if _, err := New(Options{JWT: &c}); err == nil {
			t.Errorf("accepted %+v", c)
		}
	}
}

func BenchmarkJWTCached(b *testing.B) {
	k := getKeys(b)
	src, _ := StaticJWKS(defaultJWKS(b))
	a := newJWTAuth(b, src, func(c *JWTConfig) { c.CacheSize = 10000 })
	r := request(mint(b, jose.ES256, k.ec, "ec1", claims()))
	b.ReportAllocs()
	for b.Loop() {
		p, err := a.Authenticate(r)
		if err != nil || p.Allow("digits", OpInfer) != nil {
			b.Fatal(err)
		}
	}
}
