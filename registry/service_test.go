package registry_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelward/modelward/policy"
	"github.com/modelward/modelward/registry"
	"github.com/modelward/modelward/registry/blob"
	"github.com/modelward/modelward/registry/check"
	"github.com/modelward/modelward/registry/sqlite"
	"github.com/modelward/modelward/sign"
	"github.com/modelward/modelward/sign/bundle"
)

type world struct {
	dir                        string
	svc                        *registry.Service
	blobs                      *blob.Store
	store                      registry.Store
	priv                       []byte
	publisher, approver, admin registry.Actor
	viewer                     registry.Actor
}

func setup(t testing.TB) *world {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
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
	return &world{
		dir: dir,
		svc: registry.NewService(st, blobs, chk, pol.Registry, nil), blobs: blobs, store: st, priv: priv,
		publisher: registry.Actor{ID: "tok_pub", Role: registry.RolePublisher},
		approver:  registry.Actor{ID: "tok_appr", Role: registry.RoleApprover},
		admin:     registry.Actor{ID: "tok_admin", Role: registry.RoleAdmin},
		viewer:    registry.Actor{ID: "tok_view", Role: registry.RoleViewer},
	}
}

// push signs the folder src with the world's key and pushes it.
func (w *world) push(t *testing.T, model, src string, signed bool) (*registry.Version, *registry.Check, error) {
	t.Helper()
	ctx := context.Background()
	var sig io.Reader
	if signed {
		b, err := sign.SignWithKey(ctx, src, w.priv, sign.KeyOptions{Signature: filepath.Join(t.TempDir(), "x.sig")})
		if err != nil {
			t.Fatal(err)
		}
		sig = bytes.NewReader(b)
	}
	var files []registry.PushFile
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		t.Cleanup(func() { f.Close() })
		rel, _ := filepath.Rel(src, p)
		files = append(files, registry.PushFile{Path: filepath.ToSlash(rel), Body: f})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return w.svc.Push(ctx, w.publisher, model, registry.Files(files, sig))
}

