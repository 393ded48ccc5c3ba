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
		for j < len(f) && strings.IndexByte("-+ #0123456789.", f[j]) >= 0 {
			j++
		}
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
			if next < len(args) {
				arg = args[next]
			}
			next++
		}
		b.alts(convert(f[j], arg))
		i = j
	}
	return b.result()
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
	b := newBuilder(a)
	auto := 0
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
		end := strings.IndexByte(f[i:], '}')
		if end < 0 {
			b.alts([]string{unknownStr})
			break
		}
		field := f[i+1 : i+end]
		if k := strings.IndexAny(field, "!:"); k >= 0 {
			field = field[:k]
		}
		b.alts(a.braceField(field, args, kwargs, &auto))
		i += end
	}
	return b.result()
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
		var ok bool
		if v, ok = kwargs[head]; !ok {
			v = kwargs[anyKey]
		}
	}
	return v.asStrs()
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
