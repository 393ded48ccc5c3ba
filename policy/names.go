package policy

import "strings"

// A class that a training script defines is pickled as __main__.ClassName:
// torch.save(model) of a model class written in the script, or a custom
// transformer in an sklearn pipeline. Loading it needs that class from the
// loading script and runs its code, which is exactly what MW102 (an import
// the allowlist cannot vouch for) describes, so such a name is Unknown, not
// Dangerous. Everything else under __main__ stays dangerous through the
// "__main__" deny entry: lowercase names may be functions or modules that
// the loader's own script imported (os, system, eval), dotted paths reach
// through them (__main__.os.system), and __main__.__builtins__ is the
// interpreter's builtins.
func userClassInMain(module, name string) bool {
	if module != "__main__" || !looksLikeClass(name) {
		return false
	}
	// Well-known dangerous classes that a script commonly imports into its
	// own namespace (from subprocess import Popen) are never a user class.
	return !mainDangerousClasses[name]
}

// looksLikeClass reports whether name is one plain identifier that starts
// with an uppercase ASCII letter, the way Python code names its classes.
func looksLikeClass(name string) bool {
	if name == "" || name[0] < 'A' || name[0] > 'Z' {
		return false
	}
	for i := 1; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// mainDangerousClasses are class-like names of the standard library that
// run programs, load native code or code, or touch files and the network
// when called: under __main__ they keep the critical verdict.
var mainDangerousClasses = map[string]bool{
	"Popen": true, "CompletedProcess": true, "Process": true, "Pool": true, "Thread": true, "Timer": true,
	"CDLL": true, "PyDLL": true, "WinDLL": true, "OleDLL": true, "LibraryLoader": true,
	"Pickler": true, "Unpickler": true, "CodeType": true, "FunctionType": true, "LambdaType": true,
	"MethodType": true, "ModuleType": true, "InteractiveInterpreter": true, "InteractiveConsole": true,
	"Pdb": true, "Trace": true, "Profile": true, "FileIO": true, "TextIOWrapper": true, "BufferedWriter": true,
	"BufferedReader": true, "ZipFile": true, "PyZipFile": true, "TarFile": true, "Path": true, "PosixPath": true,
	"WindowsPath": true, "TemporaryFile": true, "NamedTemporaryFile": true, "SpooledTemporaryFile": true,
	"TemporaryDirectory": true, "FileHandler": true, "SocketType": true, "HTTPConnection": true,
	"HTTPSConnection": true, "FTP": true, "SMTP": true, "Telnet": true, "ServerProxy": true,
}

// dangerousAttrs are attribute names that no model file reaches through
// getattr on one of its own objects: they run code or commands, open files,
// load further pickles or reach the interpreter's internals.
var dangerousAttrs = map[string]bool{
	"system": true, "popen": true, "eval": true, "exec": true, "execfile": true, "compile": true,
	"open": true, "load": true, "loads": true, "load_model": true, "spawn": true, "fork": true,
	"getattr": true, "setattr": true, "delattr": true, "globals": true, "locals": true, "vars": true,
	"import_module": true, "run": true, "call": true, "check_call": true, "check_output": true,
	"write": true, "write_text": true, "write_bytes": true, "unlink": true, "remove": true, "rmdir": true,
	"rmtree": true, "kill": true, "input": true, "breakpoint": true, "mro": true, "func_globals": true,
	"gi_frame": true, "f_globals": true, "f_builtins": true, "f_locals": true, "tb_frame": true,
}

// DangerousAttribute reports whether getattr(obj, name) on an object of a
// model file may reach code rather than the object's own data or methods,
// and names the reason. Dunder names (and any name beginning or ending in
// "__"), names that are not one plain identifier, the curated names above
// and any name matching a one-component entry of the deny lists (os, sys,
// system, popen, pickle...) are dangerous.
func (p *Policy) DangerousAttribute(name string) (string, bool) {
	switch {
	case !identifier(name):
		return "not a plain identifier", true
	case strings.HasPrefix(name, "__") || strings.HasSuffix(name, "__"):
		return "a dunder name", true
	case dangerousAttrs[name], strings.HasPrefix(name, "exec"), strings.HasPrefix(name, "spawn"):
		return "a name that runs code or touches the system", true
	}
	for _, e := range p.deny {
		if len(e) == 1 && e[0] == name {
			return "denied by policy entry " + e[0], true
		}
	}
	return "", false
}

func identifier(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
