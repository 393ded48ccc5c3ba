package sign

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelward/modelward/sign/bundle"
	"github.com/modelward/modelward/sign/manifest"
	"github.com/modelward/modelward/sign/sigstore"
)

const vectors = "../testdata/model-signing"

func readVector(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectors, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// referencePolicy trusts every signer of the reference vectors.
func referencePolicy(t *testing.T) Policy {
	root, err := sigstore.LoadTrustedRoot(readVector(t, "keys/sigstore-trusted-root-public-good.json"))
	if err != nil {
		t.Fatal(err)
	}
	return Policy{
		Keys:         [][]byte{readVector(t, "keys/signing-key-pub.pem")},
		Roots:        [][]byte{readVector(t, "keys/ca-cert.pem")},
		SigstoreRoot: root,
		SigstoreIdentities: []sigstore.Identity{{
			Subject: "stefanb@us.ibm.com", Issuer: "https://sigstore.verify.ibm.com/oauth2",
		}},
		IgnorePaths: []string{"ignore-me"},
	}
}

// copyBundle copies one reference model and its model.sig to a temp dir.
func copyBundle(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(vectors, "bundles", name))); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Every reference bundle verifies under one policy, and each tampering is
// reported with its own failure and the file named.
func TestVerifyModelReferenceBundles(t *testing.T) {
	names, _ := filepath.Glob(filepath.Join(vectors, "bundles", "*"))
	if len(names) != 6 {
		t.Fatalf("%d reference bundles", len(names))
	}
	method := map[string]string{"elliptic-key": "key", "certificate": "certificate", "sigstore": "sigstore"}
	for _, n := range names {
		name := filepath.Base(n)
		t.Run(name, func(t *testing.T) {
			p := referencePolicy(t)
			ctx := context.Background()
			dir := copyBundle(t, name)
			v, err := VerifyModel(ctx, dir, "", p)
			if err != nil || !v.Verified {
				t.Fatalf("verify: %v (%+v)", err, v)
			}
			if want := method[name[strings.IndexByte(name, '-')+1:]]; v.Method != want || v.Signer == "" || v.Files != 2 || v.HashType != "sha256" {
				t.Errorf("result %+v, want method %s", v, want)
			}
			tamper := []struct {
				what    string
				do      func(dir string) error
				failure Failure
				list    func(*Verification) []string
				named   string
			}{
				{"one byte changed", func(d string) error { return flipByte(filepath.Join(d, "signme-1")) }, FailMismatch, func(v *Verification) []string { return v.Changed }, "signme-1"},
				{"file added", func(d string) error { return os.WriteFile(filepath.Join(d, "added"), []byte("x"), 0o644) }, FailMismatch, func(v *Verification) []string { return v.Extra }, "added"},
				{"file removed", func(d string) error { return os.Remove(filepath.Join(d, "signme-2")) }, FailMismatch, func(v *Verification) []string { return v.Missing }, "signme-2"},
			}
			for _, tc := range tamper {
				d := copyBundle(t, name)
				if err := tc.do(d); err != nil {
					t.Fatal(err)
				}
				v, err := VerifyModel(ctx, d, "", p)
				if err == nil || v.Failure != tc.failure || !slices.Contains(tc.list(v), tc.named) || !strings.Contains(err.Error(), tc.named) {
					t.Errorf("%s: %v (%+v)", tc.what, err, v)
				}
			}
			// A changed signature byte inside the bundle's base64 payload.
			d := copyBundle(t, name)
			sig := filepath.Join(d, "model.sig")
			b := readVector(t, filepath.Join("bundles", name, "model.sig"))
			i := strings.Index(string(b), `"payload":"`) + len(`"payload":"`) + 40
			if i < 60 {
				i = strings.Index(string(b), `"payload": "`) + len(`"payload": "`) + 40
			}
			b[i] = map[bool]byte{true: 'A', false: 'B'}[b[i] != 'A']
			if err := os.WriteFile(sig, b, 0o644); err != nil {
				t.Fatal(err)
			}
			v, err = VerifyModel(ctx, d, "", p)
			if err == nil || v.Verified || v.Failure == FailMismatch || v.Failure == FailIO {
				t.Errorf("bundle changed: %v (%+v)", err, v)
			}
		})
	}
}

