package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServeInitAdmin(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run([]string{"serve", "--init-admin", "--data", dir}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if tok := strings.TrimSpace(out.String()); !strings.HasPrefix(tok, "mwt_") || strings.Count(tok, "\n") != 0 {
		t.Fatalf("token %q", out.String())
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"serve", "--init-admin", "--data", dir}, &out, &errb); code != exitError || out.Len() != 0 || !strings.Contains(errb.String(), "already has tokens") {
		t.Fatalf("second init: exit %d, %q %q", code, out.String(), errb.String())
	}
}

// serve starts, answers, makes its key on first start, and stops cleanly
// when its context ends.
func TestServeRuns(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if code := run([]string{"serve", "--init-admin", "--data", dir}, &out, io.Discard); code != exitOK {
		t.Fatal("init-admin failed")
	}
	admin := strings.TrimSpace(out.String())
	t.Setenv("MODELWARD_LISTEN", "127.0.0.1:0")
	t.Setenv("MODELWARD_DATA", dir)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	root := newRoot()
	root.SetArgs([]string{"serve"})
	root.SetOut(io.Discard)
	root.SetErr(pw)
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx); pw.Close() }()
	addr := listenAddr(t, pr)

	get := func(path, token string) int {
		req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if get("/healthz", "") != 200 || get("/v1/models", "") != 401 || get("/v1/models", admin) != 200 {
		t.Fatal("the server does not answer as it should")
	}
	stopServing(t, cancel, done)
	st, err := os.Stat(filepath.Join(dir, "server.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("server.key: %v %v", err, st)
	}
	if _, err := os.Stat(filepath.Join(dir, "server.pub")); err != nil {
		t.Fatal(err)
	}
}

// listenAddr reads the JSON log until the "listening" line, then keeps
// draining it so the server never blocks on its log.
func listenAddr(t *testing.T, r io.Reader) string {
	t.Helper()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				found <- line.Addr
			}
		}
	}()
	select {
	case a := <-found:
		return a
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not start")
		return ""
	}
}

func TestServeBadSettings(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--checkpoint-every", "0s", "--data", t.TempDir()},
		{"serve", "--policy", "/nonexistent.yaml", "--data", t.TempDir()},
		{"serve", "--key", "/nonexistent.key", "--data", t.TempDir()},
		{"serve", "extra"},
	} {
		if code := run(args, io.Discard, io.Discard); code != exitError {
			t.Errorf("%v: exit %d", args, code)
		}
	}
}

// stopServing cancels a command started with ExecuteContext and waits for
// it to return cleanly.
func stopServing(t *testing.T, cancel context.CancelFunc, done <-chan error) {
	t.Helper()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no graceful shutdown")
	}
}
