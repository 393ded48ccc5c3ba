package onnx

import (
	_ "embed"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/modelward/modelward/finding"
)

// standardOps is written by scripts/gen_onnx.py from onnx 1.12: one
// "domain<TAB>op" per line, and "# opset DOMAIN VERSION" lines giving the
// newest opset that list knows for each standard domain.
//
//go:embed standard_ops.txt
var standardOps string

const defaultDomain, mlDomain = "ai.onnx", "ai.onnx.ml"

type opTable struct {
	ops    map[opKey]bool
	newest map[string]int64 // newest opset version the list covers, per domain
}

var table = sync.OnceValue(func() opTable {
	t := opTable{ops: map[opKey]bool{}, newest: map[string]int64{}}
	for _, line := range strings.Split(standardOps, "\n") {
		if rest, ok := strings.CutPrefix(line, "# opset "); ok {
			d, v, _ := strings.Cut(rest, " ")
			t.newest[d], _ = strconv.ParseInt(v, 10, 64)
			continue
		}
		if d, op, ok := strings.Cut(line, "\t"); ok && !strings.HasPrefix(line, "#") {
			t.ops[opKey{d, op}] = true
		}
	}
	return t
})

// vendorDomains are operator sets of well-known runtimes and exporters.
// Their operators still run native code outside the ONNX standard, but
// they ship with the runtime rather than with the model, so they are
// listed at info.
var vendorDomains = map[string]bool{
	"com.microsoft": true, "com.microsoft.nchwc": true, "com.microsoft.experimental": true,
	"com.microsoft.mlfeaturizers": true, "com.microsoft.dml": true, "com.microsoft.extensions": true,
	"com.ms.internal.nhwc": true, "ai.onnx.training": true, "ai.onnx.preview.training": true,
	"ai.onnx.preview": true, "ai.onnx.contrib": true, "org.pytorch.aten": true, "org.pytorch": true,
}

type opKey struct{ domain, op string }

// newestReleased is the newest opset version of each standard domain that
// a released onnx defines, as of November 2026: ai.onnx 27 (onnx 1.22.0,
// June 2026; onnx 1.19 added 24, 1.20 25, 1.21 26) and ai.onnx.ml 5
// (onnx 1.16, TreeEnsemble). An import of a newer version names an opset
// that does not exist (MW315). Raise these with each onnx release, and add
// its new operators to newerOps.
var newestReleased = map[string]int64{defaultDomain: 27, mlDomain: 5}

// newerOps are the standard operators added after onnx 1.12 (whose list,
// standard_ops.txt, stops at ai.onnx 17 and ai.onnx.ml 3), with the opset
// that introduced each. Sources: the onnx release notes and Changelog.md
// (1.13 to 1.22), cross-checked against onnxscript's generated opset18 to
// opset27 and opset_ai_onnx_ml4/5 modules; onnx 1.20's 198 ai.onnx
// operators are exactly the 178 of onnx 1.12 plus those up to opset 24.
// Operators that only changed in those opsets (LpPool, DFT, TopK,
// QuantizeLinear, ConstantOfShape, IsInf, Range...) are already in the 1.12
// list. Such an operator is reported at info only when the scope using it
// imports an opset that has it and that exists; anything else unknown in a
// standard domain stays medium.
var newerOps = map[opKey]int64{
	// opset 18 (onnx 1.13)
	{defaultDomain, "BitwiseAnd"}: 18, {defaultDomain, "BitwiseNot"}: 18, {defaultDomain, "BitwiseOr"}: 18,
	{defaultDomain, "BitwiseXor"}: 18, {defaultDomain, "CenterCropPad"}: 18, {defaultDomain, "Col2Im"}: 18,
	{defaultDomain, "GroupNormalization"}: 18, {defaultDomain, "Mish"}: 18,
	// opset 19 (onnx 1.14)
	{defaultDomain, "DeformConv"}: 19,
	// opset 20 (onnx 1.15)
	{defaultDomain, "AffineGrid"}: 20, {defaultDomain, "Gelu"}: 20, {defaultDomain, "ImageDecoder"}: 20,
	{defaultDomain, "RegexFullMatch"}: 20, {defaultDomain, "StringConcat"}: 20, {defaultDomain, "StringSplit"}: 20,
	// opsets 21 and 22 (onnx 1.16, 1.17) only updated operators.
	// opset 23 (onnx 1.18)
	{defaultDomain, "Attention"}: 23, {defaultDomain, "RMSNormalization"}: 23, {defaultDomain, "RotaryEmbedding"}: 23,
	// opset 24 (onnx 1.19)
	{defaultDomain, "Swish"}: 24, {defaultDomain, "TensorScatter"}: 24,
	// opset 25 (onnx 1.20) only updated operators.
	// opset 26 (onnx 1.21)
	{defaultDomain, "BitCast"}: 26, {defaultDomain, "CumProd"}: 26,
	// opset 27 (onnx 1.22)
	{defaultDomain, "CausalConvWithState"}: 27, {defaultDomain, "LinearAttention"}: 27,
	// ai.onnx.ml 4 (onnx 1.15) only updated operators; 5 (onnx 1.16):
	{mlDomain, "TreeEnsemble"}: 5,
}

