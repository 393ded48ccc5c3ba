package h1

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Defaults for the zero values of Config and Request.
const (
	DefaultMaxIdlePerHost   = 64
	DefaultIdleTimeout      = 90 * time.Second
	DefaultDialTimeout      = 5 * time.Second
	DefaultMaxHeaderBytes   = 16 << 10
	DefaultMaxResponseBytes = 1 << 20
)

var (
	// ErrClosed is returned by Do after Close.
	ErrClosed = errors.New("h1: client closed")
	// ErrTooLarge means the response body exceeded Request.MaxResponseBytes.
	ErrTooLarge = errors.New("h1: response body too large")
	// ErrMalformed wraps every violation of the HTTP/1.1 message syntax
	// by the upstream, and bounds it exceeded outside the body.
	ErrMalformed = errors.New("h1: malformed response")
	// ErrBadRequest wraps a Request that cannot be sent as given.
	ErrBadRequest = errors.New("h1: invalid request")
)

// Config tunes a Client. Zero values take the defaults above.
type Config struct {
	// MaxIdlePerHost bounds the idle connections kept per upstream.
	MaxIdlePerHost int
	// IdleTimeout: an idle connection older than this is closed, not
	// reused, since servers close theirs after a while too.
	IdleTimeout time.Duration
	// DialTimeout bounds connecting, within the request's context.
	DialTimeout time.Duration
	// MaxHeaderBytes bounds the status line and header section of one
	// response (and separately the trailer section of a chunked body).
	MaxHeaderBytes int
	// Dial connects to an upstream; net.Dialer.DialContext by default.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Now is the clock for idle timeouts; time.Now by default.
	Now func() time.Time
}

// Client sends requests to plain-HTTP upstreams over pooled connections.
// It is safe for concurrent use.
type Client struct {
	cfg    Config
	mu     sync.Mutex
	idle   map[string][]*conn // per host, oldest first, taken from the end
	closed bool
}

// New checks cfg, fills its defaults and returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.MaxIdlePerHost < 0 || cfg.IdleTimeout < 0 || cfg.DialTimeout < 0 || cfg.MaxHeaderBytes < 0 {
		return nil, errors.New("h1: negative limit in Config")
	}
	if cfg.MaxIdlePerHost == 0 {
		cfg.MaxIdlePerHost = DefaultMaxIdlePerHost
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if cfg.MaxHeaderBytes == 0 {
		cfg.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if cfg.Dial == nil {
		cfg.Dial = (&net.Dialer{}).DialContext
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Client{cfg: cfg, idle: make(map[string][]*conn)}, nil
}

// Close closes the idle connections; connections in use are closed when
// their request ends, and later calls to Do fail with ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	idle := c.idle
	c.idle = nil
	c.mu.Unlock()
	for _, list := range idle {
		for _, cn := range list {
			cn.close()
		}
	}
	return nil
}

// Do sends req and reads its response on the calling goroutine.
//
// Errors wrap context.Canceled or context.DeadlineExceeded when ctx ended,
// a net.Error whose Timeout() is true when an I/O deadline passed,
// ErrTooLarge, ErrMalformed, ErrBadRequest or ErrClosed, so a caller can
// tell a slow upstream (504) from a broken one (502).
//
// A request that fails on a connection taken from the idle pool, when the
// write failed or the upstream closed the connection before sending any
// byte of an answer, is retried once on a new connection, whatever its
// method. That is the stale keep-alive case: the upstream closed the idle
// connection as the request was sent. A failed write means the upstream
// did not receive the whole request (its Content-Length was not met), so
// it cannot have acted on it; a clean close with no answer is what a
// server that timed out the idle connection gives. The residual case, an
// upstream that crashed while handling the request, is harmless for the
// gateway: an inference has no side effects, so computing it twice costs
// only time.
func (c *Client) Do(ctx context.Context, req *Request) (*Response, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, req.wrap(err)
	}
	cn, reused, err := c.acquire(ctx, req)
	if err != nil {
		return nil, req.wrap(ctxErr(ctx, err))
	}
	resp, retry, err := c.exchange(ctx, cn, req, reused)
	if retry {
		if cn, err = c.dial(ctx, req); err != nil {
			return nil, req.wrap(ctxErr(ctx, err))
		}
		resp, _, err = c.exchange(ctx, cn, req, false)
	}
	if err != nil {
		return nil, req.wrap(ctxErr(ctx, err))
	}
	return resp, nil
}

// exchange runs one request on cn and then pools or closes cn. retry says
// the failure is the stale keep-alive case that Do may retry.
func (c *Client) exchange(ctx context.Context, cn *conn, req *Request, reused bool) (*Response, bool, error) {
	if err := cn.setDeadline(req.deadline(ctx)); err != nil {
		cn.close()
		return nil, false, err
	}
	var stop func() bool
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, cn.interrupt)
	}
	resp, keep, st, err := cn.roundTrip(req)
	if stop != nil && !stop() {
		keep = false // the interrupt ran: cn's deadline is in the past
	}
	if err == nil && keep {
		c.release(cn)
	} else {
		cn.close()
	}
	retry := err != nil && reused && ctx.Err() == nil && stale(st, err)
	return resp, retry, err
}

// ctxErr prefers the context's verdict over an I/O error: one caused by
// the interrupt is a deadline error, which would read as a timeout even
// when the caller cancelled. The upstream's own faults stay as they are.
func ctxErr(ctx context.Context, err error) error {
	if ce := ctx.Err(); ce != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
		return ce
	}
	return err
}

func (r *Request) wrap(err error) error {
	return fmt.Errorf("h1: %s http://%s%s: %w", r.Method, r.Host, r.Path, err)
}
