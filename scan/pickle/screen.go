package pickle

import (
	"bytes"
	"encoding/binary"
	"strings"
	"unicode/utf8"

	"github.com/modelward/modelward/policy"
)

// screen is a fast first pass for the common case: a binary pickle that
// only imports allowlisted, unremarkable names and builds plain data with
// them, which is what almost every state dict and array dump is. It models
// the stack and memo exactly in shape, with values reduced to their kind,
// and allocates nothing per opcode.
//
// It answers one question: would the full machine find nothing at all?
// It says yes only when it has followed every opcode to a single STOP at
// the end of the data without meeting anything the full machine reports or
// looks into (an import outside the allowlist, an import that the
// classifier treats specially, STACK_GLOBAL, text opcodes, strings that
// look like executables or nested models, frames or memo used oddly,
// operations on anything but real containers and call results, errors,
// limits). On every other stream it says no, and the full machine runs from
// the start. TestScreenAgreesWithMachine and FuzzScreen check the promise.
type screen struct {
	b     []byte
	pos   int
	stack []Kind
	marks []int
	memo  []Kind // KUnknown (0) marks an empty slot
	n     int    // memo entries
	pol   *policy.Policy
	lim   Limits
	ops   int64
	imps  int
	frame int
	// seen caches the verdict on each GLOBAL's raw text: a pickle names
	// the same few globals over and over.
	seen map[string]bool
}

// screenClean reports whether b is certainly a clean pickle; ops and
// imports count what it saw.
func screenClean(b []byte, pol *policy.Policy, lim Limits) (clean bool, ops int64, imports int) {
	if pol == nil || int64(len(b)) > lim.MaxBytes {
		return false, 0, 0
	}
	s := &screen{b: b, pol: pol, lim: lim, frame: -1, stack: make([]Kind, 0, 64)}
	ok := s.run()
	return ok, s.ops, s.imps
}

func (s *screen) run() bool {
	for s.pos < len(s.b) {
		at := s.pos
		if s.frame >= 0 && at >= s.frame {
			if at > s.frame {
				return false
			}
			s.frame = -1
		}
		op := s.b[s.pos]
		s.pos++
		if s.ops++; s.ops > s.lim.MaxOps {
			return false
		}
		if op == opStop {
			// One stream, ending exactly at the end of the data, outside
			// any frame: anything else goes to the full machine.
			return s.pop() && s.pos == len(s.b) && (s.frame < 0 || s.frame == s.pos)
		}
		if !s.step(op) {
			return false
		}
	}
	return false
}

func (s *screen) need(n int) bool { return n >= 0 && s.pos+n <= len(s.b) }

func (s *screen) push(k Kind) bool {
	if len(s.stack) >= s.lim.MaxStack {
		return false
	}
	s.stack = append(s.stack, k)
	return true
}

func (s *screen) base() int {
	if len(s.marks) == 0 {
		return 0
	}
	return s.marks[len(s.marks)-1]
}

func (s *screen) pop() bool {
	if len(s.stack) <= s.base() {
		return false
	}
	s.stack = s.stack[:len(s.stack)-1]
	return true
}

// popN pops n values, failing if the stack above the mark has fewer.
func (s *screen) popN(n int) bool {
	if len(s.stack)-s.base() < n {
		return false
	}
	s.stack = s.stack[:len(s.stack)-n]
	return true
}

func (s *screen) top() Kind {
	if len(s.stack) <= s.base() {
		return KUnknown
	}
	return s.stack[len(s.stack)-1]
}

// popMark removes the innermost mark and returns how many items it held.
func (s *screen) popMark() (int, bool) {
	if len(s.marks) == 0 {
		return 0, false
	}
	b := s.marks[len(s.marks)-1]
	s.marks = s.marks[:len(s.marks)-1]
	n := len(s.stack) - b
	s.stack = s.stack[:b]
	return n, true
}

func (s *screen) u32() (uint32, bool) {
	if !s.need(4) {
		return 0, false
	}
	v := binary.LittleEndian.Uint32(s.b[s.pos:])
	s.pos += 4
	return v, true
}

