package jinja

import (
	"strconv"
	"strings"
)

type vkind uint8

const (
	vUnknown vkind = iota
	vStr
	vNum
	vList
)

// val is the abstract value of an expression: a set of possible constant
// strings (which may contain unknownRune wildcards), an integer, a list of
// values, or unknown. taint marks values derived from interpreter
// internals (a gadget, a private attribute, a dynamic attribute lookup):
// method names such as popen or system on them complete an escape.
//
// lit marks a value that is not fully known although it was computed from
// string literals (through a filter or method the analyser does not model):
// used as an attribute name it may spell anything, so it is reported.
// A dict is a list of its keys with its values, in order, in vals.
type val struct {
	kind  vkind
	strs  []string
	num   int64
	items []val
	vals  []val
	taint bool
	lit   bool
	// For lists, computed once by mkList: some item holds literal text,
	// some item is not fully known.
	txt, unk bool
	boolean  bool // a vNum that is True (1) or False (0)
	sz       int  // for lists: size(), computed once by mkList
}

// Bounds on symbolic evaluation: alternatives per string, string length,
// list length. Overflow degrades to wildcards rather than dropping text, so
// a name hidden behind many alternatives is still seen by the stem check.
const (
	maxAlts    = 32
	maxStrLen  = 4096
	maxItems   = 4096
	maxRepeats = 4096
)

func unknown() val           { return val{} }
func strVal(s ...string) val { return val{kind: vStr, strs: capAlts(s)} }
func numVal(n int64) val     { return val{kind: vNum, num: n} }

// mkList builds a list value, truncated to maxItems, and records whether
// its items hold literal text or unknown parts.
func mkList(items []val, taint bool) val {
	if len(items) > maxItems {
		items = items[:maxItems]
	}
	v := val{kind: vList, items: items, taint: taint}
	v.sz = itemCost * len(items)
	for _, it := range items {
		v.txt = v.txt || it.textual()
		v.unk = v.unk || !it.known()
		v.taint = v.taint || it.taint
		v.sz = min(v.sz+it.size(), maxBytes+1)
	}
	return v
}

// mkDict builds a dict value: its keys as a list, its values alongside.
func mkDict(keys, vals []val) val {
	v := mkList(keys, false)
	if len(vals) > len(v.items) {
		vals = vals[:len(v.items)]
	}
	w := mkList(vals, false)
	v.vals = w.items
	v.txt, v.unk, v.taint = v.txt || w.txt, v.unk || w.unk, v.taint || w.taint
	v.sz = min(v.sz+w.sz, maxBytes+1)
	return v
}

// known reports whether v is fully known (strings without wildcards, a
// number, or a list of such).
func (v val) known() bool {
	switch v.kind {
	case vStr:
		for _, s := range v.strs {
			if strings.ContainsRune(s, unknownRune) {
				return false
			}
		}
		return true
	case vNum:
		return true
	case vList:
		return !v.unk && !v.lit
	}
	return false
}

// textual reports whether v holds text from the template: known characters
// of a string, or a value derived from literals.
func (v val) textual() bool {
	if v.lit || v.txt {
		return true
	}
	if v.kind != vStr {
		return false
	}
	for _, s := range v.strs {
		if strings.Trim(s, unknownStr) != "" {
			return true
		}
	}
	return false
}

// derived marks out as derived from in: it keeps in's taint, and is lit
// when in held literal text that out no longer shows exactly.
func derived(out, in val) val {
	out.taint = out.taint || in.taint
	if !out.known() && in.textual() {
		out.lit = true
	}
	return out
}

// allWild reports whether s has no known character at all.
func allWild(s string) bool { return strings.Trim(s, unknownStr) == "" }

// saturated reports whether every alternative has been cut at maxStrLen:
// concatenating more cannot change them.
func saturated(s []string) bool {
	if len(s) == 0 {
		return false
	}
	for _, x := range s {
		if len(x) <= maxStrLen || !strings.HasSuffix(x, unknownStr) {
			return false
		}
	}
	return true
}

// joinBounded joins parts with sep, stopping once limit bytes are written.
func joinBounded(parts []string, sep string, limit int) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteString(sep)
		}
		if b.Len()+len(p) > limit {
			b.WriteString(p[:max(0, limit-b.Len())])
			break
		}
		b.WriteString(p)
	}
	s := b.String()
	if len(s) > limit {
		s = s[:limit]
	}
	return s
}

