package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelward/modelward/registry/webhook"
)

// The registry through the command line: serve, tokens, push, promotion,
// refusals with their exit statuses, and the audit log checked remotely
// and locally.
func TestRegistryCommandsEndToEnd(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	key := filepath.Join(dir, "release")
	if code, _, stderr := runBoth("keygen", "--output-prefix", key); code != 0 {
		t.Fatal(stderr)
	}
	pol := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(pol, []byte("registry:\n  trusted_keys: ["+key+".pub]\n  evaluation:\n    accuracy: {min: 0.9}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, admin, stderr := runBoth("serve", "--init-admin", "--data", data, "--policy", pol)
	if code != 0 {
		t.Fatalf("init-admin: %s", stderr)
	}
	// A webhook receiver that checks every delivery's signature.
	secret := bytes.Repeat([]byte{7}, 32)
	delivered := make(chan string, 100)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify(secret, r.Header, body, time.Minute, time.Now()); err != nil {
			t.Errorf("webhook signature: %v", err)
		}
		var ev struct{ Type string }
		_ = json.Unmarshal(body, &ev)
		delivered <- ev.Type
	}))
	defer hook.Close()
	hooks := filepath.Join(dir, "hooks.yaml")
	if err := os.WriteFile(filepath.Join(dir, "hook.secret"), []byte("whsec_"+base64.StdEncoding.EncodeToString(secret)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hooks, []byte("- url: "+hook.URL+"\n  secret_file: hook.secret\n  actions: [version.*]\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Setenv("MODELWARD_LISTEN", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	root := newRoot()
	root.SetArgs([]string{"serve", "--data", data, "--policy", pol, "--webhooks", hooks})
	root.SetOut(io.Discard)
	root.SetErr(pw)
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx); pw.Close() }()
	t.Setenv("MODELWARD_SERVER", "http://"+listenAddr(t, pr))

	as := func(token string, args ...string) (int, string, string) {
		t.Helper()
		t.Setenv("MODELWARD_TOKEN", strings.TrimSpace(token))
		return runBoth(args...)
	}
	token := func(role string) string {
		code, out, stderr := as(admin, "token", "create", "--name", role, "--role", role)
		if code != 0 {
			t.Fatalf("token create %s: %s", role, stderr)
		}
		return strings.TrimSpace(out)
	}
	publisher, approver := token("publisher"), token("approver")

	model := filepath.Join(dir, "classifier")
	if err := os.CopyFS(model, os.DirFS("../../examples/clean-model")); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runBoth("sign", "key", model, "--private-key", key+".key"); code != 0 {
		t.Fatal(stderr)
	}
	if code, out, stderr := as(publisher, "model", "push", "team/classifier", model); code != 0 || !strings.Contains(out, "team/classifier@1  verified") {
		t.Fatalf("push: exit %d: %s %s", code, out, stderr)
	}
	// The push and its verification reach the webhook, signed.
	for _, want := range []string{"version.push", "version.transition"} {
		select {
		case got := <-delivered:
			if got != want {
				t.Fatalf("webhook delivered %q, want %q", got, want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("no %s webhook", want)
		}
	}
	// The gate: results below the policy's minimum are refused (exit 1).
	if code, _, stderr := as(publisher, "model", "evaluate", "team/classifier@1", "--result", "accuracy=0.5"); code != exitRefused || !strings.Contains(stderr, "below the minimum") {
		t.Fatalf("low evaluation: exit %d: %s", code, stderr)
	}
	if code, _, stderr := as(publisher, "model", "evaluate", "team/classifier@1", "--result", "accuracy=0.97"); code != 0 {
		t.Fatalf("evaluate: %s", stderr)
	}
	// A publisher may not approve (exit 3); the approver may.
	if code, _, _ := as(publisher, "model", "approve", "team/classifier@1"); code != exitDenied {
		t.Fatalf("publisher approving: exit %d", code)
	}
	for _, step := range []string{"approve", "deploy"} {
		if code, _, stderr := as(approver, "model", step, "team/classifier@1", "--reason", "release 1"); code != 0 {
			t.Fatalf("%s: %s", step, stderr)
		}
	}
	code, out, _ := as(publisher, "model", "list", "--format", "json")
	var models []struct {
		Model    string `json:"model"`
		Deployed int64  `json:"deployed"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &models) != nil || len(models) != 1 || models[0].Deployed != 1 {
		t.Fatalf("list: %s", out)
	}
	// A malicious model is blocked: exit 1 with the finding.
	bad := filepath.Join(dir, "bad")
	if err := os.CopyFS(bad, os.DirFS("../../examples/malicious-model")); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := as(publisher, "model", "push", "team/classifier", bad, "--unsigned"); code != exitRefused || !strings.Contains(out, "MW101") {
		t.Fatalf("malicious push: exit %d: %s", code, out)
	}
	if code, out, _ := as(publisher, "model", "show", "team/classifier"); code != 0 || !strings.Contains(out, "registered") {
		t.Fatalf("show: %s", out)
	}
	if code, _, _ := as("mwt_0000000000000000_"+strings.Repeat("A", 43), "model", "list"); code != exitDenied {
		t.Fatalf("bad token: exit %d", code)
	}
	if code, out, stderr := as(approver, "audit", "verify"); code != 0 || !strings.Contains(out, "intact") {
		t.Fatalf("audit verify: %s %s", out, stderr)
	}

	stopServing(t, cancel, done)
	// Locally, with the server's public key: the chain and its checkpoint.
	code, out, stderr = runBoth("audit", "verify", "--local", "--data", data)
	if code != 0 || !strings.Contains(out, "signed checkpoints") {
		t.Fatalf("local audit verify: exit %d %s %s", code, out, stderr)
	}
	var buf bytes.Buffer
	if code := run([]string{"token", "create", "--local", "--data", data, "--name", "ops", "--role", "viewer"}, &buf, io.Discard); code != 0 || !strings.HasPrefix(buf.String(), "mwt_") {
		t.Fatalf("local token create: %d %q", code, buf.String())
	}
}
