package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/modelward/modelward/registry"
)

// payload is the JSON body of a delivery.
type payload struct {
	ID    string              `json:"id"`
	Type  string              `json:"type"`
	Time  time.Time           `json:"time"`
	Entry registry.AuditEntry `json:"entry"`
}

// outcome classifies one attempt.
type outcome int

const (
	delivered outcome = iota
	retryable
	permanent
)

// maxDrain bounds how much of a response body is read (and thrown away)
// so that the connection can be reused.
const maxDrain = 64 << 10

// deliver sends entry a to e until it is delivered, refused for good or
// out of attempts, and reports true; false means ctx ended first.
func (d *Dispatcher) deliver(ctx context.Context, e *endpoint, a *registry.AuditEntry) bool {
	id := strconv.FormatInt(a.Seq, 10)
	body, err := json.Marshal(payload{ID: id, Type: a.Action, Time: a.Time, Entry: *a})
	if err != nil {
		// Not expected: the store checked Detail is JSON. Skip rather
		// than stall every later entry.
		d.log.Error("webhook entry skipped: cannot encode it", "endpoint", e.safe, "endpoint_id", e.id,
			"seq", a.Seq, "action", a.Action, "err", err)
		return true
	}
	for attempt := 1; ; attempt++ {
		res, status, retryAfter, err := d.attempt(ctx, e, id, body)
		if ctx.Err() != nil {
			return false
		}
		switch res {
		case delivered:
			return true
		case permanent:
			d.log.Error("webhook entry skipped: the endpoint refused it; fix the endpoint and replay the entry from the audit log",
				"endpoint", e.safe, "endpoint_id", e.id, "seq", a.Seq, "action", a.Action, "status", status, "err", err)
			return true
		}
		if attempt >= d.opt.MaxAttempts {
			d.log.Error("webhook entry skipped: delivery failed too many times",
				"endpoint", e.safe, "endpoint_id", e.id, "seq", a.Seq, "action", a.Action,
				"attempts", attempt, "status", status, "err", err)
			return true
		}
		delay := d.backoff(attempt)
		if retryAfter >= 0 {
			delay = min(retryAfter, d.opt.MaxBackoff)
		}
		d.log.Warn("webhook delivery failed; retrying", "endpoint", e.safe, "endpoint_id", e.id, "seq", a.Seq,
			"attempt", attempt, "status", status, "err", err, "retry_in", delay)
		if !sleep(ctx, delay) {
			return false
		}
	}
}

// attempt makes one request. It returns the outcome, the status (0 for a
// network error), the Retry-After delay (-1 when none applies) and what
// went wrong.
func (d *Dispatcher) attempt(ctx context.Context, e *endpoint, id string, body []byte) (outcome, int, time.Duration, error) {
	rctx, cancel := context.WithTimeout(ctx, d.opt.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, e.URL, bytes.NewReader(body))
	if err != nil {
		return permanent, 0, -1, fmt.Errorf("build the request: %w", err)
	}
	ts := d.opt.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "modelward")
	req.Header.Set(HeaderID, id)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(e.Secret, id, ts, body))
	resp, err := d.client.Do(req)
	if err != nil {
		return retryable, 0, -1, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	resp.Body.Close()
	return classify(resp, d.opt.Now())
}

// classify sorts a response into delivered, retryable or permanent.
func classify(resp *http.Response, now time.Time) (outcome, int, time.Duration, error) {
	code := resp.StatusCode
	switch {
	case code >= 200 && code <= 299:
		return delivered, code, -1, nil
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		return retryable, code, retryAfter(resp.Header.Get("Retry-After"), now), errors.New(resp.Status)
	case code == http.StatusRequestTimeout || code == http.StatusTooEarly || (code >= 500 && code <= 599):
		return retryable, code, -1, errors.New(resp.Status)
	case code >= 300 && code <= 399:
		return permanent, code, -1, fmt.Errorf("%s: the endpoint redirects (to %q); redirects are not followed, configure the final URL",
			resp.Status, resp.Header.Get("Location"))
	}
	return permanent, code, -1, errors.New(resp.Status)
}

// retryAfter reads a Retry-After value (seconds or an HTTP date) as a
// delay from now; -1 when it is missing or unreadable.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return -1
	}
	if n, err := strconv.ParseUint(v, 10, 63); err == nil {
		if n > uint64(time.Duration(1<<63-1)/time.Second) {
			return time.Duration(1<<63 - 1)
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return -1
}

// backoff is the delay before retry number attempt (1 for the first):
// "full jitter", uniform in [0, min(MaxBackoff, BaseBackoff·2^(attempt-1))].
func (d *Dispatcher) backoff(attempt int) time.Duration {
	limit := d.opt.MaxBackoff
	if shift := attempt - 1; shift < 62 && d.opt.BaseBackoff <= d.opt.MaxBackoff>>shift {
		limit = d.opt.BaseBackoff << shift
	}
	if limit <= 0 {
		return 0
	}
	return rand.N(limit + 1)
}

// sleep waits for d or ctx, and reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
