package hdf5

import (
	"bytes"
	"errors"
	"io"
)

// signature is the 8-byte HDF5 format signature (spec II.A).
var signature = []byte("\x89HDF\r\n\x1a\n")

// Is reports whether head (the first 4096 bytes of a stream) starts with the
// HDF5 signature at offset 0. A file with a user block has it further on
// (512, 1024, ...): use Offset, which does the search Open does.
func Is(head []byte) bool { return bytes.HasPrefix(head, signature) }

// Limits bound the walk. Zero fields take the defaults below.
type Limits struct {
	MaxObjects, MaxDepth, MaxAttrs  int
	MaxAttrBytes, MaxTotalAttrBytes int64
}

// Defaults sized for real Keras models: a few thousand objects, shallow
// trees, model_config rarely above a few MiB.
const (
	DefaultMaxObjects        = 100_000
	DefaultMaxDepth          = 64
	DefaultMaxAttrs          = 10_000
	DefaultMaxAttrBytes      = 64 << 20
	DefaultMaxTotalAttrBytes = 256 << 20
)

func (l Limits) withDefaults() Limits {
	if l.MaxObjects <= 0 {
		l.MaxObjects = DefaultMaxObjects
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxAttrs <= 0 {
		l.MaxAttrs = DefaultMaxAttrs
	}
	if l.MaxAttrBytes <= 0 {
		l.MaxAttrBytes = DefaultMaxAttrBytes
	}
	if l.MaxTotalAttrBytes <= 0 {
		l.MaxTotalAttrBytes = DefaultMaxTotalAttrBytes
	}
	return l
}

// Attr is one decoded attribute.
type Attr struct {
	Name    string
	Type    string   // "string", "vlen-string", "int", "float", "compound", "other", ...
	Strings []string // for string types: the decoded values (scalar -> one element), in order
	Raw     []byte   // for non-string types: the raw value bytes, at most maxRaw, may be nil
}

// maxRaw caps Attr.Raw: callers only need small numeric values.
const maxRaw = 4096

// Object is one object reached by the walk.
type Object struct {
	Path     string // "/" for the root, "/model_weights/dense" ...
	Kind     string // "group", "dataset", "datatype", "unknown"
	Attrs    []Attr
	External []string // external data file names (External Data Files message) used by a dataset
}

// Link is a soft or external link found in a group.
type Link struct{ From, Name, Kind, Target string } // Kind "soft" or "external"; Target "file::/path" for external

// File is the result of a walk.
type File struct {
	Objects  []Object // in walk order; Objects[0] is the root group
	Links    []Link   // soft and external links found
	Problems []string // structural problems found while walking (the walk continues where it safely can)
}

// Open reads the superblock and walks the object tree. An error means the
// file could not be read as HDF5 at all; problems after the superblock are
// recorded in File.Problems and the walk goes on with what it can read.
func Open(r io.ReaderAt, size int64, lim Limits) (*File, error) {
	if r == nil || size <= 0 {
		return nil, errors.New("hdf5: empty input")
	}
	rd := &reader{r: r, size: size, budget: readBudget(size)}
	sb, err := findSuperblock(rd)
	if err != nil {
		return nil, err
	}
	w := newWalker(rd, lim.withDefaults())
	if sb.problem != "" {
		w.problem("%s", sb.problem)
	}
	w.walkRoot(sb.root)
	return w.file, nil
}

// readBudget caps the bytes read in one Open: generous for real files (whose
// metadata is read about once, and tensor bytes never) but linear in the file
// size and at most 1 GiB, so overlapping hostile structures cannot make the
// cost quadratic.
func readBudget(size int64) int64 { return min(4*size+64<<20, 1<<30) }

// RootAttr returns the root group's attribute by name, if present.
func (f *File) RootAttr(name string) (Attr, bool) {
	if f == nil || len(f.Objects) == 0 {
		return Attr{}, false
	}
	for _, a := range f.Objects[0].Attrs {
		if a.Name == name {
			return a, true
		}
	}
	return Attr{}, false
}
