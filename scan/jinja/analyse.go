package jinja

import "strings"

// Issue is one dangerous expression found in a template.
type Issue struct {
	Offset int    // byte offset of the block in the template
	Expr   string // the offending snippet, at most 200 bytes
	Reason string
	// Limit is set when analysis stopped at a bound rather than on a
	// finding: the template was not fully inspected.
	Limit bool
}

const maxExpr = 200

// Check lexes and analyses a template; it never executes it. Assignments
// are collected in a first pass so that a name set after its use (in a
// loop or macro) is still resolved; the second pass reports.
func Check(tmpl string) []Issue {
	lx := lex(tmpl)
	a := newAnalyser()
	a.walk(tmpl, lx.blocks, nil)
	var issues []Issue
	a.walk(tmpl, lx.blocks, func(b block) {
		issues = append(issues, Issue{Offset: b.start, Expr: snippet(tmpl, b.start, b.end),
			Reason: strings.Join(a.reasons, "; ")})
	})
	if lx.failAt >= 0 && dangerousText(tmpl[lx.failAt:]) {
		issues = append(issues, Issue{Offset: lx.failAt, Expr: snippet(tmpl, lx.failAt, len(tmpl)),
			Reason: "the template stops lexing here (unclosed block, comment or string) and the unlexed text names Python internals"})
	}
	if a.tooBig {
		issues = append(issues, Issue{Offset: 0, Expr: snippet(tmpl, 0, len(tmpl)), Limit: true,
			Reason: "template too large or complex to analyse within the scanner's limits"})
	}
	if a.deepAt >= 0 {
		issues = append(issues, Issue{Offset: a.deepAt, Expr: snippet(tmpl, a.deepAt, len(tmpl)), Limit: true,
			Reason: "an expression is nested or chained beyond the analyser's depth limit; only its tokens were checked"})
	}
	return issues
}

func snippet(src string, start, end int) string {
	if end-start > maxExpr {
		end = start + maxExpr
	}
	for end > start && end < len(src) && !validBoundary(src, end) {
		end--
	}
	return src[start:end]
}

// validBoundary reports whether i does not split a UTF-8 sequence.
func validBoundary(s string, i int) bool { return s[i]&0xC0 != 0x80 }

// walk runs every block through the analyser. report, when not nil, is
// called for each block that produced reasons.
func (a *analyser) walk(src string, blocks []block, report func(block)) {
	capture, captureAt, captured := "", 0, 0
	for i, b := range blocks {
		a.reasons = a.reasons[:0]
		kw := ""
		if b.stmt && len(b.toks) > 0 && b.toks[0].kind == tName {
			kw = b.toks[0].text
		}
		switch {
		case !b.stmt:
			a.generic(b.toks)
		case kw == "set" && !hasAssign(b.toks):
			capture, captureAt, captured = a.blockSetTarget(b.toks), b.end, i
		case kw == "endset" && capture != "":
			a.bindCapture(capture, src[captureAt:b.start], i-captured == 1)
			capture = ""
		default:
			a.statement(kw, b.toks)
		}
		if report != nil && len(a.reasons) > 0 {
			report(b)
		}
		if a.tooBig {
			return
		}
	}
}

func hasAssign(toks []token) bool {
	depth := 0
	for _, t := range toks {
		if t.kind != tOp {
			continue
		}
		depth = trackDepth(t, depth)
		if t.text == "=" && depth == 0 {
			return true
		}
	}
	return false
}

func (a *analyser) blockSetTarget(toks []token) string {
	if len(toks) > 1 && toks[1].kind == tName {
		return toks[1].text
	}
	return ""
}

// bindCapture binds {% set x %}text{% endset %}: constant text when no
// block came between, otherwise unknown.
func (a *analyser) bindCapture(name, text string, plain bool) {
	if !plain {
		a.bind(name, strVal(unknownStr))
		return
	}
	a.bind(name, strVal(text, strings.TrimSpace(text)))
}

// generic parses toks as a run of expressions; tokens that do not parse
// are scanned one by one so nothing escapes the checks.
func (a *analyser) generic(toks []token) {
	p := &parser{toks: toks}
	for p.pos < len(toks) {
		start := p.pos
		n, err := p.expr()
		if err == nil && p.pos > start {
			a.eval(n)
			continue
		}
		if err == errDepth {
			// Re-parsing from every later token would be quadratic:
			// scan the rest of the block token by token instead.
			for _, t := range toks[start:] {
				a.scanToken(t)
			}
			if a.deepAt < 0 {
				a.deepAt = toks[start].off
			}
			return
		}
		p.pos, p.depth = start+1, 0
		a.scanToken(toks[start])
	}
}

// scanToken is the fallback for a token outside any parsed expression.
func (a *analyser) scanToken(t token) {
	switch t.kind {
	case tName:
		if strings.HasPrefix(t.text, "__") || internalAttrs[t.text] || execAttrs[t.text] {
			a.flag("unparsed reference to %q", t.text)
		}
	case tString:
		if dangerousText(t.text) {
			a.flag("unparsed string naming Python internals: %q", printable(t.text))
		}
	}
}
