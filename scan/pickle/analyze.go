package pickle

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/policy"
)

// NestedFunc scans bytes found inside a pickle (a nested pickle or an
// archive handed to a loader) and returns its findings; where names the
// nested stream for the member chain. The scan package supplies it so that
// nested content goes through the same format detection as files.
type NestedFunc func(data []byte, where string) []finding.Finding

// Config is what one pickle scan needs.
type Config struct {
	Policy   *policy.Policy
	Location finding.Location // path and member chain of this stream
	Nested   NestedFunc
	Options
}

// LimitsFrom maps the policy's limits onto the machine's.
func LimitsFrom(l policy.Limits) Limits {
	return Limits{MaxBytes: l.MaxPickleBytes, MaxOps: l.MaxPickleOps, MaxMemo: l.MaxMemo, MaxStack: l.MaxStack,
		MaxMarks: l.MaxMarks, MaxStreams: l.MaxStreams, KeepBytes: l.MaxNestedBytes}
}

// Scan analyses a pickle stream and turns what the machine saw into findings.
func Scan(r io.Reader, cfg Config) ([]finding.Finding, *Result) {
	return classify(cfg, func(opt Options) *Result { return Analyze(r, opt) })
}

// ScanBytes is Scan over an in-memory stream. A fast first pass (screen.go)
// clears the common clean pickle; anything else gets the full machine.
func ScanBytes(b []byte, cfg Config) ([]finding.Finding, *Result) {
	lim := cfg.Options.Limits
	if lim.MaxOps == 0 && cfg.Policy != nil {
		lim = LimitsFrom(cfg.Policy.Limits)
	}
	if clean, ops, imps := screenClean(b, cfg.Policy, lim); clean {
		return nil, &Result{Streams: 1, Ops: ops, Bytes: int64(len(b)), Imports: imps, NamedImports: imps, Complete: true}
	}
	return classify(cfg, func(opt Options) *Result { return AnalyzeBytes(b, opt) })
}

func classify(cfg Config, analyze func(Options) *Result) ([]finding.Finding, *Result) {
	c := newClassifier(cfg)
	cfg.Options.Observer = c
	if cfg.Options.Limits.MaxOps == 0 {
		cfg.Options.Limits = LimitsFrom(cfg.Policy.Limits)
	}
	res := analyze(cfg.Options)
	return c.finish(res), res
}

type importKey struct{ module, name string }

// classifier is the Observer that applies the policy.
type classifier struct {
	cfg      Config
	findings []finding.Finding
	byImport map[importKey]int // index of the finding for an import, -1 if allowed
	counts   map[importKey]int
	seen     []string // imports in order, for the malformed-stream message
	scanned  map[int64]bool
	tooMany  bool
	// getattr imports whose finding waits for the end of the stream
	// (boundmethod.go), by import key and by the globals they pushed.
	getattrs   []*getattrImport
	getattrKey map[importKey]*getattrImport
	getattrObj map[*Object]*getattrImport
}

// maxDistinctImports bounds the findings one stream can produce; real
// model files import a few dozen names.
const maxDistinctImports = 10000

func newClassifier(cfg Config) *classifier {
	return &classifier{cfg: cfg, byImport: map[importKey]int{}, counts: map[importKey]int{}, scanned: map[int64]bool{},
		getattrKey: map[importKey]*getattrImport{}, getattrObj: map[*Object]*getattrImport{}}
}

func (c *classifier) loc(off int64) finding.Location {
	l := c.cfg.Location
	l.Offset = off
	return l
}