func (s *screen) u8() (int, bool) {
	if !s.need(1) {
		return 0, false
	}
	s.pos++
	return int(s.b[s.pos-1]), true
}

// data skips an n-byte string or bytes payload, refusing any that looks
// like something the full machine would look into.
func (s *screen) data(n int64, k Kind) bool {
	if n < 0 || n > int64(len(s.b)-s.pos) {
		return false
	}
	p := s.b[s.pos : s.pos+int(n)]
	s.pos += int(n)
	if interestingAs(p[:min(len(p), 64)], k) {
		return false
	}
	return s.push(k)
}

func (s *screen) get(i int) bool {
	if i < 0 || i >= len(s.memo) || s.memo[i] == KUnknown {
		return false
	}
	return s.push(s.memo[i])
}

func (s *screen) put(i int) bool {
	t := s.top()
	// Dense slots only, as picklers write them (see memo.put): a stream
	// that strides through indices goes to the full machine.
	if t == KUnknown || i < 0 || i > len(s.memo)+1024 || i > 2*s.n+1024 || s.n >= s.lim.MaxMemo {
		return false
	}
	for len(s.memo) <= i {
		s.memo = append(s.memo, KUnknown)
	}
	if s.memo[i] != KUnknown {
		return false // an overwrite is a finding
	}
	s.memo[i] = t
	s.n++
	return true
}

func (s *screen) step(op byte) bool {
	switch op {
	case opProto:
		v, ok := s.u8()
		return ok && v <= HighestProtocol
	case opFrame:
		if !s.need(8) || s.frame >= 0 {
			return false
		}
		n := binary.LittleEndian.Uint64(s.b[s.pos:])
		s.pos += 8
		if n > uint64(len(s.b)-s.pos) {
			return false
		}
		s.frame = s.pos + int(n)
		return true
	case opMark:
		if len(s.marks) >= s.lim.MaxMarks {
			return false
		}
		s.marks = append(s.marks, len(s.stack))
		return true
	case opPop:
		if len(s.stack) > s.base() {
			s.stack = s.stack[:len(s.stack)-1]
			return true
		}
		_, ok := s.popMark()
		return ok
	case opPopMark:
		_, ok := s.popMark()
		return ok
	case opDup:
		t := s.top()
		return t != KUnknown && s.push(t)
	case opNone:
		return s.push(KNone)
	case opNewTrue, opNewFalse:
		return s.push(KBool)
	case opBinInt:
		_, ok := s.u32()
		return ok && s.push(KInt)
	case opBinInt1:
		_, ok := s.u8()
		return ok && s.push(KInt)
	case opBinInt2:
		s.pos += 2
		return s.pos <= len(s.b) && s.push(KInt)
	case opLong1:
		n, ok := s.u8()
		s.pos += n
		return ok && s.pos <= len(s.b) && s.push(KInt)
	case opBinFloat:
		s.pos += 8
		return s.pos <= len(s.b) && s.push(KFloat)
	case opShortBinString, opShortBinUnicode, opShortBinBytes:
		n, ok := s.u8()
		return ok && s.data(int64(n), kindOfData(op))
	case opBinUnicode, opBinBytes, opBinString:
		n, ok := s.u32()
		if op == opBinString && int32(n) < 0 {
			return false
		}
		return ok && s.data(int64(n), kindOfData(op))
	case opEmptyTuple:
		return s.push(KTuple)
	case opTuple1, opTuple2, opTuple3:
		n := int(op-opTuple1) + 1
		if len(s.stack)-s.base() < n {
			return false
		}
		s.stack = s.stack[:len(s.stack)-n]
		return s.push(KTuple)
	case opTuple, opList, opFrozenSet:
		if _, ok := s.popMark(); !ok {
			return false
		}
		return s.push(map[byte]Kind{opTuple: KTuple, opList: KList, opFrozenSet: KFrozenSet}[op])
	case opDict:
		n, ok := s.popMark()
		return ok && n%2 == 0 && s.push(KDict)
	case opEmptyList:
		return s.push(KList)
	case opEmptyDict:
		return s.push(KDict)
	case opEmptySet:
		return s.push(KSet)
	case opAppend:
		return s.pop() && s.target(KList)
	case opAppends:
		_, ok := s.popMark()
		return ok && s.target(KList)
	case opAddItems:
		_, ok := s.popMark()
		return ok && s.target(KSet)
	case opSetItem:
		return s.popN(2) && s.target(KDict)
	case opSetItems:
		n, ok := s.popMark()
		return ok && n%2 == 0 && s.target(KDict)
	case opBinGet:
		i, ok := s.u8()
		return ok && s.get(i)
	case opLongBinGet:
		i, ok := s.u32()
		return ok && s.get(int(i))
	case opBinPut:
		i, ok := s.u8()
		return ok && s.put(i)
	case opLongBinPut:
		i, ok := s.u32()
		return ok && s.put(int(i))
	case opMemoize:
		return s.put(s.n)
	case opGlobal:
		return s.global()
	case opReduce, opNewObj:
		if s.top() != KTuple || !s.pop() || s.top() != KGlobal || !s.pop() {
			return false
		}
		return s.push(KCall)
	case opBuild:
		// BUILD on anything but an instance made by a call (a global, a
		// tuple) is for the full machine.
		return s.pop() && s.top() == KCall
	case opBinPersID:
		return s.pop() && s.push(KPersID)
	}
	// Text opcodes, STACK_GLOBAL, INST, OBJ, NEWOBJ_EX, EXT, PERSID, the
	// 8-byte lengths and out-of-band buffers: the full machine.
	return false
}

