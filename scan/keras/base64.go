package keras

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// pyFuncBytes turns the `code` string of a serialised Keras function into
// the bytes marshal.loads will see, as keras func_load does: base64 decoded
// by binascii.a2b_base64 in its lenient mode, or, when that raises, the
// string encoded with the raw_unicode_escape codec.
func pyFuncBytes(s string) ([]byte, string) {
	if b, err := pyA2BBase64(s); err == nil {
		return b, "base64"
	}
	return rawUnicodeEscape(s), "raw text (not valid base64)"
}

const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

var b64Values = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := 0; i < len(b64Alphabet); i++ {
		t[b64Alphabet[i]] = byte(i)
	}
	return t
}()

// pyA2BBase64 follows binascii.a2b_base64 with strict_mode off: bytes
// outside the alphabet are skipped, decoding stops at a complete padding,
// and a final partial quantum is an error. The input must be ASCII, since
// keras first calls code.encode("ascii").
func pyA2BBase64(s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return nil, errors.New("not ASCII")
		}
	}
	out := make([]byte, 0, len(s)*3/4)
	quad, pads := 0, 0
	var left byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '=' {
			if quad >= 2 {
				pads++
				if quad+pads >= 4 {
					return out, nil
				}
			}
			continue
		}
		v := b64Values[c]
		if v == 0xff {
			continue
		}
		pads = 0
		switch quad {
		case 0:
			left = v
		case 1:
			out = append(out, left<<2|v>>4)
			left = v & 0x0f
		case 2:
			out = append(out, left<<4|v>>2)
			left = v & 0x03
		case 3:
			out = append(out, left<<6|v)
		}
		quad = (quad + 1) % 4
	}
	if quad != 0 {
		return nil, fmt.Errorf("incomplete base64 quantum (%d characters)", quad)
	}
	return out, nil
}

// rawUnicodeEscape encodes like Python's raw_unicode_escape codec: code
// points below 256 as one byte, others as \uXXXX or \UXXXXXXXX.
func rawUnicodeEscape(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			r = rune(s[i])
		}
		i += n
		switch {
		case r < 0x100:
			out = append(out, byte(r))
		case r < 0x10000:
			out = fmt.Appendf(out, "\\u%04x", r)
		default:
			out = fmt.Appendf(out, "\\U%08x", r)
		}
	}
	return out
}
