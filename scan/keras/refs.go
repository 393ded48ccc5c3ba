package keras

import (
	"strings"

	"github.com/modelward/modelward/finding"
)

// trustedRoots are the top-level packages whose modules a Keras config may
// name: Keras itself and the add-on namespaces Keras 3's own resolver
// accepts, TensorFlow (tf.keras and Keras 2 write it), and NumPy.
var trustedRoots = wordSet(`keras tf_keras tensorflow tf numpy keras_hub keras_cv keras_nlp keras_rs
	keras_tuner tensorflow_addons tensorflow_probability tensorflow_text`)

// dangerousRoots are modules whose import or attributes give code
// execution, processes, files, the network or further deserialisation.
var dangerousRoots = wordSet(`builtins __builtin__ __builtins__ os posix nt posixpath ntpath
	subprocess _posixsubprocess sys shutil socket _socket ssl importlib imp pkgutil zipimport runpy
	code codeop pickle _pickle cpickle cloudpickle dill joblib marshal shelve ctypes _ctypes cffi pty
	platform multiprocessing threading _thread concurrent asyncio signal webbrowser urllib urllib2
	urllib3 http httplib requests httpx aiohttp ftplib telnetlib smtplib poplib imaplib xmlrpc
	pathlib io _io glob tempfile fileinput tarfile zipfile mmap fcntl resource operator functools
	types inspect gc site sysconfig commands popen2 timeit pdb bdb trace profile cprofile torch
	distutils setuptools pip sqlite3 logging`)

// riskyHelpers are function or class names that are dangerous even in a
// trusted namespace: they download or read files, load further models or
// bytecode, or call back into Python.
var riskyHelpers = wordSet(`get_file load_model load_weights func_load deserialize_keras_object
	load load_img save_img save_model loadtxt savetxt genfromtxt fromfile tofile fromregex memmap
	DataSource load_library read_file write_file py_function numpy_function py_func eager_py_func
	TFSMLayer TorchModuleWrapper JaxLayer FlaxLayer system popen eval exec open import_module
	register_keras_serializable get_registered_object`)

// riskyKerasModules are Keras modules that hold the loading machinery
// itself rather than layers or maths.
var riskyKerasModules = wordSet(`saving saving_lib serialization_lib legacy_h5_format file_utils
	io_utils python_utils dataset_utils object_registration gfile`)

// ref is one module + name reference found in a configuration.
type ref struct {
	module string // as written; "" when absent
	name   string // class or function name
	field  string // which field carried it, for the message
}

// verdict is how a reference is reported; rule "" means nothing to say.
type verdict struct {
	rule string
	sev  finding.Severity
	why  string
}

// judgeRef classifies a module + name reference.
func judgeRef(r ref) verdict {
	if isUnsafeSwitch(r.name) || isUnsafeSwitch(r.module) {
		return verdict{finding.KerasUnsafeMode, finding.Critical, "it calls enable_unsafe_deserialization, which switches safe mode off for the rest of the load"}
	}
	root := moduleRoot(r.module)
	if root == "builtins" || root == "__builtin__" || root == "__builtins__" {
		return judgeBuiltins(r)
	}
	if r.module == strings.TrimSpace(r.module) && isDotted(r.module) && trustedRoots[root] {
		return judgeTrusted(r)
	}
	if r.module != strings.TrimSpace(r.module) || !isDotted(r.module) {
		return verdict{finding.KerasUnsafeReference, finding.Critical, "the module name is malformed or padded, a trick to slip past name checks"}
	}
	if dangerousRoots[strings.ToLower(root)] {
		return verdict{finding.KerasUnsafeReference, finding.Critical, "module " + root + " gives access to code execution, processes, files or the network, and Keras imports it while loading (CVE-2025-1550)"}
	}
	return verdict{finding.KerasUnsafeReference, finding.High, "the module is outside the Keras, TensorFlow and NumPy namespaces; Keras versions before 3.9 import it while loading (CVE-2025-1550), running its code"}
}

// judgeBuiltins handles Keras 3's {"module": "builtins", "class_name":
// "function", "config": name} form, which Keras writes for its own
// built-in functions and for registered ones ("package>name").
func judgeBuiltins(r ref) verdict {
	n := r.name
	switch {
	case builtinFunctions[n] && r.module == "builtins":
		return verdict{}
	case strings.Contains(n, ">") && r.module == "builtins":
		return verdict{finding.KerasCustomObject, finding.Low, "it is a registered custom function that the user's code must supply"}
	case pythonBuiltins[n] && !harmlessBuiltins[n]:
		return verdict{finding.KerasUnsafeReference, finding.Critical, "it resolves to the Python builtin " + n + ", which runs code, touches files or reaches the interpreter's internals (CVE-2025-1550)"}
	case harmlessBuiltins[n]:
		return verdict{finding.KerasUnsafeReference, finding.High, "it resolves to the Python builtin " + n + ", which Keras never writes itself"}
	}
	return verdict{finding.KerasUnsafeReference, finding.High, "the builtins module holds no function of that name that Keras writes; the reference is not one Keras produces"}
}

