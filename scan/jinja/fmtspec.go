package jinja

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Python's format-spec mini-language ([[fill]align][sign][z][#][0][width]
// [grouping][.precision][type]) for strings and integers, shared by
// str.format and the printf-style "%" operator. The fill character and
// "c" conversions can spell any name ('{:_^11}'.format('globals') is
// "__globals__"), so what is not modelled keeps the argument's text amid
// wildcards rather than dropping the spec.

// fmtSpec is a parsed format spec or printf-style conversion.
type fmtSpec struct {
	fill      string // one character
	fillSet   bool
	align     byte // '<', '>', '^', '=' or 0 for the type's default
	sign      byte // '+', '-', ' ' or 0
	alt, zero bool // '#' and '0'
	width     int  // -1 when absent, unknownWidth when not known
	prec      int  // -1 when absent
	group     byte // ',', '_' or 0
	typ       byte // presentation type, 0 when absent
}

// unknownWidth is a width taken from an argument that is not known.
const unknownWidth = -2

// opaque wraps the text of each alternative in wildcards: the value of a
// spec the analyser does not follow, which may pad or cut the text.
func opaque(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = unknownStr + strings.Trim(x, unknownStr) + unknownStr
		if allWild(out[i]) {
			out[i] = unknownStr
		}
	}
	return out
}

// specDigits reads a decimal number at f[j]; def is the value when there
// are no digits. Numbers beyond maxStrLen are capped just above it.
func specDigits(f string, j, def int) (int, int) {
	start, n := j, 0
	for ; j < len(f) && isDigit(f[j]); j++ {
		n = min(n*10+int(f[j]-'0'), maxStrLen+1)
	}
	if j == start {
		return def, j
	}
	return n, j
}

// parseSpec parses a str.format spec. ok is false for specs the analyser
// does not model (or that Python rejects).
func parseSpec(s string) (sp fmtSpec, ok bool) {
	sp = fmtSpec{fill: " ", width: -1, prec: -1}
	isAlign := func(s string, i int) bool { return i < len(s) && strings.IndexByte("<>^=", s[i]) >= 0 }
	j := 0
	if r, n := utf8.DecodeRuneInString(s); n > 0 && isAlign(s, n) {
		sp.fill, sp.fillSet, sp.align = string(r), true, s[n]
		j = n + 1
	} else if isAlign(s, 0) {
		sp.align = s[0]
		j = 1
	}
	if j < len(s) && strings.IndexByte("+- ", s[j]) >= 0 {
		sp.sign = s[j]
		j++
	}
	if j < len(s) && s[j] == 'z' {
		return sp, false
	}
	if j < len(s) && s[j] == '#' {
		sp.alt = true
		j++
	}
	if j < len(s) && s[j] == '0' && !sp.fillSet {
		sp.zero = true
		j++
	}
	sp.width, j = specDigits(s, j, -1)
	if j < len(s) && (s[j] == ',' || s[j] == '_') {
		sp.group = s[j]
		j++
	}
	if j < len(s) && s[j] == '.' {
		if sp.prec, j = specDigits(s, j+1, -1); sp.prec < 0 {
			return sp, false
		}
	}
	switch len(s) - j {
	case 0:
	case 1:
		sp.typ = s[j]
	default:
		return sp, false
	}
	return sp, sp.width <= maxStrLen && sp.prec <= maxStrLen
}

// layout pads prefix+body to the spec's width; align '=' puts the padding
// between the prefix (sign, base) and the body. def is the type's default
// alignment.
func layout(prefix, body string, sp fmtSpec, def byte) string {
	align := sp.align
	if align == 0 {
		align = def
	}
	marg := sp.width - utf8.RuneCountInString(prefix) - utf8.RuneCountInString(body)
	if marg <= 0 {
		return prefix + body
	}
	fill := func(n int) string { return strings.Repeat(sp.fill, n) }
	switch align {
	case '<':
		return prefix + body + fill(marg)
	case '^':
		return fill(marg/2) + prefix + body + fill(marg-marg/2)
	case '=':
		return prefix + fill(marg) + body
	}
	return fill(marg) + prefix + body
}

