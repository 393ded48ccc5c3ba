// Package formdata reads multipart/form-data bodies (RFC 7578) as
// defined by the multipart syntax of RFC 2046 §5.1.
//
// It exists because mime/multipart reads through its own 4 KiB buffer:
// every byte of a large part is copied into that buffer and then again
// into the caller's, 4 KiB at a time. Part.Read here reads from the
// underlying reader straight into a large caller buffer and looks for the
// delimiter in place with bytes.Index, keeping only the few bytes that
// might begin a delimiter split across reads. A multi-GB model upload
// therefore costs one copy and one fast scan per byte.
//
// Everything is bounded by Options: the bytes and lines of a part's
// header, the preamble, and the number of parts. A body that ends before
// its close delimiter is always io.ErrUnexpectedEOF, never a clean
// io.EOF: a part's Read reports io.EOF only once the delimiter line that
// follows it has been read and checked.
//
// Differences from mime/multipart, all deliberate strictness:
//   - line endings must be CRLF: a bare LF ending a boundary or header
//     line is ErrBareLF (mime/multipart switches to LF mode);
//   - obsolete header line folding is ErrObsFold;
//   - a space inside a header name is ErrHeaderSpace;
//   - a body truncated inside a part's header is io.ErrUnexpectedEOF
//     (mime/multipart may report a clean io.EOF there);
//   - the boundary must be 1 to 70 RFC 2046 bchars;
//   - Content-Transfer-Encoding is not decoded (RFC 7578 §4.7 deprecates
//     it; parts are returned raw, as multipart.Reader.NextRawPart does);
//   - the limits differ (see Options), and preamble lines may be longer
//     than mime/multipart's 4 KiB.
//
// Like mime/multipart it accepts transport padding (spaces and tabs) after
// a boundary, an epilogue after the close delimiter (never read), a first
// boundary with or without a preceding CRLF, and it reads a
// "\r\n--boundary" followed by anything other than "--", space, tab, CR or
// LF as part data.
//
// One difference is not strictness: mime/multipart also ends a part whose
// data starts with "--boundary" (no CRLF before it), which misreads what
// multipart.Writer writes for such data; here, as RFC 2046 says, only
// CRLF "--" boundary delimits.
package formdata

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/textproto"
)

// Options bound the resources a body may claim. Zero fields take the
// defaults.
type Options struct {
	MaxHeaderBytes int // bytes of one part's header section; default 16 KiB, at most 1 MiB
	MaxHeaderLines int // header lines of one part; default 64
	MaxParts       int // parts in a body; default 100,001
	MaxPreamble    int // bytes before the first boundary; default 64 KiB
}

const (
	defaultHeaderBytes = 16 << 10
	defaultHeaderLines = 64
	defaultParts       = 100_000 + 1 // files and a signature
	defaultPreamble    = 64 << 10
	maxBoundary        = 70 // RFC 2046 §5.1.1
)

func (o Options) withDefaults() Options {
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = defaultHeaderBytes
	}
	o.MaxHeaderBytes = min(o.MaxHeaderBytes, 1<<20)
	if o.MaxHeaderLines <= 0 {
		o.MaxHeaderLines = defaultHeaderLines
	}
	if o.MaxParts <= 0 {
		o.MaxParts = defaultParts
	}
	if o.MaxPreamble <= 0 {
		o.MaxPreamble = defaultPreamble
	}
	return o
}

// Errors. The strictness errors (ErrBareLF, ErrObsFold, ErrHeaderSpace)
// mark bodies mime/multipart would accept; all of them wrap ErrSyntax.
var (
	ErrSyntax          = errors.New("formdata: malformed multipart body")
	ErrBareLF          = fmt.Errorf("%w: line ends in a bare LF, not CRLF", ErrSyntax)
	ErrObsFold         = fmt.Errorf("%w: folded header line", ErrSyntax)
	ErrHeaderSpace     = fmt.Errorf("%w: space in a header name", ErrSyntax)
	ErrInvalidBoundary = errors.New("formdata: the boundary must be 1 to 70 RFC 2046 characters")
	ErrHeaderTooLarge  = errors.New("formdata: a part's header is too large")
	ErrTooManyHeaders  = errors.New("formdata: a part has too many header lines")
	ErrTooManyParts    = errors.New("formdata: too many parts")
	ErrPreambleTooLong = errors.New("formdata: the preamble is too long")
	errLineTooLong     = fmt.Errorf("%w: line too long", ErrSyntax)
)

// Reader iterates over the parts of one multipart body.
type Reader struct {
	src   io.Reader
	opt   Options
	dash  []byte // "--" boundary: starts a boundary line
	delim []byte // CRLF "--" boundary: ends a part's data

	// buf[r:w] holds bytes read from src and not yet consumed; srcErr is
	// the first error src returned, kept until those bytes are used up.
	buf    []byte
	r, w   int
	srcErr error

	part    *Part
	started bool  // the first boundary has been read
	parts   int   // parts returned so far
	err     error // sticky: io.EOF after the close delimiter, or a failure
	direct  int   // Part.Read bypasses buf for reads at least this large
}

