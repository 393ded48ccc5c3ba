package jinja

import (
	"strings"
	"testing"

	"github.com/modelward/modelward/finding"
)

// Red-team evasions: each template runs a command when rendered by an
// unsandboxed jinja2.Environment (raise_exception is a Python function).
// want is a fragment of the reasons; the "pieces" variants hold no
// dangerous literal, so the backstop alone cannot catch them.
var evasions = []struct{ name, src, want string }{
	{"split_select", `{% set g='__globals__'.split()|first %}{% set o='os'|select|join %}{% set p='popen'|select|join %}{% set r='read'|select|join %}{{ raise_exception[g][o][p]('echo PWNED')[r]() }}`, `private attribute "__globals__"`},
	{"truncate", `{{ raise_exception[('__globals__'|truncate(50))]['os']['system']('echo PWNED') }}`, `private attribute "__globals__"`},
	{"macro", `{% macro g() %}__globals__{% endmacro %}{{ raise_exception[g()]['os']['system']('echo PWNED') }}`, `private attribute "__globals__"`},
	{"capture_inner_block", `{% set g %}__glo{{ '' }}bals__{% endset %}{{ raise_exception[g]['os']['system']('echo PWNED') }}`, `private attribute "__globals__"`},
	{"attr_unknown_halves", `{% set a='__glo'|select|join %}{% set b='bals__'|select|join %}{{ (raise_exception|attr(a~b))['os']['system']('echo PWNED') }}`, `private attribute "__globals__"`},
	{"format_map", `{{ raise_exception[('{x}'.format_map({'x':'__globals__'}))]['os']['system']('echo PWNED') }}`, `private attribute "__globals__"`},
	{"center", `{{ raise_exception[('"__globals__"'|tojson if false else ('__globals__'|center(11)))]['os']['system']('echo PWNED') }}`, `private attribute "__globals__"`},
	{"indent", `{{ raise_exception[('__globals__'|indent)]['os'].popen('echo PWNED').read() }}`, `private attribute "__globals__"`},
	// No literal names an internal below.
	{"pieces_split", `{{ raise_exception['__glo bals__'.split()|join]['os']['system']('id') }}`, `private attribute "__globals__"`},
	{"pieces_truncate_center", `{{ raise_exception[('__glo'|truncate(50)) ~ ('bals__'|center(6))].os.system('id') }}`, `private attribute "__globals__"`},
	{"pieces_unmodelled_filter", `{% set a='__glo'|my_filter %}{% set b='bals__'|my_filter %}{{ (raise_exception|attr(a~b)).os.system('id') }}`, `computed from string literals`},
	{"pieces_reject", `{{ raise_exception['x_x_gloxbals__'|reject('eq','x')|join].os.system('id') }}`, `private attribute "__globals__"`},
	{"pieces_macro_param", `{% macro g(a) %}{{ a }}bals__{% endmacro %}{{ raise_exception[g('__glo')].os.system('id') }}`, `partly computed`},
	{"pieces_capture_filter", `{% set g | replace('X', '') %}X__globXals__{% endset %}{{ raise_exception[g].os.system('id') }}`, `private attribute "__globals__"`},
	{"pieces_filter_block", `{% set g %}{% filter lower %}__GLOBALS__{% endfilter %}{% endset %}{{ raise_exception[g].os.system('id') }}`, `private attribute "__globals__"`},
	{"pieces_format_map", `{{ raise_exception['{a}{b}'.format_map({'a':'__glo','b':'bals__'})].os.system('id') }}`, `private attribute "__globals__"`},
	{"pieces_percent_mapping", `{{ raise_exception['%(a)s%(b)s' % {'a':'__glo','b':'bals__'}].os.system('id') }}`, `private attribute "__globals__"`},
	{"pieces_strip_chars", `{{ raise_exception[('xx__glo' ~ 'bals__xx').strip('x')].os.system('id') }}`, `private attribute "__globals__"`},
	{"pieces_dict_values", `{{ raise_exception[{'a':'__glo'}['a'] ~ {'b':'bals__'}.b].os.system('id') }}`, `private attribute "__globals__"`},
	{"pieces_translate", `{{ raise_exception['xxglobalsxx'.translate(t)].os.system('id') }}`, `computed from string literals`},
	{"pieces_python_space", "{{ raise_exception[('\\x1c__glo' ~ 'bals__')|trim].os.system('id') }}", `private attribute "__globals__"`},
	{"unknown_key_taint", `{{ raise_exception[message.content].os.system('id') }}`, `"os" reached from Python internals`},
}

func TestRedTeamEvasions(t *testing.T) {
	for _, c := range evasions {
		fs := Findings(c.src, finding.Location{Path: "tokenizer_config.json"}, "chat_template", -1)
		var reasons []string
		for _, f := range fs {
			if f.Rule != finding.TemplateInjection || f.Severity != finding.Critical {
				t.Errorf("%s: unexpected finding %s %v: %s", c.name, f.Rule, f.Severity, f.Evidence.Detail)
			}
			reasons = append(reasons, f.Evidence.Detail)
		}
		if !strings.Contains(strings.Join(reasons, "\n"), c.want) {
			t.Errorf("%s: reasons %q lack %q", c.name, reasons, c.want)
		}
	}
}

