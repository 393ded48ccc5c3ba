// Package npy reads the header of NumPy .npy files (also the members of
// .npz archives) without reading the array data.
//
// The format, from numpy/lib/format.py: the magic "\x93NUMPY", a major and
// a minor version byte, the header length (uint16 little-endian in version
// 1.0, uint32 in 2.0 and 3.0), then the header: a Python dict literal with
// the keys 'descr', 'fortran_order' and 'shape', padded with spaces and
// ended by '\n' so that the array data starts on a 64-byte boundary (16 in
// files from older NumPy releases). Version 3.0 headers are UTF-8, the
// others Latin-1.
//
// The header is parsed by a small bounded reader of the Python literal
// subset NumPy writes, never by evaluation. Object arrays (descr 'O', or a
// structured dtype with an 'O' field) store a pickle after the header;
// HasObject and DataOffset tell a caller where to look for it.
package npy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Magic starts every .npy file.
const Magic = "\x93NUMPY"

// ErrNotNPY is returned (wrapped) when the input does not start with Magic.
var ErrNotNPY = errors.New("npy: not a NumPy .npy file")

// Limits bound the work ParseHeader does; zero fields take the defaults.
type Limits struct {
	// MaxHeaderLen caps the header length field (default 1 MiB). NumPy
	// itself refuses headers over 10000 bytes unless told otherwise.
	MaxHeaderLen int64
	// MaxDepth caps the nesting of lists, tuples and dicts (default 16).
	MaxDepth int
	// MaxDims caps the number of dimensions in 'shape' (default 64, the
	// NumPy 2 maximum).
	MaxDims int
}

// Defaults for zero Limits fields.
const (
	DefaultMaxHeaderLen = 1 << 20
	DefaultMaxDepth     = 16
	DefaultMaxDims      = 64
)

func (l Limits) withDefaults() Limits {
	if l.MaxHeaderLen <= 0 {
		l.MaxHeaderLen = DefaultMaxHeaderLen
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxDims <= 0 {
		l.MaxDims = DefaultMaxDims
	}
	return l
}

// Header is what the .npy header says about the array.
type Header struct {
	Major, Minor byte
	// Descr is the dtype: the string itself ("<f4", "|O"), or, for a
	// structured dtype, the list rendered as Python text.
	Descr string
	// Structured is set when descr is a list (or a comma-separated
	// string), that is a dtype with named fields.
	Structured bool
	// HasObject is set when the dtype is, or contains, an object field:
	// the data is then a pickle, and loading it runs pickle.
	HasObject    bool
	FortranOrder bool
	// Shape is as written. NumPy accepts any integers here, negative
	// ones and products past 64 bits included (loading a plain array then
	// fails; an object array's pickle is loaded regardless).
	Shape []int64
	// DataOffset is where the array data, or for object arrays the
	// pickle, starts: the length of the magic, version, length field and
	// header.
	DataOffset int64
	// ItemSize is the size of one element in bytes, -1 when unknown
	// (object arrays, platform-dependent or unusual descr strings).
	ItemSize int64
	// Misaligned is set when DataOffset is not a multiple of 16. NumPy
	// pads to 64 (older releases to 16); other writers may not pad at all.
	// NumPy still reads such files.
	Misaligned bool
}

// IsNPY reports whether head, the first bytes of a file, starts with the
// .npy magic.
func IsNPY(head []byte) bool {
	return bytes.HasPrefix(head, []byte(Magic))
}

// ParseHeader reads the magic, version and header from r and reads nothing
// past the header, so r is left at DataOffset.
func ParseHeader(r io.Reader, lim Limits) (*Header, error) {
	lim = lim.withDefaults()
	h := &Header{ItemSize: -1}
	text, err := readHeaderText(r, h, lim)
	if err != nil {
		return nil, err
	}
	v, err := parseLiteral(text, lim.MaxDepth)
	if err != nil {
		return nil, fmt.Errorf("npy: header is not a valid Python literal: %w", err)
	}
	if err := h.fill(v, lim); err != nil {
		return nil, err
	}
	h.Misaligned = h.DataOffset%16 != 0
	return h, nil
}

// readHeaderText reads everything up to the end of the header, sets
// version and DataOffset in h and returns the header as UTF-8 text.
func readHeaderText(r io.Reader, h *Header, lim Limits) (string, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return "", truncated("the magic and version", err)
	}
	if string(pre[:6]) != Magic {
		return "", fmt.Errorf("%w (the first bytes are %q, not %q)", ErrNotNPY, pre[:6], Magic)
	}
	h.Major, h.Minor = pre[6], pre[7]
	if h.Minor != 0 || h.Major < 1 || h.Major > 3 {
		return "", fmt.Errorf("npy: format version %d.%d is not supported (NumPy writes 1.0, 2.0 and 3.0)", h.Major, h.Minor)
	}
	hlen, fieldLen, err := readHeaderLen(r, h.Major)
	if err != nil {
		return "", err
	}
	if hlen > lim.MaxHeaderLen {
		return "", fmt.Errorf("npy: header length %d exceeds the %s limit", hlen, byteCount(lim.MaxHeaderLen))
	}
	buf := make([]byte, hlen)
	if _, err := io.ReadFull(r, buf); err != nil {
		return "", truncated(fmt.Sprintf("the %d-byte header", hlen), err)
	}
	h.DataOffset = int64(len(pre)) + fieldLen + hlen
	if h.Major == 3 {
		if !utf8.Valid(buf) {
			return "", errors.New("npy: version 3.0 header is not valid UTF-8")
		}
		return string(buf), nil
	}
	return latin1(buf), nil
}

// readHeaderLen reads the header length field, whose width depends on the
// major version, and returns the length and the width.
func readHeaderLen(r io.Reader, major byte) (int64, int64, error) {
	if major == 1 {
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, 0, truncated("the header length", err)
		}
		return int64(binary.LittleEndian.Uint16(b[:])), 2, nil
	}
	var b [4]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return 0, 0, truncated("the header length", err)
	}
	return int64(binary.LittleEndian.Uint32(b[:])), 4, nil
}

// truncated words a short read: io.ReadFull's EOF means the file ended.
func truncated(what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("npy: file ends inside %s: %w", what, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("npy: reading %s: %w", what, err)
}

// latin1 decodes Latin-1, as NumPy does for 1.0 and 2.0 headers: each byte
// is the code point of the same value.
func latin1(b []byte) string {
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = rune(c)
	}
	return string(rs)
}

func byteCount(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d-byte", n)
}

// DataBytes returns the size of the array data: element count times item
// size. ok is false when the item size is unknown (object arrays
// included), a dimension is negative, or the product does not fit in an
// int64.
func (h *Header) DataBytes() (n int64, ok bool) {
	if h.ItemSize < 0 {
		return 0, false
	}
	count, ok := elements(h.Shape)
	if !ok {
		return 0, false
	}
	return mulCheck(count, h.ItemSize)
}

// elements is the product of dims (1 for a 0-d array), false on a
// negative dimension or overflow.
func elements(dims []int64) (int64, bool) {
	n := int64(1)
	for _, d := range dims {
		var ok bool
		if n, ok = mulCheck(n, d); !ok {
			return 0, false
		}
	}
	return n, true
}

// mulCheck multiplies two non-negative numbers, false on overflow.
func mulCheck(a, b int64) (int64, bool) {
	if a < 0 || b < 0 {
		return 0, false
	}
	if a != 0 && b > (1<<63-1)/a {
		return 0, false
	}
	return a * b, true
}
