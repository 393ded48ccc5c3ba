package digits

import (
	"bytes"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
)

// The file layout follows the safetensors format description
// (huggingface/safetensors, README "Format"): an 8-byte little-endian
// header length N, N bytes of JSON header (padded with spaces to a multiple
// of 8 so the data is aligned), then the tensors' little-endian bytes,
// which the header's data_offsets tile exactly.

// tensorSpec names one tensor of the file, in the order written.
type tensorSpec struct {
	name  string
	shape []int
	data  func(m *Model) []float32
}

var tensorSpecs = []tensorSpec{
	{"fc1.bias", []int{Hidden}, func(m *Model) []float32 { return m.B1[:] }},
	{"fc1.weight", []int{Hidden, Features}, func(m *Model) []float32 { return m.W1[:] }},
	{"fc2.bias", []int{Classes}, func(m *Model) []float32 { return m.B2[:] }},
	{"fc2.weight", []int{Classes, Hidden}, func(m *Model) []float32 { return m.W2[:] }},
}

// fileMetadata is the __metadata__ of a saved model: what a reader needs to
// use the weights without this package.
var fileMetadata = map[string]string{
	"modelward.model":        "digits-mlp",
	"modelward.architecture": "fc1 64x32 relu, fc2 32x10 softmax",
	"modelward.input":        "64 pixel values 0..16 of an 8x8 image, row by row, multiplied by input_scale",
	"modelward.input_scale":  strconv.FormatFloat(inputScale, 'g', -1, 64),
	"modelward.dataset":      "UCI Optical Recognition of Handwritten Digits (Alpaydin and Kaynak), CC BY 4.0",
}

// maxHeader bounds the JSON header LoadModel accepts; the real one is
// under 1 KiB.
const maxHeader = 64 << 10

// dataBytes is the size of the tensor data of every model file.
const dataBytes = 4 * (Hidden*Features + Hidden + Classes*Hidden + Classes)

// Save writes m as a safetensors file. The bytes depend only on the weights.
func (m *Model) Save(w io.Writer) error {
	type entry struct {
		DType       string `json:"dtype"`
		Shape       []int  `json:"shape"`
		DataOffsets [2]int `json:"data_offsets"`
	}
	header := map[string]any{"__metadata__": fileMetadata}
	off := 0
	for _, t := range tensorSpecs {
		n := 4 * len(t.data(m))
		header[t.name] = entry{"F32", t.shape, [2]int{off, off + n}}
		off += n
	}
	// encoding/json writes map keys sorted, so the header is canonical.
	js, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("digits: encoding the safetensors header: %w", err)
	}
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	buf := make([]byte, 8, 8+len(js)+off)
	binary.LittleEndian.PutUint64(buf, uint64(len(js)))
	buf = append(buf, js...)
	for _, t := range tensorSpecs {
		for _, v := range t.data(m) {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
	}
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("digits: writing the model: %w", err)
	}
	return nil
}

