package npy

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// fill checks the parsed header dict the way numpy.lib.format does (exactly
// the keys 'descr', 'fortran_order' and 'shape'; a bool; a tuple of
// integers) and copies it into h.
func (h *Header) fill(v value, lim Limits) error {
	if v.kind != kindDict {
		return fmt.Errorf("npy: header is a %s, not a dict", v.kind)
	}
	fields, err := headerFields(v)
	if err != nil {
		return err
	}
	if err := h.setShape(fields["shape"], lim.MaxDims); err != nil {
		return err
	}
	order := fields["fortran_order"]
	if order.kind != kindBool {
		return fmt.Errorf("npy: 'fortran_order' is a %s, not True or False", order.kind)
	}
	h.FortranOrder = order.num != 0
	dt, err := analyseDescr(fields["descr"])
	if err != nil {
		return fmt.Errorf("npy: 'descr': %w", err)
	}
	h.Structured, h.HasObject, h.ItemSize = dt.structured, dt.object, dt.size
	if h.HasObject {
		h.ItemSize = -1
	}
	if d := fields["descr"]; d.kind == kindStr {
		h.Descr = d.str
	} else {
		h.Descr = render(d)
	}
	return nil
}

// headerFields maps the header keys to their values; a repeated key keeps
// its last value, as a Python dict display does.
func headerFields(v value) (map[string]value, error) {
	fields := map[string]value{}
	for i := 0; i+1 < len(v.items); i += 2 {
		k := v.items[i]
		if k.kind != kindStr {
			return nil, fmt.Errorf("npy: header key %s is not a string", render(k))
		}
		fields[k.str] = v.items[i+1]
	}
	want := []string{"descr", "fortran_order", "shape"}
	if len(fields) != len(want) || !hasAll(fields, want) {
		return nil, fmt.Errorf("npy: header keys are %s; NumPy requires exactly 'descr', 'fortran_order' and 'shape'", keyList(fields))
	}
	return fields, nil
}

func hasAll(m map[string]value, keys []string) bool {
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}

func keyList(m map[string]value) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, pyQuote(k))
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return "missing"
	}
	return strings.Join(keys, ", ")
}

func (h *Header) setShape(v value, maxDims int) error {
	if v.kind != kindTuple {
		return fmt.Errorf("npy: 'shape' is a %s, not a tuple", v.kind)
	}
	if len(v.items) > maxDims {
		return fmt.Errorf("npy: 'shape' has %d dimensions, more than the limit of %d", len(v.items), maxDims)
	}
	dims, err := dimensions(v)
	if err != nil {
		return fmt.Errorf("npy: 'shape' %s: %w", render(v), err)
	}
	// A negative or overflowing shape is kept, not refused: loading a
	// plain array then fails, but NumPy unpickles an object array
	// without looking at its shape, so the pickle must still be scanned.
	h.Shape = dims
	return nil
}

// dimensions reads a shape tuple, or a single integer (which NumPy also
// accepts for subarray shapes), as written: NumPy's header check wants
// integers only, so negative dimensions and counts that overflow pass it.
func dimensions(v value) ([]int64, error) {
	items := v.items
	if v.kind == kindInt || v.kind == kindBool {
		items = []value{v}
	} else if v.kind != kindTuple {
		return nil, fmt.Errorf("is a %s, not a tuple of integers", v.kind)
	}
	dims := make([]int64, 0, len(items))
	for _, it := range items {
		// bool is a subclass of int in Python, so NumPy takes True as 1.
		if it.kind != kindInt && it.kind != kindBool {
			return nil, fmt.Errorf("holds a %s, not an integer", it.kind)
		}
		// NumPy computes the element count in int64 and fails here.
		if it.big {
			return nil, errors.New("has a dimension that does not fit in 64 bits")
		}
		dims = append(dims, it.num)
	}
	return dims, nil
}

// dtype is what the header says about one element.
type dtype struct {
	size       int64 // bytes, -1 when unknown
	object     bool
	structured bool
}

// analyseDescr reads a descr as numpy.lib.format.descr_to_dtype does: a
// string, a (descr, shape) subarray tuple, or a list of fields.
func analyseDescr(v value) (dtype, error) {
	switch v.kind {
	case kindStr:
		return stringDescr(v.str), nil
	case kindTuple:
		return subarray(v)
	case kindList:
		return fieldList(v)
	}
	return dtype{}, fmt.Errorf("a %s is not a dtype description", v.kind)
}

// subarray is (base descr, shape): shape's element count of the base.
func subarray(v value) (dtype, error) {
	if len(v.items) != 2 {
		return dtype{}, fmt.Errorf("subarray %s is not a (descr, shape) pair", render(v))
	}
	base, err := analyseDescr(v.items[0])
	if err != nil {
		return dtype{}, err
	}
	return withShape(base, v.items[1])
}

