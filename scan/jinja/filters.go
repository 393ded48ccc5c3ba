package jinja

import (
	"sort"
	"strings"
)

// attrFilters take an attribute path (dotted, each part looked up like a
// subscript) in the keyword "attribute" or, for some, the first argument.
var attrFilters = map[string]bool{"map": false, "selectattr": true, "rejectattr": true,
	"groupby": true, "sort": false, "unique": false, "min": false, "max": false, "sum": false, "join": false}

func (a *analyser) evalFilter(n *node) val {
	in := a.eval(n.kids[0])
	pos, kw := a.args(n.kids[1:])
	arg := func(i int) val {
		if i < len(pos) {
			return pos[i]
		}
		return unknown()
	}
	name := n.name
	if first, ok := attrFilters[name]; ok {
		a.attrPath(in, kw["attribute"])
		if first {
			a.attrPath(in, arg(0))
		}
	}
	var out val
	switch name {
	case "attr":
		out = a.attrFilter(in, arg(0))
	case "map":
		out = a.mapFilter(in, pos)
	case "join":
		out = joinWith(in, arg(0))
	case "format":
		out = percentFormat(strOr(in), pos)
	case "replace":
		out = replaceVal(in, arg(0), arg(1))
	case "default", "d":
		out = union(in, arg(0))
	default:
		out = applySimple(name, in)
	}
	out.taint = out.taint || in.taint
	return out
}

func strOr(v val) val {
	if v.kind == vStr {
		return v
	}
	return strVal(unknownStr)
}

// attrFilter models x|attr(name): the name is looked up on x with
// getattr, so a name computed at render time (from a message, say) is as
// dangerous as a literal "__class__".
func (a *analyser) attrFilter(in, name val) val {
	if name.kind != vStr {
		a.flag("|attr() with a name computed at render time")
		return val{taint: true}
	}
	bad := false
	for _, s := range name.strs {
		if s == unknownStr {
			a.flag("|attr() with a name computed at render time")
			bad = true
			continue
		}
		if r := checkName(s, in.taint); r != "" {
			a.flag("|attr(): %s", r)
			bad = true
		}
	}
	return val{taint: in.taint || bad}
}

// attrPath checks an attribute= argument: a dotted path whose parts are
// each looked up on the items.
func (a *analyser) attrPath(in, path val) {
	if path.kind != vStr {
		return
	}
	for _, s := range path.strs {
		for _, part := range strings.Split(s, ".") {
			if r := checkName(part, in.taint); r != "" {
				a.flag("attribute= argument: %s", r)
			}
		}
	}
}

// mapFilter applies |map('filter') to a constant list.
func (a *analyser) mapFilter(in val, pos []val) val {
	if len(pos) == 0 || pos[0].kind != vStr || len(pos[0].strs) != 1 {
		return val{taint: in.taint}
	}
	elems, ok := in.elems()
	if !ok {
		return val{taint: in.taint}
	}
	name := pos[0].strs[0]
	out := val{kind: vList, taint: in.taint}
	for _, e := range elems {
		switch name {
		case "attr":
			if len(pos) > 1 {
				out.items = append(out.items, a.attrFilter(e, pos[1]))
			}
		case "join":
			out.items = append(out.items, joinWith(e, unknown()))
		default:
			out.items = append(out.items, applySimple(name, e))
		}
	}
	return out
}

// applySimple evaluates argument-free filters on constant values.
func applySimple(name string, in val) val {
	if f, ok := caseFuncs[name]; ok && in.kind == vStr {
		return in.mapStrs(f)
	}
	switch name {
	case "reverse":
		return reverseVal(in)
	case "list":
		if elems, ok := in.elems(); ok {
			return val{kind: vList, items: elems, taint: in.taint}
		}
	case "first", "last":
		if elems, ok := in.elems(); ok && len(elems) > 0 {
			if name == "first" {
				return elems[0]
			}
			return elems[len(elems)-1]
		}
	case "sort":
		return sortVal(in)
	case "string":
		if in.kind == vNum {
			return strVal(in.asStrs()...)
		}
	case "int":
		if in.kind == vNum {
			return in
		}
		if in.kind == vStr && len(in.strs) == 1 {
			if n, ok := parseInt(strings.TrimSpace(in.strs[0])); ok {
				return numVal(n)
			}
		}
	}
	return val{taint: in.taint}
}

func reverseVal(in val) val {
	switch in.kind {
	case vStr:
		return in.mapStrs(reverseString)
	case vList:
		items := make([]val, len(in.items))
		for i, it := range in.items {
			items[len(items)-1-i] = it
		}
		return val{kind: vList, items: items, taint: in.taint}
	}
	return val{taint: in.taint}
}

// sortVal sorts a list of single-alternative strings, or the characters
// of a string ("ssalc__"|sort|join spells nothing useful, but a list of
// prefixed fragments can).
func sortVal(in val) val {
	elems, ok := in.elems()
	if !ok {
		return val{taint: in.taint}
	}
	keys := make([]string, 0, len(elems))
	for _, e := range elems {
		if e.kind != vStr || len(e.strs) != 1 {
			return val{kind: vList, items: elems, taint: in.taint}
		}
		keys = append(keys, e.strs[0])
	}
	sort.Strings(keys)
	items := make([]val, len(keys))
	for i, k := range keys {
		items[i] = strVal(k)
	}
	return val{kind: vList, items: items, taint: in.taint}
}
