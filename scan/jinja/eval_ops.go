package jinja

import "strings"

func (a *analyser) evalBin(n *node) val {
	l, r := a.eval(n.kids[0]), a.eval(n.kids[1])
	taint := l.taint || r.taint
	var v val
	switch n.name {
	case "~":
		v = strVal(concat(l.asStrs(), r.asStrs())...)
	case "+":
		v = plus(l, r)
	case "-":
		if l.kind == vNum && r.kind == vNum {
			v = numVal(l.num - r.num)
		}
	case "*":
		v = times(l, r)
	case "//":
		if l.kind == vNum && r.kind == vNum && r.num != 0 {
			v = numVal(l.num / r.num)
		}
	case "%":
		v = a.modulo(l, r)
	case "or", "and":
		v = union(l, r)
	}
	v.taint = v.taint || taint
	v.lit = v.lit || l.lit || r.lit || !v.known() && (l.textual() || r.textual())
	return v
}

func plus(l, r val) val {
	switch {
	case l.kind == vNum && r.kind == vNum:
		return numVal(l.num + r.num)
	case l.kind == vList && r.kind == vList:
		return union(l, r)
	case l.kind == vStr || r.kind == vStr:
		return strVal(concat(l.asStrs(), r.asStrs())...)
	}
	return unknown()
}

// times handles n*m and string or list repetition.
func times(l, r val) val {
	if l.kind == vNum && r.kind == vNum {
		return numVal(l.num * r.num)
	}
	if r.kind == vStr && l.kind == vNum {
		l, r = r, l
	}
	if l.kind == vStr && r.kind == vNum {
		k := r.num
		if k < 0 {
			k = 0
		}
		return l.mapStrs(func(s string) string {
			if len(s) > 0 && k > int64(maxStrLen/len(s)) {
				return strings.Repeat(s, maxStrLen/len(s)+1)
			}
			return strings.Repeat(s, int(k))
		})
	}
	if l.kind == vList && r.kind == vNum && r.num > 0 && r.num <= maxRepeats && len(l.items)*int(r.num) <= maxItems {
		var items []val
		for i := int64(0); i < r.num; i++ {
			items = append(items, l.items...)
		}
		return mkList(items, false)
	}
	if l.kind == vStr || r.kind == vStr {
		return strVal(unknownStr)
	}
	return unknown()
}

// modulo handles numbers and Python's printf-style "fmt % args".
func (a *analyser) modulo(l, r val) val {
	if l.kind == vNum && r.kind == vNum && r.num != 0 {
		return numVal(l.num % r.num)
	}
	if l.kind != vStr {
		return unknown()
	}
	args := []val{r}
	if r.kind == vList && r.vals == nil {
		args = r.items
	}
	return a.percentFormat(l, args)
}

// evalSlice handles x[a:b:c] on constant strings and lists; [::-1] is a
// common way to reverse a hidden name.
func (a *analyser) evalSlice(n *node) val {
	obj := a.eval(n.kids[0])
	var idx [3]*int64
	for i := 0; i < 3; i++ {
		if n.kids[i+1] == nil {
			continue
		}
		v := a.eval(n.kids[i+1])
		if v.kind != vNum {
			return derived(val{}, obj)
		}
		x := v.num
		idx[i] = &x
	}
	switch obj.kind {
	case vStr:
		return obj.mapStrs(func(s string) string {
			if strings.ContainsRune(s, unknownRune) {
				return sliceWild(s, idx)
			}
			rs := []rune(s)
			var out []rune
			for _, i := range sliceIndices(len(rs), idx) {
				out = append(out, rs[i])
			}
			return string(out)
		})
	case vList:
		var items []val
		for _, i := range sliceIndices(len(obj.items), idx) {
			items = append(items, obj.items[i])
		}
		return mkList(items, obj.taint)
	}
	return derived(val{}, obj)
}

// sliceWild slices a string holding wildcards, which stand for runs of
// unknown length: a reversal, or a slice within the known text before the
// first wildcard, is exact; any other keeps the text amid wildcards.
func sliceWild(s string, idx [3]*int64) string {
	step := int64(1)
	if idx[2] != nil {
		step = *idx[2]
	}
	if idx[0] == nil && idx[1] == nil && step == -1 {
		return reverseString(s)
	}
	head := []rune(s[:strings.IndexByte(s, unknownRune)])
	start := int64(0)
	if idx[0] != nil {
		start = *idx[0]
	}
	if step == 1 && start >= 0 && idx[1] != nil && *idx[1] >= 0 && *idx[1] <= int64(len(head)) {
		return string(head[min(start, *idx[1]):*idx[1]])
	}
	return opaque([]string{s})[0]
}

// sliceIndices follows Python's slice semantics for a sequence of length n.
func sliceIndices(n int, idx [3]*int64) []int {
	step := int64(1)
	if idx[2] != nil {
		step = *idx[2]
	}
	if step == 0 {
		return nil
	}
	clamp := func(p *int64, def int64, lo, hi int64) int64 {
		if p == nil {
			return def
		}
		x := *p
		if x < 0 {
			x += int64(n)
		}
		return max(lo, min(x, hi))
	}
	var out []int
	if step > 0 {
		start, stop := clamp(idx[0], 0, 0, int64(n)), clamp(idx[1], int64(n), 0, int64(n))
		for i := start; i < stop && len(out) < maxItems*4; i += step {
			out = append(out, int(i))
		}
		return out
	}
	start, stop := clamp(idx[0], int64(n)-1, -1, int64(n)-1), clamp(idx[1], -1, -1, int64(n)-1)
	if idx[1] == nil {
		stop = -1
	}
	for i := start; i > stop && len(out) < maxItems*4; i += step {
		out = append(out, int(i))
	}
	return out
}
