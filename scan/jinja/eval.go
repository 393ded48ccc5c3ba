package jinja

import "fmt"

// maxSteps and maxBytes bound the symbolic evaluation of one template.
const (
	maxSteps = 2_000_000
	maxBytes = 32 << 20
)

// analyser evaluates expressions symbolically and collects the reasons an
// expression is dangerous.
type analyser struct {
	env     map[string]val  // union of every value assigned to a name
	locals  map[string]bool // names the template binds itself
	reasons []string
	steps   int
	bytes   int
	tooBig  bool
	deepAt  int // offset of the first expression too deep to parse, or -1
	// macros holds what each macro defined by the template can return:
	// its body's text and printed values.
	macros map[string]val
}

func newAnalyser() *analyser {
	return &analyser{env: map[string]val{}, locals: map[string]bool{}, macros: map[string]val{}, deepAt: -1}
}

// charge adds n bytes of string work to the budget and reports whether
// the analysis may go on.
func (a *analyser) charge(n int) bool {
	a.bytes += n
	if a.bytes > maxBytes {
		a.tooBig = true
	}
	return !a.tooBig
}

// charged charges the size of a set of alternatives.
func (a *analyser) charged(s []string) bool {
	n := len(s)
	for _, x := range s {
		n += len(x)
	}
	return a.charge(n)
}

func (a *analyser) flag(format string, args ...any) {
	r := fmt.Sprintf(format, args...)
	for _, x := range a.reasons {
		if x == r {
			return
		}
	}
	if len(a.reasons) < 8 {
		a.reasons = append(a.reasons, r)
	}
}

// bind records an assignment; values accumulate so that every branch and
// every reassignment is considered.
func (a *analyser) bind(name string, v val) {
	a.locals[name] = true
	if old, ok := a.env[name]; ok {
		v = union(old, v)
	}
	a.env[name] = v
}

// global reports whether a name node refers to one of names without the
// template having bound it itself.
func (a *analyser) global(n *node, names map[string]bool) bool {
	return n != nil && n.op == "name" && names[n.name] && !a.locals[n.name]
}

// eval evaluates n within the step and byte budgets.
func (a *analyser) eval(n *node) val {
	if n == nil || a.tooBig {
		return unknown()
	}
	a.steps++
	v := a.evalNode(n)
	a.bytes += v.size()
	if a.steps > maxSteps || a.bytes > maxBytes {
		a.tooBig = true
	}
	return v
}

func (a *analyser) evalNode(n *node) val {
	switch n.op {
	case "name":
		return a.evalName(n)
	case "str":
		return strVal(n.name)
	case "num":
		if v, ok := parseInt(n.name); ok {
			return numVal(v)
		}
		return unknown()
	case "list":
		return a.evalList(n.kids)
	case "dict":
		return a.evalDict(n)
	case "attr":
		_, v := a.evalAttr(n)
		return v
	case "item":
		return a.evalItem(n)
	case "slice":
		return a.evalSlice(n)
	case "call":
		return a.evalCall(n)
	case "filter":
		return a.evalFilter(n)
	case "bin":
		return a.evalBin(n)
	case "cond":
		a.evalAll(n.kids[1:2])
		v := a.eval(n.kids[0])
		if len(n.kids) > 2 {
			return union(v, a.eval(n.kids[2]))
		}
		return union(v, strVal(""))
	case "kw", "star", "unary":
		v := a.eval(n.kids[0])
		if n.op == "unary" && n.name == "-" && v.kind == vNum {
			return numVal(-v.num)
		}
		if n.op == "unary" && n.name == "not" {
			return unknown()
		}
		return v
	case "const":
		switch n.name {
		case "true", "True":
			return val{kind: vNum, num: 1, boolean: true}
		case "false", "False":
			return val{kind: vNum, num: 0, boolean: true}
		}
		return unknown()
	}
	a.evalAll(n.kids)
	return unknown()
}

func (a *analyser) evalAll(ns []*node) []val {
	out := make([]val, len(ns))
	for i, k := range ns {
		out[i] = a.eval(k)
	}
	return out
}

func (a *analyser) evalName(n *node) val {
	if v, ok := a.env[n.name]; ok {
		return v
	}
	if len(n.name) > 2 && n.name[:2] == "__" {
		a.flag("reference to private name %q", n.name)
		return val{taint: true}
	}
	if a.global(n, gadgets) || a.global(n, pyBuiltins) {
		return val{taint: true}
	}
	return unknown()
}

