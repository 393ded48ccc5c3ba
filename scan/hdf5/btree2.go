package hdf5

import (
	"errors"
	"fmt"
	"math/bits"
)

// Version 2 B-tree bounds (spec III.A.2): link and attribute name indexes
// are shallow; these caps stop hostile trees.
const (
	maxBtreeDepth   = 16
	maxBtreeNode    = 1 << 20
	maxBtreeRecords = 1 << 20
)

// btree2 is a version 2 B-tree header plus the derived field widths of its
// internal nodes.
type btree2 struct {
	typ      int
	nodeSize uint64
	recSize  int
	depth    int
	nrecSize int   // bytes of a child's record count
	cumSize  []int // per depth: bytes of a child's total record count
	seen     map[uint64]bool
}

// readBtree2 reads the header at addr and calls fn for every record, in no
// particular order, walking nodes depth-first.
func (w *walker) readBtree2(addr uint64, wantType int, fn func(rec []byte)) error {
	b, err := w.rd.read(addr, int64(4+1+1+4+2+2+1+1+w.rd.so+2+w.rd.sl))
	if err != nil {
		return err
	}
	c := w.rd.cursor(b)
	c.sig("BTHD")
	c.skip(1)
	t := &btree2{typ: int(c.u8()), nodeSize: uint64(c.u32()), recSize: int(c.u16()), depth: int(c.u16())}
	c.skip(2)
	root, nrec := c.addr(), int(c.u16())
	if c.err != nil {
		return c.err
	}
	if t.typ != wantType {
		return fmt.Errorf("hdf5: v2 B-tree of type %d where %d expected", t.typ, wantType)
	}
	if err := t.derive(w.rd.so); err != nil {
		return err
	}
	t.seen = map[uint64]bool{}
	if root == undef || nrec == 0 {
		return nil
	}
	count := 0
	return w.btree2Node(t, root, nrec, t.depth, &count, fn)
}

// derive checks the header and computes, from node and record sizes, how
// wide the record-count fields of internal nodes are (spec III.A.2: each is
// the minimum number of bytes that can hold the largest possible count).
func (t *btree2) derive(so int) error {
	if t.recSize < 1 || t.nodeSize < 10+uint64(t.recSize) || t.nodeSize > maxBtreeNode || t.depth > maxBtreeDepth {
		return fmt.Errorf("hdf5: v2 B-tree geometry invalid (node %d, record %d, depth %d)", t.nodeSize, t.recSize, t.depth)
	}
	byteLen := func(v uint64) int { return max(bits.Len64(v)-1, 0)/8 + 1 }
	leafMax := (t.nodeSize - 10) / uint64(t.recSize)
	t.nrecSize = byteLen(leafMax)
	t.cumSize = make([]int, t.depth+1)
	cum := leafMax
	for d := 1; d <= t.depth; d++ {
		ptr := uint64(so + t.nrecSize)
		if d > 1 {
			ptr += uint64(t.cumSize[d-1])
		}
		if t.nodeSize < 10+ptr {
			return errors.New("hdf5: v2 B-tree node too small for its pointers")
		}
		intMax := (t.nodeSize - 10 - ptr) / (uint64(t.recSize) + ptr)
		hi, lo := bits.Mul64(intMax+1, cum)
		cum = lo + intMax
		if hi != 0 || cum < lo {
			cum = undef // saturate: the field is then 8 bytes wide
		}
		t.cumSize[d] = min(byteLen(cum), 8)
	}
	return nil
}

// btree2Node visits a node holding nrec records at the given depth (0: leaf).
func (w *walker) btree2Node(t *btree2, addr uint64, nrec, depth int, count *int, fn func([]byte)) error {
	if *count += nrec; *count > maxBtreeRecords {
		return errors.New("hdf5: v2 B-tree has too many records")
	}
	if uint64(nrec*t.recSize) > t.nodeSize {
		return fmt.Errorf("hdf5: v2 B-tree node claims %d records", nrec)
	}
	if t.seen[addr] {
		return fmt.Errorf("hdf5: v2 B-tree node %#x reached twice", addr)
	}
	t.seen[addr] = true
	b, err := w.rd.read(addr, int64(t.nodeSize))
	if err != nil {
		return err
	}
	c := w.rd.cursor(b)
	if depth == 0 {
		c.sig("BTLF")
	} else {
		c.sig("BTIN")
	}
	c.skip(2) // version, type
	for range nrec {
		if rec := c.take(t.recSize); rec != nil {
			fn(rec)
		}
	}
	if c.err != nil || depth == 0 {
		return c.err
	}
	return w.btree2Children(t, c, nrec, depth, count, fn)
}

// btree2Children decodes the nrec+1 child pointers of an internal node.
func (w *walker) btree2Children(t *btree2, c *cur, nrec, depth int, count *int, fn func([]byte)) error {
	for range nrec + 1 {
		child, n := c.addr(), c.uint(t.nrecSize)
		if depth > 1 {
			c.skip(t.cumSize[depth-1])
		}
		if c.err != nil {
			return fmt.Errorf("hdf5: v2 B-tree internal node truncated")
		}
		if n > uint64(t.nodeSize) {
			return fmt.Errorf("hdf5: v2 B-tree child claims %d records", n)
		}
		if err := w.btree2Node(t, child, int(n), depth-1, count, fn); err != nil {
			return err
		}
	}
	return nil
}
