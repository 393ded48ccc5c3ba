// Package joblib understands the layout joblib.dump writes: a pickle in
// which each NumPy array is replaced by a NumpyArrayWrapper object whose
// BUILD is followed, outside the pickle opcodes, by the array's raw bytes
// (after an alignment padding in joblib 1.2 and later) or, for arrays of
// Python objects, by a whole nested pickle stream. A plain unpickler (and
// so a plain pickle scanner) loses its way at the first array; this hook
// consumes exactly what joblib's own NumpyUnpickler consumes.
//
// Reference: joblib/numpy_pickle.py (NumpyArrayWrapper.write_array,
// read_array, safe_get_numpy_array_alignment_bytes) in joblib 0.10 to 1.4.
package joblib

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/modelward/modelward/scan/pickle"
)

// wrapperClasses are the classes whose BUILD is followed by array data.
var wrapperClasses = map[string]bool{
	"joblib.numpy_pickle.NumpyArrayWrapper":                   true,
	"sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper": true,
}

// sideFileClasses are the wrappers of joblib before 0.10, which keep each
// array in a file of its own and load it with numpy.load(allow_pickle=True).
var sideFileClasses = map[string]bool{
	"joblib.numpy_pickle_compat.NDArrayWrapper":                    true,
	"joblib.numpy_pickle_compat.ZNDArrayWrapper":                   true,
	"sklearn.externals.joblib.numpy_pickle_compat.NDArrayWrapper":  true,
	"sklearn.externals.joblib.numpy_pickle_compat.ZNDArrayWrapper": true,
}

// Hook tracks the arrays it has consumed.
type Hook struct {
	Arrays      int
	ArrayBytes  int64
	ObjectArray int
	// External lists the files that old-style wrappers make joblib load,
	// as named in the pickle.
	External []External
}

// External is a file a wrapper makes the loader read.
type External struct {
	Name   string
	Offset int64
}

// Build is a pickle.BuildHook.
func (h *Hook) Build(m *pickle.Machine, inst pickle.Value) error {
	cls := wrapperClass(inst)
	if sideFileClasses[cls] {
		return h.sideFile(m, inst)
	}
	if !wrapperClasses[cls] {
		return nil
	}
	state := inst.O.State
	if state == nil || state.K != pickle.KDict || !state.Complete() {
		return errors.New("joblib array wrapper without a readable state dictionary: the array data cannot be located")
	}
	h.Arrays++
	dt, ok := state.Lookup("dtype")
	if !ok {
		return errors.New("joblib array wrapper without a dtype")
	}
	hasObject, itemSize, err := dtypeInfo(dt)
	if err != nil {
		return err
	}
	if hasObject {
		h.ObjectArray++
		// The object array was written with pickle.dump: a whole stream.
		return m.SubStream()
	}
	if align, ok := state.Lookup("numpy_array_alignment_bytes"); ok && align.K == pickle.KInt {
		pad, err := m.ReadRaw(1)
		if err != nil {
			return fmt.Errorf("joblib array padding: %w", err)
		}
		if int64(pad[0]) > align.I {
			return fmt.Errorf("joblib array padding of %d bytes exceeds the alignment of %d", pad[0], align.I)
		}
		if err := m.Skip(int64(pad[0])); err != nil {
			return fmt.Errorf("joblib array padding: %w", err)
		}
	}
	shape, _ := state.Lookup("shape")
	count, err := elements(shape)
	if err != nil {
		return err
	}
	if count > 0 && itemSize > math.MaxInt64/count {
		return fmt.Errorf("joblib array of %d elements of %d bytes overflows", count, itemSize)
	}
	n := count * itemSize
	h.ArrayBytes += n
	if err := m.Skip(n); err != nil {
		return fmt.Errorf("joblib array data (%d bytes at offset %d): %w", n, m.Offset(), err)
	}
	return nil
}

// sideFile records the file an old-style wrapper loads. Its array data is
// not inline, so nothing is consumed from the stream.
func (h *Hook) sideFile(m *pickle.Machine, inst pickle.Value) error {
	state := inst.O.State
	if state == nil || state.K != pickle.KDict || !state.Complete() {
		return errors.New("joblib side-file wrapper without a readable state dictionary")
	}
	name, ok := state.Lookup("filename")
	if !ok || name.K != pickle.KStr || name.I > int64(len(name.S)) {
		return fmt.Errorf("joblib side-file wrapper whose file name is not a literal string (%s)", name)
	}
	h.External = append(h.External, External{Name: name.S, Offset: m.Offset()})
	return nil
}

