package tensorflow

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/modelward/modelward/finding"
)

// table is the InitializeTableFromTextFileV2 pair reading the file at path.
func vocabTable(path string) []msg {
	return []msg{
		mkNode("t", "HashTableV2", nil, nil),
		mkNode("init", "InitializeTableFromTextFileV2", []string{"t", path}, nil),
	}
}

func constInts(name string, vals ...uint64) msg {
	var packed []byte
	for _, v := range vals {
		packed = append(packed, msg(nil).varint(1, v)[1:]...)
	}
	t := msg(nil).varint(1, 3).sub(7, packed) // DT_INT32, packed int_val
	return mkNode(name, "Const", nil, map[string]msg{"value": msg(nil).sub(8, t)})
}

func strAttr(s string) msg { return msg(nil).str(2, s) }

func funcAttr(name string) msg { return msg(nil).sub(10, msg(nil).str(1, name)) }

// function builds FunctionDef{signature{name, input_arg..., output_arg...},
// node_def..., ret...}.
func function(name string, args, outs []string, ret map[string]string, nodes ...msg) msg {
	sig := msg(nil).str(1, name)
	for _, a := range args {
		sig = sig.sub(2, msg(nil).str(1, a))
	}
	for _, o := range outs {
		sig = sig.sub(3, msg(nil).str(1, o))
	}
	f := msg(nil).sub(1, sig)
	for _, n := range nodes {
		f = f.sub(3, n)
	}
	for _, o := range outs {
		f = f.sub(4, msg(nil).str(1, o).str(2, ret[o]))
	}
	return f
}

// libModel is a SavedModel whose graph has nodes and a function library.
func libModel(nodes []msg, funcs ...msg) []byte {
	g := msg(nil)
	for _, n := range nodes {
		g = g.sub(1, n)
	}
	lib := msg(nil)
	for _, f := range funcs {
		lib = lib.sub(1, f)
	}
	g = g.sub(2, lib)
	return msg(nil).varint(1, 1).sub(2, msg(nil).sub(2, g))
}

func TestPathEvaluation(t *testing.T) {
	b64 := base64.RawURLEncoding.EncodeToString([]byte("/root/.bashrc"))
	cases := []struct {
		name  string
		nodes []msg
		rule  string
		sev   finding.Severity
		arg   string
	}{
		{"web-safe base64, padded", []msg{constString("c", b64+"="), mkNode("p", "DecodeBase64", []string{"c"}, nil)},
			finding.GraphUnsafeOp, finding.High, "/root/.bashrc"},
		{"substr", []msg{constString("c", "xx/etc/shadowyy"), constInts("pos", 2), constInts("len", 11),
			mkNode("p", "Substr", []string{"c", "pos", "len"}, nil)}, finding.GraphUnsafeOp, finding.High, "/etc/shadow"},
		{"static regex replace", []msg{constString("c", "HOME.ssh/id_rsa"),
			mkNode("p", "StaticRegexReplace", []string{"c"}, map[string]msg{"pattern": strAttr("^HOME"), "rewrite": strAttr("/root/")})},
			finding.GraphUnsafeOp, finding.High, "/root/.ssh/id_rsa"},
		{"regex replace with group", []msg{constString("c", "etc:passwd"), constString("pat", "(\\w+):(\\w+)"),
			constString("rw", "/\\1/\\2"), mkNode("p", "RegexReplace", []string{"c", "pat", "rw"}, nil)},
			finding.GraphUnsafeOp, finding.High, "/etc/passwd"},
		{"select between constants", []msg{mkNode("cond", "Placeholder", nil, nil), constString("a", "vocab.txt"),
			constString("b", "/etc/passwd"), mkNode("p", "SelectV2", []string{"cond", "a", "b"}, nil)},
			finding.GraphUnsafeOp, finding.High, "/etc/passwd"},
		{"lowercase of a URL", []msg{constString("c", "HTTP://203.0.113.7/V"), mkNode("p", "StringLower", []string{"c"}, nil)},
			finding.GraphUnsafeOp, finding.High, "http://203.0.113.7/v"},
		{"join of constant prefix and run-time part", []msg{constString("c", "/etc/"), mkNode("v", "VarHandleOp", nil, nil),
			mkNode("r", "ReadVariableOp", []string{"v"}, nil),
			mkNode("p", "StringJoin", []string{"c", "r"}, nil)}, finding.GraphUnsafeOp, finding.High, "/etc/"},
		{"sharded filename", []msg{constString("c", "../ckpt"), constInts("i", 0), constInts("n", 1),
			mkNode("p", "ShardedFilename", []string{"c", "i", "n"}, nil)}, finding.GraphUnsafeOp, finding.High, "../ckpt-00000-of-00001"},
		{"constants through an unmodelled op", []msg{constInts("c", 47), mkNode("p", "UnicodeEncode", []string{"c"}, nil)},
			finding.GraphUnsafeOp, finding.High, ""},
		{"IdentityN picks its output", []msg{constString("a", "ok.txt"), constString("b", "/etc/hosts"),
			mkNode("n", "IdentityN", []string{"a", "b"}, nil), mkNode("p", "Identity", []string{"n:1"}, nil)},
			finding.GraphUnsafeOp, finding.High, "/etc/hosts"},
	}
	for _, c := range cases {
		_, fs := scanBytes("saved_model.pb", graphModel(nil, append(c.nodes, vocabTable("p")...)...))
		if len(fs) != 1 || fs[0].Rule != c.rule || fs[0].Severity != c.sev ||
			c.arg != "" && !slices.Contains(fs[0].Evidence.Args, c.arg) {
			t.Errorf("%s: got %s", c.name, describe(fs))
		}
	}
}

