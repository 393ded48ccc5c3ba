package tensorflow

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The evaluator computes, as far as constants allow, the string values that
// reach an input of a node: it runs the string ops a path can be assembled
// with (StringJoin, DecodeBase64, Substr, regex replacement, ...), passes
// through Identity-like and shape ops, and follows values across function
// boundaries in both directions (a call's output is the callee's return
// value; a function argument is whatever its callers pass in). Values that
// come from placeholders, variables or other run-time state are marked
// runtime; a value computed from constants only, through an op the
// evaluator does not model, is marked opaque with that op's name.

// Bounds of the evaluation.
const (
	maxEvalDepth   = 64       // producers followed back from one input
	maxEvalVisits  = 4096     // nodes evaluated for one input
	maxModelVisits = 1 << 20  // nodes evaluated for the whole model
	maxVals        = 32       // possible values kept per tensor
	maxCallSites   = 32       // callers whose arguments are followed per function
	maxValLen      = 4096     // bytes per computed string
	maxEvalBytes   = 64 << 20 // bytes of computed strings for the whole model
)

// unknownPart stands for the run-time part of a string built from constants
// and run-time values; it escapes nothing by itself.
const unknownPart = "{?}"

// sval is what is known of a tensor's value.
type sval struct {
	strs    []string // possible string values
	ints    []int64  // possible integer values
	runtime bool     // the value may also come from run-time state
	opaque  string   // computed from constants through this unmodelled op
	derived bool     // strs were computed, not read off a Const
}

// evaluation flags
const (
	evLimit = 1 << iota // a bound was reached: the value is incomplete
	evCycle             // a cycle was cut: the value is incomplete
)

// ref names one tensor: output out of node, or argument out of a function.
type ref struct {
	sc   *scope
	name string
	out  int
	arg  bool
}

type callSite struct {
	sc    *scope
	n     *nodeDef
	first int // caller data input first+i feeds argument i
}

type evaluator struct {
	idx     map[*scope]map[string]*nodeDef
	funcs   map[string]*scope
	callers map[string][]callSite
	ncalls  map[string]int
	assets  map[string]bool
	memo    map[ref]sval
	busy    map[ref]bool
	ins     map[*nodeDef][]string
	visits  int
	total   int
	bytes   int
	flags   int
}

func newEvaluator(m *model, idx map[*scope]map[string]*nodeDef) *evaluator {
	e := &evaluator{idx: idx, funcs: map[string]*scope{}, callers: map[string][]callSite{},
		ncalls: map[string]int{}, assets: m.assetTensors, memo: map[ref]sval{}, busy: map[ref]bool{},
		ins: map[*nodeDef][]string{}}
	for _, sc := range m.scopes {
		if sc.fname != "" {
			if _, dup := e.funcs[sc.fname]; !dup {
				e.funcs[sc.fname] = sc
			}
		}
	}
	for _, sc := range m.scopes {
		for _, n := range sc.nodes {
			for _, c := range e.callees(n, true) {
				e.ncalls[c.name]++
				if len(e.callers[c.name]) < maxCallSites {
					e.callers[c.name] = append(e.callers[c.name], callSite{sc, n, c.first})
				}
			}
		}
	}
	return e
}

// fed returns the nodes of sc whose value the loader supplies.
func (e *evaluator) fed(sc *scope) map[string]bool {
	if sc.fname != "" {
		return nil
	}
	return e.assets
}

type callee struct {
	name  string
	first int
}

// callees lists the functions n runs with its inputs as their arguments.
// forArgs includes a While's cond, which takes the inputs but whose output
// is not the node's.
func (e *evaluator) callees(n *nodeDef, forArgs bool) []callee {
	var out []callee
	add := func(attr string, first int) {
		for _, f := range n.funcs[attr] {
			out = append(out, callee{f, first})
		}
	}
	switch n.op {
	case "PartitionedCall", "StatefulPartitionedCall", "TPUPartitionedCall":
		add("f", 0)
	case "If", "StatelessIf":
		add("then_branch", 1)
		add("else_branch", 1)
	case "Case", "StatelessCase":
		add("branches", 1)
	case "While", "StatelessWhile":
		add("body", 0)
		if forArgs {
			add("cond", 0)
		}
	default:
		if _, ok := e.funcs[n.op]; ok {
			out = append(out, callee{n.op, 0})
		}
	}
	return out
}

