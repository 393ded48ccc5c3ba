package keras

import (
	"encoding/hex"
	"sort"
	"strconv"
	"strings"
)

// Bounds on what a bytecode summary lists.
const (
	maxListedNames   = 64
	maxListedStrings = 24
	maxStringShown   = 120
	maxCodeObjects   = 256
)

// riskyNames maps names that bytecode may use (globals, attributes,
// imported modules) or carry as string constants to why they matter.
var riskyNames = func() map[string]string {
	m := map[string]string{}
	add := func(why, names string) {
		for _, n := range strings.Fields(names) {
			m[n] = why
		}
	}
	add("process execution", "os posix nt subprocess system popen Popen spawnl spawnlp spawnv spawnvp spawnve "+
		"execl execle execlp execv execve execvp execvpe fork forkpty check_output check_call getoutput getstatusoutput pty startfile")
	add("dynamic code", "eval exec compile __import__ importlib import_module builtins __builtins__ __builtin__ "+
		"globals locals vars getattr setattr delattr breakpoint runpy run_path run_module code marshal pickle loads ctypes cdll CDLL dlopen")
	add("file access", "open remove unlink rmdir rmtree shutil write_text write_bytes read_text read_bytes chmod chown rename makedirs mkfifo")
	add("network", "socket urllib urlopen urlretrieve requests http httplib ftplib telnetlib smtplib connect create_connection get_file webbrowser")
	add("interpreter internals", "sys __globals__ __subclasses__ __class__ __mro__ __code__ __reduce__ __getattribute__ modules")
	return m
}()

// codeReport is what a serialised Lambda function was found to reference.
type codeReport struct {
	encoding string // how the code string was turned into bytes
	layout   string
	name     string
	names    []string // co_names of every code object, deduplicated
	strs     []string // str/bytes constants, quoted
	funcs    []string // nested code objects' names
	files    []string // co_filename values
	consts   []string // raw constants, "s:text" or "b:hex", for tests
	risky    map[string]string
	err      error
}

// analyseCode decodes a serialised function's code string and lists what
// it references.
func analyseCode(code string) *codeReport {
	b, enc := pyFuncBytes(code)
	rep := &codeReport{encoding: enc, risky: map[string]string{}}
	d, err := decodeMarshal(b)
	if err != nil {
		rep.err = err
		return rep
	}
	rep.layout, rep.name = d.layout, d.top.name
	w := &codeWalker{rep: rep, seen: map[*pyObj]bool{}, names: map[string]bool{}}
	w.code(d.top, true)
	return rep
}

// codeWalker visits the constants graph once per object: marshal
// references can share and even cycle.
type codeWalker struct {
	rep   *codeReport
	seen  map[*pyObj]bool
	names map[string]bool
	codes int
}

func (w *codeWalker) code(c *codeObj, top bool) {
	w.codes++
	if w.codes > maxCodeObjects {
		return
	}
	if !top {
		w.rep.funcs = appendBounded(w.rep.funcs, c.name, maxListedNames)
	}
	if c.filename != "" && !contains(w.rep.files, c.filename) {
		w.rep.files = appendBounded(w.rep.files, c.filename, 4)
	}
	for _, n := range c.names {
		w.name(n)
	}
	for _, k := range c.consts {
		w.value(k, 0)
	}
}

func (w *codeWalker) name(n string) {
	if why, ok := riskyNames[n]; ok {
		w.rep.risky[n] = why
	}
	if !w.names[n] {
		w.names[n] = true
		w.rep.names = appendBounded(w.rep.names, n, maxListedNames)
	}
}

func (w *codeWalker) value(o *pyObj, depth int) {
	if o == nil || w.seen[o] || depth > maxMarshalDepth {
		return
	}
	w.seen[o] = true
	switch o.kind {
	case pyCode:
		w.code(o.code, false)
	case pyStr, pyBytes:
		w.constant(o)
	default:
		for _, it := range o.items {
			w.value(it, depth+1)
		}
	}
}

// constant records a string constant; one that names a risky module or
// function (as in __import__('os')) counts as a reference to it.
func (w *codeWalker) constant(o *pyObj) {
	s := o.s
	if why, ok := riskyNames[strings.TrimSpace(s)]; ok {
		w.rep.risky[strings.TrimSpace(s)] = why
	}
	if len(s) > maxStringShown {
		s = s[:maxStringShown] + "…"
	}
	q := strconv.Quote(s)
	if o.kind == pyBytes {
		q = "b" + q
		w.rep.consts = appendBounded(w.rep.consts, "b:"+hex.EncodeToString([]byte(o.s)), maxListedNames)
	} else {
		w.rep.consts = appendBounded(w.rep.consts, "s:"+o.s, maxListedNames)
	}
	w.rep.strs = appendBounded(w.rep.strs, q, maxListedStrings)
}

func appendBounded(list []string, s string, max int) []string {
	if len(list) >= max {
		return list
	}
	return append(list, s)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// riskySummary renders the risky names grouped by reason, sorted, e.g.
// "os, system (process execution)".
func (r *codeReport) riskySummary() string {
	by := map[string][]string{}
	for n, why := range r.risky {
		by[why] = append(by[why], n)
	}
	whys := make([]string, 0, len(by))
	for why := range by {
		whys = append(whys, why)
	}
	sort.Strings(whys)
	parts := make([]string, 0, len(whys))
	for _, why := range whys {
		ns := by[why]
		sort.Strings(ns)
		parts = append(parts, strings.Join(ns, ", ")+" ("+why+")")
	}
	return strings.Join(parts, "; ")
}

// detail is the one-line summary put in Evidence.Detail.
func (r *codeReport) detail() string {
	if r.err != nil {
		return "bytecode (" + r.encoding + ") could not be decoded: " + r.err.Error()
	}
	var b strings.Builder
	b.WriteString("code object " + strconv.Quote(r.name) + " in the " + r.layout + " marshal layout")
	if len(r.files) > 0 {
		b.WriteString(", compiled from " + strings.Join(r.files, ", "))
	}
	b.WriteString("; names: " + orNone(r.names))
	b.WriteString("; string constants: " + orNone(r.strs))
	if len(r.funcs) > 0 {
		b.WriteString("; nested functions: " + strings.Join(r.funcs, ", "))
	}
	return b.String()
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}
