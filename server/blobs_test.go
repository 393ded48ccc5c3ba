package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/modelward/modelward/registry/blob"
)

// A download releases its last chunk only when the whole content hashes
// to the blob's name; a changed blob is cut short.
func TestCopyVerifiedHoldsBackTheLastChunk(t *testing.T) {
	for _, size := range []int{0, 1, 1 << 20, 1<<20 + 1, 5<<19 + 7, 3 << 20} {
		data := bytes.Repeat([]byte{0x5a}, size)
		sum := sha256.Sum256(data)
		var out bytes.Buffer
		if err := copyVerified(&out, bytes.NewReader(data), hex.EncodeToString(sum[:])); err != nil || !bytes.Equal(out.Bytes(), data) {
			t.Fatalf("size %d: %v, %d bytes out", size, err, out.Len())
		}
		if size == 0 {
			continue
		}
		changed := append([]byte(nil), data...)
		changed[len(changed)-1] ^= 1
		out.Reset()
		err := copyVerified(&out, bytes.NewReader(changed), hex.EncodeToString(sum[:]))
		if !errors.Is(err, blob.ErrCorrupt) || out.Len() >= size {
			t.Fatalf("size %d changed: %v, %d of %d bytes out", size, err, out.Len(), size)
		}
	}
}

// Paths that carry a token, however spelled, never reach the logs.
func TestMayHoldToken(t *testing.T) {
	secret := "0123456789abcdef_" + strings.Repeat("Ab9-", 10) + "xyz"
	for _, p := range []string{
		"/v1/models/mwt_" + secret + "/versions",
		"/v1/models/mwt%5F" + strings.ReplaceAll(secret, "_", "%5F"),
		"/v1/m%77t_" + secret,
		"/v1/" + secret,
		"/v1/" + strings.ReplaceAll(secret, "_", "%255F"),
	} {
		if !mayHoldToken(p) {
			t.Errorf("%s: token not withheld", p)
		}
	}
	if mayHoldToken("/v1/models/team%2Fclassifier/versions/3") {
		t.Error("an ordinary path withheld")
	}
}
