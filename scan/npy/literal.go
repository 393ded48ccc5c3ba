package npy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// kind is the type of a parsed Python literal.
type kind int

const (
	kindStr kind = iota
	kindInt
	kindFloat
	kindBool
	kindNone
	kindList
	kindTuple
	kindDict
)

func (k kind) String() string {
	return [...]string{"string", "integer", "float", "boolean", "None", "list", "tuple", "dict"}[k]
}

// value is a parsed Python literal. Dicts keep their items as key, value
// pairs in items, in source order.
type value struct {
	kind  kind
	str   string
	num   int64 // integers; booleans as 0 and 1
	big   bool  // an integer past 64 bits (num is then 0)
	items []value
}

// parser reads the Python literal subset found in .npy headers: dicts,
// lists, tuples, strings, integers, True, False and None, with comments,
// line continuations and adjacent string concatenation, as Python's
// ast.literal_eval (which NumPy uses) would accept them. Every step
// consumes input or returns, and nesting is capped, so parsing is linear
// in the header length.
type parser struct {
	s        string
	i        int
	depth    int
	maxDepth int
}

// parseLiteral parses s, which must hold exactly one literal.
func parseLiteral(s string, maxDepth int) (value, error) {
	p := &parser{s: s, maxDepth: maxDepth}
	v, err := p.value()
	if err != nil {
		return value{}, err
	}
	p.space()
	if p.i != len(p.s) {
		return value{}, p.errorf("unexpected %s after the literal", p.what())
	}
	return v, nil
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("at offset %d: %s", p.i, fmt.Sprintf(format, args...))
}

// what describes the next input for an error message.
func (p *parser) what() string {
	if p.i >= len(p.s) {
		return "end of header"
	}
	r, _ := utf8.DecodeRuneInString(p.s[p.i:])
	return strconv.QuoteRune(r)
}

// space skips whitespace, comments and backslash line continuations.
func (p *parser) space() {
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			p.i++
		case c == '#':
			for p.i < len(p.s) && p.s[p.i] != '\n' {
				p.i++
			}
		case c == '\\' && strings.HasPrefix(p.s[p.i+1:], "\n"):
			p.i += 2
		case c == '\\' && strings.HasPrefix(p.s[p.i+1:], "\r\n"):
			p.i += 3
		default:
			return
		}
	}
}

func (p *parser) value() (value, error) {
	p.space()
	if p.i >= len(p.s) {
		return value{}, p.errorf("the header ends where a value was expected")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.container('{', '}', kindDict)
	case c == '[':
		return p.container('[', ']', kindList)
	case c == '(':
		return p.container('(', ')', kindTuple)
	case c == '\'' || c == '"':
		return p.strings()
	case c == '-' || c == '+' || (c >= '0' && c <= '9'):
		return p.number()
	case c == '.' && p.i+1 < len(p.s) && p.s[p.i+1] >= '0' && p.s[p.i+1] <= '9':
		return p.number()
	case isIdentStart(c):
		return p.word()
	}
	return value{}, p.errorf("unexpected %s where a value was expected", p.what())
}

// container parses a dict, list or tuple; a parenthesised single value
// without a trailing comma is that value, as in Python.
func (p *parser) container(open, close byte, k kind) (value, error) {
	if p.depth >= p.maxDepth {
		return value{}, p.errorf("nesting deeper than %d levels", p.maxDepth)
	}
	p.depth++
	defer func() { p.depth-- }()
	p.i++ // the opening bracket
	v := value{kind: k}
	sawComma := false
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == close {
			p.i++
			if k == kindTuple && len(v.items) == 1 && !sawComma {
				return v.items[0], nil
			}
			return v, nil
		}
		if len(v.items) > 0 && !sawComma {
			return value{}, p.errorf("expected ',' or %q, found %s", close, p.what())
		}
		if err := p.element(&v); err != nil {
			return value{}, err
		}
		p.space()
		sawComma = p.i < len(p.s) && p.s[p.i] == ','
		if sawComma {
			p.i++
		}
	}
}

