package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/modelward/modelward/registry"
	"github.com/modelward/modelward/registry/blob"
)

const model = "team/classifier"

// vpath is a version's URL path.
func vpath(n string, rest string) string { return "/v1/models/team%2Fclassifier/versions/" + n + rest }

// promote takes a verified version to deployed through HTTP: the
// publisher records the evaluation, another token approves and deploys.
func (w *world) promote(n string) registry.Version {
	w.t.Helper()
	var v registry.Version
	w.do("POST", vpath(n, "/evaluation"), w.tok["publisher"], map[string]float64{"accuracy": 0.97}, 200, &v)
	w.do("POST", vpath(n, "/transitions"), w.tok["publisher"], map[string]string{"to": "evaluated"}, 200, &v)
	w.do("POST", vpath(n, "/transitions"), w.tok["approver"], map[string]string{"to": "approved", "reason": "reviewed"}, 200, &v)
	w.do("POST", vpath(n, "/transitions"), w.tok["approver"], map[string]string{"to": "deployed"}, 200, &v)
	return v
}

// The registry's acceptance test, through HTTP.
func TestEndToEnd(t *testing.T) {
	w := setup(t, Options{})
	clean := copyModel(t, "../examples/clean-model", nil)

	// A clean signed model: verified on push, then evaluated, approved by
	// another token and deployed.
	res := w.push(model, clean, w.tok["publisher"], true, http.StatusCreated)
	if res.Version.State != registry.Verified || res.Version.Number != 1 || res.Check.Signer == "" || len(res.Check.Blocked) != 0 {
		t.Fatalf("clean push: %+v", res)
	}
	p := w.problemOf("POST", vpath("1", "/transitions"), w.tok["publisher"], map[string]string{"to": "evaluated"}, http.StatusConflict)
	if !strings.HasSuffix(p.Type, "/blocked") || !strings.Contains(p.Detail, "accuracy") {
		t.Fatalf("evaluation gate: %+v", p)
	}
	w.problemOf("POST", vpath("1", "/transitions"), w.tok["publisher"], map[string]string{"to": "deployed"}, http.StatusForbidden)
	if v := w.promote("1"); v.State != registry.Deployed || v.Approver != w.id["approver"] || v.Publisher != w.id["publisher"] {
		t.Fatalf("v1: %+v", v)
	}
	var dep registry.Version
	w.do("GET", "/v1/models/team%2Fclassifier/deployed", w.tok["viewer"], nil, 200, &dep)
	if dep.Number != 1 {
		t.Fatalf("deployed: %+v", dep)
	}

	// The two-person rule: whoever pushed may not approve, whatever role.
	w.push(model, copyModel(t, "../examples/clean-model", map[string]string{"v2.txt": "2"}), w.tok["admin"], true, http.StatusCreated)
	w.do("POST", vpath("2", "/evaluation"), w.tok["admin"], map[string]float64{"accuracy": 0.97}, 200, nil)
	w.do("POST", vpath("2", "/transitions"), w.tok["admin"], map[string]string{"to": "evaluated"}, 200, nil)
	p = w.problemOf("POST", vpath("2", "/transitions"), w.tok["admin"], map[string]string{"to": "approved"}, http.StatusConflict)
	if !strings.HasSuffix(p.Type, "/blocked") || !strings.Contains(p.Detail, "two-person") {
		t.Fatalf("two-person rule: %+v", p)
	}

	// A malicious model is stored as registered, with the findings that
	// block it.
	bad := w.push(model, copyModel(t, "../examples/malicious-model", nil), w.tok["publisher"], true, http.StatusCreated)
	if bad.Version.State != registry.Registered || bad.Check.Verdict != "malicious" || !strings.Contains(strings.Join(bad.Check.Blocked, " "), "MW101") {
		t.Fatalf("malicious push: %+v", bad)
	}

	// Version 4 (one more file, in a folder) is deployed; 1 is deprecated.
	v4 := w.push(model, copyModel(t, "../examples/clean-model", map[string]string{"notes.txt": "v4", "sub/extra.txt": "x"}), w.tok["publisher"], true, http.StatusCreated)
	if v4.Version.Number != 4 {
		t.Fatalf("v4: %+v", v4.Version)
	}
	w.promote("4")
	var v1 registry.Version
	w.do("GET", vpath("1", ""), w.tok["viewer"], nil, 200, &v1)
	if v1.State != registry.Deprecated {
		t.Fatalf("v1 after v4: %s", v1.State)
	}
	checkDownload(t, w, *v4.Version)

	// Tampering with a deployed blob: the next fetch refuses and
	// quarantines the version.
	tamper(t, w, *v4.Version, "notes.txt")
	p = w.problemOf("GET", "/v1/models/team%2Fclassifier/deployed", w.tok["viewer"], nil, http.StatusConflict)
	if !strings.HasSuffix(p.Type, "/tampered") {
		t.Fatalf("tampered: %+v", p)
	}
	var q registry.Version
	w.do("GET", vpath("4", ""), w.tok["viewer"], nil, 200, &q)
	if q.State != registry.Quarantined {
		t.Fatalf("tampered version is %s", q.State)
	}
	w.problemOf("GET", vpath("4", "/files/notes.txt"), w.tok["viewer"], nil, http.StatusNotFound)

	// Rollback deploys version 1 again.
	var rb registry.Version
	w.do("POST", "/v1/models/team%2Fclassifier/rollback", w.tok["approver"], map[string]string{"reason": "incident"}, 200, &rb)
	if rb.Number != 1 || rb.State != registry.Deployed {
		t.Fatalf("rollback: %+v", rb)
	}

	retireAndShred(t, w)

	var rep registry.AuditReport
	w.srv.checkpoint(context.Background(), -1)
	w.do("GET", "/v1/audit/verify", w.tok["viewer"], nil, 200, &rep)
	if rep.Entries < 20 || rep.Checkpoints != 1 || rep.HeadSeq != rep.Entries {
		t.Fatalf("audit verify: %+v", rep)
	}
}