// NewReader reads the body r, whose parts are separated by boundary.
// An invalid boundary is reported by the first NextPart.
func NewReader(r io.Reader, boundary string, opt Options) *Reader {
	opt = opt.withDefaults()
	size := max(opt.MaxHeaderBytes+512, 32<<10)
	rd := &Reader{
		src:    r,
		opt:    opt,
		dash:   []byte("--" + boundary),
		delim:  []byte("\r\n--" + boundary),
		buf:    make([]byte, size),
		direct: size,
	}
	if !validBoundary(boundary) {
		rd.err = ErrInvalidBoundary
	}
	return rd
}

// validBoundary applies RFC 2046 §5.1.1: 1 to 70 bchars, not ending in a
// space. Excluding CR and LF also guarantees that a delimiter cannot
// overlap itself, which the scan in Part.Read relies on.
func validBoundary(b string) bool {
	if len(b) == 0 || len(b) > maxBoundary || b[len(b)-1] == ' ' {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && !bytes.ContainsRune([]byte("'()+_,-./:=? "), rune(c)) {
			return false
		}
	}
	return true
}

// NextPart returns the next part, or io.EOF after the close delimiter. An
// unread rest of the previous part is skipped.
func (r *Reader) NextPart() (*Part, error) {
	if r.err != nil {
		return nil, r.err
	}
	p, err := r.nextPart()
	if err != nil {
		r.err = err
		r.part = nil
		return nil, err
	}
	r.part = p
	return p, nil
}

func (r *Reader) nextPart() (*Part, error) {
	var k kind
	var err error
	if r.part != nil {
		if err := r.part.drain(); err != nil {
			return nil, err
		}
		k, err = r.boundaryAfterPart(true)
	} else if !r.started {
		k, err = r.skipPreamble()
		r.started = true
	} else {
		return nil, ErrSyntax // unreachable: a failed part makes err sticky
	}
	if err != nil {
		return nil, err
	}
	if k == kindClose {
		return nil, io.EOF // the epilogue is ignored, and not even read
	}
	if r.parts++; r.parts > r.opt.MaxParts {
		return nil, ErrTooManyParts
	}
	h, err := r.readHeader()
	if err != nil {
		return nil, err
	}
	return &Part{Header: h, r: r, unscanned: true}, nil
}

// kind classifies a line that starts with "--" boundary.
type kind int

const (
	kindOther     kind = iota // not a boundary line
	kindDelim                 // "--boundary" padding CRLF
	kindClose                 // "--boundary--" padding (CRLF or end of body)
	kindBareLF                // a boundary line ending in LF alone
	kindTruncated             // the body ends inside the line
)

// classify reads a boundary line: line starts with r.dash and either ends
// in LF or is the last bytes of the body.
func (r *Reader) classify(line []byte) kind {
	rest := line[len(r.dash):]
	isClose := bytes.HasPrefix(rest, []byte("--"))
	if isClose {
		rest = rest[2:]
	}
	rest = bytes.TrimLeft(rest, " \t") // transport padding
	switch {
	case string(rest) == "\r\n" && isClose:
		return kindClose
	case string(rest) == "\r\n":
		return kindDelim
	case len(rest) == 0 && isClose:
		return kindClose
	case len(rest) == 0:
		return kindTruncated
	case string(rest) == "\n":
		return kindBareLF
	}
	return kindOther
}

// skipPreamble reads lines up to the first boundary line. A line that only
// looks like one ("--boundaryX") is preamble, as in mime/multipart.
func (r *Reader) skipPreamble() (kind, error) {
	seen := 0
	for {
		line, err := r.peekLine(0, len(r.buf))
		if errors.Is(err, errLineTooLong) {
			return 0, ErrPreambleTooLong
		}
		if bytes.HasPrefix(line, r.dash) {
			switch k := r.classify(line); k {
			case kindDelim, kindClose:
				r.r += len(line)
				return k, nil
			case kindBareLF:
				return 0, ErrBareLF
			}
		}
		if err != nil {
			return 0, unexpected(err)
		}
		r.r += len(line)
		if seen += len(line); seen > r.opt.MaxPreamble {
			return 0, ErrPreambleTooLong
		}
	}
}

