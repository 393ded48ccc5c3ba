package hdf5

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// undef is the "undefined address" value (all bits set) at any width.
const undef = ^uint64(0)

// errBudget stops the walk once the overall read budget is spent; it is the
// guard against hostile files whose structures overlap so that the same bytes
// would be read again and again.
var errBudget = errors.New("hdf5: read budget exhausted")

// reader reads file regions relative to the HDF5 base address, checking
// every request against the file size and charging it to a budget.
type reader struct {
	r      io.ReaderAt
	size   int64 // file size in bytes
	base   int64 // absolute offset of the base address
	so, sl int   // size of offsets and size of lengths (superblock)
	budget int64 // bytes still allowed to be read
}

// read returns n bytes at the relative address addr.
func (rd *reader) read(addr uint64, n int64) ([]byte, error) {
	if addr == undef {
		return nil, errors.New("hdf5: undefined address")
	}
	if n < 0 || n > rd.size {
		return nil, fmt.Errorf("hdf5: length %d exceeds the file size", n)
	}
	abs := int64(addr) + rd.base
	if addr > uint64(rd.size) || abs < 0 || abs > rd.size-n {
		return nil, fmt.Errorf("hdf5: region %#x+%d lies outside the file (%d bytes)", addr, n, rd.size)
	}
	if n > rd.budget {
		return nil, errBudget
	}
	rd.budget -= n
	buf := make([]byte, n)
	if k, err := rd.r.ReadAt(buf, abs); k < len(buf) {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("hdf5: read at %#x: %w", abs, err)
	}
	return buf, nil
}

// readUpTo reads at most n bytes at addr, fewer if the file ends first; it is
// for structures whose true length is only known after decoding a prefix.
func (rd *reader) readUpTo(addr uint64, n int64) ([]byte, error) {
	if addr != undef && addr <= uint64(rd.size) {
		if left := rd.size - rd.base - int64(addr); left < n {
			n = max(left, 0)
		}
	}
	return rd.read(addr, n)
}

// cur decodes little-endian fields from a byte slice. The first overrun sets
// err and every later read returns zero, so decoders check err once.
type cur struct {
	b   []byte
	off int
	err error
	so  int
	sl  int
}

func (rd *reader) cursor(b []byte) *cur { return &cur{b: b, so: rd.so, sl: rd.sl} }

func (c *cur) take(n int) []byte {
	if c.err != nil {
		return nil
	}
	if n < 0 || n > len(c.b)-c.off {
		c.err = fmt.Errorf("hdf5: structure truncated (need %d bytes at %d of %d)", n, c.off, len(c.b))
		return nil
	}
	s := c.b[c.off : c.off+n]
	c.off += n
	return s
}

func (c *cur) left() int   { return len(c.b) - c.off }
func (c *cur) skip(n int)  { c.take(n) }
func (c *cur) u8() uint8   { return uint8(c.uint(1)) }
func (c *cur) u16() uint16 { return uint16(c.uint(2)) }
func (c *cur) u32() uint32 { return uint32(c.uint(4)) }

// uint decodes an n-byte (1..8) unsigned little-endian integer.
func (c *cur) uint(n int) uint64 {
	s := c.take(n)
	if s == nil {
		return 0
	}
	var buf [8]byte
	copy(buf[:], s)
	return binary.LittleEndian.Uint64(buf[:])
}

// addr decodes an address of the file's offset size; all-ones becomes undef.
func (c *cur) addr() uint64 { return widen(c.uint(c.so), c.so) }

// length decodes a length of the file's length size.
func (c *cur) length() uint64 { return c.uint(c.sl) }

// widen maps the all-ones value of an n-byte field to undef.
func widen(v uint64, n int) uint64 {
	if n < 8 && v == (uint64(1)<<(8*n))-1 {
		return undef
	}
	return v
}

// sig checks a 4-byte block signature.
func (c *cur) sig(want string) {
	s := c.take(4)
	if c.err == nil && string(s) != want {
		c.err = fmt.Errorf("hdf5: expected signature %q, found %q", want, s)
	}
}
