package manifest

import (
	"crypto/sha256"
	"fmt"
	"hash"

	"golang.org/x/crypto/blake2b"
	"lukechampine.com/blake3"
	"lukechampine.com/blake3/guts"
)

// Hash types the reference writes in serialization.hash_type.
const (
	HashSHA256  = "sha256"
	HashBLAKE2b = "blake2b" // 64-byte digest, as Python's hashlib.blake2b()
	HashBLAKE3  = "blake3"  // 32-byte digest
)

// hashAliases maps user spellings to hash types; the reference's Python API
// calls blake2b "blake2".
var hashAliases = map[string]string{
	"": HashSHA256, HashSHA256: HashSHA256, "sha-256": HashSHA256,
	HashBLAKE2b: HashBLAKE2b, "blake2": HashBLAKE2b,
	HashBLAKE3: HashBLAKE3,
}

// HashTypes lists the supported hash types, for help texts.
var HashTypes = []string{HashSHA256, HashBLAKE2b, HashBLAKE3}

// NormalizeHashType returns the canonical hash type for a user spelling.
func NormalizeHashType(s string) (string, error) {
	if t, ok := hashAliases[s]; ok {
		return t, nil
	}
	return "", fmt.Errorf("manifest: unsupported hash type %q (supported: sha256, blake2b, blake3)", s)
}

// newHash returns a fresh streaming hash of the given canonical type.
func newHash(t string) hash.Hash {
	switch t {
	case HashBLAKE2b:
		h, _ := blake2b.New512(nil) // cannot fail without a key
		return h
	case HashBLAKE3:
		return blake3.New(32, nil)
	default:
		return sha256.New()
	}
}

// digestSize is the raw digest length of a canonical hash type.
func digestSize(t string) int {
	if t == HashBLAKE2b {
		return blake2b.Size
	}
	return 32
}

// BLAKE3 is a Merkle tree over 1 KiB chunks, so one file's files-mode
// digest can be computed on all cores: aligned power-of-two runs of chunks
// ("segments") are hashed independently to chaining values and merged left
// to right exactly as a sequential hasher merges them. The result is the
// plain BLAKE3 hash of the file, the same the reference computes.

// b3Segment is the bytes per parallel BLAKE3 piece: 2^13 chunks (8 MiB).
const b3Segment = guts.ChunkSize << 13

// b3groupSize is how many bytes one CompressBuffer call takes (MaxSIMD chunks).
const b3groupSize = guts.MaxSIMD * guts.ChunkSize

// b3tree holds the roots of complete subtrees, at most one per height, as
// they are pushed from left to right.
type b3tree struct {
	stack  [64][8]uint32
	chunks uint64 // chunks pushed; bit i set means stack[i] is occupied
}

// push adds a complete subtree of 2^height chunks; chunks must be a multiple
// of 2^height, which holds when subtrees arrive in order and aligned.
func (t *b3tree) push(cv [8]uint32, height int) {
	i := height
	for t.chunks&(1<<i) != 0 {
		cv = guts.ChainingValue(guts.ParentNode(t.stack[i], cv, &guts.IV, 0))
		i++
	}
	t.stack[i] = cv
	t.chunks += 1 << height
}

// sum finalises the tree whose last (possibly partial) chunk is last.
func (t *b3tree) sum(last []byte) []byte {
	n := guts.CompressChunk(last, &guts.IV, t.chunks, 0)
	for i := 0; i < 64; i++ {
		if t.chunks&(1<<i) != 0 {
			n = guts.ParentNode(t.stack[i], guts.ChainingValue(n), &guts.IV, 0)
		}
	}
	n.Flags |= guts.FlagRoot
	out := guts.WordsToBytes(guts.CompressNode(n))
	return append([]byte(nil), out[:32]...)
}

// b3compress pushes the groups of p (a whole number of b3groupSize groups,
// the first with chunk index *counter) onto t.
func b3compress(t *b3tree, p []byte, counter *uint64) {
	for off := 0; off+b3groupSize <= len(p); off += b3groupSize {
		g := (*[b3groupSize]byte)(p[off : off+b3groupSize])
		n := guts.CompressBuffer(g, b3groupSize, &guts.IV, *counter, 0)
		t.push(guts.ChainingValue(n), 4)
		*counter += guts.MaxSIMD
	}
}

// b3tail hashes the file's last piece, whose first chunk has index
// counter: it returns the complete subtrees before the final chunk, in
// order, and the final chunk's bytes (which the root is built from).
func b3tail(counter uint64, buf []byte) ([]b3sub, []byte) {
	full := uint64(0)
	if len(buf) > 0 {
		full = uint64((len(buf) - 1) / guts.ChunkSize)
	}
	var subs []b3sub
	off := 0
	for _, h := range guts.Eigentrees(counter, full) {
		size := guts.ChunkSize << h
		n := guts.CompressEigentree(buf[off:off+size], &guts.IV, counter, 0)
		subs = append(subs, b3sub{guts.ChainingValue(n), h})
		counter += 1 << h
		off += size
	}
	return subs, buf[off:]
}
