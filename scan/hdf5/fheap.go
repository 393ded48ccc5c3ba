package hdf5

import (
	"errors"
	"fmt"
	"math/bits"
	"sort"
)

// Fractal heap bounds: real dense groups and attribute sets span a handful
// of blocks; these only stop hostile doubling tables.
const (
	maxHeapBlocks   = 1 << 16
	maxHeapDepth    = 16
	maxHeapRows     = 64
	maxDirectRead   = 64 << 20
	maxIndirectRead = 16 << 20
)

// fheap is a fractal heap (spec III.G) reduced to what reading managed
// objects needs: the doubling-table geometry and the direct blocks found.
type fheap struct {
	idLen      int
	filtered   bool
	checksum   bool // direct blocks carry a checksum
	maxManaged uint64
	width      uint64
	start      uint64 // starting block size
	maxDirect  uint64 // maximum direct block size
	heapBits   int    // maximum heap size, in bits
	offBytes   int    // bytes of a heap offset
	lenBytes   int    // bytes of a managed object length in a heap ID
	blocks     []dblock
	hugeBtree  uint64               // v2 B-tree of huge objects
	huge       map[uint64][2]uint64 // huge object ID -> address, length (read on first use)
	seen       map[uint64]bool      // indirect blocks visited: a block reached twice is a loop
}

// dblock is one direct block: where its heap address range starts, its size
// and its file address.
type dblock struct{ off, size, addr uint64 }

// openHeap reads a fractal heap header and lists its direct blocks.
func (w *walker) openHeap(addr uint64) (*fheap, error) {
	b, err := w.rd.readUpTo(addr, 256)
	if err != nil {
		return nil, err
	}
	c := w.rd.cursor(b)
	c.sig("FRHP")
	c.skip(1) // version
	h := &fheap{idLen: int(c.u16()), seen: map[uint64]bool{}}
	h.filtered = c.u16() != 0
	flags := c.u8()
	h.checksum = flags&2 != 0
	h.maxManaged = uint64(c.u32())
	c.skip(w.rd.sl) // next huge object ID
	h.hugeBtree = c.addr()
	c.skip(w.rd.sl + w.rd.so + 8*w.rd.sl)
	h.width, h.start, h.maxDirect = uint64(c.u16()), c.length(), c.length()
	h.heapBits = int(c.u16())
	c.skip(2) // starting rows in the root indirect block
	root, rows := c.addr(), int(c.u16())
	if c.err != nil {
		return nil, c.err
	}
	if err := h.check(); err != nil {
		return nil, err
	}
	if h.filtered {
		return nil, errors.New("hdf5: filtered fractal heap not read")
	}
	if root == undef {
		return h, nil // empty heap
	}
	if rows == 0 {
		h.blocks = []dblock{{0, h.start, root}}
		return h, nil
	}
	if err := w.indirect(h, root, 0, rows, 0); err != nil {
		return h, err
	}
	sort.Slice(h.blocks, func(i, j int) bool { return h.blocks[i].off < h.blocks[j].off })
	return h, nil
}

// check validates the doubling-table geometry before it drives any loop.
func (h *fheap) check() error {
	pow2 := func(v uint64) bool { return v != 0 && v&(v-1) == 0 }
	if h.width == 0 || !pow2(h.width) || !pow2(h.start) || !pow2(h.maxDirect) || h.maxDirect < h.start {
		return fmt.Errorf("hdf5: fractal heap geometry invalid (width %d, blocks %d..%d)", h.width, h.start, h.maxDirect)
	}
	if h.heapBits < 1 || h.heapBits > 64 || h.idLen < 1 || h.idLen > 1<<10 {
		return fmt.Errorf("hdf5: fractal heap sizes invalid (%d bits, id %d bytes)", h.heapBits, h.idLen)
	}
	h.offBytes = (h.heapBits + 7) / 8
	h.lenBytes = (bits.Len64(h.maxDirect-1) + 7) / 8
	if h.maxManaged > 0 {
		h.lenBytes = min(h.lenBytes, (bits.Len64(h.maxManaged)-1)/8+1)
	}
	return nil
}

// rowSize is the size of the blocks of row r of the doubling table (rows 0
// and 1 hold starting-size blocks, each later row doubles); 0 on overflow.
func (h *fheap) rowSize(r int) uint64 {
	if r == 0 {
		return h.start
	}
	if r-1 >= 64-bits.Len64(h.start) {
		return 0
	}
	return h.start << (r - 1)
}

// maxDirectRows is the number of rows holding direct blocks.
func (h *fheap) maxDirectRows() int {
	return bits.Len64(h.maxDirect) - bits.Len64(h.start) + 2
}

