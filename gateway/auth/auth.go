package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/modelward/modelward/registry"
)

var (
	// ErrUnauthenticated: no credential, or one that does not verify (401).
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrForbidden: a valid credential that does not cover the request (403).
	ErrForbidden = errors.New("forbidden")
	// ErrUnavailable: the key store or the JWKS could not be consulted (503).
	ErrUnavailable = errors.New("authentication backend unavailable")
)

// MaxTokenBytes bounds a presented credential. Real access tokens are a few
// hundred bytes to a few KiB; anything longer is refused before decoding.
const MaxTokenBytes = 8 << 10

// Principal is an authenticated caller.
type Principal struct {
	ID         string // stable: the registry token id, or "jwt:<sub>"
	Kind       string // "api-key" | "jwt"
	Subject    string // JWT "sub"; the token id for API keys
	Issuer     string // JWT "iss"; "" for API keys
	Models     []string
	Operations []string
	Role       string // registry role of an API key; "" for JWTs
}

// Kinds of principals.
const (
	KindAPIKey = "api-key"
	KindJWT    = "jwt"
)

// KeyChecker checks an API key; registry.Service satisfies it. It must
// return an error wrapping registry.ErrUnauthenticated for a bad key; any
// other error is taken as the store being unavailable.
type KeyChecker interface {
	Authenticate(ctx context.Context, secret string) (registry.Actor, error)
}

// Options configures an Authenticator. At least one of Keys and JWT is set.
type Options struct {
	Keys KeyChecker
	JWT  *JWTConfig
	// KeyCacheTTL is how long an API key that checked out is trusted
	// without asking Keys again: default DefaultKeyCacheTTL, negative for
	// never. It bounds how long a revoked or expired key keeps working.
	KeyCacheTTL time.Duration
	// KeyCacheMax bounds the cached keys; default DefaultKeyCacheMax.
	KeyCacheMax int
	Now         func() time.Time // default time.Now
}

// API-key cache defaults: a second is the gateway's promise for how fast a
// revocation, like a quarantine, takes effect, and the store lookup it
// saves is the largest single cost of an authenticated request.
const (
	DefaultKeyCacheTTL = time.Second
	DefaultKeyCacheMax = 10000
)

// Authenticator turns a request's bearer credential into a Principal.
type Authenticator struct {
	keys     KeyChecker
	keyCache *verifiedCache // nil when disabled
	now      func() time.Time
	jwt      *jwtVerifier
}

// New checks the options and builds an Authenticator.
func New(opt Options) (*Authenticator, error) {
	if opt.Keys == nil && opt.JWT == nil {
		return nil, errors.New("auth: configure API keys, JWT verification or both")
	}
	a := &Authenticator{keys: opt.Keys, now: opt.Now}
	if a.now == nil {
		a.now = time.Now
	}
	if opt.KeyCacheTTL == 0 {
		opt.KeyCacheTTL = DefaultKeyCacheTTL
	}
	if opt.KeyCacheMax <= 0 {
		opt.KeyCacheMax = DefaultKeyCacheMax
	}
	if opt.KeyCacheTTL > 0 {
		a.keyCache = newVerifiedCache(opt.KeyCacheMax, opt.KeyCacheTTL)
	}
	if opt.JWT != nil {
		v, err := newJWTVerifier(*opt.JWT)
		if err != nil {
			return nil, err
		}
		a.jwt = v
	}
	return a, nil
}

// Authenticate reads "Authorization: Bearer <credential>" and verifies it.
func (a *Authenticator) Authenticate(r *http.Request) (Principal, error) {
	tok, err := bearer(r.Header)
	if err != nil {
		return Principal{}, err
	}
	return a.Verify(r.Context(), tok)
}