func copyModel(t *testing.T, from string, extra map[string]string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "model")
	if err := os.CopyFS(dst, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
	for name, content := range extra {
		if err := os.WriteFile(filepath.Join(dst, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func (w *world) promote(t *testing.T, model string, n int64) *registry.Version {
	t.Helper()
	ctx := context.Background()
	if _, err := w.svc.RecordEvaluation(ctx, w.publisher, model, n, map[string]float64{"accuracy": 0.97}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		a  registry.Actor
		to registry.State
	}{{w.publisher, registry.Evaluated}, {w.approver, registry.Approved}, {w.approver, registry.Deployed}}
	var v *registry.Version
	for _, s := range steps {
		var err error
		if v, err = w.svc.Transition(ctx, s.a, model, n, s.to, "test"); err != nil {
			t.Fatalf("%s → %s: %v", model, s.to, err)
		}
	}
	return v
}

// The registry's end-to-end acceptance test.
func TestLifecycleEndToEnd(t *testing.T) {
	ctx := context.Background()
	w := setup(t)

	// A clean signed model goes registered → verified on push.
	v1, chk, err := w.push(t, "team/classifier", copyModel(t, "../examples/clean-model", nil), true)
	if err != nil {
		t.Fatal(err)
	}
	if v1.State != registry.Verified || v1.Signer == "" || !strings.HasPrefix(v1.Digest, "sha256:") || len(chk.BOM) == 0 || v1.BOM == "" || v1.ScanReport == "" {
		t.Fatalf("clean push: %+v blocked %v", v1, chk.Blocked)
	}
	// Gates: evaluation below threshold, the publisher approving, a viewer deploying.
	if _, err := w.svc.Transition(ctx, w.publisher, "team/classifier", 1, registry.Evaluated, ""); !errors.Is(err, registry.ErrBlocked) || !strings.Contains(err.Error(), "accuracy: no result") {
		t.Fatalf("evaluation gate: %v", err)
	}
	if _, err := w.svc.Transition(ctx, w.viewer, "team/classifier", 1, registry.Deployed, ""); !errors.Is(err, registry.ErrForbidden) {
		t.Fatalf("viewer deploy: %v", err)
	}
	if _, err := w.svc.Transition(ctx, w.publisher, "team/classifier", 1, registry.Deployed, ""); !errors.Is(err, registry.ErrForbidden) {
		t.Fatalf("publisher deploy: %v", err)
	}
	if v := w.promote(t, "team/classifier", 1); v.State != registry.Deployed || v.Approver != "tok_appr" {
		t.Fatalf("v1: %+v", v)
	}
	selfApprover := registry.Actor{ID: "tok_pub", Role: registry.RoleApprover}
	if _, err := w.svc.Transition(ctx, selfApprover, "team/classifier", 1, registry.Approved, ""); !errors.Is(err, registry.ErrIllegalTransition) {
		t.Fatalf("approving a deployed version: %v", err)
	}

	// A malicious model is blocked with its findings.
	bad, chk, err := w.push(t, "team/classifier", copyModel(t, "../examples/malicious-model", nil), true)
	if err != nil {
		t.Fatal(err)
	}
	if bad.State != registry.Registered || bad.Verdict != "malicious" || !strings.Contains(strings.Join(chk.Blocked, " "), "MW101") {
		t.Fatalf("malicious push: %+v %v", bad, chk.Blocked)
	}
	if _, err := w.svc.Transition(ctx, w.publisher, "team/classifier", bad.Number, registry.Verified, ""); !errors.Is(err, registry.ErrBlocked) {
		t.Fatalf("verifying the malicious version: %v", err)
	}
	// Nothing rides along unsigned: a file under .github is refused, and a
	// signature over an empty folder vouches for nothing.
	evil := copyModel(t, "../examples/clean-model", nil)
	if err := os.MkdirAll(filepath.Join(evil, ".github"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(evil, ".github", "evil.pkl"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.push(t, "team/classifier", evil, true); !errors.Is(err, registry.ErrInvalidUpload) {
		t.Fatalf("push with .github/evil.pkl: %v", err)
	}
	empty := t.TempDir()
	emptySig, err := sign.SignWithKey(ctx, empty, w.priv, sign.KeyOptions{Signature: filepath.Join(t.TempDir(), "e.sig")})
	if err != nil {
		t.Fatal(err)
	}
	ev, chk, err := w.svc.Push(ctx, w.publisher, "team/empty", registry.Files([]registry.PushFile{{Path: "model.pkl", Body: strings.NewReader("payload")}}, bytes.NewReader(emptySig)))
	if err != nil || ev.State != registry.Registered || !strings.Contains(strings.Join(chk.Blocked, " "), "lists no file") {
		t.Fatalf("empty signature: %v %+v %v", err, ev, chk.Blocked)
	}

	// An unsigned model is blocked too.
	if uv, chk, err := w.push(t, "team/other", copyModel(t, "../examples/clean-model", nil), false); err != nil || uv.State != registry.Registered || !strings.Contains(strings.Join(chk.Blocked, " "), "no signature") {
		t.Fatalf("unsigned push: %v %+v", err, uv)
	}

	// Version 3 (clean, one more file) is deployed; version 1 is deprecated.
	v3, _, err := w.push(t, "team/classifier", copyModel(t, "../examples/clean-model", map[string]string{"notes.txt": "v3"}), true)
	if err != nil || v3.State != registry.Verified {
		t.Fatalf("v3: %v %+v", err, v3)
	}
	w.promote(t, "team/classifier", v3.Number)
	if v, _ := w.store.Version(ctx, "team/classifier", 1); v.State != registry.Deprecated {
		t.Fatalf("v1 after v3 deployed: %s", v.State)
	}

	// Tampering with a deployed blob is detected on fetch and quarantines it.
	var notes string
	for _, f := range v3.Files {
		if f.Path == "notes.txt" {
			notes = f.Digest
		}
	}
	p := w.blobs.Path(notes)
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("v4"), 0o644); err != nil {
		t.Fatal(err)
	}
	events, stop := w.svc.Events().Subscribe(16)
	defer stop()
	if _, err := w.svc.Fetch(ctx, w.viewer, "team/classifier"); !errors.Is(err, registry.ErrTampered) {
		t.Fatalf("fetch of a tampered version: %v", err)
	}
	if v, _ := w.store.Version(ctx, "team/classifier", v3.Number); v.State != registry.Quarantined {
		t.Fatalf("tampered version is %s", v.State)
	}
	if e := <-events; e.To != registry.Quarantined || e.Version != v3.Number {
		t.Fatalf("event %+v", e)
	}

	// Rollback re-verifies version 1 and deploys it.
	rb, err := w.svc.Rollback(ctx, w.approver, "team/classifier", "")
	if err != nil || rb.Number != 1 || rb.State != registry.Deployed {
		t.Fatalf("rollback: %v %+v", err, rb)
	}
	if _, err := w.svc.Rollback(ctx, w.approver, "team/classifier", ""); !errors.Is(err, registry.ErrBlocked) {
		t.Fatalf("second rollback with nothing older: %v", err)
	}

	// Retirement: never deployable again; tokens bound to the version are
	// revoked; the archive opens until its key is shredded.
	bound, _, err := w.svc.CreateToken(ctx, w.admin, "serving v1", registry.RoleViewer, []string{"team/classifier"}, 0, "team/classifier@1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Authenticate(ctx, bound); err != nil {
		t.Fatal(err)
	}
	ret, err := w.svc.Retire(ctx, w.admin, "team/classifier", 1, registry.RetireOptions{Reason: "end of life"})
	if err != nil || ret.State != registry.Retired || ret.ArchiveKey == "" {
		t.Fatalf("retire: %v %+v", err, ret)
	}
	key := ret.ArchiveKey
	if _, err := w.svc.Authenticate(ctx, bound); !errors.Is(err, registry.ErrUnauthenticated) {
		t.Fatalf("token bound to the retired version: %v", err)
	}
	n := 0
	if err := w.blobs.OpenArchive(ctx, key, func(string, io.Reader) error { n++; return nil }); err != nil || n != len(ret.Files) {
		t.Fatalf("archive before shredding: %v (%d files)", err, n)
	}
	if _, err := w.svc.Transition(ctx, w.admin, "team/classifier", 1, registry.Deployed, ""); !errors.Is(err, registry.ErrIllegalTransition) {
		t.Fatalf("deploying a retired version: %v", err)
	}
	// The archive is now the only copy of content no live version shares.
	live := map[string]bool{}
	for _, n := range []int64{bad.Number, v3.Number} {
		v, _ := w.store.Version(ctx, "team/classifier", n)
		for _, f := range v.Files {
			live[f.Digest] = true
		}
	}
	for _, f := range ret.Files {
		if w.blobs.Has(f.Digest) != live[f.Digest] {
			t.Errorf("%s: blob kept %v, shared with a live version %v", f.Path, w.blobs.Has(f.Digest), live[f.Digest])
		}
	}
	if v, err := w.svc.Shred(ctx, w.admin, "team/classifier", 1); err != nil || v.ArchiveKey != "" {
		t.Fatalf("shred: %v", err)
	}
	if err := w.blobs.OpenArchive(ctx, key, func(string, io.Reader) error { return nil }); !errors.Is(err, blob.ErrKeyDestroyed) {
		t.Fatalf("archive after shredding: %v", err)
	}

	// Retiring version 3 with its signer revoked: a new push signed by the
	// same key is blocked, naming the revocation.
	if _, err := w.svc.Retire(ctx, w.admin, "team/classifier", v3.Number, registry.RetireOptions{Reason: "key compromised", RevokeSigner: true}); err != nil {
		t.Fatal(err)
	}
	v5, chk, err := w.push(t, "team/classifier", copyModel(t, "../examples/clean-model", nil), true)
	if err != nil || v5.State != registry.Registered || !strings.Contains(strings.Join(chk.Blocked, " "), "revoked when team/classifier@3 was retired") {
		t.Fatalf("push after the signer was revoked: %v %+v %v", err, v5, chk.Blocked)
	}

	// The audit log holds every step and verifies.
	entries, err := w.store.Audit(ctx, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := registry.VerifyChain(0, nil, entries); err != nil {
		t.Fatal(err)
	}
	actions := map[string]int{}
	for _, e := range entries {
		actions[e.Action]++
	}
	if actions["version.push"] != 6 || actions["signer.revoke"] != 1 || actions["version.shred"] != 1 || actions["version.transition"] < 12 {
		t.Fatalf("audit actions %v", actions)
	}
}

// Retiring a version whose content no live version shares leaves the
// encrypted archive as the only copy: after shredding nothing is readable.
func TestRetireRemovesUnsharedFiles(t *testing.T) {
	ctx := context.Background()
	w := setup(t)
	m := copyModel(t, "../examples/clean-model", map[string]string{"secret.txt": "TOP-SECRET"})
	v, _, err := w.push(t, "team/secret", m, true)
	if err != nil {
		t.Fatal(err)
	}
	var secret string
	for _, f := range v.Files {
		if f.Path == "secret.txt" {
			secret = f.Digest
		}
	}
	if !w.blobs.Has(secret) {
		t.Fatal("pushed file not stored")
	}
	if _, err := w.svc.Retire(ctx, w.admin, "team/secret", v.Number, registry.RetireOptions{Reason: "eol", Shred: true}); err != nil {
		t.Fatal(err)
	}
	if w.blobs.Has(secret) {
		t.Fatal("the retired version's unshared file is still in the blob store after shredding")
	}
}
