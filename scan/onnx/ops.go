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

// opUse is where an operator was first seen and how often.
type opUse struct {
	count int
	where string
	at    int64
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
	if u := w.ops[k]; u != nil {
		u.count++
		return
	}
	if len(w.ops) >= maxDistinct {
		w.limit(at, "the model uses more than %d distinct operators; the rest were not inspected", maxDistinct)
		return
	}
	w.ops[k] = &opUse{count: 1, where: where, at: at}
}

// modelOpset records one of the model's opset_import entries.
func (w *walker) modelOpset(domain string, version int64) {
	if _, seen := w.res.Opsets[domain]; !seen && len(w.res.Opsets) >= maxDistinct {
		w.limit(-1, "the model imports more than %d operator sets; the rest were not inspected", maxDistinct)
		return
	}
	w.res.Opsets[domain] = version
	w.noteOpset(domain, version)
}

// noteOpset keeps the highest version imported for each domain, by the
// model or by any of its functions.
func (w *walker) noteOpset(domain string, version int64) {
	d := normDomain(domain)
	if _, seen := w.versions[d]; !seen && len(w.versions) >= maxDistinct {
		return // reported by modelOpset, or only a function's extra import
	}
	w.versions[d] = max(w.versions[d], version)
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
		if newest := t.newest[k.domain]; w.versions[k.domain] > newest {
			return finding.Info, "is not in onnx 1.12's standard list (opset " + strconv.FormatInt(newest, 10) +
				") but the model imports a newer opset: it may be a newer standard operator", true
		}
		return finding.Medium, "is not a standard operator of its domain: no standard runtime implements it, so it needs a custom op library whose code cannot be checked from the model", true
	case vendorDomains[k.domain]:
		return finding.Info, "comes from a well-known runtime's vendor domain, implemented by that runtime's native code", true
	default:
		return finding.Medium, "comes from a custom domain: running the model needs a native custom op library, whose behaviour cannot be checked from the model", true
	}
}
