package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelward/modelward/gateway/digits"
	"github.com/modelward/modelward/gateway/oip"
	"github.com/modelward/modelward/gateway/proxy"
	"github.com/modelward/modelward/registry"
)

// modelward gateway serves inferences from a real OIP upstream to a
// registry API key, refuses others, and stops cleanly.
func TestGatewayCommand(t *testing.T) {
	up := httptest.NewServer(oip.Handler(map[string]oip.Predictor{"digits": digits.NewPredictor(digits.Pretrained(), "digits")}))
	defer up.Close()
	dir := t.TempDir()
	svc, closeStore, err := proxy.OpenRegistry(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := svc.CreateToken(context.Background(), registry.Actor{ID: "local:test", Role: registry.RoleAdmin}, "client", registry.RoleViewer, nil, 0, "")
	closeStore()
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "gateway.yaml")
	yml := fmt.Sprintf(`listen: 127.0.0.1:0
auth: {registry: {data: %q}}
models:
  - name: digits
    upstreams: [%s]
    rate: {rate: 100, burst: 100}
    input: {name: pixels, features: 64, min: 0, max: 16}
    classes: 10
    harden: {mode: topk, k: 2}
`, dir, up.URL)
	if err := os.WriteFile(cfg, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	root := newRoot()
	root.SetArgs([]string{"gateway", "--config", cfg})
	root.SetOut(io.Discard)
	root.SetErr(pw)
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx); pw.Close() }()
	addr := listenAddr(t, pr)

	pixels, _ := json.Marshal(digits.UCI().Row(5))
	body := `{"inputs":[{"name":"pixels","shape":[1,64],"datatype":"FP32","data":` + string(pixels) + `}]}`
	for _, c := range []struct {
		secret string
		want   int
	}{{secret, 200}, {"", 401}} {
		req, _ := http.NewRequest("POST", "http://"+addr+"/v2/models/digits/infer", strings.NewReader(body))
		if c.secret != "" {
			req.Header.Set("Authorization", "Bearer "+c.secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.want, out)
		}
		want := fmt.Sprintf(`{"name":"label","datatype":"INT64","shape":[1],"data":[%d]}`, digits.Label(digits.Pretrained().Predict(digits.UCI().Row(5))))
		if c.want == 200 && !bytes.Contains(out, []byte(want)) {
			t.Fatalf("answer %s lacks %s", out, want)
		}
	}
	stopServing(t, cancel, done)
}

func TestGatewayCommandErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("listen: x\nlisten_typo: y\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"gateway"}, "--config is required"},
		{[]string{"gateway", "--config", bad}, "listen_typo"},
		{[]string{"gateway", "--config", filepath.Join(t.TempDir(), "none.yaml")}, "no such file"},
		{[]string{"gateway", "--config", bad, "--pprof", "0.0.0.0:6060"}, "loopback"},
	} {
		var errb bytes.Buffer
		if code := run(c.args, io.Discard, &errb); code != exitError || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: exit %d, %q", c.args, code, errb.String())
		}
	}
}
