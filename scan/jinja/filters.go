package jinja

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// attrFilters take an attribute path (dotted, each part looked up like a
// subscript) in the keyword "attribute" or, for some, the first argument.
var attrFilters = map[string]bool{"map": false, "selectattr": true, "rejectattr": true,
	"groupby": true, "sort": false, "unique": false, "min": false, "max": false, "sum": false, "join": false}

func (a *analyser) evalFilter(n *node) val {
	in := a.eval(n.kids[0])
	pos, kw := a.args(n.kids[1:])
	arg := func(i int, key string) val {
		if i < len(pos) {
			return pos[i]
		}
		if v, ok := kw[key]; ok {
			return v
		}
		return unknown()
	}
	name := n.name
	if first, ok := attrFilters[name]; ok {
		a.attrPath(in, kw["attribute"])
		if first {
			a.attrPath(in, arg(0, ""))
		}
	}
	var out val
	switch name {
	case "attr":
		out = a.attrFilter(in, arg(0, "name"))
	case "map":
		out = a.mapFilter(in, pos, kw)
	case "join":
		if _, ok := kw["attribute"]; ok {
			out = fallback(val{lit: in.textual()})
			break
		}
		out = a.joinWith(in, arg(0, "d"))
	case "format":
		out = a.percentFormat(strOr(in), pos)
	case "replace":
		out = replaceVal(in, arg(0, "old"), arg(1, "new"), arg(2, "count"))
	case "default", "d":
		out = union(in, arg(0, "default_value"))
	case "trim":
		out = stripVal(in, arg(0, "chars"), true, true)
	case "center":
		w := arg(0, "width")
		if absent(w) {
			w = numVal(80)
		}
		out = padVal(in, w, unknown(), "center")
	case "truncate":
		out = truncateVal(in, pos, kw)
	case "indent":
		out = indentVal(in, pos, kw)
	case "select", "reject":
		out = selectVal(in, pos, name == "reject")
	case "sum":
		out = a.sumVal(in, arg(1, "start"))
	case "batch":
		out = batchVal(in, arg(0, "linecount"), arg(1, "fill_with"))
	case "max", "min", "random":
		if elems, ok := in.elems(); ok && len(elems) > 0 {
			out = anyOf(elems)
		} else {
			out = fallback(in)
		}
	case "items", "dictsort":
		out, _ = listMethod(in, "items", nil)
	default:
		out = applySimple(name, in)
	}
	return derived(out, in)
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
	if a.litName(name, "|attr()") {
		return val{taint: true}
	}
	if name.kind != vStr {
		a.flag("|attr() with a name computed at render time")
		return val{taint: true}
	}
	bad := false
	for _, s := range name.strs {
		if allWild(s) {
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
	a.litName(path, "attribute=")
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

// mapFilter applies |map('filter', args...) to a constant list.
func (a *analyser) mapFilter(in val, pos []val, kw map[string]val) val {
	if _, ok := kw["attribute"]; ok {
		return val{taint: in.taint, lit: in.textual()}
	}
	elems, ok := in.elems()
	if len(pos) == 0 || !ok {
		return fallback(in)
	}
	name, ok := single(pos[0])
	if !ok {
		return fallback(in)
	}
	items := make([]val, 0, len(elems))
	for _, e := range elems {
		var v val
		switch name {
		case "attr":
			if len(pos) > 1 {
				v = a.attrFilter(e, pos[1])
			}
		case "join":
			sep := unknown()
			if len(pos) > 1 {
				sep = pos[1]
			}
			v = a.joinWith(e, sep)
		case "replace":
			if len(pos) > 2 {
				v = replaceVal(e, pos[1], pos[2], unknown())
			}
		case "trim":
			v = stripVal(e, unknown(), true, true)
		default:
			if len(pos) > 1 {
				v = fallback(e)
			} else {
				v = applySimple(name, e)
			}
		}
		items = append(items, derived(v, e))
		if a.tooBig {
			break
		}
	}
	return mkList(items, in.taint)
}

// applySimple evaluates argument-free filters on constant values. A
// filter it does not model keeps its input as a possible value.
func applySimple(name string, in val) val {
	if f, ok := caseFuncs[name]; ok && in.kind == vStr {
		return in.mapStrs(f)
	}
	switch name {
	case "reverse":
		return reverseVal(in)
	case "list":
		if elems, ok := in.elems(); ok {
			return mkList(elems, in.taint)
		}
	case "first", "last":
		if in.kind == vStr {
			return in.mapStrs(func(s string) string {
				if s == "" {
					return unknownStr
				}
				if name == "first" {
					_, n := utf8.DecodeRuneInString(s)
					return s[:n]
				}
				_, n := utf8.DecodeLastRuneInString(s)
				return s[len(s)-n:]
			})
		}
		if elems, ok := in.elems(); ok && len(elems) > 0 {
			if name == "first" {
				return elems[0]
			}
			return elems[len(elems)-1]
		}
	case "sort":
		return sortVal(in)
	case "unique":
		return uniqueVal(in)
	case "string":
		if in.kind == vNum {
			return strVal(in.asStrs()...)
		}
	case "length", "count":
		if s, ok := single(in); ok {
			return numVal(int64(utf8.RuneCountInString(s)))
		}
		if in.kind == vList && !in.lit {
			return numVal(int64(len(in.items)))
		}
		return unknown()
	case "wordcount", "float", "round", "abs", "filesizeformat", "groupby", "dictsort", "items", "xmlattr":
		return val{taint: in.taint}
	case "int":
		if in.kind == vNum {
			return in
		}
		if in.kind == vStr && len(in.strs) == 1 {
			if n, ok := parseInt(strings.TrimSpace(in.strs[0])); ok {
				return numVal(n)
			}
		}
		return unknown()
	case "tojson", "pprint":
		q := map[string]string{"tojson": `"`, "pprint": "'"}[name]
		if s, ok := single(in); ok && !strings.ContainsAny(s, "\\\"'<>&") {
			return strVal(q + s + q)
		}
	case "striptags":
		if s, ok := single(in); ok && !strings.ContainsAny(s, "<&") {
			return strVal(strings.Join(strings.Fields(s), " "))
		}
	}
	if in.kind == vList && name != "list" {
		return val{taint: in.taint, lit: in.textual()}
	}
	return fallback(in)
}

// sumVal models sum(start=...) on a list of strings.
func (a *analyser) sumVal(in, start val) val {
	if start.kind != vStr {
		return val{taint: in.taint}
	}
	elems, ok := in.elems()
	if !ok {
		return fallback(start)
	}
	return a.joinWith(mkList(append([]val{start}, elems...), in.taint), strVal(""))
}

// batchVal models |batch(n[, fill]): the items in lists of n.
func batchVal(in, n, fill val) val {
	elems, ok := in.elems()
	if !ok || n.kind != vNum || n.num <= 0 {
		return fallback(in)
	}
	var out []val
	for i := 0; i < len(elems); i += int(min(n.num, maxItems)) {
		j := min(len(elems), i+int(min(n.num, maxItems)))
		chunk := append([]val{}, elems[i:j]...)
		for len(chunk) < int(n.num) && fill.kind != vUnknown && len(chunk) < maxItems {
			chunk = append(chunk, fill)
		}
		out = append(out, mkList(chunk, false))
	}
	return mkList(out, in.taint)
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
		return mkList(items, in.taint)
	}
	return fallback(in)
}

// sortVal sorts a list of single-alternative strings, or the characters
// of a string ("ssalc__"|sort|join spells nothing useful, but a list of
// prefixed fragments can).
func sortVal(in val) val {
	elems, ok := in.elems()
	if !ok {
		return fallback(in)
	}
	keys := make([]string, 0, len(elems))
	for _, e := range elems {
		if e.kind != vStr || len(e.strs) != 1 {
			return val{taint: in.taint, lit: in.textual()}
		}
		keys = append(keys, e.strs[0])
	}
	sort.Strings(keys)
	items := make([]val, len(keys))
	for i, k := range keys {
		items[i] = strVal(k)
	}
	return mkList(items, in.taint)
}
