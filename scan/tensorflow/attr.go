package tensorflow

import (
	"encoding/binary"

	"google.golang.org/protobuf/encoding/protowire"
)

// dtString is DataType DT_STRING in tensorflow/core/framework/types.proto.
const dtString = 7

// attrValue walks an AttrValue and records every string in it (s,
// list.s, string tensors, function names, placeholders) on n under key.
func attrValue(n *nodeDef, key string, buf []byte, base int64, depth int) error {
	if depth > maxAttrDepth {
		return &limitError{off: base, msg: "attr values nested more than 10 deep"}
	}
	return walk(buf, base, func(f field) error {
		switch f.num {
		case 1:
			if err := f.want(protowire.BytesType, "AttrValue.list"); err != nil {
				return err
			}
			return listValue(n, key, f.buf, f.boff, depth)
		case 2, 9:
			s, err := f.str("AttrValue.s")
			n.addStr(key, s)
			return err
		case 3, 5, 6:
			_, err := f.varint("AttrValue scalar")
			return err
		case 4:
			return f.want(protowire.Fixed32Type, "AttrValue.f")
		case 7:
			return f.want(protowire.BytesType, "AttrValue.shape")
		case 8:
			if err := f.want(protowire.BytesType, "AttrValue.tensor"); err != nil {
				return err
			}
			return tensorStrings(n, key, f.buf, f.boff)
		case 10:
			if err := f.want(protowire.BytesType, "AttrValue.func"); err != nil {
				return err
			}
			return nameAttrList(n, key, f.buf, f.boff, depth)
		}
		return nil
	})
}

func listValue(n *nodeDef, key string, buf []byte, base int64, depth int) error {
	return walk(buf, base, func(f field) error {
		switch f.num {
		case 2:
			s, err := f.str("ListValue.s")
			n.addStr(key, s)
			return err
		case 7:
			return f.want(protowire.BytesType, "ListValue.shape")
		case 8:
			if err := f.want(protowire.BytesType, "ListValue.tensor"); err != nil {
				return err
			}
			return tensorStrings(n, key, f.buf, f.boff)
		case 9:
			if err := f.want(protowire.BytesType, "ListValue.func"); err != nil {
				return err
			}
			return nameAttrList(n, key, f.buf, f.boff, depth)
		}
		return nil
	})
}

func nameAttrList(n *nodeDef, key string, buf []byte, base int64, depth int) error {
	return walk(buf, base, func(f field) error {
		switch f.num {
		case 1:
			s, err := f.str("NameAttrList.name")
			n.addStr(key, s)
			if depth == 0 {
				n.addFunc(key, s)
			}
			return err
		case 2:
			_, val, voff, err := mapEntry(f, "NameAttrList.attr")
			if err != nil {
				return err
			}
			return attrValue(n, key, val, voff, depth+1)
		}
		return nil
	})
}

// tensorStrings records the values of a DT_STRING TensorProto, from
// string_val or from tensor_content.
func tensorStrings(n *nodeDef, key string, buf []byte, base int64) error {
	var dtype uint64
	var content []byte
	ints := key == "value"
	err := walk(buf, base, func(f field) error {
		var err error
		switch f.num {
		case 1:
			dtype, err = f.varint("TensorProto.dtype")
		case 2:
			err = f.want(protowire.BytesType, "TensorProto.tensor_shape")
		case 4:
			err = f.want(protowire.BytesType, "TensorProto.tensor_content")
			content = f.buf
		case 8:
			var s string
			s, err = f.str("TensorProto.string_val")
			n.addStr(key, s)
		case 7, 10: // int_val (int32), int64_val, packed or not
			if ints {
				err = intVals(n, f)
			}
		}
		return err
	})
	if err == nil && dtype == dtString && len(content) > 0 {
		for _, s := range decodeStringList(content) {
			n.addStr(key, s)
		}
	}
	if err == nil && ints && len(content) > 0 {
		switch dtype {
		case dtInt32:
			for i := 0; i+4 <= len(content) && len(n.ints) < maxStrsPerNode; i += 4 {
				n.addInt(int64(int32(binary.LittleEndian.Uint32(content[i:]))))
			}
		case dtInt64:
			for i := 0; i+8 <= len(content) && len(n.ints) < maxStrsPerNode; i += 8 {
				n.addInt(int64(binary.LittleEndian.Uint64(content[i:])))
			}
		}
	}
	return err
}

// DataType DT_INT32 and DT_INT64 in types.proto.
const (
	dtInt32 = 3
	dtInt64 = 9
)

// intVals records TensorProto.int_val / int64_val, which writers emit
// packed (one bytes field) or as separate varints.
func intVals(n *nodeDef, f field) error {
	switch f.typ {
	case protowire.VarintType:
		n.addInt(int64(f.val))
		return nil
	case protowire.BytesType:
		b := f.buf
		for len(b) > 0 && len(n.ints) < maxStrsPerNode {
			v, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return structErr(f.off, "TensorProto int values: %v", protowire.ParseError(m))
			}
			n.addInt(int64(v))
			b = b[m:]
		}
		return nil
	}
	return structErr(f.off, "TensorProto int values (field %d) have wire type %d", f.num, f.typ)
}

// decodeStringList decodes the tensor_content of a string tensor as TF's
// EncodeStringList writes it: all lengths as varints, then all bytes. The
// element count is not stored, so lengths are read until they account for
// the rest of the buffer exactly; anything else yields nothing.
func decodeStringList(b []byte) []string {
	var lens []uint64
	pos, total := 0, uint64(0)
	for pos < len(b) && len(lens) < maxStrsPerNode {
		v, n := protowire.ConsumeVarint(b[pos:])
		if n < 0 || v > uint64(len(b)) {
			return nil
		}
		pos += n
		lens = append(lens, v)
		total += v
		if total > uint64(len(b)-pos) {
			return nil
		}
		if total == uint64(len(b)-pos) {
			out := make([]string, 0, len(lens))
			for _, l := range lens {
				out = append(out, string(b[pos:pos+int(l)]))
				pos += int(l)
			}
			return out
		}
	}
	return nil
}
