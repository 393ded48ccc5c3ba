package auth

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelward/modelward/policy"
	"github.com/modelward/modelward/registry"
	"github.com/modelward/modelward/registry/sqlite"
)

// registryService is a real registry over a real SQLite store; tokens need
// neither blobs nor a checker.
func registryService(t testing.TB) *registry.Service {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return registry.NewService(st, nil, nil, policy.Gates{}, nil)
}

var admin = registry.Actor{ID: "tok_admin", Role: registry.RoleAdmin}

func TestAPIKeys(t *testing.T) {
	ctx := context.Background()
	svc := registryService(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a, err := New(Options{Keys: svc, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	scoped, tok, err := svc.CreateToken(ctx, admin, "consumer", registry.RoleViewer, []string{"digits"}, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Authenticate(request(scoped))
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != KindAPIKey || p.ID != tok.ID || p.Role != "viewer" {
		t.Fatalf("principal %+v", p)
	}
	// Any role may infer, but only on the models in scope.
	for _, op := range []string{OpInfer, OpMetadata, OpReady} {
		if err := p.Allow("digits", op); err != nil {
			t.Errorf("%s: %v", op, err)
		}
	}
	if err := p.Allow("other", OpInfer); !errors.Is(err, ErrForbidden) {
		t.Errorf("out of scope: %v", err)
	}
	// A token without scope covers every model.
	all, _, err := svc.CreateToken(ctx, admin, "all", registry.RolePublisher, nil, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if p, err := a.Authenticate(request(all)); err != nil || p.Allow("anything", OpInfer) != nil {
		t.Fatalf("unscoped: %v %+v", err, p)
	}
	// Tampered, truncated and revoked keys are 401.
	for _, bad := range []string{scoped[:len(scoped)-10] + flip(scoped[len(scoped)-10:]), scoped[:len(scoped)-2], strings.Replace(scoped, tok.ID, "0000000000000000", 1), "mwt_", "mwt_x_y"} {
		if _, err := a.Authenticate(request(bad)); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if err := svc.RevokeToken(ctx, admin, tok.ID, "test"); err != nil {
		t.Fatal(err)
	}
	// The key checked out a moment ago: it is trusted for the cache's
	// second, and refused once that has passed.
	if _, err := a.Authenticate(request(scoped)); err != nil {
		t.Fatalf("cached: %v", err)
	}
	now = now.Add(DefaultKeyCacheTTL)
	if _, err := a.Authenticate(request(scoped)); !errors.Is(err, ErrUnauthenticated) || Status(err) != http.StatusUnauthorized {
		t.Fatalf("revoked: %v", err)
	}
	// A JWT to an authenticator without JWT verification is refused.
	if _, err := a.Authenticate(request("a.b.c")); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("jwt without config: %v", err)
	}
}

// countingKeys counts the checks that reach the store.
type countingKeys struct {
	KeyChecker
	n int
}

func (c *countingKeys) Authenticate(ctx context.Context, tok string) (registry.Actor, error) {
	c.n++
	return c.KeyChecker.Authenticate(ctx, tok)
}

// Good keys are checked once per TTL; bad ones every time (they are never
// cached); a negative TTL turns the cache off.
func TestAPIKeyCache(t *testing.T) {
	ctx := context.Background()
	svc := registryService(t)
	secret, _, err := svc.CreateToken(ctx, admin, "c", registry.RoleViewer, nil, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	bad := secret[:len(secret)-10] + flip(secret[len(secret)-10:])
	for _, ttl := range []time.Duration{0, -1} {
		keys := &countingKeys{KeyChecker: svc}
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		a, _ := New(Options{Keys: keys, KeyCacheTTL: ttl, Now: func() time.Time { return now }})
		for range 5 {
			p, err := a.Authenticate(request(secret))
			if err != nil {
				t.Fatal(err)
			}
			p.Models[0] = "tampered" // a caller's change must not reach the cache
			if _, err := a.Authenticate(request(bad)); !errors.Is(err, ErrUnauthenticated) {
				t.Fatal(err)
			}
		}
		now = now.Add(time.Second)
		p, err := a.Authenticate(request(secret))
		if err != nil || p.Models[0] != "*" {
			t.Fatalf("%v %+v", err, p)
		}
		want := 2 + 5 // good: first use and after the TTL; bad: every time
		if ttl < 0 {
			want = 6 + 5
		}
		if keys.n != want {
			t.Errorf("ttl %v: %d store checks, want %d", ttl, keys.n, want)
		}
	}
}

type downStore struct{}

func (downStore) Authenticate(context.Context, string) (registry.Actor, error) {
	return registry.Actor{}, errors.New("database is locked")
}

// A store outage is a 503, not a 401 that would make clients drop a good key.
func TestAPIKeyStoreDown(t *testing.T) {
	a, _ := New(Options{Keys: downStore{}})
	_, err := a.Authenticate(request("mwt_0123456789abcdef_" + strings.Repeat("A", 43)))
	if !errors.Is(err, ErrUnavailable) || Status(err) != http.StatusServiceUnavailable {
		t.Fatalf("%v", err)
	}
	// And a JWT-only authenticator refuses API keys.
	src, _ := StaticJWKS(defaultJWKS(t))
	if _, err := newJWTAuth(t, src, nil).Authenticate(request("mwt_0123456789abcdef_x")); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("%v", err)
	}
}
