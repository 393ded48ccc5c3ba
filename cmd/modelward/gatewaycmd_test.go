package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelward/modelward/gateway/digits"
	"github.com/modelward/modelward/gateway/oip"
	"github.com/modelward/modelward/gateway/proxy"
	"github.com/modelward/modelward/registry"
)

// modelward gateway serves inferences from a real OIP upstream to a
// registry API key, refuses others, and stops cleanly.
func TestGatewayCommand(t *testing.T) {
	up := digitsUpstream(t)
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
limits: {read_header_timeout: 300ms, request_timeout: 600ms}
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
	slowClientsTimeOut(t, addr)
	stopServing(t, cancel, done)
}

// slowClientsTimeOut opens connections that dribble a request (headers
// never finished; a body never finished) and checks that the gateway
// hangs up on each within a few timeouts rather than hold it open.
func slowClientsTimeOut(t *testing.T, addr string) {
	t.Helper()
	for name, partial := range map[string]string{
		"headers": "POST /v2/models/digits/infer HTTP/1.1\r\nHost: x\r\nContent-Type: appl",
		"body":    "POST /v2/models/digits/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"inputs\":",
	} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write([]byte(partial)); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err = io.ReadAll(c) // returns when the server closes the connection
		c.Close()
		if el := time.Since(start); err != nil || el > 5*time.Second {
			t.Errorf("slow %s: connection held %v (%v)", name, el, err)
		}
	}
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

// digitsUpstream serves the demo digits model over OIP v2 for the test.
func digitsUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	up := httptest.NewServer(oip.Handler(map[string]oip.Predictor{"digits": digits.NewPredictor(digits.Pretrained(), "digits")}))
	t.Cleanup(up.Close)
	return up
}
