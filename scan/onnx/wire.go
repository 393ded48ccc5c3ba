package onnx

import (
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
)

// windowSize is how much of the file one read brings in. Fields are read
// through this window, so walking a model costs one read per window of
// structure, and bulk payloads (raw_data) are stepped over by offset.
const windowSize = 64 << 10

// source reads a model through a sliding window over an io.ReaderAt.
type source struct {
	r    io.ReaderAt
	size int64
	buf  []byte
	win  []byte // valid bytes of buf
	off  int64  // file offset of win[0]
}

func newSource(r io.ReaderAt, size int64) *source {
	return &source{r: r, size: size, buf: make([]byte, windowSize)}
}

// view returns up to n (at most windowSize) bytes at off, never past limit.
// The slice is valid until the next call.
func (s *source) view(off, limit int64, n int) ([]byte, error) {
	limit = min(limit, s.size)
	if off >= limit {
		return nil, nil
	}
	want := int(min(int64(n), limit-off))
	if off < s.off || off+int64(want) > s.off+int64(len(s.win)) {
		if err := s.fill(off); err != nil {
			return nil, err
		}
	}
	start := int(off - s.off)
	return s.win[start : start+want], nil
}

func (s *source) fill(off int64) error {
	n := int(min(int64(len(s.buf)), s.size-off))
	got, err := s.r.ReadAt(s.buf[:n], off)
	if got < n {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("onnx: reading %d bytes at offset %d: %w", n, off, err)
	}
	s.win, s.off = s.buf[:n], off
	return nil
}

// read copies up to max bytes at off (never past limit) into a new slice.
func (s *source) read(off, n int64, max int) ([]byte, error) {
	n = min(n, int64(max), s.size-off)
	if n <= 0 {
		return nil, nil
	}
	if n <= windowSize {
		b, err := s.view(off, off+n, int(n))
		return append([]byte(nil), b...), err
	}
	out := make([]byte, n)
	got, err := s.r.ReadAt(out, off)
	if int64(got) < n {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("onnx: reading %d bytes at offset %d: %w", n, off, err)
	}
	return out, nil
}

// cursor is the byte range of one message still to be walked.
type cursor struct{ pos, end int64 }

// field is one decoded field. For length-delimited fields only the payload
// offset and length are kept: the payload is read on demand, if at all.
type field struct {
	num protowire.Number
	typ protowire.Type
	at  int64  // offset of the tag
	v   uint64 // varint or fixed value
	off int64  // payload offset (bytes type)
	n   int64  // payload length (bytes type), clipped to the message
}

func (f field) sub() cursor { return cursor{f.off, f.off + f.n} }

// next decodes the field at c.pos. It returns false at the end of the
// message, when the walk is halted, or on malformed wire data, which it
// reports (the rest of that message cannot be located and is skipped).
func (w *walker) next(c *cursor, f *field) bool {
	if c.pos >= c.end || w.halted {
		return false
	}
	w.fields++
	if w.fields > maxFields {
		w.limit(c.pos, "the model has more than %d protobuf fields; the rest was not inspected", maxFields)
		return false
	}
	b, err := w.src.view(c.pos, c.end, 20)
	if err != nil {
		w.ioFail(err)
		return false
	}
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return w.malformed(c, "an invalid field tag")
	}
	*f = field{num: num, typ: typ, at: c.pos}
	b, p := b[n:], c.pos+int64(n)
	switch typ {
	case protowire.VarintType:
		v, m := protowire.ConsumeVarint(b)
		if m < 0 {
			return w.malformed(c, "an invalid varint")
		}
		f.v, c.pos = v, p+int64(m)
	case protowire.Fixed32Type, protowire.Fixed64Type:
		size := int64(4)
		if typ == protowire.Fixed64Type {
			size = 8
		}
		if c.end-p < size {
			return w.malformed(c, "a fixed-width value cut off by the end of its message")
		}
		c.pos = p + size
	case protowire.BytesType:
		return w.lengthDelimited(c, f, b, p)
	default:
		return w.malformed(c, fmt.Sprintf("wire type %d (groups), which ONNX never uses", typ))
	}
	return true
}

func (w *walker) lengthDelimited(c *cursor, f *field, b []byte, p int64) bool {
	l, m := protowire.ConsumeVarint(b)
	if m < 0 {
		return w.malformed(c, "an invalid length")
	}
	f.off = p + int64(m)
	room := c.end - f.off
	if l > uint64(room) {
		w.pastEnd(*f, l, c.end)
		l = uint64(room)
	}
	f.n = int64(l)
	c.pos = f.off + f.n
	return true
}

// want reports a known field carrying the wrong wire type: no ONNX writer
// produces one, and parsers disagree on whether to drop or reject it.
func (w *walker) want(f field, typ protowire.Type, name string) bool {
	if f.typ == typ {
		return true
	}
	w.structure(f.at, "%s (field %d) has wire type %d where the ONNX schema requires %d", name, f.num, f.typ, typ)
	return false
}

// str reads a length-delimited field as text, at most max bytes of it.
func (w *walker) str(f field, max int) string {
	b, err := w.src.read(f.off, f.n, max)
	if err != nil {
		w.ioFail(err)
	}
	return string(b)
}

// packedVarints calls fn for each varint of a packed repeated field. Payloads
// over maxPacked are reported rather than walked: no real shape needs them.
func (w *walker) packedVarints(f field, name string, fn func(uint64)) {
	if f.n > maxPacked {
		w.structure(f.at, "packed %s of %d bytes is implausibly long", name, f.n)
		return
	}
	b, err := w.src.read(f.off, f.n, maxPacked)
	if err != nil {
		w.ioFail(err)
		return
	}
	for len(b) > 0 {
		v, m := protowire.ConsumeVarint(b)
		if m < 0 {
			w.structure(f.at, "packed %s holds an invalid varint", name)
			return
		}
		fn(v)
		b = b[m:]
	}
}