// target accepts the container an operation expects, or an instance made
// by a call (OrderedDict() then SETITEMS is how every state dict is built):
// on those the machine records a method call that the classifier, rightly,
// does not report. Anything else (a global above all) is for the machine.
func (s *screen) target(want Kind) bool {
	t := s.top()
	return t == want || t == KCall || t == KPersID
}

// screenSpecial are callables the classifier or the joblib hook look into
// beyond their import: the full machine must see them.
func screenSpecial(module, name string) bool {
	last := name
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		last = name[i+1:]
	}
	switch {
	case loaderNames[last], strings.HasSuffix(name, "BytesIO"):
		return true
	case module == "_codecs", strings.HasSuffix(module, "multiarray") && name == "scalar":
		return true
	case strings.HasPrefix(module, "joblib.") || strings.Contains(module, ".joblib."):
		return true // array wrappers
	case ufuncCallee(module, name):
		return true // calls of ufuncs are checked (isUfuncOnObject)
	}
	return false
}

func (s *screen) global() bool {
	start := s.pos
	if !s.line() { // module
		return false
	}
	if !s.line() { // name
		return false
	}
	raw := s.b[start : s.pos-1]
	ok, cached := s.seen[string(raw)]
	if !cached {
		if len(s.seen) >= maxDistinctImports {
			return false // the machine reports a limit here
		}
		ok = s.allowed(string(raw))
		if s.seen == nil {
			s.seen = make(map[string]bool)
		}
		s.seen[string(raw)] = ok
	}
	s.imps++
	return ok && s.push(KGlobal)
}

// allowed judges a GLOBAL's "module\nname" text.
func (s *screen) allowed(raw string) bool {
	mod, name, _ := strings.Cut(raw, "\n")
	if !utf8.ValidString(raw) || checkNames(mod, name) != nil || screenSpecial(mod, name) {
		return false
	}
	return s.pol.Classify(mod, name).Class == policy.Allowed
}

// line skips one text line, bounded like the machine's.
func (s *screen) line() bool {
	rest := s.b[s.pos:min(len(s.b), s.pos+maxLine)]
	i := bytes.IndexByte(rest, '\n')
	if i < 0 {
		return false
	}
	s.pos += i + 1
	return true
}