// element appends one item, or for a dict one key and its value.
func (p *parser) element(v *value) error {
	item, err := p.value()
	if err != nil {
		return err
	}
	v.items = append(v.items, item)
	if v.kind != kindDict {
		return nil
	}
	p.space()
	if p.i >= len(p.s) || p.s[p.i] != ':' {
		return p.errorf("expected ':' after a dict key, found %s", p.what())
	}
	p.i++
	val, err := p.value()
	if err != nil {
		return err
	}
	v.items = append(v.items, val)
	return nil
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// word parses True, False, None, or a string with a b, u or r prefix.
func (p *parser) word() (value, error) {
	start := p.i
	for p.i < len(p.s) && (isIdentStart(p.s[p.i]) || (p.s[p.i] >= '0' && p.s[p.i] <= '9')) {
		p.i++
	}
	w := p.s[start:p.i]
	if p.i < len(p.s) && (p.s[p.i] == '\'' || p.s[p.i] == '"') && isStringPrefix(w) {
		p.i = start
		return p.strings()
	}
	switch w {
	case "True":
		return value{kind: kindBool, num: 1}, nil
	case "False":
		return value{kind: kindBool}, nil
	case "None":
		return value{kind: kindNone}, nil
	}
	p.i = start
	return value{}, p.errorf("name %q is not a literal", w)
}

func isStringPrefix(w string) bool {
	switch strings.ToLower(w) {
	case "u", "b", "r", "br", "rb":
		return true
	}
	return false
}

// strings parses one string and any adjacent ones, which Python joins.
func (p *parser) strings() (value, error) {
	var sb strings.Builder
	for {
		s, err := p.str()
		if err != nil {
			return value{}, err
		}
		sb.WriteString(s)
		save := p.i
		p.space()
		if !p.atString() {
			p.i = save
			return value{kind: kindStr, str: sb.String()}, nil
		}
	}
}

// atString reports whether a string literal (maybe prefixed) starts here.
func (p *parser) atString() bool {
	j := p.i
	for j < len(p.s) && j-p.i < 2 && strings.IndexByte("uUbBrR", p.s[j]) >= 0 {
		j++
	}
	return j < len(p.s) && (p.s[j] == '\'' || p.s[j] == '"') && (j == p.i || isStringPrefix(p.s[p.i:j]))
}

// str parses one string literal: optional prefix, quotes (single, double
// or tripled), and escapes unless raw.
func (p *parser) str() (string, error) {
	raw := false
	for p.i < len(p.s) && p.s[p.i] != '\'' && p.s[p.i] != '"' {
		raw = raw || p.s[p.i] == 'r' || p.s[p.i] == 'R'
		p.i++
	}
	if p.i >= len(p.s) {
		return "", p.errorf("the header ends where a string was expected")
	}
	q := p.s[p.i : p.i+1]
	if strings.HasPrefix(p.s[p.i:], q+q+q) {
		q = q + q + q
	}
	p.i += len(q)
	var sb strings.Builder
	for {
		if p.i >= len(p.s) {
			return "", p.errorf("the header ends inside a string")
		}
		if strings.HasPrefix(p.s[p.i:], q) {
			p.i += len(q)
			return sb.String(), nil
		}
		c := p.s[p.i]
		if c == '\n' && len(q) == 1 {
			return "", p.errorf("line break inside a string")
		}
		if c == '\\' && !raw {
			if err := p.escape(&sb); err != nil {
				return "", err
			}
			continue
		}
		if c == '\\' && p.i+1 < len(p.s) {
			// A raw string keeps the backslash, and it still stops the
			// next character from closing the string.
			sb.WriteString(p.s[p.i : p.i+2])
			p.i += 2
			continue
		}
		sb.WriteByte(c)
		p.i++
	}
}

var simpleEscapes = map[byte]string{
	'\\': "\\", '\'': "'", '"': "\"", 'a': "\a", 'b': "\b", 'f': "\f",
	'n': "\n", 'r': "\r", 't': "\t", 'v': "\v", '\n': "",
}

// escape decodes one backslash escape at p.i into sb.
func (p *parser) escape(sb *strings.Builder) error {
	if p.i+1 >= len(p.s) {
		return p.errorf("the header ends inside a string escape")
	}
	c := p.s[p.i+1]
	if s, ok := simpleEscapes[c]; ok {
		sb.WriteString(s)
		p.i += 2
		return nil
	}
	switch c {
	case 'x':
		return p.hexEscape(sb, 2)
	case 'u':
		return p.hexEscape(sb, 4)
	case 'U':
		return p.hexEscape(sb, 8)
	case 'N':
		return p.errorf(`named escapes (\N{...}) are not supported`)
	}
	if c >= '0' && c <= '7' {
		n, j := 0, p.i+1
		for j < len(p.s) && j < p.i+4 && p.s[j] >= '0' && p.s[j] <= '7' {
			n = n*8 + int(p.s[j]-'0')
			j++
		}
		sb.WriteRune(rune(n))
		p.i = j
		return nil
	}
	// Python keeps unknown escapes as written, backslash included.
	sb.WriteByte('\\')
	p.i++
	return nil
}

func (p *parser) hexEscape(sb *strings.Builder, digits int) error {
	start := p.i + 2
	if start+digits > len(p.s) {
		return p.errorf("truncated \\%c escape", p.s[p.i+1])
	}
	n, err := strconv.ParseUint(p.s[start:start+digits], 16, 32)
	if err != nil || n > utf8.MaxRune {
		return p.errorf("invalid \\%c escape %q", p.s[p.i+1], p.s[start:start+digits])
	}
	sb.WriteRune(rune(n))
	p.i = start + digits
	return nil
}

// number parses a numeric literal after any unary signs: an integer
// (decimal, 0x, 0o or 0b, with underscores, and the 'L' suffix Python 2
// wrote, which NumPy strips) or a float or imaginary number, kept only as
// a kind since no header field may be one.
func (p *parser) number() (value, error) {
	neg := false
	for p.i < len(p.s) && (p.s[p.i] == '-' || p.s[p.i] == '+') {
		neg = neg != (p.s[p.i] == '-')
		p.i++
		p.space()
	}
	start := p.i
	p.scanNumber()
	tok := p.s[start:p.i]
	if v, ok := integer(tok, neg); ok {
		return v, nil
	}
	if pythonFloat(tok) {
		return value{kind: kindFloat}, nil
	}
	return value{}, p.errorf("malformed number %q", tok)
}

// scanNumber advances over a numeric token, including an exponent's sign.
func (p *parser) scanNumber() {
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		exponentSign := (c == '+' || c == '-') && p.i > start &&
			(p.s[p.i-1] == 'e' || p.s[p.i-1] == 'E') && !hasRadixPrefix(p.s[start:p.i])
		if !isIntChar(c) && c != '.' && !exponentSign {
			return
		}
		p.i++
	}
}

