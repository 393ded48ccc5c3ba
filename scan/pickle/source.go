package pickle

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// errTruncated marks a stream that ended inside an opcode.
var errTruncated = errors.New("stream ends inside an opcode")

// source is a bounded, offset-tracking byte reader over a stream. The
// machine reads opcodes through it; joblib's array hook reads raw bytes
// through it too, which is why it is shared rather than private to the loop.
type source struct {
	r    io.Reader
	buf  []byte
	pos  int   // next unread byte in buf
	end  int   // bytes valid in buf
	base int64 // stream offset of buf[0]
	eof  bool
	err  error
	max  int64 // stream bytes allowed
}

const bufSize = 64 << 10

func newSource(r io.Reader, max int64) *source {
	return &source{r: r, buf: make([]byte, bufSize), max: max}
}

// newSourceBytes wraps an in-memory stream without copying it.
func newSourceBytes(b []byte, max int64) *source {
	return &source{buf: b, end: len(b), eof: true, max: max}
}

// Offset is the stream offset of the next unread byte.
func (s *source) Offset() int64 { return s.base + int64(s.pos) }

// fill makes at least n bytes available if the stream has them; n must not
// exceed the buffer.
func (s *source) fill(n int) bool {
	if s.end-s.pos >= n {
		return true
	}
	if s.eof || s.r == nil {
		return false
	}
	if s.pos > 0 {
		copy(s.buf, s.buf[s.pos:s.end])
		s.base += int64(s.pos)
		s.end -= s.pos
		s.pos = 0
	}
	for s.end < n && !s.eof {
		m, err := s.r.Read(s.buf[s.end:])
		s.end += m
		if err != nil {
			s.eof = true
			if err != io.EOF {
				s.err = err
			}
		}
	}
	return s.end-s.pos >= n
}

func (s *source) overLimit(n int) bool { return s.Offset()+int64(n) > s.max }

// byte reads one byte.
func (s *source) readByte() (byte, error) {
	if s.pos >= s.end && !s.fill(1) {
		return 0, s.endErr()
	}
	if s.overLimit(1) {
		return 0, errStreamLimit
	}
	b := s.buf[s.pos]
	s.pos++
	return b, nil
}

// peekByte returns the next byte without consuming it.
func (s *source) peekByte() (byte, bool) {
	if s.pos >= s.end && !s.fill(1) {
		return 0, false
	}
	return s.buf[s.pos], true
}

func (s *source) endErr() error {
	if s.err != nil {
		return fmt.Errorf("reading stream: %w", s.err)
	}
	return errTruncated
}

// read returns the next n bytes (n <= bufSize); the slice is valid until the
// next read.
func (s *source) read(n int) ([]byte, error) {
	if s.overLimit(n) {
		return nil, errStreamLimit
	}
	if !s.fill(n) {
		return nil, s.endErr()
	}
	b := s.buf[s.pos : s.pos+n]
	s.pos += n
	return b, nil
}

// readKeep reads n bytes (any size), keeping at most keep of them: long
// payloads such as tensor bytes are skipped, not held in memory.
func (s *source) readKeep(n int64, keep int) ([]byte, error) {
	if n < 0 {
		return nil, fmt.Errorf("negative length %d", n)
	}
	if s.Offset()+n > s.max || s.Offset()+n < 0 {
		return nil, errStreamLimit
	}
	kept := make([]byte, 0, min(n, int64(keep)))
	for n > 0 {
		if s.pos >= s.end && !s.fill(1) {
			return nil, s.endErr()
		}
		m := min(int64(s.end-s.pos), n)
		if room := int64(keep - len(kept)); room > 0 {
			kept = append(kept, s.buf[s.pos:s.pos+int(min(m, room))]...)
		}
		s.pos += int(m)
		n -= m
	}
	return kept, nil
}

// readLine reads up to and excluding '\n', bounded by maxLine.
func (s *source) readLine(maxLine int) ([]byte, error) {
	for {
		if i := bytes.IndexByte(s.buf[s.pos:s.end], '\n'); i >= 0 {
			if s.overLimit(i + 1) {
				return nil, errStreamLimit
			}
			line := s.buf[s.pos : s.pos+i]
			s.pos += i + 1
			return line, nil
		}
		if s.end-s.pos >= maxLine || s.end-s.pos >= len(s.buf) {
			return nil, fmt.Errorf("line longer than %d bytes", min(maxLine, len(s.buf)))
		}
		if !s.fill(s.end - s.pos + 1) {
			return nil, s.endErr()
		}
	}
}

// atEOF reports whether the stream has no more bytes.
func (s *source) atEOF() bool {
	_, ok := s.peekByte()
	return !ok
}
