package bundle

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelward/modelward/sign/manifest"
)

// refRoots loads keys/ca-cert.pem of the shared corpus.
func refRoots(t *testing.T) *x509.CertPool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sharedOrSkip(t), "keys", "ca-cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatal("no certificate in ca-cert.pem")
	}
	return pool
}

// The corpus certificates are valid from 2025-05-02 to 2035-04-30, so the
// reference bundles are verified at the current time.
func TestReferenceCertificateBundles(t *testing.T) {
	roots := refRoots(t)
	for _, name := range []string{"v1.0.1-certificate", "v1.1.0-certificate"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(sharedDir, "bundles", name)
			bj, err := os.ReadFile(filepath.Join(dir, "model.sig"))
			if err != nil {
				t.Fatal(err)
			}
			st, leaf, err := VerifyCertificate(bj, roots, time.Time{})
			if err != nil {
				t.Fatalf("VerifyCertificate: %v", err)
			}
			if leaf == nil || leaf.NotAfter.Before(time.Now()) {
				t.Fatalf("leaf = %v", leaf)
			}
			want, err := manifest.ParseStatement(st)
			if err != nil {
				t.Fatal(err)
			}
			got, err := manifest.Build(context.Background(), dir, manifest.Options{Method: want.Method, ShardSize: want.ShardSize, IgnorePaths: []string{"model.sig", "ignore-me"}})
			if err != nil {
				t.Fatal(err)
			}
			if m, e, c := want.Equal(got); len(m)+len(e)+len(c) != 0 {
				t.Fatalf("differences: missing %v extra %v changed %v", m, e, c)
			}
			// Expiry is checked, not skipped: after the leaf's notAfter it fails.
			if _, _, err := VerifyCertificate(bj, roots, leaf.NotAfter.Add(time.Hour)); !errors.Is(err, ErrExpired) {
				t.Fatalf("after notAfter: err = %v, want ErrExpired", err)
			}
			// The wrong root.
			ca := newCA(t, "other-root", nil, nil, true, nil)
			pool := x509.NewCertPool()
			pool.AddCert(ca.cert)
			if _, _, err := VerifyCertificate(bj, pool, time.Time{}); !errors.Is(err, ErrUntrusted) {
				t.Fatalf("other root: err = %v, want ErrUntrusted", err)
			}
			// A key bundle is not a certificate bundle.
			kb, err := os.ReadFile(filepath.Join(sharedDir, "bundles", "v1.1.0-elliptic-key", "model.sig"))
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := VerifyCertificate(kb, roots, time.Time{}); !errors.Is(err, ErrUnsupported) {
				t.Fatalf("key bundle: err = %v, want ErrUnsupported", err)
			}
		})
	}
}

type testCert struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

var serial int64

