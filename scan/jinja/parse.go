package jinja

import "errors"

// node is an expression tree node. op is one of: name, str, num, const,
// list, dict, attr, item, slice, call, filter, test, bin, unary, cond, kw,
// star. name holds the identifier, attribute, filter/test name, operator or
// keyword-argument name; kids the operands in source order.
type node struct {
	op   string
	name string
	kids []*node
	off  int
}

// maxDepth bounds recursion on hostile nesting such as "((((((..."; maxChain
// bounds operator chains and postfix chains, whose trees are as deep as
// they are long.
const (
	maxDepth = 200
	maxChain = 1000
)

var (
	errParse = errors.New("jinja: cannot parse expression")
	errDepth = errors.New("jinja: expression nested or chained too deeply")
)

// parser is a recursive-descent parser for Jinja expressions, following
// the precedence of jinja2.parser: conditional, or, and, not, comparison,
// + -, ~, * / // %, **, unary, then primary with postfix . [] () and
// filters/tests. It is lenient where Jinja is strict: the aim is to see
// what a template would do, not to validate it.
type parser struct {
	toks  []token
	pos   int
	depth int
}

func (p *parser) peek() *token {
	if p.pos < len(p.toks) {
		return &p.toks[p.pos]
	}
	return nil
}

func (p *parser) isOp(s string) bool {
	t := p.peek()
	return t != nil && t.kind == tOp && t.text == s
}

func (p *parser) isName(s string) bool {
	t := p.peek()
	return t != nil && t.kind == tName && t.text == s
}

func (p *parser) off() int {
	if t := p.peek(); t != nil {
		return t.off
	}
	return -1
}

func (p *parser) expect(s string) error {
	if !p.isOp(s) {
		return errParse
	}
	p.pos++
	return nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return errDepth
	}
	return nil
}

// expr parses a conditional expression: a if cond else b.
func (p *parser) expr() (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	a, err := p.binary(0)
	if err != nil || !p.isName("if") {
		return a, err
	}
	off := p.off()
	p.pos++
	c, err := p.binary(0)
	if err != nil {
		return nil, err
	}
	n := &node{op: "cond", kids: []*node{a, c}, off: off}
	if p.isName("else") {
		p.pos++
		b, err := p.expr()
		if err != nil {
			return nil, err
		}
		n.kids = append(n.kids, b)
	}
	return n, nil
}

// levels lists binary operators from loosest to tightest binding.
var levels = [][]string{
	{"or"}, {"and"}, nil /* not */, {"==", "!=", "<", ">", "<=", ">=", "in", "not in"},
	{"+", "-"}, {"~"}, {"*", "/", "//", "%"}, {"**"},
}

func (p *parser) binary(level int) (*node, error) {
	if level == len(levels) {
		return p.unary()
	}
	if levels[level] == nil {
		if p.isName("not") {
			off := p.off()
			p.pos++
			if err := p.enter(); err != nil {
				return nil, err
			}
			x, err := p.binary(level)
			p.depth--
			return &node{op: "unary", name: "not", kids: []*node{x}, off: off}, err
		}
		return p.binary(level + 1)
	}
	a, err := p.binary(level + 1)
	for chain := 0; err == nil; chain++ {
		if chain > maxChain {
			return nil, errDepth
		}
		op := p.binOp(levels[level])
		if op == "" {
			return a, nil
		}
		off := p.off()
		p.pos += len(splitOp(op))
		var b *node
		b, err = p.binary(level + 1)
		a = &node{op: "bin", name: op, kids: []*node{a, b}, off: off}
	}
	return nil, err
}

func splitOp(op string) []string {
	if op == "not in" {
		return []string{"not", "in"}
	}
	return []string{op}
}

// binOp returns the operator of ops at the current position, or "".
func (p *parser) binOp(ops []string) string {
	t := p.peek()
	if t == nil {
		return ""
	}
	for _, op := range ops {
		switch op {
		case "or", "and", "in":
			if t.kind == tName && t.text == op {
				return op
			}
		case "not in":
			if t.kind == tName && t.text == "not" && p.pos+1 < len(p.toks) && p.toks[p.pos+1].text == "in" {
				return op
			}
		default:
			if t.kind == tOp && t.text == op {
				return op
			}
		}
	}
	return ""
}

func (p *parser) unary() (*node, error) {
	if p.isOp("-") || p.isOp("+") {
		off := p.off()
		op := p.peek().text
		p.pos++
		if err := p.enter(); err != nil {
			return nil, err
		}
		x, err := p.unary()
		p.depth--
		return &node{op: "unary", name: op, kids: []*node{x}, off: off}, err
	}
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	return p.postfix(x)
}