// capAlts bounds the alternatives and their lengths. Too many alternatives
// are folded into one string joined by wildcards.
func capAlts(s []string) []string {
	out := make([]string, 0, len(s))
	seen := map[string]bool{}
	for _, x := range s {
		if len(x) > maxStrLen {
			x = x[:maxStrLen] + unknownStr
		}
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	if len(out) <= maxAlts {
		return out
	}
	joined := joinBounded(out, unknownStr, maxStrLen)
	return []string{joined + unknownStr}
}

// asStrs renders v as strings the way str() would, for concatenation;
// anything not constant becomes a wildcard.
func (v val) asStrs() []string {
	switch v.kind {
	case vStr:
		return v.strs
	case vNum:
		if v.boolean {
			return []string{map[bool]string{true: "True", false: "False"}[v.num != 0]}
		}
		return []string{strconv.FormatInt(v.num, 10)}
	}
	return []string{unknownStr}
}

// concat is the cross product of two string sets. Sets too large to
// multiply are first folded into single wildcard-joined patterns.
func concat(a, b []string) []string {
	if saturated(a) {
		return a
	}
	if len(a)*len(b) > maxAlts {
		a, b = fold(a), fold(b)
	}
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			out = append(out, x+y)
		}
	}
	return capAlts(out)
}

// union merges the possibilities of two values (a ternary, a variable
// assigned twice, "a or b").
func union(a, b val) val {
	v := union1(a, b)
	v.taint = v.taint || a.taint || b.taint
	v.lit = v.lit || a.lit || b.lit
	return v
}

func union1(a, b val) val {
	switch {
	case a.kind == vStr && b.kind == vStr:
		return strVal(append(append([]string{}, a.strs...), b.strs...)...)
	case a.kind == vList && b.kind == vList:
		v := mkList(append(append([]val{}, a.items...), b.items...), false)
		if len(a.vals) == len(a.items) && len(b.vals) == len(b.items) && len(a.vals)+len(b.vals) == len(v.items) {
			v.vals = append(append([]val{}, a.vals...), b.vals...)
		}
		return v
	case a.kind == vNum && b.kind == vNum && a.num == b.num:
		return a
	}
	if a.kind == vStr || b.kind == vStr {
		return strVal(append(a.asStrs(), b.asStrs()...)...)
	}
	return val{lit: a.textual() || b.textual()}
}

// mapStrs applies f to each alternative of a string value.
func (v val) mapStrs(f func(string) string) val {
	out := make([]string, len(v.strs))
	for i, s := range v.strs {
		out[i] = f(s)
	}
	r := strVal(out...)
	r.taint, r.lit = v.taint, v.lit
	return r
}

// elems returns the possible elements of an iterable value: list items,
// or each character of a constant string. ok is false when unknown.
func (v val) elems() ([]val, bool) {
	switch v.kind {
	case vList:
		return v.items, true
	case vStr:
		if len(v.strs) != 1 {
			return nil, false
		}
		var out []val
		for _, r := range v.strs[0] {
			if len(out) >= maxItems {
				break
			}
			out = append(out, strVal(string(r)))
		}
		return out, true
	}
	return nil, false
}

// anyOf unions a list of values (the possible element of an iterable).
func anyOf(vs []val) val {
	if len(vs) == 0 {
		return unknown()
	}
	var strs []string
	taint, lit := false, false
	for _, v := range vs {
		if v.kind != vStr {
			strs = nil
			break
		}
		strs = append(strs, v.strs...)
		taint, lit = taint || v.taint, lit || v.lit
	}
	if strs != nil {
		r := strVal(strs...)
		r.taint, r.lit = taint, lit
		return r
	}
	r := vs[0]
	for _, v := range vs[1:] {
		r = union(r, v)
	}
	return r
}

// fold turns a set of alternatives into one pattern that keeps their text.
func fold(s []string) []string {
	if len(s) <= 1 {
		return s
	}
	return []string{unknownStr + joinBounded(s, unknownStr, maxStrLen) + unknownStr}
}

// itemCost is what one list item counts for in the byte budget: about
// the memory it takes.
const itemCost = 32

// size is the number of bytes a value holds, for the analysis budget.
func (v val) size() int {
	if v.kind == vList {
		return max(v.sz, itemCost*len(v.items))
	}
	n := 0
	for _, s := range v.strs {
		n += len(s)
	}
	return n
}

func parseInt(s string) (int64, bool) {
	s = strings.ReplaceAll(s, "_", "")
	n, err := strconv.ParseInt(s, 0, 64)
	return n, err == nil
}

func reverseString(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}
