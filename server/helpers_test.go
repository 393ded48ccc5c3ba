package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/modelward/modelward/policy"
	"github.com/modelward/modelward/registry"
	"github.com/modelward/modelward/registry/blob"
	"github.com/modelward/modelward/registry/check"
	"github.com/modelward/modelward/registry/sqlite"
	"github.com/modelward/modelward/sign"
	"github.com/modelward/modelward/sign/bundle"
)

// world is a real server over HTTP: a SQLite store and a blob store in a
// temporary folder, the real checker under a policy that trusts a key
// made for the test, and tokens of every role.
type world struct {
	t     testing.TB
	srv   *Server
	ts    *httptest.Server
	svc   *registry.Service
	blobs *blob.Store
	store registry.Store
	priv  []byte // the release signing key (PEM)
	// tok holds secrets by name: admin, publisher, approver, viewer.
	tok map[string]string
	id  map[string]string // token ids by the same names

	mu      sync.Mutex
	entered map[string]int // handler entries by pattern
}

func setup(t testing.TB, opt Options) *world {
	t.Helper()
	return setupIn(t, opt, t.TempDir())
}

// setupIn is setup with the data (store and blobs) in dir.
func setupIn(t testing.TB, opt Options, dir string) *world {
	t.Helper()
	ctx := context.Background()
	priv, pubFile := releaseKey(t, dir)
	pol, err := policy.Parse(strings.NewReader("registry:\n  trusted_keys: [" + pubFile + "]\n  evaluation:\n    accuracy: {min: 0.9}\n"))
	if err != nil {
		t.Fatal(err)
	}
	chk, err := check.New(pol, "test")
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := blob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if opt.CheckpointKey == nil {
		keys, err := bundle.GenerateKeys(bundle.AlgECDSAP256)
		if err != nil {
			t.Fatal(err)
		}
		opt.CheckpointKey = keys[0]
	}
	svc := registry.NewService(st, blobs, chk, pol.Registry, nil)
	w := &world{t: t, svc: svc, blobs: blobs, store: st, priv: priv, tok: map[string]string{}, id: map[string]string{}, entered: map[string]int{}}
	w.srv = New(svc, opt)
	w.srv.enter = func(p string) {
		w.mu.Lock()
		w.entered[p]++
		w.mu.Unlock()
	}
	w.ts = httptest.NewUnstartedServer(nil)
	w.ts.Config = w.srv.HTTPServer("")
	w.ts.Start()
	t.Cleanup(w.ts.Close)
	root := registry.Actor{ID: "local:test", Role: registry.RoleAdmin}
	for _, role := range []registry.Role{registry.RoleAdmin, registry.RolePublisher, registry.RoleApprover, registry.RoleViewer} {
		secret, info, err := svc.CreateToken(ctx, root, string(role), role, nil, 0, "")
		if err != nil {
			t.Fatal(err)
		}
		w.tok[string(role)], w.id[string(role)] = secret, info.ID
	}
	return w
}

// releaseKey makes the hybrid signing key the policy trusts.
func releaseKey(t testing.TB, dir string) ([]byte, string) {
	keys, err := bundle.GenerateKeys(bundle.AlgHybrid)
	if err != nil {
		t.Fatal(err)
	}
	var priv, pub []byte
	for _, k := range keys {
		p, _ := k.PrivatePEM()
		priv, pub = append(priv, p...), append(pub, k.Public().PEM()...)
	}
	pubFile := filepath.Join(dir, "release.pub")
	if err := os.WriteFile(pubFile, pub, 0o644); err != nil {
		t.Fatal(err)
	}
	return priv, pubFile
}

func (w *world) entries() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, c := range w.entered {
		n += c
	}
	return n
}

// newToken makes a token through the service.
func (w *world) newToken(role registry.Role, models []string, ttl string) (string, string) {
	w.t.Helper()
	var res tokenResponse
	body := map[string]any{"name": "t", "role": role, "models": models, "ttl": ttl}
	w.do("POST", "/v1/tokens", w.tok["admin"], body, http.StatusCreated, &res)
	return res.Token, res.Info.ID
}

// request sends a request; body is JSON unless it is an io.Reader.
func (w *world) request(method, path, token string, body any, hdr http.Header) *http.Response {
	w.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case io.Reader:
		rd = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			w.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, w.ts.URL+path, rd)
	if err != nil {
		w.t.Fatal(err)
	}
	if body != nil && hdr.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := w.ts.Client().Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	return resp
}

// do sends a request, checks the status and decodes the JSON answer
// into out (when not nil).
func (w *world) do(method, path, token string, body any, want int, out any) *http.Response {
	w.t.Helper()
	resp := w.request(method, path, token, body, http.Header{})
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		w.t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			w.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp
}

// problemOf sends a request that must fail and returns its problem.
func (w *world) problemOf(method, path, token string, body any, want int) Problem {
	w.t.Helper()
	resp := w.request(method, path, token, body, http.Header{})
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		w.t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		w.t.Fatalf("%s %s: content type %q", method, path, ct)
	}
	var p Problem
	if err := json.Unmarshal(b, &p); err != nil {
		w.t.Fatal(err)
	}
	if p.Status != want || !strings.HasPrefix(p.Type, problemBase) || p.Title == "" {
		w.t.Fatalf("%s %s: problem %+v", method, path, p)
	}
	return p
}

// copyModel copies an example model, adding extra files.
func copyModel(t testing.TB, from string, extra map[string]string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "model")
	if err := os.CopyFS(dst, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
	for name, content := range extra {
		p := filepath.Join(dst, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// multipartModel writes src's files (and its signature, when signed) as
// a push body; it returns the body and its content type.
func (w *world) multipartModel(src string, signed bool) (*bytes.Buffer, string) {
	w.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return addPart(mw, "file", filepath.ToSlash(rel), b)
	})
	if err != nil {
		w.t.Fatal(err)
	}
	if signed {
		sig, err := sign.SignWithKey(context.Background(), src, w.priv, sign.KeyOptions{Signature: filepath.Join(w.t.TempDir(), "x.sig")})
		if err != nil {
			w.t.Fatal(err)
		}
		if err := addPart(mw, "signature", "model.sig", sig); err != nil {
			w.t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		w.t.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}

// addPart writes one part with a raw filename (directories kept).
func addPart(mw *multipart.Writer, name, filename string, b []byte) error {
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="`+name+`"; filename="`+filename+`"`)
	h.Set("Content-Type", "application/octet-stream")
	pw, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	_, err = pw.Write(b)
	return err
}

// push sends a model and returns the push result.
func (w *world) push(model, src, token string, signed bool, want int) pushResponse {
	w.t.Helper()
	body, ctype := w.multipartModel(src, signed)
	resp := w.request("POST", "/v1/models/"+escape(model)+"/versions", token, body, http.Header{"Content-Type": {ctype}})
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		w.t.Fatalf("push %s: %d, want %d: %s", model, resp.StatusCode, want, b)
	}
	var res pushResponse
	if want == http.StatusCreated {
		if err := json.Unmarshal(b, &res); err != nil {
			w.t.Fatal(err)
		}
	}
	return res
}

// escape makes a model name one path segment.
func escape(model string) string { return strings.ReplaceAll(model, "/", "%2F") }
