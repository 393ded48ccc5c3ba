package hf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/modelward/modelward/internal/version"
)

// DefaultEndpoint is the public hub, used when HF_ENDPOINT is not set.
const DefaultEndpoint = "https://huggingface.co"

// DefaultBlockSize is the smallest range a RemoteFile requests.
const DefaultBlockSize = 64 << 10

const (
	defaultRetries    = 4
	defaultRetryDelay = time.Second
	maxRetryDelay     = 30 * time.Second
	maxRedirects      = 5
	// requestTimeout bounds one request, headers and body: reads are split
	// into requests of at most maxChunk bytes, so a slow or stalled server
	// cannot hold a scan for longer than this per request.
	requestTimeout = 5 * time.Minute
	// DefaultRequestTimeout is the default of Client.RequestTimeout.
	DefaultRequestTimeout = 2 * time.Minute
	// DefaultResolveTimeout is the default of Client.ResolveTimeout.
	DefaultResolveTimeout = 10 * time.Minute
)

// Client talks to a hub. The zero value is usable (public hub, no token);
// NewClientFromEnv reads the usual environment variables.
type Client struct {
	Endpoint, Token, UserAgent string
	HTTP                       *http.Client
	BlockSize                  int64
	// Retries bounds the retries of a request answered 429 or 5xx, or that
	// failed on the network: 0 means 4, a negative value means none.
	Retries int
	// RetryDelay is the first wait between tries, doubled each time and
	// capped at 30 s (a Retry-After from the server is honoured up to that
	// cap). 0 means 1 s.
	RetryDelay time.Duration
	// RequestTimeout bounds each try of one API request of Resolve (the
	// model-info answer, one page of the file list), reading the whole
	// answer included, so that a hub that trickles its answer cannot hold a
	// scan. A try that times out is not retried. 0 means
	// DefaultRequestTimeout (2 minutes).
	RequestTimeout time.Duration
	// ResolveTimeout bounds the whole of Resolve: every request, retry and
	// page of the file list. 0 means DefaultResolveTimeout (10 minutes).
	ResolveTimeout time.Duration
}

// NewClientFromEnv returns a client for HF_ENDPOINT (default the public hub)
// with the token from HF_TOKEN, or else HUGGING_FACE_HUB_TOKEN.
func NewClientFromEnv() *Client {
	c := &Client{Endpoint: os.Getenv("HF_ENDPOINT"), Token: os.Getenv("HF_TOKEN")}
	if c.Token == "" {
		c.Token = os.Getenv("HUGGING_FACE_HUB_TOKEN")
	}
	c.Token = strings.TrimSpace(c.Token)
	return c
}

func (c *Client) endpoint() string {
	e := strings.TrimRight(strings.TrimSpace(c.Endpoint), "/")
	if e == "" {
		return DefaultEndpoint
	}
	return e
}

func (c *Client) userAgent() string {
	if c.UserAgent != "" {
		return c.UserAgent
	}
	return "modelward/" + version.Version
}

func (c *Client) blockSize() int64 {
	if c.BlockSize <= 0 {
		return DefaultBlockSize
	}
	return c.BlockSize
}

func (c *Client) requestTimeout() time.Duration {
	if c.RequestTimeout <= 0 {
		return DefaultRequestTimeout
	}
	return c.RequestTimeout
}

func (c *Client) resolveTimeout() time.Duration {
	if c.ResolveTimeout <= 0 {
		return DefaultResolveTimeout
	}
	return c.ResolveTimeout
}

func (c *Client) retries() int {
	switch {
	case c.Retries < 0:
		return 0
	case c.Retries == 0:
		return defaultRetries
	}
	return c.Retries
}

// defaultTransport bounds the phases a server could stall in; the overall
// time is bounded by the context of each request.
var defaultTransport = func() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = time.Minute
	t.TLSHandshakeTimeout = 30 * time.Second
	return t
}()

// httpClient copies the caller's http.Client and installs the redirect
// policy: copying leaves the caller's client unchanged.
func (c *Client) httpClient() *http.Client {
	hc := http.Client{Transport: defaultTransport}
	if c.HTTP != nil {
		hc = *c.HTTP
	}
	hc.CheckRedirect = checkRedirect
	return &hc
}

type commitKey struct{}

// checkRedirect follows at most a few redirects, never downgrades https to
// http, and drops the token (and cookies) on any hop to a host other than
// the endpoint's: large files are served from a CDN through signed URLs that
// need no token, and the token must not leak there. Go's own rule keeps the
// header for subdomains, which is not enough here. A redirect answer that
// names another commit than the pinned one fails the request.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return policyErr(fmt.Sprintf("more than %d redirects", maxRedirects))
	}
	first := via[0].URL
	if req.URL.Scheme != "https" && req.URL.Scheme != "http" {
		return policyErr(fmt.Sprintf("redirect to unsupported scheme %q", req.URL.Scheme))
	}
	if first.Scheme == "https" && req.URL.Scheme != "https" {
		return policyErr("refusing a redirect from https to http")
	}
	if !strings.EqualFold(req.URL.Host, first.Host) {
		req.Header.Del("Authorization")
		req.Header.Del("Cookie")
	}
	if want, _ := req.Context().Value(commitKey{}).(string); want != "" && req.Response != nil {
		if got := req.Response.Header.Get("X-Repo-Commit"); got != "" && got != want {
			return commitChanged(want, got)
		}
	}
	return nil
}

