package auth

import (
	"crypto/sha256"
	"slices"
	"sync"
	"time"
)

// verifiedCache remembers principals of JWTs that verified, keyed by the
// token's SHA-256, so that a client re-sending its token skips the
// signature check (an ES256 verify costs ~100 µs, a lookup well under 1).
// An entry lives until the token expires or ttl passes, whichever is first;
// ttl bounds how long a key withdrawn from the JWKS keeps its tokens alive.
// Only verified tokens enter, so garbage cannot fill it.
type verifiedCache struct {
	mu      sync.Mutex
	max     int
	ttl     time.Duration
	entries map[[sha256.Size]byte]cached
}

type cached struct {
	p     Principal
	until time.Time
}

func newVerifiedCache(max int, ttl time.Duration) *verifiedCache {
	return &verifiedCache{max: max, ttl: ttl, entries: make(map[[sha256.Size]byte]cached, max)}
}

func (c *verifiedCache) get(key [sha256.Size]byte, now time.Time) (Principal, bool) {
	c.mu.Lock()
	e, ok := c.entries[key]
	if ok && !now.Before(e.until) {
		delete(c.entries, key)
		ok = false
	}
	c.mu.Unlock()
	if !ok {
		return Principal{}, false
	}
	return e.p.clone(), true
}

// put stores p until min(exp, now+ttl). When full it evicts an arbitrary
// entry (Go's map order): O(1), and a flood of fresh valid tokens only
// costs their owners a re-verification.
func (c *verifiedCache) put(key [sha256.Size]byte, p Principal, exp, now time.Time) {
	until := now.Add(c.ttl)
	if exp.Before(until) {
		until = exp
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok && len(c.entries) >= c.max {
		for k := range c.entries {
			delete(c.entries, k)
			break
		}
	}
	c.entries[key] = cached{p: p.clone(), until: until}
}

// clone keeps cached scopes safe from callers that modify what they got.
func (p Principal) clone() Principal {
	p.Models, p.Operations = slices.Clone(p.Models), slices.Clone(p.Operations)
	return p
}
