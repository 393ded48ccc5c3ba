package pickle

import (
	"os"
	"testing"

	"github.com/modelward/modelward/finding"
)

const sched = "torch.optim.lr_scheduler"

// inst pushes OneCycleLR() (NEWOBJ of an allowlisted class) and memoizes it in slot 1.
func (a asm) inst() asm {
	return a.global(sched, "OneCycleLR").op(opEmptyTuple, opNewObj).binPut(1)
}

// bound leaves getattr(<memo 1>, name) on the stack; getattr is in slot 0.
func (a asm) bound(name string) asm {
	return a.binGet(0).binGet(1).unicode(name).op(opTuple2, opReduce)
}

// A torch 1.13 OneCycleLR state_dict (torch.save of sch.state_dict()) stores
// self._annealing_cos as getattr(OneCycleLR(), "_annealing_cos"), inside the
// very instance's BUILD state: a bound method as data, no finding.
func TestOneCycleLRStateDictIsClean(t *testing.T) {
	b, err := os.ReadFile("testdata/onecycle_sched.data.pkl")
	if err != nil {
		t.Fatal(err)
	}
	if fs := scanAsm(t, b); len(fs) != 0 {
		t.Fatalf("OneCycleLR state_dict: want no finding, got %v", fs)
	}
}

func TestBoundMethodOfAllowlistedInstance(t *testing.T) {
	getattr := asm{}.proto(2).global("__builtin__", "getattr").binPut(0).op(opPop)
	clean := map[string]asm{
		// {"f": getattr(OneCycleLR(), "_annealing_cos")}
		"NEWOBJ, stored in a dict": getattr.op(opEmptyDict).unicode("f").inst().op(opPop).bound("_annealing_cos").op(opSetItem).stop(),
		// OneCycleLR() BUILD {"anneal_func": getattr(self, "_annealing_linear")}
		"in its own BUILD state": getattr.inst().op(opEmptyDict).unicode("anneal_func").bound("_annealing_linear").op(opSetItem, opBuild).stop(),
		// protocol 0/1: copyreg._reconstructor(OneCycleLR, object, None)
		"copyreg._reconstructor": asm{}.global("__builtin__", "getattr").binPut(0).op(opPop).op(opEmptyList).
			global("copy_reg", "_reconstructor").global(sched, "OneCycleLR").global("__builtin__", "object").op(opNone, opTuple3, opReduce).binPut(1).
			op(opPop).bound("_annealing_cos").op(opAppend).stop(),
		// STACK_GLOBAL getattr, two bound methods in a list
		"STACK_GLOBAL, two methods": asm{}.proto(4).unicode("builtins").unicode("getattr").op(opStackGlobal).binPut(0).op(opPop).
			op(opEmptyList).inst().op(opPop).bound("_annealing_cos").op(opAppend).bound("_annealing_linear").op(opAppend).stop(),
	}
	for name, p := range clean {
		if fs := scanAsm(t, p); len(fs) != 0 {
			t.Errorf("%s: want no finding, got %v", name, fs)
		}
	}

	// Every other use of getattr stays critical MW101.
	critical := map[string]asm{
		"result called":       getattr.inst().op(opPop).bound("_annealing_cos").op(opEmptyTuple, opReduce).stop(),
		"result called later": getattr.inst().op(opPop).bound("step").binPut(5).op(opPop, opEmptyList).binGet(5).op(opEmptyTuple, opReduce, opAppend).stop(),
		"result built":        getattr.inst().op(opPop).bound("step").op(opEmptyDict, opBuild).stop(),
		"result appended to":  getattr.inst().op(opPop).bound("step").unicode("x").op(opAppend).stop(),
		"result passed to a call": getattr.global("functools", "partial").inst().op(opPop).bound("step").op(opTuple1, opReduce).
			op(opEmptyTuple, opReduce).stop(),
		"result nested in call args": getattr.global("collections", "OrderedDict").op(opEmptyList).inst().op(opPop).unicode("k").
			bound("step").op(opTuple2, opAppend, opTuple1, opReduce).stop(),
		"dunder name":                 getattr.inst().op(opPop).bound("__reduce__").stop(),
		"__class__":                   getattr.inst().op(opPop).bound("__class__").stop(),
		"__getattribute__":            getattr.inst().op(opPop).bound("__getattribute__").stop(),
		"denied name system":          getattr.inst().op(opPop).bound("system").stop(),
		"denied name os":              getattr.inst().op(opPop).bound("os").stop(),
		"name eval":                   getattr.inst().op(opPop).bound("eval").stop(),
		"dotted name":                 getattr.inst().op(opPop).bound("a.b").stop(),
		"on a class, not an instance": getattr.global(sched, "OneCycleLR").binPut(1).op(opPop).bound("step").stop(),
		"on an unknown class":         getattr.global("somepkg", "Thing").op(opEmptyTuple, opNewObj).binPut(1).op(opPop).bound("run").stop(),
		"on a dangerous result":       getattr.global("builtins", "__import__").unicode("os").op(opTuple1, opReduce).binPut(1).op(opPop).bound("path").stop(),
		"on a getattr result":         getattr.inst().op(opPop).bound("x").binPut(1).op(opPop).bound("y").stop(),
		"computed name": getattr.inst().op(opPop).binGet(0).binGet(1).global("builtins", "str").unicode("step").op(opTuple1, opReduce).
			op(opTuple2, opReduce).stop(),
		"three arguments":        getattr.inst().op(opPop).binGet(0).binGet(1).unicode("step").op(opNone, opTuple3, opReduce).stop(),
		"getattr as data":        getattr.op(opEmptyList).inst().op(opPop).bound("step").op(opAppend).binGet(0).op(opAppend).stop(),
		"getattr returned":       getattr.inst().op(opPop).bound("step").op(opPop).binGet(0).stop(),
		"getattr as an argument": getattr.global("collections", "OrderedDict").op(opEmptyList).binGet(0).op(opAppend, opTuple1, opReduce).stop(),
		"getattr by NEWOBJ":      getattr.binGet(0).op(opEmptyTuple, opNewObj).stop(),
		"never called":           getattr.op(opNone).stop(),
		// one benign getattr does not cover a second GLOBAL getattr used otherwise
		"second import": getattr.op(opEmptyList).inst().op(opPop).bound("step").op(opAppend).
			global("__builtin__", "getattr").binPut(0).op(opPop).bound("system").op(opAppend).stop(),
		// the classic resolver gadget
		"resolver gadget": asm{}.proto(2).global("builtins", "getattr").global("builtins", "__import__").call1("os").
			unicode("system").op(opTuple2, opReduce).call1("id").stop(),
	}
	for name, p := range critical {
		fs := scanAsm(t, p)
		if !hasFinding(fs, finding.PickleDangerous, "getattr") || maxSev(fs) != finding.Critical {
			t.Errorf("%s: want critical MW101 on getattr, got %v", name, fs)
		}
	}
}

