package policy

import (
	"fmt"
	"path"
	"strings"
)

// Class is what the policy says of one import.
type Class int

const (
	// Unknown: outside the allowlist, not known dangerous.
	Unknown Class = iota
	// Allowed: on the allowlist.
	Allowed
	// Dangerous: in the curated dangerous set of the default policy.
	Dangerous
	// Denied: in a deny list that the user's policy added.
	Denied
)

// Decision is the policy's answer for one import, with the entry that decided it.
type Decision struct {
	Class Class
	Entry string // the allow or deny entry that matched
	// Resolved is the dotted path the unpickler would reach, after Python 2
	// name mapping where it applies.
	Resolved string
}

type allowPattern struct {
	module string // path.Match pattern over '/'-separated components
	deep   bool   // module pattern ended in ".**": the module and everything below
	name   string // path.Match pattern over the name
	exact  bool   // no wildcard anywhere
	text   string
}

// compile turns the entries into matchers: exact allow entries into a map
// (the generated lists hold a thousand of them), patterns into a list.
func (p *Policy) compile() error {
	p.allow = p.allow[:0]
	p.exact = make(map[string]string)
	for _, e := range p.Allow {
		ap, err := parseAllow(e)
		if err != nil {
			return err
		}
		if ap.exact {
			mod, name, _ := strings.Cut(strings.TrimSpace(e), ":")
			p.exact[mod+":"+name] = e
			continue
		}
		p.allow = append(p.allow, ap)
	}
	p.deny = p.deny[:0]
	for _, e := range p.Deny {
		e = strings.TrimSpace(strings.Replace(e, ":", ".", 1))
		if e == "" || strings.Contains(e, "..") || strings.HasPrefix(e, ".") || strings.HasSuffix(e, ".") {
			return fmt.Errorf("deny entry %q: write a dotted path such as \"os\" or \"builtins:eval\"", e)
		}
		p.deny = append(p.deny, strings.Split(e, "."))
	}
	return nil
}

func parseAllow(e string) (allowPattern, error) {
	mod, name, ok := strings.Cut(strings.TrimSpace(e), ":")
	if !ok || mod == "" || name == "" {
		return allowPattern{}, fmt.Errorf("allow entry %q: write module:name, for example \"torch._utils:_rebuild_tensor_v2\"", e)
	}
	ap := allowPattern{text: e}
	if strings.HasSuffix(mod, ".**") {
		ap.deep = true
		mod = strings.TrimSuffix(mod, ".**")
	}
	ap.exact = !ap.deep && !strings.ContainsAny(mod+name, "*?[")
	ap.module = strings.ReplaceAll(mod, ".", "/")
	ap.name = strings.ReplaceAll(name, ".", "/")
	for _, pat := range []string{ap.module, ap.name} {
		if _, err := path.Match(pat, ""); err != nil {
			return allowPattern{}, fmt.Errorf("allow entry %q: bad pattern: %v", e, err)
		}
	}
	return ap, nil
}

func (ap allowPattern) matches(module, name string) bool {
	if ok, _ := path.Match(ap.name, strings.ReplaceAll(name, ".", "/")); !ok {
		return false
	}
	m := strings.ReplaceAll(module, ".", "/")
	if ok, _ := path.Match(ap.module, m); ok {
		return true
	}
	if !ap.deep {
		return false
	}
	// The module itself or any module below a module matching the pattern.
	for i := strings.IndexByte(m, '/'); i >= 0; {
		if ok, _ := path.Match(ap.module, m[:i]); ok {
			return true
		}
		j := strings.IndexByte(m[i+1:], '/')
		if j < 0 {
			break
		}
		i += j + 1
	}
	return false
}

// Classify decides one import as the unpickler's find_class would see it:
// module and a possibly dotted qualified name. Dotted names are walked
// attribute by attribute by find_class, so every component counts: a
// dangerous module anywhere in the path is dangerous, and an allow entry
// only ever matches its exact module and name.
func (p *Policy) Classify(module, name string) Decision {
	cands := [][2]string{{module, name}}
	if m, n, ok := python2Name(module, name); ok {
		cands = append(cands, [2]string{m, n})
	}
	best := Decision{Class: Unknown, Resolved: module + "." + name}
	// The user's own deny entries win over everything.
	for _, c := range cands {
		comps := append(strings.Split(c[0], "."), strings.Split(c[1], ".")...)
		if i := p.denyIndex(comps, p.defaultDeny, len(p.deny)); i >= 0 {
			return Decision{Class: Denied, Entry: strings.Join(p.deny[i], "."), Resolved: strings.Join(comps, ".")}
		}
	}
	// An exact allow entry names one verified callable; it wins over the
	// broad component matching of the default deny list (torch.jit._pickle
	// is a real TorchScript module, not the pickle module).
	if text, ok := p.exact[module+":"+name]; ok {
		return Decision{Class: Allowed, Entry: text, Resolved: module + "." + name}
	}
	for _, c := range cands {
		comps := append(strings.Split(c[0], "."), strings.Split(c[1], ".")...)
		for from := 0; ; from++ {
			i := p.denyIndex(comps, from, min(p.defaultDeny, len(p.deny)))
			if i < 0 {
				break
			}
			// The one exception to the default deny list: a user's own
			// class pickled from a script, __main__.ClassName, is an
			// unknown import (MW102), not a dangerous one (see names.go).
			// Only the "__main__" entry is waived; any other entry that
			// matches still decides.
			if len(p.deny[i]) == 1 && p.deny[i][0] == "__main__" && userClassInMain(c[0], c[1]) {
				from = i
				continue
			}
			return Decision{Class: Dangerous, Entry: strings.Join(p.deny[i], "."), Resolved: strings.Join(comps, ".")}
		}
	}
	for _, c := range cands {
		if text, ok := p.exact[c[0]+":"+c[1]]; ok {
			return Decision{Class: Allowed, Entry: text, Resolved: c[0] + "." + c[1]}
		}
		for _, ap := range p.allow {
			if ap.matches(c[0], c[1]) {
				return Decision{Class: Allowed, Entry: ap.text, Resolved: c[0] + "." + c[1]}
			}
		}
	}
	return best
}

// denyIndex returns the index of the first deny entry in [from, to) whose
// components stand contiguously anywhere in comps, or -1.
func (p *Policy) denyIndex(comps []string, from, to int) int {
	for i := from; i < to; i++ {
		if containsRun(comps, p.deny[i]) {
			return i
		}
	}
	return -1
}

func containsRun(comps, run []string) bool {
	for i := 0; i+len(run) <= len(comps); i++ {
		ok := true
		for j := range run {
			if comps[i+j] != run[j] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