// LoadModel reads a model that Save wrote, or any safetensors file with
// exactly the tensors fc1.weight [32,64], fc1.bias [32], fc2.weight [10,32]
// and fc2.bias [10], all F32, whose spans tile the data exactly. Input is
// hostile: LoadModel reads at most the header limit plus the fixed data
// size, and rejects extra bytes, other tensors or dtypes, and weights that
// are not finite.
func LoadModel(r io.Reader) (*Model, error) {
	var lenb [8]byte
	if _, err := io.ReadFull(r, lenb[:]); err != nil {
		return nil, fmt.Errorf("digits: reading the safetensors header length: %w", err)
	}
	n := binary.LittleEndian.Uint64(lenb[:])
	if n < 2 || n > maxHeader {
		return nil, fmt.Errorf("digits: safetensors header of %d bytes (want 2..%d)", n, maxHeader)
	}
	js := make([]byte, n)
	if _, err := io.ReadFull(r, js); err != nil {
		return nil, fmt.Errorf("digits: reading the safetensors header: %w", err)
	}
	var header map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(js))
	if err := dec.Decode(&header); err != nil {
		return nil, fmt.Errorf("digits: the safetensors header is not a JSON object: %w", err)
	}
	if rest, _ := io.ReadAll(dec.Buffered()); len(bytes.Trim(rest, " ")) > 0 {
		return nil, errors.New("digits: bytes follow the safetensors header's JSON object")
	}
	for name := range header {
		if name != "__metadata__" && !slices.ContainsFunc(tensorSpecs, func(t tensorSpec) bool { return t.name == name }) {
			return nil, fmt.Errorf("digits: unexpected tensor %.40q: a digits model has only fc1.weight, fc1.bias, fc2.weight and fc2.bias", name)
		}
	}
	data := make([]byte, dataBytes)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, fmt.Errorf("digits: reading the tensor data (%d bytes): %w", dataBytes, err)
	}
	var extra [1]byte
	if k, _ := io.ReadFull(r, extra[:]); k > 0 {
		return nil, fmt.Errorf("digits: bytes follow the %d bytes of tensor data", dataBytes)
	}
	m := &Model{}
	used := make([]bool, dataBytes/4)
	for _, t := range tensorSpecs {
		raw, ok := header[t.name]
		if !ok {
			return nil, fmt.Errorf("digits: the file lacks the tensor %s", t.name)
		}
		var e struct {
			DType       string   `json:"dtype"`
			Shape       []int    `json:"shape"`
			DataOffsets []uint64 `json:"data_offsets"`
		}
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		if err := d.Decode(&e); err != nil {
			return nil, fmt.Errorf("digits: tensor %s: not {dtype, shape, data_offsets}: %w", t.name, err)
		}
		dst := t.data(m)
		if e.DType != "F32" {
			return nil, fmt.Errorf("digits: tensor %s is %q, want F32", t.name, e.DType)
		}
		if !slices.Equal(e.Shape, t.shape) {
			return nil, fmt.Errorf("digits: tensor %s has shape %v, want %v", t.name, e.Shape, t.shape)
		}
		if len(e.DataOffsets) != 2 || e.DataOffsets[0] > e.DataOffsets[1] || e.DataOffsets[1] > dataBytes ||
			e.DataOffsets[1]-e.DataOffsets[0] != uint64(4*len(dst)) || e.DataOffsets[0]%4 != 0 {
			return nil, fmt.Errorf("digits: tensor %s: data_offsets %v do not span its %d bytes inside the data", t.name, e.DataOffsets, 4*len(dst))
		}
		begin := int(e.DataOffsets[0])
		for i := range dst {
			if used[begin/4+i] {
				return nil, fmt.Errorf("digits: tensor %s overlaps another tensor", t.name)
			}
			used[begin/4+i] = true
			v := math.Float32frombits(binary.LittleEndian.Uint32(data[begin+4*i:]))
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("digits: tensor %s holds a value that is not finite", t.name)
			}
			dst[i] = v
		}
	}
	if md, ok := header["__metadata__"]; ok {
		var meta map[string]string
		if err := json.Unmarshal(md, &meta); err != nil {
			return nil, errors.New("digits: __metadata__ is not a map of strings to strings")
		}
		if s, ok := meta["modelward.input_scale"]; ok && s != fileMetadata["modelward.input_scale"] {
			return nil, fmt.Errorf("digits: the model expects inputs scaled by %s; this package scales by %s", s, fileMetadata["modelward.input_scale"])
		}
	}
	return m, nil
}

//go:embed testdata/digits-mlp.safetensors
var pretrained []byte

// Pretrained returns the committed model (testdata/digits-mlp.safetensors):
// DefaultTrainConfig on the stratified 70% of UCI() that Split(UCI(), 0.3, 1)
// gives.
func Pretrained() *Model {
	m, err := LoadModel(bytes.NewReader(pretrained))
	if err != nil {
		panic("digits: the embedded model does not load: " + err.Error())
	}
	return m
}

// PretrainedFile returns the bytes of the committed model file.
func PretrainedFile() []byte { return bytes.Clone(pretrained) }