func flipByte(p string) error {
	b, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	b[0] ^= 1
	return os.WriteFile(p, b, 0o644)
}

// A policy without the signer of a bundle's kind, or with other signers,
// refuses with the matching failure.
func TestVerifyModelPolicyRefusals(t *testing.T) {
	ctx := context.Background()
	other, err := bundle.GenerateKeys(bundle.AlgECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		bundle string
		edit   func(*Policy)
		want   Failure
	}{
		{"v1.1.0-elliptic-key", func(p *Policy) { p.Keys = nil }, FailWrongKey},
		{"v1.1.0-elliptic-key", func(p *Policy) { p.Keys = [][]byte{other[0].Public().PEM()} }, FailWrongKey},
		{"v1.1.0-certificate", func(p *Policy) { p.Roots = nil }, FailUntrusted},
		{"v1.1.0-certificate", func(p *Policy) { p.CertSubjects = []string{"someone-else@example.com"} }, FailIdentity},
		{"v1.1.0-sigstore", func(p *Policy) { p.SigstoreIdentities[0].Subject = "mallory@example.com" }, FailIdentity},
		{"v1.1.0-sigstore", func(p *Policy) { p.SigstoreIdentities = nil }, FailIdentity},
	}
	for _, c := range cases {
		p := referencePolicy(t)
		c.edit(&p)
		v, err := VerifyModel(ctx, copyBundle(t, c.bundle), "", p)
		if err == nil || v.Failure != c.want {
			t.Errorf("%s: %v (%+v), want %s", c.bundle, err, v, c.want)
		}
	}
	v, err := VerifyModel(ctx, t.TempDir(), "", referencePolicy(t))
	if err == nil || v.Failure != FailMissing {
		t.Errorf("no signature: %v (%+v)", err, v)
	}
}

// modelward's own post-quantum and hybrid signatures verify through the
// same policy, and a hybrid key set is only satisfied by both signatures.
func TestVerifyModelPostQuantum(t *testing.T) {
	ctx := context.Background()
	for _, alg := range []string{bundle.AlgMLDSA65, bundle.AlgHybrid} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "weights.bin"), []byte("weights"), 0o644); err != nil {
			t.Fatal(err)
		}
		keys, err := bundle.GenerateKeys(alg)
		if err != nil {
			t.Fatal(err)
		}
		var priv, pub []byte
		for _, k := range keys {
			p, _ := k.PrivatePEM()
			priv, pub = append(priv, p...), append(pub, k.Public().PEM()...)
		}
		bj, err := SignWithKey(ctx, dir, priv, KeyOptions{Signature: DefaultSignature(dir)})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(DefaultSignature(dir), bj, 0o644); err != nil {
			t.Fatal(err)
		}
		v, err := VerifyModel(ctx, dir, "", Policy{Keys: [][]byte{pub}})
		if err != nil || len(v.Algorithms) != len(keys) {
			t.Fatalf("%s: %v %+v", alg, err, v)
		}
	}
}

// A policy whose trusted key or root does not parse is the caller's
// problem, never reported as a bad signature.
func TestVerifyModelUnusablePolicy(t *testing.T) {
	for _, p := range []Policy{{Keys: [][]byte{[]byte("not a key")}}, {Roots: [][]byte{[]byte("not a root")}}} {
		name := "v1.1.0-elliptic-key"
		if p.Roots != nil {
			name = "v1.1.0-certificate"
		}
		v, err := VerifyModel(context.Background(), copyBundle(t, name), "", p)
		if !errors.Is(err, ErrPolicy) || v.Failure != FailPolicy {
			t.Errorf("%s: %v (%+v)", name, err, v)
		}
	}
}

