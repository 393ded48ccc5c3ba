package gguf

import (
	"fmt"
	"strings"
)

// metadata reads the key-value pairs.
func (c *checker) metadata(n int64) error {
	c.keys = make(map[string]bool)
	for i := int64(0); i < n; i++ {
		off := c.rd.pos
		key, err := c.key()
		if err != nil {
			return err
		}
		if c.keys[key] {
			c.invalid(key, off, "metadata key %q appears twice", key)
		}
		c.keys[key] = true
		typ, err := c.rd.u32("metadata value type")
		if err != nil {
			return err
		}
		if err := c.topValue(key, typ); err != nil {
			return err
		}
	}
	return nil
}

// key reads a metadata key: a string of at most 65535 bytes, ASCII.
func (c *checker) key() (string, error) {
	off := c.rd.pos
	n, err := c.rd.count("metadata key length")
	if err != nil {
		return "", err
	}
	if n > 65535 {
		return "", breakAt(off, "metadata key length %d exceeds the specification's 65535 bytes", n)
	}
	b, err := c.rd.bytes(int64(n), "metadata key")
	if err != nil {
		return "", err
	}
	key := string(b)
	if key == "" || strings.IndexFunc(key, func(r rune) bool { return r < 0x20 || r > 0x7e }) >= 0 {
		c.invalid(printable(key), off, "metadata key %q is empty or not printable ASCII", printable(key))
	}
	return key, nil
}

func printable(s string) string {
	if len(s) > 80 {
		s = s[:80]
	}
	return strings.ToValidUTF8(fmt.Sprintf("%q", s), "?")
}

// topValue reads the value of key and checks what it says.
func (c *checker) topValue(key string, typ uint32) error {
	switch typ {
	case tString:
		return c.topString(key)
	case tArray:
		return c.array(key, 1)
	}
	size, ok := scalarSize(typ)
	if !ok {
		return breakAt(c.rd.pos-4, "metadata key %q has unknown value type %d", key, typ)
	}
	off := c.rd.pos
	b, err := c.rd.bytes(size, "metadata value")
	if err != nil {
		return err
	}
	if typ == tBool && b[0] > 1 {
		c.invalid(key, off, "metadata key %q is a bool with value %d (only 0 and 1 are valid)", key, b[0])
	}
	if key == "general.alignment" {
		c.align = alignment{set: true, value: c.uintValue(typ, b), off: off}
		if typ != tUint32 {
			c.invalid(key, off, "general.alignment has value type %d, not uint32", typ)
		}
	}
	return nil
}

// uintValue decodes an integer scalar; signed values are reinterpreted.
func (c *checker) uintValue(typ uint32, b []byte) uint64 {
	switch len(b) {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(c.rd.order.Uint16(b))
	case 4:
		if typ == tFloat32 {
			return 0
		}
		return uint64(c.rd.order.Uint32(b))
	}
	if typ == tFloat64 {
		return 0
	}
	return c.rd.order.Uint64(b)
}

// topString reads a top-level string value, keeps it in the result and
// checks its content.
func (c *checker) topString(key string) error {
	off := c.rd.pos
	n, err := c.strLen(key)
	if err != nil {
		return err
	}
	if n > c.cfg.MaxStringBytes {
		c.add(limitFinding(c, key, off, n))
		return c.rd.skip(n, "metadata string")
	}
	dataOff := c.rd.pos
	b, err := c.rd.bytes(n, "metadata string")
	if err != nil {
		return err
	}
	s := string(b)
	v := s
	if len(v) > metadataValueMax {
		v = v[:metadataValueMax]
	}
	c.res.Metadata[key] = v
	if key == "general.architecture" {
		c.res.Architecture = v
	}
	c.content(key, s, dataOff)
	return nil
}

// strLen reads a string length and checks it against the file.
func (c *checker) strLen(key string) (int64, error) {
	off := c.rd.pos
	n, err := c.rd.count("string length")
	if err != nil {
		return 0, err
	}
	if n > uint64(c.rd.left()) {
		return 0, breakAt(off, "string length %d in %q runs past the end of the file (%d bytes left)", n, key, c.rd.left())
	}
	return int64(n), nil
}

// array reads an array value: element type, count, elements. Fixed-size
// elements are skipped in one step; strings and nested arrays are walked.
func (c *checker) array(key string, depth int) error {
	off := c.rd.pos
	if depth > maxNesting {
		return limitAt(off, "metadata key %q nests arrays deeper than %d levels", key, maxNesting)
	}
	et, err := c.rd.u32("array element type")
	if err != nil {
		return err
	}
	n, err := c.rd.count("array length")
	if err != nil {
		return err
	}
	min, ok := scalarSize(et)
	switch {
	case et == tString:
		min = c.rd.lenSize()
	case et == tArray:
		min = 4 + c.rd.lenSize()
	case !ok:
		return breakAt(off, "array in %q has unknown element type %d", key, et)
	}
	if n > uint64(c.rd.left()/min) {
		return breakAt(off, "array in %q claims %d elements, more than the %d bytes left in the file can hold", key, n, c.rd.left())
	}
	if ok {
		return c.rd.skip(int64(n)*min, "array elements")
	}
	for i := uint64(0); i < n; i++ {
		if err := c.element(key, et, depth); err != nil {
			return err
		}
	}
	return nil
}

func (c *checker) element(key string, et uint32, depth int) error {
	if et == tArray {
		return c.array(key, depth+1)
	}
	c.strElems++
	if c.strElems > maxStringElems {
		return limitAt(c.rd.pos, "more than %d string array elements", maxStringElems)
	}
	n, err := c.strLen(key)
	if err != nil {
		return err
	}
	off := c.rd.pos
	head := min(n, elemHead)
	b, err := c.rd.bytes(head, "array string")
	if err != nil {
		return err
	}
	if kind := executable(b); kind != "" {
		c.executableFinding(key+"[]", off, kind)
	}
	return c.rd.skip(n-head, "array string")
}

// elemHead is how much of each array string is read for the executable
// check; the rest is skipped.
const elemHead = 4096