// input evaluates data input i of n. The flags say whether the value is
// incomplete.
func (e *evaluator) input(sc *scope, n *nodeDef, i int) (sval, int) {
	e.visits, e.flags = 0, 0
	v := e.in(sc, n, i, 0)
	return v, e.flags
}

// dataInputs are n's inputs without the control ones, cached per node.
func (e *evaluator) dataInputs(n *nodeDef) []string {
	if ins, ok := e.ins[n]; ok {
		return ins
	}
	out := make([]string, 0, len(n.inputs))
	for _, in := range n.inputs {
		if !strings.HasPrefix(in, "^") {
			out = append(out, in)
		}
	}
	e.ins[n] = out
	return out
}

// resolve turns an input reference into a ref. Graph inputs are "node" or
// "node:i"; function inputs are "arg", "arg:i" or "node:outname:i".
func (e *evaluator) resolve(sc *scope, in string) ref {
	parts := strings.SplitN(in, ":", 3)
	if sc.fname != "" && len(parts) < 3 {
		for i, a := range sc.args {
			if a == parts[0] {
				return ref{sc: sc, out: i, arg: true}
			}
		}
	}
	r := ref{sc: sc, name: parts[0]}
	switch len(parts) {
	case 2:
		r.out = atoiSmall(parts[1])
	case 3:
		r.out = atoiSmall(parts[2])
		if n := e.idx[sc][parts[0]]; n != nil {
			r.out = e.outIndex(n, parts[1], r.out)
		}
	}
	return r
}

func atoiSmall(s string) int {
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 || v > 1<<20 {
		return 0
	}
	return v
}

// outIndex maps a function-body output reference (output arg name and index
// within it) to the flat output index the evaluator uses.
func (e *evaluator) outIndex(n *nodeDef, outName string, k int) int {
	if f, ok := e.funcs[n.op]; ok {
		for i, o := range f.outs {
			if o == outName {
				return i + k
			}
		}
	}
	switch n.op {
	case "Switch", "RefSwitch":
		if outName == "output_true" {
			return 1
		}
		return 0
	}
	return k
}

func (e *evaluator) eval(r ref, depth int) sval {
	if v, ok := e.memo[r]; ok {
		return v
	}
	if depth > maxEvalDepth || e.visits >= maxEvalVisits || e.total >= maxModelVisits {
		e.flags |= evLimit
		return sval{runtime: true}
	}
	if e.busy[r] {
		e.flags |= evCycle
		return sval{}
	}
	e.visits++
	e.total++
	e.busy[r] = true
	outer := e.flags
	e.flags = 0
	v := e.compute(r, depth+1)
	if v.derived {
		for _, s := range v.strs {
			e.bytes += len(s)
		}
		if e.bytes > maxEvalBytes {
			e.flags |= evLimit
			v = sval{runtime: true}
		}
	}
	if e.flags == 0 {
		e.memo[r] = v
	}
	e.flags |= outer
	delete(e.busy, r)
	return v
}

func (e *evaluator) in(sc *scope, n *nodeDef, i, depth int) sval {
	ins := e.dataInputs(n)
	if i < 0 || i >= len(ins) {
		return sval{runtime: true}
	}
	return e.eval(e.resolve(sc, ins[i]), depth)
}

// argValue is the union of what the callers pass as argument i.
func (e *evaluator) argValue(f *scope, i, depth int) sval {
	sites := e.callers[f.fname]
	if len(sites) == 0 {
		return sval{runtime: true}
	}
	var vs []sval
	for _, s := range sites {
		vs = append(vs, e.in(s.sc, s.n, s.first+i, depth))
	}
	v := union(vs...)
	if e.ncalls[f.fname] > len(sites) {
		v.runtime = true
	}
	return v
}