func (c *classifier) Import(imp Import) {
	k := importKey{imp.Module, imp.Name}
	c.counts[k]++
	if g := c.getattrKey[k]; g != nil {
		c.addGetattrObject(g, imp.Global)
		return
	}
	if _, done := c.byImport[k]; done {
		return
	}
	if len(c.byImport) >= maxDistinctImports {
		if !c.tooMany {
			c.tooMany = true
			c.findings = append(c.findings, finding.New(finding.LimitReached, c.loc(imp.Offset),
				fmt.Sprintf("more than %d distinct imports: the rest were not classified", maxDistinctImports), finding.Evidence{}))
		}
		return
	}
	c.seen = append(c.seen, imp.Module+"."+imp.Name)
	ev := finding.Evidence{Import: imp.Module + "." + imp.Name}
	var f finding.Finding
	switch {
	case imp.Dynamic:
		f = finding.New(finding.PickleDangerous, c.loc(imp.Offset),
			fmt.Sprintf("%s imports a name computed at load time (module %s, name %s): dynamic name resolution", imp.Op, imp.Module, imp.Name), ev)
	case imp.Ext != 0:
		f = finding.New(finding.PickleUnknownImport, c.loc(imp.Offset),
			fmt.Sprintf("%s imports whatever copyreg's extension registry maps code %d to: not verified safe", imp.Op, imp.Ext), ev)
	default:
		d := c.cfg.Policy.Classify(imp.Module, imp.Name)
		ev.Import = d.Resolved
		switch d.Class {
		case policy.Allowed:
			c.byImport[k] = -1
			return
		case policy.Dangerous:
			f = finding.New(finding.PickleDangerous, c.loc(imp.Offset),
				fmt.Sprintf("imports %s (dangerous: matches %q)", describe(imp), d.Entry), ev)
			if isGetattr(d) {
				c.deferGetattr(k, f, imp.Global)
				return
			}
		case policy.Denied:
			f = finding.New(finding.PickleDenied, c.loc(imp.Offset),
				fmt.Sprintf("imports %s (denied by policy entry %q)", describe(imp), d.Entry), ev)
		default:
			msg := fmt.Sprintf("imports %s: not on the allowlist, not verified safe", describe(imp))
			if imp.Module == "__main__" {
				// policy.Classify lets only __main__.ClassName through.
				msg += "; the model needs a class from the script that saved it, and loading it runs that class's code"
			}
			f = finding.New(finding.PickleUnknownImport, c.loc(imp.Offset), msg, ev)
		}
	}
	c.byImport[k] = len(c.findings)
	c.findings = append(c.findings, f)
}

func describe(imp Import) string {
	s := imp.Module + "." + imp.Name
	if strings.Contains(imp.Name, ".") {
		s = fmt.Sprintf("%s (module %q, dotted name %q)", s, imp.Module, imp.Name)
	}
	return s + " via " + imp.Op
}

func (c *classifier) Call(call Call) {
	if len(c.getattrs) > 0 {
		c.checkGetattr(call)
	}
	if call.Callee.K == KGlobal && call.Callee.O != nil && mutates(call.Op) {
		k := importKey{call.Callee.O.Module, call.Callee.O.Name + "#" + call.Op}
		if c.counts[k]++; c.counts[k] > 1 {
			return // one finding per patched object and operation
		}
		c.findings = append(c.findings, finding.New(finding.PickleDangerous, c.loc(call.Offset),
			fmt.Sprintf("%s changes the imported object %s itself (monkey-patching a module or class)", call.Op, call.Callee.GlobalName()),
			finding.Evidence{Import: call.Callee.GlobalName(), Call: renderCall(call)}))
		return
	}
	if call.Callee.K == KGlobal && call.Callee.O != nil && isObjectScalar(call) {
		c.findings = append(c.findings, finding.New(finding.PickleDangerous, c.loc(call.Offset),
			fmt.Sprintf("%s with an object dtype returns its argument unchanged: an identity gadget that lets later opcodes patch an imported object", call.Callee.GlobalName()),
			finding.Evidence{Import: call.Callee.GlobalName(), Call: renderCall(call)}))
	}
	if call.Callee.K == KGlobal && call.Callee.O != nil && isUfuncOnObject(call) {
		c.findings = append(c.findings, finding.New(finding.PickleDangerous, c.loc(call.Offset),
			fmt.Sprintf("numpy ufunc %s is applied to an object: on objects a ufunc calls the object's method of the same name or hands an operand back, a gadget no model file needs", call.Callee.GlobalName()),
			finding.Evidence{Import: call.Callee.GlobalName(), Call: renderCall(call)}))
	}
	if call.Callee.K == KGlobal && call.Callee.O != nil {
		c.escalateCodeArgs(call)
		k := importKey{call.Callee.O.Module, call.Callee.O.Name}
		if i, ok := c.byImport[k]; ok && i >= 0 && c.findings[i].Evidence.Call == "" {
			ev := &c.findings[i].Evidence
			ev.Call = renderCall(call)
			for _, a := range call.Args {
				ev.Args = append(ev.Args, a.String())
			}
		}
		c.nestedFromLoader(call)
	}
}

