package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// jwksServer serves whatever set it currently holds and counts requests.
type jwksServer struct {
	mu     sync.Mutex
	body   []byte
	status int
	hits   int
}

func (s *jwksServer) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hits++
	if s.status != 0 {
		w.WriteHeader(s.status)
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Write(s.body)
}

func (s *jwksServer) set(body []byte, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body, s.status = body, status
}

func (s *jwksServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits
}

// fakeClock is advanced by the test; no test waits on real time.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestRemoteJWKSRotation(t *testing.T) {
	k := getKeys(t)
	next, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srv := &jwksServer{body: jwksJSON(t, map[string]crypto.PublicKey{"k1": k.ec.Public()})}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	clock := &fakeClock{now: time.Now()}
	remote, err := RemoteJWKS(ts.URL+"/jwks", RemoteOptions{Now: clock.Now, TTL: 10 * time.Minute, MinRefresh: time.Minute, MaxStale: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	a := newJWTAuth(t, remote, nil)
	check := func(tok string, ok bool, hits int) {
		t.Helper()
		_, err := a.Authenticate(request(tok))
		if (err == nil) != ok || srv.count() != hits {
			t.Fatalf("ok=%v hits=%d: err %v, hits %d", ok, hits, err, srv.count())
		}
	}
	check(mint(t, jose.ES256, k.ec, "k1", claims()), true, 1)
	check(mint(t, jose.ES256, k.ec, "k1", claims()), true, 1) // cached

	// The issuer rotates to k2: the first k2 token triggers one refresh.
	clock.advance(2 * time.Minute)
	srv.set(jwksJSON(t, map[string]crypto.PublicKey{"k2": next.Public()}), 0)
	check(mint(t, jose.ES256, next, "k2", claims()), true, 2)
	check(mint(t, jose.ES256, next, "k2", claims()), true, 2)
	// Unknown kids within the minute fetch nothing: they cannot be used to
	// hammer the issuer.
	for range 5 {
		check(mint(t, jose.ES256, next, "k3", claims()), false, 2)
	}
	// The old key is gone with the refresh.
	check(mint(t, jose.ES256, k.ec, "k1", claims()), false, 2)
	clock.advance(2 * time.Minute)
	check(mint(t, jose.ES256, next, "k3", claims()), false, 3)

	// After the TTL the set is fetched again; if the issuer is down, the
	// stale set serves for MaxStale, then nothing does.
	srv.set(nil, http.StatusInternalServerError)
	clock.advance(11 * time.Minute)
	check(mint(t, jose.ES256, next, "k2", claims()), true, 4)
	clock.advance(30 * time.Second)
	check(mint(t, jose.ES256, next, "k2", claims()), true, 4) // failure backoff
	clock.advance(2 * time.Hour)
	_, err = a.Authenticate(request(mint(t, jose.ES256, next, "k2", claims())))
	if !errors.Is(err, ErrUnavailable) || Status(err) != http.StatusServiceUnavailable {
		t.Fatalf("issuer down past MaxStale: %v", err)
	}
	if remote.Fetches() != srv.count() {
		t.Fatalf("fetches %d, hits %d", remote.Fetches(), srv.count())
	}
}

func TestRemoteJWKSConcurrent(t *testing.T) {
	k := getKeys(t)
	srv := &jwksServer{body: jwksJSON(t, map[string]crypto.PublicKey{"k1": k.ec.Public()})}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	remote, _ := RemoteJWKS(ts.URL, RemoteOptions{})
	a := newJWTAuth(t, remote, nil)
	tok := mint(t, jose.ES256, k.ec, "k1", claims())
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if _, err := a.Authenticate(request(tok)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if srv.count() != 1 {
		t.Fatalf("%d fetches for one cold cache", srv.count())
	}
}

func TestRemoteJWKSBadResponses(t *testing.T) {
	k := getKeys(t)
	for name, body := range map[string][]byte{
		"oversized": []byte(`{"keys":[` + strings.Repeat(" ", 2<<20) + `]}`),
		"html":      []byte("<html>login</html>"),
		"private":   privateSet(t),
	} {
		srv := &jwksServer{body: body}
		ts := httptest.NewServer(srv)
		remote, _ := RemoteJWKS(ts.URL, RemoteOptions{MaxBytes: 1 << 20})
		_, err := newJWTAuth(t, remote, nil).Authenticate(request(mint(t, jose.ES256, k.ec, "k1", claims())))
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s: %v", name, err)
		}
		ts.Close()
	}
}

func privateSet(t *testing.T) []byte {
	b, err := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: getKeys(t).ec, KeyID: "k1"}}}.Keys[0].MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return []byte(`{"keys":[` + string(b) + `]}`)
}

func TestRemoteJWKSURLs(t *testing.T) {
	for u, ok := range map[string]bool{
		"https://idp.example/.well-known/jwks.json": true,
		"http://127.0.0.1:8080/jwks":                true,
		"http://[::1]/jwks":                         true,
		"http://localhost/jwks":                     true,
		"http://idp.example/jwks":                   false,
		"http://127.0.0.1.evil.example/jwks":        false,
		"https://user:pw@idp.example/jwks":          false,
		"file:///etc/passwd":                        false,
		"ftp://idp.example/jwks":                    false,
		"https:///jwks":                             false,
		"::not a url":                               false,
	} {
		if _, err := RemoteJWKS(u, RemoteOptions{}); (err == nil) != ok {
			t.Errorf("%s: %v", u, err)
		}
	}
}

// A redirect to clear-text HTTP elsewhere is not followed.
func TestRemoteJWKSRedirect(t *testing.T) {
	ts := httptest.NewServer(http.RedirectHandler("http://idp.example/jwks", http.StatusFound))
	defer ts.Close()
	remote, _ := RemoteJWKS(ts.URL, RemoteOptions{})
	if _, err := remote.Keys(context.Background()); err == nil || !strings.Contains(err.Error(), "only https") {
		t.Fatalf("%v", err)
	}
}