func commitChanged(want, got string) error {
	return policyErr(fmt.Sprintf("the hub served commit %s instead of the pinned %s: "+
		"the answer does not belong to the resolved revision", clean(got, 80), want))
}

// policyError is a refusal by this client (a redirect or answer it will not
// accept); retrying cannot help.
type policyError string

func (e policyError) Error() string { return string(e) }

func policyErr(s string) error { return policyError(s) }

// mayAuth reports whether the token may be sent to u: only over https, or
// to a loopback address (a local test hub or proxy).
func mayAuth(u *url.URL) bool {
	if u.Scheme == "https" {
		return true
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// request is one GET with its headers.
type request struct {
	url    string
	header http.Header
	what   string // for error messages
	commit string // pinned commit, checked against X-Repo-Commit
	// timeout, when set, bounds each try, reading the body included.
	timeout time.Duration
}

// do sends r, retrying 429, 5xx and network failures with exponential
// backoff. A non-2xx answer left after the retries is returned as a
// *StatusError; the caller owns the body of a successful answer.
func (c *Client) do(ctx context.Context, r request) (*http.Response, error) {
	delay := c.RetryDelay
	if delay <= 0 {
		delay = defaultRetryDelay
	}
	for attempt := 0; ; attempt++ {
		resp, sent, err := c.once(ctx, r)
		if err == nil && resp.StatusCode < 300 {
			return resp, nil
		}
		if ctx.Err() != nil || !retryable(resp, err) || attempt >= c.retries() {
			if ctx.Err() != nil {
				// Say why: the caller's cancellation or one of our bounds.
				if resp != nil {
					resp.Body.Close()
				}
				err = context.Cause(ctx)
			}
			if err != nil {
				return nil, fmt.Errorf("hf: %s: %w", r.what, err)
			}
			return nil, statusError(resp, r.what, sent, attempt)
		}
		wait := backoff(delay, attempt, resp)
		if resp != nil {
			drainClose(resp.Body)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("hf: %s: %w", r.what, context.Cause(ctx))
		case <-t.C:
		}
	}
}

// once sends one try. sent reports whether a token went with it. The try
// gets its own context, with r.timeout as its deadline when set, which lasts
// until the body of a returned answer is closed.
func (c *Client) once(ctx context.Context, r request) (resp *http.Response, sent bool, err error) {
	if r.commit != "" {
		ctx = context.WithValue(ctx, commitKey{}, r.commit)
	}
	var cancel context.CancelFunc
	if r.timeout > 0 {
		ctx, cancel = context.WithTimeoutCause(ctx, r.timeout, &timeoutError{what: "the answer", d: r.timeout, field: "RequestTimeout"})
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	resp, sent, err = c.send(ctx, r)
	if err != nil {
		if ctx.Err() != nil {
			// A try that ran out of time is not retried: the error is no
			// longer a *url.Error.
			err = context.Cause(ctx)
		}
		cancel()
		return nil, sent, err
	}
	resp.Body = &deadlineBody{ReadCloser: resp.Body, ctx: ctx, cancel: cancel}
	return resp, sent, nil
}

func (c *Client) send(ctx context.Context, r request) (resp *http.Response, sent bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return nil, false, err
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", c.userAgent())
	// identity: a transparently gunzipped body would break range arithmetic.
	req.Header.Set("Accept-Encoding", "identity")
	if c.Token != "" {
		if !mayAuth(req.URL) {
			return nil, false, fmt.Errorf("refusing to send HF_TOKEN over plain http to %s", req.URL.Host)
		}
		req.Header.Set("Authorization", "Bearer "+c.Token)
		sent = true
	}
	resp, err = c.httpClient().Do(req)
	if err != nil {
		return nil, sent, err
	}
	if got := resp.Header.Get("X-Repo-Commit"); r.commit != "" && got != "" && got != r.commit {
		drainClose(resp.Body)
		return nil, sent, commitChanged(r.commit, got)
	}
	return resp, sent, nil
}

// deadlineBody is the body of an answer read under a per-try deadline: a
// read cut short by the deadline says so, and Close releases the deadline.
type deadlineBody struct {
	io.ReadCloser
	ctx    context.Context
	cancel context.CancelFunc
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && b.ctx.Err() != nil {
		err = context.Cause(b.ctx)
	}
	return n, err
}

func (b *deadlineBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// retryable: rate limits, server errors and network failures may pass on a
// later try; anything else (4xx, a policy error) will not.
func retryable(resp *http.Response, err error) bool {
	if err != nil {
		var ue *url.Error
		var pe policyError
		return errors.As(err, &ue) && !errors.As(err, &pe)
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// backoff doubles delay per attempt, or follows Retry-After (in seconds),
// capped either way.
func backoff(delay time.Duration, attempt int, resp *http.Response) time.Duration {
	wait := delay << min(attempt, 16)
	if resp != nil {
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
			wait = time.Duration(min(s, int(maxRetryDelay/time.Second))) * time.Second
		}
	}
	return min(wait, maxRetryDelay)
}

// drainClose reads a little of an unwanted body so the connection can be
// reused, then closes it; a large body just closes the connection.
func drainClose(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, 4<<10)
	body.Close()
}
