package hdf5

import (
	"errors"
	"fmt"
)

// V2 B-tree record types of the name indexes (spec III.A.2).
const (
	btreeLinkNames = 5
	btreeAttrNames = 8
)

// denseRecords walks the name index B-tree of a dense link or attribute
// store and calls fn with each heap object it references. A broken object is
// reported and skipped; a broken heap or B-tree ends the store's walk.
func (w *walker) denseRecords(heapAddr, btreeAddr uint64, typ int, fn func(obj []byte) error) error {
	h, err := w.openHeap(heapAddr)
	if err != nil {
		return err
	}
	var ids [][]byte
	err = w.readBtree2(btreeAddr, typ, func(rec []byte) {
		ids = append(ids, heapID(rec, typ, h.idLen))
	})
	for _, id := range ids {
		if id == nil {
			w.problem("dense storage record too short for its heap ID")
			continue
		}
		obj, oerr := w.heapObject(h, id)
		if oerr == nil {
			oerr = fn(obj)
		}
		if oerr != nil {
			w.problemErr(oerr)
		}
	}
	return err
}

// heapID cuts the fractal heap ID out of a name index record: type 5 (link
// name) is a 4-byte hash then the ID; type 8 (attribute name) starts with an
// 8-byte ID then flags, creation order and hash.
func heapID(rec []byte, typ, idLen int) []byte {
	start, n := 4, idLen
	if typ == btreeAttrNames {
		start, n = 0, 8
		if len(rec) > 8 && rec[8]&2 != 0 {
			return []byte{0x10} // a shared attribute: report like a huge object
		}
	}
	if len(rec) < start+n {
		return nil
	}
	return rec[start : start+n]
}

// attrInfo is the decoded Attribute Info message (spec IV.A.2.v).
type attrInfo struct{ heap, nameIndex uint64 }

// parseAttrInfo decodes an Attribute Info message.
func (w *walker) parseAttrInfo(b []byte) (attrInfo, error) {
	c := w.rd.cursor(b)
	if v := c.u8(); v != 0 {
		return attrInfo{}, fmt.Errorf("hdf5: attribute info message version %d", v)
	}
	if flags := c.u8(); flags&1 != 0 {
		c.skip(2) // maximum creation index
	}
	ai := attrInfo{heap: c.addr(), nameIndex: c.addr()}
	if c.err != nil {
		return attrInfo{}, errors.New("hdf5: attribute info message truncated")
	}
	return ai, nil
}

// denseAttrs calls fn with each attribute message kept in the dense storage
// described by ai (nothing when it has no fractal heap).
func (w *walker) denseAttrs(ai attrInfo, fn func(obj []byte)) error {
	if ai.heap == undef {
		return nil
	}
	return w.denseRecords(ai.heap, ai.nameIndex, btreeAttrNames, func(obj []byte) error {
		fn(obj)
		return nil
	})
}
