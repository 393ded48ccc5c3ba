package hf

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// trickle writes body one byte at a time, every gap, declaring its full
// length first, as the red-team slow hub does; it stops when the client
// goes away.
func trickle(w http.ResponseWriter, r *http.Request, body string, gap time.Duration) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	for i := range len(body) {
		if _, err := w.Write([]byte{body[i]}); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-time.After(gap):
		}
	}
}

// slowHub serves model info with info, through answer, and counts requests.
func slowHub(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) (*Client, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		answer(w, r)
	}))
	t.Cleanup(srv.Close)
	return &Client{Endpoint: srv.URL, RetryDelay: time.Millisecond}, &n
}

var slowInfo = fmt.Sprintf(`{"id":"org/m","sha":%q,"siblings":[{"rfilename":"a.pkl","size":10}]}`, testCommit)

// wantTimeout runs Resolve and checks that it fails soon with an error
// naming the bound that was reached.
func wantTimeout(t *testing.T, c *Client, field string) {
	t.Helper()
	start := time.Now()
	repo, err := c.Resolve(testCtx(t), Ref{Repo: "org/m"})
	if err == nil {
		t.Fatalf("a trickling hub was accepted: %+v", repo)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("Resolve took %v", took)
	}
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), field) {
		t.Errorf("error %q should match ErrTimeout and name %s", err, field)
	}
}

// TestRequestTimeoutCoversBody: a hub that sends its headers at once and
// then trickles the model-info JSON (the red-team slowhub.py) is cut off by
// RequestTimeout, and the timed-out try is not retried.
func TestRequestTimeoutCoversBody(t *testing.T) {
	c, n := slowHub(t, func(w http.ResponseWriter, r *http.Request) { trickle(w, r, slowInfo, 20*time.Millisecond) })
	c.RequestTimeout = 200 * time.Millisecond
	wantTimeout(t, c, "RequestTimeout")
	if got := n.Load(); got != 1 {
		t.Errorf("%d requests: a timed-out try was retried", got)
	}
}

// TestRequestTimeoutCoversHeaders: a hub that never answers.
func TestRequestTimeoutCoversHeaders(t *testing.T) {
	c, n := slowHub(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	c.RequestTimeout = 100 * time.Millisecond
	wantTimeout(t, c, "RequestTimeout")
	if got := n.Load(); got != 1 {
		t.Errorf("%d requests: a timed-out try was retried", got)
	}
}

// TestRequestTimeoutCoversTreePages: the file list is read under the same
// bound.
func TestRequestTimeoutCoversTreePages(t *testing.T) {
	info := fmt.Sprintf(`{"sha":%q,"siblings":[{"rfilename":"a"}]}`, testCommit)
	c, _ := slowHub(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/tree/") {
			trickle(w, r, `[{"type":"file","path":"a","size":1}]`, 20*time.Millisecond)
			return
		}
		fmt.Fprint(w, info)
	})
	c.RequestTimeout = 200 * time.Millisecond
	wantTimeout(t, c, "RequestTimeout")
}

// TestResolveTimeout: each page of the file list comes in time, but there
// is no end to them; ResolveTimeout stops the whole.
func TestResolveTimeout(t *testing.T) {
	info := fmt.Sprintf(`{"sha":%q,"siblings":[{"rfilename":"a"}]}`, testCommit)
	var page atomic.Int32
	c, _ := slowHub(t, func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.URL.Path, "/tree/") {
			fmt.Fprint(w, info)
			return
		}
		p := page.Add(1)
		w.Header().Set("Link", fmt.Sprintf(`<%s?cursor=%d>; rel="next"`, r.URL.Path, p))
		time.Sleep(20 * time.Millisecond)
		fmt.Fprintf(w, `[{"type":"file","path":"f%d","size":1}]`, p)
	})
	c.RequestTimeout = time.Minute
	c.ResolveTimeout = 300 * time.Millisecond
	wantTimeout(t, c, "ResolveTimeout")
	if page.Load() < 2 {
		t.Errorf("only %d pages read: the per-request bound was not what stopped it", page.Load())
	}
}

// TestTimeoutsDoNotCutOffAnOrdinaryHub: the bounds leave a normal, prompt
// answer alone, and the caller's own cancellation is still reported as such.
func TestTimeoutsDoNotCutOffAnOrdinaryHub(t *testing.T) {
	_, c, _ := newHub(t)
	c.RequestTimeout = 5 * time.Second
	c.ResolveTimeout = 10 * time.Second
	if _, err := c.Resolve(testCtx(t), Ref{Repo: "org/model"}); err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Resolve(ctx, Ref{Repo: "org/model"})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Errorf("cancelled Resolve: %v", err)
	}
	if d := (&Client{}).requestTimeout(); d != DefaultRequestTimeout || DefaultRequestTimeout != 2*time.Minute {
		t.Errorf("default request timeout %v", d)
	}
	if d := (&Client{}).resolveTimeout(); d != DefaultResolveTimeout || DefaultResolveTimeout != 10*time.Minute {
		t.Errorf("default resolve timeout %v", d)
	}
}
