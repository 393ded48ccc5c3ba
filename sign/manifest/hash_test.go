package manifest

import (
	"context"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lukechampine.com/blake3"
)

// Published vectors pin the variants: BLAKE2b-512 of "abc" (RFC 7693,
// appendix A) and BLAKE3-256 of "abc" (the BLAKE3 reference).
func TestHashTypesKnownAnswers(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "abc")
	if err := os.WriteFile(f, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		HashSHA256:  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		HashBLAKE2b: "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923",
		HashBLAKE3:  "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85",
	}
	for ht, hexd := range want {
		m, err := Build(context.Background(), f, Options{HashType: ht})
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(m.Resources[0].Digest); got != hexd || m.Resources[0].Algorithm != ht {
			t.Errorf("%s: got %s %s, want %s", ht, m.Resources[0].Algorithm, got, hexd)
		}
	}
	if _, err := Build(context.Background(), f, Options{HashType: "md5"}); err == nil || !strings.Contains(err.Error(), "unsupported hash type") {
		t.Errorf("md5: %v", err)
	}
}

// A file hashed in parallel BLAKE3 segments must give the plain BLAKE3
// digest, whatever its length relative to segments and chunks.
func TestBLAKE3SplitMatchesSequential(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 3*b3Segment+5000)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	sizes := []int{
		2*b3Segment + 1,    // two segments and a one-byte tail
		3 * b3Segment,      // exact multiple: the tail is a whole segment
		3*b3Segment + 1024, // tail of exactly one chunk
		3*b3Segment + 5000, // tail of several chunks and a partial one
	}
	for _, n := range sizes {
		f := filepath.Join(dir, "m.bin")
		if err := os.WriteFile(f, data[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		names, jobs := plan([]*fileItem{{rel: ".", abs: f, size: int64(n)}}, MethodFiles, HashBLAKE3, 0, 0)
		if len(names) != 1 || len(jobs) < 3 {
			t.Fatalf("size %d: planned %d jobs, want a split", n, len(jobs))
		}
		m, err := Build(context.Background(), f, Options{HashType: HashBLAKE3, Workers: 3})
		if err != nil {
			t.Fatal(err)
		}
		want := blake3.Sum256(data[:n])
		if got := m.Resources[0].Digest; hex.EncodeToString(got) != hex.EncodeToString(want[:]) {
			t.Errorf("size %d: split digest %x, want %x", n, got, want)
		}
	}
}

// Statements with other hash types round-trip through ParseStatement, and
// sharded algorithm names follow the hash type.
func TestHashTypeStatementRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a", "b"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("content of "+n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, ht := range HashTypes {
		for _, opt := range []Options{{HashType: ht}, {HashType: ht, Method: MethodShards, ShardSize: 4}} {
			m, err := Build(context.Background(), dir, opt)
			if err != nil {
				t.Fatal(err)
			}
			st, err := m.Statement()
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParseStatement(st)
			if err != nil {
				t.Fatalf("%s %s: %v", ht, opt.Method, err)
			}
			if mi, ex, ch := back.Equal(m); len(mi)+len(ex)+len(ch) != 0 {
				t.Errorf("%s %s: round trip differs", ht, opt.Method)
			}
			if opt.Method == MethodShards && m.Resources[0].Algorithm != ht+"-sharded-4" {
				t.Errorf("algorithm %q", m.Resources[0].Algorithm)
			}
		}
	}
	// The Python API's "blake2" is read as blake2b; an unknown type is refused.
	m, _ := Build(context.Background(), dir, Options{HashType: "blake2"})
	st, _ := m.Statement()
	if !strings.Contains(string(st), `"hash_type": "blake2b"`) {
		t.Errorf("blake2 alias not written as blake2b: %s", st)
	}
	bad := strings.Replace(string(st), `"hash_type": "blake2b"`, `"hash_type": "md5"`, 1)
	if _, err := ParseStatement([]byte(bad)); err == nil {
		t.Error("md5 statement accepted")
	}
}
