package keras

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Limits of the JSON decoder. Real Keras configurations are a few MiB at
// most and nest a few dozen levels (model > layer > wrapper > config).
const (
	maxJSONBytes = 64 << 20
	maxJSONDepth = 256
	maxJSONNodes = 1 << 20
)

type kind uint8

const (
	kindNull kind = iota
	kindBool
	kindNum
	kindStr
	kindArr
	kindObj
)

// node is one decoded JSON value. Objects keep every key/value pair in
// document order, duplicates included, so that a repeated key is visible.
type node struct {
	kind  kind
	off   int64 // byte offset of the value in the (UTF-8) document
	b     bool
	s     string // string value, or the number's text
	items []*node
	keys  []string
}

// get returns the value of key k in an object, the LAST one when the key
// repeats, as Python's json module (which Keras uses) keeps the last.
func (n *node) get(k string) *node {
	if n == nil || n.kind != kindObj {
		return nil
	}
	for i := len(n.keys) - 1; i >= 0; i-- {
		if n.keys[i] == k {
			return n.items[i]
		}
	}
	return nil
}

// str returns the string value and whether n is a string.
func (n *node) str() (string, bool) {
	if n == nil || n.kind != kindStr {
		return "", false
	}
	return n.s, true
}

// jsonError is a decoding failure; limit marks an exceeded bound rather
// than malformed input.
type jsonError struct {
	off   int64
	msg   string
	limit bool
}

func (e *jsonError) Error() string { return fmt.Sprintf("offset %d: %s", e.off, e.msg) }

// decoder is a recursive-descent JSON reader whose recursion is bounded by
// maxJSONDepth. It accepts what Python's json.loads accepts (RFC 8259 plus
// NaN, Infinity and -Infinity), because that is what Keras will load.
type decoder struct {
	src   []byte
	pos   int
	nodes int
	dup   *node // first object seen with a repeated key
}

// parseJSON decodes one JSON document that must fill the whole input.
func parseJSON(src []byte) (*node, *decoder, error) {
	d := &decoder{src: src}
	if len(src) > maxJSONBytes {
		return nil, d, &jsonError{0, fmt.Sprintf("document is %d bytes, over the %d-byte limit", len(src), maxJSONBytes), true}
	}
	d.space()
	v, err := d.value(0)
	if err != nil {
		return nil, d, err
	}
	d.space()
	if d.pos != len(d.src) {
		return nil, d, d.fail("extra data after the JSON value")
	}
	return v, d, nil
}

func (d *decoder) fail(msg string) error {
	if d.pos >= len(d.src) {
		msg = "input ends early: " + msg
	}
	return &jsonError{int64(d.pos), msg, false}
}

