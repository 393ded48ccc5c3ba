package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// JWKSSource yields the issuer's public signing keys.
type JWKSSource interface {
	Keys(ctx context.Context) (*jose.JSONWebKeySet, error)
}

// KeyRefresher is a JWKSSource that can fetch again when a token names a
// kid it does not hold. Implementations bound how often that happens, since
// the kid is chosen by whoever sends the token.
type KeyRefresher interface {
	JWKSSource
	Refresh(ctx context.Context) (*jose.JSONWebKeySet, error)
}

// Bounds on a key set.
const (
	maxJWKSBytes = 1 << 20
	maxJWKSKeys  = 64
)

type staticJWKS struct{ set *jose.JSONWebKeySet }

func (s staticJWKS) Keys(context.Context) (*jose.JSONWebKeySet, error) { return s.set, nil }

// StaticJWKS is a fixed key set, e.g. read from a file.
func StaticJWKS(data []byte) (JWKSSource, error) {
	set, err := parseJWKS(data)
	if err != nil {
		return nil, err
	}
	return staticJWKS{set}, nil
}

// parseJWKS decodes and vets a key set: public asymmetric signing keys only.
// A set carrying private or symmetric keys is refused whole: it means a
// misconfiguration that leaks secrets, or an attempt to plant a MAC key.
func parseJWKS(data []byte) (*jose.JSONWebKeySet, error) {
	if len(data) > maxJWKSBytes {
		return nil, fmt.Errorf("JWKS larger than %d bytes", maxJWKSBytes)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("JWKS: %w", err)
	}
	if len(set.Keys) == 0 || len(set.Keys) > maxJWKSKeys {
		return nil, fmt.Errorf("JWKS holds %d keys: want 1 to %d", len(set.Keys), maxJWKSKeys)
	}
	out := &jose.JSONWebKeySet{}
	for _, k := range set.Keys {
		if !k.Valid() || !k.IsPublic() {
			return nil, fmt.Errorf("JWKS key %q is not a valid public key (private or symmetric keys are refused)", clip(k.KeyID, 64))
		}
		if k.Use == "enc" {
			continue // encryption keys never verify signatures
		}
		out.Keys = append(out.Keys, k)
	}
	return out, nil
}

// RemoteOptions tunes a RemoteKeySet. Zero values take the defaults.
type RemoteOptions struct {
	Client     *http.Client     // default: its own, with Timeout
	Timeout    time.Duration    // one fetch; default 10 s
	TTL        time.Duration    // how long a fetched set is fresh; default 10 min
	MinRefresh time.Duration    // least time between two fetches; default 1 min
	MaxStale   time.Duration    // serve a stale set this long while fetches fail; default 1 h
	MaxBytes   int64            // body bound; default 1 MiB
	Now        func() time.Time // for tests
}

// RemoteKeySet fetches a key set from url (an OIDC provider's jwks_uri) and
// caches it.
type RemoteKeySet struct {
	url    string
	client *http.Client
	opt    RemoteOptions

	fetchMu sync.Mutex // one fetch at a time; waiters then reuse its result

	mu      sync.Mutex // guards the fields below
	set     *jose.JSONWebKeySet
	fetched time.Time // when set was fetched
	tried   time.Time // last fetch attempt
	lastErr error
	fetches int
}

// RemoteJWKS checks the URL (https, or http to a loopback address only)
// and builds the source; nothing is fetched until the first token.
func RemoteJWKS(rawURL string, opt RemoteOptions) (*RemoteKeySet, error) {
	if err := checkJWKSURL(rawURL); err != nil {
		return nil, err
	}
	opt = opt.withDefaults()
	c := opt.Client
	if c == nil {
		c = &http.Client{Timeout: opt.Timeout}
	}
	cc := *c // our own copy: we set the redirect policy
	cc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 3 {
			return errors.New("too many redirects")
		}
		return checkJWKSURL(req.URL.String())
	}
	return &RemoteKeySet{url: rawURL, client: &cc, opt: opt}, nil
}

