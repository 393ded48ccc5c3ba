package keras

import (
	"fmt"
	"strings"

	"github.com/modelward/modelward/finding"
)

// payload is one serialised function: bytecode to decode, or a reference
// to a named function.
type payload struct {
	role string // "function", "output_shape", "mask"
	code string
	has  bool   // code holds bytecode
	ref  string // "module.name" for a named function
}

// payloadOf extracts a function from the forms Keras writes:
//   - Keras 2 lambda: [base64 code, defaults, closure] (or a bare string);
//   - Keras 2 named function: its name, with the module beside it;
//   - Keras 3 Lambda: {"class_name": "__lambda__", "config": {"code": ...}};
//   - Keras 3 serialize_keras_object: {"class_name": "__lambda__",
//     "config": {"value": [code, defaults, closure]}};
//   - Keras 3 named function: {"module": m, "class_name": "function", "config": name}.
func payloadOf(role string, v *node, fnType, module string) (payload, bool) {
	pl := payload{role: role}
	switch {
	case v == nil || v.kind == kindNull:
		return pl, false
	case v.kind == kindArr && len(v.items) > 0:
		pl.code, pl.has = v.items[0].str()
	case v.kind == kindStr && fnType == "lambda":
		pl.code, pl.has = v.s, true
	case v.kind == kindStr && (fnType == "function" || fnType == "raw" && module != ""):
		pl.ref = joinRef(module, v.s)
	case v.kind == kindObj:
		return objectPayload(pl, v)
	default:
		return pl, false
	}
	return pl, pl.has || pl.ref != ""
}

func objectPayload(pl payload, v *node) (payload, bool) {
	cls, _ := v.get("class_name").str()
	cfg := v.get("config")
	if cls == "__lambda__" {
		if code, ok := cfg.get("code").str(); ok {
			pl.code, pl.has = code, true
		} else if val := cfg.get("value"); val != nil {
			p2, _ := payloadOf(pl.role, val, "lambda", "")
			pl.code, pl.has = p2.code, p2.has
		}
		if !pl.has {
			pl.has, pl.code = true, ""
		}
		return pl, true
	}
	mod, _ := v.get("module").str()
	name, _ := cfg.str()
	if name == "" {
		name = cls
	}
	pl.ref = joinRef(mod, name)
	return pl, pl.ref != ""
}

func joinRef(module, name string) string {
	if module == "" {
		return name
	}
	if name == "" {
		return module
	}
	return module + "." + name
}

// lambdaPayloads collects the serialised functions of a Lambda config or a
// loose function dict, marking them as reported.
func (c *checker) lambdaPayloads(cfg *node) []payload {
	if cfg == nil || cfg.kind != kindObj {
		return nil
	}
	c.consumed[cfg] = true
	module, _ := cfg.get("module").str()
	var out []payload
	roles := []struct{ key, typeKey, moduleKey string }{
		{"function", "function_type", "module"},
		{"output_shape", "output_shape_type", "output_shape_module"},
		{"mask", "mask_type", "mask_module"},
	}
	for _, r := range roles {
		v := cfg.get(r.key)
		ft, _ := cfg.get(r.typeKey).str()
		if r.key != "function" && ft == "" && !(v != nil && v.kind == kindObj) {
			continue // output shapes as plain tuples
		}
		m := module
		if r.moduleKey != "module" {
			m, _ = cfg.get(r.moduleKey).str()
		}
		if pl, ok := payloadOf(r.key, v, defaultType(ft), m); ok {
			if v.kind == kindObj {
				c.consumed[v] = true
			}
			out = append(out, pl)
		}
	}
	return out
}

// defaultType: Keras 3 configs carry no function_type; a string function
// there is bytecode only in Keras 2 lambda form.
func defaultType(ft string) string {
	if ft == "" {
		return "lambda"
	}
	return ft
}

// lambdaLayer reports a Lambda layer with what its functions reference.
func (c *checker) lambdaLayer(n *node, p *pathSeg, label string) {
	cfg := n.get("config")
	pls := c.lambdaPayloads(cfg)
	c.reportLambda(n, p, "Lambda layer "+label, pls)
}

// looseLambdas reports serialised bytecode outside a Lambda layer: a
// "__lambda__" object (Keras 3) or a function_type "lambda" (Keras 2) in a
// custom layer, loss or metric config.
func (c *checker) looseLambdas(n *node, p *pathSeg, label string) {
	if c.consumed[n] {
		return
	}
	if cls, _ := n.get("class_name").str(); cls == "__lambda__" {
		c.consumed[n] = true
		pl, _ := objectPayload(payload{role: "function"}, n)
		c.reportLambda(n, p, "A serialised Python lambda"+in(label), []payload{pl})
		return
	}
	for _, k := range []string{"function_type", "output_shape_type", "mask_type"} {
		if ft, _ := n.get(k).str(); ft == "lambda" {
			c.reportLambda(n, p, "A serialised Python function"+in(label), c.lambdaPayloads(n))
			return
		}
	}
}

// reportLambda writes one MW308 finding for a set of payloads.
func (c *checker) reportLambda(n *node, p *pathSeg, subject string, pls []payload) {
	var ev finding.Evidence
	var details, risky, undecoded, refs []string
	layouts := map[string]bool{}
	for _, pl := range pls {
		if !pl.has {
			refs = append(refs, pl.ref)
			ev.Import = pl.ref
			continue
		}
		rep := analyseCode(pl.code)
		details = append(details, pl.role+": "+rep.detail())
		if rep.err != nil {
			undecoded = append(undecoded, pl.role+" ("+rep.err.Error()+")")
			continue
		}
		layouts[rep.layout] = true
		ev.Args = append(ev.Args, rep.names...)
		ev.Args = append(ev.Args, rep.funcs...)
		ev.Args = append(ev.Args, rep.strs...)
		if s := rep.riskySummary(); s != "" {
			risky = append(risky, s)
		}
	}
	ev.Detail = strings.Join(details, " | ")
	c.add(finding.KerasLambda, finding.Critical, n, p, lambdaMessage(subject, c.where, layouts, refs, risky, undecoded), ev)
}

func lambdaMessage(subject, where string, layouts map[string]bool, refs, risky, undecoded []string) string {
	var b strings.Builder
	b.WriteString(subject + " in " + where)
	switch {
	case len(layouts) > 0:
		ls := make([]string, 0, len(layouts))
		for l := range layouts {
			ls = append(ls, l)
		}
		fmt.Fprintf(&b, " carries marshalled Python bytecode (%s) that Keras rebuilds into a function and runs when the model is loaded or called", strings.Join(ls, ", "))
	case len(undecoded) > 0:
		b.WriteString(" carries serialised Python bytecode that Keras rebuilds and runs on load")
	case len(refs) > 0:
		fmt.Fprintf(&b, " calls the named function %s, arbitrary Python that Keras looks up and runs on load", strings.Join(refs, ", "))
	default:
		b.WriteString(" wraps a Python function that Keras runs on load; its serialised form was not found")
	}
	if len(risky) > 0 {
		b.WriteString("; it references " + strings.Join(risky, "; "))
	}
	if len(undecoded) > 0 {
		b.WriteString("; the bytecode could not be decoded: " + strings.Join(undecoded, ", ") + ", so what it does is unknown")
	}
	b.WriteString(".")
	return b.String()
}
