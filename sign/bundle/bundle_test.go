package bundle

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelward/modelward/sign/manifest"
)

const sharedDir = "../../testdata/model-signing"

func sharedOrSkip(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(sharedDir, "bundles")); err != nil {
		t.Skipf("shared corpus absent: %v", err)
	}
	return sharedDir
}

func refPub(t *testing.T) *ecdsa.PublicKey {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sharedOrSkip(t), "keys", "signing-key-pub.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := LoadPublicKeyPEM(b)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestPAEKnownAnswer(t *testing.T) {
	// Example from the DSSE protocol specification.
	got := string(PAE("http://example.com/HelloWorld", []byte("hello world")))
	want := "DSSEv1 29 http://example.com/HelloWorld 11 hello world"
	if got != want {
		t.Fatalf("PAE = %q, want %q", got, want)
	}
	if got := string(PAE("", nil)); got != "DSSEv1 0  0 " {
		t.Fatalf("empty PAE = %q", got)
	}
}

func TestReferenceBundles(t *testing.T) {
	pub := refPub(t)
	for _, name := range []string{"v1.0.1-elliptic-key", "v1.1.0-elliptic-key"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(sharedDir, "bundles", name)
			bj, err := os.ReadFile(filepath.Join(dir, "model.sig"))
			if err != nil {
				t.Fatal(err)
			}
			st, err := VerifyKey(bj, pub)
			if err != nil {
				t.Fatalf("VerifyKey: %v", err)
			}
			want, err := manifest.ParseStatement(st)
			if err != nil {
				t.Fatalf("ParseStatement: %v", err)
			}
			opt := manifest.Options{Method: want.Method, ShardSize: want.ShardSize, IgnorePaths: []string{"model.sig", "ignore-me"}}
			got, err := manifest.Build(context.Background(), dir, opt)
			if err != nil {
				t.Fatal(err)
			}
			if m, e, c := want.Equal(got); len(m)+len(e)+len(c) != 0 {
				t.Fatalf("differences: missing %v extra %v changed %v", m, e, c)
			}

			// Tamper with one byte of signme-1.
			cp := copyDir(t, dir)
			p := filepath.Join(cp, "signme-1")
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if len(data) == 0 {
				data = []byte{0}
			} else {
				data[0] ^= 1
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			got, err = manifest.Build(context.Background(), cp, opt)
			if err != nil {
				t.Fatal(err)
			}
			m, e, c := want.Equal(got)
			if len(m)+len(e) != 0 || len(c) != 1 || c[0] != "signme-1" {
				t.Fatalf("tampered: missing %v extra %v changed %v", m, e, c)
			}

			// A different key.
			other, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
			if _, err := VerifyKey(bj, &other.PublicKey); !errors.Is(err, ErrWrongKey) {
				t.Fatalf("other key: err = %v, want ErrWrongKey", err)
			}
		})
	}
}

