package review

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

// idPrefix marks review tickets so they cannot be mistaken for other IDs.
const idPrefix = "rv_"

// idRandBytes is 128 bits: a client holding its own ticket cannot guess
// another one, so tickets are capabilities that cannot be enumerated.
const idRandBytes = 16

// idLen is the prefix plus 26 base32 characters (130 bits, the last two 0).
const idLen = len(idPrefix) + (idRandBytes*8+4)/5

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newID draws a fresh ticket ID. crypto/rand.Read never fails on supported
// platforms (it aborts the program instead), so there is no error.
func newID() string {
	var b [idRandBytes]byte
	_, _ = rand.Read(b[:])
	return idPrefix + idEncoding.EncodeToString(b[:])
}

// ValidID reports whether s has the exact shape of an ID this package
// issues, so the HTTP layer can refuse junk before any lookup. Only the
// canonical encoding passes: one ID has one spelling.
func ValidID(s string) bool {
	if len(s) != idLen || !strings.HasPrefix(s, idPrefix) {
		return false
	}
	body := s[len(idPrefix):]
	for i := 0; i < len(body); i++ {
		if base32Value(body[i]) < 0 {
			return false
		}
	}
	// 26 characters carry 130 bits; the 2 low bits of the last one are
	// padding and must be zero for the spelling to be canonical.
	return base32Value(body[len(body)-1])&3 == 0
}

// base32Value is the 5-bit value of a lowercase RFC 4648 base32 character,
// or -1.
func base32Value(c byte) int {
	switch {
	case c >= 'a' && c <= 'z':
		return int(c - 'a')
	case c >= '2' && c <= '7':
		return int(c-'2') + 26
	}
	return -1
}
