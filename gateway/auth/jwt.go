package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// JWTConfig configures bearer JWT verification.
type JWTConfig struct {
	Issuer     string     // exact "iss"; required
	Audiences  []string   // "aud" must contain one of them; required
	JWKS       JWKSSource // the issuer's keys; required
	Algorithms []string   // allowed; default RS256, ES256, EdDSA
	// Leeway for exp, nbf and iat: clocks drift. 0 means 30 s; negative
	// means none; at most 5 minutes.
	Leeway time.Duration
	// ModelsClaim and OpsClaim name the claims that scope a token ("" for
	// unrestricted); e.g. "models" and "scope".
	ModelsClaim, OpsClaim string
	// CacheSize > 0 keeps that many verified tokens so that repeated
	// tokens skip the signature check, each for at most CacheTTL (default
	// 1 minute, at most 10) and never past its exp. 0 disables the cache.
	CacheSize int
	CacheTTL  time.Duration
}

// Limits on what a token may claim: the token is bounded, but these keep a
// principal small for the caches and logs it ends up in.
const (
	maxScopeEntries = 256
	maxSubjectBytes = 255
	defaultLeeway   = 30 * time.Second
	maxLeeway       = 5 * time.Minute
	minRSABits      = 2048 // RFC 7518, section 3.3
)

// MaxJWTIDBytes is the longest Principal.ID a JWT can give ("jwt:" and its
// subject), for callers that budget memory per principal.
const MaxJWTIDBytes = len("jwt:") + maxSubjectBytes

// supportedAlgs are the asymmetric JWS algorithms accepted in the config.
// HMAC is absent on purpose: a verifier holding only public keys must never
// accept a MAC, or the public key becomes the MAC secret (RFC 8725, 2.1).
var supportedAlgs = map[string]jose.SignatureAlgorithm{
	"RS256": jose.RS256, "RS384": jose.RS384, "RS512": jose.RS512,
	"PS256": jose.PS256, "PS384": jose.PS384, "PS512": jose.PS512,
	"ES256": jose.ES256, "ES384": jose.ES384, "ES512": jose.ES512,
	"EdDSA": jose.EdDSA,
}

type jwtVerifier struct {
	cfg    JWTConfig
	algs   []jose.SignatureAlgorithm
	leeway time.Duration
	now    func() time.Time
	cache  *verifiedCache // nil: off
}

func newJWTVerifier(c JWTConfig) (*jwtVerifier, error) {
	if c.Issuer == "" || len(c.Audiences) == 0 || c.JWKS == nil {
		return nil, errors.New("auth: JWT verification needs an issuer, at least one audience and a JWKS")
	}
	for _, a := range c.Audiences {
		if a == "" {
			return nil, errors.New("auth: empty JWT audience")
		}
	}
	names := c.Algorithms
	if len(names) == 0 {
		names = []string{"RS256", "ES256", "EdDSA"}
	}
	v := &jwtVerifier{cfg: c, leeway: c.Leeway, now: time.Now}
	for _, n := range names {
		alg, ok := supportedAlgs[n]
		if !ok {
			return nil, fmt.Errorf("auth: JWT algorithm %q is not allowed: use RS256..512, PS256..512, ES256..512 or EdDSA", n)
		}
		v.algs = append(v.algs, alg)
	}
	if err := v.setupCache(c); err != nil {
		return nil, err
	}
	switch {
	case v.leeway == 0:
		v.leeway = defaultLeeway
	case v.leeway < 0:
		v.leeway = 0
	case v.leeway > maxLeeway:
		return nil, fmt.Errorf("auth: JWT leeway %v exceeds %v", c.Leeway, maxLeeway)
	}
	return v, nil
}

func (v *jwtVerifier) setupCache(c JWTConfig) error {
	if c.CacheSize < 0 || c.CacheSize > 1<<20 || c.CacheTTL < 0 || c.CacheTTL > 10*time.Minute {
		return errors.New("auth: JWT cache size must be 0 to 1048576 and its TTL at most 10 minutes")
	}
	if c.CacheSize > 0 {
		ttl := c.CacheTTL
		if ttl == 0 {
			ttl = time.Minute
		}
		v.cache = newVerifiedCache(c.CacheSize, ttl)
	}
	return nil
}

// verify answers from the cache of verified tokens, or verifies.
func (v *jwtVerifier) verify(ctx context.Context, tok string) (Principal, error) {
	if v.cache == nil {
		p, _, err := v.verifyToken(ctx, tok)
		return p, err
	}
	key, now := sha256.Sum256([]byte(tok)), v.now()
	if p, ok := v.cache.get(key, now); ok {
		return p, nil
	}
	p, exp, err := v.verifyToken(ctx, tok)
	if err == nil {
		v.cache.put(key, p, exp, now)
	}
	return p, err
}

