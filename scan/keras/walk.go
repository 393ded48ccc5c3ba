package keras

import (
	"fmt"
	"strings"

	"github.com/modelward/modelward/finding"
)

// walk visits every value of the document. Recursion is bounded by the
// decoder's depth limit.
func (c *checker) walk(n *node, p *pathSeg, label string) {
	if c.capped {
		return // nothing more would be reported
	}
	switch n.kind {
	case kindObj:
		label = c.object(n, p, label)
		for i, k := range n.keys {
			c.walk(n.items[i], &pathSeg{parent: p, key: k, index: -1}, label)
		}
	case kindArr:
		for i, it := range n.items {
			c.walk(it, &pathSeg{parent: p, index: i}, label)
		}
	case kindStr:
		if isUnsafeSwitch(n.s) && !c.consumed[n] {
			c.add(finding.KerasUnsafeMode, finding.Critical, n, p,
				fmt.Sprintf("The Keras configuration %s names enable_unsafe_deserialization%s: resolving it switches Keras's safe mode off, so Lambda bytecode and arbitrary objects in the model are then loaded and run (CVE-2025-9906).", c.where, in(label)),
				finding.Evidence{Call: "keras.config.enable_unsafe_deserialization()", Detail: quoteShort(n.s)})
		}
	}
}

// object checks one JSON object and returns the label for its children.
func (c *checker) object(n *node, p *pathSeg, label string) string {
	cls, _ := n.get("class_name").str()
	if cls != "" && cls != "function" && !specialClasses[cls] {
		label = layerLabel(n, cls)
	}
	// Keras 3 falls back to the registered name when the class name is
	// not found in the module, so either may make the object a Lambda or
	// a lookup layer.
	reg, _ := n.get("registered_name").str()
	if cls != "" && lastDotted(cls) == "Lambda" || reg != "" && lastDotted(reg[strings.LastIndexByte(reg, '>')+1:]) == "Lambda" {
		c.lambdaLayer(n, p, label)
	}
	if isLookupLayer(cls) || isLookupLayer(reg) {
		c.vocabularyPath(n, p, label)
	}
	if isTFOpLayer(cls) || isTFOpLayer(reg) {
		c.tfOpLambda(n, p, label)
	}
	c.looseLambdas(n, p, label)
	c.safeMode(n, p, label)
	c.references(n, p, cls, label)
	return label
}

// layerLabel names an object for messages: 'dense_1' (Dense).
func layerLabel(n *node, cls string) string {
	name, ok := n.get("name").str()
	if !ok {
		name, ok = n.get("config").get("name").str()
	}
	if !ok {
		return cls
	}
	return fmt.Sprintf("%q (%s)", name, cls)
}

func in(label string) string {
	if label == "" {
		return ""
	}
	return " in " + label
}

func lastDotted(s string) string {
	return s[strings.LastIndexByte(s, '.')+1:]
}

// safeMode reports a safe_mode key anywhere: Keras never writes one into
// a model's configuration, and a false value is the CVE-2025-9906 bypass.
func (c *checker) safeMode(n *node, p *pathSeg, label string) {
	for i, k := range n.keys {
		if strings.ToLower(strings.TrimSpace(k)) != "safe_mode" {
			continue
		}
		v := n.items[i]
		sev, what := finding.Critical, "switches safe mode off"
		if v.kind == kindBool && v.b {
			sev, what = finding.Low, "sets safe mode (to true, which changes nothing, but Keras never writes it)"
		}
		c.add(finding.KerasUnsafeMode, sev, v, &pathSeg{parent: p, key: k, index: -1},
			fmt.Sprintf("The Keras configuration %s carries safe_mode: %s%s, which %s for objects deserialised from it (CVE-2025-9906).", c.where, render(v), in(label), what),
			finding.Evidence{Detail: "safe_mode = " + render(v)})
	}
}

// render shows a scalar JSON value briefly.
func render(v *node) string {
	switch v.kind {
	case kindStr:
		return quoteShort(v.s)
	case kindArr, kindObj:
		return kindWord(v.kind)
	}
	return v.s
}

func quoteShort(s string) string {
	if len(s) > maxStringShown {
		s = s[:maxStringShown] + "…"
	}
	return fmt.Sprintf("%q", s)
}