// callOutput is output out of a call node: the callees' return values.
func (e *evaluator) callOutput(sc *scope, n *nodeDef, cs []callee, out, depth int) sval {
	var vs []sval
	for _, c := range cs {
		f := e.funcs[c.name]
		if f == nil || out >= len(f.outs) {
			vs = append(vs, sval{runtime: true})
			continue
		}
		ret, ok := f.ret[f.outs[out]]
		if !ok {
			vs = append(vs, sval{runtime: true})
			continue
		}
		vs = append(vs, e.eval(e.resolve(f, ret), depth))
	}
	if n.op == "While" || n.op == "StatelessWhile" {
		vs = append(vs, e.in(sc, n, out, depth))
	}
	return union(vs...)
}

// Ops whose output is (a rearrangement of) one input, by position.
var passInput = map[string]int{
	"Identity": 0, "StopGradient": 0, "Snapshot": 0, "PreventGradient": 0, "EnsureShape": 0,
	"CheckNumerics": 0, "CheckNumericsV2": 0, "RefIdentity": 0, "DeepCopy": 0, "Copy": 0, "CopyHost": 0,
	"Enter": 0, "RefEnter": 0, "Exit": 0, "RefExit": 0, "NextIteration": 0, "RefNextIteration": 0,
	"Switch": 0, "RefSwitch": 0, "Reshape": 0, "ExpandDims": 0, "Squeeze": 0, "Tile": 0,
	"Transpose": 0, "Reverse": 0, "ReverseV2": 0, "StridedSlice": 0, "Slice": 0, "Gather": 0,
	"GatherV2": 0, "GatherNd": 0, "BroadcastTo": 0, "Unpack": 0, "SplitV": 0, "Print": 0,
	"DebugIdentity": 0, "DebugIdentityV2": 0, "DebugIdentityV3": 0, "Unique": 0, "UniqueV2": 0,
	"Split": 1, "Fill": 1, "_Retval": 0, "Roll": 0, "MirrorPad": 0, "Pad": 0,
}

func (e *evaluator) compute(r ref, depth int) sval {
	if r.arg {
		return e.argValue(r.sc, r.out, depth)
	}
	n := e.idx[r.sc][r.name]
	if n == nil {
		return sval{runtime: true}
	}
	if r.sc.fname == "" && e.assets[n.name] {
		return sval{runtime: true} // fed with the asset's path at load time
	}
	if cs := e.callees(n, false); len(cs) > 0 {
		return e.callOutput(r.sc, n, cs, r.out, depth)
	}
	ins := e.dataInputs(n)
	if i, ok := passInput[n.op]; ok {
		return e.in(r.sc, n, i, depth)
	}
	all := func(from, to int) []sval {
		var vs []sval
		for i := from; i < to && i < len(ins); i++ {
			vs = append(vs, e.in(r.sc, n, i, depth))
		}
		return vs
	}
	switch n.op {
	case "Const", "HostConst":
		v := sval{strs: n.strs["value"], ints: n.ints}
		if len(v.strs) == 0 && len(v.ints) == 0 {
			v.strs, v.ints = []string{""}, []int64{0}
		}
		return v
	case "PlaceholderWithDefault":
		v := e.in(r.sc, n, 0, depth)
		v.runtime = true
		return v
	case "IdentityN":
		return e.in(r.sc, n, r.out, depth)
	case "Select", "SelectV2":
		return union(all(1, 3)...)
	case "Merge", "RefMerge", "Pack", "ParallelConcat", "DynamicStitch", "ParallelDynamicStitch":
		return union(all(0, len(ins))...)
	case "ConcatV2":
		return union(all(0, len(ins)-1)...)
	case "Concat":
		return union(all(1, len(ins))...)
	case "StringJoin":
		return stringJoin(all(0, len(ins)), first(n.strs["separator"]))
	case "ReduceJoin":
		v := e.in(r.sc, n, 0, depth)
		return mapStrs(n.op, v, func(ss []string) ([]string, bool) {
			return []string{strings.Join(ss, first(n.strs["separator"]))}, true
		})
	case "DecodeBase64":
		return mapEach(n.op, e.in(r.sc, n, 0, depth), decodeWebBase64)
	case "EncodeBase64":
		return mapEach(n.op, e.in(r.sc, n, 0, depth), func(s string) (string, bool) {
			return base64.URLEncoding.EncodeToString([]byte(s)), true
		})
	case "StringLower":
		return mapEach(n.op, e.in(r.sc, n, 0, depth), func(s string) (string, bool) { return strings.ToLower(s), true })
	case "StringUpper":
		return mapEach(n.op, e.in(r.sc, n, 0, depth), func(s string) (string, bool) { return strings.ToUpper(s), true })
	case "StringStrip":
		return mapEach(n.op, e.in(r.sc, n, 0, depth), func(s string) (string, bool) {
			return strings.Trim(s, " \t\n\v\f\r"), true
		})
	case "AsString":
		v := e.in(r.sc, n, 0, depth)
		if len(v.ints) == 0 || len(v.strs) > 0 && !(len(v.strs) == 1 && v.strs[0] == "") {
			return opaqueOr(n.op, v)
		}
		out := sval{runtime: v.runtime, derived: true}
		for _, i := range v.ints {
			out.strs = append(out.strs, strconv.FormatInt(i, 10))
		}
		return out
	case "Substr":
		return substr(all(0, 3))
	case "ShardedFilename", "ShardedFilespec":
		return sharded(n.op, all(0, 3))
	case "StaticRegexReplace":
		return regexReplace(n.op, e.in(r.sc, n, 0, depth), first(n.strs["pattern"]), first(n.strs["rewrite"]))
	case "RegexReplace":
		vs := all(0, 3)
		if len(vs) < 3 {
			return sval{runtime: true}
		}
		if vs[1].runtime || vs[2].runtime || vs[1].opaque != "" || vs[2].opaque != "" || len(vs[1].strs) != 1 || len(vs[2].strs) != 1 {
			return opaqueOr(n.op, vs...)
		}
		return regexReplace(n.op, vs[0], vs[1].strs[0], vs[2].strs[0])
	}
	if len(ins) == 0 {
		return sval{runtime: true} // Placeholder, variables, random, ...
	}
	return opaqueOr(n.op, all(0, len(ins))...)
}

