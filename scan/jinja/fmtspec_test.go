package jinja

import (
	"os"
	"strings"
	"testing"

	"github.com/modelward/modelward/finding"
)

// TestFormatSpecs compares the str.format and "%" models with CPython
// 3.11 (the expected values were produced by python3).
func TestFormatSpecs(t *testing.T) {
	cases := []struct{ src, want string }{
		{`'{:_^11}'.format('globals')`, "__globals__"},
		{`'{:_^10}'.format('globals')`, "_globals__"},
		{`'{:_<9}'.format('globals')`, "globals__"},
		{`'{:_>9}'.format('globals')`, "__globals"},
		{`'{:9}'.format('globals')`, "globals  "},
		{`'{:>9}'.format('ab')`, "       ab"},
		{`'{:^}'.format('ab')`, "ab"},
		{`'{:.3}'.format('globals')`, "glo"},
		{`'{:_^9.3}'.format('globals')`, "___glo___"},
		{`'{:05}'.format('ab')`, "ab000"},
		{`'{:<05}'.format('ab')`, "ab000"},
		{`'{0:c}'.format(95)`, "_"},
		{`'{0:_^5c}'.format(97)`, "__a__"},
		{`'{:{}^{}}'.format('globals','_',11)`, "__globals__"},
		{`'{0:{1}^{2}}'.format('globals','_',11)`, "__globals__"},
		{`'{0!s:_^11}'.format('globals')`, "__globals__"},
		{`'{0!r:_^11}'.format('globals')`, "_'globals'_"},
		{`'{0!r}'.format("it's")`, "\"it's\""},
		{`'{0!r}'.format('a\\b\n')`, "'a\\\\b\\n'"},
		{`'{0!a}'.format('é')`, "'\\xe9'"},
		{`'{0!r}'.format('é')`, "'é'"},
		{`'{!r}'.format(5)`, "5"},
		{`'{:d}'.format(95)`, "95"},
		{`'{:x}'.format(255)`, "ff"},
		{`'{:#x}'.format(255)`, "0xff"},
		{`'{:#X}'.format(255)`, "0XFF"},
		{`'{:#o}'.format(8)`, "0o10"},
		{`'{:#b}'.format(5)`, "0b101"},
		{`'{:+d}'.format(5)`, "+5"},
		{`'{: d}'.format(5)`, " 5"},
		{`'{:05d}'.format(-42)`, "-0042"},
		{`'{:_=+8}'.format(42)`, "+_____42"},
		{`'{:,}'.format(1234567)`, "1,234,567"},
		{`'{:_}'.format(1234567)`, "1_234_567"},
		{`'{:_x}'.format(0xdeadbeef)`, "dead_beef"},
		{`'{:>5}'.format(True)`, "    1"},
		{`'{}'.format(True)`, "True"},
		{`'{:10.2f}'.format(3)`, "      3.00"},
		{`'{:.1%}'.format(1)`, "100.0%"},
		{`'{:e}'.format(95)`, "9.500000e+01"},
		{`'{:_<4c}'.format(95)`, "____"},
		{`'{0[0]}{0[0]}globals__'.format('__')`, "__globals__"},
		{`'{a[k]}'.format(a={'k':'v'})`, "v"},
		{`'{{}}{}'.format('x')`, "{}x"},
		{`'%5s|' % 'ab'`, "   ab|"},
		{`'%-5s|' % 'ab'`, "ab   |"},
		{`'%.2s' % 'abcd'`, "ab"},
		{`'%*s' % (4, 'ab')`, "  ab"},
		{`'%-*s|' % (4, 'ab')`, "ab  |"},
		{`'%*s|' % (-4, 'ab')`, "ab  |"},
		{`'%.*s' % (2, 'abcd')`, "ab"},
		{`'%05d' % -42`, "-0042"},
		{`'%+d' % 3`, "+3"},
		{`'% d' % 3`, " 3"},
		{`'%#x' % 255`, "0xff"},
		{`'%#o' % 8`, "0o10"},
		{`'%#X' % 255`, "0XFF"},
		{`'%.5d' % 42`, "00042"},
		{`'%8.5d' % -42`, "  -00042"},
		{`'%-8d|' % 42`, "42      |"},
		{`'%05s' % 'ab'`, "   ab"},
		{`'%3c' % 95`, "  _"},
		{`'%-3c|' % 95`, "_  |"},
		{`'%c%c' % (95, '_')`, "__"},
		{`'%r' % 'ab'`, "'ab'"},
		{`'%(a)5s' % {'a': 'x'}`, "    x"},
		{`'%ld' % 5`, "5"},
		{`'%.*s' % (-1, 'ab')`, ""},
		{`'%#5x|' % 255`, " 0xff|"},
		{`'%-#8o|' % 8`, "0o10    |"},
		{`'%+05d' % 3`, "+0003"},
		{`'%x' % -255`, "-ff"},
		{`'{:x}'.format(-255)`, "-ff"},
		{`'{:=^7}'.format('ab')`, "==ab==="},
		{`'{:^6}'.format(-5)`, "  -5  "},
		{`'{:*<+6}'.format(5)`, "+5****"},
	}
	for _, c := range cases {
		p := &parser{toks: lex("{{ " + c.src + " }}").blocks[0].toks}
		n, err := p.expr()
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		v := newAnalyser().eval(n)
		if v.kind != vStr || len(v.strs) != 1 || v.strs[0] != c.want {
			t.Errorf("%s = %q, want %q", c.src, v.strs, c.want)
		}
	}
}

