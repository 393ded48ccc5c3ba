package tensorflow

import (
	"fmt"
	"io"
	"strings"

	"github.com/modelward/modelward/finding"
)

// Bounds on a TFLite walk. Models have tens of operator codes and a few
// thousand operators; buffers are counted, never read.
const (
	maxOpcodes       = 1 << 16
	maxSubgraphs     = 1 << 12
	maxTFLiteOps     = 1 << 20
	maxBuffers       = 1 << 20
	maxCustomCodeLen = 1024
)

// opcode is one OperatorCode: its display name and, for custom ops, the
// custom_code.
type opcode struct {
	name   string
	custom bool
	uses   int
}

// tfl carries one TFLite walk.
type tfl struct {
	b   *fbuf
	rep *report
	res *Result
	ops []opcode
	n   int64 // operators seen
}

// CheckTFLite walks a TFLite flatbuffer: operator codes (custom and Flex
// ops are classified), every operator of every subgraph (opcode indices
// checked), and the buffer table (external data offsets checked).
func CheckTFLite(r io.ReaderAt, size int64, cfg Config) (*Result, []finding.Finding) {
	res := &Result{Ops: map[string]int{}}
	rep := &report{cfg: cfg}
	w := &tfl{b: newFbuf(r, size), rep: rep, res: res}
	root, err := w.root()
	if err != nil {
		w.broken(err, "model root")
		return res, rep.done()
	}
	w.broken(w.opcodes(root), "operator_codes")
	w.broken(w.subgraphs(root), "subgraphs")
	w.broken(w.buffers(root), "buffers")
	w.classify()
	return res, rep.done()
}

func (w *tfl) root() (table, error) {
	if w.b.size < 8 {
		return table{}, structErr(0, "file is %d bytes, too short for a flatbuffer header", w.b.size)
	}
	head, err := w.b.small(0, 8, "header")
	if err != nil {
		return table{}, err
	}
	if !IsTFLite(head) {
		return table{}, structErr(4, "file identifier is %q, not %q", head[4:8], tfliteIdent)
	}
	pos, err := w.b.deref(0, "root table offset")
	if err != nil {
		return table{}, err
	}
	return w.b.table(pos, "Model")
}

// broken reports a structural or limit error of one part of the model; the
// other parts are still walked.
func (w *tfl) broken(err error, part string) {
	if err == nil {
		return
	}
	if l, ok := asLimit(err); ok {
		w.rep.add(finding.New(finding.LimitReached, w.rep.cfg.at(l.off, part),
			fmt.Sprintf("TFLite %s: %s; the rest was not inspected.", part, l.msg), finding.Evidence{}))
		return
	}
	off, msg := int64(-1), err.Error()
	if s, ok := asStruct(err); ok {
		off, msg = s.off, s.msg
	}
	w.rep.add(finding.New(finding.StructureInvalid, w.rep.cfg.at(off, part),
		fmt.Sprintf("TFLite %s breaks the flatbuffer structure (%s); the rest of it was not inspected.", part, msg),
		finding.Evidence{Detail: msg}))
}

func (w *tfl) opcodes(root table) error {
	start, n, err := root.vector(1, 4)
	if err != nil {
		return err
	}
	if n > maxOpcodes {
		return &limitError{off: start, msg: fmt.Sprintf("%d operator codes, over the limit of %d", n, maxOpcodes)}
	}
	for i := int64(0); i < n; i++ {
		t, err := root.elemTable(start, i, "OperatorCode")
		if err != nil {
			return err
		}
		oc, err := readOpcode(t)
		if err != nil {
			return err
		}
		w.ops = append(w.ops, oc)
	}
	return nil
}

// readOpcode applies schema_utils' rule: the builtin code is the larger of
// deprecated_builtin_code (slot 0) and builtin_code (slot 3).
func readOpcode(t table) (opcode, error) {
	dep, err := t.i8(0)
	if err != nil {
		return opcode{}, err
	}
	code, err := t.u32(3, 0)
	if err != nil {
		return opcode{}, err
	}
	eff := max(int32(dep), int32(code))
	if eff < 0 {
		return opcode{}, structErr(t.pos, "negative builtin code %d", eff)
	}
	if eff != builtinCustom {
		return opcode{name: builtinName(eff)}, nil
	}
	name, err := t.str(1, maxCustomCodeLen)
	if err != nil {
		return opcode{}, err
	}
	return opcode{name: name, custom: true}, nil
}

func (w *tfl) subgraphs(root table) error {
	start, n, err := root.vector(2, 4)
	if err != nil {
		return err
	}
	if n > maxSubgraphs {
		return &limitError{off: start, msg: fmt.Sprintf("%d subgraphs, over the limit of %d", n, maxSubgraphs)}
	}
	for i := int64(0); i < n; i++ {
		sg, err := root.elemTable(start, i, "SubGraph")
		if err != nil {
			return err
		}
		if err := w.operators(sg, i); err != nil {
			return err
		}
	}
	return nil
}