func (a *analyser) evalList(kids []*node) val {
	return mkList(a.evalAll(kids), false)
}

// evalDict returns a dict as the list of its keys, which is what iterating
// it (|first, |list, |join) yields, with its values alongside.
func (a *analyser) evalDict(n *node) val {
	var keys, vals []val
	for i := 0; i+1 < len(n.kids); i += 2 {
		keys = append(keys, a.eval(n.kids[i]))
		vals = append(vals, a.eval(n.kids[i+1]))
	}
	return mkDict(keys, vals)
}

// lookup returns d[key] for a dict value: the value of a matching
// constant key, or any of its values when the key is not known.
func lookup(d, key val) (val, bool) {
	if d.kind != vList || d.vals == nil || len(d.vals) != len(d.items) {
		return val{}, false
	}
	if key.kind == vStr && len(key.strs) == 1 && key.known() {
		for i, k := range d.items {
			if k.kind == vStr && len(k.strs) == 1 && k.strs[0] == key.strs[0] {
				return d.vals[i], true
			}
		}
		if d.known() {
			return val{}, false
		}
	}
	if len(d.vals) == 0 {
		return val{}, false
	}
	return anyOf(d.vals), true
}

// attrName checks an attribute (or subscript) name on obj.
func (a *analyser) attrName(objNode *node, obj val, name string) bool {
	dangerous := false
	if a.global(objNode, gadgets) {
		a.flag("attribute %q of the Jinja global %q", name, objNode.name)
		dangerous = true
	}
	if a.global(objNode, pyBuiltins) {
		a.flag("attribute %q of Python's %q, which templates are never given", name, objNode.name)
		dangerous = true
	}
	if r := checkName(name, obj.taint); r != "" {
		a.flag("%s", r)
		dangerous = true
	}
	return dangerous
}

// evalAttr evaluates x.name and returns the object and the result.
func (a *analyser) evalAttr(n *node) (val, val) {
	objNode := n.kids[0]
	obj := a.eval(objNode)
	bad := a.attrName(objNode, obj, n.name)
	if objNode.op == "name" {
		if v, ok := a.env[objNode.name+"."+n.name]; ok {
			return obj, v
		}
	}
	if i, ok := parseInt(n.name); ok && obj.kind == vList && i >= 0 && i < int64(len(obj.items)) {
		return obj, obj.items[i]
	}
	if v, ok := lookup(obj, strVal(n.name)); ok {
		return obj, derived(v, obj)
	}
	return obj, derived(val{taint: obj.taint || bad}, obj)
}

// evalItem evaluates x[key]. A key that is not a fully known string may be
// any name, so the result is treated as reaching Python internals.
func (a *analyser) evalItem(n *node) val {
	obj := a.eval(n.kids[0])
	key := a.eval(n.kids[1])
	bad := a.litName(key, "subscript")
	switch key.kind {
	case vStr:
		for _, s := range key.strs {
			bad = a.attrName(n.kids[0], obj, s) || bad
		}
		bad = bad || !key.known()
	case vNum:
		if v, ok := index(obj, key.num); ok {
			return v
		}
	default:
		a.attrName(n.kids[0], obj, unknownStr)
		bad = true
	}
	if v, ok := lookup(obj, key); ok {
		v = derived(v, obj)
		v.taint = v.taint || bad
		return v
	}
	if obj.kind == vList && obj.vals == nil && key.kind != vStr && len(obj.items) > 0 {
		v := derived(anyOf(obj.items), obj)
		v.taint = v.taint || bad
		return v
	}
	return derived(val{taint: obj.taint || bad}, obj)
}

// litName reports a name (subscript, |attr, attribute=) that was computed
// from string literals through operations the analyser does not follow:
// no part of it is known, so it may spell any attribute.
func (a *analyser) litName(key val, what string) bool {
	if !key.lit {
		return false
	}
	wild := key.kind == vUnknown
	if key.kind == vStr {
		for _, s := range key.strs {
			wild = wild || allWild(s)
		}
	}
	if wild {
		a.flag("%s name computed from string literals by operations the scanner does not follow", what)
	}
	return wild
}

// index returns obj[i] for a constant list or single-alternative string.
func index(obj val, i int64) (val, bool) {
	elems, ok := obj.elems()
	if !ok {
		return val{}, false
	}
	if i < 0 {
		i += int64(len(elems))
	}
	if i < 0 || i >= int64(len(elems)) {
		return val{}, false
	}
	return elems[i], true
}
