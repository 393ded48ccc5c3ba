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
	a.walk(lx.blocks, nil)
	var issues []Issue
	a.walk(lx.blocks, func(b block) {
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

// frame collects the output of a block whose text becomes a value:
// {% set x %}...{% endset %}, a macro body, {% filter %}...{% endfilter %}.
type frame struct {
	kw   string  // "set", "macro" or "filter"
	name string  // the variable or macro
	toks []token // filters applied to the text (set and filter blocks)
	out  []string
	done bool
}

// add appends possible output to the frame.
func (a *analyser) add(f *frame, s []string) {
	if f.done {
		return
	}
	f.out = concat(f.out, s)
	f.done = saturated(f.out) || !a.charged(f.out)
}

// data appends template text, as is or stripped by whitespace control.
func (a *analyser) data(f *frame, text string) {
	if text == "" {
		return
	}
	a.add(f, []string{text, strings.TrimSpace(text)})
}

// walk runs every block through the analyser. report, when not nil, is
// called for each block that produced reasons. The text of set blocks,
// macro bodies and filter blocks is collected, with the values their
// expressions print, as the value of the variable, macro call or filter.
func (a *analyser) walk(blocks []block, report func(block)) {
	var frames []*frame
	top := func() *frame {
		if len(frames) == 0 {
			return nil
		}
		return frames[len(frames)-1]
	}
	for _, b := range blocks {
		a.reasons = a.reasons[:0]
		kw := ""
		if b.stmt && len(b.toks) > 0 && b.toks[0].kind == tName {
			kw = b.toks[0].text
		}
		f := top()
		if f != nil {
			a.data(f, b.pre)
		}
		a.literals(b)
		switch {
		case !b.stmt:
			v := a.generic(b.toks)
			if f != nil {
				a.add(f, v.asStrs())
			}
		case kw == "set" && !hasAssign(b.toks) || kw == "filter":
			nf := &frame{kw: kw, out: []string{""}}
			if kw == "set" {
				nf.name = a.blockSetTarget(b.toks)
				if len(b.toks) > 2 {
					nf.toks = b.toks[2:]
				}
			} else if len(b.toks) > 1 {
				nf.toks = append([]token{{kind: tOp, text: "|", off: b.toks[1].off}}, b.toks[1:]...)
			}
			frames = append(frames, nf)
		case kw == "macro":
			a.statement(kw, b.toks)
			name := ""
			if len(b.toks) > 1 && b.toks[1].kind == tName {
				name = b.toks[1].text
			}
			frames = append(frames, &frame{kw: kw, name: name, out: []string{""}})
		case f != nil && kw == "end"+f.kw:
			frames = frames[:len(frames)-1]
			a.closeFrame(f, top())
		default:
			a.statement(kw, b.toks)
			if f != nil && outputs[kw] {
				a.add(f, []string{unknownStr})
			}
		}
		if report != nil && len(a.reasons) > 0 {
			report(b)
		}
		if a.tooBig {
			return
		}
	}
}

// outputs are statements whose body may be output more than once, not at
// all, or in place of other text.
var outputs = set("for", "endfor", "elif", "else", "call", "endcall", "include", "block", "endblock")

// closeFrame binds the text a frame collected: to its variable, to its
// macro, or (a filter block) as output of the enclosing frame.
func (a *analyser) closeFrame(f, parent *frame) {
	v := strVal(f.out...)
	v.lit = v.textual() && !v.known()
	if len(f.toks) > 0 && f.toks[0].kind == tOp && f.toks[0].text == "|" {
		v = a.applyTokens(v, f.toks)
	}
	switch f.kw {
	case "set":
		if f.name != "" {
			a.bind(f.name, v)
		}
	case "macro":
		if f.name != "" {
			if old, ok := a.macros[f.name]; ok {
				v = union(old, v)
			}
			a.macros[f.name] = v
		}
	case "filter":
		if parent != nil {
			a.add(parent, v.asStrs())
		}
	}
}

// capName is the name under which captured text is bound while the filters
// of its block are applied; the lexer never produces it.
const capName = "\x00captured"

// applyTokens evaluates "captured | filter(...) | ..." with toks the
// filter part.
func (a *analyser) applyTokens(v val, toks []token) val {
	old, had := a.env[capName]
	a.env[capName] = v
	defer func() {
		if had {
			a.env[capName] = old
		} else {
			delete(a.env, capName)
		}
	}()
	all := append([]token{{kind: tName, text: capName, off: toks[0].off}}, toks...)
	p := &parser{toks: all}
	n, err := p.expr()
	if err != nil {
		return val{lit: v.textual()}
	}
	return a.eval(n)
}

// literals is the backstop for names built through operations the
// analyser does not model: a string literal inside an expression or
// statement that names Python internals is reported wherever it is used.
// A block that only prints literals is template text and is left alone.
func (a *analyser) literals(b block) {
	printOnly := !b.stmt
	for _, t := range b.toks {
		printOnly = printOnly && t.kind == tString
	}
	if printOnly {
		return
	}
	for _, t := range b.toks {
		if t.kind == tString && internalText(t.text) {
			a.flag("string literal naming Python internals: %q", printable(t.text))
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

// generic parses toks as a run of expressions; tokens that do not parse
// are scanned one by one so nothing escapes the checks. It returns the
// value printed: that of the expression when toks are exactly one.
func (a *analyser) generic(toks []token) val {
	p := &parser{toks: toks}
	out, exprs := strVal(unknownStr), 0
	for p.pos < len(toks) {
		start := p.pos
		n, err := p.expr()
		if err == nil && p.pos > start {
			v := a.eval(n)
			if exprs++; exprs == 1 && p.pos == len(toks) {
				out = v
			}
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
			return strVal(unknownStr)
		}
		p.pos, p.depth = start+1, 0
		a.scanToken(toks[start])
	}
	if exprs != 1 {
		return strVal(unknownStr)
	}
	return out
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
