package h1

import (
	"bytes"
	"fmt"
)

// maxLengthDigits keeps a Content-Length or chunk size far from overflow;
// no body this client accepts comes near 10^18 bytes.
const maxLengthDigits = 18

// parseStatusLine parses "HTTP/1.1 200 OK" (RFC 9112, section 4). The
// reason phrase may be absent, with or without its separating space.
func parseStatusLine(line []byte) (code int, proto10 bool, err error) {
	switch {
	case bytes.HasPrefix(line, []byte("HTTP/1.1 ")):
	case bytes.HasPrefix(line, []byte("HTTP/1.0 ")):
		proto10 = true
	default:
		return 0, false, fmt.Errorf("%w: status line %q is not HTTP/1.1 or HTTP/1.0", ErrMalformed, clip(line))
	}
	rest := line[len("HTTP/1.1 "):]
	if len(rest) < 3 || (len(rest) > 3 && rest[3] != ' ') || !isFieldValue(rest) {
		return 0, false, fmt.Errorf("%w: status line %q", ErrMalformed, clip(line))
	}
	for _, c := range rest[:3] {
		if c < '0' || c > '9' {
			return 0, false, fmt.Errorf("%w: status code %q", ErrMalformed, rest[:3])
		}
		code = code*10 + int(c-'0')
	}
	if code < 100 || code > 599 {
		return 0, false, fmt.Errorf("%w: status code %d out of range", ErrMalformed, code)
	}
	return code, proto10, nil
}

// framing is what the header section says about the body and the
// connection.
type framing struct {
	length  int64 // Content-Length, -1 when absent
	chunked bool  // Transfer-Encoding: chunked
	close   bool  // Connection: close
}

// kind applies RFC 9112, section 6.3, to a final response.
func (fr framing) kind(method string, code int) bodyKind {
	switch {
	case method == "HEAD" || code == 204 || code == 304:
		return bodyNone
	case fr.chunked:
		return bodyChunked
	case fr.length >= 0:
		return bodyLength
	}
	return bodyClose
}

// parseFields checks every field line of a header section and gathers
// the framing fields.
func parseFields(b []byte, proto10 bool) (framing, error) {
	fr := framing{length: -1}
	for n := 0; len(b) > 0; n++ {
		var line []byte
		line, b = nextLine(b)
		if len(line) == 0 {
			break
		}
		if n >= maxFields {
			return fr, fmt.Errorf("%w: more than %d header fields", ErrMalformed, maxFields)
		}
		name, value, err := parseFieldLine(line)
		if err != nil {
			return fr, err
		}
		if err := fr.apply(name, value); err != nil {
			return fr, err
		}
	}
	return fr, fr.check(proto10)
}

// parseFieldLine splits "name: value" (RFC 9112, section 5) and refuses
// obs-fold and whitespace before the colon, which parsers disagree on.
func parseFieldLine(line []byte) (name, value []byte, err error) {
	if line[0] == ' ' || line[0] == '\t' {
		return nil, nil, fmt.Errorf("%w: obsolete line folding", ErrMalformed)
	}
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return nil, nil, fmt.Errorf("%w: field line %q has no name", ErrMalformed, clip(line))
	}
	name = line[:colon]
	if c := name[len(name)-1]; c == ' ' || c == '\t' {
		return nil, nil, fmt.Errorf("%w: whitespace before the colon in %q", ErrMalformed, clip(name))
	}
	if !isToken(name) {
		return nil, nil, fmt.Errorf("%w: field name %q", ErrMalformed, clip(name))
	}
	value = trimOWS(line[colon+1:])
	if !isFieldValue(value) {
		return nil, nil, fmt.Errorf("%w: control character in field %q", ErrMalformed, clip(name))
	}
	return name, value, nil
}

func (fr *framing) apply(name, value []byte) error {
	switch {
	case equalFold(name, "content-length"):
		return fr.contentLength(value)
	case equalFold(name, "transfer-encoding"):
		if fr.chunked {
			return fmt.Errorf("%w: repeated Transfer-Encoding", ErrMalformed)
		}
		// Only a lone "chunked" is understood: the client asks for no
		// other coding, and guessing at a body's end is what smuggling
		// exploits (RFC 9112, section 6.3, item 4: fail closed).
		if !equalFold(value, "chunked") {
			return fmt.Errorf("%w: unsupported Transfer-Encoding %q", ErrMalformed, clip(value))
		}
		fr.chunked = true
	case equalFold(name, "connection"):
		for _, opt := range bytes.Split(value, []byte(",")) {
			if equalFold(trimOWS(opt), "close") {
				fr.close = true
			}
		}
	}
	return nil
}

// contentLength accepts one decimal, or a list or repetition of the same
// one (RFC 9110, section 8.6); different values are refused.
func (fr *framing) contentLength(value []byte) error {
	for {
		item, rest, more := bytes.Cut(value, []byte(","))
		n, ok := parseDecimal(trimOWS(item))
		if !ok {
			return fmt.Errorf("%w: invalid Content-Length %q", ErrMalformed, clip(item))
		}
		if fr.length >= 0 && fr.length != n {
			return fmt.Errorf("%w: conflicting Content-Length values", ErrMalformed)
		}
		fr.length = n
		if !more {
			return nil
		}
		value = rest
	}
}

// check refuses framings that two parsers could read two ways (RFC 9112,
// sections 6.1 and 6.3).
func (fr framing) check(proto10 bool) error {
	if fr.chunked && fr.length >= 0 {
		return fmt.Errorf("%w: both Content-Length and Transfer-Encoding", ErrMalformed)
	}
	if fr.chunked && proto10 {
		return fmt.Errorf("%w: Transfer-Encoding in an HTTP/1.0 response", ErrMalformed)
	}
	return nil
}

func parseDecimal(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > maxLengthDigits {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// clip shortens hostile bytes quoted in an error message.
func clip(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}
