package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The reference's keyless bundles verify offline with the flags the
// vectors' README gives, and fail with exit 6 for another identity and
// exit 1, naming the file, after a change.
func TestVerifySigstoreReferenceBundles(t *testing.T) {
	const ref = "../../testdata/model-signing"
	trust := filepath.Join(ref, "keys", "sigstore-trusted-root-public-good.json")
	for _, name := range []string{"v1.0.1-sigstore", "v1.1.0-sigstore"} {
		dir := filepath.Join(t.TempDir(), name)
		if err := os.CopyFS(dir, os.DirFS(filepath.Join(ref, "bundles", name))); err != nil {
			t.Fatal(err)
		}
		args := []string{"verify", "sigstore", dir, "--signature", filepath.Join(dir, "model.sig"), "--ignore_paths", "ignore-me",
			"--identity", "stefanb@us.ibm.com", "--identity_provider", "https://sigstore.verify.ibm.com/oauth2", "--trust_config", trust}
		if code, out, stderr := runBoth(args...); code != 0 || !strings.Contains(out, "stefanb@us.ibm.com") {
			t.Fatalf("%s: exit %d: %s%s", name, code, out, stderr)
		}
		// The built-in root is the same public-good root.
		if code, _, stderr := runBoth(args[:len(args)-2]...); code != 0 {
			t.Fatalf("%s with the built-in root: exit %d: %s", name, code, stderr)
		}
		other := append([]string{}, args...)
		other[8] = "mallory@example.com"
		if code, _, stderr := runBoth(other...); code != exitIdentity || !strings.Contains(stderr, "mallory@example.com") {
			t.Fatalf("%s other identity: exit %d: %s", name, code, stderr)
		}
		if err := os.WriteFile(filepath.Join(dir, "signme-1"), []byte("changed"), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, _, stderr := runBoth(args...); code != exitFindings || !strings.Contains(stderr, "changed: signme-1") {
			t.Fatalf("%s changed: exit %d: %s", name, code, stderr)
		}
	}
}

// keygen, sign and verify in every modelward key mode, with every hash,
// and the JSON result of a verification.
func TestKeygenSignVerifyEveryAlgorithm(t *testing.T) {
	for _, alg := range []string{"ecdsa-p384", "ml-dsa-65", "hybrid-p256-ml-dsa-65"} {
		for _, hash := range []string{"sha256", "blake2b", "blake3"} {
			dir := t.TempDir()
			model := filepath.Join(dir, "model")
			if err := os.MkdirAll(model, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(model, "weights.bin"), []byte("weights"), 0o644); err != nil {
				t.Fatal(err)
			}
			prefix := filepath.Join(dir, "k")
			if code, _, stderr := runBoth("keygen", "--algorithm", alg, "--output-prefix", prefix); code != 0 {
				t.Fatalf("keygen %s: exit %d: %s", alg, code, stderr)
			}
			if st, err := os.Stat(prefix + ".key"); err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("private key file: %v %v", st, err)
			}
			if code, _, _ := runBoth("keygen", "--algorithm", alg, "--output-prefix", prefix); code != exitError {
				t.Fatalf("keygen over existing files: exit %d", code)
			}
			if code, _, stderr := runBoth("sign", "key", model, "--private-key", prefix+".key", "--hash-algorithm", hash); code != 0 {
				t.Fatalf("sign %s %s: exit %d: %s", alg, hash, code, stderr)
			}
			code, out, stderr := runBoth("verify", "key", model, "--public-key", prefix+".pub", "--format", "json")
			if code != 0 {
				t.Fatalf("verify %s %s: exit %d: %s", alg, hash, code, stderr)
			}
			var v struct {
				Verified   bool     `json:"verified"`
				HashType   string   `json:"hash_type"`
				Algorithms []string `json:"algorithms"`
			}
			if err := json.Unmarshal([]byte(out), &v); err != nil || !v.Verified || v.HashType != hash || len(v.Algorithms) == 0 {
				t.Fatalf("%s %s: %s (%v)", alg, hash, out, err)
			}
		}
	}
}

func TestSignSigstoreSaysWhy(t *testing.T) {
	code, _, stderr := runBoth("sign", "sigstore", t.TempDir())
	if code != exitError || !strings.Contains(stderr, "public Sigstore services") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}