func (o RemoteOptions) withDefaults() RemoteOptions {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Timeout, 10*time.Second)
	def(&o.TTL, 10*time.Minute)
	def(&o.MinRefresh, time.Minute)
	def(&o.MaxStale, time.Hour)
	if o.MaxBytes <= 0 || o.MaxBytes > maxJWKSBytes {
		o.MaxBytes = maxJWKSBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// checkJWKSURL: keys fetched in clear text could be swapped by anyone on
// the path, so only https is allowed, except to this very machine.
func checkJWKSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("JWKS URL: %w", err)
	}
	if u.User != nil || u.Host == "" {
		return fmt.Errorf("JWKS URL %q: want https://host/path without credentials", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if h := u.Hostname(); h == "localhost" || isLoopbackIP(h) {
			return nil
		}
	}
	return fmt.Errorf("JWKS URL %q: only https (or http to a loopback address) is allowed", raw)
}

func isLoopbackIP(h string) bool {
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// Keys returns the cached set while fresh, else fetches it.
func (r *RemoteKeySet) Keys(ctx context.Context) (*jose.JSONWebKeySet, error) {
	r.mu.Lock()
	set, fresh := r.set, r.set != nil && r.opt.Now().Sub(r.fetched) < r.opt.TTL
	r.mu.Unlock()
	if fresh {
		return set, nil
	}
	return r.refresh(ctx, false)
}

// Refresh fetches now unless a fetch happened within MinRefresh.
func (r *RemoteKeySet) Refresh(ctx context.Context) (*jose.JSONWebKeySet, error) {
	return r.refresh(ctx, true)
}

// Fetches reports how many fetches were attempted (for tests and metrics).
func (r *RemoteKeySet) Fetches() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fetches
}

func (r *RemoteKeySet) refresh(ctx context.Context, forced bool) (*jose.JSONWebKeySet, error) {
	r.fetchMu.Lock()
	defer r.fetchMu.Unlock()
	if done, set, err := r.skipFetch(forced); done {
		return set, err
	}
	set, err := r.fetch(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lastErr = err
	if err == nil {
		r.set, r.fetched = set, r.opt.Now()
		return set, nil
	}
	return r.staleLocked(err)
}

// skipFetch decides, after waiting for any fetch in flight, whether a new
// fetch is needed; if not it returns what to answer instead.
func (r *RemoteKeySet) skipFetch(forced bool) (bool, *jose.JSONWebKeySet, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.opt.Now()
	if !forced && r.set != nil && now.Sub(r.fetched) < r.opt.TTL {
		return true, r.set, nil // someone else refreshed while we waited
	}
	if !r.tried.IsZero() && now.Sub(r.tried) < r.opt.MinRefresh {
		if r.lastErr != nil {
			set, err := r.staleLocked(r.lastErr)
			return true, set, err
		}
		return true, r.set, nil
	}
	r.tried = now
	r.fetches++
	return false, nil, nil
}

// staleLocked serves the last good set for MaxStale past its TTL when
// fetching fails: an issuer outage should not log everyone out, but a key
// the issuer withdrew must not stay trusted forever.
func (r *RemoteKeySet) staleLocked(err error) (*jose.JSONWebKeySet, error) {
	if r.set != nil && r.opt.Now().Sub(r.fetched) < r.opt.TTL+r.opt.MaxStale {
		return r.set, nil
	}
	return nil, err
}

func (r *RemoteKeySet) fetch(ctx context.Context) (*jose.JSONWebKeySet, error) {
	ctx, cancel := context.WithTimeout(ctx, r.opt.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching JWKS from %s: HTTP %d", r.url, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, r.opt.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading JWKS: %w", err)
	}
	if int64(len(body)) > r.opt.MaxBytes {
		return nil, fmt.Errorf("JWKS from %s exceeds %d bytes", r.url, r.opt.MaxBytes)
	}
	set, err := parseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("from %s: %w", r.url, err)
	}
	return set, nil
}
