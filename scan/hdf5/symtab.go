package hdf5

import (
	"bytes"
	"errors"
	"fmt"
)

// Old-style group bounds (spec III.A.1, III.B, III.D).
const (
	maxV1Depth     = 32
	maxV1Nodes     = 1 << 16
	maxLocalHeap   = 64 << 20
	maxSymbolNodes = 1 << 16
)

// localHeap returns the data segment of the local heap at addr (spec III.D).
func (w *walker) localHeap(addr uint64) ([]byte, error) {
	if seg, ok := w.lheap[addr]; ok {
		return seg, nil
	}
	b, err := w.rd.read(addr, int64(8+2*w.rd.sl+w.rd.so))
	if err != nil {
		return nil, err
	}
	c := w.rd.cursor(b)
	c.sig("HEAP")
	c.skip(4) // version, reserved
	size := c.length()
	c.skip(w.rd.sl) // free list head
	data := c.addr()
	if c.err != nil {
		return nil, c.err
	}
	if size > maxLocalHeap {
		return nil, fmt.Errorf("hdf5: local heap of %d bytes", size)
	}
	seg, err := w.rd.read(data, int64(size))
	if err != nil {
		return nil, err
	}
	if w.lheapBytes+len(seg) > maxHeapCache {
		w.lheap, w.lheapBytes = map[uint64][]byte{}, 0
	}
	w.lheap[addr] = seg
	w.lheapBytes += len(seg)
	return seg, nil
}

// heapString reads the NUL-terminated string at off in a local heap segment.
func heapString(seg []byte, off uint64) (string, error) {
	if off >= uint64(len(seg)) {
		return "", fmt.Errorf("hdf5: local heap offset %d outside a %d-byte heap", off, len(seg))
	}
	s := seg[off:]
	if i := bytes.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return string(s), nil
}

// symbolTable lists the members of an old-style group: a Symbol Table
// message names a version 1 B-tree of symbol table nodes and the local heap
// holding the member names.
func (w *walker) symbolTable(b []byte) ([]member, error) {
	c := w.rd.cursor(b)
	btree, heap := c.addr(), c.addr()
	if c.err != nil {
		return nil, errors.New("hdf5: symbol table message truncated")
	}
	seg, err := w.localHeap(heap)
	if err != nil {
		return nil, err
	}
	st := &symWalk{w: w, seg: seg, seen: map[uint64]bool{}}
	err = st.node(btree, -1)
	return st.out, err
}

// symWalk carries the state of one old-style group's B-tree walk.
type symWalk struct {
	w     *walker
	seg   []byte
	seen  map[uint64]bool
	out   []member
	nodes int
}

// node visits a version 1 B-tree group node (type 0); level is the level
// the parent expects (-1 for the root), so levels must strictly decrease.
func (s *symWalk) node(addr uint64, level int) error {
	if s.seen[addr] || s.nodes >= maxV1Nodes {
		return fmt.Errorf("hdf5: v1 B-tree node %#x revisited or too many nodes", addr)
	}
	s.seen[addr] = true
	s.nodes++
	so, sl := s.w.rd.so, s.w.rd.sl
	head, err := s.w.rd.read(addr, int64(8+2*so))
	if err != nil {
		return err
	}
	c := s.w.rd.cursor(head)
	c.sig("TREE")
	typ, lvl, used := c.u8(), int(c.u8()), int(c.u16())
	if c.err != nil || typ != 0 || lvl > maxV1Depth || (level >= 0 && lvl != level) {
		return fmt.Errorf("hdf5: v1 B-tree node %#x is not a group node at the expected level", addr)
	}
	body, err := s.w.rd.read(addr+uint64(len(head)), int64(used*(sl+so)+sl))
	if err != nil {
		return err
	}
	c = s.w.rd.cursor(body)
	for range used {
		c.skip(sl) // key: heap offset of a name bound
		child := c.addr()
		if lvl == 0 {
			err = s.symbols(child)
		} else {
			err = s.node(child, lvl-1)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// symbols decodes a symbol table node ("SNOD", spec III.B) of entries
// (spec III.C): name offset, object header address, cache type, scratch pad.
func (s *symWalk) symbols(addr uint64) error {
	if s.seen[addr] {
		return fmt.Errorf("hdf5: symbol table node %#x revisited", addr)
	}
	s.seen[addr] = true
	so := s.w.rd.so
	head, err := s.w.rd.read(addr, 8)
	if err != nil {
		return err
	}
	c := s.w.rd.cursor(head)
	c.sig("SNOD")
	c.skip(2)
	n := int(c.u16())
	entry := 2*so + 24
	body, err := s.w.rd.read(addr+8, int64(n*entry))
	if err != nil {
		return err
	}
	c = s.w.rd.cursor(body)
	for range n {
		nameOff, obj, cache := c.uint(so), c.addr(), c.u32()
		c.skip(4)
		scratch := c.take(16)
		if c.err != nil {
			return c.err
		}
		if err := s.entry(nameOff, obj, cache, scratch); err != nil {
			return err
		}
	}
	return nil
}

// entry turns one symbol table entry into a member; cache type 2 marks a
// soft link whose value sits in the local heap.
func (s *symWalk) entry(nameOff, obj uint64, cache uint32, scratch []byte) error {
	name, err := heapString(s.seg, nameOff)
	if err != nil {
		return err
	}
	if cache == 2 {
		valOff := uint64(scratch[0]) | uint64(scratch[1])<<8 | uint64(scratch[2])<<16 | uint64(scratch[3])<<24
		target, err := heapString(s.seg, valOff)
		if err != nil {
			return err
		}
		s.out = append(s.out, member{name: name, typ: linkSoft, target: target})
		return nil
	}
	if len(s.out) >= maxSymbolNodes*8 {
		return errors.New("hdf5: old-style group has too many members")
	}
	s.out = append(s.out, member{name: name, typ: linkHard, addr: obj})
	return nil
}