// opUse is where an operator was first seen, how often, and in which
// scopes: the model's graphs resolve operators against the model's
// opset_import, a function's nodes against the function's own.
type opUse struct {
	count   int
	where   string
	at      int64
	inModel bool // used by a node of the model's graphs
	strict  bool // used in a function whose imports do not make it a newer standard operator
}

// fnScope collects what one FunctionProto's nodes use and import, checked
// when the function ends (its opset_import follows its nodes on the wire).
type fnScope struct {
	ops      map[opKey]bool
	versions map[string]int64
}

// normDomain maps the two spellings of the default domain to one.
func normDomain(d string) string {
	if d == "" {
		return defaultDomain
	}
	return d
}

func (w *walker) useOp(domain, op, where string, at int64) {
	k := opKey{normDomain(domain), op}
	u := w.ops[k]
	if u == nil {
		if len(w.ops) >= maxDistinct {
			w.limit(at, "the model uses more than %d distinct operators; the rest were not inspected", maxDistinct)
			return
		}
		u = &opUse{where: where, at: at}
		w.ops[k] = u
	}
	u.count++
	if w.fn != nil {
		w.fn.ops[k] = true
	} else {
		u.inModel = true
	}
}

// modelOpset records one of the model's opset_import entries. Should a
// domain be imported twice, the lowest version decides which newer
// operators are accepted.
func (w *walker) modelOpset(domain string, version int64) {
	if _, seen := w.res.Opsets[domain]; !seen && len(w.res.Opsets) >= maxDistinct {
		w.limit(-1, "the model imports more than %d operator sets; the rest were not inspected", maxDistinct)
		return
	}
	w.res.Opsets[domain] = version
	w.checkOpset("opset_import", domain, version)
	d := normDomain(domain)
	if v, seen := w.modelVersions[d]; !seen || version < v {
		w.modelVersions[d] = version
	}
}

// functionOpset records one opset_import entry of the function being walked.
func (w *walker) functionOpset(where, domain string, version int64) {
	w.checkOpset(where+"/opset_import", domain, version)
	d := normDomain(domain)
	if v, seen := w.fn.versions[d]; (!seen && len(w.fn.versions) < maxDistinct) || (seen && version < v) {
		w.fn.versions[d] = version
	}
}

