package oip

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// reader is a strict (RFC 8259), single-pass JSON lexer over a request
// body. It has no generic value decoder: the schema walk in request.go asks
// for exactly the token it expects, so nesting is bounded by the schema and
// nothing is allocated for values that are not kept.
type reader struct {
	buf []byte
	pos int
	// scratch holds the last string that needed unescaping; readString's
	// result aliases it or buf, so callers copy what they keep.
	scratch []byte
}

// syntaxError words a malformed body with its offset but none of its bytes.
func (r *reader) syntaxError(what string) error {
	return fmt.Errorf("the request is not a valid inference request object: invalid JSON at byte %d: %s", r.pos, what)
}

// ws skips the four whitespace bytes JSON allows, and no others.
func (r *reader) ws() {
	for r.pos < len(r.buf) {
		switch r.buf[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

// peek returns the next non-whitespace byte, or 0 at the end.
func (r *reader) peek() byte {
	r.ws()
	if r.pos < len(r.buf) {
		return r.buf[r.pos]
	}
	return 0
}

// consume skips whitespace and then c if it is next.
func (r *reader) consume(c byte) bool {
	if r.peek() == c {
		r.pos++
		return true
	}
	return false
}

func (r *reader) expect(c byte) error {
	if !r.consume(c) {
		return r.syntaxError(fmt.Sprintf("expected %q", c))
	}
	return nil
}

// literal consumes null, true or false when it is next.
func (r *reader) literal(word string) bool {
	r.ws()
	if len(r.buf)-r.pos >= len(word) && string(r.buf[r.pos:r.pos+len(word)]) == word {
		r.pos += len(word)
		return true
	}
	return false
}

// readString reads a string and returns its decoded bytes, valid UTF-8. The
// result aliases buf when the string has no escapes (the common case, no
// copy) and r.scratch otherwise: it is valid until the next readString.
func (r *reader) readString() ([]byte, error) {
	if err := r.expect('"'); err != nil {
		return nil, err
	}
	start := r.pos
	for r.pos < len(r.buf) {
		c := r.buf[r.pos]
		switch {
		case c == '"':
			r.pos++
			return r.buf[start : r.pos-1], nil
		case c == '\\':
			r.scratch = append(r.scratch[:0], r.buf[start:r.pos]...)
			return r.unescape()
		case c < 0x20:
			return nil, r.syntaxError("control character in a string")
		case c < utf8.RuneSelf:
			r.pos++
		default:
			if err := r.utf8Rune(); err != nil {
				return nil, err
			}
		}
	}
	return nil, r.syntaxError("unterminated string")
}

// utf8Rune steps over one multi-byte UTF-8 sequence, refusing an invalid
// one: encoding/json would silently replace it, changing the name a
// client meant.
func (r *reader) utf8Rune() error {
	ru, n := utf8.DecodeRune(r.buf[r.pos:])
	if ru == utf8.RuneError && n == 1 {
		return r.syntaxError("invalid UTF-8 in a string")
	}
	r.pos += n
	return nil
}

// unescape finishes a string with escapes into r.scratch, r.pos at the
// first backslash.
func (r *reader) unescape() ([]byte, error) {
	for r.pos < len(r.buf) {
		c := r.buf[r.pos]
		switch {
		case c == '"':
			r.pos++
			return r.scratch, nil
		case c == '\\':
			if err := r.escape(); err != nil {
				return nil, err
			}
		case c < 0x20:
			return nil, r.syntaxError("control character in a string")
		case c < utf8.RuneSelf:
			r.scratch = append(r.scratch, c)
			r.pos++
		default:
			start := r.pos
			if err := r.utf8Rune(); err != nil {
				return nil, err
			}
			r.scratch = append(r.scratch, r.buf[start:r.pos]...)
		}
	}
	return nil, r.syntaxError("unterminated string")
}

// escape decodes one escape sequence into r.scratch.
func (r *reader) escape() error {
	if r.pos+1 >= len(r.buf) {
		return r.syntaxError("unterminated string")
	}
	c := r.buf[r.pos+1]
	r.pos += 2
	switch c {
	case '"', '\\', '/':
		r.scratch = append(r.scratch, c)
	case 'b':
		r.scratch = append(r.scratch, '\b')
	case 'f':
		r.scratch = append(r.scratch, '\f')
	case 'n':
		r.scratch = append(r.scratch, '\n')
	case 'r':
		r.scratch = append(r.scratch, '\r')
	case 't':
		r.scratch = append(r.scratch, '\t')
	case 'u':
		return r.unicodeEscape()
	default:
		r.pos -= 2
		return r.syntaxError("invalid escape in a string")
	}
	return nil
}

// unicodeEscape decodes \uXXXX, r.pos after the 'u'. A surrogate pair
// makes one rune; a lone surrogate becomes U+FFFD, as encoding/json does,
// so that both parsers agree on the ID they echo.
func (r *reader) unicodeEscape() error {
	ru, ok := hex4(r.buf[r.pos:])
	if !ok {
		return r.syntaxError("invalid \\u escape in a string")
	}
	r.pos += 4
	if utf16.IsSurrogate(ru) {
		// Only a following \uXXXX that completes the pair is consumed.
		if rest := r.buf[r.pos:]; len(rest) >= 6 && rest[0] == '\\' && rest[1] == 'u' {
			if lo, ok := hex4(rest[2:]); ok {
				if pair := utf16.DecodeRune(ru, lo); pair != utf8.RuneError {
					r.pos += 6
					r.scratch = utf8.AppendRune(r.scratch, pair)
					return nil
				}
			}
		}
		ru = utf8.RuneError
	}
	r.scratch = utf8.AppendRune(r.scratch, ru)
	return nil
}

// hex4 decodes four hex digits.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var v rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | rune(c)
	}
	return v, true
}

// numberSpan returns the end of the run of bytes that may belong to a
// number starting at r.pos: a lenient run, so that "01" or "1.e5" is
// refused as a bad number rather than as a missing comma.
func (r *reader) numberSpan() int {
	end := r.pos
	for end < len(r.buf) {
		c := r.buf[end]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			end++
			continue
		}
		break
	}
	return end
}

