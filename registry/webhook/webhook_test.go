package webhook

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelward/modelward/registry"
	"github.com/modelward/modelward/registry/sqlite"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// env is a real store and broker.
type env struct {
	t   *testing.T
	st  *sqlite.Store
	ev  *registry.Events
	ctx context.Context
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &env{t: t, st: st, ev: registry.NewEvents(), ctx: ctx}
}

// push creates a version of model through the store, as the service
// does, and publishes its entry.
func (e *env) push(model string) registry.AuditEntry {
	e.t.Helper()
	v := &registry.Version{Model: model, Digest: "sha256:00", Publisher: "local:test"}
	a := &registry.AuditEntry{Actor: "local:test", Action: "version.push"}
	if err := e.st.CreateVersion(e.ctx, v, a); err != nil {
		e.t.Fatal(err)
	}
	e.ev.Publish(*a)
	return *a
}

// token creates a token (an entry about no model) and publishes it.
func (e *env) token(id string) registry.AuditEntry {
	e.t.Helper()
	h := sha256.Sum256([]byte(id))
	tok := &registry.Token{ID: id, SecretHash: h[:], Name: id, Role: registry.RoleViewer, CreatedBy: "local:test"}
	a := &registry.AuditEntry{Actor: "local:test", Action: "token.create"}
	if err := e.st.CreateToken(e.ctx, tok, a); err != nil {
		e.t.Fatal(err)
	}
	e.ev.Publish(*a)
	return *a
}

