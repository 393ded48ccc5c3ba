package sign

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelward/modelward/sign/bundle"
)

func keyPair(t *testing.T) (priv, pub []byte) {
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
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pk})
}

func model(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "model")
	for name, body := range map[string]string{
		"weights.bin":   "weights",
		"config.json":   "{}",
		"sub/extra.txt": "extra",
		"notes.md":      "not signed",
		".git/HEAD":     "ref",
	} {
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

func TestSignVerifyRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, shard := range []int64{0, 3} {
		dir := model(t)
		sig := filepath.Join(dir, "model.sig")
		priv, pub := keyPair(t)
		opt := KeyOptions{Signature: sig, IgnorePaths: []string{"notes.md"}, ShardSize: shard}
		b, err := SignWithKey(ctx, dir, priv, opt)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(sig, b, 0o644); err != nil {
			t.Fatal(err)
		}
		// The recorded ignore paths alone make notes.md and model.sig skipped.
		if _, err := VerifyWithKey(ctx, dir, b, pub, KeyOptions{Signature: sig}); err != nil {
			t.Fatalf("shard %d: %v", shard, err)
		}

		if err := os.WriteFile(filepath.Join(dir, "sub", "extra.txt"), []byte("EXTRA"), 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := VerifyWithKey(ctx, dir, b, pub, KeyOptions{Signature: sig})
		if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "sub/extra.txt") || len(res.Changed) == 0 {
			t.Fatalf("shard %d: tampered file: res %+v err %v", shard, res, err)
		}
		// Restored, plus an unsigned file that --ignore-paths skips.
		if err := os.WriteFile(filepath.Join(dir, "sub", "extra.txt"), []byte("extra"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, "scratch"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "scratch", "tmp"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := VerifyWithKey(ctx, dir, b, pub, KeyOptions{Signature: sig, IgnorePaths: []string{"scratch"}}); err != nil {
			t.Fatalf("shard %d: ignoring an unsigned folder: %v", shard, err)
		}
	}
}

func TestVerifyMissingAndExtra(t *testing.T) {
	ctx := context.Background()
	dir := model(t)
	sig := filepath.Join(t.TempDir(), "outside.sig") // outside the model
	priv, pub := keyPair(t)
	b, err := SignWithKey(ctx, dir, priv, KeyOptions{Signature: sig})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "config.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "new.bin"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := VerifyWithKey(ctx, dir, b, pub, KeyOptions{Signature: sig})
	if !errors.Is(err, ErrMismatch) || len(res.Missing) != 1 || res.Missing[0] != "config.json" || len(res.Extra) != 1 || res.Extra[0] != "new.bin" {
		t.Fatalf("res %+v err %v", res, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = VerifyWithKey(ctx, dir, b, pub, KeyOptions{Signature: sig, IgnoreUnsignedFiles: true})
	if err != nil || len(res.Extra) != 1 {
		t.Fatalf("ignore unsigned: res %+v err %v", res, err)
	}
}

func TestVerifyErrorClasses(t *testing.T) {
	ctx := context.Background()
	dir := model(t)
	priv, pub := keyPair(t)
	_, otherPub := keyPair(t)
	b, err := SignWithKey(ctx, dir, priv, KeyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyWithKey(ctx, dir, b, otherPub, KeyOptions{}); !errors.Is(err, bundle.ErrWrongKey) {
		t.Fatalf("other key: %v", err)
	}
	if _, err := VerifyWithKey(ctx, dir, []byte("{"), pub, KeyOptions{}); !errors.Is(err, bundle.ErrMalformed) {
		t.Fatalf("bad bundle: %v", err)
	}
	if _, err := VerifyWithKey(ctx, dir, b, []byte("no key"), KeyOptions{}); !errors.Is(err, bundle.ErrMalformed) {
		t.Fatalf("bad key: %v", err)
	}
	if _, err := SignWithKey(ctx, dir, pub, KeyOptions{}); err == nil {
		t.Fatal("signing with a public key succeeded")
	}
	if _, err := SignWithKey(ctx, dir, priv, KeyOptions{IgnorePaths: []string{"../x"}}); err == nil {
		t.Fatal("ignore path outside the model accepted")
	}
}

func TestVerifyReferenceBundle(t *testing.T) {
	const ref = "../testdata/model-signing"
	if _, err := os.Stat(ref); err != nil {
		t.Skip("shared corpus not present")
	}
	src := filepath.Join(ref, "bundles", "v1.1.0-elliptic-key")
	dir := filepath.Join(t.TempDir(), "v1.1.0-elliptic-key")
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	pub, err := os.ReadFile(filepath.Join(ref, "keys", "signing-key-pub.pem"))
	if err != nil {
		t.Fatal(err)
	}
	sig := filepath.Join(dir, "model.sig")
	b, err := os.ReadFile(sig)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyWithKey(context.Background(), dir, b, pub, KeyOptions{Signature: sig, IgnorePaths: []string{"ignore-me"}}); err != nil {
		t.Fatal(err)
	}
}
