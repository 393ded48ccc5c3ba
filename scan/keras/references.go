package keras

import (
	"fmt"
	"strings"

	"github.com/modelward/modelward/finding"
)

// references checks the module, class and registered names of one object
// (MW309, MW310, MW311), and the module + name of Keras 2 named functions.
func (c *checker) references(n *node, p *pathSeg, cls, label string) {
	named := c.namedFunctions(n, p, label)
	modNode := n.get("module")
	module, hasModule := modNode.str()
	reg, _ := n.get("registered_name").str()
	if cls == "" {
		// Only objects in Keras's {class_name, config, module} form are
		// resolved by module; a Keras 2 lambda's module only supplies its
		// globals, so there only a dangerous one is worth a word.
		if _, ok := n.get("function_type").str(); hasModule && ok && !named {
			if v := judgeRef(ref{module: module}); v.sev == finding.Critical {
				c.moduleRef(n, p, ref{module: module, field: "module"}, reg, label)
			}
		}
		return
	}
	name := cls
	if cls == "function" {
		if fn, ok := n.get("config").str(); ok {
			name = fn
		}
	}
	switch {
	case hasModule:
		c.moduleRef(n, p, registeredFallback(ref{module: module, name: name, field: "module"}, reg), reg, label)
	case strings.Contains(cls, ".") && !specialClasses[cls]:
		i := strings.LastIndexByte(cls, '.')
		c.moduleRef(n, p, ref{module: cls[:i], name: cls[i+1:], field: "class_name"}, reg, label)
	default:
		if v := judgeBare(cls); v.rule != "" {
			c.reportRef(n, p, ref{name: cls, field: "class_name"}, v, label)
			return
		}
		c.customObject(n, p, cls, reg, label)
	}
}

// registeredFallback: when the name is not in the module, Keras 3 falls
// back to vars(module).get(registered_name), so {"module": "keras.layers",
// "class_name": "Dense", "registered_name": "TFSMLayer"} can build a
// TFSMLayer. A plain registered name (no "package>" key) that is
// critical where the class name is not is judged in its place.
func registeredFallback(r ref, reg string) ref {
	if reg == "" || reg == r.name || reg == "function" || strings.Contains(reg, ">") {
		return r
	}
	alt := ref{module: r.module, name: reg, field: "registered_name"}
	av := judgeRef(alt)
	if av.rule == "" || av.rule == finding.KerasCustomObject || av.sev < finding.Critical {
		return r
	}
	if v := judgeRef(r); v.rule != "" && v.rule != finding.KerasCustomObject && v.sev >= av.sev {
		return r
	}
	return alt
}

// moduleRef reports a module + name reference by its verdict.
func (c *checker) moduleRef(n *node, p *pathSeg, r ref, reg, label string) {
	v := judgeRef(r)
	if v.rule == "" {
		c.customObject(n, p, r.name, reg, label)
		return
	}
	if v.rule == finding.KerasCustomObject {
		c.custom(n, p, r.name, label, v.why)
		return
	}
	if v.rule == finding.KerasUnsafeReference && v.sev < finding.Critical && isRegisteredCustom(r, reg) {
		c.custom(n, p, r.name, label, "it is registered as "+quoteShort(reg)+" from module "+quoteShort(r.module)+", which the user's code must supply")
		return
	}
	c.reportRef(n, p, r, v, label)
}

// reportRef writes the finding for an unsafe reference.
func (c *checker) reportRef(n *node, p *pathSeg, r ref, v verdict, label string) {
	c.markUnsafeStrings(n)
	target := joinRef(r.module, r.name)
	detail := "module " + quoteShort(r.module) + ", name " + quoteShort(r.name)
	if r.module == "" {
		detail = "bare class name " + quoteShort(r.name)
	}
	c.add(v.rule, v.sev, n, p,
		fmt.Sprintf("The Keras configuration %s refers to %s through its %s field%s: %s.", c.where, quoteShort(target), r.field, in(label), v.why),
		finding.Evidence{Import: target, Detail: detail})
}