// transition moves a version to a new state and publishes the entry.
func (e *env) transition(model string, number int64, to registry.State) registry.AuditEntry {
	e.t.Helper()
	var out registry.AuditEntry
	_, err := e.st.UpdateVersion(e.ctx, model, number, func(v *registry.Version) (*registry.AuditEntry, error) {
		a := &registry.AuditEntry{Actor: "local:test", Action: "version.transition", Model: model, Version: number,
			From: v.State, To: to}
		v.State = to
		return a, nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	entries, err := e.st.Audit(e.ctx, 0, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	out = entries[len(entries)-1]
	e.ev.Publish(out)
	return out
}

// run starts d and stops it when the test ends.
func run(t *testing.T, d *Dispatcher) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("Run returned %v, want context.Canceled", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("Run did not return after its context was cancelled")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// request is one request a receiver got.
type request struct {
	header http.Header
	body   []byte
	id     string
}

// receiver is an httptest server recording every request; respond picks
// the status for the n-th request (from 1) for an id.
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	got     []request
	respond func(w http.ResponseWriter, id string, n int) int
	tries   map[string]int
}

func newReceiver(t *testing.T, respond func(w http.ResponseWriter, id string, n int) int) *receiver {
	t.Helper()
	r := &receiver{respond: respond, tries: map[string]int{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		id := req.Header.Get(HeaderID)
		r.mu.Lock()
		r.got = append(r.got, request{header: req.Header.Clone(), body: body, id: id})
		r.tries[id]++
		n := r.tries[id]
		r.mu.Unlock()
		code := http.StatusNoContent
		if r.respond != nil {
			code = r.respond(w, id, n)
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

func (r *receiver) attempts(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tries[id]
}

// ids lists the ids of the requests answered with 2xx... or all of them:
// the receivers below decide by id, so it is the distinct ids in order
// of first arrival.
func (r *receiver) ids() []string {
	var out []string
	for _, q := range r.requests() {
		if !slices.Contains(out, q.id) {
			out = append(out, q.id)
		}
	}
	return out
}

// waitFor polls cond until it holds or the test's patience runs out.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// logBuffer collects log output safely across goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func fastOptions(logs io.Writer) Options {
	if logs == nil {
		logs = io.Discard
	}
	return Options{
		Logger:      slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		BaseBackoff: time.Millisecond,
		MaxBackoff:  5 * time.Millisecond,
		Timeout:     5 * time.Second,
		Backfill:    true,
	}
}

func seqs(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, strconv.Itoa(i))
	}
	return out
}

func TestDeliversInOrder(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, nil)
	// Half the entries exist before Run (caught up from the store), half
	// arrive while it runs (woken by the broker).
	for i := range 30 {
		if i%3 == 0 {
			e.token(fmt.Sprintf("tok%d", i))
		} else {
			e.push(fmt.Sprintf("model-%d", i%4))
		}
	}
	d, err := New(e.st, e.ev, []Endpoint{{URL: r.URL, Secret: testSecret}}, fastOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	run(t, d)
	for i := 30; i < 60; i++ {
		e.push(fmt.Sprintf("model-%d", i%4))
	}
	want := seqs(1, 60)
	waitFor(t, "60 deliveries", func() bool { return len(r.requests()) >= 60 })
	got := r.requests()
	var ids []string
	for _, q := range got {
		ids = append(ids, q.id)
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("delivered ids %v, want %v", ids, want)
	}
	entries, err := e.st.Audit(e.ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, q := range got {
		if ct, ua := q.header.Get("Content-Type"), q.header.Get("User-Agent"); ct != "application/json" || ua != "modelward" {
			t.Errorf("request %s: Content-Type %q, User-Agent %q", q.id, ct, ua)
		}
		if err := Verify(testSecret, q.header, q.body, time.Minute, time.Now()); err != nil {
			t.Errorf("request %s: %v", q.id, err)
		}
		var p struct {
			ID    string              `json:"id"`
			Type  string              `json:"type"`
			Time  time.Time           `json:"time"`
			Entry registry.AuditEntry `json:"entry"`
		}
		if err := json.Unmarshal(q.body, &p); err != nil {
			t.Fatalf("request %s: body %s: %v", q.id, q.body, err)
		}
		a := entries[i]
		if p.ID != q.id || p.Type != a.Action || !p.Time.Equal(a.Time) || p.Entry.Seq != a.Seq ||
			p.Entry.Model != a.Model || !bytes.Equal(p.Entry.Hash, a.Hash) {
			t.Errorf("request %s: payload %+v does not match entry %+v", q.id, p, a)
		}
	}
}

func TestEventWithoutBrokerIsFoundByPolling(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, nil)
	opt := fastOptions(nil)
	opt.Poll = 5 * time.Millisecond
	d, err := New(e.st, nil, []Endpoint{{URL: r.URL, Secret: testSecret}}, opt)
	if err != nil {
		t.Fatal(err)
	}
	run(t, d)
	// Appended without publishing, as another server instance would.
	if err := e.st.Append(e.ctx, &registry.AuditEntry{Actor: "local:other", Action: "audit.checkpoint"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the polled entry", func() bool { return slices.Equal(r.ids(), []string{"1"}) })
}

func TestMissedEventIsReadFromStore(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, nil)
	d, err := New(e.st, e.ev, []Endpoint{{URL: r.URL, Secret: testSecret}}, fastOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	run(t, d)
	// Entry 1 is never published (a dropped event); entry 2 is, and
	// delivering it must bring entry 1 first.
	if err := e.st.Append(e.ctx, &registry.AuditEntry{Actor: "local:test", Action: "audit.refused"}); err != nil {
		t.Fatal(err)
	}
	e.push("m")
	waitFor(t, "both entries", func() bool { return len(r.ids()) == 2 })
	if got := r.ids(); !slices.Equal(got, []string{"1", "2"}) {
		t.Fatalf("delivered %v, want [1 2]", got)
	}
}

func TestStartsAtHeadWithoutBackfill(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, nil)
	e.push("old")
	e.push("old")
	opt := fastOptions(nil)
	opt.Backfill = false
	cursors := FileCursors(t.TempDir())
	opt.Cursor = cursors
	ep := Endpoint{URL: r.URL, Secret: testSecret}
	d, err := New(e.st, e.ev, []Endpoint{ep}, opt)
	if err != nil {
		t.Fatal(err)
	}
	run(t, d)
	// The starting point (the head) is saved at once.
	waitFor(t, "cursor at 2", func() bool { seq, err := cursors.Load(ep.ID()); return err == nil && seq == 2 })
	e.push("new")
	waitFor(t, "the new entry", func() bool { return len(r.ids()) > 0 })
	if got := r.ids(); !slices.Equal(got, []string{"3"}) {
		t.Errorf("delivered %v, want only the entry after the head, [3]", got)
	}
}

func TestRetriesThenSucceeds(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, func(_ http.ResponseWriter, id string, n int) int {
		if id == "1" && n <= 3 {
			return []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusRequestTimeout}[n-1]
		}
		return http.StatusOK
	})
	e.push("m")
	e.push("m")
	logs := &logBuffer{}
	d, err := New(e.st, e.ev, []Endpoint{{URL: r.URL, Secret: testSecret}}, fastOptions(logs))
	if err != nil {
		t.Fatal(err)
	}
	run(t, d)
	waitFor(t, "entry 2", func() bool { return r.attempts("2") == 1 })
	got := r.requests()
	var ids []string
	for _, q := range got {
		ids = append(ids, q.id)
	}
	if want := []string{"1", "1", "1", "1", "2"}; !slices.Equal(ids, want) {
		t.Fatalf("requests %v, want %v", ids, want)
	}
	// Every attempt carries the same id and body, each freshly signed.
	for _, q := range got[:4] {
		if !bytes.Equal(q.body, got[0].body) {
			t.Errorf("retry body differs: %s vs %s", q.body, got[0].body)
		}
		if err := Verify(testSecret, q.header, q.body, time.Minute, time.Now()); err != nil {
			t.Error(err)
		}
	}
	if !strings.Contains(logs.String(), "retrying") {
		t.Errorf("retries not logged:\n%s", logs)
	}
}

func TestRetryAfterIsBounded(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, func(w http.ResponseWriter, id string, n int) int {
		if n == 1 {
			w.Header().Set("Retry-After", "86400") // a day: bounded by MaxBackoff
			if id == "1" {
				return http.StatusTooManyRequests
			}
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	e.push("m")
	e.push("m")
	d, err := New(e.st, e.ev, []Endpoint{{URL: r.URL, Secret: testSecret}}, fastOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	run(t, d)
	waitFor(t, "both entries retried and delivered", func() bool { return r.attempts("1") == 2 && r.attempts("2") == 2 })
}

func TestRetryAfterValues(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		v    string
		want time.Duration
	}{
		{"", -1},
		{"7", 7 * time.Second},
		{"0", 0},
		{"-3", -1},
		{"soon", -1},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"99999999999999999999", -1},
		{"9223372036854775807", time.Duration(1<<63 - 1)},
	} {
		if got := retryAfter(c.v, now); got != c.want {
			t.Errorf("retryAfter(%q) = %v, want %v", c.v, got, c.want)
		}
	}
	d := &Dispatcher{opt: Options{BaseBackoff: time.Second, MaxBackoff: time.Minute}}
	for _, c := range []struct {
		code  int
		after string
		want  outcome
		delay time.Duration
	}{
		{200, "", delivered, -1},
		{204, "", delivered, -1},
		{429, "5", retryable, 5 * time.Second},
		{503, "5", retryable, 5 * time.Second},
		{500, "5", retryable, -1}, // Retry-After only on 429 and 503
		{408, "", retryable, -1},
		{425, "", retryable, -1},
		{599, "", retryable, -1},
		{301, "", permanent, -1},
		{400, "", permanent, -1},
		{404, "", permanent, -1},
		{410, "", permanent, -1},
	} {
		resp := &http.Response{StatusCode: c.code, Status: http.StatusText(c.code), Header: http.Header{}}
		if c.after != "" {
			resp.Header.Set("Retry-After", c.after)
		}
		res, code, delay, _ := classify(resp, now)
		if res != c.want || code != c.code || delay != c.delay {
			t.Errorf("classify(%d, Retry-After %q) = %v, %d, %v; want %v, %d, %v", c.code, c.after, res, code, delay, c.want, c.code, c.delay)
		}
	}
	// Full jitter stays within the exponential bound and the maximum.
	for attempt := 1; attempt < 100; attempt++ {
		limit := min(time.Minute, time.Second<<min(attempt-1, 20))
		if b := d.backoff(attempt); b < 0 || b > limit {
			t.Fatalf("backoff(%d) = %v, outside [0, %v]", attempt, b, limit)
		}
	}
}

func TestPermanentFailureIsSkipped(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, func(_ http.ResponseWriter, id string, _ int) int {
		if id == "1" {
			return http.StatusBadRequest
		}
		return http.StatusOK
	})
	e.push("m")
	e.push("m")
	logs := &logBuffer{}
	opt := fastOptions(logs)
	opt.Cursor = FileCursors(t.TempDir())
	ep := Endpoint{URL: r.URL, Secret: testSecret}
	d, err := New(e.st, e.ev, []Endpoint{ep}, opt)
	if err != nil {
		t.Fatal(err)
	}
	run(t, d)
	waitFor(t, "cursor at 2", func() bool { seq, err := opt.Cursor.Load(ep.ID()); return err == nil && seq == 2 })
	if n := r.attempts("1"); n != 1 {
		t.Errorf("entry refused with 400 was tried %d times, want 1", n)
	}
	if n := r.attempts("2"); n != 1 {
		t.Errorf("entry 2 tried %d times, want 1", n)
	}
	if l := logs.String(); !strings.Contains(l, "skipped") || !strings.Contains(l, "seq=1") || !strings.Contains(l, "status=400") {
		t.Errorf("skip not logged with its seq and status:\n%s", l)
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, func(_ http.ResponseWriter, id string, _ int) int {
		if id == "1" {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	e.push("m")
	e.push("m")
	logs := &logBuffer{}
	opt := fastOptions(logs)
	opt.MaxAttempts = 3
	d, err := New(e.st, e.ev, []Endpoint{{URL: r.URL, Secret: testSecret}}, opt)
	if err != nil {
		t.Fatal(err)
	}
	run(t, d)
	waitFor(t, "entry 2", func() bool { return r.attempts("2") == 1 })
	if n := r.attempts("1"); n != 3 {
		t.Errorf("entry 1 tried %d times, want MaxAttempts = 3", n)
	}
	l := logs.String()
	if !strings.Contains(l, "too many times") || !strings.Contains(l, "seq=1") || !strings.Contains(l, "endpoint="+r.URL) {
		t.Errorf("give-up not logged with seq and endpoint:\n%s", l)
	}
}

func TestDeadEndpointDoesNotBlockOthers(t *testing.T) {
	e := newEnv(t)
	healthy := newReceiver(t, nil)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close() // connections are refused from now on
	failing := newReceiver(t, func(http.ResponseWriter, string, int) int { return http.StatusServiceUnavailable })
	for range 20 {
		e.push("m")
	}
	opt := fastOptions(nil)
	opt.BaseBackoff, opt.MaxBackoff = time.Hour, time.Hour // the sick ones sleep through the test
	d, err := New(e.st, e.ev, []Endpoint{
		{URL: deadURL, Secret: testSecret},
		{URL: failing.URL, Secret: testSecret},
		{URL: healthy.URL, Secret: testSecret},
	}, opt)
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, d)
	for range 20 {
		e.push("m")
	}
	waitFor(t, "the healthy endpoint's 40 entries", func() bool { return len(healthy.ids()) == 40 })
	if got := healthy.ids(); !slices.Equal(got, seqs(1, 40)) {
		t.Errorf("healthy endpoint got %v", got)
	}
	if n := failing.attempts("2"); n != 0 {
		t.Errorf("failing endpoint got entry 2 while entry 1 is pending (%d times)", n)
	}
	stop() // and Run returns at once, though two endpoints are mid-backoff
}

func TestRestartResumesFromCursor(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, nil)
	dir := t.TempDir()
	ep := Endpoint{URL: r.URL, Secret: testSecret}
	for range 5 {
		e.push("m")
	}
	opt := fastOptions(nil)
	opt.Cursor = FileCursors(dir)
	d1, err := New(e.st, e.ev, []Endpoint{ep}, opt)
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, d1)
	waitFor(t, "cursor at 5", func() bool { seq, err := opt.Cursor.Load(ep.ID()); return err == nil && seq == 5 })
	stop()

	for range 5 {
		e.push("m") // while nothing runs
	}
	opt.Cursor = FileCursors(dir) // a new process reading the same files
	d2, err := New(e.st, e.ev, []Endpoint{ep}, opt)
	if err != nil {
		t.Fatal(err)
	}
	run(t, d2)
	e.push("m")
	waitFor(t, "11 entries", func() bool { return len(r.requests()) >= 11 })
	var ids []string
	for _, q := range r.requests() {
		ids = append(ids, q.id)
	}
	if !slices.Equal(ids, seqs(1, 11)) {
		t.Fatalf("requests across the restart: %v, want each of 1..11 once", ids)
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	e := newEnv(t)
	target := newReceiver(t, nil)
	redirector := newReceiver(t, func(w http.ResponseWriter, _ string, _ int) int {
		w.Header().Set("Location", target.URL+"/elsewhere")
		return http.StatusTemporaryRedirect
	})
	e.push("m")
	e.push("m")
	logs := &logBuffer{}
	opt := fastOptions(logs)
	// Even a client that would follow redirects does not.
	opt.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}
	opt.Cursor = FileCursors(t.TempDir())
	ep := Endpoint{URL: redirector.URL, Secret: testSecret}
	d, err := New(e.st, e.ev, []Endpoint{ep}, opt)
	if err != nil {
		t.Fatal(err)
	}
	run(t, d)
	waitFor(t, "cursor at 2", func() bool { seq, err := opt.Cursor.Load(ep.ID()); return err == nil && seq == 2 })
	if n := len(target.requests()); n != 0 {
		t.Errorf("redirect target got %d requests", n)
	}
	if a1, a2 := redirector.attempts("1"), redirector.attempts("2"); a1 != 1 || a2 != 1 {
		t.Errorf("redirecting endpoint tried %d and %d times, want once each (a redirect is not retried)", a1, a2)
	}
	if !strings.Contains(logs.String(), "redirects") {
		t.Errorf("redirect not explained in the log:\n%s", logs)
	}
}

func TestFilters(t *testing.T) {
	e := newEnv(t)
	byAction := newReceiver(t, nil)
	byModel := newReceiver(t, nil)
	byBoth := newReceiver(t, nil)
	byPrefix := newReceiver(t, nil)
	all := newReceiver(t, nil)
	d, err := New(e.st, e.ev, []Endpoint{
		{URL: byAction.URL, Secret: testSecret, Actions: []string{"version.transition"}},
		{URL: byModel.URL, Secret: testSecret, Models: []string{"fraud"}},
		{URL: byBoth.URL, Secret: testSecret, Actions: []string{"version.transition"}, Models: []string{"fraud"}},
		{URL: byPrefix.URL, Secret: testSecret, Actions: []string{"version.*"}},
		{URL: all.URL, Secret: testSecret},
	}, fastOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	run(t, d)
	e.push("fraud")                                // 1
	e.push("churn")                                // 2
	e.token("t1")                                  // 3
	e.transition("fraud", 1, registry.Verified)    // 4
	e.transition("churn", 1, registry.Verified)    // 5
	e.token("t2")                                  // 6
	e.transition("fraud", 1, registry.Quarantined) // 7
	waitFor(t, "every entry at the unfiltered endpoint", func() bool { return len(all.ids()) == 7 })
	for _, c := range []struct {
		name string
		r    *receiver
		want []string
	}{
		{"actions", byAction, []string{"4", "5", "7"}},
		{"models", byModel, []string{"1", "4", "7"}},
		{"both", byBoth, []string{"4", "7"}},
		{"prefix", byPrefix, []string{"1", "2", "4", "5", "7"}},
	} {
		waitFor(t, c.name, func() bool { return len(c.r.ids()) >= len(c.want) })
		if got := c.r.ids(); !slices.Equal(got, c.want) {
			t.Errorf("%s filter delivered %v, want %v", c.name, got, c.want)
		}
	}
}

func TestFilterMatching(t *testing.T) {
	for _, c := range []struct {
		actions, models []string
		action, model   string
		want            bool
	}{
		{nil, nil, "token.create", "", true},
		{[]string{"version.*"}, nil, "version.push", "m", true},
		{[]string{"version.*"}, nil, "versionx.push", "m", false},
		{[]string{"version*"}, nil, "version.push", "m", false}, // only "<prefix>.*" is a pattern
		{[]string{"*"}, nil, "version.push", "m", false},
		{nil, []string{"m"}, "token.create", "", false},
		{[]string{"token.create"}, []string{"m"}, "token.create", "", false},
	} {
		ep := Endpoint{Actions: c.actions, Models: c.models}
		if got := ep.matches(&registry.AuditEntry{Action: c.action, Model: c.model}); got != c.want {
			t.Errorf("%v/%v matches %s/%s = %v, want %v", c.actions, c.models, c.action, c.model, got, c.want)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		name string
		eps  []Endpoint
		opt  Options
		want string
	}{
		{"ftp", []Endpoint{{URL: "ftp://example.com/hook", Secret: testSecret}}, Options{}, "http or https"},
		{"file", []Endpoint{{URL: "file:///etc/passwd", Secret: testSecret}}, Options{}, "http or https"},
		{"relative", []Endpoint{{URL: "/hook", Secret: testSecret}}, Options{}, "http or https"},
		{"no host", []Endpoint{{URL: "https:///hook", Secret: testSecret}}, Options{}, "no host"},
		{"bad url", []Endpoint{{URL: "https://exa mple.com/", Secret: testSecret}}, Options{}, "invalid URL"},
		{"short secret", []Endpoint{{URL: "https://example.com/", Secret: []byte("short")}}, Options{}, "at least 24"},
		{"twice", []Endpoint{{URL: "https://example.com/", Secret: testSecret}, {URL: "https://example.com/", Secret: testSecret}}, Options{}, "twice"},
		{"negative", []Endpoint{{URL: "https://example.com/", Secret: testSecret}}, Options{MaxAttempts: -1}, "negative"},
	} {
		_, err := New(e.st, e.ev, c.eps, c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: New returned %v, want an error about %q", c.name, err, c.want)
		}
	}
	if _, err := New(nil, e.ev, nil, Options{}); err == nil {
		t.Error("New accepted a nil store")
	}
	// The password of a URL does not appear in errors.
	_, err := New(e.st, e.ev, []Endpoint{{URL: "https://u:hunter2@example.com/", Secret: []byte("x")}}, Options{})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %v shows the URL's password", err)
	}
}

func TestRunTwiceAndBadCursor(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, nil)
	opt := fastOptions(nil)
	d, err := New(e.st, e.ev, []Endpoint{{URL: r.URL, Secret: testSecret}}, opt)
	if err != nil {
		t.Fatal(err)
	}
	run(t, d)
	waitFor(t, "Run to start", func() bool { d.mu.Lock(); defer d.mu.Unlock(); return d.running })
	if err := d.Run(context.Background()); err == nil {
		t.Error("a second Run was allowed")
	}

	opt.Cursor = failingCursors{}
	d2, err := New(e.st, e.ev, []Endpoint{{URL: r.URL, Secret: testSecret}}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := d2.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("Run with an unreadable cursor returned %v", err)
	}
}

type failingCursors struct{}

func (failingCursors) Load(string) (int64, error) { return 0, errors.New("disk on fire") }
func (failingCursors) Save(string, int64) error   { return errors.New("disk on fire") }

func TestCursorPastHeadRestartsAtHead(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, nil)
	e.push("m")
	logs := &logBuffer{}
	opt := fastOptions(logs)
	opt.Cursor = FileCursors(t.TempDir())
	ep := Endpoint{URL: r.URL, Secret: testSecret}
	if err := opt.Cursor.Save(ep.ID(), 500); err != nil { // from a replaced database
		t.Fatal(err)
	}
	d, err := New(e.st, e.ev, []Endpoint{ep}, opt)
	if err != nil {
		t.Fatal(err)
	}
	run(t, d)
	waitFor(t, "cursor reset to 1", func() bool { seq, err := opt.Cursor.Load(ep.ID()); return err == nil && seq == 1 })
	e.push("m")
	waitFor(t, "entry 2", func() bool { return len(r.ids()) > 0 })
	if got := r.ids(); !slices.Equal(got, []string{"2"}) {
		t.Errorf("delivered %v, want [2]", got)
	}
	if !strings.Contains(logs.String(), "past the end of the audit log") {
		t.Errorf("replaced log not reported:\n%s", logs)
	}
}