// torch.save(model) of a class defined in the training script pickles
// __main__.Net: an unknown import (MW102 medium), while lowercase or dotted
// names under __main__ stay critical.
func TestMainModuleUserClass(t *testing.T) {
	fs := scanAsm(t, asm{}.proto(2).global("__main__", "Net").op(opEmptyTuple, opNewObj).op(opEmptyDict, opBuild).stop())
	if len(fs) != 1 || fs[0].Rule != finding.PickleUnknownImport || fs[0].Severity != finding.Medium {
		t.Fatalf("__main__.Net: want one medium MW102, got %v", fs)
	}
	for _, name := range []string{"system", "os.system", "__builtins__", "eval", "Popen", "Net.__init__"} {
		fs := scanAsm(t, asm{}.proto(4).unicode("__main__").unicode(name).op(opStackGlobal).call1("id").stop())
		if !hasFinding(fs, finding.PickleDangerous, "__main__") || maxSev(fs) != finding.Critical {
			t.Errorf("__main__.%s: want critical MW101, got %v", name, fs)
		}
	}
}

// numpy ufuncs are allowlisted so that estimators can store them; calling
// one on an object (a method-call and identity gadget) is critical.
func TestUfuncStoredNotCalledOnObjects(t *testing.T) {
	stored := asm{}.proto(2).op(opEmptyDict).unicode("func").global("numpy.core._multiarray_umath", "log1p").op(opSetItem).stop()
	if fs := scanAsm(t, stored); len(fs) != 0 {
		t.Errorf("stored ufunc: want no finding, got %v", fs)
	}
	onGlobal := asm{}.proto(2).global("numpy.core._multiarray_umath", "maximum").global("collections", "OrderedDict").binPut(0).binGet(0).
		op(opTuple2, opReduce).op(opEmptyDict, opBuild).stop()
	onCall := asm{}.proto(2).global("numpy", "conjugate").global("collections", "OrderedDict").op(opEmptyTuple, opReduce, opTuple1, opReduce).stop()
	for name, p := range map[string]asm{"on a global": onGlobal, "on a call result": onCall} {
		fs := scanAsm(t, p)
		if !hasFinding(fs, finding.PickleDangerous, "ufunc") || maxSev(fs) != finding.Critical {
			t.Errorf("ufunc %s: want critical MW101, got %v", name, fs)
		}
	}
}
