package hdf5

import (
	"errors"
	"fmt"
	"strings"
)

// maxProblems bounds File.Problems; a hostile file could otherwise produce
// one per broken record.
const maxProblems = 1000

// walker holds the state of one Open.
type walker struct {
	rd         *reader
	lim        Limits
	file       *File
	seen       map[uint64]bool // object header addresses already visited
	attrBytes  uint64
	gheap      map[uint64]*gcol
	gheapBytes int
	lheap      map[uint64][]byte
	lheapBytes int
	limited    map[string]bool // limits already reported
	stopped    bool            // the read budget ran out
}

func newWalker(rd *reader, lim Limits) *walker {
	return &walker{rd: rd, lim: lim, file: &File{}, seen: map[uint64]bool{},
		gheap: map[uint64]*gcol{}, lheap: map[uint64][]byte{}, limited: map[string]bool{}}
}

// problem records a structural problem.
func (w *walker) problem(format string, args ...any) {
	switch n := len(w.file.Problems); {
	case n < maxProblems:
		w.file.Problems = append(w.file.Problems, fmt.Sprintf(format, args...))
	case n == maxProblems:
		w.file.Problems = append(w.file.Problems, "limit: too many problems; further ones not recorded")
	}
}

// problemErr records err, as a "limit:" problem when it wraps errLimit and
// stopping the walk when the read budget is spent.
func (w *walker) problemErr(err error) {
	msg := strings.ReplaceAll(err.Error(), "hdf5: ", "")
	switch {
	case errors.Is(err, errBudget):
		if !w.stopped {
			w.stopped = true
			w.problem("limit: %s", msg)
		}
	case errors.Is(err, errLimit):
		w.problem("limit: %s", strings.Replace(msg, "limit: ", "", 1))
	default:
		w.problem("%s", msg)
	}
}

// limit records an exceeded walk limit once per kind.
func (w *walker) limit(kind, format string, args ...any) {
	if !w.limited[kind] {
		w.limited[kind] = true
		w.problem("limit: "+format, args...)
	}
}

// walkRoot walks the tree from the root group.
func (w *walker) walkRoot(addr uint64) {
	w.visit("/", addr, 0)
	if len(w.file.Objects) == 0 {
		w.file.Objects = append(w.file.Objects, Object{Path: "/", Kind: "unknown"})
	}
}

// visit reads the object at addr, records it, and descends into groups.
func (w *walker) visit(path string, addr uint64, depth int) {
	if w.stopped {
		return
	}
	if len(w.file.Objects) >= w.lim.MaxObjects {
		w.limit("objects", "more than %d objects; the rest were not read", w.lim.MaxObjects)
		return
	}
	if w.seen[addr] {
		// Another hard link to an object already walked, or a cycle: the
		// object is listed once, under the first path that reached it.
		return
	}
	w.seen[addr] = true
	msgs, version, err := w.readHeader(addr)
	if err != nil {
		w.problemErr(fmt.Errorf("object %s: %w", path, err))
		if len(msgs) == 0 {
			w.file.Objects = append(w.file.Objects, Object{Path: path, Kind: "unknown"})
			return
		}
	}
	obj := Object{Path: path, Kind: objectKind(msgs)}
	obj.Attrs = w.attributes(path, version, msgs)
	obj.External = w.externalFiles(path, msgs)
	w.file.Objects = append(w.file.Objects, obj)
	if obj.Kind == "group" {
		w.children(path, msgs, depth)
	}
}

// objectKind classifies an object header by the messages it holds.
func objectKind(msgs []message) string {
	has := map[uint16]bool{}
	for _, m := range msgs {
		has[m.typ] = true
	}
	switch {
	case has[msgSymbolTable] || has[msgLinkInfo] || has[msgLink] || has[msgGroupInfo]:
		return "group"
	case has[msgLayout] || has[msgDataspace]:
		return "dataset"
	case has[msgDatatype]:
		return "datatype"
	}
	return "unknown"
}

// attributes decodes the attributes libhdf5 reads (H5O__attr_open_by_name,
// H5O__attr_iterate_real): in a version 2 header whose first Attribute Info
// message has a fractal heap address, the dense ones only; otherwise the
// compact Attribute messages only (a version 1 header's Attribute Info is
// never read). Every attribute the library would not see is reported as a
// problem, since a reader taking it would see a different model than Keras.
func (w *walker) attributes(path string, version int, msgs []message) []Attr {
	var out []Attr
	emit := func(a Attr, err error) {
		if err != nil {
			w.problemErr(fmt.Errorf("object %s: %w", path, err))
		}
		if a.Name == "" && err != nil {
			return
		}
		if len(out) >= w.lim.MaxAttrs {
			w.limit("attrs "+path, "object %s has more than %d attributes", path, w.lim.MaxAttrs)
			return
		}
		out = append(out, a)
	}
	dense := w.denseIndex(path, version, msgs)
	for i, m := range msgs {
		switch {
		case m.typ == msgAttribute && dense >= 0:
			w.ignoredAttr(path, m, "a compact attribute in a header with dense attribute storage")
		case m.typ == msgAttribute && m.flags&2 != 0:
			w.problem("object %s: shared attribute message not read", path)
		case m.typ == msgAttribute:
			emit(w.attribute(m.data))
		case m.typ == msgAttrInfo && i == dense:
			ai, _ := w.parseAttrInfo(m.data) // parsed without error by denseIndex
			if err := w.denseAttrs(ai, func(obj []byte) { emit(w.attribute(obj)) }); err != nil {
				w.problemErr(fmt.Errorf("object %s: dense attributes: %w", path, err))
			}
		case m.typ == msgAttrInfo:
			w.ignoredDense(path, version, m)
		}
	}
	w.duplicateAttrs(path, out)
	return out
}