// wrapperClass names the class of an instance built by NEWOBJ, by
// copyreg.__newobj__ (protocol 2 through a reducer) or by
// copyreg._reconstructor (protocols 0 and 1); "" for anything else.
func wrapperClass(v pickle.Value) string {
	if v.K != pickle.KCall || v.O == nil || v.O.Callee == nil {
		return ""
	}
	switch c := v.O.Callee.GlobalName(); c {
	case "copyreg._reconstructor", "copyreg.__newobj__", "copyreg.__newobj_ex__", "copy_reg._reconstructor":
		if len(v.O.Args) > 0 {
			return v.O.Args[0].GlobalName()
		}
		return ""
	default:
		return c
	}
}

// dtypeInfo reads a pickled numpy.dtype: numpy.dtype(typestr, align, copy)
// followed by BUILD with (version, byteorder, subarray, names, fields,
// elsize, alignment, flags).
func dtypeInfo(dt pickle.Value) (hasObject bool, itemSize int64, err error) {
	if dt.K != pickle.KCall || dt.O == nil || len(dt.O.Args) == 0 || dt.O.Args[0].K != pickle.KStr {
		return false, 0, fmt.Errorf("joblib array wrapper with a dtype that is not a literal numpy.dtype (%s): the array size is unknown", dt)
	}
	if g := dt.O.Callee.GlobalName(); g != "numpy.dtype" && !strings.HasSuffix(g, "multiarray.dtype") {
		return false, 0, fmt.Errorf("joblib array wrapper whose dtype is built by %s", g)
	}
	typ := dt.O.Args[0].S
	if strings.HasPrefix(typ, "O") {
		return true, 0, nil
	}
	// NumPy takes the item size of fixed-size types from the type string
	// and ignores elsize in the state; only flexible types (void, bytes,
	// str) and structured types carry their size in elsize.
	flexible := strings.ContainsAny(typ[:1], "VSUa")
	if st := dt.O.State; st != nil && st.K == pickle.KTuple && st.O != nil && len(st.O.Items) >= 8 {
		if f := st.O.Items[7]; f.K == pickle.KInt && f.I&1 != 0 {
			return true, 0, nil
		}
		if e := st.O.Items[5]; flexible && e.K == pickle.KInt && e.I > 0 {
			return false, e.I, nil
		}
	}
	size, err := typeSize(typ)
	return false, size, err
}

// typeSize gives the item size of a simple type string such as "f8",
// "<i4", "b1", "c16", "M8" or "V16".
func typeSize(typ string) (int64, error) {
	t := strings.TrimLeft(typ, "<>|=")
	if t == "" {
		return 0, fmt.Errorf("empty dtype")
	}
	digits := strings.TrimLeft(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ?")
	if i := strings.IndexByte(digits, '['); i >= 0 {
		digits = digits[:i]
	}
	if t == "?" || t == "b1" {
		return 1, nil
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n <= 0 || n > 1<<20 {
		return 0, fmt.Errorf("dtype %q has no size the scanner can read", typ)
	}
	if t[0] == 'U' {
		return 4 * n, nil // Unicode strings: four bytes per character
	}
	return n, nil
}

func elements(shape pickle.Value) (int64, error) {
	if shape.K != pickle.KTuple || shape.O == nil {
		return 0, fmt.Errorf("joblib array wrapper with shape %s: the array size is unknown", shape)
	}
	if int64(len(shape.O.Items)) != shape.O.N {
		return 0, errors.New("joblib array wrapper with too many dimensions")
	}
	count := int64(1)
	for _, d := range shape.O.Items {
		if d.K != pickle.KInt || d.I < 0 {
			return 0, fmt.Errorf("joblib array wrapper with shape %s: the array size is unknown", shape)
		}
		if d.I > 0 && count > math.MaxInt64/d.I {
			return 0, fmt.Errorf("joblib array shape %s overflows", shape)
		}
		count *= d.I
	}
	return count, nil
}
