package hf

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/modelward/modelward/scan/hf/hubtest"
)

func TestAuthErrors(t *testing.T) {
	tests := []struct {
		name   string
		token  string
		opts   []hubtest.Option
		ref    Ref
		status int
		want   string
	}{
		{"no token", "", []hubtest.Option{hubtest.WithToken(testToken)}, Ref{Repo: "org/model"}, 401, "set HF_TOKEN"},
		{"wrong token", "hf_wrong", []hubtest.Option{hubtest.WithToken(testToken)}, Ref{Repo: "org/model"}, 404, "check the name and revision"},
		{"gated", testToken, []hubtest.Option{hubtest.WithGated("org/model")}, Ref{Repo: "org/model"}, 403, "accept its conditions"},
		{"missing repo", "", nil, Ref{Repo: "org/other"}, 404, "check the name"},
		{"missing revision", "", nil, Ref{Repo: "org/model", Revision: "v9"}, 404, "check the @revision"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c, _ := newHub(t, tt.opts...)
			c.Token = tt.token
			_, err := c.Resolve(testCtx(t), tt.ref)
			var se *StatusError
			if !errors.As(err, &se) || se.StatusCode != tt.status {
				t.Fatalf("error %v, want status %d", err, tt.status)
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), testToken) {
				t.Errorf("error %q should say %q and never show the token", err, tt.want)
			}
		})
	}
}

func TestRetries(t *testing.T) {
	srv, c, _ := newHub(t, hubtest.WithFailures(2, http.StatusTooManyRequests))
	if _, err := c.Resolve(testCtx(t), Ref{Repo: "org/model"}); err != nil {
		t.Fatalf("Resolve after two 429s: %v", err)
	}
	if n := srv.Requests(); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
	srv, c, _ = newHub(t, hubtest.WithFailures(100, http.StatusServiceUnavailable))
	c.Retries = 2
	_, err := c.Resolve(testCtx(t), Ref{Repo: "org/model"})
	if err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "after 2 retries") {
		t.Errorf("error %v", err)
	}
	if n := srv.Requests(); n != 3 {
		t.Errorf("%d requests with Retries=2, want 3", n)
	}
}

func TestNoRetryOnClientErrors(t *testing.T) {
	srv, c, _ := newHub(t, hubtest.WithToken(testToken))
	if _, err := c.Resolve(testCtx(t), Ref{Repo: "org/model"}); err == nil {
		t.Fatal("no error without a token")
	}
	if n := srv.Requests(); n != 1 {
		t.Errorf("401 was retried: %d requests", n)
	}
}

// TestTreeFallback: without sizes in model info, the paginated tree of the
// pinned commit is read.
func TestTreeFallback(t *testing.T) {
	srv, c, varied := newHub(t, hubtest.WithoutSizes(), hubtest.WithTreePageSize(2), hubtest.WithLFSRedirect(100_000))
	repo, err := c.Resolve(testCtx(t), Ref{Repo: "org/model"})
	if err != nil {
		t.Fatal(err)
	}
	if len(repo.Files) != 4 {
		t.Fatalf("files %+v", repo.Files)
	}
	if f := findFile(t, repo, "varied.bin"); f.Size != int64(len(varied)) || !f.LFS || len(f.SHA256) != 64 {
		t.Errorf("varied.bin %+v", f)
	}
	if f := findFile(t, repo, "model.safetensors"); f.Size != int64(len(safetensorsHeader())) || f.LFS {
		t.Errorf("model.safetensors %+v", f)
	}
	if n := srv.Requests(); n != 1+2 {
		t.Errorf("%d requests, want model info and 2 pages", n)
	}
}

// hostileHub answers model info with body, and tree pages with tree.
func hostileHub(t *testing.T, body string, tree func(w http.ResponseWriter, r *http.Request)) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/tree/") && tree != nil {
			tree(w, r)
			return
		}
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return &Client{Endpoint: srv.URL, Retries: -1}
}

