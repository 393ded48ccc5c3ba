package pickle

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// parsePyFloat reads a FLOAT opcode's text the way Python's float() does
// for what picklers write (repr of a float).
func parsePyFloat(s string) (float64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch strings.TrimLeft(t, "+-") {
	case "inf", "infinity":
		if strings.HasPrefix(t, "-") {
			return math.Inf(-1), nil
		}
		return math.Inf(1), nil
	case "nan":
		return math.NaN(), nil
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(t, "_", ""), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, errors.New("could not convert string to float: " + strconv.Quote(truncate(s, 40)))
	}
	return f, nil
}

// pyStringLiteral decodes a STRING opcode argument: a quoted Python 2 str
// literal with backslash escapes.
func pyStringLiteral(l []byte) ([]byte, error) {
	l = bytes.TrimRight(l, "\r")
	if len(l) < 2 || l[0] != l[len(l)-1] || (l[0] != '\'' && l[0] != '"') {
		return nil, errors.New("the STRING opcode argument must be quoted")
	}
	return escapeDecode(l[1 : len(l)-1]), nil
}

// escapeDecode implements Python's codecs.escape_decode for the escapes a
// pickler writes, leaving unknown escapes as written (as Python does).
func escapeDecode(b []byte) []byte {
	if bytes.IndexByte(b, '\\') < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' || i+1 >= len(b) {
			out = append(out, c)
			continue
		}
		i++
		switch e := b[i]; e {
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case 'r':
			out = append(out, '\r')
		case '\\', '\'', '"':
			out = append(out, e)
		case 'a':
			out = append(out, 7)
		case 'b':
			out = append(out, 8)
		case 'f':
			out = append(out, 12)
		case 'v':
			out = append(out, 11)
		case '\n':
		case 'x':
			if i+2 < len(b) {
				if v, err := strconv.ParseUint(string(b[i+1:i+3]), 16, 8); err == nil {
					out = append(out, byte(v))
					i += 2
					continue
				}
			}
			out = append(out, '\\', 'x')
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			for j < len(b) && j < i+3 && b[j] >= '0' && b[j] <= '7' {
				j++
			}
			v, _ := strconv.ParseUint(string(b[i:j]), 8, 16)
			out = append(out, byte(v))
			i = j - 1
		default:
			out = append(out, '\\', e)
		}
	}
	return out
}

// rawUnicodeEscape decodes the UNICODE opcode's raw-unicode-escape text:
// only \uXXXX and \UXXXXXXXX are escapes; other bytes are Latin-1.
func rawUnicodeEscape(l []byte) []byte {
	var out []byte
	for i := 0; i < len(l); i++ {
		c := l[i]
		if c == '\\' && i+1 < len(l) && (l[i+1] == 'u' || l[i+1] == 'U') {
			n := 4
			if l[i+1] == 'U' {
				n = 8
			}
			if i+2+n <= len(l) {
				if v, err := strconv.ParseUint(string(l[i+2:i+2+n]), 16, 32); err == nil {
					out = utf8.AppendRune(out, rune(v))
					i += 1 + n
					continue
				}
			}
		}
		out = utf8.AppendRune(out, rune(c))
	}
	return out
}

// interesting reports whether a byte string's start looks like something a
// loader could run or unpack: an executable, a pickle, an archive, NumPy.
func interesting(b []byte) bool {
	return len(b) > 0 && magicStart[b[0]] && Magic(b) != ""
}

// magicStart marks the first bytes of the magic numbers Magic knows.
var magicStart = func() (t [256]bool) {
	for _, c := range []byte{0x7f, 0xfe, 0xce, 0xcf, 0xca, 'M', '#', 0x80, 'P', 0x93} {
		t[c] = true
	}
	return t
}()