// checkOpset reports an import of a standard domain at a version no onnx
// release defines: no runtime has such an opset, so the import is either a
// forgery or meant to pass unknown operators off as newer standard ones.
func (w *walker) checkOpset(where, domain string, version int64) {
	d := normDomain(domain)
	newest, standard := newestReleased[d]
	if !standard || (version >= 0 && version <= newest) { // negative: a varint past MaxInt64
		return
	}
	w.rep.emit(finding.StructureInvalid, finding.High, where, -1, finding.Evidence{Args: []string{d, strconv.FormatInt(version, 10)}},
		"the model declares opset %d of %s, which does not exist (the newest released is %d)", version, d, newest)
}

// endFunction checks the operators a function used against its imports.
func (w *walker) endFunction() {
	for k := range w.fn.ops {
		u := w.ops[k]
		if u == nil {
			continue
		}
		if _, ok := newerStandard(k, w.fn.versions); !ok {
			u.strict = true
		}
	}
	w.fn = nil
}

// newerStandard reports whether k is a standard operator added after onnx
// 1.12 that the imports versions provide, and since which opset.
func newerStandard(k opKey, versions map[string]int64) (int64, bool) {
	since, known := newerOps[k]
	if !known {
		return since, false
	}
	v, imported := versions[k.domain]
	return since, imported && v >= since && v <= newestReleased[k.domain]
}

// defineFunction records a model-local function: nodes calling it are not
// custom operators, and the function itself is listed (MW317).
func (w *walker) defineFunction(domain, name string, nodes int, at int64) {
	w.funcs[opKey{normDomain(domain), name}] = true
	id := short(domain) + "::" + short(name)
	w.rep.emit(finding.ModelFunctions, finding.Info, "function:"+id, at, finding.Evidence{Call: id},
		"the model defines a local function %s of %d nodes; the runtime expands calls to it into its body, whose operators were checked like the graph's", id, nodes)
}

// reportOps reports each distinct non-standard (domain, op) once, with
// the number of nodes using it.
func (w *walker) reportOps() {
	keys := make([]opKey, 0, len(w.ops))
	for k := range w.ops {
		if !w.funcs[k] {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].domain != keys[j].domain {
			return keys[i].domain < keys[j].domain
		}
		return keys[i].op < keys[j].op
	})
	t := table()
	for _, k := range keys {
		sev, why, ok := w.classify(t, k)
		if !ok {
			continue
		}
		u := w.ops[k]
		id := k.domain + "::" + short(k.op)
		w.rep.emit(finding.CustomOperator, sev, u.where, u.at,
			finding.Evidence{Call: id, Detail: strconv.Itoa(u.count) + " node(s)"},
			"operator %s, used by %d node(s), %s", id, u.count, why)
	}
}

// classify decides whether an operator is reported, and how severely.
func (w *walker) classify(t opTable, k opKey) (finding.Severity, string, bool) {
	switch {
	case k.domain == defaultDomain || k.domain == mlDomain:
		if t.ops[k] {
			return 0, "", false
		}
		u := w.ops[k]
		since, ok := newerOps[k]
		ok = ok && !u.strict
		if ok && u.inModel {
			_, ok = newerStandard(k, w.modelVersions)
		}
		if ok {
			return finding.Info, "is a standard operator added in opset " + strconv.FormatInt(since, 10) +
				", after onnx 1.12's list (which stops at opset " + strconv.FormatInt(t.newest[k.domain], 10) +
				"), and every scope using it imports an opset that has it", true
		}
		if since > 0 {
			return finding.Medium, "is a standard operator only from opset " + strconv.FormatInt(since, 10) +
				", which a scope using it does not import (or imports beyond any released opset): as written no standard runtime runs it, so it needs a custom op library whose code cannot be checked from the model", true
		}
		return finding.Medium, "is not a standard operator of its domain: no standard runtime implements it, so it needs a custom op library whose code cannot be checked from the model", true
	case vendorDomains[k.domain]:
		return finding.Info, "comes from a well-known runtime's vendor domain, implemented by that runtime's native code", true
	default:
		return finding.Medium, "comes from a custom domain: running the model needs a native custom op library, whose behaviour cannot be checked from the model", true
	}
}
