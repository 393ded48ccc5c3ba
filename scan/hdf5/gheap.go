package hdf5

import (
	"fmt"
)

// gcol is one parsed global heap collection (spec III.E): its bytes and,
// per heap object index, where that object's data lies.
type gcol struct {
	buf  []byte
	objs map[uint16][2]int // index -> [start, end) in buf
}

// maxHeapCache bounds the bytes of global heap collections (and, separately,
// of local heaps) kept for reuse; past it the cache is dropped (lookups stay correct, they just read again).
const maxHeapCache = 64 << 20

// gheapObject returns the data of object idx in the collection at addr.
func (w *walker) gheapObject(addr uint64, idx uint32) ([]byte, error) {
	col, err := w.collection(addr)
	if err != nil {
		return nil, err
	}
	if idx > 0xFFFF {
		return nil, fmt.Errorf("hdf5: global heap index %d out of range", idx)
	}
	span, ok := col.objs[uint16(idx)]
	if !ok {
		return nil, fmt.Errorf("hdf5: global heap collection %#x has no object %d", addr, idx)
	}
	return col.buf[span[0]:span[1]], nil
}

// collection reads and indexes a global heap collection, once.
func (w *walker) collection(addr uint64) (*gcol, error) {
	if col, ok := w.gheap[addr]; ok {
		return col, nil
	}
	head, err := w.rd.read(addr, int64(8+w.rd.sl))
	if err != nil {
		return nil, err
	}
	c := w.rd.cursor(head)
	c.sig("GCOL")
	c.skip(4) // version, reserved
	size := c.length()
	if c.err != nil {
		return nil, c.err
	}
	if size < uint64(len(head)) || size > uint64(w.rd.size) {
		return nil, fmt.Errorf("hdf5: global heap collection at %#x declares %d bytes", addr, size)
	}
	buf, err := w.rd.read(addr, int64(size))
	if err != nil {
		return nil, err
	}
	col := &gcol{buf: buf, objs: indexCollection(w.rd.cursor(buf[len(head):]), len(head))}
	if w.gheapBytes+len(buf) > maxHeapCache {
		w.gheap, w.gheapBytes = map[uint64]*gcol{}, 0
	}
	w.gheap[addr] = col
	w.gheapBytes += len(buf)
	return col, nil
}

// indexCollection lists the objects of a collection body; base is the
// body's offset in the collection. It stops at the free-space object (index
// 0) or at the first object that would overrun the collection.
func indexCollection(c *cur, base int) map[uint16][2]int {
	objs := map[uint16][2]int{}
	for c.left() >= 8+c.sl {
		idx := c.u16()
		c.skip(6) // reference count, reserved
		size := c.length()
		if idx == 0 || c.err != nil || size > uint64(c.left()) {
			break
		}
		start := base + c.off
		objs[idx] = [2]int{start, start + int(size)}
		c.skip(pad8(int(size)))
		if c.err != nil {
			break
		}
	}
	return objs
}
