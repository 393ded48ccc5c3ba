package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelward/modelward/gateway/digits"
)

// demo-model serve answers the Open Inference Protocol with the built-in
// model, or with one from --model, and stops cleanly with its context.
func TestDemoModelServe(t *testing.T) {
	file := filepath.Join(t.TempDir(), "m.safetensors")
	if err := os.WriteFile(file, digits.PretrainedFile(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"demo-model", "serve", "--listen", "127.0.0.1:0"},
		{"demo-model", "serve", "--listen", "127.0.0.1:0", "--model", file, "--name", "d2"},
	} {
		name := "digits"
		if len(args) > 4 {
			name = "d2"
		}
		ctx, cancel := context.WithCancel(context.Background())
		pr, pw := io.Pipe()
		root := newRoot()
		root.SetArgs(args)
		root.SetOut(io.Discard)
		root.SetErr(pw)
		done := make(chan error, 1)
		go func() { done <- root.ExecuteContext(ctx); pw.Close() }()
		addr := listenAddr(t, pr)

		resp, err := http.Get("http://" + addr + "/v2/models/" + name)
		if err != nil {
			t.Fatal(err)
		}
		var md struct{ Name string }
		_ = json.NewDecoder(resp.Body).Decode(&md)
		resp.Body.Close()
		if resp.StatusCode != 200 || md.Name != name {
			t.Fatalf("metadata: %d %+v", resp.StatusCode, md)
		}
		d := digits.UCI()
		pixels, _ := json.Marshal(d.Row(3))
		body := `{"inputs":[{"name":"pixels","shape":[1,64],"datatype":"FP32","data":` + string(pixels) + `}],"outputs":[{"name":"label"}]}`
		resp, err = http.Post("http://"+addr+"/v2/models/"+name+"/infer", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Contains(out, []byte(`"data":[`+string('0'+rune(d.Y[3]))+`]`)) {
			t.Fatalf("infer: %d %s (label %d)", resp.StatusCode, out, d.Y[3])
		}
		stopServing(t, cancel, done)
	}
}

func TestDemoModelServeErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.safetensors")
	if err := os.WriteFile(bad, []byte("\x02\x00\x00\x00\x00\x00\x00\x00{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"demo-model", "serve", "--model", bad}, "--model"},
		{[]string{"demo-model", "serve", "--model", filepath.Join(t.TempDir(), "none")}, "no such file"},
		{[]string{"demo-model", "serve", "--max-batch", "0"}, "must be positive"},
		{[]string{"demo-model", "serve", "--name", ""}, "must not be empty"},
		{[]string{"demo-model", "serve", "--listen", "256.0.0.1:1"}, "--listen"},
		{[]string{"demo-model", "serve", "extra"}, "unknown command"},
	} {
		var errb bytes.Buffer
		if code := run(c.args, io.Discard, &errb); code != exitError || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: exit %d, %q", c.args, code, errb.String())
		}
	}
	var out bytes.Buffer
	if code := run([]string{"demo-model", "serve", "--help"}, &out, io.Discard); code != exitOK || !strings.Contains(out.String(), "/v2/models/NAME/infer") {
		t.Fatalf("help: %d %s", code, out.String())
	}
}
