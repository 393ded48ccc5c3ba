package jinja

import (
	"fmt"
	"strings"
)

// internalAttrs are attributes that jinja2.sandbox refuses although they
// do not start with "_": function, frame, generator, coroutine and
// traceback internals, and type.mro.
var internalAttrs = set("func_globals", "func_code", "func_closure", "func_defaults", "func_dict",
	"f_globals", "f_locals", "f_builtins", "f_back", "f_code", "gi_frame", "gi_code", "gi_yieldfrom",
	"cr_frame", "cr_code", "cr_await", "ag_frame", "ag_code", "ag_await", "tb_frame", "tb_next",
	"mro", "im_func", "im_self", "im_class", "co_code")

// execAttrs run or load code; no chat template has a reason to name them.
var execAttrs = set("popen", "subprocess", "import_module", "check_output", "check_call", "getoutput",
	"getstatusoutput", "spawnl", "spawnlp", "spawnv", "spawnvp", "spawnve", "execv", "execve",
	"execl", "execlp", "execvp", "load_module", "exec_module", "posix_spawn", "startfile")

// chainAttrs finish an escape once the chain already holds an interpreter
// object; on ordinary data (a message, a tool) they are common words.
var chainAttrs = set("os", "sys", "system", "open", "read", "eval", "exec", "builtins", "modules",
	"getattr", "globals", "compile", "importlib", "write", "environ", "remove", "unlink", "rmtree")

// gadgets are Jinja's default globals (and Flask's) whose Python objects
// lead to __globals__: any attribute access on them is an escape attempt.
var gadgets = set("cycler", "joiner", "namespace", "lipsum", "range", "self", "request", "config",
	"url_for", "get_flashed_messages", "session", "g")

// pyBuiltins are Python builtins that templates are never given; a
// template that calls them expects an unsandboxed or poisoned environment.
var pyBuiltins = set("eval", "exec", "__import__", "compile", "getattr", "setattr", "delattr",
	"globals", "locals", "vars", "breakpoint", "open", "os", "sys", "subprocess", "builtins",
	"importlib", "input")

// stems are fragments of dangerous names, looked for in partly computed
// attribute names such as x[y ~ 'class__'].
var stems = []string{"__", "class", "mro", "subclasses", "globals", "builtins", "import",
	"getattribute", "popen", "subprocess", "f_globals", "gi_frame"}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// checkName returns why an attribute or subscript name is dangerous, or
// "". tainted says whether the object already comes from Python internals.
func checkName(name string, tainted bool) string {
	if strings.ContainsRune(name, unknownRune) {
		return checkPattern(name)
	}
	switch {
	case strings.HasPrefix(name, "_"):
		return fmt.Sprintf("private attribute %q", name)
	case internalAttrs[name]:
		return fmt.Sprintf("interpreter-internal attribute %q", name)
	case execAttrs[name]:
		return fmt.Sprintf("command-execution attribute %q", name)
	case tainted && chainAttrs[name]:
		return fmt.Sprintf("%q reached from Python internals", name)
	}
	return ""
}

// checkPattern judges a name with wildcard parts: its known pieces are
// searched for stems of dangerous names.
func checkPattern(name string) string {
	known := strings.ReplaceAll(name, unknownStr, " ")
	if strings.TrimSpace(known) == "" {
		return ""
	}
	if strings.HasPrefix(name, "_") {
		return fmt.Sprintf("partly computed private attribute name %q", printable(name))
	}
	for _, s := range stems {
		if strings.Contains(known, s) {
			return fmt.Sprintf("partly computed attribute name %q contains %q", printable(name), s)
		}
	}
	return ""
}

// printable shows wildcards as "?" in messages.
func printable(s string) string { return strings.ReplaceAll(s, unknownStr, "?") }

// dangerousText reports whether raw template text names interpreter
// internals; it is used only on text that could not be lexed.
func dangerousText(s string) bool {
	for _, w := range []string{"__class__", "__mro__", "__base__", "__subclasses__", "__globals__",
		"__builtins__", "__init__", "__import__", "__getattribute__", "__dict__", "__code__",
		"func_globals", "f_globals", "gi_frame", "popen", "subprocess", "import_module"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// internalText reports whether a string literal names the interpreter
// internals that sandbox escapes walk through. No chat template has a
// reason to hold these names in an expression. (__init__ is left out: it
// is ordinary Python vocabulary, and an escape through it still needs
// __globals__.)
func internalText(s string) bool {
	for _, w := range []string{"__class__", "__mro__", "__base__", "__subclasses__", "__globals__",
		"__builtins__", "__import__", "__getattribute__", "__code__", "func_globals", "f_globals", "gi_frame"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
