package keras

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Limits of the marshal reader. A Lambda's bytecode is a few hundred bytes;
// these bounds leave room for generous real functions and stop hostile ones.
const (
	maxMarshalBytes   = 1 << 20
	maxMarshalDepth   = 200
	maxMarshalObjects = 200_000
)

// Marshal type codes (CPython Python/marshal.c). FLAG_REF on a type byte
// adds the object to the reference table that TYPE_REF indexes.
const (
	mNull          = '0'
	mNone          = 'N'
	mFalse         = 'F'
	mTrue          = 'T'
	mStopIter      = 'S'
	mEllipsis      = '.'
	mInt           = 'i'
	mInt64         = 'I'
	mFloat         = 'f'
	mBinaryFloat   = 'g'
	mComplex       = 'x'
	mBinaryComplex = 'y'
	mLong          = 'l'
	mString        = 's'
	mInterned      = 't'
	mRef           = 'r'
	mTuple         = '('
	mList          = '['
	mDict          = '{'
	mCode          = 'c'
	mUnicode       = 'u'
	mUnknown       = '?'
	mSet           = '<'
	mFrozenset     = '>'
	mASCII         = 'a'
	mASCIIInterned = 'A'
	mSmallTuple    = ')'
	mShortASCII    = 'z'
	mShortASCIIInt = 'Z'
	mSlice         = ':'
	flagRef        = 0x80
)

type pyKind uint8

const (
	pyNone pyKind = iota
	pyBool
	pyInt
	pyFloat
	pyBytes
	pyStr
	pyTuple
	pyList
	pyDict
	pySet
	pyCode
	pySlice
)

var pyKindNames = [...]string{"None", "bool", "int", "float", "bytes", "str", "tuple", "list", "dict", "set", "code", "slice"}

func (k pyKind) String() string { return pyKindNames[k] }

// pyObj is a decoded marshal value: enough of it to report what a code
// object references, not a general Python object model.
type pyObj struct {
	kind  pyKind
	s     string // str and bytes content
	items []*pyObj
	code  *codeObj
}

// codeObj keeps the fields of a code object that say what it can reach.
type codeObj struct {
	name, qualname, filename string
	names                    []string // co_names: globals, attributes, imports
	locals                   []string // co_varnames or co_localsplusnames
	consts                   []*pyObj
}

var (
	errMarshalEOF = errors.New("marshal data ends inside an object")
	errNullObject = errors.New("NULL object where a value is required")
)

// marshalReader decodes one marshal stream with one code-object layout.
type marshalReader struct {
	b       []byte
	pos     int
	refs    []*pyObj // nil marks a slot reserved by a code object or frozenset still being read
	depth   int
	objects int
	layout  *codeLayout
}

func (r *marshalReader) byte1() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, errMarshalEOF
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

func (r *marshalReader) int32() (int32, error) {
	if len(r.b)-r.pos < 4 {
		return 0, errMarshalEOF
	}
	v := int32(binary.LittleEndian.Uint32(r.b[r.pos:]))
	r.pos += 4
	return v, nil
}

// take returns the next n bytes; n is checked against what is left before
// anything is allocated.
func (r *marshalReader) take(n int) ([]byte, error) {
	if n < 0 || n > len(r.b)-r.pos {
		return nil, fmt.Errorf("size %d runs past the end of the marshal data", n)
	}
	p := r.b[r.pos : r.pos+n]
	r.pos += n
	return p, nil
}

// size reads a 32-bit element count that must be non-negative and, since
// every element takes at least min bytes, fit in what is left.
func (r *marshalReader) size(min int) (int, error) {
	n, err := r.int32()
	if err != nil {
		return 0, err
	}
	if n < 0 || int(n) > (len(r.b)-r.pos)/min {
		return 0, fmt.Errorf("count %d at offset %d does not fit in the marshal data", n, r.pos-4)
	}
	return int(n), nil
}

// object reads one value. A NULL (the end marker of a dict) is returned as
// nil with no error.
func (r *marshalReader) object() (*pyObj, error) {
	start := r.pos
	code, err := r.byte1()
	if err != nil {
		return nil, err
	}
	r.depth++
	defer func() { r.depth-- }()
	if r.depth > maxMarshalDepth {
		return nil, fmt.Errorf("marshal data nests deeper than %d levels", maxMarshalDepth)
	}
	r.objects++
	if r.objects > maxMarshalObjects {
		return nil, fmt.Errorf("more than %d objects in marshal data", maxMarshalObjects)
	}
	ref := code&flagRef != 0
	o, err := r.typed(code&^flagRef, ref)
	if err != nil {
		return nil, fmt.Errorf("type %q at offset %d: %w", rune(code&^flagRef), start, err)
	}
	return o, nil
}

func (r *marshalReader) typed(t byte, ref bool) (*pyObj, error) {
	switch t {
	case mNull:
		return nil, nil
	case mNone, mStopIter, mEllipsis, mUnknown:
		if t == mUnknown {
			return nil, errors.New("unknown-type marker")
		}
		return &pyObj{kind: pyNone}, nil
	case mFalse, mTrue:
		return &pyObj{kind: pyBool}, nil
	case mRef:
		return r.reference()
	case mTuple, mSmallTuple, mList, mSet, mDict:
		return r.container(t, ref)
	case mFrozenset, mCode, mSlice:
		return r.reserved(t, ref)
	}
	o, err := r.scalar(t)
	if err != nil {
		return nil, err
	}
	r.keep(o, ref)
	return o, nil
}