// errBadNumber and errRange are the two ways a number fails; callers word
// them for their context.
var (
	errBadNumber = errors.New("not a JSON number")
	errRange     = errors.New("out of range")
)

// parseNumber parses a JSON number (RFC 8259 grammar exactly) to the
// float64 strconv.ParseFloat(s, 64) gives, refusing ±Inf. Short decimals,
// nearly all tensor data, take Clinger's fast path: a mantissa below 2^53
// and a power of ten up to 1e22 are both exact float64s, so one IEEE
// multiply or divide rounds correctly, with no allocation.
func parseNumber(b []byte) (float64, error) {
	if v, ok := smallInteger(b); ok {
		return v, nil
	}
	var n number
	if !scanNumber(b, &n) {
		return 0, errBadNumber
	}
	if n.fast {
		v := float64(n.mant)
		if n.exp < 0 {
			v /= pow10[-n.exp]
		} else {
			v *= pow10[n.exp]
		}
		if n.neg {
			v = -v
		}
		return v, nil
	}
	// string(b) here escapes to the heap only on this rare path.
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, errRange
	}
	return v, nil
}

// maxFastNumber is the longest number the fast path takes: with at most
// this many characters, leading zeros and the exponent cannot reach the
// exponent cap, nor a length ParseFloat treats specially.
const maxFastNumber = 64

var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// number is a scanned JSON number: mant·10^exp, neg for the sign, and
// fast when that is exact enough for the fast path.
type number struct {
	mant   uint64
	exp    int
	neg    bool
	fast   bool
	digits int  // significant digits in mant, at most 19 (< 2^64)
	more   bool // digits were dropped: only ParseFloat is exact
}

// digit gathers one mantissa digit, reporting false when it was dropped.
func (n *number) digit(c byte) bool {
	if n.digits >= 19 {
		n.more = true
		return false
	}
	n.mant = n.mant*10 + uint64(c-'0')
	if n.mant != 0 {
		n.digits++
	}
	return true
}

// smallInteger parses the commonest tensor element, an integer of at most
// 15 digits (exact in a float64), without the general scan.
func smallInteger(b []byte) (float64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	digits := b
	if neg {
		digits = b[1:]
	}
	if len(digits) == 0 || len(digits) > 15 || (digits[0] == '0' && len(digits) > 1) {
		return 0, false
	}
	var m uint64
	for _, c := range digits {
		if !isDigit(c) {
			return 0, false
		}
		m = m*10 + uint64(c-'0')
	}
	v := float64(m)
	if neg {
		v = -v
	}
	return v, true
}

