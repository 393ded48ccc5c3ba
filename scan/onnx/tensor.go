package onnx

import (
	"math"
	"math/bits"
	"strconv"

	"github.com/modelward/modelward/finding"
	"google.golang.org/protobuf/encoding/protowire"
)

// tensor is what the walk keeps of a TensorProto: identity, shape and the
// position of its payload, never the payload itself.
type tensor struct {
	name     string
	where    string
	at       int64
	dataType int64
	numel    uint64
	badDims  string // why the dims cannot describe a tensor, or ""
	hasRaw   bool
	rawLen   int64
	segment  bool
	location int64 // data_location: 0 DEFAULT, 1 EXTERNAL
	ext      []extEntry
}

type extEntry struct {
	key, value string
	at         int64
}

// elementBits gives the storage size of each fixed-size
// TensorProto.DataType (onnx.proto); STRING and unknown types are absent.
var elementBits = map[int64]uint64{
	1: 32, 2: 8, 3: 8, 4: 16, 5: 16, 6: 32, 7: 64, 9: 8, 10: 16, 11: 64, 12: 32, 13: 64,
	14: 64, 15: 128, 16: 16, 17: 8, 18: 8, 19: 8, 20: 8, 21: 4, 22: 4, 23: 4, 24: 8,
}

// tensor walks TensorProto (dims 1, data_type 2, segment 3, name 8,
// raw_data 9, doc_string 12, external_data 13, data_location 14,
// metadata_props 16) and checks its declared sizes and external data.
func (w *walker) tensor(c cursor, parent string, _ int) {
	t := &tensor{at: c.pos, numel: 1, where: parent + "/tensor"}
	var f field
	for w.next(&c, &f) {
		switch f.num {
		case 1:
			w.dims(t, f)
		case 2:
			if w.want(f, varintT, "TensorProto.data_type") {
				t.dataType = int64(f.v)
			}
		case 14:
			if w.want(f, varintT, "TensorProto.data_location") {
				t.location = int64(f.v)
			}
		default:
			w.tensorBytes(t, f, parent)
		}
	}
	w.checkTensor(t)
}

func (w *walker) tensorBytes(t *tensor, f field, parent string) {
	if !w.known(f, "TensorProto", 3, 8, 9, 12, 13, 16) {
		return
	}
	switch f.num {
	case 3:
		t.segment = true
	case 8:
		t.name = w.str(f, maxName)
		t.where = parent + "/tensor:" + short(t.name)
	case 9:
		t.hasRaw, t.rawLen = true, f.n // stepped over, never read
	case 12:
		w.text(t.where+"/doc_string", f)
	case 13:
		if e, ok := w.extEntry(f.sub()); ok {
			t.ext = append(t.ext, e)
		}
	case 16:
		w.entry(f.sub(), t.where+"/metadata_props")
	}
}

// dims accepts both encodings of repeated int64: one varint per field, or
// packed (parsers must accept either).
func (w *walker) dims(t *tensor, f field) {
	switch f.typ {
	case varintT:
		t.addDim(int64(f.v))
	case bytesT:
		w.packedVarints(f, "TensorProto.dims", func(v uint64) { t.addDim(int64(v)) })
	default:
		w.want(f, varintT, "TensorProto.dims")
	}
}

func (t *tensor) addDim(d int64) {
	if t.badDims != "" {
		return
	}
	if d < 0 {
		t.badDims = "a negative dimension"
		return
	}
	hi, lo := bits.Mul64(t.numel, uint64(d))
	if hi != 0 || lo > math.MaxInt64 {
		t.badDims = "dimensions whose product overflows 64 bits"
		return
	}
	t.numel = lo
}

// label names the tensor in messages; its path is in the finding's location.
func (t *tensor) label() string {
	if t.name == "" {
		return "(unnamed)"
	}
	return strconv.Quote(short(t.name))
}

// expectedBytes is dims times the element size, when both are known.
func (t *tensor) expectedBytes() (int64, bool) {
	b, ok := elementBits[t.dataType]
	if !ok || t.badDims != "" || t.segment {
		return 0, false
	}
	hi, lo := bits.Mul64(t.numel, b)
	if hi != 0 || lo/8 > math.MaxInt64-1 {
		return 0, false
	}
	return int64((lo + 7) / 8), true
}

func (w *walker) checkTensor(t *tensor) {
	if t.badDims != "" {
		w.rep.emit(finding.StructureInvalid, finding.High, t.where, t.at, finding.Evidence{},
			"tensor %s declares %s: loaders that size buffers from dims misbehave, and no writer produces this", t.label(), t.badDims)
	}
	if want, ok := t.expectedBytes(); ok && t.hasRaw && t.rawLen != want {
		w.rep.emit(finding.StructureInvalid, finding.High, t.where, t.at, finding.Evidence{},
			"tensor %s has %d bytes of raw_data but its dims and data type need %d: the declared size lies, so readers disagree on the tensor's contents", t.label(), t.rawLen, want)
	}
	if t.location > 1 {
		w.structureAt(t.where, t.at, "tensor %s has data_location %d, which the schema does not define", t.label(), t.location)
	}
	if t.location == 1 || len(t.ext) > 0 {
		w.external(t)
	}
}

// extEntry walks one external_data StringStringEntryProto.
func (w *walker) extEntry(c cursor) (extEntry, bool) {
	var f field
	e := extEntry{at: c.pos}
	for w.next(&c, &f) {
		if !w.known(f, "StringStringEntryProto", 1, 2) {
			continue
		}
		if f.num == protowire.Number(1) {
			e.key = w.str(f, maxName)
			continue
		}
		if f.n > maxName {
			w.structure(f.at, "an external_data value of %d bytes is longer than any file path", f.n)
			return e, false
		}
		e.value = w.str(f, maxName)
	}
	return e, true
}

// sparse walks SparseTensorProto (values 1, indices 2): both are tensors
// and may live in external files.
func (w *walker) sparse(c cursor, where string, depth int) {
	var f field
	for w.next(&c, &f) {
		if (f.num == 1 || f.num == 2) && w.want(f, bytesT, "SparseTensorProto tensor") {
			part := map[protowire.Number]string{1: "/values", 2: "/indices"}[f.num]
			w.tensor(f.sub(), where+part, depth)
		}
	}
}
