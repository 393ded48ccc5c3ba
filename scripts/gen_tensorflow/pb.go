package main

import "google.golang.org/protobuf/encoding/protowire"

// pb is a protobuf message under construction. Field numbers are those of
// the published TensorFlow .proto files (see scan/tensorflow/doc.go).
type pb []byte

func (m pb) str(n protowire.Number, s string) pb {
	return protowire.AppendString(protowire.AppendTag(m, n, protowire.BytesType), s)
}

func (m pb) msg(n protowire.Number, sub pb) pb {
	return protowire.AppendBytes(protowire.AppendTag(m, n, protowire.BytesType), sub)
}

func (m pb) u(n protowire.Number, v uint64) pb {
	return protowire.AppendVarint(protowire.AppendTag(m, n, protowire.VarintType), v)
}

func (m pb) f32(n protowire.Number, v uint32) pb {
	return protowire.AppendFixed32(protowire.AppendTag(m, n, protowire.Fixed32Type), v)
}

// packed appends a packed repeated varint field.
func (m pb) packed(n protowire.Number, vs ...uint64) pb {
	var body []byte
	for _, v := range vs {
		body = protowire.AppendVarint(body, v)
	}
	return protowire.AppendBytes(protowire.AppendTag(m, n, protowire.BytesType), body)
}

// entry appends a map entry {key=1, value=2} as field n.
func (m pb) entry(n protowire.Number, key string, val pb) pb {
	return m.msg(n, pb(nil).str(1, key).msg(2, val))
}

// DataType values from tensorflow/core/framework/types.proto.
const (
	dtFloat    = 1
	dtInt32    = 3
	dtString   = 7
	dtResource = 20
)

// attr is one NodeDef attr entry.
type attr struct {
	key string
	val pb
}

// node builds a NodeDef {name=1, op=2, input=3, device=4, attr=5}.
func node(name, op string, inputs []string, attrs ...attr) pb {
	m := pb(nil).str(1, name).str(2, op)
	for _, in := range inputs {
		m = m.str(3, in)
	}
	for _, a := range attrs {
		m = m.entry(5, a.key, a.val)
	}
	return m
}

// AttrValue builders {list=1, s=2, i=3, f=4, b=5, type=6, shape=7,
// tensor=8, placeholder=9, func=10}.
func aType(dt uint64) pb   { return pb(nil).u(6, dt) }
func aStr(s string) pb     { return pb(nil).str(2, s) }
func aInt(i uint64) pb     { return pb(nil).u(3, i) }
func aBool(b bool) pb      { return pb(nil).u(5, map[bool]uint64{false: 0, true: 1}[b]) }
func aFunc(name string) pb { return pb(nil).msg(10, pb(nil).str(1, name)) }

// aShape: TensorShapeProto {dim=2 {size=1}, unknown_rank=3}.
func aShape(dims ...int64) pb {
	return pb(nil).msg(7, shape(dims...))
}

func shape(dims ...int64) pb {
	s := pb(nil)
	for _, d := range dims {
		s = s.msg(2, pb(nil).u(1, uint64(d)))
	}
	return s
}

// aTypes is list(type): ListValue.type=6, packed.
func aTypes(dts ...uint64) pb { return pb(nil).msg(1, pb(nil).packed(6, dts...)) }

// aInts is list(int): ListValue.i=3, packed.
func aInts(is ...uint64) pb { return pb(nil).msg(1, pb(nil).packed(3, is...)) }

// aEmptyList is an empty list(...).
func aEmptyList() pb { return pb(nil).msg(1, nil) }

// strTensor is a DT_STRING TensorProto {dtype=1, tensor_shape=2,
// string_val=8}; a scalar when one value is given.
func strTensor(vals ...string) pb {
	t := pb(nil).u(1, dtString)
	if len(vals) == 1 {
		t = t.msg(2, nil)
	} else {
		t = t.msg(2, shape(int64(len(vals))))
	}
	for _, v := range vals {
		t = t.str(8, v)
	}
	return t
}

// intTensor is a scalar DT_INT32 TensorProto {int_val=7}.
func intTensor(v uint64) pb {
	return pb(nil).u(1, dtInt32).msg(2, nil).packed(7, v)
}

func constStr(name string, vals ...string) pb {
	return node(name, "Const", nil,
		attr{"dtype", aType(dtString)},
		attr{"value", pb(nil).msg(8, strTensor(vals...))})
}

func constInt(name string, v uint64) pb {
	return node(name, "Const", nil,
		attr{"dtype", aType(dtInt32)},
		attr{"value", pb(nil).msg(8, intTensor(v))})
}

// function builds a FunctionDef {signature=1 (OpDef name=1, input_arg=2,
// output_arg=3 with ArgDef name=1, type=3), node_def=3, ret=4}.
func function(name string, inputs, outputs []string, ret map[string]string, nodes ...pb) pb {
	sig := pb(nil).str(1, name)
	for _, in := range inputs {
		sig = sig.msg(2, pb(nil).str(1, in).u(3, dtFloat))
	}
	for _, out := range outputs {
		sig = sig.msg(3, pb(nil).str(1, out).u(3, dtFloat))
	}
	f := pb(nil).msg(1, sig)
	for _, n := range nodes {
		f = f.msg(3, n)
	}
	for _, out := range outputs {
		f = f.entry(4, out, pb(ret[out]))
	}
	return f
}