// Magic names what a byte string's first bytes announce, or "".
func Magic(b []byte) string {
	switch {
	case len(b) >= 4 && b[0] == 0x7f && b[1] == 'E' && b[2] == 'L' && b[3] == 'F':
		// The kernel checks only these four bytes of e_ident; the class
		// byte after them can be anything.
		return "ELF executable"
	case len(b) >= 4 && (bytes.Equal(b[:4], []byte{0xfe, 0xed, 0xfa, 0xce}) || bytes.Equal(b[:4], []byte{0xfe, 0xed, 0xfa, 0xcf}) ||
		bytes.Equal(b[:4], []byte{0xce, 0xfa, 0xed, 0xfe}) || bytes.Equal(b[:4], []byte{0xcf, 0xfa, 0xed, 0xfe})):
		return "Mach-O executable"
	case len(b) >= 8 && bytes.Equal(b[:4], []byte{0xca, 0xfe, 0xba, 0xbe}) && b[7] > 0 && b[7] < 20:
		return "Mach-O universal executable"
	case len(b) >= 2 && b[0] == 'M' && b[1] == 'Z' && len(b) >= 64:
		if off := int(b[60]) | int(b[61])<<8 | int(b[62])<<16 | int(b[63])<<24; off > 0 && off+4 <= len(b) && bytes.Equal(b[off:off+4], []byte("PE\x00\x00")) {
			return "PE executable"
		}
		if len(b) < 1024 {
			return "PE executable"
		}
	case isShebang(b):
		return "script with a shebang"
	case len(b) >= 2 && b[0] == 0x80 && b[1] >= 2 && b[1] <= HighestProtocol:
		return "pickle"
	case len(b) >= 4 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4:
		return "zip archive"
	case len(b) >= 6 && string(b[:6]) == "\x93NUMPY":
		return "NumPy array"
	}
	return ""
}

// evalPure computes the few pure functions whose results matter for later
// analysis. _codecs.encode(str, "latin1") is how protocol 2 writes bytes;
// an attacker can hide a nested pickle in it.
func evalPure(v *Value) bool {
	o := v.O
	if o.Callee == nil || o.Callee.K != KGlobal || o.Callee.O.Module != "_codecs" || o.Callee.O.Name != "encode" {
		return false
	}
	if len(o.Args) != 2 || o.Args[0].K != KStr || o.Args[1].K != KStr {
		return false
	}
	switch strings.ToLower(strings.ReplaceAll(o.Args[1].S, "_", "-")) {
	case "latin1", "latin-1", "iso-8859-1", "iso8859-1", "l1":
	default:
		return false
	}
	src := o.Args[0]
	var raw []byte
	srcBlob, _ := src.O.blob()
	if srcBlob != nil {
		raw = latin1(srcBlob)
	} else {
		raw = latin1([]byte(src.S))
	}
	*v = Value{K: KBytes, S: string(raw[:min(len(raw), maxKeepString)]), I: int64(len(raw)), O: o}
	if srcBlob != nil {
		o.Meta = &Meta{Blob: raw}
	}
	return true
}

// interestingAs checks a str value both as its UTF-8 bytes and as the
// Latin-1 bytes that _codecs.encode(s, "latin1") would turn it into.
func interestingAs(b []byte, k Kind) bool {
	if interesting(b) {
		return true
	}
	// Only code points U+0080 to U+00FF (UTF-8 lead bytes 0xC2, 0xC3)
	// change when encoded to Latin-1; the magic numbers start with them.
	return k == KStr && len(b) > 0 && (b[0] == 0xc2 || b[0] == 0xc3) && interesting(latin1(b[:min(len(b), 64)]))
}

func latin1(s []byte) []byte {
	out := make([]byte, 0, len(s))
	for len(s) > 0 {
		r, n := utf8.DecodeRune(s)
		s = s[n:]
		out = append(out, byte(r))
	}
	return out
}

// isShebang accepts what the kernel runs as a script: "#!", optional
// blanks, then an interpreter name ("/bin/sh", or a relative "python").
func isShebang(b []byte) bool {
	if len(b) < 3 || b[0] != '#' || b[1] != '!' {
		return false
	}
	i := 2
	for i < len(b) && i < 64 && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	if i >= len(b) {
		return false
	}
	c := b[i]
	return c == '/' || c == '.' || (c|0x20 >= 'a' && c|0x20 <= 'z')
}