func first(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

// opaqueOr is the value of an op the evaluator does not model: opaque when
// every input is known from constants, run time otherwise.
func opaqueOr(op string, vs ...sval) sval {
	inner := ""
	for _, v := range vs {
		if v.runtime {
			return sval{runtime: true}
		}
		if inner == "" {
			inner = v.opaque
		}
	}
	if inner != "" {
		return sval{opaque: inner}
	}
	return sval{opaque: op}
}

// union is the value of a tensor that may be any of vs (Select, Merge, a
// function argument over its callers, ...).
func union(vs ...sval) sval {
	var out sval
	seen := map[string]bool{}
	for _, v := range vs {
		out.runtime = out.runtime || v.runtime
		out.derived = out.derived || v.derived
		if out.opaque == "" {
			out.opaque = v.opaque
		}
		for _, s := range v.strs {
			if seen[s] {
				continue
			}
			// Past the cap only values that matter for the checks are kept.
			if len(out.strs) < maxVals || escapesModel(s) && len(out.strs) < 2*maxVals {
				seen[s] = true
				out.strs = append(out.strs, s)
			}
		}
		for _, i := range v.ints {
			if len(out.ints) < maxVals {
				out.ints = append(out.ints, i)
			}
		}
	}
	return out
}

// mapStrs applies f to the string values of v.
func mapStrs(op string, v sval, f func([]string) ([]string, bool)) sval {
	if v.opaque != "" && !v.runtime {
		return sval{opaque: v.opaque}
	}
	if len(v.strs) == 0 {
		if v.runtime {
			return sval{runtime: true}
		}
		return sval{opaque: op}
	}
	ss, ok := f(v.strs)
	if !ok {
		if v.runtime {
			return sval{runtime: true}
		}
		return sval{opaque: op}
	}
	return sval{strs: clipVals(ss), runtime: v.runtime, derived: true}
}

func mapEach(op string, v sval, f func(string) (string, bool)) sval {
	return mapStrs(op, v, func(ss []string) ([]string, bool) {
		var out []string
		for _, s := range ss {
			if r, ok := f(s); ok {
				out = append(out, r)
			}
		}
		return out, true
	})
}

func clipVals(ss []string) []string {
	for i, s := range ss {
		if len(s) > maxValLen {
			ss[i] = s[:maxValLen]
		}
	}
	return ss
}

// decodeWebBase64 decodes as TensorFlow's DecodeBase64 does: the web-safe
// alphabet, padding optional. A value TF would reject yields nothing.
func decodeWebBase64(s string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return "", false
	}
	return string(b), true
}

