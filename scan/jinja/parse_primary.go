package jinja

// primary parses a literal, a name, a parenthesised expression or tuple, a
// list or a dict.
func (p *parser) primary() (*node, error) {
	t := p.peek()
	if t == nil {
		return nil, errParse
	}
	off := t.off
	switch t.kind {
	case tName:
		p.pos++
		switch t.text {
		case "true", "false", "none", "True", "False", "None":
			return &node{op: "const", name: t.text, off: off}, nil
		}
		return &node{op: "name", name: t.text, off: off}, nil
	case tString:
		// Adjacent literals concatenate, as in Python: 'a' 'b' is "ab".
		s := ""
		for p.peek() != nil && p.peek().kind == tString {
			s += p.peek().text
			p.pos++
		}
		return &node{op: "str", name: s, off: off}, nil
	case tNumber:
		p.pos++
		return &node{op: "num", name: t.text, off: off}, nil
	}
	switch t.text {
	case "(":
		p.pos++
		return p.seq(")", "list", off)
	case "[":
		p.pos++
		return p.seq("]", "list", off)
	case "{":
		p.pos++
		return p.dict(off)
	}
	return nil, errParse
}

// seq parses comma-separated expressions up to close. A parenthesised
// single expression without a comma is returned as itself.
func (p *parser) seq(close, op string, off int) (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	n := &node{op: op, off: off}
	comma := false
	for !p.isOp(close) {
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		n.kids = append(n.kids, x)
		if !p.isOp(",") {
			break
		}
		comma = true
		p.pos++
	}
	if err := p.expect(close); err != nil {
		return nil, err
	}
	if close == ")" && len(n.kids) == 1 && !comma {
		return n.kids[0], nil
	}
	return n, nil
}

// dict parses {k: v, ...}; the node keeps keys and values alternately.
func (p *parser) dict(off int) (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	n := &node{op: "dict", off: off}
	for !p.isOp("}") {
		k, err := p.expr()
		if err != nil {
			return nil, err
		}
		if err := p.expect(":"); err != nil {
			return nil, err
		}
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		n.kids = append(n.kids, k, v)
		if !p.isOp(",") {
			break
		}
		p.pos++
	}
	return n, p.expect("}")
}

// postfix parses attribute access, subscripts, calls, filters and tests.
func (p *parser) postfix(x *node) (*node, error) {
	for steps := 0; ; steps++ {
		if steps > maxChain {
			return nil, errDepth
		}
		t := p.peek()
		if t == nil {
			return x, nil
		}
		var err error
		switch {
		case t.kind == tOp && t.text == ".":
			x, err = p.attr(x)
		case t.kind == tOp && t.text == "[":
			x, err = p.subscript(x)
		case t.kind == tOp && t.text == "(":
			x, err = p.call(x, "call", "")
		case t.kind == tOp && t.text == "|":
			x, err = p.filter(x)
		case t.kind == tName && t.text == "is":
			x, err = p.test(x)
		default:
			return x, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func (p *parser) attr(x *node) (*node, error) {
	off := p.off()
	p.pos++
	t := p.peek()
	if t == nil || (t.kind != tName && t.kind != tNumber) {
		return nil, errParse
	}
	p.pos++
	return &node{op: "attr", name: t.text, kids: []*node{x}, off: off}, nil
}

// subscript parses x[i] or a slice x[a:b:c]; a slice node has three kids
// after x, nil where omitted.
func (p *parser) subscript(x *node) (*node, error) {
	off := p.off()
	p.pos++
	var parts []*node
	cur := (*node)(nil)
	colons := 0
	for !p.isOp("]") {
		if p.isOp(":") {
			parts = append(parts, cur)
			cur = nil
			colons++
			p.pos++
			continue
		}
		if cur != nil {
			return nil, errParse
		}
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		cur = e
	}
	p.pos++
	parts = append(parts, cur)
	if colons == 0 {
		if cur == nil {
			return nil, errParse
		}
		return &node{op: "item", kids: []*node{x, cur}, off: off}, nil
	}
	for len(parts) < 3 {
		parts = append(parts, nil)
	}
	return &node{op: "slice", kids: append([]*node{x}, parts[:3]...), off: off}, nil
}

// call parses an argument list; keyword arguments become "kw" nodes and
// *args/**kwargs "star" nodes. The callee (or filtered value) is kids[0].
func (p *parser) call(x *node, op, name string) (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	n := &node{op: op, name: name, kids: []*node{x}, off: p.off()}
	p.pos++
	for !p.isOp(")") {
		a, err := p.arg()
		if err != nil {
			return nil, err
		}
		n.kids = append(n.kids, a)
		if !p.isOp(",") {
			break
		}
		p.pos++
	}
	return n, p.expect(")")
}

func (p *parser) arg() (*node, error) {
	off := p.off()
	if p.isOp("*") || p.isOp("**") {
		p.pos++
		v, err := p.expr()
		return &node{op: "star", kids: []*node{v}, off: off}, err
	}
	t := p.peek()
	if t != nil && t.kind == tName && p.pos+1 < len(p.toks) && p.toks[p.pos+1].text == "=" && p.toks[p.pos+1].kind == tOp {
		p.pos += 2
		v, err := p.expr()
		return &node{op: "kw", name: t.text, kids: []*node{v}, off: off}, err
	}
	return p.expr()
}

// filter parses |name, |name(args), with dotted filter names allowed.
func (p *parser) filter(x *node) (*node, error) {
	off := p.off()
	p.pos++
	name, err := p.dottedName()
	if err != nil {
		return nil, err
	}
	if p.isOp("(") {
		n, err := p.call(x, "filter", name)
		if n != nil {
			n.off = off
		}
		return n, err
	}
	return &node{op: "filter", name: name, kids: []*node{x}, off: off}, nil
}

func (p *parser) dottedName() (string, error) {
	t := p.peek()
	if t == nil || t.kind != tName {
		return "", errParse
	}
	p.pos++
	name := t.text
	for p.isOp(".") && p.pos+1 < len(p.toks) && p.toks[p.pos+1].kind == tName {
		name += "." + p.toks[p.pos+1].text
		p.pos += 2
	}
	return name, nil
}

// test parses "is [not] name", with arguments in parentheses or a single
// bare argument (x is divisibleby 3).
func (p *parser) test(x *node) (*node, error) {
	off := p.off()
	p.pos++
	neg := p.isName("not")
	if neg {
		p.pos++
	}
	name, err := p.dottedName()
	if err != nil {
		return nil, err
	}
	if p.isOp("(") {
		return p.call(x, "test", name)
	}
	n := &node{op: "test", name: name, kids: []*node{x}, off: off}
	if t := p.peek(); t != nil && bareTestArg(t) {
		a, err := p.primary()
		if err != nil {
			return nil, err
		}
		if a, err = p.postfix(a); err != nil {
			return nil, err
		}
		n.kids = append(n.kids, a)
	}
	return n, nil
}

func bareTestArg(t *token) bool {
	switch t.kind {
	case tString, tNumber:
		return true
	case tName:
		switch t.text {
		case "and", "or", "else", "if", "in", "is", "not", "recursive":
			return false
		}
		return true
	}
	return t.text == "[" || t.text == "{"
}