// isRegisteredCustom: a custom class from an ordinary module, saved with
// its registry key ("package>ClassName"), is how Keras 3 writes the user's
// own objects; Keras resolves it from the user's registry.
func isRegisteredCustom(r ref, reg string) bool {
	_, name, ok := splitRegistered(reg)
	return ok && name == r.name && !dangerousRoots[strings.ToLower(moduleRoot(r.module))]
}

// markUnsafeStrings stops the string walk reporting an
// enable_unsafe_deserialization name a second time.
func (c *checker) markUnsafeStrings(n *node) {
	for _, v := range n.items {
		if v.kind == kindStr {
			c.consumed[v] = true
		}
	}
	if cfg := n.get("config"); cfg != nil && cfg.kind == kindStr {
		c.consumed[cfg] = true
	}
}

// customObject reports names that need the user's code: registry keys
// ("package>Name") other than Keras's own, and class names no Keras
// registry knows.
func (c *checker) customObject(n *node, p *pathSeg, cls, reg, label string) {
	switch {
	case specialClasses[cls] || cls == "function" && (reg == "" || reg == "function"):
		return
	case reg != "" && reg != cls && reg != "function" && !isKerasRegistered(reg):
		c.registryKey(n, p, reg, label)
	case strings.Contains(cls, ">") && !isKerasRegistered(cls):
		c.registryKey(n, p, cls, label)
	case cls != "" && !builtinClasses[cls] && !isKerasRegistered(cls) && n.get("module") == nil:
		c.custom(n, p, cls, label, "no Keras registry knows that class name")
	}
}

// registryKey reports a "package>Name" key; a package that imitates a
// dangerous module is high, since Keras only looks such keys up in the
// user's registry but the name is an obvious lure.
func (c *checker) registryKey(n *node, p *pathSeg, key, label string) {
	pkg, _, _ := splitRegistered(key)
	if dangerousRoots[strings.ToLower(moduleRoot(strings.TrimSpace(pkg)))] {
		c.add(finding.KerasUnsafeReference, finding.High, n, p,
			fmt.Sprintf("The Keras configuration %s registers an object as %s%s, imitating the dangerous module %s; Keras resolves such keys only from the user's registry, so this is a lure or a probe for a registered gadget.", c.where, quoteShort(key), in(label), pkg),
			finding.Evidence{Import: key})
		return
	}
	c.custom(n, p, key, label, "it is a registered custom object that the user's code must supply")
}

func (c *checker) custom(n *node, p *pathSeg, name, label, why string) {
	c.add(finding.KerasCustomObject, finding.Low, n, p,
		fmt.Sprintf("The Keras configuration %s needs the custom object %s%s: %s; review that code, which this scan cannot see.", c.where, quoteShort(name), in(label), why),
		finding.Evidence{Import: name})
}

// namedFunctions checks Keras 2 function references: function_type
// "function" (or "raw" with a module) names a function by its __name__ and module, which
// tf.keras's Lambda and other wrappers look up and call.
func (c *checker) namedFunctions(n *node, p *pathSeg, label string) (reported bool) {
	pairs := []struct{ value, typeKey, moduleKey string }{
		{"function", "function_type", "module"},
		{"output_shape", "output_shape_type", "output_shape_module"},
	}
	for _, pr := range pairs {
		ft, _ := n.get(pr.typeKey).str()
		name, ok := n.get(pr.value).str()
		module, _ := n.get(pr.moduleKey).str()
		// "raw" is how the value itself is kept; a string with a module
		// beside it is read as a named function, to be safe.
		if !ok || !(ft == "function" || ft == "raw" && module != "") {
			continue
		}
		r := ref{module: module, name: name, field: pr.typeKey + " \"function\""}
		if v := judgeRef(r); v.rule != "" && v.rule != finding.KerasCustomObject {
			c.markUnsafeStrings(n)
			target := joinRef(module, name)
			c.add(v.rule, v.sev, n, p,
				fmt.Sprintf("The Keras configuration %s calls the named function %s%s: %s.", c.where, quoteShort(target), in(label), v.why),
				finding.Evidence{Import: target})
			reported = true
		}
	}
	return reported
}
