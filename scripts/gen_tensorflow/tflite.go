package main

import (
	"encoding/binary"
	"math"
)

// TFLite builtin codes from schema.fbs BuiltinOperator.
const (
	opFullyConnected = 9
	opSoftmax        = 25
	opCustom         = 32
)

// opcode is an OperatorCode {deprecated_builtin_code=0 (byte),
// custom_code=1, version=2, builtin_code=3}.
func opcode(code int, custom string) func(b *fb) int {
	return func(b *fb) int {
		var cc *fval
		if custom != "" {
			cc = ref(func(b *fb) int { return b.str(custom) })
		}
		return b.table(scalar(1, uint64(code)), cc, scalar(4, 1), scalar(4, uint64(code)))
	}
}

// tensor is a Tensor {shape=0, type=1 (FLOAT32=0), buffer=2, name=3}.
func tensor(name string, buffer uint32, dims ...int32) func(b *fb) int {
	return func(b *fb) int {
		return b.table(ref(func(b *fb) int { return b.intVec(dims...) }), scalar(1, 0),
			scalar(4, uint64(buffer)), ref(func(b *fb) int { return b.str(name) }))
	}
}

// operator is an Operator {opcode_index=0, inputs=1, outputs=2}.
func operator(idx uint32, in, out []int32) func(b *fb) int {
	return func(b *fb) int {
		return b.table(scalar(4, uint64(idx)),
			ref(func(b *fb) int { return b.intVec(in...) }),
			ref(func(b *fb) int { return b.intVec(out...) }))
	}
}

// buffer is a Buffer {data=0, offset=1, size=2}.
func buffer(data []byte) func(b *fb) int {
	return func(b *fb) int {
		if data == nil {
			return b.table()
		}
		return b.table(ref(func(b *fb) int { return b.bytesVec(data, false) }))
	}
}

func externalBuffer(off, size uint64) func(b *fb) int {
	return func(b *fb) int { return b.table(nil, scalar(8, off), scalar(8, size)) }
}

func floats(n int, seed float64) []byte {
	out := make([]byte, 4*n)
	for i := 0; i < n; i++ {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(float32(math.Sin(seed+float64(i)))))
	}
	return out
}

// tfliteModel builds Model {version=0, operator_codes=1, subgraphs=2
// (SubGraph {tensors=0, inputs=1, outputs=2, operators=3, name=4}),
// description=3, buffers=4}: a dense layer followed by softmax, plus any
// extra operator codes, each used once on the output tensor.
func tfliteModel(extraCodes []func(b *fb) int, bufs []func(b *fb) int) []byte {
	codes := append([]func(b *fb) int{opcode(opFullyConnected, ""), opcode(opSoftmax, "")}, extraCodes...)
	ops := []func(b *fb) int{
		operator(0, []int32{0, 1, 2}, []int32{3}),
		operator(1, []int32{3}, []int32{4}),
	}
	for i := range extraCodes {
		ops = append(ops, operator(uint32(2+i), []int32{4}, []int32{4}))
	}
	if bufs == nil {
		bufs = []func(b *fb) int{buffer(nil), buffer(nil), buffer(floats(12, 1)), buffer(floats(3, 2)), buffer(nil), buffer(nil)}
	}
	tensors := []func(b *fb) int{
		tensor("serving_default_input:0", 1, 1, 4),
		tensor("sequential/dense/MatMul", 2, 3, 4),
		tensor("sequential/dense/BiasAdd/ReadVariableOp", 3, 3),
		tensor("sequential/dense/BiasAdd", 4, 1, 3),
		tensor("StatefulPartitionedCall:0", 5, 1, 3),
	}
	return finish(func(b *fb) int {
		return b.table(scalar(4, 3),
			ref(func(b *fb) int { return b.tableVec(codes...) }),
			ref(func(b *fb) int {
				return b.tableVec(func(b *fb) int {
					return b.table(
						ref(func(b *fb) int { return b.tableVec(tensors...) }),
						ref(func(b *fb) int { return b.intVec(0) }),
						ref(func(b *fb) int { return b.intVec(4) }),
						ref(func(b *fb) int { return b.tableVec(ops...) }),
						ref(func(b *fb) int { return b.str("main") }))
				})
			}),
			ref(func(b *fb) int { return b.str("MLIR Converted.") }),
			ref(func(b *fb) int { return b.tableVec(bufs...) }))
	})
}