// keep adds o to the reference table when its type byte carried FLAG_REF.
func (r *marshalReader) keep(o *pyObj, ref bool) {
	if ref {
		r.refs = append(r.refs, o)
	}
}

func (r *marshalReader) reference() (*pyObj, error) {
	n, err := r.int32()
	if err != nil {
		return nil, err
	}
	if n < 0 || int(n) >= len(r.refs) || r.refs[n] == nil {
		return nil, fmt.Errorf("invalid back-reference %d (%d objects stored)", n, len(r.refs))
	}
	return r.refs[n], nil
}

// scalar reads numbers and strings.
func (r *marshalReader) scalar(t byte) (*pyObj, error) {
	switch t {
	case mInt:
		_, err := r.take(4)
		return &pyObj{kind: pyInt}, err
	case mInt64:
		_, err := r.take(8)
		return &pyObj{kind: pyInt}, err
	case mBinaryFloat:
		_, err := r.take(8)
		return &pyObj{kind: pyFloat}, err
	case mBinaryComplex:
		_, err := r.take(16)
		return &pyObj{kind: pyFloat}, err
	case mFloat, mComplex:
		return r.textFloat(t)
	case mLong:
		return r.long()
	case mString:
		return r.text(pyBytes, false)
	case mInterned, mUnicode, mASCII, mASCIIInterned:
		return r.text(pyStr, false)
	case mShortASCII, mShortASCIIInt:
		return r.text(pyStr, true)
	}
	return nil, errors.New("unknown type code")
}

func (r *marshalReader) textFloat(t byte) (*pyObj, error) {
	parts := 1
	if t == mComplex {
		parts = 2
	}
	for i := 0; i < parts; i++ {
		n, err := r.byte1()
		if err != nil {
			return nil, err
		}
		if _, err := r.take(int(n)); err != nil {
			return nil, err
		}
	}
	return &pyObj{kind: pyFloat}, nil
}

// long skips a TYPE_LONG: a signed digit count, then 15-bit digits in
// 16-bit little-endian words.
func (r *marshalReader) long() (*pyObj, error) {
	n, err := r.int32()
	if err != nil {
		return nil, err
	}
	count := int64(n)
	if count < 0 {
		count = -count
	}
	if count > int64(len(r.b)-r.pos)/2 {
		return nil, fmt.Errorf("long of %d digits runs past the end", count)
	}
	for i := int64(0); i < count; i++ {
		if binary.LittleEndian.Uint16(r.b[r.pos:])>>15 != 0 {
			return nil, errors.New("long digit out of range")
		}
		r.pos += 2
	}
	return &pyObj{kind: pyInt}, nil
}

func (r *marshalReader) text(k pyKind, short bool) (*pyObj, error) {
	var n int
	if short {
		c, err := r.byte1()
		if err != nil {
			return nil, err
		}
		n = int(c)
	} else {
		v, err := r.size(1)
		if err != nil {
			return nil, err
		}
		n = v
	}
	p, err := r.take(n)
	if err != nil {
		return nil, err
	}
	return &pyObj{kind: k, s: string(p)}, nil
}

var containerKinds = map[byte]pyKind{mTuple: pyTuple, mSmallTuple: pyTuple, mList: pyList, mSet: pySet, mDict: pyDict}

// container reads tuples, lists, sets and dicts, which CPython registers
// in the reference table before reading their items.
func (r *marshalReader) container(t byte, ref bool) (*pyObj, error) {
	o := &pyObj{kind: containerKinds[t]}
	r.keep(o, ref)
	if t == mDict {
		return o, r.dictItems(o)
	}
	var n int
	var err error
	if t == mSmallTuple {
		var c byte
		c, err = r.byte1()
		n = int(c)
	} else {
		n, err = r.size(1)
	}
	if err != nil {
		return nil, err
	}
	return o, r.items(o, n)
}

func (r *marshalReader) items(o *pyObj, n int) error {
	o.items = make([]*pyObj, 0, min(n, 64))
	for i := 0; i < n; i++ {
		v, err := r.object()
		if err != nil {
			return err
		}
		if v == nil {
			return errNullObject
		}
		o.items = append(o.items, v)
	}
	return nil
}

func (r *marshalReader) dictItems(o *pyObj) error {
	for {
		k, err := r.object()
		if err != nil {
			return err
		}
		if k == nil {
			return nil
		}
		v, err := r.object()
		if err != nil {
			return err
		}
		if v == nil {
			return errNullObject
		}
		o.items = append(o.items, k, v)
	}
}

// reserved reads the types that CPython registers only once complete
// (frozensets, code objects, slices): their slot is reserved first, so a
// back-reference to them from inside is invalid.
func (r *marshalReader) reserved(t byte, ref bool) (*pyObj, error) {
	slot := -1
	if ref {
		slot = len(r.refs)
		r.refs = append(r.refs, nil)
	}
	var o *pyObj
	var err error
	switch t {
	case mFrozenset:
		o = &pyObj{kind: pySet}
		var n int
		if n, err = r.size(1); err == nil {
			err = r.items(o, n)
		}
	case mSlice:
		o = &pyObj{kind: pySlice}
		err = r.items(o, 3)
	default:
		o, err = r.codeObject()
	}
	if err != nil {
		return nil, err
	}
	if slot >= 0 {
		r.refs[slot] = o
	}
	return o, nil
}