// judgeTrusted looks for loader machinery inside trusted namespaces.
// Keras 3 resolves a keras.* reference by the joined dotted path
// (api_export.get_symbol_from_name(module + "." + name)), so the module
// and the name, itself possibly dotted ("layers.TFSMLayer",
// "utils.get_file"), are judged as one path: any segment that is a risky
// helper, or any segment before the last that is a loader module.
func judgeTrusted(r ref) verdict {
	segs := strings.Split(joinRef(r.module, r.name), ".")
	for _, s := range segs {
		if riskyHelpers[s] {
			return verdict{finding.KerasUnsafeReference, finding.Critical, s + " downloads or reads files, loads further models or bytecode, or calls into Python"}
		}
	}
	mods := segs
	if r.name != "" {
		mods = segs[:len(segs)-1]
		last := segs[len(segs)-1]
		if deserializers[last] {
			return verdict{finding.KerasUnsafeReference, finding.High, last + " deserialises a nested config of the publisher's choosing; Keras never writes a reference to it"}
		}
		if last == "SerializableDict" {
			return verdict{}
		}
	}
	for _, s := range mods {
		if riskyKerasModules[s] {
			return verdict{finding.KerasUnsafeReference, finding.High, "module " + s + " in " + joinRef(r.module, r.name) + " holds Keras's loading machinery, not a layer or function a model needs"}
		}
	}
	return verdict{}
}

// judgeBare classifies a class name written without a module, as Keras 2
// and the legacy HDF5 loader of Keras 3 resolve it: from the layer
// module's namespace, calling whatever it finds with the config as
// keyword arguments. The (de)serialisation functions there re-enter the
// deserialiser with a nested config of the publisher's choosing.
func judgeBare(cls string) verdict {
	switch {
	case deserializers[cls]:
		return verdict{finding.KerasUnsafeReference, finding.High, "the legacy loader finds " + cls + " in keras.layers and calls it with the config, which deserialises the nested object of the publisher's choosing outside the normal layer checks"}
	case riskyHelpers[cls]:
		return verdict{finding.KerasUnsafeReference, finding.Critical, cls + " downloads or reads files, loads further models or bytecode, or calls into Python, and the loader resolves the bare class name from Keras's own namespace"}
	}
	return verdict{}
}

// deserializers are the keras.layers functions that take a config and
// deserialise it again.
var deserializers = wordSet(`deserialize serialize deserialize_keras_object`)

func moduleRoot(m string) string {
	m = strings.TrimSpace(m)
	if i := strings.IndexByte(m, '.'); i >= 0 {
		return m[:i]
	}
	return m
}

// isDotted reports whether m is a dotted sequence of Python identifiers
// (ASCII only: anything else is a spoofing attempt in a config Keras wrote).
func isDotted(m string) bool {
	if m == "" {
		return false
	}
	for _, part := range strings.Split(m, ".") {
		if part == "" || (part[0] >= '0' && part[0] <= '9') {
			return false
		}
		for i := 0; i < len(part); i++ {
			c := part[i]
			if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
				return false
			}
		}
	}
	return true
}

func isUnsafeSwitch(s string) bool {
	return strings.Contains(strings.ToLower(s), "enable_unsafe_deserialization")
}

// splitRegistered splits a "package>Name" registry key.
func splitRegistered(s string) (pkg, name string, ok bool) {
	i := strings.LastIndexByte(s, '>')
	if i < 0 {
		return "", s, false
	}
	return s[:i], s[i+1:], true
}

// isKerasRegistered reports whether a "package>Name" key is one Keras
// writes for its own classes: TF 2.11+ saved the new optimizers as
// "Custom>Adam", and Keras 3 registers some classes under "keras>Name".
func isKerasRegistered(s string) bool {
	pkg, name, ok := splitRegistered(s)
	if !ok {
		return false
	}
	return (pkg == "Custom" || pkg == "keras" || pkg == "keras_hub" || pkg == "keras_cv" || pkg == "keras_nlp") && builtinClasses[name]
}
