package gguf

// ggmlType is one tensor element type: how many elements form a block and
// how many bytes a block takes. From enum ggml_type in the GGUF
// specification (ggml docs/gguf.md) and the block structs of ggml's
// ggml-common.h.
type ggmlType struct {
	name  string
	block int64
	size  int64
}

var ggmlTypes = map[uint32]ggmlType{
	0:  {"F32", 1, 4},
	1:  {"F16", 1, 2},
	2:  {"Q4_0", 32, 18},
	3:  {"Q4_1", 32, 20},
	6:  {"Q5_0", 32, 22},
	7:  {"Q5_1", 32, 24},
	8:  {"Q8_0", 32, 34},
	9:  {"Q8_1", 32, 36},
	10: {"Q2_K", 256, 84},
	11: {"Q3_K", 256, 110},
	12: {"Q4_K", 256, 144},
	13: {"Q5_K", 256, 176},
	14: {"Q6_K", 256, 210},
	15: {"Q8_K", 256, 292},
	16: {"IQ2_XXS", 256, 66},
	17: {"IQ2_XS", 256, 74},
	18: {"IQ3_XXS", 256, 98},
	19: {"IQ1_S", 256, 50},
	20: {"IQ4_NL", 32, 18},
	21: {"IQ3_S", 256, 110},
	22: {"IQ2_S", 256, 82},
	23: {"IQ4_XS", 256, 136},
	24: {"I8", 1, 1},
	25: {"I16", 1, 2},
	26: {"I32", 1, 4},
	27: {"I64", 1, 8},
	28: {"F64", 1, 8},
	29: {"IQ1_M", 256, 56},
	30: {"BF16", 1, 2},
	34: {"TQ1_0", 256, 54},
	35: {"TQ2_0", 256, 66},
	39: {"MXFP4", 32, 17},
	40: {"NVFP4", 64, 36},
	41: {"Q1_0", 128, 18},
}

// removedTypes were once valid but loaders no longer accept them in GGUF
// files (Q4_2, Q4_3, and the repacked Q4_0_x_x / IQ4_NL_x_x layouts).
var removedTypes = map[uint32]string{4: "Q4_2", 5: "Q4_3", 31: "Q4_0_4_4", 32: "Q4_0_4_8",
	33: "Q4_0_8_8", 36: "IQ4_NL_4_4", 37: "IQ4_NL_4_8", 38: "IQ4_NL_8_8"}

// Metadata value types (gguf_metadata_value_type).
const (
	tUint8   = 0
	tInt8    = 1
	tUint16  = 2
	tInt16   = 3
	tUint32  = 4
	tInt32   = 5
	tFloat32 = 6
	tBool    = 7
	tString  = 8
	tArray   = 9
	tUint64  = 10
	tInt64   = 11
	tFloat64 = 12
)

// scalarSize returns the byte size of a fixed-size value type.
func scalarSize(t uint32) (int64, bool) {
	switch t {
	case tUint8, tInt8, tBool:
		return 1, true
	case tUint16, tInt16:
		return 2, true
	case tUint32, tInt32, tFloat32:
		return 4, true
	case tUint64, tInt64, tFloat64:
		return 8, true
	}
	return 0, false
}
