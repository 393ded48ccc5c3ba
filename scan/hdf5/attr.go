package hdf5

import (
	"bytes"
	"errors"
	"fmt"
)

// maxStringsPerAttr bounds how many string elements one attribute yields.
const maxStringsPerAttr = 1 << 20

// errLimit marks problems that are exceeded limits rather than broken
// structure; their text starts with "limit:".
var errLimit = errors.New("limit")

// attrHeader is the decoded prefix of an Attribute message (spec IV.A.2.m).
type attrHeader struct {
	name           string
	dt, ds, data   []byte
	sharedDT, shDS bool
}

// parseAttrHeader splits an Attribute message, versions 1 to 3.
func (w *walker) parseAttrHeader(b []byte) (attrHeader, error) {
	var h attrHeader
	c := w.rd.cursor(b)
	version, flags := c.u8(), c.u8()
	nameSize, dtSize, dsSize := int(c.u16()), int(c.u16()), int(c.u16())
	align := func(n int) int { return n }
	switch version {
	case 1:
		align = pad8
	case 2:
	case 3:
		c.skip(1) // name character set
	default:
		return h, fmt.Errorf("hdf5: attribute message version %d", version)
	}
	name := c.take(align(nameSize))
	h.dt = c.take(align(dtSize))
	h.ds = c.take(align(dsSize))
	if c.err != nil {
		return h, fmt.Errorf("hdf5: attribute message truncated: %w", c.err)
	}
	h.name = string(bytes.TrimRight(name[:min(nameSize, len(name))], "\x00"))
	h.dt, h.ds = h.dt[:dtSize], h.ds[:dsSize]
	h.data = b[c.off:]
	h.sharedDT, h.shDS = version > 1 && flags&1 != 0, version > 1 && flags&2 != 0
	return h, nil
}

// attribute decodes one Attribute message into an Attr.
func (w *walker) attribute(b []byte) (Attr, error) {
	h, err := w.parseAttrHeader(b)
	if err != nil {
		return Attr{}, err
	}
	a := Attr{Name: h.name, Type: "other"}
	t, n, err := w.attrType(h)
	if err != nil {
		return a, fmt.Errorf("attribute %q: %w", h.name, err)
	}
	a.Type = t.kind()
	if n > 0 && t.size > uint64(w.lim.MaxAttrBytes)/n {
		return a, fmt.Errorf("%w: attribute %q holds %d elements of %d bytes, over the %d-byte limit", errLimit, h.name, n, t.size, w.lim.MaxAttrBytes)
	}
	need := n * t.size
	if need > uint64(len(h.data)) {
		return a, fmt.Errorf("attribute %q: value of %d bytes but only %d stored", h.name, need, len(h.data))
	}
	if err := w.charge(need+16*n, h.name); err != nil {
		return a, err
	}
	return w.decodeValue(a, t, n, h.data[:need])
}

// attrType resolves the datatype and element count, following shared
// (committed) datatype and dataspace messages.
func (w *walker) attrType(h attrHeader) (dtype, uint64, error) {
	dt, ds := h.dt, h.ds
	var err error
	if h.sharedDT {
		if dt, err = w.sharedMessage(dt, msgDatatype); err != nil {
			return dtype{}, 0, err
		}
	}
	if h.shDS {
		if ds, err = w.sharedMessage(ds, msgDataspace); err != nil {
			return dtype{}, 0, err
		}
	}
	t, err := parseDtype(dt)
	if err != nil {
		return t, 0, err
	}
	n, err := parseDataspace(ds, w.rd.sl)
	return t, n, err
}

// charge adds n decoded bytes to the file-wide total.
func (w *walker) charge(n uint64, name string) error {
	w.attrBytes += n
	if w.attrBytes > uint64(w.lim.MaxTotalAttrBytes) {
		return fmt.Errorf("%w: attribute %q brings decoded attribute bytes over the %d-byte total", errLimit, name, w.lim.MaxTotalAttrBytes)
	}
	return nil
}

// decodeValue fills the value of a by its datatype.
func (w *walker) decodeValue(a Attr, t dtype, n uint64, data []byte) (Attr, error) {
	switch {
	case t.class == classString:
		return fixedStrings(a, t, n, data)
	case t.class == classVlen && t.vlenStr:
		return w.vlenStrings(a, t, n, data)
	}
	a.Raw = bytes.Clone(data[:min(len(data), maxRaw)])
	return a, nil
}

// fixedStrings splits fixed-length string elements. Only trailing padding is
// removed (never text after an embedded NUL), so the caller sees at least
// everything numpy and Keras would.
func fixedStrings(a Attr, t dtype, n uint64, data []byte) (Attr, error) {
	if n > maxStringsPerAttr {
		return a, fmt.Errorf("%w: attribute %q has %d strings", errLimit, a.Name, n)
	}
	a.Strings = make([]string, 0, n)
	for i := uint64(0); i < n; i++ {
		a.Strings = append(a.Strings, trimPad(data[i*t.size:(i+1)*t.size], t.pad))
	}
	return a, nil
}

func trimPad(b []byte, pad int) string {
	if pad == 2 {
		b = bytes.TrimRight(b, " ")
	}
	return string(bytes.TrimRight(b, "\x00"))
}

// vlenStrings resolves variable-length string elements: each is a 4-byte
// length and a global heap ID (collection address, object index).
func (w *walker) vlenStrings(a Attr, t dtype, n uint64, data []byte) (Attr, error) {
	elem := uint64(4 + w.rd.so + 4)
	if t.size < elem {
		return a, fmt.Errorf("attribute %q: variable-length element of %d bytes", a.Name, t.size)
	}
	if n > maxStringsPerAttr {
		return a, fmt.Errorf("%w: attribute %q has %d strings", errLimit, a.Name, n)
	}
	a.Strings = make([]string, 0, n)
	var total uint64
	for i := uint64(0); i < n; i++ {
		c := w.rd.cursor(data[i*t.size : i*t.size+elem])
		length, addr, idx := uint64(c.u32()), c.addr(), c.u32()
		if length == 0 || addr == 0 || addr == undef {
			a.Strings = append(a.Strings, "")
			continue
		}
		obj, err := w.gheapObject(addr, idx)
		if err != nil {
			return a, fmt.Errorf("attribute %q: %w", a.Name, err)
		}
		if length > uint64(len(obj)) {
			return a, fmt.Errorf("attribute %q: string of %d bytes in a heap object of %d", a.Name, length, len(obj))
		}
		if total += length; total > uint64(w.lim.MaxAttrBytes) {
			return a, fmt.Errorf("%w: attribute %q strings exceed %d bytes", errLimit, a.Name, w.lim.MaxAttrBytes)
		}
		if err := w.charge(length, a.Name); err != nil {
			return a, err
		}
		a.Strings = append(a.Strings, trimPad(obj[:length], t.pad))
	}
	return a, nil
}
