package jinja

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind uint8

const (
	tName tokKind = iota
	tString
	tNumber
	tOp
)

// token is one lexeme inside a {{ }} or {% %} block. For strings, text is
// the decoded value (escapes resolved), as Jinja itself would see it.
type token struct {
	kind tokKind
	text string
	off  int
}

// block is one {{ }} (expr) or {% %} (statement) block. start and end are
// byte offsets of the delimiters in the source, end exclusive.
type block struct {
	stmt       bool
	toks       []token
	start, end int
	// pre is the template data between the previous block and this one,
	// as Jinja outputs it: comments dropped, raw blocks' contents kept
	// (whitespace control not applied).
	pre string
}

// lexed is a template split into blocks. failAt is the offset where lexing
// stopped on a syntax error (an unclosed block, comment or string), or -1.
type lexed struct {
	blocks []block
	failAt int
	tail   string // data after the last block
}

// maxTokens bounds the work on one template.
const maxTokens = 1 << 20

// lex splits src into blocks the way Jinja's default lexer does: data is
// skipped, comments dropped, raw blocks kept as data.
func lex(src string) lexed {
	out := lexed{failAt: -1}
	pos, ntok := 0, 0
	var data strings.Builder
	for pos < len(src) {
		i := nextOpen(src, pos)
		if i < 0 {
			break
		}
		data.WriteString(src[pos:i])
		switch src[i+1] {
		case '#':
			j := strings.Index(src[i+2:], "#}")
			if j < 0 {
				out.failAt = i
				return out
			}
			pos = i + 2 + j + 2
			continue
		}
		b, ok := lexBlock(src, i)
		ntok += len(b.toks)
		if !ok || ntok > maxTokens {
			out.failAt = i
			return out
		}
		if b.stmt && len(b.toks) > 0 && b.toks[0].kind == tName && b.toks[0].text == "raw" {
			tag, end := findEndRaw(src, b.end)
			if end < 0 {
				out.failAt = i
				return out
			}
			data.WriteString(src[b.end:tag])
			pos = end
			continue
		}
		b.pre = data.String()
		data.Reset()
		out.blocks = append(out.blocks, b)
		pos = b.end
	}
	if pos < len(src) {
		data.WriteString(src[pos:])
	}
	out.tail = data.String()
	return out
}

// nextOpen returns the index of the next "{{", "{%" or "{#" at or after pos.
func nextOpen(src string, pos int) int {
	for {
		j := strings.IndexByte(src[pos:], '{')
		if j < 0 || pos+j+1 >= len(src) {
			return -1
		}
		k := pos + j
		if c := src[k+1]; c == '{' || c == '%' || c == '#' {
			return k
		}
		pos = k + 1
	}
}

// findEndRaw finds {% endraw %} (with optional whitespace control) after
// pos and returns its offset and the offset just past it, or -1, -1.
func findEndRaw(src string, pos int) (int, int) {
	for {
		j := strings.Index(src[pos:], "{%")
		if j < 0 {
			return -1, -1
		}
		p := pos + j + 2
		if p < len(src) && (src[p] == '-' || src[p] == '+') {
			p++
		}
		p = skipSpace(src, p)
		if strings.HasPrefix(src[p:], "endraw") {
			q := skipSpace(src, p+6)
			if q < len(src) && (src[q] == '-' || src[q] == '+') {
				q++
			}
			if strings.HasPrefix(src[q:], "%}") {
				return pos + j, q + 2
			}
		}
		pos = pos + j + 2
	}
}

func skipSpace(src string, p int) int {
	for p < len(src) && isSpace(src[p]) {
		p++
	}
	return p
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// lexBlock tokenises the block opening at i ("{{" or "{%"). Like Jinja, the
// closing delimiter only counts outside brackets.
func lexBlock(src string, i int) (block, bool) {
	b := block{stmt: src[i+1] == '%', start: i}
	closer := byte('}')
	if b.stmt {
		closer = '%'
	}
	p := i + 2
	if p < len(src) && (src[p] == '-' || src[p] == '+') {
		p++
	}
	depth := 0
	for {
		p = skipSpace(src, p)
		if p >= len(src) {
			return b, false
		}
		if depth == 0 {
			if end, ok := atClose(src, p, closer); ok {
				b.end = end
				return b, true
			}
		}
		t, next, ok := lexToken(src, p)
		if !ok {
			return b, false
		}
		depth = trackDepth(t, depth)
		b.toks = append(b.toks, t)
		p = next
	}
}

// atClose reports whether a closing delimiter ("}}" or "%}", optionally
// preceded by - or +) starts at p.
func atClose(src string, p int, closer byte) (int, bool) {
	q := p
	if src[q] == '-' || src[q] == '+' {
		q++
	}
	if q+1 < len(src) && src[q] == closer && src[q+1] == '}' {
		return q + 2, true
	}
	return 0, false
}

func trackDepth(t token, depth int) int {
	if t.kind != tOp {
		return depth
	}
	switch t.text {
	case "(", "[", "{":
		return depth + 1
	case ")", "]", "}":
		if depth > 0 {
			return depth - 1
		}
	}
	return depth
}

var twoCharOps = []string{"**", "//", "==", "!=", ">=", "<="}

// lexToken reads one token at p (not whitespace).
func lexToken(src string, p int) (token, int, bool) {
	c := src[p]
	switch {
	case c == '\'' || c == '"':
		s, next, ok := lexString(src, p)
		return token{kind: tString, text: s, off: p}, next, ok
	case c >= '0' && c <= '9':
		q := p + 1
		for q < len(src) && (isIdent(src[q]) || src[q] == '.' && q+1 < len(src) && isDigit(src[q+1])) {
			q++
		}
		return token{kind: tNumber, text: src[p:q], off: p}, q, true
	case isIdentStart(src, p):
		q := p
		for q < len(src) && isIdentStart(src, q) || q < len(src) && isDigit(src[q]) {
			_, n := utf8.DecodeRuneInString(src[q:])
			q += n
		}
		return token{kind: tName, text: src[p:q], off: p}, q, true
	}
	for _, op := range twoCharOps {
		if strings.HasPrefix(src[p:], op) {
			return token{kind: tOp, text: op, off: p}, p + 2, true
		}
	}
	_, n := utf8.DecodeRuneInString(src[p:])
	return token{kind: tOp, text: src[p : p+n], off: p}, p + n, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdent(c byte) bool {
	return c == '_' || isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// isIdentStart accepts ASCII letters, '_' and Unicode letters, as Jinja's
// name pattern does.
func isIdentStart(src string, p int) bool {
	c := src[p]
	if c < utf8.RuneSelf {
		return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	r, _ := utf8.DecodeRuneInString(src[p:])
	return unicode.IsLetter(r)
}

// lexString reads a quoted literal at p and decodes its escapes.
func lexString(src string, p int) (string, int, bool) {
	q := src[p]
	i := p + 1
	for i < len(src) {
		switch src[i] {
		case '\\':
			i += 2
			continue
		case q:
			return unescape(src[p+1 : i]), i + 1, true
		}
		i++
	}
	return "", len(src), false
}
