package h1

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

const (
	maxFields  = 100 // field lines per header or trailer section
	maxInterim = 8   // 1xx responses skipped before the final one
)

// Response is an upstream's final answer, read completely.
type Response struct {
	Status int
	// Proto is "HTTP/1.1" or "HTTP/1.0".
	Proto string
	// Body is the whole body; the caller owns it.
	Body []byte
	// header holds the validated field lines as received, for Header.
	header []byte
}

// Header returns the value of the first field named name (compared
// case-insensitively), without surrounding whitespace, or "". Fields are
// kept raw and looked up on demand because the gateway rarely needs any:
// that saves a map and a string per field on every response.
func (r *Response) Header(name string) string {
	b := r.header
	for len(b) > 0 {
		var line []byte
		line, b = nextLine(b)
		colon := bytes.IndexByte(line, ':')
		if colon > 0 && len(line[:colon]) == len(name) && bytes.EqualFold(line[:colon], []byte(name)) {
			return string(trimOWS(line[colon+1:]))
		}
	}
	return ""
}

// reader parses responses from one connection; its buffers are reused
// from one response to the next.
type reader struct {
	br        *bufio.Reader
	maxHeader int
	head      []byte // the current header section
}

// bodyKind is how a body's end was found (RFC 9112, section 6.3).
type bodyKind int

const (
	bodyNone bodyKind = iota
	bodyLength
	bodyChunked
	bodyClose
)

// readResponse reads interim responses and the final one to a request
// with this method. keep says the connection may carry another request.
func (r *reader) readResponse(method string, maxBody int64) (*Response, bool, error) {
	resp, _, keep, err := r.read(method, maxBody)
	return resp, keep, err
}

func (r *reader) read(method string, maxBody int64) (*Response, bodyKind, bool, error) {
	for interim := 0; ; interim++ {
		head, err := r.readHead()
		if err != nil {
			return nil, 0, false, err
		}
		line, fields := nextLine(head)
		code, proto10, err := parseStatusLine(line)
		if err != nil {
			return nil, 0, false, err
		}
		fr, err := parseFields(fields, proto10)
		if err != nil {
			return nil, 0, false, err
		}
		if code >= 200 {
			return r.final(method, code, proto10, fr, fields, maxBody)
		}
		if code == 101 {
			return nil, 0, false, fmt.Errorf("%w: 101 Switching Protocols to a request that asked for no upgrade", ErrMalformed)
		}
		if interim >= maxInterim {
			return nil, 0, false, fmt.Errorf("%w: more than %d interim (1xx) responses", ErrMalformed, maxInterim)
		}
	}
}

// final reads the body of a final response and decides on reuse.
func (r *reader) final(method string, code int, proto10 bool, fr framing, fields []byte, maxBody int64) (*Response, bodyKind, bool, error) {
	kind := fr.kind(method, code)
	body, header, err := r.readBody(kind, fr.length, maxBody, fields)
	if err != nil {
		return nil, kind, false, err
	}
	resp := &Response{Status: code, Proto: "HTTP/1.1", Body: body, header: header}
	if proto10 {
		resp.Proto = "HTTP/1.0"
	}
	// Bytes already waiting after a complete response were not asked
	// for: reusing the connection would pair them with the next request.
	keep := !proto10 && !fr.close && kind != bodyClose && r.br.Buffered() == 0
	return resp, kind, keep, nil
}

// readHead reads a status line and field lines up to the empty line,
// within maxHeader bytes and maxFields lines.
func (r *reader) readHead() ([]byte, error) {
	h := r.head[:0]
	start, lines := 0, 0
	for {
		part, err := r.br.ReadSlice('\n')
		if len(h)+len(part) > r.maxHeader {
			return nil, fmt.Errorf("%w: header section longer than %d bytes", ErrMalformed, r.maxHeader)
		}
		h = append(h, part...)
		r.head = h
		if err == bufio.ErrBufferFull {
			continue // the line goes on
		}
		if err != nil {
			return nil, unexpectedEOF(err)
		}
		if lines++; lines > maxFields+2 {
			return nil, fmt.Errorf("%w: more than %d header fields", ErrMalformed, maxFields)
		}
		if line, _ := nextLine(h[start:]); len(line) == 0 && lines > 1 {
			return h, nil
		}
		start = len(h)
	}
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// nextLine splits off one line, without its LF or CRLF. RFC 9112, section
// 2.2, lets a recipient accept a bare LF; a bare CR elsewhere is caught
// by the character checks of whatever the line holds.
func nextLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return b, nil
	}
	line, rest = b[:i], b[i+1:]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, rest
}