func TestPathFromRunTimeValuesIsSilent(t *testing.T) {
	for name, nodes := range map[string][]msg{
		"placeholder through identities": {mkNode("ph", "Placeholder", nil, nil),
			mkNode("i1", "Identity", []string{"ph"}, nil), mkNode("p", "Identity", []string{"i1"}, nil)},
		"join of placeholder and relative constant": {mkNode("ph", "Placeholder", nil, nil), constString("c", "_temp/part"),
			mkNode("p", "StringJoin", []string{"ph", "c"}, nil)},
		"select on a run-time condition between relative constants": {mkNode("ph", "Placeholder", nil, nil),
			mkNode("m", "StaticRegexFullMatch", []string{"ph"}, nil), constString("a", ".part"), constString("b", "_temp/part"),
			mkNode("s", "Select", []string{"m", "a", "b"}, nil), mkNode("p", "StringJoin", []string{"ph", "s"}, nil)},
		"variable through an unmodelled op": {mkNode("v", "VarHandleOp", nil, nil), mkNode("r", "ReadVariableOp", []string{"v"}, nil),
			mkNode("p", "StringFormat", []string{"r"}, nil)},
		"asset tensor fed by the loader": {constString("p", "/tmp/export/assets/vocab.txt")},
	} {
		asset := msg(nil).sub(6, msg(nil).sub(1, msg(nil).str(1, "p:0")).str(2, "vocab.txt"))
		_, fs := scanBytes("saved_model.pb", graphModel(asset, append(nodes, vocabTable("p")...)...))
		if len(fs) != 0 && name != "asset tensor fed by the loader" || len(atLeast(fs, finding.Medium)) != 0 {
			t.Errorf("%s: got %s", name, describe(fs))
		}
	}
}

func TestPathAcrossFunctions(t *testing.T) {
	initFn := function("init_fn", []string{"path"}, nil, nil,
		mkNode("t", "HashTableV2", nil, nil),
		mkNode("init", "InitializeTableFromTextFileV2", []string{"t:table_handle:0", "path"}, nil))
	// outer_fn forwards its argument to init_fn by direct op call.
	outerFn := function("outer_fn", []string{"p"}, nil, nil,
		mkNode("call", "init_fn", []string{"p"}, nil))
	pathFn := function("path_fn", nil, []string{"out"}, map[string]string{"out": "j:output:0"},
		constString("a", "/var"), constString("b", "run/docker.sock"),
		mkNode("j", "StringJoin", []string{"a:output:0", "b:output:0"}, map[string]msg{"separator": strAttr("/")}))
	for name, c := range map[string]struct {
		nodes []msg
		want  string
	}{
		"constant into two levels of calls": {[]msg{constString("c", "/etc/passwd"),
			mkNode("call", "StatefulPartitionedCall", []string{"c"}, map[string]msg{"f": funcAttr("outer_fn")})}, "/etc/passwd"},
		"callee return value": {[]msg{
			mkNode("get", "PartitionedCall", nil, map[string]msg{"f": funcAttr("path_fn")}),
			mkNode("call", "StatefulPartitionedCall", []string{"get:0"}, map[string]msg{"f": funcAttr("init_fn")})}, "/var/run/docker.sock"},
		"placeholder into the call": {[]msg{mkNode("ph", "Placeholder", nil, nil),
			mkNode("call", "StatefulPartitionedCall", []string{"ph"}, map[string]msg{"f": funcAttr("outer_fn")})}, ""},
		"If branch argument": {[]msg{mkNode("cond", "Placeholder", nil, nil), constString("c", "C:\\Windows\\win.ini"),
			mkNode("if", "If", []string{"cond", "c"}, map[string]msg{"then_branch": funcAttr("init_fn"), "else_branch": funcAttr("init_fn")})},
			"C:\\Windows\\win.ini"},
	} {
		_, fs := scanBytes("saved_model.pb", libModel(c.nodes, initFn, outerFn, pathFn))
		if c.want == "" {
			if len(fs) != 0 {
				t.Errorf("%s: got %s", name, describe(fs))
			}
			continue
		}
		if len(fs) != 1 || fs[0].Rule != finding.GraphUnsafeOp || !slices.Contains(fs[0].Evidence.Args, c.want) ||
			!strings.Contains(fs[0].Location.MemberPath(), "function init_fn") {
			t.Errorf("%s: got %s", name, describe(fs))
		}
	}
}

