package hdf5

import (
	"errors"
	"fmt"
)

// Datatype classes (spec IV.A.2.d).
const (
	classFixed    = 0
	classFloat    = 1
	classString   = 3
	classCompound = 6
	classVlen     = 9
)

// dtype is the part of a Datatype message needed to decode attribute values.
type dtype struct {
	class   int
	size    uint64 // bytes per element as stored
	pad     int    // string padding: 0 null-terminated, 1 null-padded, 2 space-padded
	vlenStr bool   // class 9: a variable-length string rather than a sequence
}

// kind names the type for Attr.Type.
func (t dtype) kind() string {
	switch t.class {
	case classFixed:
		return "int"
	case classFloat:
		return "float"
	case classString:
		return "string"
	case classCompound:
		return "compound"
	case classVlen:
		if t.vlenStr {
			return "vlen-string"
		}
		return "vlen-sequence"
	case 2:
		return "time"
	case 4:
		return "bitfield"
	case 5:
		return "opaque"
	case 7:
		return "reference"
	case 8:
		return "enum"
	case 10:
		return "array"
	}
	return "other"
}

// parseDtype decodes the fixed 8-byte part of a Datatype message: class,
// version, class bit fields and element size. Properties (compound members,
// base types) are not needed: the size says how to step over elements, and a
// variable-length element is always a length plus a global heap ID.
func parseDtype(b []byte) (dtype, error) {
	if len(b) < 8 {
		return dtype{}, errors.New("hdf5: datatype message truncated")
	}
	t := dtype{class: int(b[0] & 0x0F)}
	if v := b[0] >> 4; v < 1 || v > 5 {
		return t, fmt.Errorf("hdf5: datatype version %d", v)
	}
	bits := uint32(b[1]) | uint32(b[2])<<8 | uint32(b[3])<<16
	t.size = uint64(b[4]) | uint64(b[5])<<8 | uint64(b[6])<<16 | uint64(b[7])<<24
	switch t.class {
	case classString:
		t.pad = int(bits & 0x0F)
	case classVlen:
		t.vlenStr = bits&0x0F == 1
		t.pad = int(bits>>4) & 0x0F
	}
	if t.size == 0 {
		return t, errors.New("hdf5: datatype of size 0")
	}
	return t, nil
}

// maxElements bounds a dataspace's element count before any multiplication
// with an element size can overflow.
const maxElements = 1 << 40

// parseDataspace returns the number of elements of a Dataspace message
// (spec IV.A.2.b), versions 1 and 2; 1 for scalar, 0 for null.
func parseDataspace(b []byte, sl int) (uint64, error) {
	c := &cur{b: b, sl: sl}
	version, ndims, _ := c.u8(), int(c.u8()), c.u8()
	switch version {
	case 1:
		c.skip(5)
	case 2:
		switch c.u8() {
		case 0:
			return 1, c.err
		case 2:
			return 0, c.err
		}
	default:
		return 0, fmt.Errorf("hdf5: dataspace version %d", version)
	}
	if ndims > 32 {
		return 0, fmt.Errorf("hdf5: dataspace has %d dimensions", ndims)
	}
	n := uint64(1)
	for range ndims {
		d := c.length()
		if d != 0 && n > maxElements/d {
			return 0, errors.New("hdf5: dataspace element count overflows")
		}
		n *= d
	}
	return n, c.err
}
