package jinja

import (
	"strconv"
	"strings"
)

// percentFormat evaluates Python's "fmt % args" (and Jinja's |format) for
// the conversions that can spell a name: %s %r %c %d %i %u %x %X %o %%.
func percentFormat(f val, args []val) val {
	out := val{kind: vStr, taint: f.taint}
	for _, s := range f.strs {
		out = union(out, strVal(percentOne(s, args)...))
	}
	if len(out.strs) == 0 {
		return strVal(unknownStr)
	}
	return out
}

func percentOne(f string, args []val) []string {
	outs := []string{""}
	next := 0
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			outs = concat(outs, []string{f[i : i+1]})
			continue
		}
		j := i + 1
		for j < len(f) && strings.IndexByte("-+ #0123456789.", f[j]) >= 0 {
			j++
		}
		if j >= len(f) {
			return concat(outs, []string{unknownStr})
		}
		if f[j] == '%' {
			outs = concat(outs, []string{"%"})
			i = j
			continue
		}
		var arg val
		if next < len(args) {
			arg = args[next]
		}
		next++
		outs = concat(outs, convert(f[j], arg))
		i = j
	}
	return outs
}

// convert renders one argument for a conversion character.
func convert(c byte, v val) []string {
	switch c {
	case 's':
		return v.asStrs()
	case 'r', 'a':
		if v.kind == vStr {
			out := make([]string, len(v.strs))
			for i, s := range v.strs {
				out[i] = "'" + s + "'"
			}
			return out
		}
		return v.asStrs()
	case 'c':
		if v.kind == vNum && v.num >= 0 && v.num <= 0x10FFFF {
			return []string{string(rune(v.num))}
		}
		if v.kind == vStr {
			return v.strs
		}
	case 'd', 'i', 'u':
		if v.kind == vNum {
			return []string{strconv.FormatInt(v.num, 10)}
		}
	case 'x', 'X', 'o':
		if v.kind == vNum {
			base := map[byte]int{'x': 16, 'X': 16, 'o': 8}[c]
			s := strconv.FormatInt(v.num, base)
			if c == 'X' {
				s = strings.ToUpper(s)
			}
			return []string{s}
		}
	}
	return []string{unknownStr}
}

// braceFormat evaluates str.format for "{}", "{0}" and "{name}" fields,
// and reports field names that reach attributes ("{0.__class__}"), which
// str.format resolves itself, outside Jinja's attribute checks.
func (a *analyser) braceFormat(f val, args []val, kwargs map[string]val) val {
	out := val{kind: vStr}
	for _, s := range f.strs {
		out = union(out, strVal(a.braceOne(s, args, kwargs)...))
	}
	return out
}

func (a *analyser) braceOne(f string, args []val, kwargs map[string]val) []string {
	outs := []string{""}
	auto := 0
	for i := 0; i < len(f); i++ {
		c := f[i]
		if (c == '{' || c == '}') && i+1 < len(f) && f[i+1] == c {
			outs = concat(outs, []string{f[i : i+1]})
			i++
			continue
		}
		if c != '{' {
			outs = concat(outs, []string{f[i : i+1]})
			continue
		}
		end := strings.IndexByte(f[i:], '}')
		if end < 0 {
			return concat(outs, []string{unknownStr})
		}
		field := f[i+1 : i+end]
		if k := strings.IndexAny(field, "!:"); k >= 0 {
			field = field[:k]
		}
		outs = concat(outs, a.braceField(field, args, kwargs, &auto))
		i += end
	}
	return outs
}

func (a *analyser) braceField(field string, args []val, kwargs map[string]val, auto *int) []string {
	if k := strings.IndexAny(field, ".["); k >= 0 {
		a.formatPath(field[k:])
		return []string{unknownStr}
	}
	head := field
	var v val
	switch n, err := strconv.Atoi(head); {
	case head == "":
		if *auto < len(args) {
			v = args[*auto]
		}
		*auto++
	case err == nil:
		if n >= 0 && n < len(args) {
			v = args[n]
		}
	default:
		v = kwargs[head]
	}
	return v.asStrs()
}

// formatPath checks the ".attr[key]" tail of a str.format field.
func (a *analyser) formatPath(path string) {
	for _, part := range strings.FieldsFunc(path, func(r rune) bool { return r == '.' || r == '[' || r == ']' }) {
		if r := checkName(part, false); r != "" {
			a.flag("str.format field reaches %s", r)
		}
	}
}