// TestFormatSpecUnknowns: a spec, width or argument the analyser cannot
// resolve keeps the argument's text amid wildcards, so the stem check
// still sees it.
func TestFormatSpecUnknowns(t *testing.T) {
	w := unknownStr
	cases := map[string]string{
		"'{:{}^11}'.format('globals', c)":     w + "globals" + w,
		"'{:{}^{}}'.format('globals', c, n)":  w + "globals" + w,
		"'{:_^11}'.format('glo' ~ x)":         w + "glo" + w,
		"'{:_^99999}'.format('globals')":      w + "globals" + w,
		"'{:z}'.format('globals')":            w + "globals" + w,
		"'{:_^11d}'.format('globals')":        w + "globals" + w,
		"'{0!x}'.format('globals')":           w,
		"'{:_^11}'.format(x)":                 w,
		"'%*s' % (n, '__')":                   w + "__" + w,
		"'%.*s' % (n, '__globals__')":         w + "__globals__" + w,
		"'{0:{1:{2}}}'.format('a', 'b', 'c')": w + "a" + w,
		"'{:.3}'.format('ab' ~ x)":            w + "ab" + w,
		"'{:.2}'.format('ab' ~ x)":            "ab",
		// Slices of strings with wildcards (the value of an unmodelled spec).
		"'{:_<3g}'.format(1)[1:]": w,
		"('ab' ~ x)[0:2]":         "ab",
		"('ab' ~ x)[1:]":          w + "ab" + w,
		"(x ~ 'ba')[::-1]":        "ab" + w,
	}
	for src, want := range cases {
		p := &parser{toks: lex("{{ " + src + " }}").blocks[0].toks}
		n, err := p.expr()
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		v := newAnalyser().eval(n)
		if v.kind != vStr || !contains(v.strs, want) {
			t.Errorf("%s = %q, want %q", src, v.strs, printable(want))
		}
	}
}

// TestFormatSpecFindings: the round-2 format-spec evasions, each hiding
// "__globals__" behind a fill character, a "c" conversion, a nested spec
// or a "*" width, are critical MW316 findings.
func TestFormatSpecFindings(t *testing.T) {
	srcs := []string{
		`{{ raise_exception|attr('{:_^11}'.format('globals')) }}`,
		`{{ raise_exception|attr('{0:c}{0:c}globals{0:c}{0:c}'.format(95)) }}`,
		`{{ raise_exception|attr('{:{}^{}}'.format('globals','_',11)) }}`,
		`{{ raise_exception|attr('{0!s:_^11}'.format('globals')) }}`,
		`{{ raise_exception|attr('{:_>9}'.format('globals') ~ '__') }}`,
		`{{ raise_exception|attr('{a:_<9}'.format(a='__globals') ) }}`,
		`{{ raise_exception|attr('%*s' % (2, '__') ~ 'globals__') }}`,
		`{{ raise_exception|attr(('%3c%c' % (95, 95) ~ 'globals__')|trim) }}`,
		`{{ raise_exception|attr('{:{}^11}'.format('globals', fill)) }}`,
		`{{ raise_exception|attr('{:_<3g}'.format(1)[1:] ~ 'globals__') }}`,
		`{{ raise_exception.__getattribute__('{:_^11}'.format('globals')).os.system('id') }}`,
	}
	for _, src := range srcs {
		fs := Findings(src, finding.Location{Path: "tokenizer_config.json"}, "chat_template", -1)
		if len(fs) == 0 {
			t.Errorf("%s: no finding", src)
		}
		for _, f := range fs {
			if f.Rule != finding.TemplateInjection || f.Severity != finding.Critical {
				t.Errorf("%s: unexpected finding %s %v: %s", src, f.Rule, f.Severity, f.Evidence.Detail)
			}
		}
	}
	doc, err := os.ReadFile("testdata/tokenizer_config_fmt_fill.json")
	if err != nil {
		t.Fatal(err)
	}
	fs := CheckTokenizerConfig(doc, Config{Location: finding.Location{Path: "tokenizer_config.json"}})
	if len(fs) != 1 || fs[0].Rule != finding.TemplateInjection || fs[0].Severity != finding.Critical ||
		!strings.Contains(fs[0].Evidence.Detail, `private attribute "__globals__"`) {
		t.Errorf("tokenizer_config_fmt_fill.json: %+v", fs)
	}
	// Benign uses of specs stay clean.
	for _, src := range []string{
		`{{ '{:>8}'.format(message.role) }}{{ '%-10s|' % message.content }}{{ '{:05d}'.format(loop.index) }}`,
		`{{ '{:%Y-%m-%d}'.format(now) }}{{ '{:.2f}'.format(score) }}{{ '{0!r}'.format(tools) }}`,
	} {
		if is := Check(src); len(is) != 0 {
			t.Errorf("%s: %+v", src, is)
		}
	}
}