// boundaryAfterPart reads the boundary line that ends a part: buf starts
// at the delimiter the part's scan found. With consume false it only
// checks the line, so that the part's Read can vouch for its end.
func (r *Reader) boundaryAfterPart(consume bool) (kind, error) {
	const off = 2 // the delimiter's CRLF, which the scan has seen
	line, err := r.peekLine(off, len(r.buf)-off)
	if errors.Is(err, errLineTooLong) {
		return 0, err
	}
	if !bytes.HasPrefix(line, r.dash) { // cannot happen after a scan
		return 0, ErrSyntax
	}
	switch k := r.classify(line); {
	case k == kindDelim || k == kindClose:
		if consume {
			r.r += off + len(line)
		}
		return k, nil
	case k == kindBareLF:
		return 0, ErrBareLF
	case err != nil: // the body ends inside the line: cut short
		return 0, unexpected(err)
	}
	return 0, fmt.Errorf("%w: text after a boundary", ErrSyntax)
}

// readHeader reads a part's header lines up to the blank line.
func (r *Reader) readHeader() (textproto.MIMEHeader, error) {
	h := make(textproto.MIMEHeader, 2)
	budget := r.opt.MaxHeaderBytes
	for lines := 0; ; lines++ {
		line, err := r.peekLine(0, budget)
		if errors.Is(err, errLineTooLong) {
			return nil, ErrHeaderTooLarge
		}
		if err != nil {
			return nil, unexpected(err)
		}
		r.r += len(line)
		budget -= len(line)
		if !bytes.HasSuffix(line, []byte("\r\n")) {
			return nil, ErrBareLF
		}
		line = line[:len(line)-2]
		if len(line) == 0 {
			return h, nil
		}
		if lines >= r.opt.MaxHeaderLines {
			return nil, ErrTooManyHeaders
		}
		if err := addHeader(h, line); err != nil {
			return nil, err
		}
	}
}

// addHeader parses one "Name: value" line (RFC 5322 §2.2 as restricted by
// RFC 7230 §3.2: no folding, no space before the colon).
func addHeader(h textproto.MIMEHeader, line []byte) error {
	if line[0] == ' ' || line[0] == '\t' {
		return ErrObsFold
	}
	name, value, ok := bytes.Cut(line, []byte(":"))
	if !ok || len(name) == 0 {
		return fmt.Errorf("%w: header line %q", ErrSyntax, line)
	}
	for _, c := range name {
		if c == ' ' {
			return ErrHeaderSpace
		}
		if !tokenByte(c) {
			return fmt.Errorf("%w: header name %q", ErrSyntax, name)
		}
	}
	value = bytes.Trim(value, " \t")
	for _, c := range value {
		if c < ' ' && c != '\t' || c == 0x7f {
			return fmt.Errorf("%w: control byte in header %q", ErrSyntax, name)
		}
	}
	h.Add(textproto.CanonicalMIMEHeaderKey(string(name)), string(value))
	return nil
}

// tokenByte reports whether c may appear in a header name (RFC 7230 tchar).
func tokenByte(c byte) bool {
	if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
		return true
	}
	return c < 0x80 && bytes.IndexByte([]byte("!#$%&'*+-.^_`|~"), c) >= 0
}

// peekLine returns the unconsumed bytes from buf[r.r+off] up to and
// including the next LF, reading more as needed. If the body ends first
// it returns what is left and the read error; a line longer than max is
// errLineTooLong.
func (r *Reader) peekLine(off, max int) ([]byte, error) {
	scanned := 0
	for {
		rest := r.buf[r.r+off : r.w]
		if i := bytes.IndexByte(rest[scanned:], '\n'); i >= 0 {
			if scanned+i+1 > max {
				return nil, errLineTooLong
			}
			return rest[:scanned+i+1], nil
		}
		scanned = len(rest)
		if scanned >= max {
			return nil, errLineTooLong
		}
		if r.srcErr != nil {
			return rest, r.srcErr
		}
		r.fill()
	}
}

// fill reads once more from src into the free end of buf, first moving the
// unconsumed bytes to its start.
func (r *Reader) fill() {
	if r.r > 0 {
		r.w = copy(r.buf, r.buf[r.r:r.w])
		r.r = 0
	}
	if r.w == len(r.buf) {
		r.srcErr = errLineTooLong // callers bound their lines below len(buf)
		return
	}
	for range 100 {
		n, err := r.src.Read(r.buf[r.w:])
		r.w += n
		if err != nil {
			r.srcErr = err
			return
		}
		if n > 0 {
			return
		}
	}
	r.srcErr = io.ErrNoProgress
}

// keep stores b as the unconsumed bytes: what a direct read took from src
// beyond the part's certain data. buf grows if b does not fit (at most to
// the size of the caller's read).
func (r *Reader) keep(b []byte) {
	if len(b) > len(r.buf) {
		r.buf = make([]byte, len(b))
	}
	r.r, r.w = 0, copy(r.buf, b)
}

// unexpected maps the end of the body where more was required to
// io.ErrUnexpectedEOF and passes other read errors on.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
