package hdf5

import (
	"bytes"
	"fmt"
)

// Link types (spec IV.A.2.g).
const (
	linkHard     = 0
	linkSoft     = 1
	linkExternal = 64
)

// member is one decoded link of a group.
type member struct {
	name   string
	typ    int
	addr   uint64 // hard links
	target string // soft and external links
}

// parseLink decodes a Link message (spec IV.A.2.g).
func (w *walker) parseLink(b []byte) (member, error) {
	var m member
	c := w.rd.cursor(b)
	if v := c.u8(); v != 1 {
		return m, fmt.Errorf("hdf5: link message version %d", v)
	}
	flags := c.u8()
	if flags&0x08 != 0 {
		m.typ = int(c.u8())
	}
	if flags&0x04 != 0 {
		c.skip(8) // creation order
	}
	if flags&0x10 != 0 {
		c.skip(1) // name character set
	}
	nameLen := c.uint(1 << (flags & 3))
	if nameLen == 0 || nameLen > uint64(c.left()) {
		return m, fmt.Errorf("hdf5: link name of %d bytes in a %d-byte message", nameLen, len(b))
	}
	m.name = string(c.take(int(nameLen)))
	switch m.typ {
	case linkHard:
		m.addr = c.addr()
	case linkSoft:
		m.target = string(c.take(int(c.u16())))
	case linkExternal:
		m.target = externalTarget(c.take(int(c.u16())))
	default:
		m.target = fmt.Sprintf("%x", c.take(int(c.u16())))
	}
	if c.err != nil {
		return m, fmt.Errorf("hdf5: link %q truncated", m.name)
	}
	return m, nil
}

// externalTarget renders an external link value (a version/flags byte, then
// NUL-terminated file name and object path) as "file::/path".
func externalTarget(v []byte) string {
	if len(v) == 0 {
		return ""
	}
	parts := bytes.SplitN(v[1:], []byte{0}, 3)
	file := string(parts[0])
	path := ""
	if len(parts) > 1 {
		path = string(parts[1])
	}
	return file + "::" + path
}

// linkKind names a non-hard link type for Link.Kind.
func linkKind(typ int) string {
	switch typ {
	case linkSoft:
		return "soft"
	case linkExternal:
		return "external"
	}
	return fmt.Sprintf("user-defined-%d", typ)
}

// denseLinks returns the links kept in a fractal heap and indexed by a
// version 2 B-tree of link names (Link Info message, spec IV.A.2.c).
func (w *walker) denseLinks(b []byte) ([]member, error) {
	c := w.rd.cursor(b)
	c.skip(1) // version
	flags := c.u8()
	if flags&1 != 0 {
		c.skip(8) // maximum creation index
	}
	heapAddr, nameIndex := c.addr(), c.addr()
	if c.err != nil {
		return nil, fmt.Errorf("hdf5: link info message truncated")
	}
	if heapAddr == undef {
		return nil, nil // compact storage: Link messages in the header
	}
	var out []member
	err := w.denseRecords(heapAddr, nameIndex, 5, func(obj []byte) error {
		m, err := w.parseLink(obj)
		if err == nil {
			out = append(out, m)
		}
		return err
	})
	return out, err
}