// indirect lists the direct blocks below the indirect block at addr, which
// covers heap offsets from off and has rows rows.
func (w *walker) indirect(h *fheap, addr, off uint64, rows, depth int) error {
	if depth > maxHeapDepth || rows > maxHeapRows {
		return fmt.Errorf("hdf5: fractal heap indirect block too deep or too wide (%d rows)", rows)
	}
	if h.seen[addr] {
		return fmt.Errorf("hdf5: fractal heap indirect block %#x reached twice", addr)
	}
	h.seen[addr] = true
	entries := uint64(rows) * h.width
	size := uint64(4+1+w.rd.so+h.offBytes+4) + entries*uint64(w.rd.so)
	if size > maxIndirectRead {
		return fmt.Errorf("hdf5: fractal heap indirect block of %d bytes", size)
	}
	b, err := w.rd.read(addr, int64(size))
	if err != nil {
		return err
	}
	c := w.rd.cursor(b)
	c.sig("FHIB")
	c.skip(1 + w.rd.so + h.offBytes)
	if c.err != nil {
		return c.err
	}
	pos := off
	for r := 0; r < rows; r++ {
		rs := h.rowSize(r)
		if rs == 0 {
			return errors.New("hdf5: fractal heap row size overflows")
		}
		for col := uint64(0); col < h.width; col++ {
			child := c.addr()
			if err := w.heapChild(h, child, pos, rs, r, depth); err != nil {
				return err
			}
			pos += rs
		}
	}
	return c.err
}

// heapChild records a direct block or descends into a child indirect block.
func (w *walker) heapChild(h *fheap, child, pos, rs uint64, r, depth int) error {
	if child == undef {
		return nil
	}
	if r < h.maxDirectRows() {
		if len(h.blocks) >= maxHeapBlocks {
			return errors.New("hdf5: fractal heap has too many blocks")
		}
		h.blocks = append(h.blocks, dblock{pos, rs, child})
		return nil
	}
	if h.width > rs/h.start {
		return errors.New("hdf5: fractal heap indirect row too small")
	}
	rows := bits.Len64(rs) - bits.Len64(h.start*h.width) + 1
	return w.indirect(h, child, pos, rows, depth+1)
}

// object returns the bytes of the heap object with the given heap ID.
func (w *walker) heapObject(h *fheap, id []byte) ([]byte, error) {
	if len(id) < 1 {
		return nil, errors.New("hdf5: empty heap ID")
	}
	switch (id[0] >> 4) & 3 {
	case 0:
		return w.managedObject(h, id)
	case 1:
		return w.hugeObject(h, id)
	case 2:
		return tinyObject(h, id)
	default:
		return nil, errors.New("hdf5: heap ID of unknown type")
	}
}

// hugeObject reads an object stored outside the heap's blocks: its heap ID
// holds either its address and length, or a key into the huge-object v2
// B-tree (record type 1: address, length, ID).
func (w *walker) hugeObject(h *fheap, id []byte) ([]byte, error) {
	so, sl := w.rd.so, w.rd.sl
	var addr, n uint64
	if len(id) >= 1+so+sl {
		c := w.rd.cursor(id[1:])
		addr, n = c.addr(), c.length()
	} else {
		if err := w.loadHuge(h); err != nil {
			return nil, err
		}
		key := w.rd.cursor(id[1:]).uint(min(len(id)-1, 8))
		span, ok := h.huge[key]
		if !ok {
			return nil, fmt.Errorf("hdf5: huge heap object %d not in its B-tree", key)
		}
		addr, n = span[0], span[1]
	}
	if n > maxDirectRead {
		return nil, fmt.Errorf("hdf5: huge heap object of %d bytes", n)
	}
	return w.rd.read(addr, int64(n))
}

// loadHuge indexes the huge-object B-tree once per heap.
func (w *walker) loadHuge(h *fheap) error {
	if h.huge != nil {
		return nil
	}
	h.huge = map[uint64][2]uint64{}
	return w.readBtree2(h.hugeBtree, 1, func(rec []byte) {
		c := w.rd.cursor(rec)
		addr, n, key := c.addr(), c.length(), c.length()
		if c.err == nil {
			h.huge[key] = [2]uint64{addr, n}
		}
	})
}

// tinyObject extracts an object stored inside its own heap ID.
func tinyObject(h *fheap, id []byte) ([]byte, error) {
	n, data := int(id[0]&0x0F)+1, id[1:]
	if h.idLen > 18 && len(id) > 1 {
		n, data = (int(id[0]&0x0F)<<8|int(id[1]))+1, id[2:]
	}
	if n > len(data) {
		return nil, errors.New("hdf5: tiny heap object overruns its ID")
	}
	return data[:n], nil
}

// managedObject reads a managed object: a heap offset and length that must
// fall inside one listed direct block.
func (w *walker) managedObject(h *fheap, id []byte) ([]byte, error) {
	c := w.rd.cursor(id[1:])
	off, n := c.uint(h.offBytes), c.uint(h.lenBytes)
	if c.err != nil {
		return nil, errors.New("hdf5: heap ID truncated")
	}
	i := sort.Search(len(h.blocks), func(i int) bool { return h.blocks[i].off+h.blocks[i].size > off })
	if i == len(h.blocks) || off < h.blocks[i].off {
		return nil, fmt.Errorf("hdf5: heap offset %#x is in no direct block", off)
	}
	blk := h.blocks[i]
	rel := off - blk.off
	if n > blk.size || rel > blk.size-n || n > maxDirectRead {
		return nil, fmt.Errorf("hdf5: heap object %#x+%d overruns its direct block", off, n)
	}
	if blk.addr > undef-rel {
		return nil, errors.New("hdf5: heap block address overflows")
	}
	return w.rd.read(blk.addr+rel, int64(n))
}