// A FIFO (or anything but a regular file) as the signature fails at once
// instead of blocking the verifier.
func TestVerifyModelSignatureNotRegular(t *testing.T) {
	dir := copyBundle(t, "v1.1.0-elliptic-key")
	sig := filepath.Join(dir, "model.sig")
	if err := os.Remove(sig); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(sig, 0o644); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	done := make(chan *Verification, 1)
	go func() {
		v, _ := VerifyModel(context.Background(), dir, "", referencePolicy(t))
		done <- v
	}()
	select {
	case v := <-done:
		if v.Verified || v.Failure != FailMalformed {
			t.Fatalf("%+v", v)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("VerifyModel blocked on a FIFO")
	}
}

// A huge unsigned file is reported without being hashed: a sparse 1 TiB
// file must not keep the verifier busy (files and shards).
func TestVerifyModelDoesNotHashUnsignedFiles(t *testing.T) {
	ctx := context.Background()
	keys, _ := bundle.GenerateKeys(bundle.AlgECDSAP256)
	priv, _ := keys[0].PrivatePEM()
	pub := keys[0].Public().PEM()
	for _, shard := range []int64{0, 1 << 20} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "w.bin"), []byte("weights"), 0o644); err != nil {
			t.Fatal(err)
		}
		bj, err := SignWithKey(ctx, dir, priv, KeyOptions{Signature: DefaultSignature(dir), ShardSize: shard})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(DefaultSignature(dir), bj, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"extra.bin", "w.bin"} { // unsigned, then a signed file grown
			f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Truncate(1 << 40); err != nil {
				f.Close()
				t.Skipf("no sparse files here: %v", err)
			}
			f.Close()
			if name == "w.bin" && shard == 0 {
				continue // files mode records no sizes: a grown signed file must be hashed
			}
			cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			v, err := VerifyModel(cctx, dir, "", Policy{Keys: [][]byte{pub}})
			cancel()
			if err == nil || v.Failure != FailMismatch {
				t.Fatalf("shard %d, %s: %v (%+v)", shard, name, err, v)
			}
			list := v.Extra
			if name == "w.bin" {
				list = v.Changed
			}
			if !slices.Contains(list, name) {
				t.Fatalf("shard %d, %s not named: %+v", shard, name, v)
			}
		}
	}
}

// A certificate's common name counts only when it has no subject
// alternative names: CAs validate the SANs, not a display name.
func TestCertNamesPreferSANs(t *testing.T) {
	withSAN := &x509.Certificate{Subject: pkix.Name{CommonName: "release@example.com"}, EmailAddresses: []string{"mallory@example.org"}}
	if certNames(withSAN, "release@example.com") || !certNames(withSAN, "mallory@example.org") {
		t.Error("common name used although SANs exist")
	}
	cnOnly := &x509.Certificate{Subject: pkix.Name{CommonName: "release signer"}}
	if !certNames(cnOnly, "release signer") {
		t.Error("common name of a certificate without SANs not used")
	}
}

// With the caller's own digests, VerifyStored reaches the same verdicts
// as hashing (files/sha256 signatures), and believes the digests it is
// given: a registry passes only digests it has just confirmed.
func TestVerifyStoredUsesKnownDigests(t *testing.T) {
	ctx := context.Background()
	dir := copyBundle(t, "v1.1.0-elliptic-key")
	p := referencePolicy(t)
	known := func(change string) []manifest.FileDigest {
		var out []manifest.FileDigest
		for _, n := range []string{"signme-1", "signme-2", "ignore-me"} {
			b, err := os.ReadFile(filepath.Join(dir, n))
			if err != nil {
				t.Fatal(err)
			}
			if n == change {
				b = append(b, 'x')
			}
			s := sha256.Sum256(b)
			out = append(out, manifest.FileDigest{Path: n, SHA256: s[:]})
		}
		return out
	}
	if v, err := VerifyStored(ctx, dir, "", p, known("")); err != nil || !v.Verified {
		t.Fatalf("true digests: %v", err)
	}
	v, err := VerifyStored(ctx, dir, "", p, known("signme-2"))
	if err == nil || v.Failure != FailMismatch || !slices.Contains(v.Changed, "signme-2") {
		t.Fatalf("changed digest: %v %+v", err, v)
	}
}