// Verify checks a bare credential (the part after "Bearer ").
func (a *Authenticator) Verify(ctx context.Context, tok string) (Principal, error) {
	switch {
	case len(tok) > MaxTokenBytes:
		return Principal{}, unauth("credential longer than %d bytes", MaxTokenBytes)
	case strings.HasPrefix(tok, "mwt_"):
		return a.apiKey(ctx, tok)
	case looksLikeJWS(tok):
		if a.jwt == nil {
			return Principal{}, unauth("JWT presented but JWT verification is not configured")
		}
		return a.jwt.verify(ctx, tok)
	}
	return Principal{}, unauth("credential is neither an API key nor a JWT")
}

// apiKey defers to the registry, which owns expiry and revocation; a key
// that checked out is remembered for KeyCacheTTL. Refused keys are not
// remembered: garbage cannot fill the cache.
func (a *Authenticator) apiKey(ctx context.Context, tok string) (Principal, error) {
	if a.keys == nil {
		return Principal{}, unauth("API key presented but API keys are not configured")
	}
	if a.keyCache == nil {
		return a.checkKey(ctx, tok)
	}
	key, now := sha256.Sum256([]byte(tok)), a.now()
	if p, ok := a.keyCache.get(key, now); ok {
		return p, nil
	}
	p, err := a.checkKey(ctx, tok)
	if err == nil {
		a.keyCache.put(key, p, now.Add(a.keyCache.ttl), now)
	}
	return p, err
}

func (a *Authenticator) checkKey(ctx context.Context, tok string) (Principal, error) {
	act, err := a.keys.Authenticate(ctx, tok)
	if errors.Is(err, registry.ErrUnauthenticated) {
		return Principal{}, fmt.Errorf("%w: API key: %w", ErrUnauthenticated, err)
	}
	if err != nil {
		return Principal{}, fmt.Errorf("%w: checking API key: %w", ErrUnavailable, err)
	}
	if !registry.ValidRole(act.Role) {
		return Principal{}, unauth("API key %s has unknown role %q", act.ID, act.Role)
	}
	models := []string{"*"} // a registry token without scope covers every model
	if len(act.Models) > 0 {
		models = append([]string(nil), act.Models...)
	}
	return Principal{ID: act.ID, Kind: KindAPIKey, Subject: act.ID, Models: models,
		Operations: allOperations(), Role: string(act.Role)}, nil
}

// bearer extracts the credential of the only Authorization header. Two
// headers are refused: proxies and servers disagree on which one wins.
func bearer(h http.Header) (string, error) {
	vals := h.Values("Authorization")
	if len(vals) != 1 {
		return "", unauth("want exactly one Authorization header, got %d", len(vals))
	}
	return parseBearer(vals[0])
}

// parseBearer parses `"Bearer" 1*SP b64token` (RFC 6750, section 2.1); the
// scheme is case-insensitive (RFC 9110, section 11.1).
func parseBearer(v string) (string, error) {
	if len(v) > MaxTokenBytes+64 {
		return "", unauth("Authorization header too long")
	}
	scheme, rest, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", unauth("Authorization scheme is not Bearer")
	}
	tok := strings.TrimLeft(rest, " ")
	if tok == "" || !isB64Token(tok) {
		return "", unauth("malformed bearer credential")
	}
	return tok, nil
}

// isB64Token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	end := len(strings.TrimRight(s, "="))
	if end == 0 {
		return false
	}
	for i := range end {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

// looksLikeJWS: three non-empty base64url parts separated by dots. An
// empty signature ("alg":"none") is refused here already.
func looksLikeJWS(s string) bool {
	parts := 0
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '.' {
			if !isB64URL(s[i]) {
				return false
			}
			continue
		}
		if i == start {
			return false
		}
		parts++
		start = i + 1
	}
	return parts == 3
}

func isB64URL(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

func unauth(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUnauthenticated}, args...)...)
}

// Status maps an error from this package to an HTTP status: 401, 403 or
// 503; 500 for anything else.
func Status(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrUnauthenticated):
		return http.StatusUnauthorized
	case errors.Is(err, ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, ErrUnavailable):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
