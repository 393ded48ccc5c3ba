package jinja

import (
	"strings"
)

// args splits evaluated call arguments into positional and keyword ones.
func (a *analyser) args(kids []*node) ([]val, map[string]val) {
	var pos []val
	kw := map[string]val{}
	for _, k := range kids {
		v := a.eval(k)
		if k.op == "kw" {
			kw[k.name] = v
			continue
		}
		pos = append(pos, v)
	}
	return pos, kw
}

func (a *analyser) evalCall(n *node) val {
	callee := n.kids[0]
	if callee.op == "attr" {
		obj, fn := a.evalAttr(callee)
		pos, kw := a.args(n.kids[1:])
		if v, ok := a.method(obj, callee.name, pos, kw); ok {
			return derived(v, obj)
		}
		return derived(val{taint: fn.taint}, obj)
	}
	fn := a.eval(callee)
	pos, kw := a.args(n.kids[1:])
	if a.global(callee, pyBuiltins) {
		a.flag("call to Python's %q, which templates are never given", callee.name)
		return val{taint: true}
	}
	if callee.op == "name" && callee.name == "dict" && !a.locals["dict"] {
		return dictKeys(kw)
	}
	if callee.op == "name" {
		if m, ok := a.macros[callee.name]; ok {
			return m
		}
	}
	if a.global(callee, gadgets) {
		// Calling cycler(), namespace(), range() or lipsum() is ordinary
		// template use; only attribute access on the global is an escape.
		_ = pos
		return unknown()
	}
	return val{taint: fn.taint}
}

// method evaluates a method call on a constant string, list or dict.
func (a *analyser) method(obj val, name string, pos []val, kw map[string]val) (val, bool) {
	switch obj.kind {
	case vStr:
		return a.strMethod(obj, name, pos, kw)
	case vList:
		return listMethod(obj, name, pos)
	}
	return val{}, false
}

// listMethod models the list and dict methods that return their contents.
func listMethod(obj val, name string, pos []val) (val, bool) {
	arg := func(i int) val {
		if i < len(pos) {
			return pos[i]
		}
		return unknown()
	}
	isDict := obj.vals != nil
	switch name {
	case "copy":
		return obj, true
	case "keys":
		return mkList(obj.items, obj.taint), true
	case "values":
		if isDict {
			return mkList(obj.vals, obj.taint), true
		}
	case "items":
		if isDict {
			pairs := make([]val, len(obj.items))
			for i := range obj.items {
				pairs[i] = mkList([]val{obj.items[i], obj.vals[i]}, false)
			}
			return mkList(pairs, obj.taint), true
		}
	case "get", "pop", "setdefault":
		if isDict {
			v, ok := lookup(obj, arg(0))
			if len(pos) > 1 {
				if !ok {
					return pos[1], true
				}
				v = union(v, pos[1])
			}
			return v, ok || len(pos) > 1
		}
		if name == "pop" {
			i := int64(-1)
			if len(pos) > 0 {
				if pos[0].kind != vNum {
					return anyOf(obj.items), len(obj.items) > 0
				}
				i = pos[0].num
			}
			return index(obj, i)
		}
	}
	return val{}, false
}

// dictKeys models dict(a=1, b=2), whose iteration yields the keyword
// names: dict(__class__=1)|first spells a name without a string literal.
func dictKeys(kw map[string]val) val {
	var items []val
	for k := range kw {
		items = append(items, strVal(k))
	}
	if len(items) > 1 {
		// Map order is random; the order of keys cannot matter to the
		// checks, but keep results deterministic.
		sortVals(items)
	}
	return mkList(items, false)
}

func sortVals(items []val) {
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && items[j].strs[0] < items[j-1].strs[0]; j-- {
			items[j], items[j-1] = items[j-1], items[j]
		}
	}
}

// strMethod evaluates the str methods that can build a name. Methods it
// does not model keep the string as a possible value, next to a wildcard.
func (a *analyser) strMethod(obj val, name string, pos []val, kw map[string]val) (val, bool) {
	arg := func(i int, key string) val {
		if i < len(pos) {
			return pos[i]
		}
		if v, ok := kw[key]; ok {
			return v
		}
		return unknown()
	}
	switch name {
	case "join":
		return a.joinWith(arg(0, "iterable"), obj), true
	case "format":
		return a.braceFormat(obj, pos, kw), true
	case "format_map":
		return a.braceFormat(obj, nil, mapKwargs(arg(0, "mapping"))), true
	case "replace":
		return replaceVal(obj, arg(0, "old"), arg(1, "new"), arg(2, "count")), true
	case "split", "rsplit":
		return splitVal(obj, arg(0, "sep"), arg(1, "maxsplit"), name == "rsplit"), true
	case "splitlines":
		return eachStr(obj, func(s string) val { return strList(pySplitlines(s)) }), true
	case "partition", "rpartition":
		return eachStr(obj, func(s string) val { return partition(s, arg(0, "sep"), name == "rpartition") }), true
	case "strip", "lstrip", "rstrip":
		return stripVal(obj, arg(0, "chars"), name != "rstrip", name != "lstrip"), true
	case "center", "ljust", "rjust":
		return padVal(obj, arg(0, "width"), arg(1, "fillchar"), name), true
	case "zfill":
		return padVal(obj, arg(0, "width"), strVal("0"), "rjust"), true
	case "removeprefix", "removesuffix":
		return affixVal(obj, arg(0, "prefix"), name == "removeprefix"), true
	case "encode", "decode", "expandtabs", "__str__":
		return obj, true
	case "count", "find", "rfind", "index", "rindex":
		return countVal(obj, arg(0, "sub"), name), true
	}
	if f, ok := caseFuncs[name]; ok {
		return obj.mapStrs(f), true
	}
	return fallback(obj), true
}

