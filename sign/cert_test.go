package sign

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/modelward/modelward/sign/bundle"
)

// certPEM makes a P-256 certificate signed by parent (self-signed when nil)
// and returns its PEM, the parsed certificate and the PEM private key.
func certPEM(t *testing.T, cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, ca bool, eku []x509.ExtKeyUsage, notAfter time.Time) ([]byte, *x509.Certificate, *ecdsa.PrivateKey, []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sn, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: sn, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: notAfter,
		BasicConstraintsValid: true, IsCA: ca, ExtKeyUsage: eku,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
	}
	if parent == nil {
		parent, parentKey = tmpl, k
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &k.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	p8, _ := x509.MarshalPKCS8PrivateKey(k)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), c, k,
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8})
}

func TestSignVerifyCertificateRoundTrip(t *testing.T) {
	ctx := context.Background()
	later := time.Now().Add(24 * time.Hour)
	rootPEM, root, rootKey, _ := certPEM(t, "root", nil, nil, true, nil, later)
	interPEM, inter, interKey, _ := certPEM(t, "intermediate", root, rootKey, true, nil, later)
	leafPEM, _, _, keyPEM := certPEM(t, "signer", inter, interKey, false, []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}, later)

	dir := model(t)
	sig := filepath.Join(dir, "model.sig")
	b, err := SignWithCertificate(ctx, dir, keyPEM, leafPEM, [][]byte{interPEM}, KeyOptions{Signature: sig, IgnorePaths: []string{"notes.md"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sig, b, 0o644); err != nil {
		t.Fatal(err)
	}
	opt := CertOptions{KeyOptions: KeyOptions{Signature: sig}}
	if _, err := VerifyWithCertificate(ctx, dir, b, [][]byte{rootPEM}, opt); err != nil {
		t.Fatal(err)
	}
	// Expired at a later verification time.
	late := opt
	late.Time = later.Add(time.Hour)
	if _, err := VerifyWithCertificate(ctx, dir, b, [][]byte{rootPEM}, late); !errors.Is(err, bundle.ErrExpired) {
		t.Fatalf("late: %v", err)
	}
	otherPEM, _, _, _ := certPEM(t, "other", nil, nil, true, nil, later)
	if _, err := VerifyWithCertificate(ctx, dir, b, [][]byte{otherPEM}, opt); !errors.Is(err, bundle.ErrUntrusted) {
		t.Fatalf("other root: %v", err)
	}
	if _, err := VerifyWithCertificate(ctx, dir, b, [][]byte{[]byte("nothing")}, opt); !errors.Is(err, bundle.ErrMalformed) {
		t.Fatalf("no roots: %v", err)
	}
	// A changed file.
	if err := os.WriteFile(filepath.Join(dir, "weights.bin"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := VerifyWithCertificate(ctx, dir, b, [][]byte{rootPEM}, opt)
	if !errors.Is(err, ErrMismatch) || len(res.Changed) != 1 || res.Changed[0] != "weights.bin" {
		t.Fatalf("changed: %v %+v", err, res)
	}
	// A leaf that does not allow code signing.
	tlsPEM, _, _, tlsKey := certPEM(t, "tls", inter, interKey, false, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, later)
	b2, err := SignWithCertificate(ctx, dir, tlsKey, tlsPEM, [][]byte{interPEM}, KeyOptions{Signature: sig})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyWithCertificate(ctx, dir, b2, [][]byte{rootPEM}, opt); !errors.Is(err, bundle.ErrUntrusted) {
		t.Fatalf("server-auth leaf: %v", err)
	}
}

// The corpus certificates are valid 2025-05-02 .. 2035-04-30; verified now.
func TestVerifyReferenceCertificateBundles(t *testing.T) {
	const ref = "../testdata/model-signing"
	if _, err := os.Stat(ref); err != nil {
		t.Skip("shared corpus not present")
	}
	ca, err := os.ReadFile(filepath.Join(ref, "keys", "ca-cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"v1.0.1-certificate", "v1.1.0-certificate"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), name)
			if err := os.CopyFS(dir, os.DirFS(filepath.Join(ref, "bundles", name))); err != nil {
				t.Fatal(err)
			}
			sig := filepath.Join(dir, "model.sig")
			b, err := os.ReadFile(sig)
			if err != nil {
				t.Fatal(err)
			}
			res, err := VerifyWithCertificate(context.Background(), dir, b, [][]byte{ca}, CertOptions{KeyOptions: KeyOptions{Signature: sig, IgnorePaths: []string{"ignore-me"}}})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Missing)+len(res.Extra)+len(res.Changed) != 0 {
				t.Fatalf("result %+v", res)
			}
		})
	}
}
