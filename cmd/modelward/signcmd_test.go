package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runBoth runs the CLI and returns the exit code, stdout and stderr.
func runBoth(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// writeKeys writes a fresh P-384 key pair as PEM files and returns their paths.
func writeKeys(t *testing.T) (priv, pub string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p8, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	priv, pub = filepath.Join(dir, "key.pem"), filepath.Join(dir, "pub.pem")
	if err := os.WriteFile(priv, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pk}), 0o644); err != nil {
		t.Fatal(err)
	}
	return priv, pub
}

func writeModel(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "model")
	for name, body := range map[string]string{"weights.bin": "weights", "d/config.json": "{}", "README.md": "readme"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestSignVerifyKeyCLI(t *testing.T) {
	dir := writeModel(t)
	priv, pub := writeKeys(t)
	if code, _, stderr := runBoth("sign", "key", dir, "--private-key", priv, "--ignore-paths", "README.md"); code != 0 {
		t.Fatalf("sign: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "model.sig")); err != nil {
		t.Fatalf("default signature not written: %v", err)
	}
	if code, out, stderr := runBoth("verify", "key", dir, "--public-key", pub); code != 0 || !strings.Contains(out, "verified") {
		t.Fatalf("verify: exit %d: %s%s", code, out, stderr)
	}

	// Tampering: exit 1, naming the file.
	if err := os.WriteFile(filepath.Join(dir, "d", "config.json"), []byte(`{"x":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runBoth("verify", "key", dir, "--public-key", pub); code != exitFindings || !strings.Contains(stderr, "changed: d/config.json") {
		t.Fatalf("tampered: exit %d: %s", code, stderr)
	}
	if err := os.WriteFile(filepath.Join(dir, "d", "config.json"), []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}

	// An unsigned file: exit 1 unless --ignore-unsigned-files.
	if err := os.WriteFile(filepath.Join(dir, "new.bin"), []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runBoth("verify", "key", dir, "--public-key", pub); code != exitFindings || !strings.Contains(stderr, "not signed: new.bin") {
		t.Fatalf("unsigned file: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runBoth("verify", "key", dir, "--public_key", pub, "--ignore_unsigned_files"); code != 0 {
		t.Fatalf("--ignore_unsigned_files: exit %d: %s", code, stderr)
	}

	// Another key: exit 3.
	_, otherPub := writeKeys(t)
	if code, _, stderr := runBoth("verify", "key", dir, "--public-key", otherPub, "--ignore-unsigned-files"); code != exitWrongKey {
		t.Fatalf("wrong key: exit %d: %s", code, stderr)
	}
	// A malformed bundle: exit 7; no signature: exit 8.
	bad := filepath.Join(t.TempDir(), "bad.sig")
	if err := os.WriteFile(bad, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runBoth("verify", "key", dir, "--public-key", pub, "--signature", bad); code != exitBadBundle || !strings.Contains(stderr, "malformed") {
		t.Errorf("malformed bundle: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runBoth("verify", "key", dir, "--public-key", pub, "--signature", bad+".none"); code != exitNoSignature || !strings.Contains(stderr, "no such file") {
		t.Errorf("no signature: exit %d: %s", code, stderr)
	}
	// Missing key file, missing flag: exit 2.
	for _, args := range [][]string{
		{"verify", "key", dir, "--public-key", filepath.Join(dir, "nope.pem")},
		{"verify", "key", dir},
		{"sign", "key", dir},
		{"digest"},
	} {
		if code, _, _ := runBoth(args...); code != exitError {
			t.Errorf("%v: exit %d, want %d", args, code, exitError)
		}
	}
}

func TestSignKeyUnderscoreAliasesAndSingleFile(t *testing.T) {
	priv, pub := writeKeys(t)
	f := filepath.Join(t.TempDir(), "model.bin")
	if err := os.WriteFile(f, []byte("weights"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runBoth("sign", "key", f, "--private_key", priv); code != 0 {
		t.Fatalf("sign: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(f + ".sig"); err != nil {
		t.Fatalf("single-file default signature: %v", err)
	}
	if code, _, stderr := runBoth("verify", "key", f, "--public_key", pub, "--signature", f+".sig"); code != 0 {
		t.Fatalf("verify: exit %d: %s", code, stderr)
	}
	// Sharded signatures verify with the signed shard size.
	dir := writeModel(t)
	sig := filepath.Join(t.TempDir(), "m.sig")
	if code, _, stderr := runBoth("sign", "key", dir, "--private-key", priv, "--signature", sig, "--shard_size", "4"); code != 0 {
		t.Fatalf("sign shards: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runBoth("verify", "key", dir, "--public-key", pub, "--signature", sig); code != 0 {
		t.Fatalf("verify shards: exit %d: %s", code, stderr)
	}
}

func TestVerifyReferenceKeyBundle(t *testing.T) {
	const ref = "../../testdata/model-signing"
	if _, err := os.Stat(ref); err != nil {
		t.Skip("shared corpus not present")
	}
	dir := filepath.Join(t.TempDir(), "v1.1.0-elliptic-key")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(ref, "bundles", "v1.1.0-elliptic-key"))); err != nil {
		t.Fatal(err)
	}
	pub := filepath.Join(ref, "keys", "signing-key-pub.pem")
	for _, flag := range []string{"--ignore-paths", "--ignore_paths"} {
		code, _, stderr := runBoth("verify", "key", dir, "--public-key", pub, "--signature", filepath.Join(dir, "model.sig"), flag, "ignore-me")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", flag, code, stderr)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "signme-2"), []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runBoth("verify", "key", dir, "--public-key", pub, "--ignore-paths", "ignore-me"); code != exitFindings || !strings.Contains(stderr, "signme-2") {
		t.Fatalf("tampered reference model: exit %d: %s", code, stderr)
	}
}

func TestDigest(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file_model")
	if err := os.WriteFile(f, []byte("This is a simple model"), 0o644); err != nil {
		t.Fatal(err)
	}
	const want = ".  3aab065c7181a173b5dd9e9d32a9f79923440b413be1e1ffcdba26a7365f719b\n"
	if code, out, stderr := runBoth("digest", f); code != 0 || out != want {
		t.Fatalf("digest: exit %d: %q %s", code, out, stderr)
	}
	code, out, stderr := runBoth("digest", "--format", "json", "--shard-size", "8", f)
	if code != 0 {
		t.Fatalf("digest json: exit %d: %s", code, stderr)
	}
	var st struct {
		Predicate struct {
			Resources []struct{ Name string } `json:"resources"`
		} `json:"predicate"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatal(err)
	}
	if n := len(st.Predicate.Resources); n != 3 || st.Predicate.Resources[0].Name != ".:0:8" {
		t.Fatalf("sharded resources: %+v", st.Predicate.Resources)
	}
	if code, _, _ := runBoth("digest", "--format", "xml", f); code != exitError {
		t.Fatalf("bad format: exit %d", code)
	}
}