// fallback is the value of an unmodelled operation on a string: the
// string itself or anything else.
func fallback(in val) val {
	if in.kind == vStr {
		v := strVal(append(append([]string{}, in.strs...), unknownStr)...)
		v.taint, v.lit = in.taint, in.textual()
		return v
	}
	return val{taint: in.taint, lit: in.textual()}
}

// mapKwargs turns a dict value into format keyword arguments; anyKey
// stands for its keys that are not known.
func mapKwargs(d val) map[string]val {
	kw := map[string]val{}
	if d.kind != vList || d.vals == nil {
		kw[anyKey] = val{lit: d.textual()}
		return kw
	}
	var unknownKeys []val
	for i, k := range d.items {
		if k.kind == vStr && len(k.strs) == 1 && k.known() {
			kw[k.strs[0]] = d.vals[i]
			continue
		}
		unknownKeys = append(unknownKeys, d.vals[i])
	}
	if len(unknownKeys) > 0 {
		kw[anyKey] = anyOf(unknownKeys)
	}
	return kw
}

var caseFuncs = map[string]func(string) string{
	"lower": strings.ToLower, "upper": strings.ToUpper, "casefold": strings.ToLower,
	"strip": strings.TrimSpace, "trim": strings.TrimSpace,
	"lstrip": func(s string) string { return strings.TrimLeft(s, " \t\n\r") },
	"rstrip": func(s string) string { return strings.TrimRight(s, " \t\n\r") },
	"title":  titleCase, "capitalize": capitalize, "swapcase": swapCase,
	"string": func(s string) string { return s }, "e": func(s string) string { return s },
	"escape": func(s string) string { return s }, "safe": func(s string) string { return s },
	"forceescape": func(s string) string { return s },
}

func titleCase(s string) string {
	out := []rune(strings.ToLower(s))
	prev := false
	for i, r := range out {
		if !prev {
			out[i] = []rune(strings.ToUpper(string(r)))[0]
		}
		prev = r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
	}
	return string(out)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r := []rune(strings.ToLower(s))
	return strings.ToUpper(string(r[0])) + string(r[1:])
}

func swapCase(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r - 32
		}
		if r >= 'A' && r <= 'Z' {
			return r + 32
		}
		return r
	}, s)
}

// joinWith joins the elements of list with sep (a string value).
func (a *analyser) joinWith(list, sep val) val {
	elems, ok := list.elems()
	if !ok {
		return val{kind: vStr, strs: []string{unknownStr}, taint: list.taint, lit: list.textual()}
	}
	seps := []string{""}
	if sep.kind != vUnknown {
		seps = sep.asStrs()
	}
	b := newBuilder(a)
	for i, e := range elems {
		if b.done {
			break
		}
		if i > 0 {
			b.alts(seps)
		}
		b.alts(e.asStrs())
	}
	v := strVal(b.result()...)
	v.taint = list.taint
	return derived(v, list)
}

// replaceVal models str.replace(old, new[, count]).
func replaceVal(s, old, new, count val) val {
	if s.kind != vStr || old.kind != vStr || new.kind != vStr {
		return fallback(s)
	}
	n := -1
	if count.kind == vNum {
		n = int(max(-1, min(count.num, maxStrLen)))
	}
	var outs []string
	for _, x := range s.strs {
		for _, o := range old.strs {
			for _, w := range new.strs {
				if len(outs) >= maxAlts || o == "" && len(x)*(len(w)+1) > maxStrLen {
					return strVal(append(outs, unknownStr)...)
				}
				outs = append(outs, strings.Replace(x, o, w, n))
			}
		}
	}
	v := strVal(outs...)
	if count.kind != vNum && count.kind != vUnknown || count.kind == vUnknown && count.lit {
		v = union(v, s)
	}
	v.taint = s.taint
	return v
}
