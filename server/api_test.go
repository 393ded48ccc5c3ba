package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelward/modelward/registry"
)

// The OpenAPI document parses, is 3.1, and lists exactly the routes.
func TestOpenAPICoversRoutes(t *testing.T) {
	w := setup(t, Options{})
	var doc struct {
		OpenAPI    string                                `json:"openapi"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	w.do("GET", "/openapi.json", "", nil, 200, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	inDoc := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method != "parameters" && method != "summary" && method != "description" {
				inDoc[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	for _, rt := range routes() {
		key := rt.method + " " + rt.path
		if !inDoc[key] {
			t.Errorf("route %s is not in the OpenAPI document", key)
		}
		delete(inDoc, key)
	}
	for key := range inDoc {
		t.Errorf("the OpenAPI document has %s, which no route serves", key)
	}
	for _, s := range []string{"Version", "Token", "AuditEntry", "Problem"} {
		if doc.Components.Schemas[s] == nil {
			t.Errorf("no schema %s", s)
		}
	}
	checkRefs(t, openapiJSON)
}

// checkRefs asserts every $ref of the document points at something.
func checkRefs(t *testing.T, raw []byte) {
	var root map[string]any
	if err := json.Unmarshal(raw, &root); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				var at any = root
				for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
					m, _ := at.(map[string]any)
					at = m[part]
				}
				if at == nil {
					t.Errorf("dangling $ref %s", ref)
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(root)
}

// Listings page with a next cursor and a Link header; bad cursors and
// limits are the client's error.
func TestPagination(t *testing.T) {
	w := setup(t, Options{})
	for range 5 {
		w.newToken(registry.RoleViewer, nil, "")
	}
	seen := map[string]bool{}
	path := "/v1/tokens?limit=2"
	pages := 0
	for path != "" {
		var page list[registry.Token]
		resp := w.do("GET", path, w.tok["admin"], nil, 200, &page)
		pages++
		for _, tk := range page.Items {
			if seen[tk.ID] {
				t.Fatalf("token %s on two pages", tk.ID)
			}
			seen[tk.ID] = true
		}
		link := resp.Header.Get("Link")
		if (page.Next == "") != (link == "") {
			t.Fatalf("next %q but Link %q", page.Next, link)
		}
		path = ""
		if link != "" {
			path = strings.TrimSuffix(strings.TrimPrefix(link, "<"), `>; rel="next"`)
		}
	}
	if len(seen) != 9 || pages != 5 {
		t.Fatalf("%d tokens over %d pages", len(seen), pages)
	}
	// The audit log pages by sequence number.
	var a1, a2 list[registry.AuditEntry]
	w.do("GET", "/v1/audit?limit=3", w.tok["viewer"], nil, 200, &a1)
	w.do("GET", "/v1/audit?limit=3&after="+a1.Next, w.tok["viewer"], nil, 200, &a2)
	if len(a1.Items) != 3 || a1.Next != "3" || a2.Items[0].Seq != 4 {
		t.Fatalf("audit pages: %+v then %+v", a1, a2)
	}
	for _, bad := range []string{"/v1/tokens?limit=0", "/v1/tokens?limit=x", "/v1/tokens?after=garbage", "/v1/audit?after=-1", "/v1/models?after=bm90IGEgY3Vyc29y"} {
		p := w.problemOf("GET", bad, w.tok["admin"], nil, 400)
		if !strings.HasSuffix(p.Type, "/invalid-request") || p.Instance != strings.Split(bad, "?")[0] {
			t.Errorf("%s: %+v", bad, p)
		}
	}
	var big list[registry.Token]
	w.do("GET", "/v1/tokens?limit=100000", w.tok["admin"], nil, 200, &big)
	if len(big.Items) != 9 {
		t.Fatalf("limit above the cap: %d items", len(big.Items))
	}
}

// Problems have the documented shape, and JSON bodies are strict.
func TestProblems(t *testing.T) {
	w := setup(t, Options{})
	p := w.problemOf("GET", "/v1/models", "", nil, 401)
	if p.Type != problemBase+"unauthenticated" || p.Instance != "/v1/models" {
		t.Fatalf("401: %+v", p)
	}
	p = w.problemOf("GET", "/v1/tokens", w.tok["viewer"], nil, 403)
	if p.Type != problemBase+"forbidden" {
		t.Fatalf("403: %+v", p)
	}
	p = w.problemOf("GET", vpath("9", ""), w.tok["viewer"], nil, 404)
	if p.Type != problemBase+"not-found" {
		t.Fatalf("404: %+v", p)
	}
	w.problemOf("GET", "/v1/nothing", w.tok["viewer"], nil, 404)
	w.problemOf("PUT", "/v1/tokens", w.tok["admin"], nil, 405)
	for _, body := range []string{`{"name":"x","role":"viewer","extra":1}`, `{"name":"x","role":"viewer"} {}`, `[`, `{"name":"x","role":"root"}`, `{"name":"x","role":"viewer","ttl":"-1h"}`, `{"name":"x","role":"viewer","models":["../x"]}`} {
		p = w.problemOf("POST", "/v1/tokens", w.tok["admin"], strings.NewReader(body), 400)
		if p.Type != problemBase+"invalid-request" {
			t.Fatalf("%s: %+v", body, p)
		}
	}
	resp := w.request("POST", "/v1/tokens", w.tok["admin"], strings.NewReader(`{}`), http.Header{"Content-Type": {"text/plain"}})
	resp.Body.Close()
	if resp.StatusCode != 415 {
		t.Fatalf("text/plain body: %d", resp.StatusCode)
	}
	huge := `{"name":"` + strings.Repeat("a", maxJSONBytes) + `","role":"viewer"}`
	p = w.problemOf("POST", "/v1/tokens", w.tok["admin"], strings.NewReader(huge), 413)
	if p.Type != problemBase+"too-large" {
		t.Fatalf("413: %+v", p)
	}
	p = w.problemOf("POST", vpath("1", "/transitions"), w.tok["publisher"], map[string]string{"to": "nowhere"}, 400)
	resp = w.request("GET", "/v1/models", w.tok["viewer"], nil, http.Header{})
	resp.Body.Close()
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("security headers: %v", resp.Header)
	}
	// A token revokes itself without the admin role; only once.
	self, id := w.newToken(registry.RoleViewer, nil, "")
	w.do("DELETE", "/v1/tokens/"+id, self, map[string]string{"reason": "done"}, 204, nil)
	w.problemOf("GET", "/v1/models", self, nil, 401)
	w.problemOf("DELETE", "/v1/tokens/"+id, w.tok["admin"], nil, 409)
}

// Pushes are bounded (413), must be multipart (415), and a body cut
// short stores no version (400).
func TestPushLimits(t *testing.T) {
	w := setup(t, Options{MaxBodyBytes: 1 << 20, MaxFiles: 2, MaxFileBytes: 1000})
	push := func(body io.Reader, ctype string, want int) Problem {
		t.Helper()
		resp := w.request("POST", "/v1/models/team%2Fclassifier/versions", w.tok["publisher"], body, http.Header{"Content-Type": {ctype}})
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var p Problem
		_ = json.Unmarshal(b, &p)
		if resp.StatusCode != want {
			t.Fatalf("push: %d, want %d: %s", resp.StatusCode, want, b)
		}
		return p
	}
	body, ctype := w.multipartModel(copyModel(t, "../examples/clean-model", nil), true)
	if p := push(bytes.NewReader(body.Bytes()), ctype, 413); p.Type != problemBase+"too-large" {
		t.Fatalf("%+v", p)
	}
	small := func(files map[string]string) (*bytes.Buffer, string) {
		dir := t.TempDir()
		return w.multipartModel(copyModel(t, dir, files), false)
	}
	b, ct := small(map[string]string{"a": "1", "b": "2", "c": "3"})
	push(b, ct, 413)
	b, ct = small(map[string]string{"a": strings.Repeat("x", 1001)})
	push(b, ct, 413)
	push(strings.NewReader("x"), "application/octet-stream", 415)
	push(strings.NewReader("x"), "", 415)

	// A truncated body, and malformed parts: 400 and no version.
	b, ct = small(map[string]string{"a": strings.Repeat("y", 500)})
	push(bytes.NewReader(b.Bytes()[:b.Len()-100]), ct, 400)
	for _, name := range []string{"../evil", "/abs", "a//b", `a\\b`} {
		b, ct = rawPart(t, "file", name)
		if p := push(b, ct, 400); !strings.Contains(p.Detail, "file path") {
			t.Fatalf("%s: %+v", name, p)
		}
	}
	b, ct = rawPart(t, "other", "x")
	push(b, ct, 400)
	b, ct = small(nil)
	push(b, ct, 400)
	var vs list[registry.Version]
	w.do("GET", "/v1/models/team%2Fclassifier/versions", w.tok["viewer"], nil, 200, &vs)
	if len(vs.Items) != 0 {
		t.Fatalf("refused pushes stored versions: %+v", vs.Items)
	}
}

func rawPart(t *testing.T, name, filename string) (*bytes.Buffer, string) {
	var buf bytes.Buffer
	bd := "XbOuNdArY"
	buf.WriteString("--" + bd + "\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"" + filename + "\"\r\n\r\ndata\r\n--" + bd + "--\r\n")
	return &buf, "multipart/form-data; boundary=" + bd
}

// The event stream resumes after Last-Event-ID from the store, then
// delivers live entries, each once.
func TestEventsResume(t *testing.T) {
	w := setup(t, Options{})
	head, _, _ := w.store.Head(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", w.ts.URL+"/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+w.tok["viewer"])
	req.Header.Set("Last-Event-ID", "2")
	resp, err := w.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(resp.Body)
	next := func() registry.AuditEntry {
		t.Helper()
		var id string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "id: "):
				id = line[4:]
			case strings.HasPrefix(line, "data: "):
				var e registry.AuditEntry
				if err := json.Unmarshal([]byte(line[6:]), &e); err != nil || strconv.FormatInt(e.Seq, 10) != id {
					t.Fatalf("event %q (id %s): %v", line, id, err)
				}
				return e
			}
		}
		t.Fatalf("stream ended: %v", sc.Err())
		return registry.AuditEntry{}
	}
	for want := int64(3); want <= head; want++ {
		if e := next(); e.Seq != want {
			t.Fatalf("resumed at %d, want %d", e.Seq, want)
		}
	}
	w.newToken(registry.RoleViewer, nil, "")
	if e := next(); e.Seq != head+1 || e.Action != "token.create" {
		t.Fatalf("live event %+v", e)
	}
	w.problemOf("GET", "/v1/events?after=x", w.tok["viewer"], nil, 400)
}

// Run signs a checkpoint on the way out, and verify counts it.
func TestRunCheckpoints(t *testing.T) {
	w := setup(t, Options{CheckpointEvery: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.srv.Run(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var rep registry.AuditReport
	w.do("GET", "/v1/audit/verify", w.tok["viewer"], nil, 200, &rep)
	if rep.Checkpoints != 1 || rep.Entries != 4 {
		t.Fatalf("%+v", rep)
	}
	// Another server key does not vouch for this checkpoint.
	other := setup(t, Options{})
	other.srv.svc = w.svc
	resp := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/v1/audit/verify", nil)
	req.Header.Set("Authorization", "Bearer "+w.tok["viewer"])
	other.srv.Handler().ServeHTTP(resp, req)
	if resp.Code != 409 || !strings.Contains(resp.Body.String(), "audit-broken") {
		t.Fatalf("checkpoint under another key: %d %s", resp.Code, resp.Body)
	}
}

func BenchmarkGetVersion(b *testing.B) {
	w := setup(b, Options{})
	w.push(model, copyModel(b, "../examples/clean-model", nil), w.tok["publisher"], true, http.StatusCreated)
	h := w.srv.Handler()
	path := vpath("1", "")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+w.tok["viewer"])
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}

// lockedBuffer is a log sink written by the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Tokens never reach the log, not even pasted into a path; internal
// errors are logged, never sent.
func TestLogsHoldNoTokens(t *testing.T) {
	var logs lockedBuffer
	w := setup(t, Options{Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	secret := w.tok["admin"]
	w.do("GET", "/v1/tokens", secret, nil, 200, nil)
	w.problemOf("GET", "/v1/"+secret, secret, nil, 404)
	w.problemOf("GET", "/v1/models", secret+"x", nil, 401)
	w.store.Close() // every store call now fails
	p := w.problemOf("GET", "/v1/models", secret, nil, 500)
	if strings.Contains(p.Detail, "sql") || strings.Contains(p.Detail, "closed") {
		t.Fatalf("internal detail sent: %+v", p)
	}
	got := logs.String()
	if strings.Contains(got, secret[len(secret)-43:]) || !strings.Contains(got, `"status":500`) || !strings.Contains(got, "request failed") {
		t.Fatalf("log: %s", got)
	}
}
