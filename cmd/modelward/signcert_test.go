package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeSelfSignedCA writes a fresh self-signed CA certificate (PEM).
func writeSelfSignedCA(t *testing.T) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "other-root"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		BasicConstraintsValid: true, IsCA: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "other-ca.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Uses the corpus certificates (valid 2025-05-02 .. 2035-04-30).
func TestSignVerifyCertificateCLI(t *testing.T) {
	const ref = "../../testdata/model-signing"
	if _, err := os.Stat(ref); err != nil {
		t.Skip("shared corpus not present")
	}
	keys := filepath.Join(ref, "keys")
	ca := filepath.Join(keys, "ca-cert.pem")

	// The reference bundles.
	for _, name := range []string{"v1.0.1-certificate", "v1.1.0-certificate"} {
		dir := filepath.Join(t.TempDir(), name)
		if err := os.CopyFS(dir, os.DirFS(filepath.Join(ref, "bundles", name))); err != nil {
			t.Fatal(err)
		}
		if code, _, stderr := runBoth("verify", "certificate", dir, "--certificate_chain", ca, "--ignore-paths", "ignore-me"); code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, stderr)
		}
	}

	// Sign with the corpus key, leaf and intermediate; verify with the root.
	model := writeModel(t)
	code, _, stderr := runBoth("sign", "certificate", model,
		"--private-key", filepath.Join(keys, "signing-key.pem"),
		"--signing-certificate", filepath.Join(keys, "signing-key-cert.pem"),
		"--certificate-chain", filepath.Join(keys, "int-ca-cert.pem"))
	if code != 0 {
		t.Fatalf("sign certificate: exit %d: %s", code, stderr)
	}
	if code, out, stderr := runBoth("verify", "certificate", model, "--certificate-chain", ca); code != 0 || !strings.Contains(out, "verified") {
		t.Fatalf("verify certificate: exit %d: %s%s", code, out, stderr)
	}
	// Another root: exit 4.
	if code, _, stderr := runBoth("verify", "certificate", model, "--certificate-chain", writeSelfSignedCA(t)); code != exitUntrusted || !strings.Contains(stderr, "not trusted") {
		t.Fatalf("other root: exit %d: %s", code, stderr)
	}
	// A changed file: exit 1.
	if err := os.WriteFile(filepath.Join(model, "weights.bin"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runBoth("verify", "certificate", model, "--certificate-chain", ca); code != exitFindings || !strings.Contains(stderr, "weights.bin") {
		t.Fatalf("changed: exit %d: %s", code, stderr)
	}
	// A key that does not match the certificate: exit 2.
	priv, _ := writeKeys(t)
	if code, _, _ := runBoth("sign", "certificate", model, "--private-key", priv, "--signing-certificate", filepath.Join(keys, "signing-key-cert.pem")); code != 2 {
		t.Fatalf("mismatched key: exit %d", code)
	}
	// Missing roots flag: usage error.
	if code, _, _ := runBoth("verify", "certificate", model); code != 2 {
		t.Fatalf("no roots: exit %d", code)
	}
}
