// Package client speaks the registry's HTTP API (docs/api.md) for the
// command line and for programs that push, promote or fetch models.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/modelward/modelward/registry"
)

// Client talks to one registry server with one token.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
}

// New returns a client for the server at baseURL ("http://127.0.0.1:8470").
// Tokens travel only over https, or plain http to a loopback address.
func New(baseURL, token string) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server URL %q: use http(s)://host:port", baseURL)
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		return nil, fmt.Errorf("server URL %q: a token is sent only over https (plain http only to localhost)", baseURL)
	}
	if token == "" {
		return nil, errors.New("no token: set MODELWARD_TOKEN (see 'modelward token create')")
	}
	return &Client{base: u, token: token, http: &http.Client{
		Timeout:       0, // pushes of large models take as long as they take; contexts bound calls
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}, nil
}

func loopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1" || strings.HasPrefix(host, "127.")
}

// Problem is an RFC 9457 problem the server returned.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Instance string `json:"instance"`
}

func (p *Problem) Error() string {
	if p.Detail != "" {
		return p.Detail
	}
	return fmt.Sprintf("%s (HTTP %d)", p.Title, p.Status)
}

// Slug is the last part of the problem type ("blocked", "forbidden", ...).
func (p *Problem) Slug() string { return p.Type[strings.LastIndexByte(p.Type, '/')+1:] }

// modelPath escapes a model name as one path segment.
func modelPath(model string) string { return "/v1/models/" + url.PathEscape(model) }

func versionPath(model string, n int64) string {
	return modelPath(model) + "/versions/" + strconv.FormatInt(n, 10)
}

// do sends a request with a JSON body (when in != nil) and decodes a JSON
// answer into out (when non-nil).
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) (*http.Response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	return c.send(ctx, method, path, query, body, "application/json", out)
}

func (c *Client) send(ctx context.Context, method, path string, query url.Values, body io.Reader, ctype string, out any) (*http.Response, error) {
	u := *c.base
	u.RawPath = c.base.Path + path
	u.Path, _ = url.PathUnescape(u.RawPath)
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	if sb, ok := body.(interface{ Size() int64 }); ok {
		req.ContentLength = sb.Size() // a streamed body of known length: no chunked encoding
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", c.base.Host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return resp, problemOf(resp)
	}
	if out != nil {
		dec := json.NewDecoder(io.LimitReader(resp.Body, 64<<20))
		if err := dec.Decode(out); err != nil {
			return resp, fmt.Errorf("registry answer: %w", err)
		}
	}
	return resp, nil
}

func problemOf(resp *http.Response) error {
	p := &Problem{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode)}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == "application/problem+json" || mt == "application/json" {
		_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(p)
	}
	if p.Type == "" {
		p.Type = "about:blank"
	}
	return p
}

type list[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next"`
}

