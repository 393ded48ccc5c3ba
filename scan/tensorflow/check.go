package tensorflow

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/modelward/modelward/finding"
)

// maxFindings caps the findings of one file; past it a single MW202 says
// the rest were not listed.
const maxFindings = 500

// report gathers findings under the cap.
type report struct {
	cfg      Config
	fs       []finding.Finding
	overflow int
}

func (r *report) add(f finding.Finding) {
	if len(r.fs) >= maxFindings {
		r.overflow++
		return
	}
	r.fs = append(r.fs, f)
}

func (r *report) done() []finding.Finding {
	if r.overflow > 0 {
		r.fs = append(r.fs, finding.New(finding.LimitReached, r.cfg.at(-1),
			fmt.Sprintf("%d further findings were not listed (limit %d per file).", r.overflow, maxFindings),
			finding.Evidence{}))
	}
	return r.fs
}

// parseFailure turns a walker error into its finding: MW202 for a bound,
// MW315 for broken wire format.
func (r *report) parseFailure(err error, what string) {
	if err == nil {
		return
	}
	if l, ok := asLimit(err); ok {
		r.add(finding.New(finding.LimitReached, r.cfg.at(l.off),
			fmt.Sprintf("%s: %s; the rest was not inspected.", what, l.msg), finding.Evidence{}))
		return
	}
	off := int64(-1)
	msg := err.Error()
	if s, ok := asStruct(err); ok {
		off, msg = s.off, s.msg
	}
	r.add(finding.New(finding.StructureInvalid, r.cfg.at(off),
		fmt.Sprintf("%s is not a valid protobuf (%s); only the part before it was checked.", what, msg),
		finding.Evidence{Detail: msg}))
}

// CheckSavedModel checks a saved_model.pb: every node of every graph and
// function body is classified, constant path arguments are resolved, and
// asset file names are checked for escapes.
func CheckSavedModel(r io.ReaderAt, size int64, cfg Config) (*Result, []finding.Finding) {
	res := &Result{Ops: map[string]int{}}
	rep := &report{cfg: cfg}
	buf, fail := readWhole(r, size, cfg, "saved_model.pb")
	if fail != nil {
		return res, []finding.Finding{*fail}
	}
	p := newParser()
	err := p.savedModel(buf)
	rep.parseFailure(err, "saved_model.pb")
	if err == nil && len(p.m.scopes) == 0 {
		rep.add(finding.New(finding.StructureInvalid, cfg.at(0),
			"saved_model.pb holds no graph: it is not a SavedModel, or its graph was hidden from parsers.", finding.Evidence{}))
	}
	checkModel(p.m, res, rep)
	res.KerasMetadata = p.m.keras
	return res, rep.done()
}

func checkModel(m *model, res *Result, rep *report) {
	unknown := map[string]*unknownOp{}
	idxs := make(map[*scope]map[string]*nodeDef, len(m.scopes))
	for _, sc := range m.scopes {
		idx := make(map[string]*nodeDef, len(sc.nodes))
		for _, n := range sc.nodes {
			if _, dup := idx[n.name]; !dup {
				idx[n.name] = n
			}
		}
		idxs[sc] = idx
	}
	ev := newEvaluator(m, idxs)
	for _, sc := range m.scopes {
		idx := idxs[sc]
		for _, n := range sc.nodes {
			res.Ops[n.op]++
			checkNode(rep, ev, sc, idx, n)
			if !isStandardOp(n.op) && !m.funcs[n.op] {
				u := unknown[n.op]
				if u == nil {
					u = &unknownOp{op: n.op, loc: rep.cfg.at(n.off, sc.label, "node "+n.name)}
					unknown[n.op] = u
				}
				u.count++
			}
		}
	}
	reportUnknown(rep, unknown)
	for _, a := range m.assets {
		if escapesModel(a.filename) {
			rep.add(finding.New(finding.ExternalDataEscape, rep.cfg.at(a.off, "asset_file_def"),
				fmt.Sprintf("Asset file name %q points outside the SavedModel's assets folder; loading binds it as a path the graph reads.", a.filename),
				finding.Evidence{Args: []string{a.filename}}))
		}
	}
}

type unknownOp struct {
	op    string
	count int
	loc   finding.Location
}

func reportUnknown(rep *report, unknown map[string]*unknownOp) {
	names := make([]string, 0, len(unknown))
	for op := range unknown {
		names = append(names, op)
	}
	sort.Strings(names)
	for _, op := range names {
		u := unknown[op]
		rep.add(finding.New(finding.CustomOperator, u.loc,
			fmt.Sprintf("Operation %q (%d node(s), first here) is not a standard TensorFlow op: loading needs a custom kernel library this scan cannot inspect.", op, u.count),
			finding.Evidence{Call: op}))
	}
}

