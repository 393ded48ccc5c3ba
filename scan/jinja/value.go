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
type val struct {
	kind  vkind
	strs  []string
	num   int64
	items []val
	taint bool
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
	joined := strings.Join(out, unknownStr)
	if len(joined) > 2*maxStrLen {
		joined = joined[:2*maxStrLen] + unknownStr
	}
	return []string{joined}
}

// asStrs renders v as strings the way str() would, for concatenation;
// anything not constant becomes a wildcard.
func (v val) asStrs() []string {
	switch v.kind {
	case vStr:
		return v.strs
	case vNum:
		return []string{strconv.FormatInt(v.num, 10)}
	}
	return []string{unknownStr}
}

// concat is the cross product of two string sets. Sets too large to
// multiply are first folded into single wildcard-joined patterns.
func concat(a, b []string) []string {
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
	t := a.taint || b.taint
	switch {
	case a.kind == vStr && b.kind == vStr:
		v := strVal(append(append([]string{}, a.strs...), b.strs...)...)
		v.taint = t
		return v
	case a.kind == vList && b.kind == vList:
		items := append(append([]val{}, a.items...), b.items...)
		if len(items) > maxItems {
			items = items[:maxItems]
		}
		return val{kind: vList, items: items, taint: t}
	case a.kind == vNum && b.kind == vNum && a.num == b.num:
		return a
	}
	if a.kind == vStr || b.kind == vStr {
		s := append(a.asStrs(), b.asStrs()...)
		v := strVal(s...)
		v.taint = t
		return v
	}
	return val{taint: t}
}

// mapStrs applies f to each alternative of a string value.
func (v val) mapStrs(f func(string) string) val {
	out := make([]string, len(v.strs))
	for i, s := range v.strs {
		out[i] = f(s)
	}
	r := strVal(out...)
	r.taint = v.taint
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
	j := strings.Join(s, unknownStr)
	if len(j) > maxStrLen {
		j = j[:maxStrLen]
	}
	return []string{unknownStr + j + unknownStr}
}

// size is the number of bytes a value holds, for the analysis budget.
func (v val) size() int {
	n := len(v.items)
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