func pageQuery(after string, limit int) url.Values {
	q := url.Values{}
	if after != "" {
		q.Set("after", after)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return q
}

// Models lists models.
func (c *Client) Models(ctx context.Context, after string, limit int) ([]registry.ModelSummary, string, error) {
	var l list[registry.ModelSummary]
	_, err := c.do(ctx, http.MethodGet, "/v1/models", pageQuery(after, limit), nil, &l)
	return l.Items, l.Next, err
}

// Versions lists a model's versions, newest first.
func (c *Client) Versions(ctx context.Context, model, after string, limit int) ([]*registry.Version, string, error) {
	var l list[*registry.Version]
	_, err := c.do(ctx, http.MethodGet, modelPath(model)+"/versions", pageQuery(after, limit), nil, &l)
	return l.Items, l.Next, err
}

// Version returns one version.
func (c *Client) Version(ctx context.Context, model string, n int64) (*registry.Version, error) {
	var v registry.Version
	_, err := c.do(ctx, http.MethodGet, versionPath(model, n), nil, nil, &v)
	return &v, err
}

// Deployed returns the model's deployed version, re-verified by the server.
func (c *Client) Deployed(ctx context.Context, model string) (*registry.Version, error) {
	var v registry.Version
	_, err := c.do(ctx, http.MethodGet, modelPath(model)+"/deployed", nil, nil, &v)
	return &v, err
}

// Transition moves a version to another state.
func (c *Client) Transition(ctx context.Context, model string, n int64, to registry.State, reason string) (*registry.Version, error) {
	var v registry.Version
	_, err := c.do(ctx, http.MethodPost, versionPath(model, n)+"/transitions", nil, map[string]string{"to": string(to), "reason": reason}, &v)
	return &v, err
}

// RecordEvaluation stores evaluation results on a version.
func (c *Client) RecordEvaluation(ctx context.Context, model string, n int64, results map[string]float64) (*registry.Version, error) {
	var v registry.Version
	_, err := c.do(ctx, http.MethodPost, versionPath(model, n)+"/evaluation", nil, results, &v)
	return &v, err
}

// Rollback deploys the newest earlier version that re-verifies.
func (c *Client) Rollback(ctx context.Context, model, reason string) (*registry.Version, error) {
	var v registry.Version
	_, err := c.do(ctx, http.MethodPost, modelPath(model)+"/rollback", nil, map[string]string{"reason": reason}, &v)
	return &v, err
}

// RetireRequest says what retiring a version also does.
type RetireRequest struct {
	Reason string `json:"reason"`
	// Shred destroys the archive key at once.
	Shred bool `json:"shred"`
	// RevokeSigner revokes the identity that signed the version.
	RevokeSigner bool `json:"revoke_signer"`
}

// Retire retires a version.
func (c *Client) Retire(ctx context.Context, model string, n int64, r RetireRequest) (*registry.Version, error) {
	var v registry.Version
	_, err := c.do(ctx, http.MethodPost, versionPath(model, n)+"/retire", nil, r, &v)
	return &v, err
}

// Shred destroys a retired version's archive key.
func (c *Client) Shred(ctx context.Context, model string, n int64) (*registry.Version, error) {
	var v registry.Version
	_, err := c.do(ctx, http.MethodPost, versionPath(model, n)+"/shred", nil, nil, &v)
	return &v, err
}

// TokenRequest asks for a new token.
type TokenRequest struct {
	Name         string   `json:"name"`
	Role         string   `json:"role"`
	Models       []string `json:"models,omitempty"`
	TTL          string   `json:"ttl,omitempty"`
	BoundVersion string   `json:"bound_version,omitempty"`
}

// CreateToken makes a token; the secret is returned only here.
func (c *Client) CreateToken(ctx context.Context, r TokenRequest) (string, *registry.Token, error) {
	var out struct {
		Token string          `json:"token"`
		Info  *registry.Token `json:"info"`
	}
	_, err := c.do(ctx, http.MethodPost, "/v1/tokens", nil, r, &out)
	return out.Token, out.Info, err
}

// Tokens lists tokens (never their secrets).
func (c *Client) Tokens(ctx context.Context, after string, limit int) ([]*registry.Token, string, error) {
	var l list[*registry.Token]
	_, err := c.do(ctx, http.MethodGet, "/v1/tokens", pageQuery(after, limit), nil, &l)
	return l.Items, l.Next, err
}

// RevokeToken revokes a token.
func (c *Client) RevokeToken(ctx context.Context, id, reason string) error {
	_, err := c.do(ctx, http.MethodDelete, "/v1/tokens/"+url.PathEscape(id), nil, map[string]string{"reason": reason}, nil)
	return err
}

// VerifyAudit has the server check its audit chain and checkpoints.
func (c *Client) VerifyAudit(ctx context.Context) (*registry.AuditReport, error) {
	var r registry.AuditReport
	_, err := c.do(ctx, http.MethodGet, "/v1/audit/verify", nil, nil, &r)
	return &r, err
}

// Audit lists audit entries after a sequence number.
func (c *Client) Audit(ctx context.Context, after int64, limit int) ([]registry.AuditEntry, string, error) {
	var l list[registry.AuditEntry]
	q := pageQuery("", limit)
	q.Set("after", strconv.FormatInt(after, 10))
	_, err := c.do(ctx, http.MethodGet, "/v1/audit", q, nil, &l)
	return l.Items, l.Next, err
}

// timeout bounds quick calls made by the command line.
const timeout = 60 * time.Second

// Timeout returns a context for one quick API call.
func Timeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, timeout)
}

// All reads every page of a listing: page is one of the listing methods
// with its other arguments bound.
func All[T any](ctx context.Context, page func(ctx context.Context, after string, limit int) ([]T, string, error)) ([]T, error) {
	var all []T
	for after := ""; ; {
		items, next, err := page(ctx, after, 0)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if next == "" {
			return all, nil
		}
		after = next
	}
}
