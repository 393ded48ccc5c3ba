package jinja

import (
	"strconv"
	"strings"
)

// percentFormat evaluates Python's "fmt % args" (and Jinja's |format) for
// the conversions that can spell a name: %s %r %c %d %i %u %x %X %o %%,
// and %(key)s with a dict argument.
func (a *analyser) percentFormat(f val, args []val) val {
	out := val{kind: vStr, taint: f.taint}
	for _, s := range f.strs {
		out = union(out, strVal(a.percentOne(s, args)...))
	}
	if len(out.strs) == 0 {
		return strVal(unknownStr)
	}
	return out
}

// builder accumulates the alternatives of a string built piece by piece:
// runs of literal text are collected first and joined to the alternatives
// in one step, and the work is charged to the analyser's budget. Building
// stops once every alternative is cut at maxStrLen.
type builder struct {
	a    *analyser
	outs []string
	run  strings.Builder
	done bool
}

func newBuilder(a *analyser) *builder { return &builder{a: a, outs: []string{""}} }

func (b *builder) lit(s string) {
	if !b.done && b.run.Len() <= maxStrLen {
		b.run.WriteString(s)
	}
}

func (b *builder) alts(s []string) {
	b.flush()
	if b.done {
		return
	}
	b.outs = concat(b.outs, s)
	b.done = saturated(b.outs) || !b.a.charged(b.outs)
}

func (b *builder) flush() {
	if b.run.Len() == 0 || b.done {
		return
	}
	s := b.run.String()
	b.run.Reset()
	b.outs = concat(b.outs, []string{s})
	b.done = saturated(b.outs) || !b.a.charged(b.outs)
}

func (b *builder) result() []string {
	b.flush()
	if b.a.tooBig {
		return concat(b.outs, []string{unknownStr})
	}
	return b.outs
}

func (a *analyser) percentOne(f string, args []val) []string {
	b := newBuilder(a)
	next := 0
	nextArg := func() val {
		var v val
		if next < len(args) {
			v = args[next]
		}
		next++
		return v
	}
	for i := 0; i < len(f) && !b.done; i++ {
		k := strings.IndexByte(f[i:], '%')
		if k < 0 {
			b.lit(f[i:])
			break
		}
		b.lit(f[i : i+k])
		i += k
		j := i + 1
		var arg val
		mapped := false
		if j < len(f) && f[j] == '(' {
			end := strings.IndexByte(f[j:], ')')
			if end < 0 {
				b.alts([]string{unknownStr})
				break
			}
			mapped = true
			if len(args) > 0 {
				if v, ok := lookup(args[0], strVal(f[j+1:j+end])); ok {
					arg = v
				}
			}
			j += end + 1
		}
		sp, j := percentSpec(f, j, mapped, nextArg)
		if j >= len(f) {
			b.alts([]string{unknownStr})
			break
		}
		if f[j] == '%' {
			b.lit("%")
			i = j
			continue
		}
		if !mapped {
			arg = nextArg()
		}
		b.alts(percentConv(f[j], arg, sp))
		i = j
	}
	return b.result()
}

// percentSpec parses the flags, width, precision and length modifier of a
// printf-style conversion starting at f[j]; a "*" width or precision takes
// the next argument. It returns the spec and the index of the conversion
// character.
func percentSpec(f string, j int, mapped bool, nextArg func() val) (fmtSpec, int) {
	sp := fmtSpec{fill: " ", width: -1, prec: -1}
	for ; j < len(f) && strings.IndexByte("-+ #0", f[j]) >= 0; j++ {
		switch f[j] {
		case '-':
			sp.align = '<'
		case '+':
			sp.sign = '+'
		case ' ':
			if sp.sign == 0 {
				sp.sign = ' '
			}
		case '#':
			sp.alt = true
		case '0':
			sp.zero = true
		}
	}
	star := func() int {
		if mapped {
			return unknownWidth
		}
		v := nextArg()
		if v.kind != vNum {
			return unknownWidth
		}
		return int(max(-maxStrLen-1, min(v.num, maxStrLen+1)))
	}
	if j < len(f) && f[j] == '*' {
		sp.width = star()
		if sp.width < 0 && sp.width != unknownWidth {
			sp.align, sp.width = '<', -sp.width
		}
		j++
	} else {
		sp.width, j = specDigits(f, j, -1)
	}
	if j < len(f) && f[j] == '.' {
		j++
		if j < len(f) && f[j] == '*' {
			if sp.prec = star(); sp.prec < 0 && sp.prec != unknownWidth {
				sp.prec = 0
			}
			j++
		} else {
			sp.prec, j = specDigits(f, j, 0)
		}
	}
	for j < len(f) && strings.IndexByte("hlL", f[j]) >= 0 {
		j++
	}
	return sp, j
}