// newCA makes a certificate for cn signed by parent (self-signed when nil).
func newCA(t *testing.T, cn string, parent *testCert, eku []x509.ExtKeyUsage, isCA bool, validity *[2]time.Time) *testCert {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	nb, na := time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
	if validity != nil {
		nb, na = validity[0], validity[1]
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             nb,
		NotAfter:              na,
		ExtKeyUsage:           eku,
		BasicConstraintsValid: true,
		IsCA:                  isCA,
		KeyUsage:              x509.KeyUsageDigitalSignature,
	}
	if isCA {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	signer, signKey := tmpl, k
	if parent != nil {
		signer, signKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &k.PublicKey, signKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCert{c, k, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

type pki struct{ root, inter *testCert }

func newPKI(t *testing.T) pki {
	root := newCA(t, "root", nil, nil, true, nil)
	return pki{root, newCA(t, "intermediate", root, nil, true, nil)}
}

func (p pki) roots() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.root.cert)
	return pool
}

func TestCertificateRoundTrip(t *testing.T) {
	p := newPKI(t)
	leaf := newCA(t, "signer", p.inter, []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}, false, nil)
	st := []byte(`{"_type":"https://in-toto.io/Statement/v1"}`)
	bj, err := SignCertificate(st, leaf.key, leaf.pem, [][]byte{p.inter.pem})
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		VerificationMaterial map[string]json.RawMessage `json:"verificationMaterial"`
	}
	if err := json.Unmarshal(bj, &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw.VerificationMaterial) != 2 || raw.VerificationMaterial["x509CertificateChain"] == nil || string(raw.VerificationMaterial["tlogEntries"]) != "[]" {
		t.Fatalf("verificationMaterial = %s", bj)
	}
	got, gl, err := VerifyCertificate(bj, p.roots(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(st) || !gl.Equal(leaf.cert) {
		t.Fatalf("statement %s leaf %v", got, gl.Subject)
	}

	// Wrong root.
	other := newPKI(t)
	if _, _, err := VerifyCertificate(bj, other.roots(), time.Time{}); !errors.Is(err, ErrUntrusted) {
		t.Fatalf("wrong root: %v", err)
	}
	// Without the intermediate the chain is incomplete.
	bj2, err := SignCertificate(st, leaf.key, leaf.pem, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := VerifyCertificate(bj2, p.roots(), time.Time{}); !errors.Is(err, ErrUntrusted) {
		t.Fatalf("no intermediate: %v", err)
	}
	// Verified before the leaf was issued, or after it expired.
	if _, _, err := VerifyCertificate(bj, p.roots(), time.Now().Add(48*time.Hour)); !errors.Is(err, ErrExpired) {
		t.Fatalf("later: %v", err)
	}
	// Tampered payload.
	var b Bundle
	if err := json.Unmarshal(bj, &b); err != nil {
		t.Fatal(err)
	}
	b.DSSEEnvelope.Payload = "e30=" // {}
	tb, _ := json.Marshal(&b)
	if _, _, err := VerifyCertificate(tb, p.roots(), time.Time{}); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("tampered: %v", err)
	}
	// Key and certificate that do not belong together.
	other2 := newCA(t, "x", p.inter, []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}, false, nil)
	if _, err := SignCertificate(st, other2.key, leaf.pem, nil); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("mismatched key: %v", err)
	}
	// Garbage certificate material.
	b.VerificationMaterial.X509CertificateChain = json.RawMessage(`{"certificates":[{"rawBytes":"AAAA"}]}`)
	tb, _ = json.Marshal(&b)
	if _, _, err := VerifyCertificate(tb, p.roots(), time.Time{}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("garbage: %v", err)
	}
}

func TestCertificateRejections(t *testing.T) {
	p := newPKI(t)
	st := []byte(`{}`)
	cases := map[string]struct {
		leaf *testCert
		want error
	}{
		"no EKU":        {newCA(t, "a", p.inter, nil, false, nil), ErrUntrusted},
		"server auth":   {newCA(t, "b", p.inter, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, false, nil), ErrUntrusted},
		"expired":       {newCA(t, "c", p.inter, []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}, false, &[2]time.Time{time.Now().Add(-48 * time.Hour), time.Now().Add(-24 * time.Hour)}), ErrExpired},
		"not yet valid": {newCA(t, "d", p.inter, []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}, false, &[2]time.Time{time.Now().Add(24 * time.Hour), time.Now().Add(48 * time.Hour)}), ErrExpired},
		"self-signed":   {newCA(t, "e", nil, []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}, false, nil), ErrUntrusted},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			bj, err := SignCertificate(st, c.leaf.key, c.leaf.pem, [][]byte{p.inter.pem})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := VerifyCertificate(bj, p.roots(), time.Time{}); !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
	// An intermediate restricted to server auth does not allow code signing.
	inter := newCA(t, "tls-intermediate", p.root, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, true, nil)
	leaf := newCA(t, "f", inter, []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}, false, nil)
	bj, err := SignCertificate(st, leaf.key, leaf.pem, [][]byte{inter.pem})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := VerifyCertificate(bj, p.roots(), time.Time{}); !errors.Is(err, ErrUntrusted) {
		t.Fatalf("server-auth intermediate: %v", err)
	}
}

// A leaf whose key usage does not allow signatures is refused, even with
// the code-signing extended key usage (crypto/x509 leaves it to callers).
func TestLeafKeyUsageMustAllowSignatures(t *testing.T) {
	p := newPKI(t)
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(9999), Subject: pkix.Name{CommonName: "encipher-only"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.inter.cert, &k.PublicKey, p.inter.key)
	if err != nil {
		t.Fatal(err)
	}
	leafPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	bj, err := SignCertificate([]byte(testStatement), k, leafPEM, [][]byte{p.inter.pem})
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(p.root.cert)
	if _, _, err := VerifyCertificate(bj, roots, time.Time{}); !errors.Is(err, ErrUntrusted) || !strings.Contains(err.Error(), "digitalSignature") {
		t.Fatalf("err = %v", err)
	}
}
