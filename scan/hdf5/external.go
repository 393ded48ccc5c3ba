package hdf5

import "fmt"

// externalFiles lists the files named by an External Data Files message
// (spec IV.A.2.h): slots of (name offset in a local heap, offset, size). A
// virtual dataset layout (Data Layout version 4, class 3) also reads other
// files; its source list is not decoded, so it is reported as a problem.
func (w *walker) externalFiles(path string, msgs []message) []string {
	var out []string
	for _, m := range msgs {
		switch {
		case m.typ == msgExternal:
			names, err := w.externalSlots(m.data)
			if err != nil {
				w.problemErr(fmt.Errorf("dataset %s: external data files: %w", path, err))
			}
			out = append(out, names...)
		case m.typ == msgLayout && len(m.data) >= 2 && m.data[0] == 4 && m.data[1] == 3:
			w.problem("dataset %s: virtual dataset layout; its source files were not read", path)
		}
	}
	return out
}

// maxExternalSlots bounds the names taken from one message.
const maxExternalSlots = 4096

func (w *walker) externalSlots(b []byte) ([]string, error) {
	c := w.rd.cursor(b)
	if v := c.u8(); v != 1 {
		return nil, fmt.Errorf("message version %d", v)
	}
	c.skip(3 + 2) // reserved, allocated slots
	used := int(c.u16())
	heap := c.addr()
	if c.err != nil {
		return nil, c.err
	}
	seg, err := w.localHeap(heap)
	if err != nil {
		return nil, err
	}
	var out []string
	for i := 0; i < used && i < maxExternalSlots; i++ {
		off := c.length()
		c.skip(2 * w.rd.sl) // offset in the file, size
		if c.err != nil {
			return out, fmt.Errorf("slot %d truncated", i)
		}
		name, err := heapString(seg, off)
		if err != nil {
			return out, err
		}
		out = append(out, name)
	}
	return out, nil
}
