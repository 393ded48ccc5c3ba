package h1

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// newHTTPServer is a net/http upstream that echoes the request's method,
// path and body and counts new connections.
func newHTTPServer(t testing.TB) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Seen", r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("Content-Type")+" "+r.UserAgent())
		switch r.URL.Path {
		case "/chunked":
			for i := range 3 {
				_, _ = io.WriteString(w, strings.Repeat(string(rune('a'+i)), 1000))
				w.(http.Flusher).Flush()
			}
		case "/close":
			w.Header().Set("Connection", "close")
			_, _ = w.Write(b)
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		default:
			_, _ = w.Write(b)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func hostOf(srv *httptest.Server) string { return strings.TrimPrefix(srv.URL, "http://") }

func TestKeepAliveReuse(t *testing.T) {
	srv, conns := newHTTPServer(t)
	c := newClient(t, Config{})
	for i := range 10 {
		req := post(hostOf(srv))
		resp, err := do(t, c, req)
		if err != nil {
			t.Fatal(i, err)
		}
		if resp.Status != 200 || string(resp.Body) != `{"inputs":[]}` {
			t.Fatalf("got %d %q", resp.Status, resp.Body)
		}
		if got := resp.Header("x-seen"); got != "POST /v2/models/m/infer application/json modelward-gateway" {
			t.Fatalf("the server saw %q", got)
		}
		if resp.Header("Content-Type") != "application/json" || resp.Header("Missing") != "" {
			t.Fatalf("header lookup: %q", resp.header)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections for 10 sequential requests, want 1", n)
	}
}

func TestNetHTTPFramings(t *testing.T) {
	srv, conns := newHTTPServer(t)
	c := newClient(t, Config{})
	resp, err := do(t, c, &Request{Method: "GET", Host: hostOf(srv), Path: "/chunked"})
	if err != nil || len(resp.Body) != 3000 || resp.Body[0] != 'a' || resp.Body[2999] != 'c' {
		t.Fatalf("chunked: %v %d", err, len(resp.Body))
	}
	resp, err = do(t, c, &Request{Method: "HEAD", Host: hostOf(srv), Path: "/chunked"})
	if err != nil || resp.Status != 200 || len(resp.Body) != 0 {
		t.Fatalf("HEAD: %v %+v", err, resp)
	}
	resp, err = do(t, c, &Request{Method: "GET", Host: hostOf(srv), Path: "/empty"})
	if err != nil || resp.Status != 204 || len(resp.Body) != 0 {
		t.Fatalf("204: %v %+v", err, resp)
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections, want 1", n)
	}
	resp, err = do(t, c, &Request{Method: "POST", Host: hostOf(srv), Path: "/close", Body: []byte("x")})
	if err != nil || string(resp.Body) != "x" {
		t.Fatalf("close: %v", err)
	}
	if c.idleCount(hostOf(srv)) != 0 {
		t.Fatal("a connection the server closed went back to the pool")
	}
	req := post(hostOf(srv))
	req.Close = true
	if _, err := do(t, c, req); err != nil || c.idleCount(hostOf(srv)) != 0 {
		t.Fatalf("Request.Close: %v, idle %d", err, c.idleCount(hostOf(srv)))
	}
}

func TestTooLargeNotReused(t *testing.T) {
	srv, conns := newHTTPServer(t)
	c := newClient(t, Config{})
	req := post(hostOf(srv))
	req.Body = []byte(strings.Repeat("x", 100))
	req.MaxResponseBytes = 99
	if _, err := do(t, c, req); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	req.MaxResponseBytes = 100
	if _, err := do(t, c, req); err != nil {
		t.Fatal(err)
	}
	if n := conns.Load(); n != 2 {
		t.Fatalf("%d connections, want 2: the oversized answer's must not be reused", n)
	}
}

func TestHeaderBounds(t *testing.T) {
	long := "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", 1100) + "\r\nContent-Length: 0\r\n\r\n"
	many := "HTTP/1.1 200 OK\r\n" + strings.Repeat("X-A: b\r\n", 101) + "Content-Length: 0\r\n\r\n"
	hundred := "HTTP/1.1 200 OK\r\n" + strings.Repeat("X-A: b\r\n", 99) + "Content-Length: 0\r\n\r\n"
	// A line longer than the read buffer is fine within the bound.
	wide := "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", 9000) + "\r\nContent-Length: 0\r\n\r\n"
	for _, tc := range []struct {
		resp string
		max  int
		ok   bool
	}{{long, 1024, false}, {many, 1024, false}, {hundred, 1024, true}, {wide, 0, true}, {wide, 8192, false}} {
		srv := newRawServer(t, answerAll(tc.resp))
		c := newClient(t, Config{MaxHeaderBytes: tc.max})
		_, err := do(t, c, post(srv.addr()))
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrMalformed)) {
			t.Fatalf("ok = %v, err = %v", tc.ok, err)
		}
	}
}

