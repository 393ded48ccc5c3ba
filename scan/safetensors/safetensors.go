// Package safetensors checks safetensors files: an 8-byte little-endian
// header length, a JSON header naming each tensor's dtype, shape and byte
// span, then the tensor bytes. Loaders trust the header to slice the data,
// so a header that lies about its spans is how a safetensors file attacks
// its reader; the tensor bytes themselves are never read, so the cost of a
// check does not depend on them.
//
// Reference: the safetensors format description
// (github.com/huggingface/safetensors, README "Format") and its reference
// parser's rules: header at most 100,000,000 bytes, JSON object, unique
// names, spans that tile the data buffer exactly, dtype times shape equal to
// the span.
package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
)

// MaxHeader is the reference parser's limit on the JSON header.
const MaxHeader = 100_000_000

// Tensor is one header entry.
type Tensor struct {
	Name        string
	DType       string
	Shape       []int64
	Begin, End  int64 // offsets into the data buffer
	elementSize int64
}

// Header is a parsed, checked header.
type Header struct {
	Size     int64 // JSON header length
	Tensors  []Tensor
	Metadata map[string]string
	// Problems lists every way the header breaks the format, in order found.
	Problems []Problem
}

// ProblemKind groups problems by what they mean for a reader.
type ProblemKind int

const (
	// Malformed: the header cannot be read as the format requires; loaders
	// refuse it (or a lenient one guesses).
	Malformed ProblemKind = iota
	// Span: offsets that lie: outside the file, overlapping, with gaps, or
	// not matching dtype and shape. Loaders that trust them read the wrong
	// bytes, or bytes outside the tensor.
	Span
	// Metadata: a __metadata__ value carries a template or code.
	Metadata
)

// Problem is one violation.
type Problem struct {
	Kind   ProblemKind
	Tensor string
	Detail string
}

var dtypeSizes = map[string]int64{
	"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1,
	"I16": 2, "U16": 2, "F16": 2, "BF16": 2,
	"I32": 4, "U32": 4, "F32": 4,
	"F64": 8, "I64": 8, "U64": 8, "C64": 8,
}

// Is reports whether head starts like a safetensors file: a plausible
// header length and a JSON object right after it. The length is not checked
// against the size here: a header that runs past the end is a finding, not
// a reason to look away.
func Is(head []byte) bool {
	if len(head) < 9 {
		return false
	}
	n := binary.LittleEndian.Uint64(head)
	return n >= 2 && n <= MaxHeader && head[8] == '{'
}

// Read parses and checks the header at the start of r, a stream of size
// bytes. Only the header is read. It returns an error only when the header
// cannot be read at all; every format violation is a Problem.
func Read(r io.Reader, size int64) (*Header, error) {
	var lenb [8]byte
	if _, err := io.ReadFull(r, lenb[:]); err != nil {
		return nil, fmt.Errorf("safetensors: reading the header length: %w", err)
	}
	n := binary.LittleEndian.Uint64(lenb[:])
	if n > MaxHeader {
		return nil, fmt.Errorf("safetensors: header of %d bytes exceeds the %d-byte limit", n, MaxHeader)
	}
	if int64(n)+8 > size {
		return nil, fmt.Errorf("safetensors: header of %d bytes runs past the end of the %d-byte file", n, size)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("safetensors: reading the header: %w", err)
	}
	h := &Header{Size: int64(n)}
	h.parse(buf, size-8-int64(n))
	return h, nil
}

func (h *Header) problem(k ProblemKind, tensor, format string, a ...any) {
	if len(h.Problems) < 1000 {
		h.Problems = append(h.Problems, Problem{Kind: k, Tensor: tensor, Detail: fmt.Sprintf(format, a...)})
	}
}

// parse reads the JSON header token by token, so that duplicate names are
// seen (a map would silently keep one of them).
func (h *Header) parse(buf []byte, dataSize int64) {
	// The format allows trailing spaces as padding, nothing else.
	body := bytes.TrimRight(buf, " ")
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		h.problem(Malformed, "", "the header is not a JSON object")
		return
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			h.problem(Malformed, "", "invalid JSON: %v", err)
			return
		}
		name, _ := t.(string)
		if seen[name] {
			h.problem(Malformed, name, "the name %q appears twice; readers disagree on which entry counts", name)
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			h.problem(Malformed, name, "invalid JSON: %v", err)
			return
		}
		if name == "__metadata__" {
			h.metadata(raw)
			continue
		}
		h.tensor(name, raw)
	}
	if _, err := dec.Token(); err != nil {
		h.problem(Malformed, "", "invalid JSON: %v", err)
		return
	}
	if rest, _ := io.ReadAll(dec.Buffered()); len(bytes.TrimSpace(rest)) > 0 || dec.More() {
		h.problem(Malformed, "", "bytes follow the header's JSON object")
	}
	h.checkSpans(dataSize)
}

