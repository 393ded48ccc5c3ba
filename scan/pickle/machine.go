package pickle

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Import is one name the unpickler would import through find_class.
type Import struct {
	Module, Name string
	Offset       int64
	Op           string
	Proto        int
	// Dynamic is set when STACK_GLOBAL takes a module or name that is not a
	// literal string: the import cannot be known without running code.
	Dynamic bool
	// Ext is the extension code of an EXT1/EXT2/EXT4 opcode, or 0.
	Ext int64
	// Global is the object the import pushes (nil for EXT): calls name it
	// as their callee, and its Meta says whether it escaped as data.
	Global *Object
}

// Call is one call the unpickler would make.
type Call struct {
	Op     string // REDUCE, NEWOBJ, NEWOBJ_EX, INST, OBJ, BUILD, APPEND, APPENDS, SETITEM, SETITEMS, ADDITEMS
	Callee Value  // the callable, class, or (for BUILD and container ops) the target object
	Args   []Value
	Kwargs Value
	Offset int64
}

// IssueKind classifies structural problems.
type IssueKind int

const (
	IssueMalformed IssueKind = iota // the unpickler would fail here
	IssueFrame                      // a FRAME length that lies
	IssueMemo                       // memo use no pickler writes
	IssueLimit                      // a bound was reached; the rest was not read
	IssueTrailing                   // bytes after the last stream that are not a pickle
	IssueBuffer                     // out-of-band buffers a file cannot supply
)

// Issue is one structural problem.
type Issue struct {
	Kind   IssueKind
	Offset int64
	Detail string
}

// Limits bound one analysis.
type Limits struct {
	MaxBytes   int64 // stream bytes
	MaxOps     int64
	MaxMemo    int
	MaxStack   int
	MaxMarks   int
	MaxStreams int
	// KeepBytes is the budget of byte-string content kept whole for nested
	// analysis (a pickle or archive inside bytes handed to a loader).
	KeepBytes int64
}

// DefaultLimits suit any model file; the policy can change them.
var DefaultLimits = Limits{MaxBytes: 4 << 30, MaxOps: 200_000_000, MaxMemo: 1 << 22, MaxStack: 1 << 22,
	MaxMarks: 1_000_000, MaxStreams: 64, KeepBytes: 64 << 20}

// Observer receives what the machine sees, as it sees it.
type Observer interface {
	Import(Import)
	Call(Call)
	// Blob is called for each byte or string value whose start looks like
	// an executable, a pickle or an archive. full holds the whole content
	// when it fitted the KeepBytes budget, else nil.
	Blob(offset int64, v Value, full []byte)
}

// BuildHook runs after each BUILD with the built object on top of the
// stack. joblib uses it: its array wrappers are followed by raw array bytes
// or a whole nested pickle that the hook must consume from the stream.
type BuildHook func(m *Machine, inst Value) error

// Result summarises one analysis.
type Result struct {
	Streams int
	Ops     int64
	Bytes   int64
	Proto   int
	Imports int
	Issues  []Issue
	// NamedImports counts imports of literal, well-formed names (not
	// dynamic, not extension codes): the evidence format sniffing trusts.
	NamedImports int
	// Truncated is set when the data ended inside a stream.
	Truncated bool
	// Complete is true when every stream ran to STOP without error and
	// nothing was skipped.
	Complete bool
	// Value is what the last STOP returned (the unpickled object, as far
	// as it is known). Only the full machine sets it.
	Value Value
}

var (
	errStreamLimit = errors.New("stream is larger than the scan limit")
	errStop        = errors.New("stop")
)

// Machine is the symbolic unpickler. It never executes anything.
type Machine struct {
	src    *source
	lim    Limits
	obs    Observer
	hook   BuildHook
	stack  []Value
	marks  []int
	memo   memo
	proto  int
	ops    int64
	kept   int64
	budget *int64 // shared keep budget, or nil
	frame  int64  // end offset of the current frame, or -1
	res    Result
	opAt   int64
	issued map[IssueKind]bool
	// Small allocations come from slabs: the machine makes an object for
	// nearly every opcode of a state dict, and the allocator was its cost.
	objSlab  []Object
	valSlab  []Value
	interned map[string]string
}

func (m *Machine) newObject() *Object {
	if len(m.objSlab) == 0 {
		m.objSlab = make([]Object, 128)
	}
	o := &m.objSlab[0]
	m.objSlab = m.objSlab[1:]
	return o
}

// values returns a slice of n values with no spare capacity, so appends to
// it never reach into the slab.
func (m *Machine) values(n int) []Value {
	if n > 16 {
		return make([]Value, n)
	}
	if len(m.valSlab) < n {
		m.valSlab = make([]Value, 1024)
	}
	v := m.valSlab[:n:n]
	m.valSlab = m.valSlab[n:]
	return v
}