// percentConv renders one argument for a printf-style conversion.
func percentConv(c byte, v val, sp fmtSpec) []string {
	if sp.width == unknownWidth || sp.prec == unknownWidth {
		// A "*" width or precision from an unknown argument: the padding
		// or the cut is unknown.
		sp.width, sp.prec = -1, -1
		return opaque(percentConv(c, v, sp))
	}
	switch c {
	case 's', 'r', 'a':
		return strLayout(convert(c, v), sp.prec, sp, '>')
	case 'c':
		return strLayout(convert(c, v), -1, sp, '>')
	case 'd', 'i', 'u', 'x', 'X', 'o':
		if v.kind != vNum {
			return []string{unknownStr}
		}
		if c != 'x' && c != 'X' && c != 'o' {
			c = 'd'
		}
		prefix, digits := intParts(v.num, c, sp.sign, sp.alt)
		if sp.prec > len(digits) {
			if sp.prec > maxStrLen {
				return []string{unknownStr}
			}
			digits = strings.Repeat("0", sp.prec-len(digits)) + digits
		}
		if sp.zero && sp.align != '<' {
			sp.fill, sp.align = "0", '='
		}
		return []string{layout(prefix, digits, sp, '>')}
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

// specDepth is how deep str.format expands fields nested in a format spec:
// "{0:{1}}" works, "{0:{1:{2}}}" is an error (PEP 3101).
const specDepth = 2

func (a *analyser) braceOne(f string, args []val, kwargs map[string]val) []string {
	auto := 0
	return a.braceExpand(f, args, kwargs, &auto, specDepth)
}

// braceExpand follows CPython's MarkupIterator: literal text with "{{" and
// "}}" escapes, and fields "{name!conv:spec}" whose spec may itself hold
// fields, expanded first from the same arguments (auto-numbering goes on
// from the field's own argument).
func (a *analyser) braceExpand(f string, args []val, kwargs map[string]val, auto *int, depth int) []string {
	b := newBuilder(a)
	if depth <= 0 {
		// "Max string recursion exceeded" in Python.
		b.alts([]string{unknownStr})
		return b.result()
	}
	for i := 0; i < len(f) && !b.done; i++ {
		k := strings.IndexAny(f[i:], "{}")
		if k < 0 {
			b.lit(f[i:])
			break
		}
		b.lit(f[i : i+k])
		i += k
		c := f[i]
		if i+1 < len(f) && f[i+1] == c {
			b.lit(f[i : i+1])
			i++
			continue
		}
		if c != '{' {
			b.lit(f[i : i+1])
			continue
		}
		fd, end, ok := parseField(f, i+1)
		if !ok {
			b.alts([]string{unknownStr})
			break
		}
		v := a.braceField(fd.name, args, kwargs, auto)
		if fd.conv != 0 {
			v = convertVal(fd.conv, v)
		}
		specs := []string{fd.spec}
		if fd.nested {
			specs = a.braceExpand(fd.spec, args, kwargs, auto, depth-1)
		}
		b.alts(formatVal(v, specs))
		i = end
	}
	return b.result()
}

// field is one parsed replacement field of a str.format string.
type field struct {
	name, spec string
	conv       byte
	nested     bool // the spec holds fields to expand first
}

// parseField parses the replacement field after the "{" at f[i-1], as
// CPython's parse_field does, and returns the index of its closing "}".
// ok is false where Python raises ValueError.
func parseField(f string, i int) (fd field, end int, ok bool) {
	j := i
	for ; j < len(f); j++ {
		c := f[j]
		if c == '{' {
			return fd, 0, false
		}
		if c == '[' {
			for j < len(f) && f[j] != ']' {
				j++
			}
			if j == len(f) {
				return fd, 0, false
			}
			continue
		}
		if c == '}' || c == ':' || c == '!' {
			break
		}
	}
	if j >= len(f) {
		return fd, 0, false
	}
	fd.name = f[i:j]
	c := f[j]
	j++
	if c == '!' {
		if j+1 >= len(f) {
			return fd, 0, false
		}
		fd.conv = f[j]
		c = f[j+1]
		j += 2
		if c == '}' {
			return fd, j - 1, true
		}
		if c != ':' {
			return fd, 0, false
		}
	}
	if c == '}' {
		return fd, j - 1, true
	}
	start, count := j, 1
	for ; j < len(f); j++ {
		switch f[j] {
		case '{':
			fd.nested = true
			count++
		case '}':
			if count--; count == 0 {
				fd.spec = f[start:j]
				return fd, j, true
			}
		}
	}
	return fd, 0, false
}

// braceField resolves a field name to its argument: "", a position or a
// keyword, then any "[key]" items; an attribute (".name") is checked and
// its value is unknown.
func (a *analyser) braceField(field string, args []val, kwargs map[string]val, auto *int) val {
	head, path := field, ""
	if k := strings.IndexAny(field, ".["); k >= 0 {
		head, path = field[:k], field[k:]
		a.formatPath(path)
	}
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
		var ok bool
		if v, ok = kwargs[head]; !ok {
			v = kwargs[anyKey]
		}
	}
	for path != "" {
		if path[0] != '[' {
			return unknown()
		}
		end := strings.IndexByte(path, ']')
		if end < 0 {
			return unknown()
		}
		key := path[1:end]
		path = path[end+1:]
		var ok bool
		if n, err := strconv.Atoi(key); err == nil && n >= 0 && key[0] != '+' {
			v, ok = index(v, int64(n))
		} else {
			v, ok = lookup(v, strVal(key))
		}
		if !ok {
			return unknown()
		}
	}
	return v
}

// anyKey, in the keyword arguments of a format, stands for any key of a
// mapping whose keys are not all known (str.format_map).
const anyKey = unknownStr

// formatPath checks the ".attr[key]" tail of a str.format field.
func (a *analyser) formatPath(path string) {
	for _, part := range strings.FieldsFunc(path, func(r rune) bool { return r == '.' || r == '[' || r == ']' }) {
		if r := checkName(part, false); r != "" {
			a.flag("str.format field reaches %s", r)
		}
	}
}
