package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// formatError is a structural break that stops parsing: the rest of the
// header cannot be located. It becomes an MW315 (or MW202) finding, never
// a returned error.
type formatError struct {
	off   int64
	msg   string
	limit bool // a scanner bound, not a break of the format
}

func (e *formatError) Error() string { return fmt.Sprintf("offset %d: %s", e.off, e.msg) }

func breakAt(off int64, format string, args ...any) error {
	return &formatError{off: off, msg: fmt.Sprintf(format, args...)}
}

func limitAt(off int64, format string, args ...any) error {
	return &formatError{off: off, msg: fmt.Sprintf(format, args...), limit: true}
}

// reader reads the header sequentially through a buffer over an
// io.ReaderAt, never past size, and skips by seeking so that skipped bytes
// are not read.
type reader struct {
	sec   *io.SectionReader
	br    *bufio.Reader
	pos   int64
	size  int64
	order binary.ByteOrder
	wide  bool // version 2 and later: 64-bit counts and lengths
	buf   [8]byte
}

func newReader(r io.ReaderAt, size int64) *reader {
	sec := io.NewSectionReader(r, 0, size)
	return &reader{sec: sec, br: bufio.NewReaderSize(sec, 64<<10), size: size, order: binary.LittleEndian}
}

func (r *reader) left() int64 { return r.size - r.pos }

// need fails with a structural error when fewer than n bytes remain.
func (r *reader) need(n int64, what string) error {
	if n < 0 || n > r.left() {
		return breakAt(r.pos, "%s needs %d bytes but only %d remain in the file", what, n, r.left())
	}
	return nil
}

// full reads exactly len(p) bytes that are known to exist; a short read is
// an I/O error, not a format problem.
func (r *reader) full(p []byte, what string) error {
	if err := r.need(int64(len(p)), what); err != nil {
		return err
	}
	if _, err := io.ReadFull(r.br, p); err != nil {
		return fmt.Errorf("gguf: reading %s at %d: %w", what, r.pos, ioErr(err))
	}
	r.pos += int64(len(p))
	return nil
}

func ioErr(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (r *reader) u32(what string) (uint32, error) {
	if err := r.full(r.buf[:4], what); err != nil {
		return 0, err
	}
	return r.order.Uint32(r.buf[:4]), nil
}

func (r *reader) u64(what string) (uint64, error) {
	if err := r.full(r.buf[:8], what); err != nil {
		return 0, err
	}
	return r.order.Uint64(r.buf[:8]), nil
}

// count reads a count or length: uint32 in version 1, uint64 after.
func (r *reader) count(what string) (uint64, error) {
	if r.wide {
		return r.u64(what)
	}
	v, err := r.u32(what)
	return uint64(v), err
}

func (r *reader) lenSize() int64 {
	if r.wide {
		return 8
	}
	return 4
}

// skip moves forward n bytes without reading them when they are not
// already buffered.
func (r *reader) skip(n int64, what string) error {
	if err := r.need(n, what); err != nil {
		return err
	}
	if n <= int64(r.br.Buffered()) {
		_, _ = r.br.Discard(int(n))
		r.pos += n
		return nil
	}
	r.pos += n
	if _, err := r.sec.Seek(r.pos, io.SeekStart); err != nil {
		return fmt.Errorf("gguf: seeking to %d: %w", r.pos, err)
	}
	r.br.Reset(r.sec)
	return nil
}

// bytes reads n bytes (n already checked against the file and a limit).
func (r *reader) bytes(n int64, what string) ([]byte, error) {
	if err := r.need(n, what); err != nil {
		return nil, err
	}
	b := make([]byte, n)
	return b, r.full(b, what)
}