// strLayout cuts each string to prec characters (when prec >= 0) and pads
// it. Wildcards stand for runs of unknown length: a cut or padding that
// depends on them keeps the text amid wildcards.
func strLayout(strs []string, prec int, sp fmtSpec, def byte) []string {
	out := make([]string, 0, len(strs))
	for _, s := range strs {
		wild := strings.IndexByte(s, unknownRune)
		if prec >= 0 {
			switch {
			case wild < 0 || utf8.RuneCountInString(s[:wild]) >= prec:
				if rs := []rune(s); len(rs) > prec {
					s = string(rs[:prec])
				}
			default:
				out = append(out, opaque([]string{s})...)
				continue
			}
			wild = strings.IndexByte(s, unknownRune)
		}
		known := utf8.RuneCountInString(strings.ReplaceAll(s, unknownStr, ""))
		if wild >= 0 && sp.width > known {
			out = append(out, opaque([]string{s})...)
			continue
		}
		out = append(out, layout("", s, sp, def))
	}
	return out
}

// intParts renders n for an integer presentation type (d, x, X, o, b):
// its sign and base prefix, and its digits.
func intParts(n int64, typ, sign byte, alt bool) (string, string) {
	prefix := ""
	switch {
	case n < 0:
		prefix = "-"
	case sign == '+' || sign == ' ':
		prefix = string(sign)
	}
	u := uint64(n)
	if n < 0 {
		u = -u
	}
	base := map[byte]int{'x': 16, 'X': 16, 'o': 8, 'b': 2}[typ]
	if base == 0 {
		return prefix, strconv.FormatUint(u, 10)
	}
	digits := strconv.FormatUint(u, base)
	if typ == 'X' {
		digits = strings.ToUpper(digits)
	}
	if alt {
		prefix += "0" + string(typ)
	}
	return prefix, digits
}

// group inserts sep every k digits from the right.
func group(digits string, sep byte, k int) string {
	var b strings.Builder
	for i := range len(digits) {
		if i > 0 && (len(digits)-i)%k == 0 {
			b.WriteByte(sep)
		}
		b.WriteByte(digits[i])
	}
	return b.String()
}

// formatStr is str.__format__.
func formatStr(strs []string, sp fmtSpec) []string {
	if sp.typ != 0 && sp.typ != 's' || sp.sign != 0 || sp.alt || sp.align == '=' || sp.group != 0 {
		return opaque(strs) // ValueError in Python
	}
	if sp.zero {
		sp.fill = "0"
	}
	return strLayout(strs, sp.prec, sp, '<')
}

// formatInt is int.__format__ with a non-empty spec.
func formatInt(n int64, sp fmtSpec) []string {
	if sp.zero {
		sp.fill = "0"
		if sp.align == 0 {
			sp.align = '='
		}
	}
	var prefix, digits string
	switch sp.typ {
	case 0, 'd', 'n', 'x', 'X', 'o', 'b':
		if sp.prec >= 0 || sp.typ == 'n' && sp.group != 0 {
			return []string{unknownStr}
		}
		prefix, digits = intParts(n, sp.typ, sp.sign, sp.alt)
		switch {
		case sp.group == ',' && (sp.typ == 0 || sp.typ == 'd'):
			digits = group(digits, ',', 3)
		case sp.group == '_' && (sp.typ == 0 || sp.typ == 'd'):
			digits = group(digits, '_', 3)
		case sp.group == '_':
			digits = group(digits, '_', 4)
		case sp.group != 0:
			return []string{unknownStr}
		}
		if sp.group != 0 && sp.zero {
			// Python groups the zero padding too.
			return []string{unknownStr}
		}
	case 'c':
		if sp.sign != 0 || sp.alt || sp.group != 0 || sp.prec >= 0 || n <= 0 || n > unicode.MaxRune {
			return []string{unknownStr}
		}
		digits = string(rune(n))
	case 'f', 'F', 'e', 'E', '%':
		if sp.alt || sp.group != 0 {
			return []string{unknownStr}
		}
		prec := sp.prec
		if prec < 0 {
			prec = 6
		}
		x := float64(n)
		if n < 0 {
			x = -x
		}
		typ := map[byte]byte{'F': 'f', '%': 'f'}[sp.typ]
		if typ == 0 {
			typ = sp.typ
		}
		if sp.typ == '%' {
			x *= 100
		}
		digits = strconv.FormatFloat(x, typ, prec, 64)
		if sp.typ == '%' {
			digits += "%"
		}
		prefix, _ = intParts(n, 'd', sp.sign, false)
	default:
		return []string{unknownStr}
	}
	return []string{layout(prefix, digits, sp, '>')}
}

