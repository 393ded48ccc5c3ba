package gguf

import (
	"math"
	"math/bits"
	"sort"
)

// maxDims is the most dimensions read; ggml supports 4 (GGML_MAX_DIMS).
const (
	specDims = 4
	maxDims  = 8
	// maxName is the specification's limit on tensor names (GGML_MAX_NAME).
	maxName = 64
)

type tensorInfo struct {
	name   string
	off    int64 // offset of the tensor info in the file
	dims   []uint64
	typ    uint32
	offset uint64 // relative to the data section
	nbytes int64  // -1 when unknown
}

// applyAlignment validates general.alignment: a non-zero power of two
// (the specification asks for a multiple of 8 too; ggml requires a power
// of two).
func (c *checker) applyAlignment() {
	a := c.align
	if !a.set {
		return
	}
	if a.value == 0 || a.value&(a.value-1) != 0 || a.value > 1<<30 {
		c.invalid("general.alignment", a.off, "general.alignment is %d, not a power of two; the default 32 is assumed", a.value)
		return
	}
	c.res.Alignment = int64(a.value)
}

// tensorInfos reads and checks each tensor info.
func (c *checker) tensorInfos(n int64) error {
	seen := make(map[string]bool)
	for i := int64(0); i < n; i++ {
		t, err := c.tensorInfo()
		if err != nil {
			return err
		}
		if seen[t.name] {
			c.invalid(t.name, t.off, "tensor name %q is used twice; loaders disagree on which one they load", t.name)
		}
		seen[t.name] = true
		c.tensors = append(c.tensors, t)
	}
	return nil
}

func (c *checker) tensorInfo() (tensorInfo, error) {
	t := tensorInfo{off: c.rd.pos, nbytes: -1}
	n, err := c.strLen("tensor name")
	if err != nil {
		return t, err
	}
	if n > 65535 {
		return t, breakAt(t.off, "tensor name length %d is absurd (the specification allows 64 bytes)", n)
	}
	b, err := c.rd.bytes(n, "tensor name")
	if err != nil {
		return t, err
	}
	t.name = string(b)
	if n > maxName || n == 0 {
		c.invalid(t.name, t.off, "tensor name %s is %d bytes (must be 1 to %d)", printable(t.name), n, maxName)
	}
	nd, err := c.rd.u32("n_dimensions")
	if err != nil {
		return t, err
	}
	if nd > maxDims {
		return t, breakAt(c.rd.pos-4, "tensor %s has %d dimensions (ggml supports %d)", printable(t.name), nd, specDims)
	}
	if nd > specDims {
		c.invalid(t.name, t.off, "tensor %s has %d dimensions; ggml supports at most %d", printable(t.name), nd, specDims)
	}
	for j := uint32(0); j < nd; j++ {
		d, err := c.rd.count("dimension")
		if err != nil {
			return t, err
		}
		t.dims = append(t.dims, d)
	}
	if t.typ, err = c.rd.u32("ggml type"); err != nil {
		return t, err
	}
	t.offset, err = c.rd.u64("tensor data offset")
	return t, err
}

// size computes a tensor's byte size from its type and dimensions, or
// reports why it cannot.
func (c *checker) size(t *tensorInfo) bool {
	gt, ok := ggmlTypes[t.typ]
	if !ok {
		if name, removed := removedTypes[t.typ]; removed {
			c.invalid(t.name, t.off, "tensor %s has type %s (%d), which GGUF loaders no longer accept", printable(t.name), name, t.typ)
		} else {
			c.invalid(t.name, t.off, "tensor %s has unknown ggml type %d; its size and bounds cannot be checked", printable(t.name), t.typ)
		}
		return false
	}
	elems := uint64(1)
	for _, d := range t.dims {
		hi, lo := bits.Mul64(elems, d)
		if d == 0 || d > math.MaxInt64 || hi != 0 || lo > math.MaxInt64 {
			c.invalid(t.name, t.off, "tensor %s has dimensions %v: zero, or an element count past 64 bits", printable(t.name), t.dims)
			return false
		}
		elems = lo
	}
	first := uint64(1)
	if len(t.dims) > 0 {
		first = t.dims[0]
	}
	if first%uint64(gt.block) != 0 {
		c.invalid(t.name, t.off, "tensor %s of type %s has first dimension %d, not a multiple of the block size %d", printable(t.name), gt.name, first, gt.block)
		return false
	}
	hi, lo := bits.Mul64(elems/uint64(gt.block), uint64(gt.size))
	if hi != 0 || lo > math.MaxInt64 {
		c.invalid(t.name, t.off, "tensor %s has a byte size past 64 bits", printable(t.name))
		return false
	}
	t.nbytes = int64(lo)
	return true
}

// spans checks each tensor's data: aligned, inside the file, and not
// overlapping another tensor.
func (c *checker) spans() {
	align := c.res.Alignment
	dataStart := (c.rd.pos + align - 1) / align * align
	type span struct {
		start, end int64
		t          *tensorInfo
	}
	var ss []span
	for i := range c.tensors {
		t := &c.tensors[i]
		if t.offset%uint64(align) != 0 {
			c.invalid(t.name, t.off, "tensor %s data offset %d is not a multiple of the alignment %d", printable(t.name), t.offset, align)
		}
		if !c.size(t) {
			continue
		}
		if t.offset > uint64(math.MaxInt64-dataStart) || int64(t.offset)+dataStart > c.rd.size-t.nbytes {
			c.invalid(t.name, t.off, "tensor %s data (%d bytes at data offset %d, file offset %d) runs past the end of the %d-byte file",
				printable(t.name), t.nbytes, t.offset, dataStart+int64(min(t.offset, math.MaxInt64/2)), c.rd.size)
			continue
		}
		start := dataStart + int64(t.offset)
		ss = append(ss, span{start, start + t.nbytes, t})
	}
	sort.SliceStable(ss, func(i, j int) bool { return ss[i].start < ss[j].start })
	for i := 1; i < len(ss); i++ {
		prev := ss[i-1]
		if ss[i].start < prev.end {
			c.invalid(ss[i].t.name, ss[i].t.off, "tensor %s data [%d, %d) overlaps tensor %s [%d, %d)",
				printable(ss[i].t.name), ss[i].start, ss[i].end, printable(prev.t.name), prev.start, prev.end)
		}
		if ss[i].end > prev.end {
			continue
		}
		ss[i] = prev // keep the furthest-reaching span as the comparison point
	}
	c.finish()
}
