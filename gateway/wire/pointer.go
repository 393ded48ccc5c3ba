package wire

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Pointer is a parsed RFC 6901 JSON Pointer: its reference tokens with
// the "~1" and "~0" escapes undone. The empty Pointer is the whole
// document.
type Pointer []string

// Bounds on a pointer: configuration, not traffic, but still input.
const (
	maxPointerLen    = 1024
	maxPointerTokens = maxDepth
)

// ParsePointer parses s per RFC 6901, section 3: "" or a sequence of
// "/"-prefixed tokens in which "~" is only ever followed by "0" or "1".
func ParsePointer(s string) (Pointer, error) {
	if len(s) > maxPointerLen {
		return nil, fmt.Errorf("json pointer: longer than %d bytes", maxPointerLen)
	}
	if s == "" {
		return Pointer{}, nil
	}
	if s[0] != '/' {
		return nil, fmt.Errorf("json pointer %q: does not start with '/'", clip(s))
	}
	parts := strings.Split(s[1:], "/")
	if len(parts) > maxPointerTokens {
		return nil, fmt.Errorf("json pointer %q: more than %d tokens", clip(s), maxPointerTokens)
	}
	p := make(Pointer, len(parts))
	for i, t := range parts {
		u, err := unescapeToken(t)
		if err != nil {
			return nil, fmt.Errorf("json pointer %q: %w", clip(s), err)
		}
		p[i] = u
	}
	return p, nil
}

// unescapeToken undoes "~1" then "~0", the order section 4 prescribes so
// that "~01" is "~1" and not "/".
func unescapeToken(t string) (string, error) {
	for i := 0; i < len(t); i++ {
		if t[i] == '~' && (i+1 == len(t) || (t[i+1] != '0' && t[i+1] != '1')) {
			return "", errors.New("'~' not followed by '0' or '1'")
		}
	}
	if !strings.Contains(t, "~") {
		return t, nil
	}
	return strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~"), nil
}

// String is the pointer's RFC 6901 form.
func (p Pointer) String() string {
	var sb strings.Builder
	for _, t := range p {
		sb.WriteByte('/')
		sb.WriteString(strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1"))
	}
	return sb.String()
}

// arrayIndex reads a token as an array index per section 4: "0" or
// digits without a leading zero; "-" (past the end) names no element.
func arrayIndex(t string) (int, bool) {
	if t == "" || len(t) > 9 || (len(t) > 1 && t[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(t)
	return n, err == nil
}

// Find returns the span doc[start:end] of the value p refers to in the
// JSON document doc, or an error naming the first token that refers to
// nothing. doc must be valid JSON (it is read only as far as needed).
func (p Pointer) Find(doc []byte) (start, end int, err error) {
	i := ws(doc, 0)
	for n, t := range p {
		if i, err = child(doc, i, n, t); err != nil {
			return 0, 0, fmt.Errorf("json pointer %q: %w", clip(p[:n+1].String()), err)
		}
	}
	end, err = skipValue(doc, i, len(p))
	return i, end, err
}

// child returns the offset of member or element t of the container at i.
func child(doc []byte, i, depth int, t string) (int, error) {
	if i >= len(doc) {
		return 0, errors.New("unexpected end of JSON")
	}
	found := -1
	switch doc[i] {
	case '{':
		_, err := eachMember(doc, i, depth, func(b []byte, ks, ke int, esc bool, vs int) (int, error) {
			if keyIs(b, ks, ke, esc, t) {
				if found >= 0 {
					// RFC 6901 leaves duplicates undefined; two
					// parsers could pick different ones.
					return 0, errors.New("member appears twice")
				}
				found = vs
			}
			return skipValue(b, vs, depth+1)
		})
		if err != nil {
			return 0, err
		}
		if found < 0 {
			return 0, errNoMember
		}
	case '[':
		k, ok := arrayIndex(t)
		if !ok {
			return 0, errors.New("not an array index")
		}
		_, err := eachElem(doc, i, depth, func(idx, vs int) (int, error) {
			if idx == k {
				found = vs
			}
			return skipValue(doc, vs, depth+1)
		})
		if err != nil {
			return 0, err
		}
		if found < 0 {
			return 0, errors.New("index past the end of the array")
		}
	default:
		return 0, errors.New("not an object or array")
	}
	return found, nil
}

var errNoMember = errors.New("no such member")

// clip keeps configuration strings in errors short.
func clip(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}
