package main

import "encoding/binary"

// fb writes a flatbuffer front to back: each table's vtable sits just
// before it, and every object a table or vector refers to is written after
// it, so all uoffsets point forward as the format requires
// (schema.fbs / FlatBuffers internals).
type fb struct{ buf []byte }

// fval is one table slot: a scalar of size bytes, or a reference written
// by ref (which returns the referenced object's position).
type fval struct {
	size int
	v    uint64
	ref  func(b *fb) int
}

func scalar(size int, v uint64) *fval { return &fval{size: size, v: v} }
func ref(f func(b *fb) int) *fval     { return &fval{size: 4, ref: f} }

func (b *fb) pad(align int) {
	for len(b.buf)%align != 0 {
		b.buf = append(b.buf, 0)
	}
}

func (b *fb) put(size int, v uint64) {
	var tmp [8]byte
	binary.LittleEndian.PutUint64(tmp[:], v)
	b.buf = append(b.buf, tmp[:size]...)
}

func (b *fb) patch(at, target int) {
	binary.LittleEndian.PutUint32(b.buf[at:], uint32(target-at))
}

// table writes a table whose slots are fields (nil = absent) and returns
// its position.
func (b *fb) table(fields ...*fval) int {
	b.pad(4)
	vt := len(b.buf)
	vtLen := 4 + 2*len(fields)
	b.buf = append(b.buf, make([]byte, vtLen)...)
	b.pad(8)
	b.buf = append(b.buf, make([]byte, 4)...) // keeps pos ≡ 4 mod 8, so 8-byte fields align
	pos := len(b.buf)
	b.put(4, uint64(pos-vt)) // soffset: vtable = pos - soffset
	type pending struct {
		at int
		f  *fval
	}
	var refs []pending
	for i, f := range fields {
		if f == nil {
			continue
		}
		b.pad(f.size)
		binary.LittleEndian.PutUint16(b.buf[vt+4+2*i:], uint16(len(b.buf)-pos))
		if f.ref != nil {
			refs = append(refs, pending{len(b.buf), f})
		}
		b.put(f.size, f.v)
	}
	binary.LittleEndian.PutUint16(b.buf[vt:], uint16(vtLen))
	binary.LittleEndian.PutUint16(b.buf[vt+2:], uint16(len(b.buf)-pos))
	for _, p := range refs {
		b.patch(p.at, p.f.ref(b))
	}
	return pos
}

// bytesVec writes a [ubyte] vector (strings add a NUL terminator).
func (b *fb) bytesVec(data []byte, nul bool) int {
	b.pad(16)
	b.buf = append(b.buf, make([]byte, 12)...) // data starts 16-aligned after the length
	pos := len(b.buf)
	b.put(4, uint64(len(data)))
	b.buf = append(b.buf, data...)
	if nul {
		b.buf = append(b.buf, 0)
	}
	return pos
}

func (b *fb) str(s string) int { return b.bytesVec([]byte(s), true) }

// intVec writes an [int] vector.
func (b *fb) intVec(vs ...int32) int {
	b.pad(4)
	pos := len(b.buf)
	b.put(4, uint64(len(vs)))
	for _, v := range vs {
		b.put(4, uint64(uint32(v)))
	}
	return pos
}

// tableVec writes a vector of tables, each built by one of mk.
func (b *fb) tableVec(mk ...func(b *fb) int) int {
	b.pad(4)
	pos := len(b.buf)
	b.put(4, uint64(len(mk)))
	slots := len(b.buf)
	b.buf = append(b.buf, make([]byte, 4*len(mk))...)
	for i, m := range mk {
		b.patch(slots+4*i, m(b))
	}
	return pos
}

// finish writes the root offset and the "TFL3" identifier in front of a
// model built by root.
func finish(root func(b *fb) int) []byte {
	b := &fb{buf: make([]byte, 8)}
	copy(b.buf[4:], "TFL3")
	b.patch(0, root(b))
	return b.buf
}