func TestPathResolutionBounds(t *testing.T) {
	// A chain deeper than the evaluator follows is a limit, not silence.
	nodes := []msg{constString("p0", "/etc/passwd")}
	for i := 1; i <= maxEvalDepth+10; i++ {
		nodes = append(nodes, mkNode(fmt.Sprintf("p%d", i), "Identity", []string{fmt.Sprintf("p%d", i-1)}, nil))
	}
	nodes = append(nodes, vocabTable(fmt.Sprintf("p%d", maxEvalDepth+10))...)
	_, fs := scanBytes("saved_model.pb", graphModel(nil, nodes...))
	if rules(fs) != finding.LimitReached+"/high" {
		t.Errorf("deep chain: got %s", describe(fs))
	}

	// Cycles (a loop through Merge/NextIteration, a function calling
	// itself) end, and the constant that enters them is still seen.
	loop := []msg{constString("c", "/etc/passwd"), mkNode("m", "Merge", []string{"c", "n"}, nil),
		mkNode("n", "NextIteration", []string{"m"}, nil)}
	_, fs = scanBytes("saved_model.pb", graphModel(nil, append(loop, vocabTable("m")...)...))
	if len(fs) != 1 || !slices.Contains(fs[0].Evidence.Args, "/etc/passwd") {
		t.Errorf("loop: got %s", describe(fs))
	}
	self := function("rec", []string{"x"}, nil, nil,
		mkNode("again", "rec", []string{"x"}, nil),
		mkNode("t", "HashTableV2", nil, nil),
		mkNode("init", "InitializeTableFromTextFileV2", []string{"t:table_handle:0", "x"}, nil))
	_, fs = scanBytes("saved_model.pb", libModel([]msg{constString("c", "../x"), mkNode("call", "rec", []string{"c"}, nil)}, self))
	if len(fs) != 1 || !slices.Contains(fs[0].Evidence.Args, "../x") {
		t.Errorf("recursion: got %s", describe(fs))
	}

	// A join that would multiply values past the bound is reported as
	// computed from constants, not enumerated.
	var many []string
	for i := range 8 {
		many = append(many, fmt.Sprintf("part%d", i))
	}
	wide := []msg{constString("a", many...), constString("b", many...),
		mkNode("p", "StringJoin", []string{"a", "b"}, nil)}
	_, fs = scanBytes("saved_model.pb", graphModel(nil, append(wide, vocabTable("p")...)...))
	if len(fs) != 1 || !strings.Contains(fs[0].Evidence.Detail, "StringJoin") {
		t.Errorf("wide join: got %s", describe(fs))
	}
}

func TestConstValueSurvivesAttrPadding(t *testing.T) {
	pad := msg(nil)
	for range maxStrsPerNode + 8 {
		pad = pad.str(2, "pad")
	}
	// The padding attr comes first, so a shared per-node allowance would be
	// spent before the value is read.
	tensor := msg(nil).varint(1, dtString).str(8, "/etc/passwd")
	node := msg(nil).str(1, "c").str(2, "Const").
		sub(5, msg(nil).str(1, "_a").sub(2, msg(nil).sub(1, pad))).
		sub(5, msg(nil).str(1, "value").sub(2, msg(nil).sub(8, tensor)))
	_, fs := scanBytes("saved_model.pb", graphModel(nil, append([]msg{node}, vocabTable("c")...)...))
	if len(fs) != 1 || !slices.Contains(fs[0].Evidence.Args, "/etc/passwd") {
		t.Errorf("got %s", describe(fs))
	}
}

func TestRE2Template(t *testing.T) {
	for in, want := range map[string]string{`/\1/\2`: "/${1}/${2}", `a$b`: "a$$b", `\\x`: `\x`, `\0`: "${0}"} {
		if got := re2Template(in); got != want {
			t.Errorf("re2Template(%q) = %q, want %q", in, got, want)
		}
	}
}
