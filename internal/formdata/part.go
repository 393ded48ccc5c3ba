package formdata

import (
	"bytes"
	"io"
	"net/textproto"
)

// Part is one part of a body. Its data is read with Read; NextPart skips
// whatever was left unread.
type Part struct {
	Header textproto.MIMEHeader

	r         *Reader
	total     int64 // data bytes returned so far
	safe      int   // buf[r.r:r.r+safe] is certainly data
	atDelim   bool  // a delimiter starts at buf[r.r+safe]
	unscanned bool  // buf holds bytes the scan has not classified
	err       error // sticky: io.EOF at the end of the part, or a failure
}

// Read reads the part's data. It returns io.EOF only after the boundary
// line that ends the part has been read and found well formed, and
// io.ErrUnexpectedEOF if the body ends first.
//
// A read at least as large as the Reader's buffer goes straight from the
// underlying reader into p: the delimiter is looked for there, and only
// the bytes past the part's certain data are copied aside.
func (p *Part) Read(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	if len(b) == 0 {
		return 0, nil
	}
	r := p.r
	for {
		switch {
		case p.safe > 0:
			n := copy(b, r.buf[r.r:r.r+p.safe])
			p.consume(n)
			return n, nil
		case p.atDelim:
			p.err = p.end()
			return 0, p.err
		case p.unscanned:
			p.scan()
		case r.srcErr != nil:
			p.err = unexpected(r.srcErr)
			return 0, p.err
		case len(b) >= r.direct:
			if n := p.readDirect(b); n > 0 {
				return n, nil
			}
		default:
			r.fill()
			p.unscanned = true
		}
	}
}

// Close skips the rest of the part. It is optional: NextPart does it too.
func (p *Part) Close() error {
	return p.drain()
}

// drain consumes the part's remaining data without copying it anywhere,
// and returns nil if the part ended well.
func (p *Part) drain() error {
	r := p.r
	for p.err == nil {
		switch {
		case p.safe > 0:
			p.consume(p.safe)
		case p.atDelim:
			p.err = p.end()
		case p.unscanned:
			p.scan()
		case r.srcErr != nil:
			p.err = unexpected(r.srcErr)
		default:
			r.fill()
			p.unscanned = true
		}
	}
	if p.err == io.EOF {
		return nil
	}
	return p.err
}

func (p *Part) consume(n int) {
	p.r.r += n
	p.safe -= n
	p.total += int64(n)
}

// end checks the boundary line at the delimiter; NextPart consumes it.
func (p *Part) end() error {
	if _, err := p.r.boundaryAfterPart(false); err != nil {
		return err
	}
	return io.EOF
}

// scan classifies the buffered bytes.
func (p *Part) scan() {
	r := p.r
	p.safe, p.atDelim = r.scan(r.buf[r.r:r.w])
	p.unscanned = false
}

// readDirect reads from src into b, after the few buffered bytes that may
// begin a delimiter, until some bytes are certainly data, a delimiter is
// found or src fails. It returns the number of data bytes now at the start
// of b; the bytes after them go back into the Reader's buffer.
func (p *Part) readDirect(b []byte) int {
	r := p.r
	t := copy(b, r.buf[r.r:r.w])
	r.r, r.w = 0, 0
	for range 100 {
		n, err := r.src.Read(b[t:])
		t += n
		safe, found := r.scan(b[:t])
		if safe > 0 || found || err != nil || t == len(b) {
			r.keep(b[safe:t])
			p.total += int64(safe)
			p.atDelim = found
			r.srcErr = err
			return safe
		}
	}
	r.keep(b[:t])
	r.srcErr = io.ErrNoProgress
	return 0
}

// scan returns how many leading bytes of b are certainly part data, and
// whether a delimiter starts right after them. If none does, the bytes
// after them might begin one and need more input to tell.
func (r *Reader) scan(b []byte) (safe int, found bool) {
	from := 0
	for {
		i := bytes.Index(b[from:], r.delim)
		if i < 0 {
			break
		}
		i += from
		switch confirm(b[i:], r.delim) {
		case yes:
			return i, true
		case maybe:
			return i, false
		}
		// "\r\n--boundaryX" is data. A boundary holds no CR, so the next
		// delimiter cannot start inside this one.
		from = i + len(r.delim)
	}
	// Keep a tail that may be the start of a delimiter: it starts with the
	// delimiter's CR, the only CR in it.
	start := max(from, len(b)-len(r.delim)+1)
	if j := bytes.LastIndexByte(b[start:], '\r'); j >= 0 && bytes.HasPrefix(r.delim, b[start+j:]) {
		return start + j, false
	}
	return len(b), false
}

type match int

const (
	no match = iota
	yes
	maybe // b is too short to tell
)

// confirm reports whether b starts with prefix followed by what may follow
// a boundary: "--", transport padding, CR or LF. Anything else makes the
// prefix data, as mime/multipart does.
func confirm(b, prefix []byte) match {
	if !bytes.HasPrefix(b, prefix) {
		if bytes.HasPrefix(prefix, b) {
			return maybe
		}
		return no
	}
	rest := b[len(prefix):]
	switch {
	case len(rest) == 0:
		return maybe
	case rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\r' || rest[0] == '\n':
		return yes
	case rest[0] != '-':
		return no
	case len(rest) == 1:
		return maybe
	case rest[1] == '-':
		return yes
	}
	return no
}
