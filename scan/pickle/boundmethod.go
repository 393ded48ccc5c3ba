package pickle

import (
	"fmt"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/policy"
)

// Bound methods. Python pickles a bound method obj.name as
// builtins.getattr(obj, "name") (method.__reduce__), so a PyTorch
// OneCycleLR or CyclicLR scheduler, whose state holds self._annealing_cos or
// self._triangular_scale_fn, imports getattr in every checkpoint that saves
// it. getattr is also the classic resolver gadget (getattr(os_module,
// "system")(cmd)), so its import stays critical unless every use of it in
// the stream has the bound-method shape:
//
//   - each call is REDUCE getattr(obj, "name") with exactly two arguments;
//   - obj is an instance made by calling an allowlisted class or function
//     (NEWOBJ, REDUCE, OBJ or INST of an allowlisted global, or
//     copyreg._reconstructor/__newobj__ of one), with or without BUILD state;
//   - "name" is a constant plain identifier that is not a dunder and not a
//     dangerous attribute name (policy.DangerousAttribute);
//   - the getattr global is used for nothing else (Meta.Escaped: not
//     stored as data, passed to anything or returned);
//   - the result is never called, built or mutated, and never passed to a
//     call (where a wrapper such as functools.partial could call it later):
//     it is only stored as data, the way a scheduler's state holds it.
//
// Such a getattr gets no finding at all: the method it returns belongs to an
// allowlisted class, nothing in the stream runs it, and the verdict of the
// file already rests on the classes the instance was built from. Any other
// getattr keeps the critical MW101 finding, with the reason in its message.

// getattrImport is a getattr import whose finding waits for the end of the
// stream. One exists per import key (the finding is per key, as for every
// import); objs are the globals that GLOBAL/STACK_GLOBAL pushed for it.
type getattrImport struct {
	key    importKey
	f      finding.Finding
	objs   []*Object
	benign int    // calls with the bound-method shape
	bad    string // why the import stays critical ("" while none)
}

// isGetattr reports whether a decision is the default policy's verdict on
// builtins.getattr (a user's own deny entry makes it Denied, and that stays).
func isGetattr(d policy.Decision) bool {
	return d.Class == policy.Dangerous && d.Resolved == "builtins.getattr"
}

// deferGetattr keeps the finding of a getattr import pending.
func (c *classifier) deferGetattr(k importKey, f finding.Finding, obj *Object) {
	g := &getattrImport{key: k, f: f}
	if obj == nil {
		g.bad = "the import cannot be followed"
	} else {
		g.objs = append(g.objs, obj)
		c.getattrObj[obj] = g
	}
	c.getattrs = append(c.getattrs, g)
	c.getattrKey[k] = g
}

// addGetattrObject records a further global pushed for a pending getattr key.
func (c *classifier) addGetattrObject(g *getattrImport, obj *Object) {
	if obj == nil {
		g.fail("the import cannot be followed")
		return
	}
	if len(g.objs) >= 1024 {
		g.fail("too many imports to follow")
		return
	}
	g.objs = append(g.objs, obj)
	c.getattrObj[obj] = g
}

func (g *getattrImport) fail(why string) {
	if g.bad == "" {
		g.bad = why
	}
}

func (g *getattrImport) evidence(call Call) {
	if g.f.Evidence.Call == "" {
		g.f.Evidence.Call = renderCall(call)
		for _, a := range call.Args {
			g.f.Evidence.Args = append(g.f.Evidence.Args, a.String())
		}
	}
}

// getattrOf returns the pending getattr import whose result v is, if any.
func (c *classifier) getattrOf(v Value) *getattrImport {
	if v.K != KCall || v.O == nil || v.O.Callee == nil || v.O.Callee.K != KGlobal {
		return nil
	}
	return c.getattrObj[v.O.Callee.O]
}

