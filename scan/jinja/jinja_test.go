package jinja

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelward/modelward/finding"
)

func readDir(t testing.TB, dir string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.jinja"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in %s: %v", dir, err)
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = string(b)
	}
	return out
}

func TestBenignTemplatesAreClean(t *testing.T) {
	for name, src := range readDir(t, "benign") {
		if issues := Check(src); len(issues) != 0 {
			t.Errorf("%s: unexpected issues %+v", name, issues)
		}
	}
}

// wantReason names, per malicious fixture, a fragment the reasons must
// contain: the check sees through that fixture's obfuscation.
var wantReason = map[string]string{
	"cve_2024_34359.jinja":        `"__subclasses__"`,
	"gadget_cycler.jinja":         `Jinja global "cycler"`,
	"gadget_joiner.jinja":         `Jinja global "joiner"`,
	"gadget_namespace.jinja":      `Jinja global "namespace"`,
	"gadget_lipsum.jinja":         `Jinja global "lipsum"`,
	"gadget_range.jinja":          `Jinja global "range"`,
	"gadget_self.jinja":           `"_TemplateReference__context"`,
	"gadget_request.jinja":        `Jinja global "request"`,
	"gadget_flask.jinja":          `Jinja global "config"`,
	"concat_tilde_attr.jinja":     `"__class__"`,
	"concat_plus_subscript.jinja": `"__class__"`,
	"join_chars.jinja":            `"__class__"`,
	"percent_format.jinja":        `"__class__"`,
	"percent_operator.jinja":      `"__globals__"`,
	"hex_unicode_escapes.jinja":   `"__base__"`,
	"named_octal_escapes.jinja":   `"__class__"`,
	"reversed.jinja":              `"__base__"`,
	"map_attribute.jinja":         `attribute= argument: private attribute "__class__"`,
	"set_variables.jinja":         `"__class__"`,
	"block_set.jinja":             `"__globals__"`,
	"for_variable.jinja":          `"__mro__"`,
	"dict_keys.jinja":             `"__class__"`,
	"case_replace.jinja":          `"__class__"`,
	"dynamic_attr.jinja":          `computed at render time`,
	"str_format_field.jinja":      `str.format field reaches private attribute "__class__"`,
	"namespace_field.jinja":       `"__globals__"`,
	"adjacent_literals.jinja":     `"__class__"`,
	"macro_default.jinja":         `"__class__"`,
	"ternary_join.jinja":          `"__getattribute__"`,
	"hidden_in_llama3.jinja":      `command-execution attribute "popen"`,
	"hidden_in_chatml.jinja":      `"__builtins__"`,
	"unclosed.jinja":              `stops lexing`,
	"split_select.jinja":          `private attribute "__globals__"`,
	"macro_body.jinja":            `private attribute "__globals__"`,
	"capture_inner_block.jinja":   `private attribute "__globals__"`,
	// Format specs (round-2 red team): fill, "c", nested specs, "*" width.
	"fmt_fill.jinja":        `|attr(): private attribute "__globals__"`,
	"fmt_c.jinja":           `|attr(): private attribute "__globals__"`,
	"fmt_nested_spec.jinja": `|attr(): private attribute "__globals__"`,
	"fmt_conv_spec.jinja":   `|attr(): private attribute "__globals__"`,
	"fmt_fill_pct.jinja":    `|attr(): private attribute "__globals__"`,
	"fmt_index.jinja":       `|attr(): private attribute "__globals__"`,
	"pct_star.jinja":        `|attr(): private attribute "__globals__"`,
}

func TestMaliciousTemplatesAreReported(t *testing.T) {
	fixtures := readDir(t, "malicious")
	for name, src := range fixtures {
		want, ok := wantReason[name]
		if !ok {
			t.Errorf("%s: fixture without an expectation", name)
			continue
		}
		issues := Check(src)
		var reasons []string
		for _, is := range issues {
			reasons = append(reasons, is.Reason)
			if len(is.Expr) > maxExpr || is.Offset < 0 || is.Offset >= len(src) {
				t.Errorf("%s: bad issue bounds %+v", name, is)
			}
		}
		if !strings.Contains(strings.Join(reasons, "\n"), want) {
			t.Errorf("%s: reasons %q lack %q", name, reasons, want)
		}
	}
	for name := range wantReason {
		if _, ok := fixtures[name]; !ok {
			t.Errorf("expectation for missing fixture %s", name)
		}
	}
}

func TestLexer(t *testing.T) {
	cases := []struct {
		src    string
		blocks int
		fail   bool
	}{
		{"plain {{ a }} text {% if b %}{% endif %}", 3, false},
		{"{#- comment {{ __class__ }} -#}{{ x }}", 1, false},
		{"{% raw %}{{ __class__ }}{% endraw %}{{ y }}", 1, false},
		{"{%- raw -%} {{ x }} {%- endraw -%}", 0, false},
		{"{{ {'a': {'b': 1}} }}", 1, false},
		{"{{ 'a }}' ~ \"b\\\" }}\" }}", 1, false},
		{"{{ x -}} {%+ if y +%}", 2, false},
		{"{{ 'unterminated }}", 0, true},
		{"{# never closed", 0, true},
		{"{% raw %} no end", 0, true},
	}
	for _, c := range cases {
		lx := lex(c.src)
		if len(lx.blocks) != c.blocks || (lx.failAt >= 0) != c.fail {
			t.Errorf("%q: %d blocks, failAt %d; want %d blocks, fail %v", c.src, len(lx.blocks), lx.failAt, c.blocks, c.fail)
		}
	}
}

