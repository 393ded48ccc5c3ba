package proxy

import (
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Breaker states.
const (
	breakerClosed   = "closed"
	breakerOpen     = "open"
	breakerHalfOpen = "half-open"
)

// breaker is one upstream's circuit breaker (the pattern of M. Nygard,
// "Release It!", 2007): closed counts consecutive failures; at the limit it
// opens and refuses calls for the cool-down; then it lets one probe through
// (half-open), which closes it on success and reopens it on failure.
type breaker struct {
	mu       sync.Mutex
	limit    int
	cooldown time.Duration
	now      func() time.Time

	failures int
	openedAt time.Time
	open     bool
	probing  bool
}

// allow reports whether a call may go out now, taking the half-open probe
// slot when it is the one let through.
func (b *breaker) allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.open {
		return true
	}
	if b.probing || b.now().Sub(b.openedAt) < b.cooldown {
		return false
	}
	b.probing = true
	return true
}

// done records a call's outcome.
func (b *breaker) done(ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
	if ok {
		b.failures, b.open = 0, false
		return
	}
	b.failures++
	if b.open || b.failures >= b.limit {
		b.open, b.openedAt = true, b.now()
	}
}

// release gives back a probe slot whose call ended without a verdict on
// the upstream (the client went away).
func (b *breaker) release() {
	b.mu.Lock()
	b.probing = false
	b.mu.Unlock()
}

func (b *breaker) state() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case !b.open:
		return breakerClosed
	case b.probing || b.now().Sub(b.openedAt) >= b.cooldown:
		return breakerHalfOpen
	}
	return breakerOpen
}

type upstream struct {
	base  string // without a trailing slash
	host  string // host:port, for the lean client
	plain bool   // http:// with no path prefix: the lean client can speak to it
	br    *breaker
}

// pool picks upstreams round robin, skipping those whose breaker refuses.
type pool struct {
	ups  []*upstream
	next atomic.Uint64
}

func newPool(bases []string, bc BreakerConfig, now func() time.Time) *pool {
	p := &pool{}
	for _, b := range bases {
		u := &upstream{base: strings.TrimRight(b, "/"), br: &breaker{limit: bc.Failures, cooldown: bc.Cooldown, now: now}}
		if pu, err := url.Parse(u.base); err == nil && pu.Scheme == "http" && pu.Path == "" && pu.User == nil {
			u.host, u.plain = pu.Host, true
			if pu.Port() == "" {
				u.host += ":80"
			}
		}
		p.ups = append(p.ups, u)
	}
	return p
}

// pick returns the next upstream whose breaker lets a call through, or nil.
func (p *pool) pick() *upstream {
	n := uint64(len(p.ups))
	start := p.next.Add(1) - 1
	for i := range n {
		u := p.ups[(start+i)%n]
		if u.br.allow() {
			return u
		}
	}
	return nil
}

// healthy reports whether any upstream's breaker is not open.
func (p *pool) healthy() bool {
	for _, u := range p.ups {
		if u.br.state() != breakerOpen {
			return true
		}
	}
	return false
}
