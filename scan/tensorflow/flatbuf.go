package tensorflow

import (
	"encoding/binary"
	"io"
)

// fbuf reads a flatbuffer through io.ReaderAt, checking every offset
// against the file size. Small reads go through a bounded page cache, so
// walking the model's tables costs a few page reads and never touches the
// tensor data the buffers hold.
type fbuf struct {
	r     io.ReaderAt
	size  int64
	pages map[int64][]byte
}

const (
	fbPage     = 4096
	fbMaxPages = 256
)

func newFbuf(r io.ReaderAt, size int64) *fbuf {
	return &fbuf{r: r, size: size, pages: map[int64][]byte{}}
}

// span checks that n bytes at off lie inside the file.
func (b *fbuf) span(off, n int64, what string) error {
	if off < 0 || n < 0 || off > b.size || n > b.size-off {
		return structErr(off, "%s (%d bytes at offset %d) lies outside the %d-byte file", what, n, off, b.size)
	}
	return nil
}

// small returns the n ≤ 8 bytes at off.
func (b *fbuf) small(off, n int64, what string) ([]byte, error) {
	if err := b.span(off, n, what); err != nil {
		return nil, err
	}
	out := make([]byte, 0, n)
	for n > 0 {
		pg := off / fbPage
		data, err := b.page(pg)
		if err != nil {
			return nil, err
		}
		in := off - pg*fbPage
		k := min(n, int64(len(data))-in)
		if k <= 0 {
			return nil, structErr(off, "short read in %s", what)
		}
		out = append(out, data[in:in+k]...)
		off, n = off+k, n-k
	}
	return out, nil
}

func (b *fbuf) page(pg int64) ([]byte, error) {
	if p, ok := b.pages[pg]; ok {
		return p, nil
	}
	if len(b.pages) >= fbMaxPages {
		clear(b.pages)
	}
	start := pg * fbPage
	n := min(int64(fbPage), b.size-start)
	p := make([]byte, n)
	if k, err := b.r.ReadAt(p, start); int64(k) < n {
		return nil, structErr(start+int64(k), "read failed: %v", err)
	}
	b.pages[pg] = p
	return p, nil
}

func (b *fbuf) u16(off int64, what string) (uint16, error) {
	p, err := b.small(off, 2, what)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint16(p), nil
}

func (b *fbuf) u32(off int64, what string) (uint32, error) {
	p, err := b.small(off, 4, what)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(p), nil
}

func (b *fbuf) u64(off int64, what string) (uint64, error) {
	p, err := b.small(off, 8, what)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(p), nil
}

// deref follows the uoffset stored at off (offsets point forward).
func (b *fbuf) deref(off int64, what string) (int64, error) {
	v, err := b.u32(off, what)
	if err != nil {
		return 0, err
	}
	target := off + int64(v)
	return target, b.span(target, 4, what+" target")
}

// table is a flatbuffer table: its position and its vtable.
type table struct {
	b      *fbuf
	pos    int64
	vt     int64
	vtLen  int64
	tblLen int64
	name   string
}

func (b *fbuf) table(pos int64, name string) (table, error) {
	t := table{b: b, pos: pos, name: name}
	so, err := b.u32(pos, name+" vtable offset")
	if err != nil {
		return t, err
	}
	t.vt = pos - int64(int32(so))
	vl, err := b.u16(t.vt, name+" vtable")
	if err != nil {
		return t, err
	}
	tl, err := b.u16(t.vt+2, name+" vtable")
	if err != nil {
		return t, err
	}
	t.vtLen, t.tblLen = int64(vl), int64(tl)
	if t.vtLen < 4 || t.vtLen%2 != 0 || t.tblLen < 4 {
		return t, structErr(t.vt, "%s vtable has sizes %d/%d", name, vl, tl)
	}
	if err := b.span(t.vt, t.vtLen, name+" vtable"); err != nil {
		return t, err
	}
	return t, b.span(pos, t.tblLen, name+" inline data")
}

// field returns the file position of slot's value (size bytes), or false
// when the field is absent and takes its default.
func (t table) field(slot int, size int64) (int64, bool, error) {
	o := int64(4 + 2*slot)
	if o+2 > t.vtLen {
		return 0, false, nil
	}
	fo, err := t.b.u16(t.vt+o, t.name+" vtable entry")
	if err != nil || fo == 0 {
		return 0, false, err
	}
	if int64(fo)+size > t.tblLen {
		return 0, false, structErr(t.pos, "%s field %d lies outside its table", t.name, slot)
	}
	return t.pos + int64(fo), true, nil
}

func (t table) u32(slot int, def uint32) (uint32, error) {
	p, ok, err := t.field(slot, 4)
	if !ok || err != nil {
		return def, err
	}
	return t.b.u32(p, t.name)
}

func (t table) u64(slot int) (uint64, error) {
	p, ok, err := t.field(slot, 8)
	if !ok || err != nil {
		return 0, err
	}
	return t.b.u64(p, t.name)
}

func (t table) i8(slot int) (int8, error) {
	p, ok, err := t.field(slot, 1)
	if !ok || err != nil {
		return 0, err
	}
	v, err := t.b.small(p, 1, t.name)
	if err != nil {
		return 0, err
	}
	return int8(v[0]), nil
}

// vector returns the element start and count of a vector field, checked to
// fit in the file for elements of elem bytes.
func (t table) vector(slot int, elem int64) (start int64, n int64, err error) {
	p, ok, err := t.field(slot, 4)
	if !ok || err != nil {
		return 0, 0, err
	}
	target, err := t.b.deref(p, t.name+" vector")
	if err != nil {
		return 0, 0, err
	}
	cnt, err := t.b.u32(target, t.name+" vector length")
	if err != nil {
		return 0, 0, err
	}
	start, n = target+4, int64(cnt)
	return start, n, t.b.span(start, n*elem, t.name+" vector")
}

// elemTable returns element i of a vector of tables.
func (t table) elemTable(start, i int64, name string) (table, error) {
	pos, err := t.b.deref(start+4*i, name)
	if err != nil {
		return table{}, err
	}
	return t.b.table(pos, name)
}

// str reads a string field, keeping at most max bytes.
func (t table) str(slot int, max int64) (string, error) {
	start, n, err := t.vector(slot, 1)
	if err != nil || n == 0 {
		return "", err
	}
	n = min(n, max)
	buf := make([]byte, n)
	if k, err := t.b.r.ReadAt(buf, start); int64(k) < n {
		return "", structErr(start, "read failed: %v", err)
	}
	return string(buf), nil
}