func TestUnescape(t *testing.T) {
	cases := map[string]string{
		`\x5f\x5f`:                 "__",
		`\u005f`:                   "_",
		`\U0000005f`:               "_",
		`\137`:                     "_",
		`\N{LOW LINE}`:             "_",
		`\N{LATIN SMALL LETTER C}`: "c",
		`a\nb`:                     "a\nb",
		`\q`:                       `\q`,
		`\x5`:                      unknownStr,
	}
	for in, want := range cases {
		if got := unescape(in); got != want {
			t.Errorf("unescape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConstantFolding(t *testing.T) {
	cases := map[string]string{
		"'a' ~ 'b'":                   "ab",
		"'a' + 1|string":              "a1",
		"['x','y']|join('-')":         "x-y",
		"'%c%s%d'|format(97, 'b', 3)": "ab3",
		"'%c' % 97":                   "a",
		"'abc'[::-1]":                 "cba",
		"'abcdef'[1:4]":               "bcd",
		"'ab'|reverse|upper":          "BA",
		"'xay'|replace('a', '_')":     "x_y",
		"'-'.join(['a','b'])":         "a-b",
		"'{}{}'.format('a', 'b')":     "ab",
		"'{1}{0}'.format('a', 'b')":   "ba",
		"'_' * 2":                     "__",
		"dict(k=1)|first":             "k",
		"['b','a']|sort|first":        "a",
		"'abc'|list|last":             "c",
		"0x61 and 'q'":                "q",
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

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestBoundedOnHostileInput(t *testing.T) {
	deep := "{{ " + strings.Repeat("(", 100000) + "x" + strings.Repeat(")", 100000) + " }}"
	wide := "{{ " + strings.Repeat("'_' ~ ", 50000) + "'x' }}"
	mult := "{% set a = '_' * 999999999 %}{% set b = a ~ a ~ a %}{{ x|attr(b) }}"
	alts := "{% set a = 'x' %}" + strings.Repeat("{% set a = a ~ ('a' if c else 'b') %}", 200) + "{{ x[a] }}"
	for _, src := range []string{deep, wide, mult, alts} {
		for _, is := range Check(src) {
			if len(is.Expr) > maxExpr {
				t.Errorf("snippet too long: %d", len(is.Expr))
			}
		}
	}
	// The deep expression cannot be parsed within the depth bound; the
	// token fallback still sees a dunder hidden inside it.
	hidden := "{{ " + strings.Repeat("(", 1000) + "x.__class__" + strings.Repeat(")", 1000) + " }}"
	issues := Check(hidden)
	if len(issues) != 2 || issues[0].Limit || !issues[1].Limit {
		t.Errorf("deep nesting: want a dunder issue and a limit issue, got %+v", issues)
	}
}

func TestCheckTokenizerConfig(t *testing.T) {
	bad := "{{ cycler.__init__.__globals__.os.popen('id').read() }}"
	good, _ := os.ReadFile("testdata/benign/chatml.jinja")
	cases := []struct {
		name   string
		doc    string
		rule   string
		member string
	}{
		{"string", `{"chat_template": ` + quote(bad) + `}`, finding.TemplateInjection, "chat_template"},
		{"list", `{"chat_template": [{"name": "default", "template": ` + quote(string(good)) + `}, {"name": "tool_use", "template": ` + quote(bad) + `}]}`, finding.TemplateInjection, "chat_template[tool_use]"},
		{"invalid json", `{"chat_template": `, finding.StructureInvalid, ""},
		{"wrong type", `{"chat_template": 42}`, finding.StructureInvalid, ""},
		{"benign", `{"chat_template": ` + quote(string(good)) + `, "bos_token": "<s>"}`, "", ""},
		{"absent", `{"bos_token": "<s>"}`, "", ""},
	}
	for _, c := range cases {
		fs := CheckTokenizerConfig([]byte(c.doc), Config{Location: finding.Location{Path: "tokenizer_config.json", Member: []string{"repo.zip"}}})
		if c.rule == "" {
			if len(fs) != 0 {
				t.Errorf("%s: unexpected findings %+v", c.name, fs)
			}
			continue
		}
		if len(fs) != 1 || fs[0].Rule != c.rule {
			t.Fatalf("%s: findings %+v, want one %s", c.name, fs, c.rule)
		}
		f := fs[0]
		if c.rule == finding.TemplateInjection && (f.Severity != finding.Critical || f.Location.Member[1] != c.member) {
			t.Errorf("%s: %+v", c.name, f)
		}
		if f.Location.Member[0] != "repo.zip" {
			t.Errorf("%s: base location lost: %+v", c.name, f.Location)
		}
	}
}

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}
