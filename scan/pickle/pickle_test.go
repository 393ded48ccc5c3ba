package pickle

import (
	"runtime"
	"strings"
	"testing"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/policy"
)

var pol = policy.Default()

func scanAsm(t *testing.T, p []byte) []finding.Finding {
	t.Helper()
	fs, _ := ScanBytes(p, Config{Policy: pol, Location: finding.Location{Path: "t.pkl"}})
	return fs
}

func maxSev(fs []finding.Finding) finding.Severity {
	s, _ := finding.Max(fs)
	return s
}

func hasFinding(fs []finding.Finding, rule, substr string) bool {
	for _, f := range fs {
		if f.Rule == rule && (strings.Contains(f.Message, substr) || strings.Contains(f.Evidence.Import, substr) || strings.Contains(f.Evidence.Call, substr)) {
			return true
		}
	}
	return false
}

// Each case is one bypass class from the scanner literature, written as
// raw opcodes. Every one must be reported critical.
func TestBypassClassesAreCritical(t *testing.T) {
	cases := []struct {
		name string
		p    asm
		want string // a substring of the finding's message, import or call
	}{
		{"GLOBAL protocol 0", asm{}.global("os", "system").text(opString, "'id'").op(opTuple1, opReduce).stop(), "os.system"},
		{"STACK_GLOBAL from SHORT_BINUNICODE", asm{}.proto(4).unicode("os").unicode("system").op(opStackGlobal).call1("id").stop(), "os.system"},
		{"STACK_GLOBAL from BINUNICODE", asm{}.proto(4).binUnicode("posix").binUnicode("system").op(opStackGlobal).call1("id").stop(), "posix.system"},
		{"STACK_GLOBAL from STRING", asm{}.proto(4).text(opString, "'subprocess'").text(opString, `"getoutput"`).op(opStackGlobal).call1("id").stop(), "subprocess"},
		{"STACK_GLOBAL from SHORT_BINSTRING", asm{}.proto(4).shortBinString("os").shortBinString("popen").op(opStackGlobal).call1("id").stop(), "os.popen"},
		{"STACK_GLOBAL from UNICODE", asm{}.proto(4).text(opUnicode, "builtins").text(opUnicode, "exec").op(opStackGlobal).call1("print(1)").stop(), "builtins.exec"},
		{"STACK_GLOBAL from memo BINPUT/BINGET", asm{}.proto(4).unicode("os").binPut(0).op(opPop).unicode("system").binPut(1).op(opPop).
			binGet(0).binGet(1).op(opStackGlobal).call1("id").stop(), "os.system"},
		{"STACK_GLOBAL from memo MEMOIZE", asm{}.proto(4).unicode("builtins").op(opMemoize, opPop).unicode("eval").op(opMemoize, opPop).
			binGet(0).binGet(1).op(opStackGlobal).call1("1").stop(), "builtins.eval"},
		{"STACK_GLOBAL from memo text PUT/GET", asm{}.proto(4).unicode("os").text(opPut, "7").op(opPop).unicode("system").text(opPut, "8").op(opPop).
			text(opGet, "7").text(opGet, "8").op(opStackGlobal).call1("id").stop(), "os.system"},
		{"dotted name through torch", asm{}.proto(4).unicode("torch").unicode("serialization.os.system").op(opStackGlobal).call1("id").stop(), "os.system"},
		{"dotted name through pathlib", asm{}.proto(4).unicode("pathlib").unicode("os.system").op(opStackGlobal).call1("id").stop(), "os.system"},
		{"dotted name below an allowlisted module", asm{}.proto(4).unicode("collections").unicode("OrderedDict.__init__.__globals__").op(opStackGlobal).stop(), "__globals__"},
		{"getattr resolver gadget", asm{}.proto(2).global("builtins", "getattr").global("builtins", "__import__").call1("os").op(opTuple1).
			op(opPop).global("builtins", "getattr").stop(), "builtins.getattr"},
		{"attrgetter gadget", asm{}.proto(2).global("operator", "attrgetter").call1("system").stop(), "operator.attrgetter"},
		{"C operator module", asm{}.proto(2).global("_operator", "methodcaller").call1("system").stop(), "_operator"},
		{"INST", asm{}.op(opMark).text(opString, "'id'").text(opInst, "os\nsystem").stop(), "os.system"},
		{"OBJ", asm{}.op(opMark).global("subprocess", "Popen").text(opString, "'id'").op(opObj).stop(), "subprocess"},
		{"NEWOBJ", asm{}.proto(2).global("subprocess", "Popen").unicode("id").op(opTuple1, opNewObj).stop(), "subprocess.Popen"},
		{"NEWOBJ_EX", asm{}.proto(4).global("subprocess", "Popen").unicode("id").op(opTuple1, opEmptyDict, opNewObjEx).stop(), "subprocess.Popen"},
		{"Python 2 builtins", asm{}.global("__builtin__", "eval").text(opString, "'1'").op(opTuple1, opReduce).stop(), "builtins.eval"},
		{"Python 2 commands module", asm{}.global("commands", "getoutput").text(opString, "'id'").op(opTuple1, opReduce).stop(), "commands"},
		{"BUILD monkey-patches a module", asm{}.proto(4).unicode("torch").unicode("_utils").op(opStackGlobal, opEmptyDict).unicode("x").unicode("y").op(opSetItem, opBuild).stop(), "monkey-patching"},
		{"STACK_GLOBAL name from a call result", asm{}.proto(4).global("torch", "_utils").op(opEmptyTuple, opReduce).global("torch", "_utils").op(opEmptyTuple, opReduce).op(opStackGlobal).stop(), "computed at load time"},
		{"unknown callable handed shell code", asm{}.proto(4).unicode("somepkg.util").unicode("run").op(opStackGlobal).call1("__import__('os').system('id')").stop(), "somepkg.util.run"},
		{"argv list running a shell", asm{}.proto(4).unicode("somepkg").unicode("spawn_it").op(opStackGlobal, opMark).unicode("sh").unicode("-c").unicode("true").op(opList, opTuple1, opReduce).stop(), "somepkg"},
		{"nested pickle handed to pickle.loads", asm{}.proto(3).global("pickle", "loads").binBytes(asm{}.proto(3).global("os", "system").call1("id").stop()).op(opTuple1, opReduce).stop(), "pickle.loads"},
		{"payload after a broken tail", asm{}.global("os", "system").text(opString, "'id'").op(opTuple1, opReduce, 0xff, 0xfe), "os.system"},
		{"payload in the second stream", asm{}.proto(2).op(opNone).stop().proto(2).global("os", "system").call1("id").stop(), "os.system"},
		{"payload after a lying frame", asm{}.proto(4).frame(3).unicode("os").unicode("system").op(opStackGlobal).call1("id").stop(), "os.system"},
		{"runpy", asm{}.proto(2).global("runpy", "_run_code").call1("print(1)").stop(), "runpy"},
		{"ctypes", asm{}.proto(2).global("ctypes", "CDLL").call1("libc.so.6").stop(), "ctypes"},
		{"webbrowser", asm{}.proto(2).global("webbrowser", "open").call1("http://example.invalid").stop(), "webbrowser"},
		{"socket", asm{}.proto(2).global("socket", "create_connection").call1("example.invalid").stop(), "socket"},
		{"torch.load nested loader", asm{}.proto(2).global("torch", "load").call1("/tmp/x.pt").stop(), "torch.load"},
		{"numpy object scalar identity gadget", asm{}.proto(2).global("numpy.core.multiarray", "scalar").global("numpy", "dtype").unicode("O8").op(opNewFalse, opNewTrue, opTuple3, opReduce).
			global("collections", "OrderedDict").op(opTuple2, opReduce).stop(), "identity gadget"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := scanAsm(t, c.p)
			if maxSev(fs) != finding.Critical {
				t.Fatalf("max severity %v, want critical; findings: %+v", maxSev(fs), fs)
			}
			found := false
			for _, f := range fs {
				if f.Severity == finding.Critical && (strings.Contains(f.Message, c.want) || strings.Contains(f.Evidence.Import, c.want) || strings.Contains(f.Evidence.Call, c.want)) {
					found = true
				}
			}
			if !found {
				t.Errorf("no critical finding mentions %q: %+v", c.want, fs)
			}
		})
	}
}

