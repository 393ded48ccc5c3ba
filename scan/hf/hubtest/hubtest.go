// Package hubtest runs a local stand-in for the Hugging Face hub, for tests
// of code that reads remote repositories (package hf and the scanner).
//
// It speaks the parts of the hub's HTTP API that a scanner uses:
//
//	GET /api/models/{id}/revision/{rev}?blobs=true   model info with siblings
//	GET /api/models/{id}/tree/{rev}?recursive=true   file list, paginated by Link rel="next"
//	GET /{id}/resolve/{rev}/{path}                   file content, Range supported
//
// (and the same under /api/datasets/, /datasets/, /api/spaces/, /spaces/ for
// repositories whose id starts with "datasets/" or "spaces/"). Each
// repository is served from a local folder; {rev} may be its branch name or
// its commit. Files at least WithLFSRedirect's size are LFS files: the hub
// answers 302 to a second server standing for the CDN, which checks a signed
// query instead of a token and records whether an Authorization header
// reached it (a client must never forward the token there).
//
// Counters (Requests, BytesServed) let tests assert how much a client
// fetched. Fault options (WithFailures, WithIgnoreRange, WithoutSizes) make
// the server behave like a rate-limited, old or partial hub.
package hubtest

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Server is a running fake hub. URL is the endpoint (HF_ENDPOINT) and CDNURL
// the server LFS downloads are redirected to.
type Server struct {
	URL    string
	CDNURL string

	cfg    config
	secret string // the CDN's URL signature

	mu       sync.Mutex
	requests int
	bytes    map[string]int64
	cdnAuth  int
	failures int
}

type config struct {
	repos       []*repo
	token       string
	lfsMin      int64
	ignoreRange bool
	noSizes     bool
	pageSize    int
	failN       int
	failStatus  int
	gated       map[string]bool
}

// Option configures a Server.
type Option func(*config)

// WithRepo serves the regular files under dir (recursively, skipping .git)
// as repository id ("org/name", "name", "datasets/org/name") at commit (40
// hex digits), also reachable as branch.
func WithRepo(id, commit, dir, branch string) Option {
	return func(c *config) { c.repos = append(c.repos, &repo{id: id, commit: commit, dir: dir, branch: branch}) }
}

// WithToken makes every hub request require "Authorization: Bearer tok":
// without one the answer is 401, with a wrong one 404 (as the hub answers
// for private repositories).
func WithToken(tok string) Option { return func(c *config) { c.token = tok } }

// WithLFSRedirect treats files of at least minSize bytes as LFS files: they
// are listed with lfs metadata and their downloads redirect to the CDN.
func WithLFSRedirect(minSize int64) Option { return func(c *config) { c.lfsMin = minSize } }

// WithIgnoreRange answers range requests with the whole file (200), like a
// server without range support.
func WithIgnoreRange() Option { return func(c *config) { c.ignoreRange = true } }

// WithoutSizes omits sizes from model info, so clients must use the tree API.
func WithoutSizes() Option { return func(c *config) { c.noSizes = true } }

// WithTreePageSize sets how many entries a tree page holds (default 1000).
func WithTreePageSize(n int) Option { return func(c *config) { c.pageSize = n } }

// WithFailures answers the first n hub requests with status (e.g. 429 or
// 503) and a Retry-After of 0.
func WithFailures(n, status int) Option {
	return func(c *config) { c.failN, c.failStatus = n, status }
}

// WithGated answers 403 GatedRepo for repository id, as the hub does before
// the user has accepted its conditions.
func WithGated(id string) Option {
	return func(c *config) {
		if c.gated == nil {
			c.gated = map[string]bool{}
		}
		c.gated[id] = true
	}
}

// New starts a hub and a CDN server, closed when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{bytes: map[string]int64{}, secret: randomHex()}
	s.cfg.pageSize = 1000
	for _, o := range opts {
		o(&s.cfg)
	}
	for _, r := range s.cfg.repos {
		if err := r.load(s.cfg.lfsMin); err != nil {
			t.Fatalf("hubtest: repo %s: %v", r.id, err)
		}
	}
	cdn := httptest.NewServer(http.HandlerFunc(s.serveCDN))
	hub := httptest.NewServer(http.HandlerFunc(s.serveHub))
	t.Cleanup(hub.Close)
	t.Cleanup(cdn.Close)
	s.URL, s.CDNURL = hub.URL, cdn.URL
	return s
}

// Requests is the number of requests both servers received.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// BytesServed is the number of file-content bytes written for the
// repository file path (for example "model.safetensors"), by the hub and
// the CDN together, summed over repositories that share the path.
func (s *Server) BytesServed(path string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes[path]
}

// CDNAuthorizations is the number of CDN requests that carried an
// Authorization header: a correct client keeps it at zero.
func (s *Server) CDNAuthorizations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cdnAuth
}

func (s *Server) count() {
	s.mu.Lock()
	s.requests++
	s.mu.Unlock()
}

func (s *Server) served(path string, n int64) {
	s.mu.Lock()
	s.bytes[path] += n
	s.mu.Unlock()
}

// fail reports whether this request is one of the configured failures.
func (s *Server) fail() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failures < s.cfg.failN {
		s.failures++
		return true
	}
	return false
}

func randomHex() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