func (d *decoder) space() {
	for d.pos < len(d.src) {
		switch d.src[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) newNode(k kind) (*node, error) {
	d.nodes++
	if d.nodes > maxJSONNodes {
		return nil, &jsonError{int64(d.pos), fmt.Sprintf("more than %d JSON values", maxJSONNodes), true}
	}
	return &node{kind: k, off: int64(d.pos)}, nil
}

func (d *decoder) value(depth int) (*node, error) {
	if d.pos >= len(d.src) {
		return nil, d.fail("unexpected end of input where a value was expected")
	}
	switch c := d.src[d.pos]; {
	case c == '{' || c == '[':
		if depth >= maxJSONDepth {
			return nil, &jsonError{int64(d.pos), fmt.Sprintf("nesting deeper than %d levels", maxJSONDepth), true}
		}
		if c == '{' {
			return d.object(depth + 1)
		}
		return d.array(depth + 1)
	case c == '"':
		n, err := d.newNode(kindStr)
		if err != nil {
			return nil, err
		}
		n.s, err = d.string()
		return n, err
	default:
		return d.scalar()
	}
}

// literals are the bare words Python's json accepts.
var literals = []struct {
	word string
	kind kind
	b    bool
}{
	{"null", kindNull, false}, {"true", kindBool, true}, {"false", kindBool, false},
	{"NaN", kindNum, false}, {"Infinity", kindNum, false}, {"-Infinity", kindNum, false},
}

func (d *decoder) scalar() (*node, error) {
	rest := d.src[d.pos:]
	for _, l := range literals {
		if len(rest) >= len(l.word) && string(rest[:len(l.word)]) == l.word {
			n, err := d.newNode(l.kind)
			if err != nil {
				return nil, err
			}
			n.b, n.s = l.b, l.word
			d.pos += len(l.word)
			return n, nil
		}
	}
	return d.number()
}

// number checks the RFC 8259 number grammar and keeps the text.
func (d *decoder) number() (*node, error) {
	start := d.pos
	n, err := d.newNode(kindNum)
	if err != nil {
		return nil, err
	}
	if d.peek() == '-' {
		d.pos++
	}
	switch {
	case d.peek() == '0':
		d.pos++
	case isDigit(d.peek()):
		d.digits()
	default:
		d.pos = start
		return nil, d.fail("invalid value")
	}
	if d.peek() == '.' {
		d.pos++
		if !isDigit(d.peek()) {
			return nil, d.fail("digit expected after the decimal point")
		}
		d.digits()
	}
	if c := d.peek(); c == 'e' || c == 'E' {
		d.pos++
		if c := d.peek(); c == '+' || c == '-' {
			d.pos++
		}
		if !isDigit(d.peek()) {
			return nil, d.fail("digit expected in the exponent")
		}
		d.digits()
	}
	n.s = string(d.src[start:d.pos])
	return n, nil
}

func (d *decoder) peek() byte {
	if d.pos < len(d.src) {
		return d.src[d.pos]
	}
	return 0
}

func (d *decoder) digits() {
	for isDigit(d.peek()) {
		d.pos++
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (d *decoder) array(depth int) (*node, error) {
	n, err := d.newNode(kindArr)
	if err != nil {
		return nil, err
	}
	d.pos++
	d.space()
	if d.peek() == ']' {
		d.pos++
		return n, nil
	}
	for {
		d.space()
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		n.items = append(n.items, v)
		d.space()
		switch d.peek() {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return n, nil
		default:
			return nil, d.fail("',' or ']' expected in array")
		}
	}
}

func (d *decoder) object(depth int) (*node, error) {
	n, err := d.newNode(kindObj)
	if err != nil {
		return nil, err
	}
	d.pos++
	d.space()
	if d.peek() == '}' {
		d.pos++
		return n, nil
	}
	seen := map[string]bool{}
	for {
		d.space()
		if d.peek() != '"' {
			return nil, d.fail("string key expected in object")
		}
		k, err := d.string()
		if err != nil {
			return nil, err
		}
		if seen[k] && d.dup == nil {
			d.dup = n
		}
		seen[k] = true
		d.space()
		if d.peek() != ':' {
			return nil, d.fail("':' expected after object key")
		}
		d.pos++
		d.space()
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		n.keys = append(n.keys, k)
		n.items = append(n.items, v)
		d.space()
		switch d.peek() {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return n, nil
		default:
			return nil, d.fail("',' or '}' expected in object")
		}
	}
}

// string decodes a JSON string at d.pos (on the opening quote). Control
// characters are refused, as Python's json does in its default strict mode.
func (d *decoder) string() (string, error) {
	d.pos++
	start := d.pos
	for d.pos < len(d.src) {
		c := d.src[d.pos]
		if c == '"' {
			s := string(d.src[start:d.pos])
			d.pos++
			return s, nil
		}
		if c == '\\' {
			return d.escaped(start)
		}
		if c < 0x20 {
			return "", d.fail("control character in string")
		}
		d.pos++
	}
	return "", d.fail("unterminated string")
}

// escaped finishes a string that holds escapes, from the first backslash.
func (d *decoder) escaped(start int) (string, error) {
	buf := append([]byte(nil), d.src[start:d.pos]...)
	for d.pos < len(d.src) {
		c := d.src[d.pos]
		switch {
		case c == '"':
			d.pos++
			return string(buf), nil
		case c < 0x20:
			return "", d.fail("control character in string")
		case c != '\\':
			buf = append(buf, c)
			d.pos++
			continue
		}
		if d.pos+1 >= len(d.src) {
			break
		}
		e := d.src[d.pos+1]
		d.pos += 2
		if r, ok := simpleEscapes[e]; ok {
			buf = append(buf, r)
			continue
		}
		if e != 'u' {
			d.pos -= 2
			return "", d.fail("invalid escape in string")
		}
		r, err := d.unicodeEscape()
		if err != nil {
			return "", err
		}
		buf = utf8.AppendRune(buf, r)
	}
	return "", d.fail("unterminated string")
}

var simpleEscapes = map[byte]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// unicodeEscape reads XXXX after "\u", joining a surrogate pair when one
// follows. A lone surrogate decodes to U+FFFD: the text is only compared.
func (d *decoder) unicodeEscape() (rune, error) {
	r, ok := d.hex4()
	if !ok {
		return 0, d.fail("invalid \\u escape")
	}
	if utf16.IsSurrogate(r) && r < 0xdc00 && d.pos+1 < len(d.src) && d.src[d.pos] == '\\' && d.src[d.pos+1] == 'u' {
		save := d.pos
		d.pos += 2
		if r2, ok := d.hex4(); ok && r2 >= 0xdc00 && r2 <= 0xdfff {
			return utf16.DecodeRune(r, r2), nil
		}
		d.pos = save
	}
	return r, nil
}

func (d *decoder) hex4() (rune, bool) {
	if d.pos+4 > len(d.src) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(d.src[d.pos:d.pos+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	d.pos += 4
	return rune(v), true
}