func TestStructuralFindings(t *testing.T) {
	elf := append([]byte("\x7fELF\x02\x01\x01\x00"), make([]byte, 56)...)
	cases := []struct {
		name string
		p    asm
		rule string
	}{
		{"truncated after import", asm{}.proto(2).global("os", "system"), finding.PickleMalformed},
		{"unknown opcode", asm{}.proto(2).op(opNone, 0xfe), finding.PickleMalformed},
		{"memo read before write", asm{}.proto(2).binGet(9).stop(), finding.PickleMemo},
		{"memo overwrite", asm{}.proto(2).op(opNone).binPut(1).op(opNone).binPut(1).op(opPop).stop(), finding.PickleMemo},
		{"frame crosses opcodes", asm{}.proto(4).frame(2).unicode("abc").stop(), finding.PickleFrame},
		{"frame longer than the stream", asm{}.proto(4).frame(1000).op(opNone).stop(), finding.PickleFrame},
		{"executable in a byte string", asm{}.proto(3).binBytes(elf).stop(), finding.PickleExecutable},
		{"shebang script", asm{}.proto(3).binBytes([]byte("#!/bin/sh\nid\n")).stop(), finding.PickleExecutable},
		{"stack underflow", asm{}.proto(2).op(opReduce).stop(), finding.PickleMalformed},
		{"protocol too new", asm{}.proto(9).op(opNone).stop(), finding.PickleMalformed},
		{"STACK_GLOBAL with bytes", asm{}.proto(4).binBytes([]byte("os")).binBytes([]byte("system")).op(opStackGlobal).stop(), finding.PickleMalformed},
		{"trailing garbage", asm{}.proto(2).op(opNone).stop().op('x', 'y', 'z'), finding.PickleTrailing},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := scanAsm(t, c.p)
			for _, f := range fs {
				if f.Rule == c.rule {
					return
				}
			}
			t.Errorf("no %s finding: %+v", c.rule, fs)
		})
	}
}

