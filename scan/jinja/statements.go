package jinja

// statement analyses one {% %} block by its keyword, binding the names it
// assigns; whatever the keyword-specific code does not consume goes
// through the generic expression scan.
func (a *analyser) statement(kw string, toks []token) {
	rest := toks
	if kw != "" {
		rest = toks[1:]
	}
	switch kw {
	case "set":
		rest = a.setStmt(rest)
	case "for":
		rest = a.forStmt(rest)
	case "macro":
		rest = a.macroStmt(rest)
	case "with":
		rest = a.withStmt(rest)
	case "if", "elif", "else", "endif", "endfor", "endmacro", "endwith", "endcall", "endfilter",
		"break", "continue", "do", "generation", "endgeneration", "include", "call", "filter",
		"block", "endblock", "extends", "import", "from", "endset", "autoescape", "endautoescape":
	default:
		rest = toks
	}
	a.generic(rest)
}

// targets reads assignment targets (a, b or ns.attr) up to stop.
func targets(toks []token, stop string) ([]string, []token) {
	var names []string
	i := 0
	for i < len(toks) {
		t := toks[i]
		if t.text == stop && (t.kind == tOp || t.kind == tName) {
			return names, toks[i+1:]
		}
		switch {
		case t.kind == tName && i+2 < len(toks) && toks[i+1].text == "." && toks[i+2].kind == tName:
			names = append(names, t.text+"."+toks[i+2].text)
			i += 3
			continue
		case t.kind == tName:
			names = append(names, t.text)
		case t.text == "," || t.text == "(" || t.text == ")":
		default:
			return nil, toks
		}
		i++
	}
	return nil, toks
}

func (a *analyser) assign(names []string, v val) {
	if len(names) == 1 {
		a.bind(names[0], v)
		return
	}
	elems, ok := v.elems()
	for i, n := range names {
		if ok && len(elems) == len(names) {
			a.bind(n, elems[i])
			continue
		}
		a.bind(n, val{taint: v.taint})
	}
}

func (a *analyser) setStmt(toks []token) []token {
	names, rest := targets(toks, "=")
	if names == nil {
		return toks
	}
	p := &parser{toks: rest}
	n, err := p.expr()
	if err != nil {
		return rest
	}
	a.assign(names, a.eval(n))
	a.recordNamespace(names, n)
	return rest[p.pos:]
}

// recordNamespace remembers ns = namespace(k=v, ...) so that ns.k resolves
// to v later.
func (a *analyser) recordNamespace(names []string, n *node) {
	if len(names) != 1 || n.op != "call" || n.kids[0].op != "name" || n.kids[0].name != "namespace" {
		return
	}
	for _, k := range n.kids[1:] {
		if k.op == "kw" {
			a.bind(names[0]+"."+k.name, a.eval(k.kids[0]))
		}
	}
}

func (a *analyser) forStmt(toks []token) []token {
	names, rest := targets(toks, "in")
	if names == nil {
		return toks
	}
	p := &parser{toks: rest}
	n, err := p.binary(0) // not expr(): a trailing "if" filters the loop
	if err != nil {
		return rest
	}
	iter := a.eval(n)
	elem := val{taint: iter.taint}
	if elems, ok := iter.elems(); ok && len(elems) > 0 {
		elem = anyOf(elems)
	}
	a.locals["loop"] = true
	a.assign(names, elem)
	return rest[p.pos:]
}

// macroStmt binds a macro's name and parameters; a parameter may take any
// value at a call, so it is its default or unknown.
func (a *analyser) macroStmt(toks []token) []token {
	if len(toks) == 0 || toks[0].kind != tName {
		return toks
	}
	a.locals[toks[0].text] = true
	p := &parser{toks: toks[1:]}
	if !p.isOp("(") {
		return toks[1:]
	}
	p.pos++
	for p.peek() != nil && !p.isOp(")") {
		t := p.peek()
		if t.kind != tName {
			p.pos++
			continue
		}
		p.pos++
		v := strVal(unknownStr)
		if p.isOp("=") {
			p.pos++
			d, err := p.expr()
			if err != nil {
				return toks[1+p.pos:]
			}
			v = union(v, a.eval(d))
		}
		a.bind(t.text, v)
		if p.isOp(",") {
			p.pos++
		}
	}
	if p.isOp(")") {
		p.pos++
	}
	return toks[1+p.pos:]
}

// withStmt binds {% with a = x, b = y %}.
func (a *analyser) withStmt(toks []token) []token {
	p := &parser{toks: toks}
	for p.peek() != nil && p.peek().kind == tName && p.pos+1 < len(toks) && toks[p.pos+1].text == "=" {
		name := p.peek().text
		p.pos += 2
		n, err := p.expr()
		if err != nil {
			return toks[p.pos:]
		}
		a.bind(name, a.eval(n))
		if p.isOp(",") {
			p.pos++
		}
	}
	return toks[p.pos:]
}
