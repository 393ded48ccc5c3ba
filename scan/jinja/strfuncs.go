package jinja

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Models of the Python str methods and Jinja filters that transform a
// string without computing new text: splitting, stripping, padding,
// truncating, indenting. Each works on one known alternative; anything it
// cannot follow falls back to "the input or anything else".

// single returns the only alternative of a fully known string value.
func single(v val) (string, bool) {
	if v.kind != vStr || len(v.strs) != 1 || strings.ContainsRune(v.strs[0], unknownRune) {
		return "", false
	}
	return v.strs[0], true
}

// absent reports whether an argument was not given (or cannot be told
// apart from not given).
func absent(v val) bool { return v.kind == vUnknown && !v.lit && !v.taint }

// eachStr applies f to each alternative of a string and merges the
// results: strings are unioned, lists merged position by position.
func eachStr(in val, f func(string) val) val {
	if in.kind != vStr {
		return fallback(in)
	}
	var rs []val
	total := 0
	for _, s := range in.strs {
		r := f(s)
		if total += len(r.items); total > maxItems && len(in.strs) > 1 {
			return fallback(in)
		}
		rs = append(rs, r)
	}
	out := rs[0]
	if len(rs) > 1 {
		if out.kind == vList {
			out = mergeLists(rs)
		} else {
			out = anyOf(rs)
		}
	}
	return derived(out, in)
}

// mergeLists is the list whose i-th item is any of the lists' i-th items.
func mergeLists(ls []val) val {
	n := 0
	for _, l := range ls {
		if l.kind != vList {
			return val{lit: true}
		}
		n = max(n, len(l.items))
	}
	if n*len(ls) > maxItems {
		return val{lit: true}
	}
	items := make([]val, n)
	for i := range items {
		var alts []val
		for _, l := range ls {
			if i < len(l.items) {
				alts = append(alts, l.items[i])
			} else {
				alts = append(alts, strVal(""))
			}
		}
		items[i] = anyOf(alts)
	}
	return mkList(items, false)
}

func strList(parts []string) val {
	items := make([]val, 0, min(len(parts), maxItems))
	for _, p := range parts {
		if len(items) >= maxItems {
			break
		}
		items = append(items, strVal(p))
	}
	return mkList(items, false)
}

// pyIsSpace is Python's str.isspace for one character.
func pyIsSpace(r rune) bool { return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f }

// pySplitlines is Python's str.splitlines().
func pySplitlines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch r {
		case '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			out = append(out, s[start:i])
			if r == '\r' && i+1 < len(s) && s[i+1] == '\n' {
				n++
			}
			start = i + n
		}
		i += n
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// splitVal models str.split and str.rsplit.
func splitVal(in, sep, maxsplit val, right bool) val {
	n := -1
	if maxsplit.kind == vNum {
		n = int(max(-1, min(maxsplit.num, maxItems)))
	} else if !absent(maxsplit) {
		return fallback(in)
	}
	if absent(sep) {
		return eachStr(in, func(s string) val { return strList(splitSpace(s, n, right)) })
	}
	p, ok := single(sep)
	if !ok || p == "" {
		return fallback(in)
	}
	return eachStr(in, func(s string) val {
		if n < 0 || !right {
			if n >= 0 {
				n++
			}
			return strList(strings.SplitN(s, p, n))
		}
		var parts []string
		for len(parts) < n {
			i := strings.LastIndex(s, p)
			if i < 0 {
				break
			}
			parts = append(parts, s[i+len(p):])
			s = s[:i]
		}
		parts = append(parts, s)
		for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
			parts[i], parts[j] = parts[j], parts[i]
		}
		return strList(parts)
	})
}

// splitSpace is str.split() without a separator: runs of whitespace
// separate, and leading or trailing whitespace yields no empty parts.
func splitSpace(s string, n int, right bool) []string {
	if n < 0 {
		return strings.FieldsFunc(s, pyIsSpace)
	}
	if right {
		rs := []rune(s)
		var parts []string
		end := len(rs)
		for end > 0 && pyIsSpace(rs[end-1]) {
			end--
		}
		for len(parts) < n && end > 0 {
			i := end
			for i > 0 && !pyIsSpace(rs[i-1]) {
				i--
			}
			if i == 0 {
				break
			}
			parts = append(parts, string(rs[i:end]))
			for i > 0 && pyIsSpace(rs[i-1]) {
				i--
			}
			end = i
		}
		if end > 0 {
			parts = append(parts, string(rs[:end]))
		}
		for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
			parts[i], parts[j] = parts[j], parts[i]
		}
		return parts
	}
	var parts []string
	s = strings.TrimLeftFunc(s, pyIsSpace)
	for len(parts) < n && s != "" {
		i := strings.IndexFunc(s, pyIsSpace)
		if i < 0 {
			break
		}
		parts = append(parts, s[:i])
		s = strings.TrimLeftFunc(s[i:], pyIsSpace)
	}
	if s != "" {
		parts = append(parts, s)
	}
	return parts
}