// isObjectScalar recognises numpy's scalar(dtype('O'), obj), which NumPy
// itself says no proper pickle contains: it hands back obj as it is.
func isObjectScalar(call Call) bool {
	name := call.Callee.GlobalName()
	if !strings.HasPrefix(name, "numpy.") || !strings.HasSuffix(name, "multiarray.scalar") || len(call.Args) < 2 {
		return false
	}
	dt := call.Args[0]
	if dt.K != KCall || dt.O == nil || dt.O.Callee == nil || !strings.HasSuffix(dt.O.Callee.GlobalName(), "dtype") || len(dt.O.Args) == 0 {
		return true // a dtype the scanner cannot read: fail closed
	}
	return dt.O.Args[0].K != KStr || strings.HasPrefix(dt.O.Args[0].S, "O")
}

// ufuncModules are the modules numpy's ufuncs are pickled from (the
// generated allowlist, policy/allowlist/numpy.txt, lists them there so that
// estimators may store np.log1p and the like as data).
var ufuncModules = map[string]bool{"numpy": true, "numpy.core._multiarray_umath": true,
	"numpy._core._multiarray_umath": true, "numpy.core.umath": true, "numpy._core.umath": true}

// ufuncCallee reports whether module.name may name a numpy ufunc: a plain
// name in one of ufuncModules that is not one of the numpy types that
// numpy's own pickles construct (ndarray, dtype, the scalar types).
func ufuncCallee(module, name string) bool {
	if !ufuncModules[module] || strings.Contains(name, ".") {
		return false
	}
	if module == "numpy" {
		switch {
		case numpyTypes[name], strings.HasSuffix(name, "DType"), strings.HasSuffix(name, "_"),
			strings.HasPrefix(name, "int"), strings.HasPrefix(name, "uint"), strings.HasPrefix(name, "float"),
			strings.HasPrefix(name, "complex"):
			return false
		}
	}
	return true
}

var numpyTypes = map[string]bool{"ndarray": true, "dtype": true, "matrix": true, "void": true, "datetime64": true,
	"timedelta64": true, "longdouble": true, "intc": true, "uintc": true, "half": true, "single": true, "double": true}

// isUfuncOnObject recognises a call of an allowlisted numpy ufunc with an
// argument that is an imported object or the result of a call: real files
// store ufuncs, they never call them on objects.
func isUfuncOnObject(call Call) bool {
	if !ufuncCallee(call.Callee.O.Module, call.Callee.O.Name) {
		return false
	}
	if call.Op != "REDUCE" && call.Op != "NEWOBJ" && call.Op != "NEWOBJ_EX" && call.Op != "OBJ" && call.Op != "INST" {
		return false
	}
	for _, a := range append(call.Args, call.Kwargs) {
		switch a.K {
		case KGlobal, KCall, KPersID, KObject:
			return true
		}
	}
	return false
}

// mutates reports whether an operation changes its target in place.
func mutates(op string) bool {
	switch op {
	case "BUILD", "SETITEM", "SETITEMS", "APPEND", "APPENDS", "ADDITEMS":
		return true
	}
	return false
}