func TestReferenceHint(t *testing.T) {
	pub := refPub(t)
	bj, err := os.ReadFile(filepath.Join(sharedDir, "bundles", "v1.1.0-elliptic-key", "model.sig"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse(bj)
	if err != nil {
		t.Fatal(err)
	}
	h, err := KeyHint(pub)
	if err != nil {
		t.Fatal(err)
	}
	if h != b.VerificationMaterial.PublicKey.Hint {
		t.Fatalf("hint %s, bundle has %s", h, b.VerificationMaterial.PublicKey.Hint)
	}
	// Our layout matches the reference's byte for byte except for the
	// (randomized) signature and the payload.
	st, _ := b.PayloadBytes()
	priv := mustKey(t, elliptic.P384())
	out, err := SignKey(st, priv, nil)
	if err != nil {
		t.Fatal(err)
	}
	ob, _ := Parse(out)
	b.VerificationMaterial.PublicKey.Hint = ob.VerificationMaterial.PublicKey.Hint
	b.DSSEEnvelope.Signatures = ob.DSSEEnvelope.Signatures
	re, _ := json.Marshal(b)
	if string(re) != string(out) {
		t.Fatalf("layout differs:\n%s\n%s", re, out)
	}
}

func mustKey(t testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

const testStatement = `{"_type":"https://in-toto.io/Statement/v1","subject":[]}`

func TestRoundTrip(t *testing.T) {
	for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		t.Run(c.Params().Name, func(t *testing.T) {
			k := mustKey(t, c)
			// Keys through PEM, both private encodings.
			p8, _ := x509.MarshalPKCS8PrivateKey(k)
			sec1, _ := x509.MarshalECPrivateKey(k)
			for _, blk := range []*pem.Block{{Type: "PRIVATE KEY", Bytes: p8}, {Type: "EC PRIVATE KEY", Bytes: sec1}} {
				lk, err := LoadPrivateKeyPEM(pem.EncodeToMemory(blk))
				if err != nil || !lk.Equal(k) {
					t.Fatalf("LoadPrivateKeyPEM %s: %v", blk.Type, err)
				}
			}
			pubPEM, err := publicPEM(&k.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			pub, err := LoadPublicKeyPEM(append([]byte("Public Key Info:\n  text\n"), pubPEM...))
			if err != nil {
				t.Fatal(err)
			}
			bj, err := SignKey([]byte(testStatement), k, pubPEM)
			if err != nil {
				t.Fatal(err)
			}
			st, err := VerifyKey(bj, pub)
			if err != nil {
				t.Fatal(err)
			}
			if string(st) != testStatement {
				t.Fatalf("statement %q", st)
			}
			other := mustKey(t, c)
			if _, err := VerifyKey(bj, &other.PublicKey); !errors.Is(err, ErrWrongKey) {
				t.Fatalf("other key: %v", err)
			}
			// Without the hint the signature check itself must catch it.
			b, _ := Parse(bj)
			b.VerificationMaterial.PublicKey = &PublicKey{}
			nohint, _ := json.Marshal(b)
			if _, err := VerifyKey(nohint, &other.PublicKey); !errors.Is(err, ErrWrongKey) {
				t.Fatalf("other key, no hint: %v", err)
			}
			// A modified payload.
			b.DSSEEnvelope.Payload = base64.StdEncoding.EncodeToString([]byte(testStatement + " "))
			mod, _ := json.Marshal(b)
			if _, err := VerifyKey(mod, pub); !errors.Is(err, ErrWrongKey) {
				t.Fatalf("modified payload: %v", err)
			}
			// Mismatched pubPEM.
			otherPEM, _ := publicPEM(&other.PublicKey)
			if _, err := SignKey([]byte(testStatement), k, otherPEM); err == nil {
				t.Fatal("SignKey accepted a foreign public key")
			}
		})
	}
}

func TestBadKeys(t *testing.T) {
	if _, err := LoadPrivateKeyPEM([]byte("nothing")); !errors.Is(err, ErrMalformed) {
		t.Fatal(err)
	}
	if _, err := LoadPublicKeyPEM([]byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")); !errors.Is(err, ErrMalformed) {
		t.Fatal(err)
	}
	k224 := mustKey(t, elliptic.P224())
	der, _ := x509.MarshalPKIXPublicKey(&k224.PublicKey)
	if _, err := LoadPublicKeyPEM(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("P-224: %v", err)
	}
	if _, err := SignKey([]byte("not json"), mustKey(t, elliptic.P256()), nil); err == nil {
		t.Fatal("SignKey accepted non-JSON")
	}
}

func TestHostileBundles(t *testing.T) {
	k := mustKey(t, elliptic.P256())
	good, err := SignKey([]byte(testStatement), k, nil)
	if err != nil {
		t.Fatal(err)
	}
	mut := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	env := func(m map[string]any) map[string]any { return m["dsseEnvelope"].(map[string]any) }
	sigs := func(m map[string]any) []any { return env(m)["signatures"].([]any) }
	manySigs := make([]any, MaxSignatures+1)
	for i := range manySigs {
		manySigs[i] = map[string]any{"sig": "AAAA", "keyid": ""}
	}
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"not json", []byte("{"), ErrMalformed},
		{"array", []byte("[]"), ErrMalformed},
		{"huge", []byte(`{"mediaType":"` + strings.Repeat("a", MaxBundleSize) + `"}`), ErrMalformed},
		{"no mediaType", mut(func(m map[string]any) { delete(m, "mediaType") }), ErrMalformed},
		{"wrong mediaType", mut(func(m map[string]any) { m["mediaType"] = "application/json" }), ErrUnsupported},
		{"old mediaType", mut(func(m map[string]any) { m["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.1" }), ErrUnsupported},
		{"no envelope", mut(func(m map[string]any) { delete(m, "dsseEnvelope") }), ErrUnsupported},
		{"envelope not object", mut(func(m map[string]any) { m["dsseEnvelope"] = 5 }), ErrMalformed},
		{"no payload", mut(func(m map[string]any) { delete(env(m), "payload") }), ErrMalformed},
		{"bad payload base64", mut(func(m map[string]any) { env(m)["payload"] = "!!!not base64" }), ErrMalformed},
		{"no payloadType", mut(func(m map[string]any) { delete(env(m), "payloadType") }), ErrMalformed},
		{"wrong payloadType", mut(func(m map[string]any) { env(m)["payloadType"] = "text/plain" }), ErrUnsupported},
		{"no signatures", mut(func(m map[string]any) { delete(env(m), "signatures") }), ErrMalformed},
		{"too many signatures", mut(func(m map[string]any) { env(m)["signatures"] = manySigs }), ErrMalformed},
		{"empty sig", mut(func(m map[string]any) { sigs(m)[0].(map[string]any)["sig"] = "" }), ErrMalformed},
		{"bad sig base64", mut(func(m map[string]any) { sigs(m)[0].(map[string]any)["sig"] = "@@@" }), ErrMalformed},
		{"garbage sig", mut(func(m map[string]any) { sigs(m)[0].(map[string]any)["sig"] = "AAAA" }), ErrWrongKey},
		{"no publicKey", mut(func(m map[string]any) { m["verificationMaterial"] = map[string]any{} }), ErrMalformed},
		{"certificate", mut(func(m map[string]any) {
			m["verificationMaterial"] = map[string]any{"certificate": map[string]any{"rawBytes": "AAAA"}}
		}), ErrUnsupported},
		{"bad rawBytes", mut(func(m map[string]any) {
			m["verificationMaterial"] = map[string]any{"publicKey": map[string]any{"rawBytes": "AAAA"}}
		}), ErrMalformed},
		{"wrong keyDetails", mut(func(m map[string]any) {
			m["verificationMaterial"] = map[string]any{"publicKey": map[string]any{"keyDetails": "PKIX_ECDSA_P384_SHA_384"}}
		}), ErrWrongKey},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := VerifyKey(c.b, &k.PublicKey)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384()} {
		k, _ := ecdsa.GenerateKey(c, rand.Reader)
		b, err := SignKey([]byte(testStatement), k, nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":{"payload":"e30=","payloadType":"x","signatures":[{"sig":"AA=="}]}}`))
	// The reference's real bundles, and a hybrid one.
	refs, _ := filepath.Glob(filepath.Join(sharedDir, "bundles", "*", "model.sig"))
	for _, r := range refs {
		if b, err := os.ReadFile(r); err == nil {
			f.Add(b)
		}
	}
	hybrid, _ := GenerateKeys(AlgHybrid)
	if b, err := SignKeys([]byte(testStatement), hybrid, nil); err == nil {
		f.Add(b)
	}
	pub, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	others, _ := GenerateKeys(AlgHybrid)
	otherKeys := []*Verifier{others[0].Public(), others[1].Public()}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if _, err := b.PayloadBytes(); err != nil {
			t.Fatalf("parsed bundle has bad payload: %v", err)
		}
		if _, err := VerifyKey(data, &pub.PublicKey); err == nil {
			t.Fatal("random bundle verified")
		}
		if _, err := VerifyKeys(data, otherKeys); err == nil {
			t.Fatal("random bundle verified with a hybrid key")
		}
	})
}

// FuzzLoadKeys: key files are user input; no input may panic, and
// whatever loads must round-trip through its canonical PEM.
func FuzzLoadKeys(f *testing.F) {
	for _, name := range []string{"signing-key.pem", "signing-key-pub.pem", "ca-priv.pem", "ca-cert.pem"} {
		if b, err := os.ReadFile(filepath.Join(sharedDir, "keys", name)); err == nil {
			f.Add(b)
		}
	}
	for _, alg := range Algorithms {
		ks, _ := GenerateKeys(alg)
		var priv, pub []byte
		for _, k := range ks {
			p, _ := k.PrivatePEM()
			priv, pub = append(priv, p...), append(pub, k.Public().PEM()...)
		}
		f.Add(priv)
		f.Add(pub)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if ss, err := LoadSignersPEM(data); err == nil {
			for _, s := range ss {
				p, err := s.PrivatePEM()
				if err != nil {
					t.Fatalf("loaded key does not encode: %v", err)
				}
				back, err := LoadSignersPEM(p)
				if err != nil || !back[0].Public().equal(s.Public()) {
					t.Fatalf("key does not round-trip: %v", err)
				}
			}
		} else if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
			t.Fatalf("unclassified error: %v", err)
		}
		if vs, err := LoadVerifiersPEM(data); err == nil {
			for _, v := range vs {
				back, err := LoadVerifiersPEM(v.PEM())
				if err != nil || !back[0].equal(v) {
					t.Fatalf("public key does not round-trip: %v", err)
				}
			}
		} else if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
			t.Fatalf("unclassified error: %v", err)
		}
	})
}