// str converts short byte strings through an intern table: state dicts
// repeat the same few strings ("storage", "cpu") tens of thousands of times.
func (m *Machine) str(b []byte) string {
	if len(b) > 8 {
		return string(b)
	}
	if s, ok := m.interned[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(m.interned) < 4096 {
		if m.interned == nil {
			m.interned = make(map[string]string, 256)
		}
		m.interned[s] = s
	}
	return s
}

// Options configure an analysis.
type Options struct {
	Limits   Limits
	Observer Observer
	Hook     BuildHook
	// Streams caps how many concatenated streams are read (0: Limits.MaxStreams).
	Streams int
	// TrailingData says what follows the last stream is known not to be a
	// pickle (legacy PyTorch storages), so it is not reported.
	TrailingData bool
	// KeepBudget, when set, is shared by every stream of a file (nested
	// pickles included) in place of Limits.KeepBytes, so that pickles nested
	// in byte strings cannot each keep a full budget.
	KeepBudget *int64
	// SizeHint is the stream's size when known (0: unknown). It sizes the
	// memo up front, modestly: a state dict memoizes an object every dozen
	// bytes, a long list of numbers almost nothing.
	SizeHint int64
}

// Analyze runs the machine over r until the streams end.
func Analyze(r io.Reader, opt Options) *Result {
	return run(newSource(r, limitOr(opt.Limits.MaxBytes)), opt)
}

// AnalyzeBytes runs the machine over an in-memory stream.
func AnalyzeBytes(b []byte, opt Options) *Result {
	if opt.SizeHint == 0 {
		opt.SizeHint = int64(len(b))
	}
	return run(newSourceBytes(b, limitOr(opt.Limits.MaxBytes)), opt)
}

func limitOr(n int64) int64 {
	if n <= 0 {
		return DefaultLimits.MaxBytes
	}
	return n
}

func run(src *source, opt Options) *Result {
	lim := opt.Limits
	if lim.MaxOps == 0 {
		lim = DefaultLimits
	}
	m := &Machine{src: src, lim: lim, obs: opt.Observer, hook: opt.Hook, frame: -1, issued: map[IssueKind]bool{}, budget: opt.KeepBudget}
	if opt.SizeHint > 0 {
		// Capped: a hostile archive can declare any size.
		m.memo.grow(int(min(opt.SizeHint/64, int64(lim.MaxMemo), 1<<16)))
		m.memo.reset()
	}
	if m.obs == nil {
		m.obs = nopObserver{}
	}
	maxStreams := opt.Streams
	if maxStreams <= 0 {
		maxStreams = lim.MaxStreams
	}
	m.res.Complete = true
	for m.res.Streams < maxStreams {
		start := src.Offset()
		importsBefore, opsBefore := m.res.Imports, m.ops
		err := m.stream()
		if err == nil {
			m.res.Streams++
			if src.atEOF() {
				break
			}
			continue
		}
		m.res.Complete = false
		// A later stream that fails at once, having imported nothing, is
		// trailing data rather than a broken pickle.
		if m.res.Streams > 0 && m.res.Imports == importsBefore && m.ops-opsBefore <= 1 && !errors.Is(err, errStreamLimit) {
			m.res.Complete = true
			if !opt.TrailingData {
				m.issue(IssueTrailing, start, "bytes after the last pickle stream are not a pickle")
			}
			break
		}
		m.res.Truncated = errors.Is(err, errTruncated)
		kind := IssueMalformed
		if errors.Is(err, errStreamLimit) || errors.Is(err, errLimit) {
			kind = IssueLimit
		}
		m.issue(kind, m.opAt, err.Error())
		break
	}
	if m.res.Streams >= maxStreams && !src.atEOF() && !opt.TrailingData && m.res.Complete {
		m.res.Complete = false
		m.issue(IssueLimit, src.Offset(), fmt.Sprintf("more than %d pickle streams; the rest was not read", maxStreams))
	}
	m.res.Ops, m.res.Bytes, m.res.Proto = m.ops, src.Offset(), m.proto
	return &m.res
}

// Offset is the current stream offset.
func (m *Machine) Offset() int64 { return m.src.Offset() }

// Skip consumes n raw bytes from the stream (for a BuildHook).
func (m *Machine) Skip(n int64) error {
	_, err := m.src.readKeep(n, 0)
	return err
}

// ReadRaw reads n raw bytes (n <= 64 KiB) from the stream (for a BuildHook).
func (m *Machine) ReadRaw(n int) ([]byte, error) { return m.src.read(n) }

// SubStream analyses one nested pickle that starts at the current offset,
// sharing the observer; joblib stores object arrays this way.
func (m *Machine) SubStream() error {
	sub := &Machine{src: m.src, lim: m.lim, obs: m.obs, hook: m.hook, frame: -1, issued: m.issued, budget: m.budget}
	err := sub.stream()
	m.ops += sub.ops
	m.res.Imports += sub.res.Imports
	m.res.Issues = append(m.res.Issues, sub.res.Issues...)
	return err
}

type nopObserver struct{}

func (nopObserver) Import(Import)             {}
func (nopObserver) Call(Call)                 {}
func (nopObserver) Blob(int64, Value, []byte) {}

var errLimit = errors.New("limit reached")

func (m *Machine) issue(k IssueKind, off int64, detail string) {
	if k != IssueMalformed && k != IssueLimit && m.issued[k] {
		return // one of each structural kind is enough evidence
	}
	m.issued[k] = true
	m.res.Issues = append(m.res.Issues, Issue{Kind: k, Offset: off, Detail: detail})
}

// stream runs one pickle stream to STOP.
func (m *Machine) stream() error {
	m.stack, m.marks = m.stack[:0], m.marks[:0]
	m.memo.reset()
	m.frame = -1
	for {
		m.opAt = m.src.Offset()
		if m.frame >= 0 && m.opAt >= m.frame {
			if m.opAt > m.frame {
				m.issue(IssueFrame, m.opAt, fmt.Sprintf("an opcode crosses the end of its frame at offset %d", m.frame))
			}
			m.frame = -1
		}
		op, err := m.src.readByte()
		if err != nil {
			if errors.Is(err, errTruncated) {
				return fmt.Errorf("%w: no STOP before offset %d", errTruncated, m.opAt)
			}
			return err
		}
		m.ops++
		if m.ops > m.lim.MaxOps {
			return fmt.Errorf("%w: more than %d opcodes", errLimit, m.lim.MaxOps)
		}
		if err := m.step(op); err != nil {
			if err == errStop {
				if m.frame > m.src.Offset() {
					m.issue(IssueFrame, m.opAt, fmt.Sprintf("the stream stops at offset %d inside a frame that claims to run to %d", m.src.Offset(), m.frame))
				}
				return nil
			}
			name := OpName(op)
			if name == "" {
				return fmt.Errorf("unknown opcode 0x%02x at offset %d", op, m.opAt)
			}
			if errors.Is(err, errTruncated) {
				return fmt.Errorf("%s at offset %d: %w", name, m.opAt, err)
			}
			return fmt.Errorf("%s at offset %d: %w", name, m.opAt, err)
		}
	}
}

func (m *Machine) push(v Value) error {
	if len(m.stack) >= m.lim.MaxStack {
		return fmt.Errorf("%w: stack deeper than %d", errLimit, m.lim.MaxStack)
	}
	m.stack = append(m.stack, v)
	return nil
}

func (m *Machine) base() int {
	if len(m.marks) == 0 {
		return 0
	}
	return m.marks[len(m.marks)-1]
}

func (m *Machine) pop() (Value, error) {
	if len(m.stack) <= m.base() {
		return Value{}, errors.New("unpickling stack underflow")
	}
	v := m.stack[len(m.stack)-1]
	m.stack = m.stack[:len(m.stack)-1]
	return v, nil
}

func (m *Machine) top() (*Value, error) {
	if len(m.stack) <= m.base() {
		return nil, errors.New("unpickling stack underflow")
	}
	return &m.stack[len(m.stack)-1], nil
}

// popMark returns the items above the innermost mark and removes the mark.
func (m *Machine) popMark() ([]Value, error) {
	if len(m.marks) == 0 {
		return nil, errors.New("could not find MARK")
	}
	b := m.marks[len(m.marks)-1]
	m.marks = m.marks[:len(m.marks)-1]
	items := m.stack[b:]
	m.stack = m.stack[:b]
	return items, nil
}

func (m *Machine) u32() (uint32, error) {
	b, err := m.src.read(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (m *Machine) u64() (uint64, error) {
	b, err := m.src.read(8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

const maxLine = 1 << 20

func (m *Machine) line() ([]byte, error) { return m.src.readLine(maxLine) }

// readData reads an n-byte string or bytes payload as a value.
func (m *Machine) readData(n int64, k Kind) (Value, error) {
	if n < 0 {
		return Value{}, fmt.Errorf("negative byte count %d", n)
	}
	at := m.src.Offset()
	if n <= maxKeepString {
		b, err := m.src.read(int(n))
		if err != nil {
			return Value{}, err
		}
		v := Value{K: k, S: m.str(b), I: n}
		if interestingAs(b, k) {
			full := []byte(v.S)
			v.O = &Object{Meta: &Meta{Blob: full, Offset: at}}
			m.useKeep(n)
			m.obs.Blob(at, v, full)
		}
		return v, nil
	}
	keep := int64(maxKeepString)
	if room := m.keepRoom(); room > 0 {
		// Look at the start before deciding to keep the whole content.
		if head, ok := m.peek(min(n, 32)); ok && interestingAs(head, k) {
			keep = min(n, room)
		}
	}
	b, err := m.src.readKeep(n, int(keep))
	if err != nil {
		return Value{}, err
	}
	v := Value{K: k, S: string(b[:min(len(b), maxKeepString)]), I: n}
	if interestingAs(b, k) {
		var full []byte
		if int64(len(b)) == n {
			full = b
			m.useKeep(n)
			v.O = &Object{Meta: &Meta{Blob: b, Offset: at}}
		}
		m.obs.Blob(at, v, full)
	}
	return v, nil
}

// keepRoom is how many more bytes may be kept for nested analysis: the
// shared budget of the whole file when there is one, else this stream's.
func (m *Machine) keepRoom() int64 {
	if m.budget != nil {
		return *m.budget
	}
	return m.lim.KeepBytes - m.kept
}

func (m *Machine) useKeep(n int64) {
	if m.budget != nil {
		*m.budget -= n
		return
	}
	m.kept += n
}

func (m *Machine) peek(n int64) ([]byte, bool) {
	if !m.src.fill(int(n)) {
		return nil, false
	}
	return m.src.buf[m.src.pos : m.src.pos+int(n)], true
}

// memoIndex reads the argument of a GET or PUT opcode in any of its forms:
// a decimal line (protocol 0), one byte, or four little-endian bytes.
func (m *Machine) memoIndex(op byte) (int64, error) {
	switch op {
	case opGet, opPut:
		l, err := m.line()
		if err != nil {
			return 0, err
		}
		return parseDecimal(l)
	case opBinGet, opBinPut:
		b, err := m.src.readByte()
		return int64(b), err
	}
	n, err := m.u32()
	return int64(n), err
}

func (m *Machine) getMemo(i int64) error {
	v, ok := m.memo.get(i)
	if !ok {
		m.issue(IssueMemo, m.opAt, fmt.Sprintf("memo slot %d is read before it is written", i))
		return fmt.Errorf("memo value %d not found", i)
	}
	return m.push(v)
}

func (m *Machine) putMemo(i int64) error {
	if i < 0 {
		return fmt.Errorf("negative memo index %d", i)
	}
	t, err := m.top()
	if err != nil {
		return err
	}
	if m.memo.n >= m.lim.MaxMemo {
		if _, dup := m.memo.get(i); !dup {
			return fmt.Errorf("%w: more than %d memo entries", errLimit, m.lim.MaxMemo)
		}
	}
	if m.memo.put(i, *t) {
		m.issue(IssueMemo, m.opAt, fmt.Sprintf("memo slot %d is overwritten", i))
	}
	return nil
}

func (m *Machine) global(module, name, op string) Value {
	m.res.Imports++
	m.res.NamedImports++
	o := &Object{Meta: &Meta{Module: module, Name: name}}
	m.obs.Import(Import{Module: module, Name: name, Offset: m.opAt, Op: op, Proto: m.proto, Global: o})
	return Value{K: KGlobal, O: o}
}

func (m *Machine) call(op string, callee Value, args []Value, kwargs Value) Value {
	escape(args)
	escape([]Value{kwargs})
	c := Call{Op: op, Callee: callee, Args: args, Kwargs: kwargs, Offset: m.opAt}
	m.obs.Call(c)
	o := m.newObject()
	cv := m.values(1)
	cv[0] = callee
	o.Callee, o.Args = &cv[0], args
	v := Value{K: KCall, O: o}
	if evalPure(&v) && interesting([]byte(v.S)) {
		b, _ := v.O.blob()
		m.obs.Blob(m.opAt, v, b)
	}
	return v
}

// container copies items (which may alias the stack) into a new container.
func (m *Machine) container(k Kind, items []Value) Value {
	escape(items)
	o := m.newObject()
	o.N = int64(len(items))
	if len(items) > 0 {
		n := min(len(items), maxItems)
		o.Items = m.values(n)
		copy(o.Items, items[:n])
	}
	return Value{K: k, O: o}
}

func (m *Machine) step(op byte) error {
	switch op {
	case opProto:
		b, err := m.src.readByte()
		if err != nil {
			return err
		}
		if b > HighestProtocol {
			return fmt.Errorf("unsupported pickle protocol %d", b)
		}
		m.proto = int(b)
		return nil
	case opFrame:
		n, err := m.u64()
		if err != nil {
			return err
		}
		if m.frame >= 0 && m.src.Offset()-9 < m.frame {
			m.issue(IssueFrame, m.opAt, "a frame begins before the previous frame ends")
		}
		if n > math.MaxInt64/2 {
			return fmt.Errorf("frame length %d exceeds the maximum", n)
		}
		m.frame = m.src.Offset() + int64(n)
		if ok := m.src.fill(int(min(n, bufSize))); !ok {
			m.issue(IssueFrame, m.opAt, fmt.Sprintf("frame claims %d bytes but the stream ends first", n))
		}
		return nil
	case opStop:
		v, err := m.pop()
		if err != nil {
			return err
		}
		escape([]Value{v})
		m.res.Value = v
		return errStop
	case opMark:
		if len(m.marks) >= m.lim.MaxMarks {
			return fmt.Errorf("%w: more than %d nested marks", errLimit, m.lim.MaxMarks)
		}
		m.marks = append(m.marks, len(m.stack))
		return nil
	case opPop:
		if len(m.stack) > m.base() {
			m.stack = m.stack[:len(m.stack)-1]
			return nil
		}
		_, err := m.popMark()
		return err
	case opPopMark:
		_, err := m.popMark()
		return err
	case opDup:
		t, err := m.top()
		if err != nil {
			return err
		}
		return m.push(*t)
	case opNone:
		return m.push(Value{K: KNone})
	case opNewTrue, opNewFalse:
		return m.push(Value{K: KBool, I: b2i(op == opNewTrue)})
	case opBinInt:
		b, err := m.src.read(4)
		if err != nil {
			return err
		}
		return m.push(Value{K: KInt, I: int64(int32(binary.LittleEndian.Uint32(b)))})
	case opBinInt1:
		b, err := m.src.readByte()
		if err != nil {
			return err
		}
		return m.push(Value{K: KInt, I: int64(b)})
	case opBinInt2:
		b, err := m.src.read(2)
		if err != nil {
			return err
		}
		return m.push(Value{K: KInt, I: int64(binary.LittleEndian.Uint16(b))})
	case opInt:
		return m.textInt(true)
	case opLong:
		return m.textInt(false)
	case opLong1:
		n, err := m.src.readByte()
		if err != nil {
			return err
		}
		return m.binLong(int64(n))
	case opLong4:
		n, err := m.u32()
		if err != nil {
			return err
		}
		if int32(n) < 0 {
			return errors.New("LONG pickle has negative byte count")
		}
		return m.binLong(int64(n))
	case opFloat:
		l, err := m.line()
		if err != nil {
			return err
		}
		f, err := parsePyFloat(string(l))
		if err != nil {
			return err
		}
		return m.push(Value{K: KFloat, I: int64(math.Float64bits(f))})
	case opBinFloat:
		b, err := m.src.read(8)
		if err != nil {
			return err
		}
		return m.push(Value{K: KFloat, I: int64(binary.BigEndian.Uint64(b))})
	case opString:
		l, err := m.line()
		if err != nil {
			return err
		}
		s, err := pyStringLiteral(l)
		if err != nil {
			return err
		}
		return m.pushText(s, KStr)
	case opUnicode:
		l, err := m.line()
		if err != nil {
			return err
		}
		return m.pushText(rawUnicodeEscape(l), KStr)
	case opBinString:
		n, err := m.u32()
		if err != nil {
			return err
		}
		if int32(n) < 0 {
			return errors.New("BINSTRING pickle has negative byte count")
		}
		return m.pushData(int64(n), KStr)
	case opShortBinString, opShortBinUnicode, opShortBinBytes:
		n, err := m.src.readByte()
		if err != nil {
			return err
		}
		return m.pushData(int64(n), kindOfData(op))
	case opBinUnicode, opBinBytes:
		n, err := m.u32()
		if err != nil {
			return err
		}
		return m.pushData(int64(n), kindOfData(op))
	case opBinUnicode8, opBinBytes8, opByteArray8:
		n, err := m.u64()
		if err != nil {
			return err
		}
		if n > math.MaxInt64 {
			return fmt.Errorf("byte count %d exceeds the maximum", n)
		}
		return m.pushData(int64(n), kindOfData(op))
	case opNextBuffer:
		m.issue(IssueBuffer, m.opAt, "NEXT_BUFFER refers to out-of-band data that a file cannot supply")
		return m.push(Value{K: KBuffer})
	case opReadOnlyBuffer:
		_, err := m.top()
		return err
	case opEmptyTuple:
		return m.push(m.container(KTuple, nil))
	case opTuple1, opTuple2, opTuple3:
		n := int(op-opTuple1) + 1
		if len(m.stack)-m.base() < n {
			return errors.New("unpickling stack underflow")
		}
		items := m.stack[len(m.stack)-n:]
		v := m.container(KTuple, items)
		m.stack = m.stack[:len(m.stack)-n]
		return m.push(v)
	case opTuple, opList, opDict, opFrozenSet:
		items, err := m.popMark()
		if err != nil {
			return err
		}
		return m.push(m.fromMark(op, items))
	case opEmptyList:
		return m.push(Value{K: KList, O: m.newObject()})
	case opEmptyDict:
		return m.push(Value{K: KDict, O: m.newObject()})
	case opEmptySet:
		return m.push(Value{K: KSet, O: m.newObject()})
	case opAppend:
		v, err := m.pop()
		if err != nil {
			return err
		}
		return m.extend("APPEND", KList, []Value{v})
	case opAppends:
		items, err := m.popMark()
		if err != nil {
			return err
		}
		return m.extend("APPENDS", KList, items)
	case opAddItems:
		items, err := m.popMark()
		if err != nil {
			return err
		}
		return m.extend("ADDITEMS", KSet, items)
	case opSetItem:
		v, err := m.pop()
		if err != nil {
			return err
		}
		k, err := m.pop()
		if err != nil {
			return err
		}
		return m.setItems("SETITEM", []Value{k, v})
	case opSetItems:
		items, err := m.popMark()
		if err != nil {
			return err
		}
		if len(items)%2 != 0 {
			return errors.New("odd number of items for SETITEMS")
		}
		return m.setItems("SETITEMS", items)
	case opGet, opBinGet, opLongBinGet:
		i, err := m.memoIndex(op)
		if err != nil {
			return err
		}
		return m.getMemo(i)
	case opPut, opBinPut, opLongBinPut:
		i, err := m.memoIndex(op)
		if err != nil {
			return err
		}
		return m.putMemo(i)
	case opMemoize:
		return m.putMemo(int64(m.memo.n))
	case opGlobal:
		mod, name, err := m.twoLines()
		if err != nil {
			return err
		}
		return m.push(m.global(mod, name, "GLOBAL"))
	case opStackGlobal:
		return m.stackGlobal()
	case opInst:
		mod, name, err := m.twoLines()
		if err != nil {
			return err
		}
		items, err := m.popMark()
		if err != nil {
			return err
		}
		cls := m.global(mod, name, "INST")
		return m.push(m.call("INST", cls, append([]Value(nil), items...), Value{}))
	case opObj:
		items, err := m.popMark()
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return errors.New("OBJ without a class")
		}
		return m.push(m.call("OBJ", items[0], append([]Value(nil), items[1:]...), Value{}))
	case opExt1, opExt2, opExt4:
		return m.ext(op)
	case opReduce:
		args, err := m.pop()
		if err != nil {
			return err
		}
		f, err := m.pop()
		if err != nil {
			return err
		}
		if lacksMethods(args.K) && args.K != KTuple {
			return errors.New("REDUCE arguments are not a tuple")
		}
		return m.push(m.call("REDUCE", f, argsOf(args), Value{}))
	case opNewObj:
		args, err := m.pop()
		if err != nil {
			return err
		}
		cls, err := m.pop()
		if err != nil {
			return err
		}
		return m.push(m.call("NEWOBJ", cls, argsOf(args), Value{}))
	case opNewObjEx:
		kw, err := m.pop()
		if err != nil {
			return err
		}
		args, err := m.pop()
		if err != nil {
			return err
		}
		cls, err := m.pop()
		if err != nil {
			return err
		}
		return m.push(m.call("NEWOBJ_EX", cls, argsOf(args), kw))
	case opBuild:
		return m.build()
	case opPersID:
		l, err := m.line()
		if err != nil {
			return err
		}
		return m.push(Value{K: KPersID, O: &Object{Args: []Value{{K: KStr, S: string(l), I: int64(len(l))}}}})
	case opBinPersID:
		pid, err := m.pop()
		if err != nil {
			return err
		}
		escape([]Value{pid})
		o := m.newObject()
		o.Args = m.values(1)
		o.Args[0] = pid
		return m.push(Value{K: KPersID, O: o})
	}
	return fmt.Errorf("unknown opcode 0x%02x", op)
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func kindOfData(op byte) Kind {
	switch op {
	case opBinBytes, opShortBinBytes, opBinBytes8, opByteArray8:
		return KBytes
	}
	return KStr
}

func (m *Machine) pushData(n int64, k Kind) error {
	v, err := m.readData(n, k)
	if err != nil {
		return err
	}
	return m.push(v)
}

func (m *Machine) pushText(s []byte, k Kind) error {
	v := Value{K: k, S: string(s[:min(len(s), maxKeepString)]), I: int64(len(s))}
	if interestingAs(s, k) {
		full := s
		if int64(len(s)) > m.keepRoom() {
			full = nil
		} else {
			m.useKeep(int64(len(s)))
			v.O = &Object{Meta: &Meta{Blob: append([]byte(nil), s...), Offset: m.opAt}}
		}
		m.obs.Blob(m.opAt, v, full)
	}
	return m.push(v)
}

func (m *Machine) fromMark(op byte, items []Value) Value {
	switch op {
	case opTuple:
		return m.container(KTuple, items)
	case opList:
		return m.container(KList, items)
	case opFrozenSet:
		return m.container(KFrozenSet, items)
	}
	escape(items)
	o := m.newObject()
	for i := 0; i+1 < len(items); i += 2 {
		o.addPair(items[i], items[i+1])
	}
	return Value{K: KDict, O: o}
}

// extend models APPEND(S) and ADDITEMS: on a real list or set the items are
// added; on anything else the unpickler calls the object's extend, append or
// add method, which is a call like any other.
func (m *Machine) extend(op string, want Kind, items []Value) error {
	escape(items)
	t, err := m.top()
	if err != nil {
		return err
	}
	if t.K == want && t.O != nil {
		for _, it := range items {
			t.O.add(it)
		}
		return nil
	}
	if t.K == KBytes && want == KList {
		return nil // BYTEARRAY8 makes a bytearray, which has append and extend
	}
	if lacksMethods(t.K) {
		return fmt.Errorf("%s on a %s, which has no such method", op, kindName(t.K))
	}
	m.obs.Call(Call{Op: op, Callee: *t, Args: items, Offset: m.opAt})
	return nil
}

// lacksMethods reports whether values of kind k certainly have none of the
// methods APPEND, SETITEM and ADDITEMS call on something that is not the
// container they expect; CPython stops there. Values whose runtime type is
// unknown (globals, call results) may have them, and are treated as calls.
func lacksMethods(k Kind) bool {
	switch k {
	case KNone, KBool, KInt, KBigInt, KFloat, KStr, KTuple, KFrozenSet, KDict, KSet, KList:
		return true
	}
	return false
}

func (m *Machine) setItems(op string, kv []Value) error {
	escape(kv)
	t, err := m.top()
	if err != nil {
		return err
	}
	if t.K == KDict && t.O != nil {
		for i := 0; i+1 < len(kv); i += 2 {
			t.O.addPair(kv[i], kv[i+1])
		}
		return nil
	}
	if t.K == KList || t.K == KBytes {
		// list.__setitem__ and bytearray.__setitem__ exist: CPython carries
		// on (or stops on a bad index, which cannot be known here), so the
		// scan carries on too.
		return nil
	}
	if lacksMethods(t.K) {
		return fmt.Errorf("%s on a %s, which has no __setitem__", op, kindName(t.K))
	}
	m.obs.Call(Call{Op: op, Callee: *t, Args: kv, Offset: m.opAt})
	return nil
}

func (m *Machine) build() error {
	state, err := m.pop()
	if err != nil {
		return err
	}
	t, err := m.top()
	if err != nil {
		return err
	}
	escape([]Value{state})
	m.obs.Call(Call{Op: "BUILD", Callee: *t, Args: []Value{state}, Offset: m.opAt})
	if t.O != nil && t.K != KTuple {
		s := state
		t.O.State = &s
	}
	if m.hook != nil {
		// A hook consumes raw bytes that sit outside any frame (joblib
		// commits its frame before writing array data).
		if m.frame >= 0 && m.src.Offset() >= m.frame {
			m.frame = -1
		}
		return m.hook(m, *t)
	}
	return nil
}

func (m *Machine) twoLines() (string, string, error) {
	a, err := m.line()
	if err != nil {
		return "", "", err
	}
	mod := string(a)
	b, err := m.line()
	if err != nil {
		return "", "", err
	}
	name := string(b)
	if !utf8.ValidString(mod) || !utf8.ValidString(name) {
		return "", "", errors.New("module or name is not valid UTF-8")
	}
	return mod, name, checkNames(mod, name)
}

func (m *Machine) stackGlobal() error {
	name, err := m.pop()
	if err != nil {
		return err
	}
	mod, err := m.pop()
	if err != nil {
		return err
	}
	if mod.K == KStr && name.K == KStr {
		if mod.I > int64(len(mod.S)) || name.I > int64(len(name.S)) {
			return fmt.Errorf("%w: STACK_GLOBAL name longer than %d bytes", errLimit, maxKeepString)
		}
		if err := checkNames(mod.S, name.S); err != nil {
			return err
		}
		return m.push(m.global(mod.S, name.S, "STACK_GLOBAL"))
	}
	if !maybeStr(mod) || !maybeStr(name) {
		return errors.New("STACK_GLOBAL requires str")
	}
	// The names are computed at load time: the import cannot be known
	// statically, which is itself dynamic name resolution.
	m.res.Imports++
	o := &Object{Meta: &Meta{Module: mod.String(), Name: name.String()}}
	imp := Import{Module: o.Module, Name: o.Name, Offset: m.opAt, Op: "STACK_GLOBAL", Proto: m.proto, Dynamic: true, Global: o}
	m.obs.Import(imp)
	return m.push(Value{K: KGlobal, O: o})
}

// checkNames rejects a module or name that is not a dotted Python
// identifier: the import fails at load time, so nothing after it runs.
func checkNames(mod, name string) error {
	if !dottedIdent(mod) {
		return fmt.Errorf("module %q is not a Python module name: the import fails", truncate(mod, 60))
	}
	if !dottedIdent(name) {
		return fmt.Errorf("name %q is not a Python qualified name: the lookup fails", truncate(name, 60))
	}
	return nil
}

func dottedIdent(s string) bool {
	if s == "" {
		return false
	}
	start := true
	for _, r := range s {
		switch {
		case r == '.':
			if start {
				return false
			}
			start = true
		case r == '_' || unicode.IsLetter(r):
			start = false
		case unicode.IsDigit(r) && !start:
		default:
			return false
		}
	}
	return !start
}

func maybeStr(v Value) bool {
	switch v.K {
	case KStr, KCall, KUnknown, KPersID, KObject, KGlobal:
		return true
	}
	return false
}

func (m *Machine) ext(op byte) error {
	var code int64
	switch op {
	case opExt1:
		b, err := m.src.readByte()
		if err != nil {
			return err
		}
		code = int64(b)
	case opExt2:
		b, err := m.src.read(2)
		if err != nil {
			return err
		}
		code = int64(binary.LittleEndian.Uint16(b))
	default:
		n, err := m.u32()
		if err != nil {
			return err
		}
		code = int64(int32(n))
	}
	if code <= 0 {
		return errors.New("EXT specifies code <= 0")
	}
	m.res.Imports++
	m.obs.Import(Import{Module: "copyreg", Name: "_extension_registry[" + strconv.FormatInt(code, 10) + "]", Offset: m.opAt, Op: OpName(op), Proto: m.proto, Ext: code})
	return m.push(Value{K: KGlobal, O: &Object{Meta: &Meta{Module: "copyreg", Name: fmt.Sprintf("extension code %d", code)}}})
}

func (m *Machine) textInt(isInt bool) error {
	l, err := m.line()
	if err != nil {
		return err
	}
	s := strings.TrimSpace(string(l))
	if isInt && (s == "00" || s == "01") {
		return m.push(Value{K: KBool, I: int64(s[1] - '0')})
	}
	if !isInt {
		s = strings.TrimSuffix(s, "L")
	}
	s = strings.ReplaceAll(s, "_", "")
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return m.push(Value{K: KInt, I: i})
	}
	if !validBigInt(s) {
		return fmt.Errorf("invalid literal for int(): %q", truncate(s, 40))
	}
	return m.push(Value{K: KBigInt, S: truncate(s, maxKeepString)})
}

func validBigInt(s string) bool {
	s = strings.TrimLeft(s, "+-")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (m *Machine) binLong(n int64) error {
	b, err := m.src.readKeep(n, 16)
	if err != nil {
		return err
	}
	if n <= 8 {
		var u uint64
		for i := len(b) - 1; i >= 0; i-- {
			u = u<<8 | uint64(b[i])
		}
		if n > 0 && n < 8 && b[n-1]&0x80 != 0 {
			u |= ^uint64(0) << (8 * uint(n))
		}
		return m.push(Value{K: KInt, I: int64(u)})
	}
	return m.push(Value{K: KBigInt, S: fmt.Sprintf("<%d-byte integer>", n)})
}

func parseDecimal(l []byte) (int64, error) {
	s := strings.TrimSpace(string(l))
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid memo index %q", truncate(s, 40))
	}
	return i, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func kindName(k Kind) string {
	return [...]string{"unknown", "None", "bool", "int", "float", "str", "bytes", "tuple", "list", "dict",
		"set", "frozenset", "global", "call result", "persistent object", "buffer", "object", "int", "value"}[k]
}