// escalateCodeArgs raises an unknown import to critical when the call hands
// it Python source or a shell command: whatever the callable is, a model
// file has no business passing it code.
func (c *classifier) escalateCodeArgs(call Call) {
	k := importKey{call.Callee.O.Module, call.Callee.O.Name}
	i, ok := c.byImport[k]
	if !ok || i < 0 || c.findings[i].Rule != finding.PickleUnknownImport {
		return
	}
	// The first calls tell; checking every one of a million calls to the
	// same class would make the scan quadratic.
	ck := importKey{k.module, k.name + "#args"}
	if c.counts[ck]++; c.counts[ck] > 32 {
		return
	}
	budget := 256
	for _, a := range call.Args {
		if s, ok := codeLike(a, 0, &budget); ok {
			f := &c.findings[i]
			f.Rule, f.Severity = finding.PickleDangerous, finding.Critical
			f.Message += fmt.Sprintf("; it is called with code or a shell command (%q)", truncate(s, 80))
			return
		}
	}
}

func renderCall(call Call) string {
	var b strings.Builder
	b.WriteString(call.Callee.String())
	b.WriteByte('(')
	for i, a := range call.Args {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.String())
	}
	if call.Kwargs.K == KDict {
		b.WriteString(", **")
		b.WriteString(call.Kwargs.String())
	}
	b.WriteByte(')')
	s := b.String()
	if len(s) > 600 {
		s = s[:597] + "..."
	}
	return s + " [" + call.Op + "]"
}

// loaderNames are final components of callables that deserialise their
// argument: handing them bytes runs whatever those bytes hold.
var loaderNames = map[string]bool{"loads": true, "load": true, "_load_from_bytes": true, "Unpickler": true,
	"load_model": true, "load_state_dict_from_url": true}

func (c *classifier) nestedFromLoader(call Call) {
	name := call.Callee.O.Name
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	if !loaderNames[name] {
		return
	}
	for _, a := range call.Args {
		blob, at, ok := blobOf(a)
		if !ok {
			continue
		}
		if blob == nil {
			c.findings = append(c.findings, finding.New(finding.LimitReached, c.loc(call.Offset),
				fmt.Sprintf("%s is handed %d bytes, more than the nested-scan budget: not inspected", call.Callee.GlobalName(), a.I),
				finding.Evidence{Call: renderCall(call)}))
			continue
		}
		f := finding.New(finding.PickleNested, c.loc(call.Offset),
			fmt.Sprintf("%s is handed %d bytes of %s; they are scanned as nested content", call.Callee.GlobalName(), len(blob), orWord(Magic(blob), "data")),
			finding.Evidence{Call: renderCall(call)})
		c.findings = append(c.findings, f)
		c.scanNested(blob, at)
	}
}