// checkNode applies the op classification to one node.
func checkNode(rep *report, ev *evaluator, sc *scope, idx map[string]*nodeDef, n *nodeDef) {
	loc := rep.cfg.at(n.off, sc.label, "node "+n.name)
	where := fmt.Sprintf("node %q in %s", n.name, sc.label)
	switch {
	case pythonOps[n.op]:
		args := upstreamStrings(idx, n, nil, ev.fed(sc))
		f := finding.New(finding.GraphUnsafeOp, loc,
			fmt.Sprintf("%s runs %s, which calls back into Python when the graph runs and can execute arbitrary code.", where, n.op),
			finding.Evidence{Call: n.op, Args: clipAll(args), Detail: "token=" + strings.Join(n.strs["token"], ",")})
		f.Severity = finding.Critical
		rep.add(f)
	case hostOps[n.op] != "":
		var args []string
		for i := range min(len(ev.dataInputs(n)), maxResolveStrs) {
			v, _ := ev.input(sc, n, i)
			args = appendNew(args, v.strs...)
		}
		args = appendNew(args, upstreamStrings(idx, n, nil, ev.fed(sc))...)
		if len(args) > maxResolveStrs {
			args = args[:maxResolveStrs]
		}
		rep.add(finding.New(finding.GraphUnsafeOp, loc,
			fmt.Sprintf("%s runs %s, which %s%s when the graph runs.", where, n.op, hostOps[n.op], describeArgs(args)),
			finding.Evidence{Call: n.op, Args: clipAll(args)}))
	case pathOps[n.op] != nil:
		checkPathOp(rep, ev, sc, idx, n, loc, where)
	default:
		checkAttrPath(rep, loc, where, n)
	}
}

// checkPathOp reports a path operation whose path, as far as constants
// determine it, leaves the model folder, or is computed from constants
// through an op the evaluator does not model. Paths from placeholders and
// variables (the checkpoint saver's file name) are the normal case.
func checkPathOp(rep *report, ev *evaluator, sc *scope, idx map[string]*nodeDef, n *nodeDef, loc finding.Location, where string) {
	// Evidence order: whole computed paths, then the raw constants found
	// upstream, then paths with a run-time part ({?}).
	var bad, partial []string
	computed := map[string]bool{}
	opaque, limit := "", false
	for _, i := range pathOps[n.op] {
		v, flags := ev.input(sc, n, i)
		for _, s := range v.strs {
			switch {
			case !escapesModel(s):
			case strings.Contains(s, unknownPart):
				partial = appendNew(partial, s)
			default:
				bad = appendNew(bad, s)
				computed[s] = computed[s] || v.derived
			}
		}
		if opaque == "" {
			opaque = v.opaque
		}
		limit = limit || flags&evLimit != 0
	}
	for _, s := range upstreamStrings(idx, n, pathOps[n.op], ev.fed(sc)) {
		if escapesModel(s) {
			bad = appendNew(bad, s)
			computed[s] = false
		}
	}
	bad = appendNew(bad, partial...)
	derived := len(bad) > 0 && (computed[bad[0]] || strings.Contains(bad[0], unknownPart))
	switch {
	case len(bad) > 0:
		what, how := "the constant path", ""
		if derived {
			what, how = "the path", " (built at run time from constants)"
		}
		rep.add(finding.New(finding.GraphUnsafeOp, loc,
			fmt.Sprintf("%s runs %s on %s %q%s, outside the model folder: it reads or writes files elsewhere on the host.", where, n.op, what, clip(bad[0]), how),
			finding.Evidence{Call: n.op, Args: clipAll(bad)}))
	case opaque != "":
		rep.add(finding.New(finding.GraphUnsafeOp, loc,
			fmt.Sprintf("%s runs %s on a path computed from constants through %s, which this scan does not evaluate: the model, not the caller, chooses which file is read or written.", where, n.op, opaque),
			finding.Evidence{Call: n.op, Detail: "path computed from constants through " + opaque}))
	case limit:
		rep.add(finding.New(finding.LimitReached, loc,
			fmt.Sprintf("%s runs %s on a path this scan could not resolve within its bounds (%d producers deep, %d nodes): where it reads or writes is unknown.", where, n.op, maxEvalDepth, maxEvalVisits),
			finding.Evidence{Call: n.op}))
	}
}

func appendNew(dst []string, ss ...string) []string {
	for _, s := range ss {
		if !slices.Contains(dst, s) && len(dst) < 4*maxResolveStrs {
			dst = append(dst, s)
		}
	}
	return dst
}

func checkAttrPath(rep *report, loc finding.Location, where string, n *nodeDef) {
	spec, ok := attrPathOps[n.op]
	if !ok {
		return
	}
	var bad []string
	for _, s := range n.strs[spec.attr] {
		if spec.bad(s) {
			bad = append(bad, s)
		}
	}
	if len(bad) > 0 {
		rep.add(finding.New(finding.GraphUnsafeOp, loc,
			fmt.Sprintf("%s runs %s with %s %q: it reads or writes outside the process when the graph runs.", where, n.op, spec.attr, clip(bad[0])),
			finding.Evidence{Call: n.op, Args: clipAll(bad)}))
	}
}

func describeArgs(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return fmt.Sprintf(" (constant argument %q)", clip(args[0]))
}

// maxEvidence bounds each string quoted in a finding.
const maxEvidence = 256

func clip(s string) string {
	if len(s) > maxEvidence {
		return s[:maxEvidence] + "..."
	}
	return s
}

func clipAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = clip(s)
	}
	return out
}