// verifyToken checks signature, then claims, then builds the principal; it
// also returns the expiry (without leeway) for the cache.
func (v *jwtVerifier) verifyToken(ctx context.Context, tok string) (Principal, time.Time, error) {
	parsed, err := jwt.ParseSigned(tok, v.algs)
	if err != nil {
		return Principal{}, time.Time{}, fmt.Errorf("%w: JWT: %w", ErrUnauthenticated, err)
	}
	if len(parsed.Headers) != 1 {
		return Principal{}, time.Time{}, unauth("JWT must carry exactly one signature")
	}
	h := parsed.Headers[0]
	key, err := v.key(ctx, h.KeyID, jose.SignatureAlgorithm(h.Algorithm))
	if err != nil {
		return Principal{}, time.Time{}, err
	}
	var std jwt.Claims
	var extra map[string]json.RawMessage
	if err := parsed.Claims(key, &std, &extra); err != nil {
		return Principal{}, time.Time{}, fmt.Errorf("%w: JWT signature or payload: %w", ErrUnauthenticated, err)
	}
	if err := v.checkClaims(&std); err != nil {
		return Principal{}, time.Time{}, err
	}
	p, err := v.principal(&std, extra)
	return p, std.Expiry.Time(), err
}

func (v *jwtVerifier) checkClaims(c *jwt.Claims) error {
	if c.Expiry == nil {
		return unauth("JWT has no exp claim")
	}
	if c.Subject == "" || len(c.Subject) > maxSubjectBytes {
		return unauth("JWT sub claim missing or longer than %d bytes", maxSubjectBytes)
	}
	exp := jwt.Expected{Issuer: v.cfg.Issuer, AnyAudience: v.cfg.Audiences, Time: v.now()}
	if err := c.ValidateWithLeeway(exp, v.leeway); err != nil {
		return fmt.Errorf("%w: JWT claims: %w", ErrUnauthenticated, err)
	}
	return nil
}

func (v *jwtVerifier) principal(c *jwt.Claims, extra map[string]json.RawMessage) (Principal, error) {
	p := Principal{ID: "jwt:" + c.Subject, Kind: KindJWT, Subject: c.Subject, Issuer: c.Issuer,
		Models: []string{"*"}, Operations: allOperations()}
	var err error
	if v.cfg.ModelsClaim != "" {
		if p.Models, err = scopeClaim(extra, v.cfg.ModelsClaim); err != nil {
			return Principal{}, err
		}
	}
	if v.cfg.OpsClaim != "" {
		if p.Operations, err = scopeClaim(extra, v.cfg.OpsClaim); err != nil {
			return Principal{}, err
		}
	}
	return p, nil
}

// scopeClaim reads a claim that is either a JSON array of strings or a
// space-separated string. Missing means empty: nothing is granted.
func scopeClaim(extra map[string]json.RawMessage, name string) ([]string, error) {
	raw, ok := extra[name]
	if !ok || string(raw) == "null" {
		return nil, nil
	}
	var list []string
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		list = strings.Fields(s)
	} else if err := json.Unmarshal(raw, &list); err != nil {
		return nil, unauth("JWT claim %q is neither a string nor an array of strings", name)
	}
	if len(list) > maxScopeEntries {
		return nil, unauth("JWT claim %q has more than %d entries", name, maxScopeEntries)
	}
	return list, nil
}

// key finds the verification key for kid, refreshing a remote JWKS once
// when the kid is unknown (the issuer may have rotated its keys).
func (v *jwtVerifier) key(ctx context.Context, kid string, alg jose.SignatureAlgorithm) (any, error) {
	set, err := v.cfg.JWKS.Keys(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: JWKS: %w", ErrUnavailable, err)
	}
	if k := pickKey(set, kid, alg); k != nil {
		return k, nil
	}
	if r, ok := v.cfg.JWKS.(KeyRefresher); ok && kid != "" {
		if set, err = r.Refresh(ctx); err != nil {
			return nil, fmt.Errorf("%w: JWKS refresh: %w", ErrUnavailable, err)
		}
		if k := pickKey(set, kid, alg); k != nil {
			return k, nil
		}
	}
	return nil, unauth("no key in the JWKS for kid %q and alg %s", clip(kid, 64), alg)
}

// pickKey returns the key with this kid whose type fits alg. Without a kid
// it accepts only a set holding a single fitting key: guessing among several
// would let the token choose.
func pickKey(set *jose.JSONWebKeySet, kid string, alg jose.SignatureAlgorithm) any {
	var found any
	n := 0
	for i := range set.Keys {
		k := &set.Keys[i]
		if (kid != "" && k.KeyID != kid) || !keyFits(k, alg) {
			continue
		}
		found, n = k.Key, n+1
	}
	if n == 1 || (kid != "" && n > 0) {
		return found
	}
	return nil
}

// keyFits: the JWK may be used to verify alg (RFC 8725, section 3.1).
func keyFits(k *jose.JSONWebKey, alg jose.SignatureAlgorithm) bool {
	if (k.Use != "" && k.Use != "sig") || (k.Algorithm != "" && k.Algorithm != string(alg)) {
		return false
	}
	switch pub := k.Key.(type) {
	case *rsa.PublicKey:
		a := string(alg)
		return (strings.HasPrefix(a, "RS") || strings.HasPrefix(a, "PS")) && pub.N.BitLen() >= minRSABits
	case *ecdsa.PublicKey:
		curve := pub.Curve.Params().Name
		return alg == jose.ES256 && curve == "P-256" || alg == jose.ES384 && curve == "P-384" || alg == jose.ES512 && curve == "P-521"
	case ed25519.PublicKey:
		return alg == jose.EdDSA
	}
	return false
}

// clip bounds attacker-chosen text that goes into error messages and logs.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