func TestMalformedStreamReportsImportsSeen(t *testing.T) {
	fs := scanAsm(t, asm{}.proto(2).global("mypkg", "Thing").op(0xff))
	if !hasFinding(fs, finding.PickleMalformed, "mypkg.Thing") {
		t.Errorf("malformed finding does not list the import: %+v", fs)
	}
	if !hasFinding(fs, finding.PickleUnknownImport, "mypkg.Thing") {
		t.Errorf("unknown import not reported: %+v", fs)
	}
}

// Benign shapes that naive scanners flag must stay clean.
func TestBenignShapes(t *testing.T) {
	big := asm{}.proto(4).op(opEmptyList)
	for i := 0; i < 1000; i++ {
		big = big.op(opMark)
		for k := 0; k < 1000; k++ {
			big = big.op(opBinInt1, byte(k))
		}
		big = big.op(opAppends)
	}
	deep := asm{}.proto(2)
	for i := 0; i < 300; i++ {
		deep = deep.op(opEmptyList, opMark)
	}
	for i := 0; i < 300; i++ {
		deep = deep.op(opAppends)
	}
	cases := map[string]asm{
		"million-element list": big.stop(),
		"300-deep nesting":     deep.stop(),
		"ordered dict":         asm{}.proto(2).global("collections", "OrderedDict").op(opEmptyTuple, opReduce).unicode("a").op(opBinInt1, 1, opSetItem).stop(),
		"latin1 bytes":         asm{}.proto(2).global("_codecs", "encode").unicode("abc").unicode("latin1").op(opTuple2, opReduce).stop(),
		"set and frozenset":    asm{}.proto(4).op(opEmptySet, opMark, opBinInt1, 1, opAddItems, opMark, opBinInt1, 2, opFrozenSet, opTuple2).stop(),
	}
	for name, p := range cases {
		t.Run(name, func(t *testing.T) {
			fs := scanAsm(t, p)
			if len(fs) != 0 {
				t.Errorf("benign pickle has findings: %+v", fs)
			}
		})
	}
}

func TestAllowlistIsExact(t *testing.T) {
	// An allowlisted module must not allow its other names or dotted paths.
	for _, name := range []string{"_rebuild_tensor_v2.__globals__", "_rebuild_tensor_v2.x", "something_else"} {
		fs := scanAsm(t, asm{}.proto(4).unicode("torch._utils").unicode(name).op(opStackGlobal).stop())
		if maxSev(fs) < finding.Medium {
			t.Errorf("torch._utils.%s was accepted: %+v", name, fs)
		}
	}
}

func TestLimits(t *testing.T) {
	p := asm{}.proto(2)
	for i := 0; i < 100; i++ {
		p = p.op(opNone)
	}
	lim := DefaultLimits
	lim.MaxStack = 10
	fs, res := ScanBytes(p.stop(), Config{Policy: pol, Options: Options{Limits: lim}})
	if res.Complete || !hasFinding(fs, finding.LimitReached, "stack") {
		t.Errorf("stack limit not reported: %+v", fs)
	}
}

// Hostile shapes that once made the machine do unbounded work: memo
// indices that stride far apart, and values nested wide and deep.
func TestHostileShapesStayBounded(t *testing.T) {
	stride := asm{}.proto(2).op(opNone)
	for i := 0; i < 20000; i++ {
		n := uint32(i) * 1024
		stride = stride.op(opLongBinPut, byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, res := ScanBytes(stride.stop(), Config{Policy: pol})
	runtime.ReadMemStats(&after)
	if !res.Complete {
		t.Fatalf("strided memo: %+v", res.Issues)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Errorf("20,000 strided memo entries allocated %d MiB", grew>>20)
	}

	wide := asm{}.proto(2).global("mypkg", "f")
	for d := 0; d < 7; d++ {
		wide = wide.op(opMark)
	}
	for d := 0; d < 7; d++ {
		for k := 0; k < 60; k++ {
			wide = wide.op(opNone)
		}
		wide = wide.op(opList)
	}
	fs := scanAsm(t, wide.op(opTuple1, opReduce).stop())
	for _, f := range fs {
		if len(f.Evidence.Call) > 1000 {
			t.Errorf("evidence of %d bytes", len(f.Evidence.Call))
		}
	}
}
