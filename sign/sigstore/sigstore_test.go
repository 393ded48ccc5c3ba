package sigstore

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/modelward/modelward/sign/bundle"
)

const (
	refSubject = "stefanb@us.ibm.com"
	refIssuer  = "https://sigstore.verify.ibm.com/oauth2"
	sharedDir  = "../../../shared/corpora/model-signing"
)

var refIdentity = Identity{Subject: refSubject, Issuer: refIssuer}

// vectors are the committed keyless bundles with what their log entries say.
var vectors = []struct {
	file     string
	logIndex int64
	logTime  int64
}{
	{"v1.0.1.sig", 588939812, 1759851228},
	{"v1.1.0.sig", 598151086, 1760062340},
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testRoot(t testing.TB) *TrustedRoot {
	t.Helper()
	tr, err := LoadTrustedRoot(readTestdata(t, "trusted-root.json"))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// edit decodes JSON, lets f change it, and encodes it again.
func edit(t testing.TB, b []byte, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func obj(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		m = m[k].(map[string]any)
	}
	return m
}

// wantErr checks the class and that the message says each of the words.
func wantErr(t *testing.T, err, class error, words ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", class)
	}
	if !errors.Is(err, class) {
		t.Fatalf("error %q does not wrap %q", err, class)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
}

func checkPayload(t *testing.T, payload []byte) {
	t.Helper()
	var st struct {
		Type          string `json:"_type"`
		PredicateType string `json:"predicateType"`
		Subject       []any  `json:"subject"`
	}
	if err := json.Unmarshal(payload, &st); err != nil {
		t.Fatalf("payload is not JSON: %v", err)
	}
	if st.PredicateType != "https://model_signing/signature/v1.0" || st.Type != "https://in-toto.io/Statement/v1" || len(st.Subject) != 1 {
		t.Fatalf("statement: %+v", st)
	}
}

func TestVerifyReference(t *testing.T) {
	tr := testRoot(t)
	for _, v := range vectors {
		t.Run(v.file, func(t *testing.T) {
			bj := readTestdata(t, v.file)
			payload, s, err := Verify(bj, tr, refIdentity)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			checkPayload(t, payload)
			if s.Subject != refSubject || s.Issuer != refIssuer {
				t.Errorf("signer %q issuer %q", s.Subject, s.Issuer)
			}
			if s.LogIndex != v.logIndex {
				t.Errorf("log index %d, want %d", s.LogIndex, v.logIndex)
			}
			if !s.SignedAt.Equal(time.Unix(v.logTime, 0)) {
				t.Errorf("signed at %s, want %s", s.SignedAt, time.Unix(v.logTime, 0))
			}
			if s.Certificate == nil || !slicesContain(s.Certificate.EmailAddresses, refSubject) {
				t.Errorf("certificate %v", s.Certificate)
			}
			if s.SignedAt.Before(s.Certificate.NotBefore) || s.SignedAt.After(s.Certificate.NotAfter) {
				t.Errorf("signed at %s outside the certificate's validity", s.SignedAt)
			}

			// The other spelling of the v0.3 media type.
			alt := edit(t, bj, func(m map[string]any) { m["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.3" })
			p2, _, err := Verify(alt, tr, refIdentity)
			if err != nil || !bytes.Equal(p2, payload) {
				t.Fatalf("alternative media type: %v", err)
			}

			// Regular expressions that match.
			re := Identity{SubjectRegexp: `[a-z]+@us\.ibm\.com`, IssuerRegexp: `https://sigstore\.verify\.ibm\.com/.*`}
			if _, _, err := Verify(bj, tr, re); err != nil {
				t.Fatalf("regexp identity: %v", err)
			}
		})
	}
}

func slicesContain(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestDefaultTrustedRoot(t *testing.T) {
	tr, err := DefaultTrustedRoot()
	if err != nil {
		t.Fatal(err)
	}
	if tr.fulcioCount() == 0 || tr.rekorCount() == 0 {
		t.Fatalf("embedded root: %d Fulcio CAs, %d Rekor logs", tr.fulcioCount(), tr.rekorCount())
	}
	tr2, _ := DefaultTrustedRoot()
	if tr2 != tr {
		t.Error("DefaultTrustedRoot parses the snapshot more than once")
	}
	for _, v := range vectors {
		if _, _, err := Verify(readTestdata(t, v.file), tr, refIdentity); err != nil {
			t.Errorf("%s: %v", v.file, err)
		}
	}
}

// TestSharedCorpus checks the committed copies against the shared corpus,
// verifying the corpus bundles in place.
func TestSharedCorpus(t *testing.T) {
	if _, err := os.Stat(filepath.Join(sharedDir, "bundles")); err != nil {
		t.Skipf("shared corpus absent: %v", err)
	}
	rootJSON, err := os.ReadFile(filepath.Join(sharedDir, "keys", "sigstore-trusted-root-public-good.json"))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := LoadTrustedRoot(rootJSON)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rootJSON, publicGoodJSON) {
		t.Error("embedded trusted root differs from the corpus copy")
	}
	for _, v := range []string{"v1.0.1", "v1.1.0"} {
		bj, err := os.ReadFile(filepath.Join(sharedDir, "bundles", v+"-sigstore", "model.sig"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(bj, readTestdata(t, v+".sig")) {
			t.Errorf("testdata/%s.sig differs from the corpus", v)
		}
		payload, _, err := Verify(bj, tr, refIdentity)
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		checkPayload(t, payload)
	}
}

func TestIdentityMismatch(t *testing.T) {
	tr := testRoot(t)
	bj := readTestdata(t, "v1.1.0.sig")
	for _, c := range []struct {
		name  string
		id    Identity
		words []string
	}{
		{"subject", Identity{Subject: "alice@example.com", Issuer: refIssuer},
			[]string{`signed by "stefanb@us.ibm.com" (issuer "https://sigstore.verify.ibm.com/oauth2")`, `expected "alice@example.com" (issuer "https://sigstore.verify.ibm.com/oauth2")`}},
		{"issuer", Identity{Subject: refSubject, Issuer: "https://accounts.google.com"},
			[]string{`signed by "stefanb@us.ibm.com" (issuer "https://sigstore.verify.ibm.com/oauth2")`, `expected "stefanb@us.ibm.com" (issuer "https://accounts.google.com")`}},
		{"subject regexp", Identity{SubjectRegexp: `.*@example\.com`, Issuer: refIssuer},
			[]string{`signed by "stefanb@us.ibm.com"`, `expected a subject matching ".*@example\\.com"`}},
		{"issuer regexp", Identity{Subject: refSubject, IssuerRegexp: `https://github\.com/.*`},
			[]string{`(issuer "https://sigstore.verify.ibm.com/oauth2")`, `issuer matching "https://github\\.com/.*"`}},
		// Expressions are anchored: a prefix or a suffix does not match.
		{"unanchored prefix", Identity{SubjectRegexp: `stefanb@us`, Issuer: refIssuer}, []string{`a subject matching "stefanb@us"`}},
		{"unanchored suffix", Identity{Subject: refSubject, IssuerRegexp: `ibm\.com/oauth2`}, []string{`issuer matching`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, s, err := Verify(bj, tr, c.id)
			if s != nil {
				t.Error("signer returned with an error")
			}
			wantErr(t, err, bundle.ErrIdentity, c.words...)
		})
	}
}

func TestIdentityInvalid(t *testing.T) {
	tr := testRoot(t)
	bj := readTestdata(t, "v1.0.1.sig")
	for _, c := range []struct {
		name string
		id   Identity
		word string
	}{
		{"empty", Identity{}, "no expected signer"},
		{"no subject", Identity{Issuer: refIssuer}, "no expected signer"},
		{"no issuer", Identity{Subject: refSubject}, "no expected OIDC issuer"},
		{"subject twice", Identity{Subject: refSubject, SubjectRegexp: ".*", Issuer: refIssuer}, "give only one"},
		{"issuer twice", Identity{Subject: refSubject, Issuer: refIssuer, IssuerRegexp: ".*"}, "give only one"},
		{"bad regexp", Identity{SubjectRegexp: "(", Issuer: refIssuer}, "not a valid regular expression"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Verify(bj, tr, c.id)
			wantErr(t, err, bundle.ErrIdentity, c.word)
		})
	}
}

func TestUntrustedRoot(t *testing.T) {
	rootJSON := readTestdata(t, "trusted-root.json")
	bj := readTestdata(t, "v1.1.0.sig")
	for _, c := range []struct {
		name  string
		edit  func(m map[string]any)
		words []string
	}{
		{"no Fulcio CA", func(m map[string]any) { delete(m, "certificateAuthorities") }, []string{"no Fulcio certificate authority"}},
		{"other Fulcio CA", func(m map[string]any) {
			// Keep only the first (2021) Fulcio CA, which did not issue these certificates.
			cas := m["certificateAuthorities"].([]any)
			m["certificateAuthorities"] = cas[:1]
		}, []string{"does not chain to a Fulcio CA", "sigstore-intermediate"}},
		{"no Rekor key", func(m map[string]any) { delete(m, "tlogs") }, []string{"transparency log"}},
		{"no CT log", func(m map[string]any) { delete(m, "ctlogs") }, []string{"signed certificate timestamp"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr, err := LoadTrustedRoot(edit(t, rootJSON, c.edit))
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = Verify(bj, tr, refIdentity)
			wantErr(t, err, bundle.ErrUntrusted, c.words...)
		})
	}
	_, _, err := Verify(bj, nil, refIdentity)
	wantErr(t, err, bundle.ErrUntrusted, "no Sigstore trusted root")
}

func TestTampered(t *testing.T) {
	tr := testRoot(t)
	for _, v := range vectors {
		bj := readTestdata(t, v.file)
		t.Run(v.file, func(t *testing.T) {
			t.Run("signature byte", func(t *testing.T) {
				mod := edit(t, bj, func(m map[string]any) {
					sig := obj(m, "dsseEnvelope")["signatures"].([]any)[0].(map[string]any)
					raw, err := base64.StdEncoding.DecodeString(sig["sig"].(string))
					if err != nil {
						t.Fatal(err)
					}
					raw[len(raw)-5] ^= 0x01 // inside the s integer: still DER
					sig["sig"] = base64.StdEncoding.EncodeToString(raw)
				})
				_, _, err := Verify(mod, tr, refIdentity)
				wantErr(t, err, bundle.ErrWrongKey, "DSSE signature does not verify", "altered")
			})
			t.Run("payload", func(t *testing.T) {
				mod := edit(t, bj, func(m map[string]any) {
					env := obj(m, "dsseEnvelope")
					raw, err := base64.StdEncoding.DecodeString(env["payload"].(string))
					if err != nil {
						t.Fatal(err)
					}
					// Claim another digest for the model.
					var st map[string]any
					if err := json.Unmarshal(raw, &st); err != nil {
						t.Fatal(err)
					}
					subj := st["subject"].([]any)[0].(map[string]any)
					subj["digest"] = map[string]any{"sha256": strings.Repeat("00", 32)}
					raw, _ = json.Marshal(st)
					env["payload"] = base64.StdEncoding.EncodeToString(raw)
				})
				_, _, err := Verify(mod, tr, refIdentity)
				wantErr(t, err, bundle.ErrWrongKey, "DSSE signature does not verify")
			})
			t.Run("no tlog entry", func(t *testing.T) {
				mod := edit(t, bj, func(m map[string]any) { obj(m, "verificationMaterial")["tlogEntries"] = []any{} })
				_, _, err := Verify(mod, tr, refIdentity)
				wantErr(t, err, bundle.ErrUntrusted, "no transparency log entry", "Rekor")
			})
			t.Run("tlog integrated time", func(t *testing.T) {
				mod := edit(t, bj, func(m map[string]any) {
					e := obj(m, "verificationMaterial")["tlogEntries"].([]any)[0].(map[string]any)
					e["integratedTime"] = "1759851229"
				})
				_, _, err := Verify(mod, tr, refIdentity)
				wantErr(t, err, bundle.ErrUntrusted, "transparency log entry does not verify")
			})
			t.Run("tlog inclusion proof", func(t *testing.T) {
				mod := edit(t, bj, func(m map[string]any) {
					e := obj(m, "verificationMaterial")["tlogEntries"].([]any)[0].(map[string]any)
					p := e["inclusionProof"].(map[string]any)
					p["rootHash"] = base64.StdEncoding.EncodeToString(make([]byte, 32))
				})
				_, _, err := Verify(mod, tr, refIdentity)
				wantErr(t, err, bundle.ErrUntrusted, "transparency log entry does not verify")
			})
			t.Run("other certificate", func(t *testing.T) {
				// The other bundle's certificate: same signer, another key.
				other := readTestdata(t, vectors[0].file)
				if v.file == vectors[0].file {
					other = readTestdata(t, vectors[1].file)
				}
				var om map[string]any
				if err := json.Unmarshal(other, &om); err != nil {
					t.Fatal(err)
				}
				mod := edit(t, bj, func(m map[string]any) {
					obj(m, "verificationMaterial")["certificate"] = obj(om, "verificationMaterial")["certificate"]
				})
				_, _, err := Verify(mod, tr, refIdentity)
				wantErr(t, err, bundle.ErrWrongKey)
			})
		})
	}
}

func TestMalformed(t *testing.T) {
	tr := testRoot(t)
	bj := readTestdata(t, "v1.0.1.sig")
	big := append(bytes.Repeat([]byte(" "), bundle.MaxBundleSize), bj...)
	for _, c := range []struct {
		name  string
		in    []byte
		class error
		word  string
	}{
		{"empty", nil, bundle.ErrMalformed, "not valid bundle JSON"},
		{"truncated", bj[:len(bj)/2], bundle.ErrMalformed, "not valid bundle JSON"},
		{"not JSON", []byte("model.sig"), bundle.ErrMalformed, "not valid bundle JSON"},
		{"not a bundle", []byte(`{"name":"resnet","version":3}`), bundle.ErrMalformed, "missing mediaType"},
		{"JSON array", []byte(`[1,2,3]`), bundle.ErrMalformed, "not valid bundle JSON"},
		{"too big", big, bundle.ErrMalformed, "the limit is"},
		{"other media type", edit(t, bj, func(m map[string]any) { m["mediaType"] = "application/vnd.in-toto+json" }), bundle.ErrUnsupported, "not a Sigstore bundle"},
		{"bundle v0.4", edit(t, bj, func(m map[string]any) { m["mediaType"] = "application/vnd.dev.sigstore.bundle.v0.4+json" }), bundle.ErrUnsupported, "only Sigstore bundle v0.3"},
		{"bundle v0.2", edit(t, bj, func(m map[string]any) { m["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.2" }), bundle.ErrUnsupported, "only Sigstore bundle v0.3"},
		{"message signature", edit(t, bj, func(m map[string]any) {
			delete(m, "dsseEnvelope")
			m["messageSignature"] = map[string]any{"messageDigest": map[string]any{"algorithm": "SHA2_256", "digest": "AAAA"}, "signature": "AAAA"}
		}), bundle.ErrUnsupported, "message-signature"},
		{"payload type", edit(t, bj, func(m map[string]any) { obj(m, "dsseEnvelope")["payloadType"] = "text/plain" }), bundle.ErrUnsupported, "only in-toto statements"},
		{"two signatures", edit(t, bj, func(m map[string]any) {
			env := obj(m, "dsseEnvelope")
			s := env["signatures"].([]any)
			env["signatures"] = append(s, s[0])
		}), bundle.ErrUnsupported, "exactly one"},
		{"bad base64 payload", edit(t, bj, func(m map[string]any) { obj(m, "dsseEnvelope")["payload"] = "!!!" }), bundle.ErrMalformed, "not base64"},
		{"bad base64 signature", edit(t, bj, func(m map[string]any) { obj(m, "dsseEnvelope")["signatures"].([]any)[0].(map[string]any)["sig"] = "%%" }), bundle.ErrMalformed, "not base64"},
		{"bad certificate", edit(t, bj, func(m map[string]any) {
			obj(m, "verificationMaterial")["certificate"] = map[string]any{"rawBytes": "AAAA"}
		}), bundle.ErrMalformed, "signing certificate"},
		{"no certificate", edit(t, bj, func(m map[string]any) { delete(obj(m, "verificationMaterial"), "certificate") }), bundle.ErrMalformed, "no verificationMaterial.certificate"},
		{"certificate chain", edit(t, bj, func(m map[string]any) {
			vm := obj(m, "verificationMaterial")
			vm["x509CertificateChain"] = map[string]any{"certificates": []any{vm["certificate"]}}
			delete(vm, "certificate")
		}), bundle.ErrUnsupported, "certificate chain"},
		{"unknown field", edit(t, bj, func(m map[string]any) { m["extra"] = true }), bundle.ErrMalformed, "not a valid Sigstore bundle"},
		{"key bundle", readTestdata(t, "key.sig"), bundle.ErrUnsupported, "signed with a key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, s, err := Verify(c.in, tr, refIdentity)
			if p != nil || s != nil {
				t.Error("results returned with an error")
			}
			wantErr(t, err, c.class, c.word)
		})
	}
}

func TestLoadTrustedRoot(t *testing.T) {
	rootJSON := readTestdata(t, "trusted-root.json")
	for _, c := range []struct {
		name string
		in   []byte
		word string
	}{
		{"empty", nil, "empty"},
		{"truncated", rootJSON[:100], "not a Sigstore trusted root"},
		{"bundle", readTestdata(t, "v1.0.1.sig"), "not a Sigstore trusted root"},
		{"media type", edit(t, rootJSON, func(m map[string]any) { m["mediaType"] = "application/json" }), "not a Sigstore trusted root"},
		{"too big", append(bytes.Repeat([]byte(" "), MaxTrustedRootSize), rootJSON...), "the limit is"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr, err := LoadTrustedRoot(c.in)
			if tr != nil {
				t.Error("root returned with an error")
			}
			wantErr(t, err, bundle.ErrMalformed, c.word)
		})
	}
}

func TestValidityAndTime(t *testing.T) {
	// An expired certificate cannot be made from real, logged data; check
	// the helpers that Verify uses on the real certificate instead.
	_, s, err := Verify(readTestdata(t, "v1.0.1.sig"), testRoot(t), refIdentity)
	if err != nil {
		t.Fatal(err)
	}
	leaf := s.Certificate
	in := []verify.TimestampVerificationResult{{Type: "Tlog", Timestamp: s.SignedAt}}
	if err := outsideValidity(leaf, in); err != nil {
		t.Fatalf("in validity: %v", err)
	}
	late := append(in, verify.TimestampVerificationResult{Type: "TimestampAuthority", Timestamp: leaf.NotAfter.Add(time.Minute)})
	wantErr(t, outsideValidity(leaf, late), bundle.ErrExpired, `"stefanb@us.ibm.com"`, "TimestampAuthority", leaf.NotAfter.UTC().Format(time.RFC3339))
	early := []verify.TimestampVerificationResult{{Type: "Tlog", Timestamp: leaf.NotBefore.Add(-time.Second)}}
	wantErr(t, outsideValidity(leaf, early), bundle.ErrExpired, "valid from")

	if !signedAt(nil).IsZero() {
		t.Error("no timestamps gave a time")
	}
	t1, t2 := time.Unix(100, 0), time.Unix(200, 0)
	if got := signedAt([]verify.TimestampVerificationResult{{Type: "TimestampAuthority", Timestamp: t1}, {Type: "Tlog", Timestamp: t2}}); !got.Equal(t2) {
		t.Errorf("signedAt prefers %s, want the log time", got)
	}
	if got := signedAt([]verify.TimestampVerificationResult{{Type: "TimestampAuthority", Timestamp: t2}, {Type: "TimestampAuthority", Timestamp: t1}}); !got.Equal(t1) {
		t.Errorf("signedAt without log time = %s, want the earliest", got)
	}
}

func FuzzVerify(f *testing.F) {
	for _, v := range vectors {
		f.Add(readTestdata(f, v.file))
	}
	f.Add(readTestdata(f, "key.sig"))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`))
	tr := testRoot(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		payload, s, err := Verify(in, tr, refIdentity)
		if err != nil {
			if payload != nil || s != nil {
				t.Fatal("results returned with an error")
			}
			if !isClass(err) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if s == nil || s.Subject != refSubject || s.Issuer != refIssuer || len(payload) == 0 {
			t.Fatalf("accepted with signer %+v, payload %d bytes", s, len(payload))
		}
	})
}