func orWord(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// blobOf finds the bytes behind a loader argument: a byte string, or the
// bytes wrapped by io.BytesIO(...).
func blobOf(v Value) ([]byte, int64, bool) {
	switch v.K {
	case KBytes, KStr:
		if b, at := v.O.blob(); b != nil {
			if v.K == KStr {
				b = latin1(b)
			}
			return b, at, true
		}
		if v.I > int64(len(v.S)) {
			return nil, 0, true
		}
		b := []byte(v.S)
		if v.K == KStr {
			b = latin1(b)
		}
		return b, 0, len(b) > 0
	case KCall:
		if v.O.Callee != nil && v.O.Callee.K == KGlobal && strings.HasSuffix(v.O.Callee.O.Name, "BytesIO") && len(v.O.Args) > 0 {
			return blobOf(v.O.Args[0])
		}
		if b, at := v.O.blob(); b != nil {
			return b, at, true
		}
	}
	return nil, 0, false
}

func (c *classifier) Blob(off int64, v Value, full []byte) {
	kind := Magic([]byte(v.S))
	if kind == "" && v.K == KStr {
		kind = Magic(latin1([]byte(v.S[:min(len(v.S), 64)])))
		if full != nil {
			full = latin1(full)
		}
	}
	switch kind {
	case "pickle", "zip archive", "NumPy array":
		// Scan embedded models even when no loader call is visible: a
		// later gadget or the application itself may load them.
		if full != nil {
			c.scanNested(full, off)
		}
	case "":
	default:
		c.findings = append(c.findings, finding.New(finding.PickleExecutable, c.loc(off),
			fmt.Sprintf("a %d-byte string holds a %s", v.I, kind), finding.Evidence{Detail: quoteHead(v.S)}))
	}
}

func quoteHead(s string) string {
	if len(s) > 48 {
		s = s[:48]
	}
	return fmt.Sprintf("%q", s)
}

func (c *classifier) scanNested(blob []byte, off int64) {
	if c.scanned[off] {
		return
	}
	c.scanned[off] = true
	where := fmt.Sprintf("<bytes@%d>", off)
	if c.cfg.Nested != nil {
		c.findings = append(c.findings, c.cfg.Nested(blob, where)...)
		return
	}
	sub := c.cfg
	sub.Location.Member = append(append([]string(nil), sub.Location.Member...), where)
	fs, _ := ScanBytes(blob, sub)
	c.findings = append(c.findings, fs...)
}

func (c *classifier) finish(res *Result) []finding.Finding {
	c.settleGetattrs()
	for _, is := range res.Issues {
		c.findings = append(c.findings, c.issueFinding(is))
	}
	for k, i := range c.byImport {
		if i >= 0 && c.counts[k] > 1 {
			f := &c.findings[i]
			f.Evidence.Detail = strings.TrimSpace(f.Evidence.Detail + fmt.Sprintf(" imported %d times", c.counts[k]))
		}
	}
	finding.Sort(c.findings)
	return c.findings
}

func (c *classifier) issueFinding(is Issue) finding.Finding {
	l := c.loc(is.Offset)
	switch is.Kind {
	case IssueFrame:
		return finding.New(finding.PickleFrame, l, "FRAME length lies: "+is.Detail, finding.Evidence{})
	case IssueMemo:
		return finding.New(finding.PickleMemo, l, "memo misuse: "+is.Detail, finding.Evidence{})
	case IssueLimit:
		return finding.New(finding.LimitReached, l, "pickle not fully inspected: "+is.Detail, finding.Evidence{})
	case IssueTrailing:
		return finding.New(finding.PickleTrailing, l, is.Detail, finding.Evidence{})
	}
	msg := "pickle stream is malformed, the loader stops here: " + is.Detail
	if len(c.seen) > 0 {
		imps := append([]string(nil), c.seen...)
		sort.Strings(imps)
		if len(imps) > 12 {
			imps = append(imps[:12], "...")
		}
		msg += fmt.Sprintf("; imports before this point: %s", strings.Join(imps, ", "))
	}
	return finding.New(finding.PickleMalformed, l, msg, finding.Evidence{Detail: is.Detail})
}

// codeMarkers are fragments that occur in Python source and shell commands
// but not in the strings real model files pass to their constructors.
var codeMarkers = []string{"__import__", "import os", "import subprocess", "os.system", "os.popen", "subprocess.",
	"exec(", "eval(", "compile(", "__builtins__", "__globals__", "__subclasses__", "getattr(", "open(",
	"$(", "`", "/bin/sh", "/bin/bash", "sh -c", "bash -c", "cmd.exe", "powershell", "curl ", "wget ", "| sh", "|sh",
	"rm -rf", "nc -e", "/dev/tcp/", "chmod +x", "base64 -d", "python -c", "python3 -c", "whoami", "; id"}

func codeLike(v Value, depth int, budget *int) (string, bool) {
	if *budget--; *budget < 0 {
		return "", false
	}
	switch v.K {
	case KStr, KBytes:
		for _, m := range codeMarkers {
			if strings.Contains(v.S, m) {
				return v.S, true
			}
		}
	case KTuple, KList:
		if depth < 3 && v.O != nil {
			for _, it := range v.O.Items {
				if s, ok := codeLike(it, depth+1, budget); ok {
					return s, true
				}
			}
			// argv-style lists: a shell as the program to run
			if len(v.O.Items) > 1 && v.O.Items[0].K == KStr {
				switch v.O.Items[0].S {
				case "sh", "bash", "/bin/sh", "/bin/bash", "zsh", "cmd", "cmd.exe", "powershell", "python", "python3", "perl", "ruby", "node":
					return v.O.Items[0].S, true
				}
			}
		}
	}
	return "", false
}
