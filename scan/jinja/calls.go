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
		if obj.kind == vStr {
			if v, ok := a.strMethod(obj, callee.name, pos, kw); ok {
				return v
			}
		}
		return val{taint: fn.taint}
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
	if a.global(callee, gadgets) {
		// Calling cycler(), namespace(), range() or lipsum() is ordinary
		// template use; only attribute access on the global is an escape.
		_ = pos
		return unknown()
	}
	return val{taint: fn.taint}
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
	return val{kind: vList, items: items}
}

func sortVals(items []val) {
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && items[j].strs[0] < items[j-1].strs[0]; j-- {
			items[j], items[j-1] = items[j-1], items[j]
		}
	}
}

// strMethod evaluates the str methods that can build a name.
func (a *analyser) strMethod(obj val, name string, pos []val, kw map[string]val) (val, bool) {
	arg := func(i int) val {
		if i < len(pos) {
			return pos[i]
		}
		return unknown()
	}
	switch name {
	case "join":
		return joinWith(arg(0), obj), true
	case "format":
		return a.braceFormat(obj, pos, kw), true
	case "replace":
		return replaceVal(obj, arg(0), arg(1)), true
	case "format_map":
		return strVal(unknownStr), true
	}
	if f, ok := caseFuncs[name]; ok {
		return obj.mapStrs(f), true
	}
	return unknown(), false
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
func joinWith(list, sep val) val {
	elems, ok := list.elems()
	if !ok {
		return val{kind: vStr, strs: []string{unknownStr}, taint: list.taint}
	}
	seps := []string{""}
	if sep.kind != vUnknown {
		seps = sep.asStrs()
	}
	outs := []string{""}
	for i, e := range elems {
		if i > 0 {
			outs = concat(outs, seps)
		}
		outs = concat(outs, e.asStrs())
	}
	v := strVal(outs...)
	v.taint = list.taint
	return v
}

func replaceVal(s, old, new val) val {
	if s.kind != vStr || old.kind != vStr || new.kind != vStr {
		return strVal(unknownStr)
	}
	var outs []string
	for _, x := range s.strs {
		for _, o := range old.strs {
			for _, w := range new.strs {
				if len(outs) >= maxAlts || o == "" && len(x)*(len(w)+1) > maxStrLen {
					return strVal(append(outs, unknownStr)...)
				}
				outs = append(outs, strings.ReplaceAll(x, o, w))
			}
		}
	}
	return strVal(outs...)
}
