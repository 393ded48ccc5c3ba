package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// maxDepth bounds the nesting of any JSON document the codecs read or
// accept as a template: the deepest legitimate answer (a TF Serving row
// object holding an array of probabilities) is 3 levels, and a bound keeps
// the recursive scanner's stack small whatever the upstream sends.
const maxDepth = 16

// The scanner below reads JSON (RFC 8259) in place, without building a
// tree: the gateway only needs a few members of each answer, and walking
// the bytes lets the hot path allocate nothing but its result. Every
// function takes the offset of the first byte of a value (after white
// space) and returns the offset just past it.

// syntaxError says where a document stops being what we accept, quoting at
// most snipLen bytes of it so that an error never carries the body.
type syntaxError struct {
	off int
	msg string
	at  string
}

const snipLen = 24

func (e *syntaxError) Error() string {
	if e.at == "" {
		return fmt.Sprintf("%s at offset %d", e.msg, e.off)
	}
	return fmt.Sprintf("%s at offset %d near %q", e.msg, e.off, e.at)
}

func synErr(b []byte, off int, msg string) error {
	end := min(len(b), off+snipLen)
	at := ""
	if off < len(b) {
		at = string(b[off:end])
	}
	return &syntaxError{off: off, msg: msg, at: at}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func ws(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// scanString validates the string starting at b[i] == '"' and reports
// whether it holds escapes (then its bytes are not its value).
func scanString(b []byte, i int) (end int, esc bool, err error) {
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j + 1, esc, nil
		case c < 0x20:
			return 0, false, synErr(b, j, "control character in string")
		case c == '\\':
			esc = true
			if j+1 >= len(b) {
				return 0, false, synErr(b, j, "unterminated escape")
			}
			j++
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(b) || !isHex4(b[j+1:j+5]) {
					return 0, false, synErr(b, j-1, "bad \\u escape")
				}
				j += 4
			default:
				return 0, false, synErr(b, j-1, "bad escape")
			}
		}
	}
	return 0, false, synErr(b, i, "unterminated string")
}

