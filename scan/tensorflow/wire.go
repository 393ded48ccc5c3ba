package tensorflow

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// field is one protobuf field as found on the wire. For the bytes wire type,
// buf is the payload and boff its offset in the file, so nested messages can
// report absolute offsets.
type field struct {
	num  protowire.Number
	typ  protowire.Type
	val  uint64
	buf  []byte
	off  int64
	boff int64
}

// structError is wire-format breakage: the protobuf cannot be parsed past
// off. It becomes a MW315 finding.
type structError struct {
	off int64
	msg string
}

func (e *structError) Error() string { return fmt.Sprintf("at byte %d: %s", e.off, e.msg) }

// limitError means a scanner bound was reached; it becomes MW202.
type limitError struct {
	off int64
	msg string
}

func (e *limitError) Error() string { return fmt.Sprintf("at byte %d: %s", e.off, e.msg) }

func structErr(off int64, format string, args ...any) error {
	return &structError{off: off, msg: fmt.Sprintf(format, args...)}
}

// walk calls fn for each field of msg, which starts at file offset base. It
// stops at the first malformed field or the first error fn returns.
func walk(msg []byte, base int64, fn func(f field) error) error {
	pos := 0
	for pos < len(msg) {
		num, typ, n := protowire.ConsumeTag(msg[pos:])
		if n < 0 {
			return structErr(base+int64(pos), "bad field tag: %v", protowire.ParseError(n))
		}
		f := field{num: num, typ: typ, off: base + int64(pos)}
		rest := msg[pos+n:]
		var m int
		switch typ {
		case protowire.VarintType:
			f.val, m = protowire.ConsumeVarint(rest)
		case protowire.Fixed32Type:
			var v uint32
			v, m = protowire.ConsumeFixed32(rest)
			f.val = uint64(v)
		case protowire.Fixed64Type:
			f.val, m = protowire.ConsumeFixed64(rest)
		case protowire.BytesType:
			f.buf, m = protowire.ConsumeBytes(rest)
			if m >= 0 {
				f.boff = f.off + int64(n+m-len(f.buf))
			} else {
				return truncated(f, rest, n, fn)
			}
		default:
			m = protowire.ConsumeFieldValue(num, typ, rest)
		}
		if m < 0 {
			return structErr(f.off, "field %d (wire type %d): %v", num, typ, protowire.ParseError(m))
		}
		pos += n + m
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// truncated handles a length-delimited field whose length runs past the
// end of its parent: the bytes that are there are still walked, so nodes
// before the cut are checked, and the breakage is reported.
func truncated(f field, rest []byte, tagLen int, fn func(f field) error) error {
	l, ln := protowire.ConsumeVarint(rest)
	if ln < 0 {
		return structErr(f.off, "field %d: bad length: %v", f.num, protowire.ParseError(ln))
	}
	f.buf, f.boff = rest[ln:], f.off+int64(tagLen+ln)
	if err := fn(f); err != nil {
		return err
	}
	return structErr(f.off, "field %d: length %d runs past the end (%d bytes left)", f.num, l, len(f.buf))
}

// want checks the wire type of a known field: a mismatch means the file is
// not the message it claims to be (or was crafted to confuse parsers).
func (f field) want(typ protowire.Type, name string) error {
	if f.typ != typ {
		return structErr(f.off, "%s (field %d) has wire type %d, want %d", name, f.num, f.typ, typ)
	}
	return nil
}

// str returns a bytes field as a string after checking its wire type.
func (f field) str(name string) (string, error) {
	if err := f.want(protowire.BytesType, name); err != nil {
		return "", err
	}
	return string(f.buf), nil
}

// varint returns a varint field after checking its wire type.
func (f field) varint(name string) (uint64, error) {
	if err := f.want(protowire.VarintType, name); err != nil {
		return 0, err
	}
	return f.val, nil
}

// mapEntry reads a map<string, V> entry (key=1, value=2) and returns the key
// and the raw value message with its offset.
func mapEntry(f field, name string) (key string, val []byte, voff int64, err error) {
	if err = f.want(protowire.BytesType, name); err != nil {
		return
	}
	voff = f.boff
	err = walk(f.buf, f.boff, func(e field) error {
		switch e.num {
		case 1:
			k, err := e.str(name + " key")
			key = k
			return err
		case 2:
			if err := e.want(protowire.BytesType, name+" value"); err != nil {
				return err
			}
			val, voff = e.buf, e.boff
		}
		return nil
	})
	return
}

// asStruct and asLimit unwrap the two error kinds the walkers produce.
func asStruct(err error) (*structError, bool) {
	var s *structError
	ok := errors.As(err, &s)
	return s, ok
}

func asLimit(err error) (*limitError, bool) {
	var l *limitError
	ok := errors.As(err, &l)
	return l, ok
}
