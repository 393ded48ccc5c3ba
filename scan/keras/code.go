package keras

import (
	"errors"
	"fmt"
)

// codeLayout is the field order of TYPE_CODE in one range of CPython
// versions (marshal.c, w_object/r_object): a run of 32-bit integers, then
// objects, with co_firstlineno as an integer between filename/name and the
// line table.
type codeLayout struct {
	name string
	// ints before co_code: argcount, [posonlyargcount], kwonlyargcount,
	// [nlocals], stacksize, flags.
	ints int
	// objects between co_code and co_filename, in order.
	middle []codeField
	// qualname: 3.11+ writes co_qualname after co_name.
	qualname bool
	// trailer objects after co_firstlineno: lnotab/linetable, and
	// exceptiontable from 3.11 on.
	trailer int
}

type codeField uint8

const (
	fConsts codeField = iota
	fNames
	fLocals     // co_varnames, or co_localsplusnames from 3.11
	fNameTuple  // co_freevars, co_cellvars: tuples of str
	fLocalKinds // co_localspluskinds (bytes), 3.11+
)

var (
	layout311 = &codeLayout{"CPython 3.11–3.13", 5, []codeField{fConsts, fNames, fLocals, fLocalKinds}, true, 2}
	layout38  = &codeLayout{"CPython 3.8–3.10", 6, []codeField{fConsts, fNames, fLocals, fNameTuple, fNameTuple}, false, 1}
	layout30  = &codeLayout{"CPython 3.0–3.7", 5, []codeField{fConsts, fNames, fLocals, fNameTuple, fNameTuple}, false, 1}
	// layouts are tried newest first; a stream parses completely under the
	// layout that wrote it and, in practice, under no other.
	layouts = []*codeLayout{layout311, layout38, layout30}
)

// codeObject reads the fields after a TYPE_CODE byte and checks their
// types, which is what tells the layouts apart.
func (r *marshalReader) codeObject() (*pyObj, error) {
	l := r.layout
	if _, err := r.take(4 * l.ints); err != nil {
		return nil, err
	}
	c := &codeObj{}
	if _, err := r.want(pyBytes, "co_code"); err != nil {
		return nil, err
	}
	for _, f := range l.middle {
		if err := r.codeField(c, f); err != nil {
			return nil, err
		}
	}
	var err error
	if c.filename, err = r.wantStr("co_filename"); err != nil {
		return nil, err
	}
	if c.name, err = r.wantStr("co_name"); err != nil {
		return nil, err
	}
	if l.qualname {
		if c.qualname, err = r.wantStr("co_qualname"); err != nil {
			return nil, err
		}
	}
	if _, err := r.int32(); err != nil {
		return nil, err
	}
	for i := 0; i < l.trailer; i++ {
		if _, err := r.want(pyBytes, "line or exception table"); err != nil {
			return nil, err
		}
	}
	return &pyObj{kind: pyCode, code: c}, nil
}

func (r *marshalReader) codeField(c *codeObj, f codeField) error {
	switch f {
	case fConsts:
		t, err := r.want(pyTuple, "co_consts")
		if err == nil {
			c.consts = t.items
		}
		return err
	case fLocalKinds:
		_, err := r.want(pyBytes, "co_localspluskinds")
		return err
	}
	names, err := r.wantNames()
	switch f {
	case fNames:
		c.names = names
	case fLocals:
		c.locals = names
	}
	return err
}

func (r *marshalReader) want(k pyKind, field string) (*pyObj, error) {
	o, err := r.object()
	if err != nil {
		return nil, err
	}
	if o == nil {
		return nil, fmt.Errorf("%s is NULL", field)
	}
	if o.kind != k {
		return nil, fmt.Errorf("%s is a %s, not a %s", field, o.kind, k)
	}
	return o, nil
}

func (r *marshalReader) wantStr(field string) (string, error) {
	o, err := r.want(pyStr, field)
	if err != nil {
		return "", err
	}
	return o.s, nil
}

// wantNames reads a tuple whose items must all be str.
func (r *marshalReader) wantNames() ([]string, error) {
	t, err := r.want(pyTuple, "name tuple")
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(t.items))
	for _, it := range t.items {
		if it.kind != pyStr {
			return nil, fmt.Errorf("name tuple holds a %s", it.kind)
		}
		out = append(out, it.s)
	}
	return out, nil
}

// decodedCode is the result of decoding a marshalled function.
type decodedCode struct {
	layout string
	top    *codeObj
	clean  bool // the stream was consumed exactly
}

// decodeMarshal reads a marshalled code object, trying each layout.
// marshal.loads ignores trailing bytes, so a layout that parses but leaves
// bytes over is accepted only when none consumes the stream exactly.
func decodeMarshal(b []byte) (*decodedCode, error) {
	if len(b) > maxMarshalBytes {
		return nil, fmt.Errorf("marshal data is %d bytes, over the %d-byte limit", len(b), maxMarshalBytes)
	}
	if len(b) == 0 {
		return nil, errors.New("marshal data is empty")
	}
	var partial *decodedCode
	var bestErr error
	best := -1
	for _, l := range layouts {
		r := &marshalReader{b: b, layout: l}
		o, err := r.object()
		if err == nil && (o == nil || o.kind != pyCode) {
			err = fmt.Errorf("marshal data holds a %s, not a code object", kindName(o))
		}
		if err != nil {
			if r.pos > best {
				best, bestErr = r.pos, err
			}
			continue
		}
		d := &decodedCode{layout: l.name, top: o.code, clean: r.pos == len(b)}
		if d.clean {
			return d, nil
		}
		if partial == nil {
			partial = d
		}
	}
	if partial != nil {
		return partial, nil
	}
	return nil, bestErr
}

func kindName(o *pyObj) string {
	if o == nil {
		return "NULL"
	}
	return o.kind.String()
}