// TestBackstopLiteral: a dunder literal inside an expression is reported
// even when the analyser cannot follow what is done with it; printed on
// its own it is template text.
func TestBackstopLiteral(t *testing.T) {
	is := Check(`{{ raise_exception[('__globals__'|some_filter(3))] }}`)
	if len(is) != 1 || !strings.Contains(is[0].Reason, `string literal naming Python internals: "__globals__"`) {
		t.Errorf("backstop: %+v", is)
	}
	if is := Check(`{{ 'Python objects have __class__ and __init__' }}`); len(is) != 0 {
		t.Errorf("printed literal: %+v", is)
	}
}

func TestTokenizerConfigCaseKeys(t *testing.T) {
	bad := quote("{{ lipsum.__globals__.os.popen('echo PWNED').read() }}")
	cases := []struct{ name, doc, member string }{
		{"casekey", `{"chat_template": ` + bad + `, "Chat_Template": "{% for m in messages %}{{ m.content }}{% endfor %}", "bos_token": "<s>"}`, "chat_template"},
		{"casekey_shadow", `{"chat_template": "{{ messages }}", "CHAT_TEMPLATE": ` + bad + `}`, "CHAT_TEMPLATE"},
		{"casekey2", `{"chat_template": [{"name": "default", "template": ` + bad + `, "Template": "{{ messages }}"}], "bos_token": "<s>"}`, "chat_template[default]"},
	}
	for _, c := range cases {
		fs := CheckTokenizerConfig([]byte(c.doc), Config{Location: finding.Location{Path: "tokenizer_config.json"}})
		var inj, near int
		for _, f := range fs {
			switch {
			case f.Rule == finding.TemplateInjection && f.Severity == finding.Critical && f.Location.Member[0] == c.member:
				inj++
			case f.Rule == finding.StructureInvalid && f.Severity == finding.High:
				near++
			default:
				t.Errorf("%s: unexpected %+v", c.name, f)
			}
		}
		if inj != 1 || near != 1 {
			t.Errorf("%s: %d MW316 at %s and %d MW315, want 1 and 1: %+v", c.name, inj, c.member, near, fs)
		}
	}
}

// hostileFormats are the red team's format-expansion hangs: each step
// multiplies a string through % or str.format.
func hostileFormats() map[string]string {
	pct := "{% set s = '%s%s%s%s%s%s%s%s' %}"
	brace := "{% set s = '{}{}{}{}{}{}{}{}' %}"
	return map[string]string{
		"t3_fmt_only": pct + strings.Repeat("{% set s = s % (s,s,s,s,s,s,s,s) %}", 600),
		"t5_brace":    brace + strings.Repeat("{% set s = s.format(s,s,s,s,s,s,s,s) %}", 600),
		"t3":          pct + strings.Repeat("{% set s = s % (s,s,s,s,s,s,s,s) %}{{ s.format(s,s,s) }}", 600),
		"alts":        "{% set s = '%s' if c else '{}' %}" + strings.Repeat("{% set s = (s % (s,s,s,s)) ~ s.format(s,s,s,s) if c else s %}", 3000),
	}
}

// TestFormatExpansionIsBudgeted: the string work of % and str.format is
// charged to the analysis budget, so the hangs end in a Limit issue after
// at most the budget's worth of work.
func TestFormatExpansionIsBudgeted(t *testing.T) {
	for name, src := range hostileFormats() {
		a := newAnalyser()
		a.walk(lex(src).blocks, nil)
		if !a.tooBig {
			t.Errorf("%s: budget not reached (bytes %d)", name, a.bytes)
		}
		// One step may overshoot the budget by what it produced, at most
		// a few sets of maxAlts alternatives of maxStrLen bytes.
		if slack := 8 * maxAlts * (maxStrLen + 1); a.bytes > maxBytes+slack {
			t.Errorf("%s: %d bytes of work, budget %d", name, a.bytes, maxBytes)
		}
		is := Check(src)
		if len(is) != 1 || !is[0].Limit {
			t.Errorf("%s: want one Limit issue, got %+v", name, is)
		}
		fs := Findings(src, finding.Location{Path: "x.gguf"}, "tokenizer.chat_template", 0)
		if len(fs) != 1 || fs[0].Rule != finding.LimitReached || fs[0].Severity != finding.High {
			t.Errorf("%s: want one MW202 (high), got %+v", name, fs)
		}
	}
}

func TestStringModels(t *testing.T) {
	cases := map[string]string{
		"'a b  c'.split()|last":                   "c",
		"'a,b'.split(',')|first":                  "a",
		"'a,b,c'.rsplit(',', 1)|first":            "a,b",
		"'abc'|center(7)":                         "  abc  ",
		"'ab'|center(5)":                          "  ab ",
		"'xxabxx'.strip('x')":                     "ab",
		"'hello world foo'|truncate(9, leeway=0)": "hello...",
		"'a\nb'|indent(2, true)":                  "  a\n  b",
		"'aAbB'|unique|join":                      "ab",
		"'abc'|select|join":                       "abc",
		"'axbxc'|reject('eq', 'x')|join":          "abc",
		"['a','b']|sum(start='')":                 "ab",
		"'a-b'.partition('-')|last":               "b",
		"'ab'|tojson":                             `"ab"`,
		"'%(k)s' % {'k': 'v'}":                    "v",
		"'{k}'.format_map({'k': 'v'})":            "v",
		"{'k': 'v'}['k']":                         "v",
		"{'k': 'v'}.get('k')":                     "v",
		"'a' ~ true":                              "aTrue",
		"'abc'|length * 'x'":                      "xxx",
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
			t.Errorf("%s = %+v, want %q", src, v, want)
		}
	}
}