// checkGetattr follows one call for the pending getattr imports.
func (c *classifier) checkGetattr(call Call) {
	if call.Callee.K == KGlobal {
		if g := c.getattrObj[call.Callee.O]; g != nil {
			if why := c.boundMethodShape(call); why != "" {
				g.fail(why)
				g.evidence(call)
				return
			}
			g.benign++
			return
		}
	}
	if g := c.getattrOf(call.Callee); g != nil {
		g.fail(fmt.Sprintf("what it returns is used by %s (called, built or changed in the stream)", call.Op))
		g.evidence(call)
		return
	}
	switch call.Op {
	case "REDUCE", "NEWOBJ", "NEWOBJ_EX", "OBJ", "INST":
	default:
		return // BUILD state and container items are data
	}
	budget := 512
	for _, a := range append(call.Args, call.Kwargs) {
		if g, ok := c.getattrIn(a, 0, &budget); g != nil {
			g.fail(fmt.Sprintf("what it returns is passed to %s, which may call it", call.Callee.String()))
			g.evidence(call)
			return
		} else if !ok {
			// The arguments are too large to follow: assume the worst
			// for every getattr still pending.
			for _, g := range c.getattrs {
				g.fail("an argument list too large to follow may hold what it returns")
			}
			return
		}
	}
}

// getattrIn looks for a getattr result inside a call argument (through
// containers); ok is false when the budget ran out.
func (c *classifier) getattrIn(v Value, depth int, budget *int) (*getattrImport, bool) {
	if *budget--; *budget < 0 || depth > 8 {
		return nil, false
	}
	if g := c.getattrOf(v); g != nil {
		return g, true
	}
	switch v.K {
	case KTuple, KList, KDict, KSet, KFrozenSet:
		if v.O == nil {
			return nil, true
		}
		for _, it := range v.O.Items {
			if g, ok := c.getattrIn(it, depth+1, budget); g != nil || !ok {
				return g, ok
			}
		}
	}
	return nil, true
}

// boundMethodShape returns "" when a call of getattr is getattr(obj, "name")
// on an instance of an allowlisted class with a harmless constant name, and
// else why it is not.
func (c *classifier) boundMethodShape(call Call) string {
	if call.Op != "REDUCE" {
		return fmt.Sprintf("getattr is used by %s", call.Op)
	}
	if len(call.Args) != 2 {
		return fmt.Sprintf("getattr is called with %d arguments", len(call.Args))
	}
	name := call.Args[1]
	if name.K != KStr || int64(len(name.S)) != name.I {
		return "the attribute name is not a constant string"
	}
	if why, bad := c.cfg.Policy.DangerousAttribute(name.S); bad {
		return fmt.Sprintf("the attribute %q is %s", truncate(name.S, 60), why)
	}
	if !c.allowlistedInstance(call.Args[0]) {
		return "the object is not an instance of an allowlisted class"
	}
	return ""
}

// allowlistedInstance reports whether v is the result of calling an
// allowlisted global (for copyreg's reconstructors, of an allowlisted class).
func (c *classifier) allowlistedInstance(v Value) bool {
	if v.K != KCall || v.O == nil || v.O.Callee == nil {
		return false
	}
	cls := *v.O.Callee
	if !c.allowedGlobal(cls) {
		return false
	}
	switch c.cfg.Policy.Classify(cls.O.Module, cls.O.Name).Resolved {
	case "copyreg._reconstructor", "copyreg.__newobj__", "copyreg.__newobj_ex__":
		return len(v.O.Args) > 0 && c.allowedGlobal(v.O.Args[0])
	}
	return true
}

func (c *classifier) allowedGlobal(v Value) bool {
	if v.K != KGlobal || v.O == nil || v.O.Meta == nil {
		return false
	}
	return c.cfg.Policy.Classify(v.O.Module, v.O.Name).Class == policy.Allowed
}

// settleGetattrs turns the pending getattr imports that are not plain bound
// methods back into their critical findings.
func (c *classifier) settleGetattrs() {
	for _, g := range c.getattrs {
		for _, o := range g.objs {
			if o.Escaped {
				g.fail("getattr itself is used as data or passed to a call")
			}
		}
		if g.bad == "" && g.benign == 0 {
			g.fail("it is never called")
		}
		if g.bad == "" {
			continue // bound methods of allowlisted objects, stored as data
		}
		if g.benign > 0 {
			g.f.Message += "; not a plain bound method: " + g.bad
		}
		c.byImport[g.key] = len(c.findings)
		c.findings = append(c.findings, g.f)
	}
	c.getattrs = nil
}