// partition models str.partition and str.rpartition.
func partition(s string, sep val, right bool) val {
	p, ok := single(sep)
	if !ok || p == "" {
		return fallback(strVal(s))
	}
	i := strings.Index(s, p)
	if right {
		i = strings.LastIndex(s, p)
	}
	if i < 0 {
		if right {
			return strList([]string{"", "", s})
		}
		return strList([]string{s, "", ""})
	}
	return strList([]string{s[:i], p, s[i+len(p):]})
}

// stripVal models str.strip, lstrip and rstrip (and the trim filter).
func stripVal(in, chars val, left, right bool) val {
	match := pyIsSpace
	if chars.kind != vUnknown || chars.lit {
		cs, ok := single(chars)
		if !ok {
			return fallback(in)
		}
		match = func(r rune) bool { return strings.ContainsRune(cs, r) }
	}
	return eachStr(in, func(s string) val {
		if left {
			s = strings.TrimLeftFunc(s, match)
		}
		if right {
			s = strings.TrimRightFunc(s, match)
		}
		return strVal(s)
	})
}

// padVal models str.center, ljust and rjust (and the center filter).
func padVal(in, width, fill val, kind string) val {
	f := " "
	if !absent(fill) {
		var ok bool
		if f, ok = single(fill); !ok || utf8.RuneCountInString(f) != 1 {
			return fallback(in)
		}
	}
	if width.kind != vNum {
		return fallback(in)
	}
	w := int(min(width.num, maxStrLen+1))
	return eachStr(in, func(s string) val {
		marg := w - utf8.RuneCountInString(s)
		if marg <= 0 {
			return strVal(s)
		}
		switch kind {
		case "ljust":
			return strVal(s + strings.Repeat(f, marg))
		case "rjust":
			return strVal(strings.Repeat(f, marg) + s)
		}
		left := marg/2 + (marg & w & 1)
		return strVal(strings.Repeat(f, left) + s + strings.Repeat(f, marg-left))
	})
}

func affixVal(in, affix val, prefix bool) val {
	p, ok := single(affix)
	if !ok {
		return fallback(in)
	}
	if prefix {
		return in.mapStrs(func(s string) string { return strings.TrimPrefix(s, p) })
	}
	return in.mapStrs(func(s string) string { return strings.TrimSuffix(s, p) })
}

// countVal models str.count, find, rfind, index and rindex.
func countVal(in, sub val, name string) val {
	s, ok1 := single(in)
	p, ok2 := single(sub)
	if !ok1 || !ok2 {
		return unknown()
	}
	var i int
	switch name {
	case "count":
		return numVal(int64(strings.Count(s, p)))
	case "find", "index":
		i = strings.Index(s, p)
	default:
		i = strings.LastIndex(s, p)
	}
	if i < 0 {
		return numVal(-1)
	}
	return numVal(int64(utf8.RuneCountInString(s[:i])))
}

// truncateVal models Jinja's truncate(length=255, killwords=False,
// end='...', leeway=5).
func truncateVal(in val, pos []val, kw map[string]val) val {
	arg := func(i int, key string, def val) val {
		if i < len(pos) {
			return pos[i]
		}
		if v, ok := kw[key]; ok {
			return v
		}
		return def
	}
	length, kill := arg(0, "length", numVal(255)), arg(1, "killwords", numVal(0))
	endv, leeway := arg(2, "end", strVal("...")), arg(3, "leeway", numVal(5))
	end, ok := single(endv)
	if length.kind != vNum || kill.kind != vNum || leeway.kind != vNum || !ok {
		return fallback(in)
	}
	return eachStr(in, func(s string) val {
		rs := []rune(s)
		if int64(len(rs)) <= length.num+leeway.num {
			return strVal(s)
		}
		cut := int(length.num) - utf8.RuneCountInString(end)
		if cut < 0 || cut > len(rs) {
			return fallback(strVal(s))
		}
		r := string(rs[:cut])
		if kill.num == 0 {
			if i := strings.LastIndex(r, " "); i >= 0 {
				r = r[:i]
			}
		}
		return strVal(r + end)
	})
}