// stringJoin joins every combination of the inputs' values; a run-time
// input without known values contributes unknownPart.
func stringJoin(vs []sval, sep string) sval {
	combos := []string{""}
	out := sval{derived: true}
	for i, v := range vs {
		if v.opaque != "" && !v.runtime {
			return sval{opaque: v.opaque}
		}
		out.runtime = out.runtime || v.runtime
		choices := v.strs
		if len(choices) == 0 {
			choices = []string{unknownPart}
		}
		if len(combos)*len(choices) > maxVals {
			if out.runtime {
				return sval{runtime: true}
			}
			return sval{opaque: "StringJoin"}
		}
		next := make([]string, 0, len(combos)*len(choices))
		for _, c := range combos {
			for _, s := range choices {
				if i > 0 {
					s = c + sep + s
				}
				if len(s) > maxValLen {
					s = s[:maxValLen]
				}
				next = append(next, s)
			}
		}
		combos = next
		if full(combos) {
			break
		}
	}
	out.strs = clipVals(combos)
	return out
}

func full(ss []string) bool {
	for _, s := range ss {
		if len(s) < maxValLen {
			return false
		}
	}
	return true
}

// substr evaluates Substr(input, pos, len) with byte units.
func substr(vs []sval) sval {
	if len(vs) < 3 {
		return sval{runtime: true}
	}
	for _, v := range vs[1:] {
		if v.runtime || v.opaque != "" || len(v.ints) == 0 {
			return opaqueOr("Substr", vs...)
		}
	}
	return mapStrs("Substr", vs[0], func(ss []string) ([]string, bool) {
		var out []string
		for _, s := range ss {
			for _, pos := range vs[1].ints {
				for _, l := range vs[2].ints {
					p := pos
					if p < 0 {
						p += int64(len(s))
					}
					if p < 0 || p > int64(len(s)) || l < 0 {
						continue
					}
					end := min(p+l, int64(len(s)))
					out = append(out, s[p:end])
					if len(out) >= maxVals {
						return out, true
					}
				}
			}
		}
		return out, true
	})
}

// sharded evaluates ShardedFilename(basename, shard, num_shards) and
// ShardedFilespec(basename, num_shards).
func sharded(op string, vs []sval) sval {
	if len(vs) == 0 {
		return sval{runtime: true}
	}
	num := func(i int) int64 {
		if i < len(vs) && len(vs[i].ints) > 0 {
			return vs[i].ints[0]
		}
		return 0
	}
	return mapEach(op, vs[0], func(s string) (string, bool) {
		if op == "ShardedFilespec" {
			return fmt.Sprintf("%s-?????-of-%05d", s, num(1)), true
		}
		return fmt.Sprintf("%s-%05d-of-%05d", s, num(1), num(2)), true
	})
}

// regexReplace evaluates RE2 replacement (TF uses RE2, as Go's regexp
// does). replace_global is a bool attr the parser does not keep, so both
// the first-match and the global result are possible values.
func regexReplace(op string, v sval, pattern, rewrite string) sval {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return opaqueOr(op, v)
	}
	tmpl := re2Template(rewrite)
	return mapStrs(op, v, func(ss []string) ([]string, bool) {
		var out []string
		for _, s := range ss {
			out = append(out, re.ReplaceAllString(s, tmpl))
			if loc := re.FindStringSubmatchIndex(s); loc != nil {
				out = append(out, s[:loc[0]]+string(re.ExpandString(nil, tmpl, s, loc))+s[loc[1]:])
			}
		}
		return out, true
	})
}

// re2Template turns an RE2 rewrite string (\0-\9, \\) into a Go template.
func re2Template(rw string) string {
	var b strings.Builder
	for i := 0; i < len(rw); i++ {
		c := rw[i]
		switch {
		case c == '$':
			b.WriteString("$$")
		case c == '\\' && i+1 < len(rw) && rw[i+1] >= '0' && rw[i+1] <= '9':
			b.WriteString("${" + string(rw[i+1]) + "}")
			i++
		case c == '\\' && i+1 < len(rw) && rw[i+1] == '\\':
			b.WriteByte('\\')
			i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