// TestStaleIdleRetry: the upstream closes each connection after one
// answer without saying so, as a server timing out idle connections does.
func TestStaleIdleRetry(t *testing.T) {
	srv := newRawServer(t, func(c net.Conn, br *bufio.Reader) {
		if readRequest(br) == nil {
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	c := newClient(t, Config{})
	for i := range 5 {
		resp, err := do(t, c, post(srv.addr()))
		if err != nil || string(resp.Body) != "ok" {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if n := srv.accepts.Load(); n != 5 {
		t.Fatalf("%d connections, want 5", n)
	}
}

// TestNoRetryAfterAnswerBegan: a reused connection that breaks after the
// first byte of the answer is not retried: the upstream acted on it.
func TestNoRetryAfterAnswerBegan(t *testing.T) {
	var n atomic.Int32
	srv := newRawServer(t, func(c net.Conn, br *bufio.Reader) {
		for readRequest(br) == nil {
			if n.Add(1) == 1 {
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				continue
			}
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Len")
			return
		}
	})
	c := newClient(t, Config{})
	if _, err := do(t, c, post(srv.addr())); err != nil {
		t.Fatal(err)
	}
	if _, err := do(t, c, post(srv.addr())); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want unexpected EOF", err)
	}
	if n.Load() != 2 {
		t.Fatalf("the upstream saw %d requests, want 2", n.Load())
	}
}

// hangServer reads requests and never answers until the test ends.
func hangServer(t *testing.T) *rawServer {
	done := make(chan struct{})
	srv := newRawServer(t, func(c net.Conn, br *bufio.Reader) {
		_ = readRequest(br)
		<-done
	})
	t.Cleanup(func() { close(done) })
	return srv
}

func TestCancelMidRead(t *testing.T) {
	srv := hangServer(t)
	c := newClient(t, Config{})
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := c.Do(ctx, post(srv.addr()))
		errc <- err
	}()
	for srv.accepts.Load() == 0 {
		runtime.Gosched()
	}
	cancel()
	err := <-errc
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("a cancellation reads as a timeout: %v", err)
	}
	waitGoroutines(t, before+1) // the server's handler is still parked
}

// waitGoroutines fails unless the goroutine count falls to at most n
// within a bounded number of scheduling rounds.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	for range 1000 {
		if runtime.NumGoroutine() <= n {
			return
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("%d goroutines, want at most %d", runtime.NumGoroutine(), n)
}

func TestDeadline(t *testing.T) {
	srv := hangServer(t)
	c := newClient(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Do(ctx, post(srv.addr()))
	var ne net.Error
	if !errors.Is(err, context.DeadlineExceeded) && !(errors.As(err, &ne) && ne.Timeout()) {
		t.Fatalf("err = %v, want a timeout", err)
	}
}

// Request.Deadline bounds the exchange like a context deadline, the
// earlier of the two winning, and is a timeout, not a cancellation.
func TestRequestDeadline(t *testing.T) {
	srv := hangServer(t)
	c := newClient(t, Config{})
	for _, ctxTimeout := range []time.Duration{0, time.Hour} {
		ctx := context.Background()
		if ctxTimeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, ctxTimeout)
			defer cancel()
		}
		req := post(srv.addr())
		req.Deadline = time.Now().Add(50 * time.Millisecond)
		start := time.Now()
		_, err := c.Do(ctx, req)
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() || errors.Is(err, context.Canceled) {
			t.Fatalf("context timeout %v: err = %v, want an I/O timeout", ctxTimeout, err)
		}
		if el := time.Since(start); el > 10*time.Second {
			t.Fatalf("context timeout %v: the deadline was not kept (%v)", ctxTimeout, el)
		}
	}
	// A context deadline earlier than the request's still wins.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req := post(srv.addr())
	req.Deadline = time.Now().Add(time.Hour)
	start := time.Now()
	_, err := c.Do(ctx, req)
	var ne net.Error
	if !errors.Is(err, context.DeadlineExceeded) && !(errors.As(err, &ne) && ne.Timeout()) {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("the context's deadline was not kept (%v)", el)
	}
}

func TestConcurrent(t *testing.T) {
	srv, conns := newHTTPServer(t)
	c := newClient(t, Config{MaxIdlePerHost: 8})
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for g := range 32 {
		wg.Go(func() {
			for i := range 50 {
				req := post(hostOf(srv))
				req.Body = []byte(strings.Repeat(string(rune('a'+g%26)), g+i))
				resp, err := c.Do(context.Background(), req)
				if err == nil && string(resp.Body) != string(req.Body) {
					err = errors.New("answer mixed up with another request's")
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if c.idleCount(hostOf(srv)) > 8 {
		t.Fatalf("%d idle connections, over MaxIdlePerHost", c.idleCount(hostOf(srv)))
	}
	t.Logf("%d connections for 1600 requests", conns.Load())
}

func TestIdleTimeout(t *testing.T) {
	srv, conns := newHTTPServer(t)
	var now atomic.Int64
	c := newClient(t, Config{IdleTimeout: time.Minute, Now: func() time.Time { return time.Unix(now.Load(), 0) }})
	step := func(want int32) {
		t.Helper()
		if _, err := do(t, c, post(hostOf(srv))); err != nil {
			t.Fatal(err)
		}
		if n := conns.Load(); n != want {
			t.Fatalf("%d connections, want %d", n, want)
		}
	}
	step(1)
	now.Add(59)
	step(1) // idle 59 s: reused
	now.Add(60)
	step(2) // idle 60 s: closed, a new one dialled
}

func TestClose(t *testing.T) {
	srv, _ := newHTTPServer(t)
	c := newClient(t, Config{})
	if _, err := do(t, c, post(hostOf(srv))); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := do(t, c, post(hostOf(srv))); !errors.Is(err, ErrClosed) {
		t.Fatalf("err = %v, want ErrClosed", err)
	}
}

func TestBadRequests(t *testing.T) {
	c := newClient(t, Config{})
	for _, r := range []*Request{
		nil,
		{Method: "", Host: "h:1", Path: "/"},
		{Method: "PO ST", Host: "h:1", Path: "/"},
		{Method: "GET", Host: "h:1", Path: "x"},
		{Method: "GET", Host: "h:1", Path: "/a b"},
		{Method: "GET", Host: "h:1", Path: "/\r\nX: y"},
		{Method: "GET", Host: "h", Path: "/"},
		{Method: "GET", Host: "h:1\r\n", Path: "/"},
		{Method: "GET", Host: "h:1", Path: "/", ContentType: "a\r\nX: y"},
	} {
		if _, err := do(t, c, r); !errors.Is(err, ErrBadRequest) {
			t.Fatalf("%+v: err = %v, want ErrBadRequest", r, err)
		}
	}
	if _, err := New(Config{MaxIdlePerHost: -1}); err == nil {
		t.Fatal("a negative limit was accepted")
	}
}

func TestDialFailure(t *testing.T) {
	c := newClient(t, Config{Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("refused")
	}})
	if _, err := do(t, c, post("127.0.0.1:1")); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("err = %v", err)
	}
}

// TestWireFormat checks the exact bytes sent, a GET without a body
// included.
func TestWireFormat(t *testing.T) {
	got := make(chan string, 2)
	srv := newRawServer(t, func(c net.Conn, br *bufio.Reader) {
		for {
			var head strings.Builder
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					return
				}
				head.WriteString(line)
				if line == "\r\n" {
					break
				}
			}
			if strings.HasPrefix(head.String(), "POST") {
				b := make([]byte, 2)
				_, _ = io.ReadFull(br, b)
				head.Write(b)
			}
			got <- head.String()
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
		}
	})
	c := newClient(t, Config{})
	h := srv.addr()
	if _, err := do(t, c, &Request{Method: "POST", Host: h, Path: "/p?q=1", ContentType: "application/json", Body: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	want := "POST /p?q=1 HTTP/1.1\r\nHost: " + h + "\r\nUser-Agent: modelward-gateway\r\nContent-Type: application/json\r\nContent-Length: 2\r\nAccept: application/json\r\n\r\n{}"
	if s := <-got; s != want {
		t.Fatalf("sent %q\nwant %q", s, want)
	}
	if _, err := do(t, c, &Request{Method: "GET", Host: h, Path: "/ready"}); err != nil {
		t.Fatal(err)
	}
	want = "GET /ready HTTP/1.1\r\nHost: " + h + "\r\nUser-Agent: modelward-gateway\r\nAccept: application/json\r\n\r\n"
	if s := <-got; s != want {
		t.Fatalf("sent %q\nwant %q", s, want)
	}
}

func TestCancelledBeforeDo(t *testing.T) {
	srv, conns := newHTTPServer(t)
	c := newClient(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Do(ctx, post(hostOf(srv))); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if conns.Load() != 0 {
		t.Fatal("a cancelled request dialled")
	}
}