// indentVal models Jinja's indent(width=4, first=False, blank=False).
func indentVal(in val, pos []val, kw map[string]val) val {
	arg := func(i int, key string, def val) val {
		if i < len(pos) {
			return pos[i]
		}
		if v, ok := kw[key]; ok {
			return v
		}
		return def
	}
	width, first, blank := arg(0, "width", numVal(4)), arg(1, "first", numVal(0)), arg(2, "blank", numVal(0))
	var ind string
	switch {
	case width.kind == vNum:
		ind = strings.Repeat(" ", int(max(0, min(width.num, maxStrLen))))
	default:
		s, ok := single(width)
		if !ok {
			return fallback(in)
		}
		ind = s
	}
	if first.kind != vNum || blank.kind != vNum {
		return fallback(in)
	}
	return eachStr(in, func(s string) val {
		lines := pySplitlines(s + "\n")
		var rv string
		if blank.num != 0 {
			rv = strings.Join(lines, "\n"+ind)
		} else {
			var b strings.Builder
			b.WriteString(lines[0])
			for _, l := range lines[1:] {
				if b.Len() > maxStrLen {
					break
				}
				b.WriteString("\n")
				if l != "" {
					b.WriteString(ind)
				}
				b.WriteString(l)
			}
			rv = b.String()
		}
		if first.num != 0 {
			rv = ind + rv
		}
		return strVal(rv)
	})
}

// uniqueVal models |unique on the characters of a string or the items of
// a list of constant strings (case-insensitively, keeping the first).
func uniqueVal(in val) val {
	elems, ok := in.elems()
	if !ok {
		return fallback(in)
	}
	seen := map[string]bool{}
	var out []val
	for _, e := range elems {
		s, ok := single(e)
		if !ok {
			return fallback(in)
		}
		k := strings.ToLower(s)
		if !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return mkList(out, in.taint)
}

// selectVal models |select and |reject with no test (truthiness) or a
// simple comparison test, on constant elements.
func selectVal(in val, pos []val, reject bool) val {
	elems, ok := in.elems()
	if !ok {
		return fallback(in)
	}
	test := "truthy"
	if len(pos) > 0 {
		t, ok := single(pos[0])
		if !ok {
			return fallback(in)
		}
		test = t
	}
	var arg val
	if len(pos) > 1 {
		arg = pos[1]
	}
	var out []val
	for _, e := range elems {
		keep, ok := runTest(test, e, arg)
		if !ok {
			return val{lit: in.textual(), taint: in.taint}
		}
		if keep != reject {
			out = append(out, e)
		}
	}
	return mkList(out, in.taint)
}

// runTest evaluates a Jinja test on a constant value.
func runTest(test string, e, arg val) (bool, bool) {
	es, eStr := single(e)
	as, aStr := single(arg)
	switch test {
	case "truthy":
		if eStr {
			return es != "", true
		}
		if e.kind == vNum {
			return e.num != 0, true
		}
	case "defined":
		return true, e.kind != vUnknown
	case "undefined", "none":
		return false, e.kind != vUnknown
	case "string":
		return e.kind == vStr, e.kind != vUnknown
	case "number":
		return e.kind == vNum, e.kind != vUnknown
	case "lower", "upper":
		if eStr {
			f := map[string]func(string) string{"lower": strings.ToLower, "upper": strings.ToUpper}[test]
			return f(es) == es && strings.ToLower(es) != strings.ToUpper(es), true
		}
	case "eq", "==", "equalto", "sameas", "ne", "!=":
		eq := false
		switch {
		case eStr && aStr:
			eq = es == as
		case e.kind == vNum && arg.kind == vNum:
			eq = e.num == arg.num
		case e.known() && arg.known() && e.kind != arg.kind && e.kind != vList && arg.kind != vList:
		default:
			return false, false
		}
		return eq == (test != "ne" && test != "!="), true
	case "in":
		if eStr && aStr {
			return strings.Contains(as, es), true
		}
		if elems, ok := arg.elems(); ok && eStr {
			for _, x := range elems {
				if s, ok := single(x); !ok {
					return false, false
				} else if s == es {
					return true, true
				}
			}
			return false, true
		}
	}
	return false, false
}