// withShape multiplies an element's size by the count of a subarray shape.
func withShape(base dtype, shape value) (dtype, error) {
	dims, err := dimensions(shape)
	if err != nil {
		return dtype{}, fmt.Errorf("subarray shape %s %w", render(shape), err)
	}
	// NumPy builds the dtype, so unlike the array's shape these must be
	// valid.
	n, ok := elements(dims)
	if !ok {
		return dtype{}, fmt.Errorf("subarray shape %s has a negative dimension or too many elements", render(shape))
	}
	if base.size >= 0 {
		size, ok := mulCheck(base.size, n)
		if !ok {
			return dtype{}, fmt.Errorf("subarray shape %s makes the item size overflow", render(shape))
		}
		base.size = size
	}
	return base, nil
}

// fieldList is a structured dtype: [(name, descr) or (name, descr, shape),
// ...]; its size is the sum of the fields, padding fields (empty names) included.
func fieldList(v value) (dtype, error) {
	out := dtype{structured: true}
	for _, f := range v.items {
		fd, err := field(f)
		if err != nil {
			return dtype{}, err
		}
		out.object = out.object || fd.object
		switch {
		case out.size < 0 || fd.size < 0:
			out.size = -1
		case fd.size > math.MaxInt64-out.size:
			return dtype{}, errors.New("the fields' sizes add up to more than fits in 64 bits")
		default:
			out.size += fd.size
		}
	}
	return out, nil
}

func field(f value) (dtype, error) {
	if (f.kind != kindTuple && f.kind != kindList) || len(f.items) < 2 || len(f.items) > 3 {
		return dtype{}, fmt.Errorf("field %s is not a (name, descr) or (name, descr, shape) tuple", render(f))
	}
	if !fieldName(f.items[0]) {
		return dtype{}, fmt.Errorf("field name %s is not a string or a (title, name) pair", render(f.items[0]))
	}
	fd, err := analyseDescr(f.items[1])
	if err != nil {
		return dtype{}, err
	}
	if len(f.items) == 3 {
		return withShape(fd, f.items[2])
	}
	return fd, nil
}

// fieldName accepts 'name' or ('title', 'name'), as NumPy does.
func fieldName(v value) bool {
	if v.kind == kindStr {
		return true
	}
	return v.kind == kindTuple && len(v.items) == 2 && v.items[1].kind == kindStr
}

// stringDescr interprets a dtype string. Anything it does not recognise
// gets an unknown size; and since NumPy accepts many spellings, any
// unrecognised string mentioning 'O' or "object" counts as holding
// objects, so that a pickle is never missed.
func stringDescr(s string) dtype {
	if strings.ContainsAny(s, ",(") {
		// Comma-separated fields ("i4,O") or a subarray ("(2,)f4").
		return dtype{size: -1, structured: strings.Contains(s, ","), object: mentionsObject(s)}
	}
	t := strings.TrimLeft(s, "<>|=")
	if len(s)-len(t) > 1 || t == "" {
		return dtype{size: -1, object: mentionsObject(s)}
	}
	if size, known := codeSize(t[0], t[1:]); known {
		return dtype{size: size}
	}
	if t[0] == 'O' && (t == "O" || t == "O4" || t == "O8") {
		return dtype{size: -1, object: true}
	}
	return dtype{size: -1, object: mentionsObject(s)}
}

func mentionsObject(s string) bool {
	return strings.Contains(s, "O") || strings.Contains(s, "object")
}

// Valid byte sizes of the sized numeric codes.
var numericSizes = map[byte][]int64{
	'b': {1},
	'i': {1, 2, 4, 8},
	'u': {1, 2, 4, 8},
	'f': {2, 4, 8, 10, 12, 16},
	'c': {8, 16, 20, 24, 32},
}

// Sizes of the single-character codes that do not depend on the platform
// ('l', 'g', 'p' and friends do, and are left unknown).
var charSizes = map[byte]int64{
	'?': 1, 'b': 1, 'B': 1, 'h': 2, 'H': 2, 'i': 4, 'I': 4, 'q': 8, 'Q': 8,
	'e': 2, 'f': 4, 'd': 8, 'F': 8, 'D': 16,
}

// codeSize returns the item size of a type code and its suffix.
func codeSize(code byte, rest string) (int64, bool) {
	if rest == "" {
		if n, ok := charSizes[code]; ok {
			return n, true
		}
	}
	switch code {
	case 'M', 'm':
		// datetime64 and timedelta64: "M8", "M8[ns]", "M", "M[D]".
		if rest == "" || rest == "8" || strings.HasPrefix(rest, "[") || strings.HasPrefix(rest, "8[") {
			return 8, strings.HasSuffix(rest, "]") || !strings.Contains(rest, "[")
		}
		return 0, false
	case 'S', 'a', 'V':
		return decimal(rest, 1)
	case 'U':
		return decimal(rest, 4) // UCS-4: four bytes per character
	}
	n, ok := decimal(rest, 1)
	if !ok {
		return 0, false
	}
	for _, valid := range numericSizes[code] {
		if n == valid {
			return n, true
		}
	}
	return 0, false
}

// decimal parses a plain decimal count and multiplies it by unit.
func decimal(s string, unit int64) (int64, bool) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false
	}
	return mulCheck(n, unit)
}