func (h *Header) metadata(raw json.RawMessage) {
	var md map[string]string
	if err := json.Unmarshal(raw, &md); err != nil {
		h.problem(Malformed, "__metadata__", "__metadata__ is not a map of strings to strings")
		return
	}
	h.Metadata = md
	keys := make([]string, 0, len(md))
	for k := range md {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if m := injected(k + " " + md[k]); m != "" {
			h.problem(Metadata, "__metadata__", "__metadata__[%q] carries %s: %q", k, m, truncate(md[k], 80))
		}
	}
}

func (h *Header) tensor(name string, raw json.RawMessage) {
	var info struct {
		DType       string   `json:"dtype"`
		Shape       []int64  `json:"shape"`
		DataOffsets []uint64 `json:"data_offsets"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&info); err != nil {
		h.problem(Malformed, name, "tensor entry is not {dtype, shape, data_offsets}: %v", err)
		return
	}
	size, ok := dtypeSizes[info.DType]
	if !ok {
		h.problem(Malformed, name, "unknown dtype %q", info.DType)
		return
	}
	if len(info.DataOffsets) != 2 || info.DataOffsets[0] > info.DataOffsets[1] || info.DataOffsets[1] > math.MaxInt64 {
		h.problem(Span, name, "data_offsets %v are not [begin, end] with begin <= end", info.DataOffsets)
		return
	}
	t := Tensor{Name: name, DType: info.DType, Shape: info.Shape, Begin: int64(info.DataOffsets[0]), End: int64(info.DataOffsets[1]), elementSize: size}
	if want, ok := byteSize(info.Shape, size); !ok {
		h.problem(Span, name, "shape %v is negative or too large", info.Shape)
	} else if want != t.End-t.Begin {
		h.problem(Span, name, "dtype %s and shape %v make %d bytes, but data_offsets span %d", info.DType, info.Shape, want, t.End-t.Begin)
	}
	h.Tensors = append(h.Tensors, t)
}

func byteSize(shape []int64, elem int64) (int64, bool) {
	n := elem
	for _, d := range shape {
		if d < 0 || (d > 0 && n > math.MaxInt64/d) {
			return 0, false
		}
		n *= d
	}
	return n, true
}

// checkSpans requires the spans to tile the data buffer exactly, as the
// reference parser does: no byte outside the file, shared, or unaccounted.
func (h *Header) checkSpans(dataSize int64) {
	ts := append([]Tensor(nil), h.Tensors...)
	sort.SliceStable(ts, func(i, j int) bool {
		if ts[i].Begin != ts[j].Begin {
			return ts[i].Begin < ts[j].Begin
		}
		return ts[i].End < ts[j].End
	})
	var pos int64
	for _, t := range ts {
		switch {
		case t.Begin < pos:
			h.problem(Span, t.Name, "bytes %d-%d overlap the tensor before it (which ends at %d)", t.Begin, t.End, pos)
		case t.Begin > pos:
			h.problem(Span, t.Name, "%d bytes before it (from %d) belong to no tensor", t.Begin-pos, pos)
		}
		if t.End > dataSize {
			h.problem(Span, t.Name, "bytes %d-%d lie past the end of the %d-byte data buffer", t.Begin, t.End, dataSize)
		}
		pos = max(pos, t.End)
	}
	if pos < dataSize {
		h.problem(Span, "", "the last %d bytes of the file belong to no tensor", dataSize-pos)
	}
}

// injectionMarkers are fragments of templates and code that have no place
// in metadata values (which are plain strings: a format name, a license).
var injectionMarkers = []struct{ text, what string }{
	{"{{", "a template expression"}, {"{%", "a template statement"},
	{"__import__", "Python code"}, {"__class__", "Python code"}, {"__globals__", "Python code"},
	{"__subclasses__", "Python code"}, {"__builtins__", "Python code"}, {"eval(", "Python code"},
	{"exec(", "Python code"}, {"os.system", "Python code"}, {"subprocess", "Python code"},
	{"<script", "HTML script"}, {"javascript:", "a script URL"}, {"$(", "a shell command"},
}

func injected(s string) string {
	l := strings.ToLower(s)
	for _, m := range injectionMarkers {
		if strings.Contains(l, m.text) {
			return m.what
		}
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
