package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modelward/modelward/client"
	"github.com/modelward/modelward/registry"
	"github.com/modelward/modelward/registry/blob"
	"github.com/modelward/modelward/registry/sqlite"
	"github.com/modelward/modelward/sign/bundle"
)

// TestHelperServe is not a test of its own: TestServerCrashSafety runs the
// test binary again with MODELWARD_CRASH_CHILD set, and this serves until
// the parent kills it.
func TestHelperServe(t *testing.T) {
	if os.Getenv("MODELWARD_CRASH_CHILD") == "" {
		t.Skip("child process of TestServerCrashSafety")
	}
	os.Exit(run([]string{"serve", "--data", os.Getenv("MODELWARD_CRASH_DATA"), "--policy", os.Getenv("MODELWARD_CRASH_POLICY")}, os.Stdout, os.Stderr))
}

// ack is one change the server acknowledged before it was killed.
type ack struct {
	model string
	n     int64
	to    registry.State // "" for a push
}

// The acceptance test of crash safety: kill -9 the server during
// concurrent pushes and transitions; after a restart no acknowledged
// change is lost, no half-written version is visible, and the audit chain
// verifies.
func TestServerCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a server")
	}
	dir := t.TempDir()
	data, pol, key := filepath.Join(dir, "data"), filepath.Join(dir, "policy.yaml"), filepath.Join(dir, "release")
	if code, _, stderr := runBoth("keygen", "--output-prefix", key); code != 0 {
		t.Fatal(stderr)
	}
	if err := os.WriteFile(pol, []byte("registry:\n  trusted_keys: ["+key+".pub]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runBoth("serve", "--init-admin", "--data", data, "--policy", pol); code != 0 {
		t.Fatal(stderr)
	}
	tokens := map[registry.Role]string{}
	for _, role := range []registry.Role{registry.RolePublisher, registry.RoleApprover} {
		code, out, stderr := runBoth("token", "create", "--local", "--data", data, "--name", string(role), "--role", string(role))
		if code != 0 {
			t.Fatal(stderr)
		}
		tokens[role] = strings.TrimSpace(out)
	}
	model := filepath.Join(dir, "model")
	if err := os.CopyFS(model, os.DirFS("../../examples/clean-model")); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runBoth("sign", "key", model, "--private-key", key+".key"); code != 0 {
		t.Fatal(stderr)
	}

	var acks []ack
	for round := range 3 {
		addr, stop := startChild(t, data, pol)
		acks = append(acks, load(t, addr, tokens, model, round, stop)...)
	}
	addr, stop := startChild(t, data, pol)
	checkAcks(t, addr, tokens[registry.RoleApprover], acks)
	stop()
	checkStorage(t, data)
	if len(acks) == 0 {
		t.Fatal("nothing was acknowledged before the kills: the test proved nothing")
	}
	t.Logf("%d acknowledged changes survived 3 kills", len(acks))
}

// startChild starts a server process and returns its address and a
// function that kills it with SIGKILL.
func startChild(t *testing.T, data, pol string) (string, func()) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperServe$")
	cmd.Env = append(os.Environ(), "MODELWARD_CRASH_CHILD=1", "MODELWARD_CRASH_DATA="+data,
		"MODELWARD_CRASH_POLICY="+pol, "MODELWARD_LISTEN="+addr)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
	}
	for i := 0; ; i++ {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			return addr, stop
		}
		if i > 200 {
			stop()
			t.Fatal("the child server did not start")
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// load runs concurrent pushes and promotions, kills the server at a random
// moment, and returns what was acknowledged.
func load(t *testing.T, addr string, tokens map[registry.Role]string, model string, round int, kill func()) []ack {
	pub, err := client.New("http://"+addr, tokens[registry.RolePublisher])
	if err != nil {
		t.Fatal(err)
	}
	appr, _ := client.New("http://"+addr, tokens[registry.RoleApprover])
	var (
		mu   sync.Mutex
		acks []ack
		wg   sync.WaitGroup
	)
	record := func(a ack) { mu.Lock(); acks = append(acks, a); mu.Unlock() }
	ctx, cancel := context.WithCancel(context.Background())
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("crash/m%d-%d", round, w)
			for ctx.Err() == nil {
				res, err := pub.Push(ctx, name, model, filepath.Join(model, "model.sig"), nil)
				if err != nil {
					return
				}
				n := res.Version.Number
				record(ack{name, n, ""})
				if _, err := pub.RecordEvaluation(ctx, name, n, map[string]float64{"accuracy": 1}); err != nil {
					return
				}
				for _, step := range []struct {
					c  *client.Client
					to registry.State
				}{{pub, registry.Evaluated}, {appr, registry.Approved}, {appr, registry.Deployed}} {
					if _, err := step.c.Transition(ctx, name, n, step.to, "crash test"); err != nil {
						return
					}
					record(ack{name, n, step.to})
				}
			}
		}()
	}
	time.Sleep(time.Duration(300+rand.IntN(900)) * time.Millisecond)
	kill()
	cancel()
	wg.Wait()
	return acks
}

// checkAcks finds every acknowledged push and transition after restart.
func checkAcks(t *testing.T, addr, token string, acks []ack) {
	t.Helper()
	c, err := client.New("http://"+addr, token)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var entries []registry.AuditEntry
	for after := int64(0); ; {
		es, _, err := c.Audit(ctx, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) == 0 {
			break
		}
		entries = append(entries, es...)
		after = es[len(es)-1].Seq
	}
	logged := map[ack]bool{}
	for _, e := range entries {
		if e.Action == "version.transition" {
			logged[ack{e.Model, e.Version, e.To}] = true
		}
	}
	for _, a := range acks {
		if _, err := c.Version(ctx, a.model, a.n); err != nil {
			t.Errorf("acknowledged version %s@%d lost: %v", a.model, a.n, err)
		}
		if a.to != "" && !logged[a] {
			t.Errorf("acknowledged transition %s@%d → %s lost", a.model, a.n, a.to)
		}
	}
	if _, err := c.VerifyAudit(ctx); err != nil {
		t.Errorf("audit log after the kills: %v", err)
	}
}

// checkStorage opens the stores directly: every version's files are
// present and intact (no half-written version), and the chain verifies.
func checkStorage(t *testing.T, data string) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(data, "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	blobs, err := blob.Open(filepath.Join(data, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	models, _, err := st.Models(ctx, registry.Page{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range models {
		vs, _, err := st.Versions(ctx, m.Model, registry.Page{})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			for _, f := range append(v.Files, registry.File{Path: "signature", Digest: v.Signature}) {
				if err := blobs.Verify(ctx, f.Digest); err != nil {
					t.Errorf("%s@%d: %s: %v", v.Model, v.Number, f.Path, err)
				}
			}
		}
	}
	pub, err := os.ReadFile(filepath.Join(data, "server.pub"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := bundle.LoadVerifiersPEM(pub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := registry.VerifyAudit(ctx, st, keys); err != nil {
		t.Errorf("audit chain: %v", err)
	}
}
