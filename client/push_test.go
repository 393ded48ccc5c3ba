package client

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The push body is well-formed multipart whose length is the one
// announced, with every file and the signature as parts in order; a file
// that changes size while it is sent fails the push.
func TestPushBody(t *testing.T) {
	dir := t.TempDir()
	contents := map[string]string{"a.bin": strings.Repeat("x", 100000), "sub/b.json": "{}", "empty": ""}
	var files []localFile
	for _, rel := range []string{"a.bin", "empty", "sub/b.json"} {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(contents[rel]), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, localFile{rel, p})
	}
	sig := filepath.Join(t.TempDir(), "model.sig")
	os.WriteFile(sig, []byte("SIG"), 0o600)
	var progress int64
	body, ctype, err := newPushBody(files, sig, func(n int64) { progress = n })
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(body)
	if err != nil || int64(len(raw)) != body.Size() || progress != 100005 {
		t.Fatalf("read %d of %d (progress %d): %v", len(raw), body.Size(), progress, err)
	}
	_, params, _ := mime.ParseMediaType(ctype)
	mr := multipart.NewReader(bytes.NewReader(raw), params["boundary"])
	want := []string{"a.bin", "empty", "sub/b.json", "model.sig"}
	for i := 0; ; i++ {
		p, err := mr.NextPart()
		if err == io.EOF {
			if i != len(want) {
				t.Fatalf("%d parts", i)
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		_, disp, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		if disp["filename"] != want[i] {
			t.Fatalf("part %d: %q", i, disp["filename"])
		}
		b, _ := io.ReadAll(p)
		if exp := contents[want[i]]; want[i] == "model.sig" && string(b) != "SIG" || want[i] != "model.sig" && string(b) != exp {
			t.Fatalf("part %s: %d bytes", want[i], len(b))
		}
	}
	// A file that grows or shrinks after the body was sized.
	for _, change := range []string{strings.Repeat("x", 100001), "short"} {
		body, _, _ := newPushBody(files[:1], "", nil)
		os.WriteFile(files[0].abs, []byte(change), 0o600)
		if _, err := io.ReadAll(body); err == nil {
			t.Errorf("a file of %d bytes instead of 100000 was sent", len(change))
		}
		body.Close()
		os.WriteFile(files[0].abs, []byte(contents["a.bin"]), 0o600)
	}
}

// A server that refuses before reading the body: Push returns while the
// transport may still be reading the body, which must stay race-free; and
// an empty read returns at once.
func TestPushAnsweredEarly(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "w.bin"), make([]byte, 32<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) }))
	defer srv.Close()
	c, err := New(srv.URL, "tok")
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if _, err := c.Push(context.Background(), "m", dir, "", nil); err == nil {
			t.Fatal("a refused push reported success")
		}
	}
	body, _, _ := newPushBody([]localFile{{"w.bin", filepath.Join(dir, "w.bin")}}, "", nil)
	defer body.Close()
	buf := make([]byte, 1<<16)
	body.Read(buf) // the framing
	if n, err := body.Read(buf[:0]); n != 0 || err != nil {
		t.Fatalf("empty read: %d %v", n, err)
	}
}
