package onnx

import (
	"bytes"
	"testing"

	"github.com/modelward/modelward/finding"
	"google.golang.org/protobuf/encoding/protowire"
)

// A small protobuf writer for hand-made models: the cases the onnx library
// refuses to write (lying sizes, deep nesting, wrong wire types).

func bytesField(num protowire.Number, v []byte) []byte {
	b := protowire.AppendTag(nil, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func varintField(num protowire.Number, v uint64) []byte {
	return protowire.AppendVarint(protowire.AppendTag(nil, num, protowire.VarintType), v)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// model is a ModelProto: ir_version 8, then the given fields.
func model(fields ...[]byte) []byte {
	return cat(append([][]byte{varintField(1, 8)}, fields...)...)
}

func opsetImport(domain string, v int64) []byte {
	return bytesField(8, cat(bytesField(1, []byte(domain)), varintField(2, uint64(v))))
}

// graph is ModelProto.graph holding the given GraphProto fields.
func graph(fields ...[]byte) []byte { return bytesField(7, cat(fields...)) }

// node is a GraphProto.node field.
func node(op, domain string, attrs ...[]byte) []byte {
	return bytesField(1, cat(bytesField(4, []byte(op)), cat(attrs...), bytesField(7, []byte(domain))))
}

// graphAttr is a NodeProto.attribute holding a subgraph.
func graphAttr(name string, g []byte) []byte {
	return bytesField(5, cat(bytesField(1, []byte(name)), varintField(20, 5), bytesField(6, g)))
}

// tensorAttr is a NodeProto.attribute holding a tensor.
func tensorAttr(name string, t []byte) []byte {
	return bytesField(5, cat(bytesField(1, []byte(name)), varintField(20, 4), bytesField(5, t)))
}

// floatTensor is a TensorProto of FLOAT with dims and raw_data of rawLen bytes.
func floatTensor(name string, dims []int64, rawLen int) []byte {
	var b []byte
	for _, d := range dims {
		b = append(b, varintField(1, uint64(d))...)
	}
	b = cat(b, varintField(2, 1), bytesField(8, []byte(name)))
	if rawLen >= 0 {
		b = append(b, bytesField(9, make([]byte, rawLen))...)
	}
	return b
}

// externalTensor is a FLOAT TensorProto stored externally.
func externalTensor(name string, dims []int64, kv ...string) []byte {
	b := floatTensor(name, dims, -1)
	for i := 0; i+1 < len(kv); i += 2 {
		b = append(b, bytesField(13, cat(bytesField(1, []byte(kv[i])), bytesField(2, []byte(kv[i+1]))))...)
	}
	return cat(b, varintField(14, 1))
}

func initializer(t []byte) []byte { return bytesField(5, t) }

func mustCheck(t testing.TB, b []byte, dir string) (*Result, []finding.Finding) {
	t.Helper()
	res, fs, err := Check(bytes.NewReader(b), int64(len(b)), Config{Location: finding.Location{Path: "m.onnx"}, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return res, fs
}