func TestHostileModelInfo(t *testing.T) {
	sib := func(name string) string {
		return fmt.Sprintf(`{"sha":%q,"siblings":[{"rfilename":%q,"size":1}]}`, testCommit, name)
	}
	bodies := map[string]string{
		"traversal":    sib("../../etc/passwd"),
		"inner dots":   sib("a/../../b"),
		"absolute":     sib("/etc/passwd"),
		"backslash":    sib(`..\..\x.pkl`),
		"NUL":          sib("a\x00.pkl"),
		"escape":       sib("\x1b]0;owned\x07.pkl"),
		"drive":        sib("C:/Windows/x.pkl"),
		"empty":        sib(""),
		"duplicate":    fmt.Sprintf(`{"sha":%q,"siblings":[{"rfilename":"a","size":1},{"rfilename":"a","size":1}]}`, testCommit),
		"bad commit":   `{"sha":"main","siblings":[]}`,
		"no commit":    `{"siblings":[]}`,
		"negative":     fmt.Sprintf(`{"sha":%q,"siblings":[{"rfilename":"a","size":-5}]}`, testCommit),
		"huge":         fmt.Sprintf(`{"sha":%q,"siblings":[{"rfilename":"a","size":9223372036854775807}]}`, testCommit),
		"lfs mismatch": fmt.Sprintf(`{"sha":%q,"siblings":[{"rfilename":"a","size":5,"lfs":{"sha256":"%s","size":6}}]}`, testCommit, strings.Repeat("a", 64)),
		"lfs bad oid":  fmt.Sprintf(`{"sha":%q,"siblings":[{"rfilename":"a","size":5,"lfs":{"sha256":"../x","size":5}}]}`, testCommit),
		"not json":     `<html>`,
		"array":        `[]`,
		"bad id":       fmt.Sprintf(`{"id":"../../x","sha":%q,"siblings":[]}`, testCommit),
	}
	for name, body := range bodies {
		c := hostileHub(t, body, nil)
		if repo, err := c.Resolve(testCtx(t), Ref{Repo: "org/model"}); err == nil {
			t.Errorf("%s: accepted: %+v", name, repo)
		} else if strings.ContainsAny(err.Error(), "\x00\x1b\x07") {
			t.Errorf("%s: error prints control characters: %q", name, err)
		}
	}
}

func TestHostileTree(t *testing.T) {
	info := fmt.Sprintf(`{"sha":%q,"siblings":[{"rfilename":"a"}]}`, testCommit)
	offsite := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", `<https://evil.example/api/models/org/model/tree/x?cursor=1>; rel="next"`)
		fmt.Fprint(w, `[{"type":"file","path":"a","size":1}]`)
	}
	c := hostileHub(t, info, offsite)
	if _, err := c.Resolve(testCtx(t), Ref{Repo: "org/model"}); err == nil || !strings.Contains(err.Error(), "leaves the endpoint") {
		t.Errorf("off-site next page: %v", err)
	}
	loop := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", `<`+r.URL.Path+`?cursor=x>; rel="next"`)
		fmt.Fprint(w, `[{"type":"file","path":"a","size":1}]`)
	}
	c = hostileHub(t, info, loop)
	if _, err := c.Resolve(testCtx(t), Ref{Repo: "org/model"}); err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Errorf("looping pages: %v", err)
	}
	sizeless := func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `[{"type":"file","path":"a"}]`)
	}
	c = hostileHub(t, info, sizeless)
	if _, err := c.Resolve(testCtx(t), Ref{Repo: "org/model"}); err == nil || !strings.Contains(err.Error(), "no size") {
		t.Errorf("tree without sizes: %v", err)
	}
}