func isHex4(h []byte) bool {
	for _, c := range h {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// stringValue returns the value of the string b[i:end]; only strings with
// escapes allocate more than the result.
func stringValue(b []byte, i, end int, esc bool) (string, error) {
	if !esc {
		return string(b[i+1 : end-1]), nil
	}
	var s string
	if err := json.Unmarshal(b[i:end], &s); err != nil {
		return "", synErr(b, i, "bad string")
	}
	return s, nil
}

// keyIs reports whether the string b[i:end] has the value key.
func keyIs(b []byte, i, end int, esc bool, key string) bool {
	if !esc {
		return string(b[i+1:end-1]) == key
	}
	s, err := stringValue(b, i, end, esc)
	return err == nil && s == key
}

func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// scanNumber checks RFC 8259's number grammar: strconv alone would also
// take "0x1p3", "+1", "Inf" or "1_0".
func scanNumber(b []byte, i int) (int, error) {
	j := i
	if j < len(b) && b[j] == '-' {
		j++
	}
	switch {
	case j < len(b) && b[j] == '0':
		j++
	case j < len(b) && '1' <= b[j] && b[j] <= '9':
		j = digits(b, j)
	default:
		return 0, badValue(b, i)
	}
	if j < len(b) && b[j] == '.' {
		k := digits(b, j+1)
		if k == j+1 {
			return 0, synErr(b, i, "bad number")
		}
		j = k
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		k := digits(b, j)
		if k == j {
			return 0, synErr(b, i, "bad number")
		}
		j = k
	}
	return j, nil
}

// badValue names the non-JSON tokens TF Serving and Python emit for
// non-finite floats, so the operator sees why an answer was refused.
func badValue(b []byte, i int) error {
	for _, t := range []string{"NaN", "Infinity", "-Infinity", "inf", "-inf", "nan"} {
		if bytes.HasPrefix(b[i:], []byte(t)) {
			return synErr(b, i, "non-finite value "+t)
		}
	}
	if i >= len(b) {
		return synErr(b, i, "unexpected end of JSON")
	}
	return synErr(b, i, "invalid JSON value")
}

// parseFloat32 reads the number at b[i] rounded to float32, refusing
// overflow (which strconv maps to ±Inf).
func parseFloat32(b []byte, i int) (float32, int, error) {
	end, err := scanNumber(b, i)
	if err != nil {
		return 0, 0, err
	}
	v, err := strconv.ParseFloat(string(b[i:end]), 32)
	if err != nil {
		return 0, 0, synErr(b, i, "non-finite value (out of float32 range)")
	}
	return float32(v), end, nil
}

func literal(b []byte, i int, lit string) (int, error) {
	if !bytes.HasPrefix(b[i:], []byte(lit)) {
		return 0, badValue(b, i)
	}
	return i + len(lit), nil
}

// skipValue validates and steps over any value; depth counts the
// containers already open around it.
func skipValue(b []byte, i, depth int) (int, error) {
	if i >= len(b) {
		return 0, synErr(b, i, "unexpected end of JSON")
	}
	switch b[i] {
	case '{':
		return eachMember(b, i, depth, func(_ []byte, _ int, _ int, _ bool, vs int) (int, error) {
			return skipValue(b, vs, depth+1)
		})
	case '[':
		return eachElem(b, i, depth, func(_, vs int) (int, error) { return skipValue(b, vs, depth+1) })
	case '"':
		end, _, err := scanString(b, i)
		return end, err
	case 't':
		return literal(b, i, "true")
	case 'f':
		return literal(b, i, "false")
	case 'n':
		return literal(b, i, "null")
	}
	return scanNumber(b, i)
}

// memberFunc sees one member: the key is b[ks:ke] (quotes included), the
// value starts at vs; it returns the offset past the value.
type memberFunc func(b []byte, ks, ke int, esc bool, vs int) (int, error)

// eachMember walks the object at b[i] == '{' (opened at depth).
func eachMember(b []byte, i, depth int, fn memberFunc) (int, error) {
	if i >= len(b) || b[i] != '{' {
		return 0, synErr(b, i, "expected an object")
	}
	if depth >= maxDepth {
		return 0, synErr(b, i, fmt.Sprintf("nesting deeper than %d", maxDepth))
	}
	j := ws(b, i+1)
	if j < len(b) && b[j] == '}' {
		return j + 1, nil
	}
	for {
		if j >= len(b) || b[j] != '"' {
			return 0, expected(b, j, "a member name")
		}
		ke, esc, err := scanString(b, j)
		if err != nil {
			return 0, err
		}
		k := ws(b, ke)
		if k >= len(b) || b[k] != ':' {
			return 0, expected(b, k, "':'")
		}
		end, err := fn(b, j, ke, esc, ws(b, k+1))
		if err != nil {
			return 0, err
		}
		if j, err = next(b, ws(b, end), '}'); err != nil || j < 0 {
			return -j, err
		}
	}
}

// next steps over a ',' (returning the next item's offset) or the closing
// byte (returning minus the offset past it).
func next(b []byte, j int, closer byte) (int, error) {
	switch {
	case j < len(b) && b[j] == ',':
		return ws(b, j+1), nil
	case j < len(b) && b[j] == closer:
		return -(j + 1), nil
	}
	return 0, expected(b, j, "',' or '"+string(closer)+"'")
}

// expected reports a missing token, or the end of a truncated document.
func expected(b []byte, j int, what string) error {
	if j >= len(b) {
		return synErr(b, j, "unexpected end of JSON")
	}
	return synErr(b, j, "expected "+what)
}

// eachElem walks the array at b[i] == '[' (opened at depth); fn gets the
// element's index and offset.
func eachElem(b []byte, i, depth int, fn func(idx, vs int) (int, error)) (int, error) {
	if i >= len(b) || b[i] != '[' {
		return 0, synErr(b, i, "expected an array")
	}
	if depth >= maxDepth {
		return 0, synErr(b, i, fmt.Sprintf("nesting deeper than %d", maxDepth))
	}
	j := ws(b, i+1)
	if j < len(b) && b[j] == ']' {
		return j + 1, nil
	}
	for idx := 0; ; idx++ {
		end, err := fn(idx, j)
		if err != nil {
			return 0, err
		}
		if j, err = next(b, ws(b, end), ']'); err != nil || j < 0 {
			return -j, err
		}
	}
}

// document checks that b is one value (read by read from its first byte)
// and nothing but white space after it.
func document(b []byte, read func(i int) (int, error)) error {
	i := ws(b, 0)
	if i == len(b) {
		return errors.New("empty body")
	}
	end, err := read(i)
	if err != nil {
		return err
	}
	if j := ws(b, end); j != len(b) {
		return synErr(b, j, "data after the JSON value")
	}
	return nil
}