// denseIndex returns the index of the Attribute Info message whose dense
// storage libhdf5 reads instead of the compact attributes, or -1: only a
// version 2 header's first Attribute Info message counts (H5A__get_ainfo).
func (w *walker) denseIndex(path string, version int, msgs []message) int {
	if version < 2 {
		return -1
	}
	for i, m := range msgs {
		if m.typ != msgAttrInfo {
			continue
		}
		ai, err := w.parseAttrInfo(m.data)
		if err != nil {
			w.problemErr(fmt.Errorf("object %s: %w", path, err))
			return -1
		}
		if ai.heap == undef {
			return -1
		}
		return i
	}
	return -1
}

// ignoredAttr reports an Attribute message libhdf5 does not read.
func (w *walker) ignoredAttr(path string, m message, why string) {
	if m.flags&2 != 0 {
		w.problem("object %s: shared attribute message ignored by libhdf5 (%s)", path, why)
		return
	}
	name := "?"
	if h, err := w.parseAttrHeader(m.data); err == nil {
		name = h.name
	}
	w.problem("object %s: attribute %q ignored by libhdf5 (%s)", path, name, why)
}

// ignoredDense reports the attributes in the dense storage of an Attribute
// Info message libhdf5 does not read: any in a version 1 header, or one after
// the first in a version 2 header.
func (w *walker) ignoredDense(path string, version int, m message) {
	ai, err := w.parseAttrInfo(m.data)
	if err != nil {
		w.problemErr(fmt.Errorf("object %s: ignored %w", path, err))
		return
	}
	why := "dense storage of a second attribute info message"
	if version < 2 {
		why = "dense storage named by a version 1 object header"
	}
	if ai.heap == undef {
		return
	}
	w.problem("object %s: attribute info message ignored by libhdf5 (%s)", path, why)
	err = w.denseAttrs(ai, func(obj []byte) {
		w.ignoredAttr(path, message{typ: msgAttribute, data: obj}, why)
	})
	if err != nil {
		w.problemErr(fmt.Errorf("object %s: ignored dense attributes: %w", path, err))
	}
}

// duplicateAttrs reports names that occur more than once among the
// attributes libhdf5 reads: which one a lookup returns is up to the library.
func (w *walker) duplicateAttrs(path string, attrs []Attr) {
	count := make(map[string]int, len(attrs))
	for _, a := range attrs {
		count[a.Name]++
	}
	for _, a := range attrs {
		if n := count[a.Name]; n > 1 {
			w.problem("object %s: attribute %q occurs %d times", path, a.Name, n)
			count[a.Name] = 0 // reported once
		}
	}
}

// children walks the members of a group: Link messages (compact), Link Info
// (dense) and Symbol Table (old style).
func (w *walker) children(path string, msgs []message, depth int) {
	var members []member
	for _, m := range msgs {
		var got []member
		var err error
		switch m.typ {
		case msgLink:
			var one member
			one, err = w.parseLink(m.data)
			got = []member{one}
		case msgLinkInfo:
			got, err = w.denseLinks(m.data)
		case msgSymbolTable:
			got, err = w.symbolTable(m.data)
		}
		if err != nil {
			w.problemErr(fmt.Errorf("group %s: %w", path, err))
			if m.typ == msgLink {
				continue
			}
		}
		members = append(members, got...)
	}
	for _, m := range members {
		w.follow(path, m, depth)
	}
}

// follow records a soft/external link or visits a hard link's target.
func (w *walker) follow(from string, m member, depth int) {
	if m.typ != linkHard {
		w.file.Links = append(w.file.Links, Link{From: from, Name: m.name, Kind: linkKind(m.typ), Target: m.target})
		return
	}
	if depth+1 > w.lim.MaxDepth {
		w.limit("depth", "group %s is nested deeper than %d levels; its members were not read", from, w.lim.MaxDepth)
		return
	}
	w.visit(joinPath(from, m.name), m.addr, depth+1)
}

func joinPath(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}
