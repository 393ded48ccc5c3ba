package bom

import (
	"path"
	"regexp"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// framework is a library a model needs to be loaded, inferred from the
// formats of its files and from its configuration.
type framework struct {
	key, name, purl string
	kind            cdx.ComponentType
	version         string
	evidence        []string // "file (format)" or "config.json transformers_version"
}

// Frameworks modelward knows. CycloneDX 1.6 defines "framework" as a
// software framework and "library" as a software library: the deep
// learning frameworks that define and run the model are frameworks, the
// single-purpose readers of one file format are libraries.
var knownFrameworks = map[string]framework{
	"torch":        {key: "torch", name: "PyTorch", purl: "pkg:pypi/torch", kind: cdx.ComponentTypeFramework},
	"tensorflow":   {key: "tensorflow", name: "TensorFlow", purl: "pkg:pypi/tensorflow", kind: cdx.ComponentTypeFramework},
	"keras":        {key: "keras", name: "Keras", purl: "pkg:pypi/keras", kind: cdx.ComponentTypeFramework},
	"onnxruntime":  {key: "onnxruntime", name: "ONNX Runtime", purl: "pkg:pypi/onnxruntime", kind: cdx.ComponentTypeFramework},
	"llama.cpp":    {key: "llama.cpp", name: "llama.cpp (GGUF)", purl: "pkg:github/ggml-org/llama.cpp", kind: cdx.ComponentTypeLibrary},
	"safetensors":  {key: "safetensors", name: "safetensors", purl: "pkg:pypi/safetensors", kind: cdx.ComponentTypeLibrary},
	"transformers": {key: "transformers", name: "transformers", purl: "pkg:pypi/transformers", kind: cdx.ComponentTypeFramework},
	"scikit-learn": {key: "scikit-learn", name: "scikit-learn", purl: "pkg:pypi/scikit-learn", kind: cdx.ComponentTypeFramework},
	"joblib":       {key: "joblib", name: "joblib", purl: "pkg:pypi/joblib", kind: cdx.ComponentTypeLibrary},
	"numpy":        {key: "numpy", name: "NumPy", purl: "pkg:pypi/numpy", kind: cdx.ComponentTypeLibrary},
	"tflite":       {key: "tflite", name: "TensorFlow Lite", purl: "pkg:pypi/tflite-runtime", kind: cdx.ComponentTypeFramework},
	"diffusers":    {key: "diffusers", name: "diffusers", purl: "pkg:pypi/diffusers", kind: cdx.ComponentTypeFramework},
	"sentence-transformers": {key: "sentence-transformers", name: "sentence-transformers",
		purl: "pkg:pypi/sentence-transformers", kind: cdx.ComponentTypeFramework},
	"peft": {key: "peft", name: "PEFT", purl: "pkg:pypi/peft", kind: cdx.ComponentTypeFramework},
}

// formatFrameworks maps the scanner's format names (scan.FileResult.Format)
// to the frameworks that load them.
var formatFrameworks = map[string][]string{
	"pytorch-zip":               {"torch"},
	"pytorch-tar":               {"torch"},
	"pytorch-legacy":            {"torch"},
	"torchscript":               {"torch"},
	"keras":                     {"keras"},
	"keras-h5":                  {"keras", "tensorflow"},
	"keras-config":              {"keras"},
	"keras-savedmodel-metadata": {"keras", "tensorflow"},
	"tf-savedmodel":             {"tensorflow"},
	"tf-fingerprint":            {"tensorflow"},
	"tflite":                    {"tflite"},
	"onnx":                      {"onnxruntime"},
	"gguf":                      {"llama.cpp"},
	"safetensors":               {"safetensors"},
	"joblib":                    {"scikit-learn", "joblib"},
	"npy":                       {"numpy"},
	"npz":                       {"numpy"},
}

// extFrameworks is the fallback when a file was not scanned (or its
// format was not recognised): its name is all there is.
var extFrameworks = map[string][]string{
	".pt": {"torch"}, ".pth": {"torch"}, ".ckpt": {"torch"}, ".bin": {"torch"},
	".keras": {"keras"}, ".h5": {"keras", "tensorflow"}, ".hdf5": {"keras", "tensorflow"},
	".tflite": {"tflite"}, ".onnx": {"onnxruntime"}, ".gguf": {"llama.cpp"},
	".safetensors": {"safetensors"}, ".joblib": {"scikit-learn", "joblib"},
	".npy": {"numpy"}, ".npz": {"numpy"},
}

// torchPickleExt: a plain pickle under one of these names is what
// torch.save wrote before PyTorch 1.6 (and what torch.load reads); other
// pickles (.pkl) could be anything and name no framework.
var torchPickleExt = map[string]bool{".pt": true, ".pth": true, ".bin": true, ".ckpt": true}

// libraryNames maps README library_name values to frameworks.
var libraryNames = map[string]string{
	"transformers": "transformers", "pytorch": "torch", "torch": "torch",
	"tensorflow": "tensorflow", "keras": "keras", "tf-keras": "keras",
	"onnx": "onnxruntime", "gguf": "llama.cpp", "llama.cpp": "llama.cpp",
	"sklearn": "scikit-learn", "scikit-learn": "scikit-learn", "joblib": "joblib",
	"safetensors": "safetensors", "diffusers": "diffusers",
	"sentence-transformers": "sentence-transformers", "peft": "peft",
}

// frameworkSet collects frameworks and the evidence for each.
type frameworkSet map[string]*framework

func (s frameworkSet) add(key, evidence string) {
	f, ok := s[key]
	if !ok {
		k, known := knownFrameworks[key]
		if !known {
			return
		}
		f = &k
		s[key] = f
	}
	for _, e := range f.evidence {
		if e == evidence {
			return
		}
	}
	if len(f.evidence) < maxListItems {
		f.evidence = append(f.evidence, evidence)
	}
}

// fromFile infers frameworks from one file's scanned format, or from its
// name when it was not scanned (format "").
func (s frameworkSet) fromFile(name, format string) {
	ext := strings.ToLower(path.Ext(name))
	if keys, ok := formatFrameworks[format]; ok {
		for _, k := range keys {
			s.add(k, name+" ("+format+")")
		}
		return
	}
	if format == "pickle" {
		if torchPickleExt[ext] {
			s.add("torch", name+" (pickle)")
		}
		return
	}
	if format != "" && format != "none" {
		// Scanned: a format that needs no framework (json, text, zip...),
		// or content no loader recognises whatever the file is called.
		return
	}
	if path.Base(name) == "saved_model.pb" {
		s.add("tensorflow", name+" (by name)")
		return
	}
	for _, k := range extFrameworks[ext] {
		s.add(k, name+" (by name)")
	}
}

// versionRE accepts versions that are safe in a purl without escaping.
var versionRE = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$`)

// fromCard adds what config.json and the README front matter declare.
func (s frameworkSet) fromCard(c *card) {
	if c.transformersVersion != "" || c.modelType != "" {
		s.add("transformers", "config.json")
		if v := c.transformersVersion; versionRE.MatchString(v) {
			s["transformers"].version = v
		}
	}
	if k, ok := libraryNames[strings.ToLower(c.libraryName)]; ok {
		s.add(k, "README.md library_name")
	}
}

// components renders the set as CycloneDX components, keyed by bom-ref.
func (s frameworkSet) components() []cdx.Component {
	var out []cdx.Component
	for _, f := range s {
		purl := f.purl
		if f.version != "" {
			purl += "@" + f.version
		}
		props := []cdx.Property{}
		for _, e := range f.evidence {
			props = append(props, cdx.Property{Name: propInferredFrom, Value: e})
		}
		out = append(out, cdx.Component{
			BOMRef:     refFramework + f.key,
			Type:       f.kind,
			Name:       f.name,
			Version:    f.version,
			PackageURL: purl,
			Properties: &props,
		})
	}
	return out
}