// formatVal is format(v, spec) for each alternative of the spec.
func formatVal(v val, specs []string) []string {
	if len(specs)*max(1, len(v.strs)) > maxAlts {
		return opaque(v.asStrs())
	}
	var out []string
	for _, spec := range specs {
		if spec == "" {
			out = append(out, v.asStrs()...)
			continue
		}
		sp, ok := parseSpec(spec)
		switch {
		case strings.ContainsRune(spec, unknownRune) || !ok:
			out = append(out, opaque(v.asStrs())...)
		case v.kind == vStr:
			out = append(out, formatStr(v.strs, sp)...)
		case v.kind == vNum:
			out = append(out, formatInt(v.num, sp)...)
		default:
			out = append(out, unknownStr)
		}
	}
	return out
}

// convertVal applies a str.format conversion (!s, !r, !a).
func convertVal(c byte, v val) val {
	switch c {
	case 's', 'r', 'a':
		return strVal(convert(c, v)...)
	}
	return strVal(unknownStr) // ValueError in Python
}

// convert renders one argument for a conversion character.
func convert(c byte, v val) []string {
	switch c {
	case 's':
		return v.asStrs()
	case 'r', 'a':
		if v.kind == vStr {
			out := make([]string, len(v.strs))
			for i, s := range v.strs {
				out[i] = pyRepr(s, c == 'a')
			}
			return out
		}
		return v.asStrs()
	case 'c':
		if v.kind == vNum && v.num > 0 && v.num <= unicode.MaxRune {
			return []string{string(rune(v.num))}
		}
		if v.kind == vStr {
			return v.strs
		}
	case 'd', 'i', 'u', 'x', 'X', 'o':
		if v.kind == vNum {
			if c != 'x' && c != 'X' && c != 'o' {
				c = 'd'
			}
			prefix, digits := intParts(v.num, c, 0, false)
			return []string{prefix + digits}
		}
	}
	return []string{unknownStr}
}

// pyRepr is Python's repr (ascii when asc) of a string; wildcards are
// kept as they are.
func pyRepr(s string, asc bool) string {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == unknownRune:
			b.WriteRune(r)
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < ' ' || r == 0x7f:
			b.WriteString(`\x` + hex2(int(r)))
		case r < 0x7f || !asc && unicode.IsPrint(r):
			b.WriteRune(r)
		case r <= 0xff:
			b.WriteString(`\x` + hex2(int(r)))
		case r <= 0xffff:
			b.WriteString(`\u` + strings.Repeat("0", 4-len(strconv.FormatInt(int64(r), 16))) + strconv.FormatInt(int64(r), 16))
		default:
			b.WriteString(`\U` + strings.Repeat("0", 8-len(strconv.FormatInt(int64(r), 16))) + strconv.FormatInt(int64(r), 16))
		}
	}
	b.WriteByte(q)
	return b.String()
}

func hex2(n int) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[n>>4&15], digits[n&15]})
}