func hasRadixPrefix(tok string) bool {
	return len(tok) > 1 && tok[0] == '0' && strings.IndexByte("xXoObB", tok[1]) >= 0
}

// integer converts an integer token; one past 64 bits becomes a value
// marked big, which any use as a dimension refuses.
func integer(tok string, neg bool) (value, bool) {
	if strings.HasSuffix(tok, "l") || strings.HasSuffix(tok, "L") {
		tok = tok[:len(tok)-1]
	}
	if !pythonInt(tok) {
		return value{}, false
	}
	if neg {
		tok = "-" + tok
	}
	n, err := strconv.ParseInt(tok, 0, 64)
	if errors.Is(err, strconv.ErrRange) {
		return value{kind: kindInt, big: true}, true
	}
	return value{kind: kindInt, num: n}, err == nil
}

// pythonFloat reports whether tok is a Python float or imaginary literal:
// digits, at most one '.', an optional exponent, an optional 'j'.
func pythonFloat(tok string) bool {
	t := strings.TrimSuffix(strings.TrimSuffix(tok, "j"), "J")
	if t == "" || hasRadixPrefix(t) || strings.Trim(t, "0123456789_.eE+-") != "" {
		return false
	}
	// Without a point, exponent or j it would be an integer, and "010"
	// is an error in Python 3, not a float.
	if len(t) == len(tok) && !strings.ContainsAny(t, ".eE") {
		return false
	}
	if t[0] == '_' || t[len(t)-1] == '_' || strings.Contains(t, "__") {
		return false
	}
	_, err := strconv.ParseFloat(strings.ReplaceAll(t, "_", ""), 64)
	return err == nil || errors.Is(err, strconv.ErrRange)
}

// pythonInt rejects what Go's base-0 parsing accepts but Python 3 does
// not: a leading zero on a non-zero decimal ("010", octal in Go) and
// misplaced underscores. ParseInt checks the rest.
func pythonInt(text string) bool {
	if text == "" || text[0] == '_' || text[len(text)-1] == '_' || strings.Contains(text, "__") {
		return false
	}
	if len(text) > 1 && text[0] == '0' && text[1] >= '0' && text[1] <= '9' || len(text) > 1 && text[0] == '0' && text[1] == '_' {
		return strings.Trim(text, "0_") == ""
	}
	return true
}

func isIntChar(c byte) bool {
	return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// render writes v back as Python source, as repr would.
func render(v value) string {
	var sb strings.Builder
	renderTo(&sb, v)
	return sb.String()
}

func renderTo(sb *strings.Builder, v value) {
	switch v.kind {
	case kindStr:
		sb.WriteString(pyQuote(v.str))
	case kindInt:
		if v.big {
			sb.WriteString("<integer past 64 bits>")
		} else {
			sb.WriteString(strconv.FormatInt(v.num, 10))
		}
	case kindFloat:
		sb.WriteString("<float>")
	case kindBool:
		sb.WriteString(map[bool]string{true: "True", false: "False"}[v.num != 0])
	case kindNone:
		sb.WriteString("None")
	case kindDict:
		sb.WriteByte('{')
		for i := 0; i+1 < len(v.items); i += 2 {
			if i > 0 {
				sb.WriteString(", ")
			}
			renderTo(sb, v.items[i])
			sb.WriteString(": ")
			renderTo(sb, v.items[i+1])
		}
		sb.WriteByte('}')
	default:
		renderSeq(sb, v)
	}
}

func renderSeq(sb *strings.Builder, v value) {
	open, close := "[", "]"
	if v.kind == kindTuple {
		open, close = "(", ")"
	}
	sb.WriteString(open)
	for i, it := range v.items {
		if i > 0 {
			sb.WriteString(", ")
		}
		renderTo(sb, it)
	}
	if v.kind == kindTuple && len(v.items) == 1 {
		sb.WriteByte(',')
	}
	sb.WriteString(close)
}

// pyQuote quotes s like Python's repr: single quotes unless s holds a
// single quote and no double quote.
func pyQuote(s string) string {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	var sb strings.Builder
	sb.WriteByte(q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			sb.WriteByte('\\')
			sb.WriteRune(r)
		case r == '\n':
			sb.WriteString(`\n`)
		case r == '\r':
			sb.WriteString(`\r`)
		case r == '\t':
			sb.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&sb, `\x%02x`, r)
		default:
			sb.WriteRune(r)
		}
	}
	sb.WriteByte(q)
	return sb.String()
}
