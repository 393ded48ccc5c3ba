package pickle

import (
	"math"
	"strconv"
	"strings"
)

// Kind is the static type of a symbolic value.
type Kind uint8

const (
	KUnknown Kind = iota
	KNone
	KBool
	KInt
	KFloat
	KStr
	KBytes
	KTuple
	KList
	KDict
	KSet
	KFrozenSet
	KGlobal // a callable or class named by GLOBAL, STACK_GLOBAL, INST or EXT
	KCall   // the result of calling something
	KPersID // the result of persistent_load
	KBuffer // an out-of-band buffer
	KObject // an instance whose state was set by BUILD
	KBigInt // an integer too large for int64; S holds its text
	KTruncated
)

// maxItems is how many items of a container are kept as evidence. Counts
// stay exact; only the kept items are capped, so a ten-million-element list
// costs a counter, not memory.
const maxItems = 64

// maxKeepString is how much of a string or byte string a value keeps.
const maxKeepString = 512

// Value is one symbolic stack value. Scalars live in the struct; containers,
// globals and calls point at an Object so that memo references share
// mutations the way the real unpickler's objects do.
type Value struct {
	K Kind
	// I is the value of an int or bool, the bits of a float, or the full
	// length of a str or bytes value (S may hold only its start).
	I int64
	S string // str or bytes content (possibly cut to maxKeepString), or big-int text
	O *Object
}

// Object is a container, global or call result. It is kept small because
// a state dict makes one for nearly every opcode; the rarely used fields
// live in Meta.
type Object struct {
	Items []Value // kept items (lists, tuples, sets) or key/value pairs (dicts: even = key)
	N     int64   // total item count (pairs for dicts)
	// Callee and Args describe a call (KCall).
	Callee *Value
	Args   []Value
	// State is what BUILD set on a call result or object.
	State *Value
	*Meta
}

// Meta holds a global's names and the whole content of a byte string kept
// for nested analysis.
type Meta struct {
	Module, Name string
	// Escaped is set on a global once it is used as data rather than as
	// the callable of a call: put in a container, passed as an argument,
	// given as BUILD state or returned. A getattr that only ever stands
	// as the callee of a call is known to do nothing else.
	Escaped bool
	Blob    []byte
	Offset  int64 // where the blob's opcode starts
}

// blob returns the kept bytes of a value's object, if any.
func (o *Object) blob() ([]byte, int64) {
	if o == nil || o.Meta == nil {
		return nil, 0
	}
	return o.Blob, o.Offset
}

func (o *Object) add(v Value) {
	o.N++
	if len(o.Items) < maxItems {
		o.Items = append(o.Items, v)
	}
}

func (o *Object) addPair(k, v Value) {
	o.N++
	if len(o.Items) < 2*maxItems {
		o.Items = append(o.Items, k, v)
	}
}

// Lookup returns the value stored under a string key in a dict value. As
// in Python, a later item overwrites an earlier one with the same key.
func (v Value) Lookup(key string) (Value, bool) {
	if v.K != KDict || v.O == nil {
		return Value{}, false
	}
	var out Value
	found := false
	for i := 0; i+1 < len(v.O.Items); i += 2 {
		k := v.O.Items[i]
		if k.K == KStr && k.S == key {
			out, found = v.O.Items[i+1], true
		}
	}
	return out, found
}

// Complete reports whether a container kept all of its items.
func (v Value) Complete() bool {
	if v.O == nil {
		return true
	}
	if v.K == KDict {
		return int64(len(v.O.Items)/2) == v.O.N
	}
	return int64(len(v.O.Items)) == v.O.N
}

// GlobalName returns "module.name" for a global, or "" for anything else.
func (v Value) GlobalName() string {
	if v.K == KGlobal && v.O != nil {
		return v.O.Module + "." + v.O.Name
	}
	return ""
}

// String renders the value like Python's repr, bounded in length.
func (v Value) String() string {
	var b strings.Builder
	v.render(&b, 0)
	s := b.String()
	if len(s) > 400 {
		s = s[:397] + "..."
	}
	return s
}

// renderBudget bounds the work of rendering, not only its output: a
// crafted value can nest wide containers deeply.
const renderBudget = 600

func (v Value) render(b *strings.Builder, depth int) {
	if depth > 6 || b.Len() > renderBudget {
		b.WriteString("...")
		return
	}
	switch v.K {
	case KNone:
		b.WriteString("None")
	case KBool:
		if v.I != 0 {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case KInt:
		b.WriteString(strconv.FormatInt(v.I, 10))
	case KBigInt:
		b.WriteString(v.S)
	case KFloat:
		b.WriteString(strconv.FormatFloat(math.Float64frombits(uint64(v.I)), 'g', -1, 64))
	case KStr:
		b.WriteString(quote(v.S, v.I))
	case KBytes:
		b.WriteByte('b')
		b.WriteString(quote(v.S, v.I))
	case KTuple, KList, KSet, KFrozenSet:
		br := brackets[v.K]
		b.WriteString(br[0])
		renderItems(b, v.O, depth)
		if v.K == KTuple && v.O != nil && v.O.N == 1 {
			b.WriteByte(',')
		}
		b.WriteString(br[1])
	case KDict:
		b.WriteByte('{')
		if v.O != nil {
			for i := 0; i+1 < len(v.O.Items); i += 2 {
				if i > 0 {
					b.WriteString(", ")
				}
				v.O.Items[i].render(b, depth+1)
				b.WriteString(": ")
				v.O.Items[i+1].render(b, depth+1)
			}
			if int64(len(v.O.Items)/2) < v.O.N {
				b.WriteString(", ...")
			}
		}
		b.WriteByte('}')
	case KGlobal:
		b.WriteString(v.GlobalName())
	case KCall:
		if v.O.Callee != nil {
			v.O.Callee.render(b, depth+1)
		} else {
			b.WriteString("?")
		}
		b.WriteByte('(')
		for i, a := range v.O.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			a.render(b, depth+1)
		}
		b.WriteByte(')')
	case KPersID:
		b.WriteString("persistent_load(")
		if v.O != nil && len(v.O.Args) > 0 {
			v.O.Args[0].render(b, depth+1)
		}
		b.WriteByte(')')
	case KBuffer:
		b.WriteString("<buffer>")
	default:
		b.WriteString("<?>")
	}
}

var brackets = map[Kind][2]string{KTuple: {"(", ")"}, KList: {"[", "]"}, KSet: {"{", "}"}, KFrozenSet: {"frozenset({", "})"}}

func renderItems(b *strings.Builder, o *Object, depth int) {
	if o == nil {
		return
	}
	for i, it := range o.Items {
		if i > 0 {
			b.WriteString(", ")
		}
		if i >= 8 {
			b.WriteString("...")
			return
		}
		it.render(b, depth+1)
	}
	if int64(len(o.Items)) < o.N {
		b.WriteString(", ...")
	}
}

func quote(s string, full int64) string {
	q := strconv.Quote(s)
	if full > int64(len(s)) {
		q += "..."
	}
	return q
}

// escape marks the globals among vs as used as data (see Meta.Escaped).
func escape(vs []Value) {
	for i := range vs {
		if vs[i].K == KGlobal && vs[i].O != nil && vs[i].O.Meta != nil {
			vs[i].O.Escaped = true
		}
	}
}

// argsOf flattens a call's argument value into a list for evidence.
func argsOf(v Value) []Value {
	if v.K == KTuple && v.O != nil {
		return v.O.Items
	}
	return []Value{v}
}