// TestRedirectPolicy checks the redirect rules directly: the token is
// dropped on a hop to another host (even a subdomain), kept on the same
// host, and https is never downgraded.
func TestRedirectPolicy(t *testing.T) {
	mk := func(raw string) *http.Request {
		u, _ := url.Parse(raw)
		return &http.Request{URL: u, Header: http.Header{"Authorization": {"Bearer x"}}}
	}
	via := []*http.Request{mk("https://huggingface.co/org/m/resolve/c/f")}
	for target, keep := range map[string]bool{
		"https://huggingface.co/api/x":        true,
		"https://cdn-lfs.huggingface.co/blob": false,
		"https://huggingface.co:8443/x":       false,
		"https://cas-bridge.xethub.hf.co/x":   false,
	} {
		req := mk(target)
		if err := checkRedirect(req, via); err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		if got := req.Header.Get("Authorization") != ""; got != keep {
			t.Errorf("%s: Authorization kept = %v, want %v", target, got, keep)
		}
	}
	if err := checkRedirect(mk("http://huggingface.co/x"), via); err == nil {
		t.Error("https to http redirect followed")
	}
	if err := checkRedirect(mk("file:///etc/passwd"), via); err == nil {
		t.Error("file: redirect followed")
	}
	long := []*http.Request{via[0], via[0], via[0], via[0], via[0]}
	if err := checkRedirect(mk("https://huggingface.co/x"), long); err == nil {
		t.Error("sixth redirect followed")
	}
}

func TestTokenNotSentOverPlainHTTP(t *testing.T) {
	c := &Client{Endpoint: "http://hub.example", Token: testToken, Retries: -1}
	_, err := c.Resolve(testCtx(t), Ref{Repo: "org/model"})
	if err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Errorf("error %v", err)
	}
}

func TestNewClientFromEnv(t *testing.T) {
	t.Setenv("HF_ENDPOINT", "http://127.0.0.1:9/")
	t.Setenv("HF_TOKEN", "")
	t.Setenv("HUGGING_FACE_HUB_TOKEN", "legacy")
	c := NewClientFromEnv()
	if c.endpoint() != "http://127.0.0.1:9" || c.Token != "legacy" {
		t.Errorf("client %+v", c)
	}
	t.Setenv("HF_TOKEN", "new")
	if c := NewClientFromEnv(); c.Token != "new" || !strings.HasPrefix(c.userAgent(), "modelward/") {
		t.Errorf("client %+v", c)
	}
	t.Setenv("HF_ENDPOINT", "")
	if c := NewClientFromEnv(); c.endpoint() != DefaultEndpoint {
		t.Errorf("endpoint %q", c.endpoint())
	}
}

func TestParseContentRange(t *testing.T) {
	for s, want := range map[string][3]int64{
		"bytes 0-9/100": {0, 9, 100}, "bytes 5-5/*": {5, 5, -1},
	} {
		a, b, total, ok := parseContentRange(s)
		if !ok || [3]int64{a, b, total} != want {
			t.Errorf("%q = %d %d %d %v", s, a, b, total, ok)
		}
	}
	for _, s := range []string{"", "bytes */100", "bytes 9-0/100", "bytes 0-100/100", "bytes -1-5/10", "items 0-1/2", "bytes 0-1/x"} {
		if _, _, _, ok := parseContentRange(s); ok {
			t.Errorf("%q accepted", s)
		}
	}
}

// TestCommitMismatch: a file answer (direct, or a redirect to a CDN) that
// names another commit than the pinned one is refused.
func TestCommitMismatch(t *testing.T) {
	other := strings.Repeat("e", 40)
	cdn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Range", "bytes 0-3/4")
		w.WriteHeader(http.StatusPartialContent)
		fmt.Fprint(w, "data")
	}))
	t.Cleanup(cdn.Close)
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			fmt.Fprintf(w, `{"sha":%q,"siblings":[{"rfilename":"direct","size":4},{"rfilename":"redirected","size":4}]}`, testCommit)
			return
		}
		w.Header().Set("X-Repo-Commit", other)
		if strings.HasSuffix(r.URL.Path, "redirected") {
			http.Redirect(w, r, cdn.URL+"/blob", http.StatusFound)
			return
		}
		w.Header().Set("Content-Range", "bytes 0-3/4")
		w.WriteHeader(http.StatusPartialContent)
		fmt.Fprint(w, "data")
	}))
	t.Cleanup(hub.Close)
	c := &Client{Endpoint: hub.URL, Retries: -1}
	ctx := testCtx(t)
	repo, err := c.Resolve(ctx, Ref{Repo: "org/model"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range repo.Files {
		rf, err := c.Open(ctx, repo, f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rf.ReadAt(make([]byte, 4), 0); err == nil || !strings.Contains(err.Error(), "instead of the pinned") {
			t.Errorf("%s: %v", f.Path, err)
		}
	}
}
