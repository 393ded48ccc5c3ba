package hdf5

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// superblock is what the walk needs from the superblock (spec II.A).
type superblock struct {
	version int
	root    uint64 // root group object header address
	problem string // a non-fatal oddity to report
}

// findSuperblock decodes the superblock found by Offset.
func findSuperblock(rd *reader) (*superblock, error) {
	off, ok := Offset(rd.r, rd.size)
	if !ok {
		return nil, errors.New("hdf5: no HDF5 signature found")
	}
	return readSuperblock(rd, off)
}

// Offset returns where the HDF5 signature (the superblock) is in a file of
// size bytes: at 0, 512, 1024, 2048, ... (spec II.A: a user block, which may
// hold anything, is a power of two of at least 512 bytes), the first match,
// the same search Open does. ok is false when there is none.
func Offset(r io.ReaderAt, size int64) (off int64, ok bool) {
	if r == nil {
		return 0, false
	}
	head := make([]byte, len(signature))
	for off := int64(0); off <= size-int64(len(signature)); off = nextSuperOffset(off) {
		if n, _ := r.ReadAt(head, off); n < len(head) {
			return 0, false
		}
		if bytes.Equal(head, signature) {
			return off, true
		}
	}
	return 0, false
}

func nextSuperOffset(off int64) int64 {
	if off == 0 {
		return 512
	}
	if off > 1<<61 {
		return 1<<63 - 1 // ends the search without overflowing
	}
	return off * 2
}

// readSuperblock decodes the superblock at the absolute offset off.
func readSuperblock(rd *reader, off int64) (*superblock, error) {
	rd.base = off // addresses are relative to where the superblock is
	buf, err := rd.readUpTo(0, 256)
	if err != nil {
		return nil, err
	}
	if len(buf) < 12 {
		return nil, errors.New("hdf5: superblock truncated")
	}
	switch v := buf[8]; v {
	case 0, 1:
		return superV01(rd, buf, int(v), off)
	case 2, 3:
		return superV23(rd, buf, int(v), off)
	default:
		return nil, fmt.Errorf("hdf5: unsupported superblock version %d", v)
	}
}

func checkSizes(so, sl int) error {
	for _, n := range []int{so, sl} {
		if n != 2 && n != 4 && n != 8 {
			return fmt.Errorf("hdf5: unsupported offset/length size %d", n)
		}
	}
	return nil
}

// superV01 decodes superblock versions 0 and 1.
func superV01(rd *reader, buf []byte, v int, off int64) (*superblock, error) {
	c := &cur{b: buf, off: 9}
	c.skip(4) // free-space, root symbol table entry, reserved, shared header versions
	so, sl := int(c.u8()), int(c.u8())
	if err := checkSizes(so, sl); err != nil {
		return nil, err
	}
	rd.so, rd.sl, c.so, c.sl = so, sl, so, sl
	c.skip(1 + 2 + 2 + 4) // reserved, leaf K, internal K, consistency flags
	if v == 1 {
		c.skip(4) // indexed storage K, reserved
	}
	base := c.addr()
	c.skip(3 * so)   // free-space info, end of file, driver info addresses
	c.skip(so)       // root entry: link name offset
	root := c.addr() // root entry: object header address
	if c.err != nil {
		return nil, c.err
	}
	return &superblock{version: v, root: root, problem: baseProblem(base, off)}, nil
}

// superV23 decodes superblock versions 2 and 3.
func superV23(rd *reader, buf []byte, v int, off int64) (*superblock, error) {
	c := &cur{b: buf, off: 9}
	so, sl := int(c.u8()), int(c.u8())
	if err := checkSizes(so, sl); err != nil {
		return nil, err
	}
	rd.so, rd.sl, c.so, c.sl = so, sl, so, sl
	c.skip(1) // consistency flags
	base := c.addr()
	c.skip(2 * so) // superblock extension, end of file addresses
	root := c.addr()
	if c.err != nil {
		return nil, c.err
	}
	return &superblock{version: v, root: root, problem: baseProblem(base, off)}, nil
}

// baseProblem flags a stored base address that differs from where the
// superblock was found; like libhdf5 the walk uses the superblock position.
func baseProblem(base uint64, off int64) string {
	if base != uint64(off) {
		return fmt.Sprintf("superblock at %d declares base address %#x; using %d", off, base, off)
	}
	return ""
}
