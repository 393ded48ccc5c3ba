package keras

import (
	"encoding/binary"
	"errors"
	"unicode/utf16"
	"unicode/utf8"
)

// toUTF8 converts a document to UTF-8 the way Python's json.loads does for
// bytes (json.detect_encoding): a BOM or the pattern of zero bytes among
// the first four selects UTF-32 or UTF-16. Keras reads config.json as bytes
// and hands them to json.loads, so a UTF-16 config loads; a scanner that
// only understood UTF-8 would see nothing in it.
func toUTF8(b []byte) ([]byte, string, error) {
	switch {
	case hasPrefix(b, 0x00, 0x00, 0xfe, 0xff):
		return fromUTF32(b[4:], binary.BigEndian)
	case hasPrefix(b, 0xff, 0xfe, 0x00, 0x00):
		return fromUTF32(b[4:], binary.LittleEndian)
	case hasPrefix(b, 0xfe, 0xff):
		return fromUTF16(b[2:], binary.BigEndian)
	case hasPrefix(b, 0xff, 0xfe):
		return fromUTF16(b[2:], binary.LittleEndian)
	case hasPrefix(b, 0xef, 0xbb, 0xbf):
		return b[3:], "utf-8-sig", nil
	}
	if len(b) >= 4 {
		switch {
		case b[0] == 0 && b[1] != 0:
			return fromUTF16(b, binary.BigEndian)
		case b[0] == 0:
			return fromUTF32(b, binary.BigEndian)
		case b[1] == 0 && (b[2] != 0 || b[3] != 0):
			return fromUTF16(b, binary.LittleEndian)
		case b[1] == 0:
			return fromUTF32(b, binary.LittleEndian)
		}
	} else if len(b) == 2 {
		switch {
		case b[0] == 0:
			return fromUTF16(b, binary.BigEndian)
		case b[1] == 0:
			return fromUTF16(b, binary.LittleEndian)
		}
	}
	return b, "utf-8", nil
}

func hasPrefix(b []byte, p ...byte) bool {
	if len(b) < len(p) {
		return false
	}
	for i, c := range p {
		if b[i] != c {
			return false
		}
	}
	return true
}

var errOddLength = errors.New("length is not a multiple of the code unit size")

func fromUTF16(b []byte, order binary.ByteOrder) ([]byte, string, error) {
	if len(b)%2 != 0 {
		return nil, "utf-16", errOddLength
	}
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = order.Uint16(b[2*i:])
	}
	out := make([]byte, 0, len(b))
	for _, r := range utf16.Decode(units) {
		out = utf8.AppendRune(out, r)
	}
	return out, "utf-16", nil
}

func fromUTF32(b []byte, order binary.ByteOrder) ([]byte, string, error) {
	if len(b)%4 != 0 {
		return nil, "utf-32", errOddLength
	}
	out := make([]byte, 0, len(b)/2)
	for i := 0; i < len(b); i += 4 {
		out = utf8.AppendRune(out, rune(order.Uint32(b[i:])))
	}
	return out, "utf-32", nil
}