// checkDownload fetches a deployed file by its escaped path.
func checkDownload(t *testing.T, w *world, v registry.Version) {
	t.Helper()
	resp := w.request("GET", vpath("4", "/files/sub%2Fextra.txt"), w.tok["viewer"], nil, http.Header{})
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var digest string
	for _, f := range v.Files {
		if f.Path == "sub/extra.txt" {
			digest = f.Digest
		}
	}
	if resp.StatusCode != 200 || string(b) != "x" || resp.ContentLength != 1 || resp.Header.Get("ETag") != `"`+digest+`"` {
		t.Fatalf("download: %d %q length %d etag %s", resp.StatusCode, b, resp.ContentLength, resp.Header.Get("ETag"))
	}
	// Only the deployed version's files are served.
	w.problemOf("GET", vpath("1", "/files/model.onnx"), w.tok["viewer"], nil, http.StatusConflict)
	w.problemOf("GET", vpath("4", "/files/nothing"), w.tok["viewer"], nil, http.StatusNotFound)
	// A literal slash is not the escaped path: no route matches.
	w.problemOf("GET", vpath("4", "/files/sub/extra.txt"), w.tok["viewer"], nil, http.StatusNotFound)
}

// tamper rewrites one stored file of v on disk.
func tamper(t *testing.T, w *world, v registry.Version, path string) {
	t.Helper()
	for _, f := range v.Files {
		if f.Path != path {
			continue
		}
		p := w.blobs.Path(f.Digest)
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("changed"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("no file %s", path)
}

// retireAndShred retires version 1 with shredding: it can never be
// deployed again and its archive no longer opens.
func retireAndShred(t *testing.T, w *world) {
	t.Helper()
	w.problemOf("POST", vpath("1", "/retire"), w.tok["approver"], map[string]any{"reason": "end of life", "shred": true}, http.StatusForbidden)
	var ret registry.Version
	w.do("POST", vpath("1", "/retire"), w.tok["admin"], map[string]any{"reason": "end of life", "shred": true}, 200, &ret)
	if ret.State != registry.Retired || ret.ArchiveKey != "" {
		t.Fatalf("retire: %+v", ret)
	}
	p := w.problemOf("POST", vpath("1", "/transitions"), w.tok["approver"], map[string]string{"to": "deployed"}, http.StatusConflict)
	if !strings.HasSuffix(p.Type, "/illegal-transition") {
		t.Fatalf("deploying a retired version: %+v", p)
	}
	w.problemOf("POST", vpath("1", "/shred"), w.tok["admin"], nil, http.StatusConflict)
	key := shreddedKey(t, w)
	err := w.blobs.OpenArchive(context.Background(), key, func(string, io.Reader) error { return nil })
	if !errors.Is(err, blob.ErrKeyDestroyed) {
		t.Fatalf("archive after shredding: %v", err)
	}
}

// shreddedKey finds the destroyed archive key in the audit log.
func shreddedKey(t *testing.T, w *world) string {
	t.Helper()
	var page list[registry.AuditEntry]
	w.do("GET", "/v1/audit?limit=1000", w.tok["viewer"], nil, 200, &page)
	for _, e := range page.Items {
		if e.Action == "version.shred" {
			var d struct {
				Key string `json:"archive_key"`
			}
			if err := json.Unmarshal(e.Detail, &d); err != nil || d.Key == "" {
				t.Fatalf("shred entry %s: %v", e.Detail, err)
			}
			return d.Key
		}
	}
	t.Fatal("no version.shred entry in the audit log")
	return ""
}