func (w *tfl) operators(sg table, index int64) error {
	start, n, err := sg.vector(3, 4)
	if err != nil {
		return err
	}
	if w.n += n; w.n > maxTFLiteOps {
		return &limitError{off: start, msg: fmt.Sprintf("more than %d operators", maxTFLiteOps)}
	}
	for i := int64(0); i < n; i++ {
		op, err := sg.elemTable(start, i, "Operator")
		if err != nil {
			return err
		}
		idx, err := op.u32(0, 0)
		if err != nil {
			return err
		}
		if int64(idx) >= int64(len(w.ops)) {
			return structErr(op.pos, "subgraph %d operator %d uses opcode_index %d of %d operator codes", index, i, idx, len(w.ops))
		}
		w.ops[idx].uses++
		w.res.Ops[w.ops[idx].name]++
		if err := w.external(op, 9, 10, fmt.Sprintf("subgraph %d operator %d custom options", index, i)); err != nil {
			return err
		}
	}
	return nil
}

// external checks an (offset, size) pair that places data outside the
// flatbuffer (models over 2 GiB); per schema.fbs the offset is valid only
// when greater than 1.
func (w *tfl) external(t table, offSlot, sizeSlot int, what string) error {
	off, err := t.u64(offSlot)
	if err != nil {
		return err
	}
	size, err := t.u64(sizeSlot)
	if err != nil || off <= 1 {
		return err
	}
	if off > uint64(w.b.size) || size > uint64(w.b.size)-off {
		return structErr(t.pos, "%s at offset %d size %d lie beyond the %d-byte file", what, off, size, w.b.size)
	}
	return nil
}

func (w *tfl) buffers(root table) error {
	start, n, err := root.vector(4, 4)
	if err != nil {
		return err
	}
	if n > maxBuffers {
		return &limitError{off: start, msg: fmt.Sprintf("%d buffers, over the limit of %d", n, maxBuffers)}
	}
	for i := int64(0); i < n; i++ {
		t, err := root.elemTable(start, i, "Buffer")
		if err != nil {
			return err
		}
		if _, _, err := t.vector(0, 1); err != nil {
			return err
		}
		if err := w.external(t, 1, 2, fmt.Sprintf("buffer %d data", i)); err != nil {
			return err
		}
	}
	return nil
}

// classify reports custom and Flex operator codes. A Flex op ("Flex" +
// TensorFlow op name) runs a full TensorFlow kernel, so it gets the same
// classification as a graph node; its arguments live in a flexbuffer
// NodeDef that is not decoded, so path ops are reported unresolved.
func (w *tfl) classify() {
	for i, oc := range w.ops {
		if !oc.custom {
			continue
		}
		loc := w.rep.cfg.at(-1, fmt.Sprintf("operator_codes[%d]", i))
		tfOp, flex := strings.CutPrefix(oc.name, "Flex")
		switch {
		case oc.name == "":
			w.rep.add(finding.New(finding.StructureInvalid, loc,
				"A CUSTOM operator code has no custom_code: the model cannot name the kernel it needs.", finding.Evidence{}))
		case flex && tfOp != "":
			w.flexOp(loc, oc, tfOp)
		default:
			w.rep.add(finding.New(finding.CustomOperator, loc,
				fmt.Sprintf("Custom TFLite operator %q (used %d times) is not a builtin: it runs a native kernel the application must register, which this scan cannot inspect.", oc.name, oc.uses),
				finding.Evidence{Call: oc.name}))
		}
	}
}

func (w *tfl) flexOp(loc finding.Location, oc opcode, tfOp string) {
	ev := finding.Evidence{Call: oc.name, Detail: "TensorFlow op " + tfOp + " run by the Flex delegate"}
	switch {
	case pythonOps[tfOp]:
		f := finding.New(finding.GraphUnsafeOp, loc,
			fmt.Sprintf("Flex operator %q runs TensorFlow's %s, which calls back into Python and can execute arbitrary code.", oc.name, tfOp), ev)
		f.Severity = finding.Critical
		w.rep.add(f)
	case hostOps[tfOp] != "":
		w.rep.add(finding.New(finding.GraphUnsafeOp, loc,
			fmt.Sprintf("Flex operator %q runs TensorFlow's %s, which %s.", oc.name, tfOp, hostOps[tfOp]), ev))
	case pathOps[tfOp] != nil:
		w.rep.add(finding.New(finding.GraphUnsafeOp, loc,
			fmt.Sprintf("Flex operator %q runs TensorFlow's %s, which reads or writes files at a path this scan does not resolve.", oc.name, tfOp), ev))
	case !isStandardOp(tfOp):
		w.rep.add(finding.New(finding.CustomOperator, loc,
			fmt.Sprintf("Flex operator %q names TensorFlow op %q, which is not a standard op: it needs a custom kernel library.", oc.name, tfOp), ev))
	}
}
