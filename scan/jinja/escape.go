package jinja

import (
	"strconv"
	"strings"
)

// unknownRune stands for a character (or run of characters) whose value is
// not known statically. Dangerous-name checks treat it as a wildcard.
const unknownRune = '\x00'

const unknownStr = "\x00"

// unescape decodes a Jinja string literal body. Jinja runs literals through
// Python's "unicode-escape" codec, so \xhh, \uhhhh, \Uhhhhhhhh, octal and
// \N{NAME} all spell characters; they are a classic way to hide "__" from
// text filters.
func unescape(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			i++
			continue
		}
		i = unescapeOne(&b, s, i+1)
	}
	return b.String()
}

var simpleEscapes = map[byte]string{
	'n': "\n", 't': "\t", 'r': "\r", '\\': "\\", '\'': "'", '"': "\"",
	'a': "\a", 'b': "\b", 'f': "\f", 'v': "\v", '\n': "",
}

// unescapeOne decodes the escape whose letter is at s[i] and returns the
// index after it.
func unescapeOne(b *strings.Builder, s string, i int) int {
	c := s[i]
	if r, ok := simpleEscapes[c]; ok {
		b.WriteString(r)
		return i + 1
	}
	switch c {
	case 'x':
		return hexEscape(b, s, i, 2)
	case 'u':
		return hexEscape(b, s, i, 4)
	case 'U':
		return hexEscape(b, s, i, 8)
	case 'N':
		return namedEscape(b, s, i)
	}
	if c >= '0' && c <= '7' {
		j := i
		for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
			j++
		}
		v, _ := strconv.ParseUint(s[i:j], 8, 32)
		b.WriteRune(rune(v))
		return j
	}
	b.WriteByte('\\')
	b.WriteByte(c)
	return i + 1
}

func hexEscape(b *strings.Builder, s string, i, n int) int {
	if i+1+n > len(s) {
		b.WriteString(unknownStr)
		return len(s)
	}
	v, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32)
	if err != nil {
		b.WriteString(unknownStr)
		return i + 1
	}
	b.WriteRune(rune(v))
	return i + 1 + n
}

// namedEscape handles \N{...}. Only the names that spell identifier
// characters matter here; any other name becomes a wildcard.
func namedEscape(b *strings.Builder, s string, i int) int {
	if i+1 >= len(s) || s[i+1] != '{' {
		b.WriteString(unknownStr)
		return i + 1
	}
	end := strings.IndexByte(s[i:], '}')
	if end < 0 {
		b.WriteString(unknownStr)
		return len(s)
	}
	name := strings.ToUpper(s[i+2 : i+end])
	b.WriteString(unicodeName(name))
	return i + end + 1
}

func unicodeName(name string) string {
	switch {
	case name == "LOW LINE":
		return "_"
	case name == "FULL STOP":
		return "."
	case len(name) == len("LATIN SMALL LETTER A") && strings.HasPrefix(name, "LATIN SMALL LETTER "):
		return strings.ToLower(name[len(name)-1:])
	case len(name) == len("LATIN CAPITAL LETTER A") && strings.HasPrefix(name, "LATIN CAPITAL LETTER "):
		return name[len(name)-1:]
	case strings.HasPrefix(name, "DIGIT "):
		digits := map[string]string{"ZERO": "0", "ONE": "1", "TWO": "2", "THREE": "3", "FOUR": "4",
			"FIVE": "5", "SIX": "6", "SEVEN": "7", "EIGHT": "8", "NINE": "9"}
		if d, ok := digits[name[6:]]; ok {
			return d
		}
	}
	return unknownStr
}