// scanNumber checks b is exactly one JSON number,
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, and gathers its digits
// into n, which must be zero.
func scanNumber(b []byte, n *number) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		n.neg = true
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for ; i < len(b) && isDigit(b[i]); i++ {
			if !n.digit(b[i]) {
				n.exp++ // a dropped integer digit still scales the value
			}
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		start := i
		for ; i < len(b) && isDigit(b[i]); i++ {
			if n.digit(b[i]) {
				n.exp--
			}
		}
		if i == start {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		e, end, ok := scanExponent(b, i+1)
		if !ok {
			return false
		}
		n.exp += e
		i = end
	}
	if i != len(b) {
		return false
	}
	// Short numbers only: ParseFloat, whose result this must equal bit for
	// bit, reads very long ones (thousands of fraction digits, exponents it
	// caps) its own way, and a capped exponent here could cancel a long run
	// of leading fraction zeros into a false fast path.
	n.fast = !n.more && len(b) <= maxFastNumber && n.mant < 1<<53 && n.exp >= -22 && n.exp <= 22
	return true
}

// validNumber tells whether b is exactly one JSON number.
func validNumber(b []byte) bool {
	var n number
	return scanNumber(b, &n)
}

// scanExponent reads [+-]?[0-9]+ from b[i:]. A huge exponent is capped:
// it only decides that the fast path is out, and ParseFloat sees it whole.
func scanExponent(b []byte, i int) (e, end int, ok bool) {
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	start := i
	for ; i < len(b) && isDigit(b[i]); i++ {
		if e < 1e6 {
			e = e*10 + int(b[i]-'0')
		}
	}
	if neg {
		e = -e
	}
	return e, i, i > start
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// object reads an object, calling member with each key and r at the
// member's value, which member must consume. key aliases buf or scratch.
func (r *reader) object(member func(key []byte) error) error {
	if err := r.expect('{'); err != nil {
		return err
	}
	if r.consume('}') {
		return nil
	}
	for {
		if r.peek() != '"' {
			return r.syntaxError("expected a string key")
		}
		key, err := r.readString()
		if err != nil {
			return err
		}
		if err := r.expect(':'); err != nil {
			return err
		}
		if err := member(key); err != nil {
			return err
		}
		if r.consume('}') {
			return nil
		}
		if !r.consume(',') {
			return r.syntaxError("expected ',' or '}'")
		}
	}
}

// array reads an array of field what, calling elem with each index and r
// at the element, which elem must consume. A null is an empty array when
// nullable, as encoding/json left a nil slice.
func (r *reader) array(what string, nullable bool, elem func(i int) error) error {
	if nullable && r.literal("null") {
		return nil
	}
	if r.peek() != '[' {
		return objectError("field %q cannot be %s", what, r.kind())
	}
	r.pos++
	if r.consume(']') {
		return nil
	}
	for i := 0; ; i++ {
		if err := elem(i); err != nil {
			return err
		}
		if r.consume(']') {
			return nil
		}
		if !r.consume(',') {
			return r.syntaxError("expected ',' or ']'")
		}
	}
}

// kind names the JSON type of the next value, for messages.
func (r *reader) kind() string {
	switch c := r.peek(); {
	case c == '"':
		return "a string"
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == '-' || (c >= '0' && c <= '9'):
		return "a number"
	case c == 0:
		return "missing"
	}
	return "invalid JSON"
}

// nullableString reads a string or null (as ""), refusing other types.
func (r *reader) nullableString(what string) ([]byte, error) {
	if r.literal("null") {
		return nil, nil
	}
	if r.peek() != '"' {
		return nil, objectError("field %q cannot be %s", what, r.kind())
	}
	return r.readString()
}

// integer reads a JSON number that must be an int64 without fraction or
// exponent, as encoding/json required of an []int64 element; null is 0,
// as encoding/json left it.
func (r *reader) integer(what string) (int64, error) {
	if r.literal("null") {
		return 0, nil
	}
	r.ws()
	start := r.pos
	end := r.numberSpan()
	b := r.buf[start:end]
	if !validNumber(b) {
		if start == end {
			return 0, objectError("field %q cannot be %s", what, r.kind())
		}
		return 0, r.syntaxError("invalid number")
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' || v > (1<<63)/10 {
			return 0, objectError("field %q cannot be the number %.32s", what, r.buf[start:end])
		}
		v = v*10 + uint64(c-'0')
	}
	if v > 1<<63-1 && !(neg && v == 1<<63) {
		return 0, objectError("field %q cannot be the number %.32s", what, r.buf[start:end])
	}
	r.pos = end
	if neg {
		return -int64(v), nil
	}
	return int64(v), nil
}
