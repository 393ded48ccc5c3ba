package scan

import (
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/scan/gguf"
	"github.com/modelward/modelward/scan/hdf5"
	"github.com/modelward/modelward/scan/jinja"
	"github.com/modelward/modelward/scan/keras"
	"github.com/modelward/modelward/scan/onnx"
	"github.com/modelward/modelward/scan/tensorflow"
)

// Formats without a magic number are recognised by the names their
// loaders open: TensorFlow reads saved_model.pb, transformers reads
// tokenizer_config.json, ONNX files end in .onnx (and must also parse as a
// model). detectByName runs before content detection, so that a
// protobuf is not mistaken for a pickle that happens to start alike.
func detectByName(name string, head []byte) kind {
	lower := strings.ToLower(name)
	switch {
	case tensorflow.Kind(name) != "":
		return kindTFProto
	case strings.HasSuffix(lower, ".onnx") && onnx.Is(head):
		return kindONNX
	case lower == "tokenizer_config.json" || lower == "chat_template.json" || lower == "processor_config.json" ||
		lower == "preprocessor_config.json" || lower == "video_preprocessor_config.json":
		// The processor configs carry auto_map and, for multimodal
		// models, a chat_template too.
		return kindTokenizerConfig
	case lower == "config.json":
		return kindHFConfig
	case strings.HasSuffix(lower, ".json"):
		return kindJSON
	case strings.HasSuffix(lower, ".jinja") || strings.HasSuffix(lower, ".jinja2"):
		return kindTemplate
	}
	return kindUnknown
}

// maxDocument bounds JSON and template documents read whole.
const maxDocument = 64 << 20

// readDocument reads a small document whole, reporting one that is too
// large to check.
func (j *job) readDocument(r io.Reader, member []string, what string) ([]byte, bool) {
	b, err := io.ReadAll(io.LimitReader(j.budget(r), maxDocument+1))
	switch {
	case err != nil:
		j.archiveError(member, err, what)
		return nil, false
	case len(b) > maxDocument:
		j.add(finding.New(finding.LimitReached, j.loc(member, -1),
			fmt.Sprintf("%s is larger than %d bytes: not inspected", what, maxDocument), finding.Evidence{}))
		return nil, false
	}
	return b, true
}

// randomAccess dispatches the formats whose analysers need to seek.
func (j *job) randomAccess(k kind, r io.ReaderAt, size int64, member []string) string {
	j.recognised = true
	j.stream(member)
	base := j.loc(member, -1)
	switch k {
	case kindHDF5:
		return j.hdf5(r, size, member)
	case kindGGUF:
		_, fs, err := gguf.Check(r, size, gguf.Config{Location: base})
		j.add(fs...)
		if err != nil {
			j.add(finding.New(finding.StructureInvalid, base, "GGUF header cannot be read: "+err.Error(), finding.Evidence{}))
		}
		return "gguf"
	case kindTFLite:
		_, fs := tensorflow.CheckTFLite(r, size, tensorflow.Config{Location: base})
		j.add(fs...)
		return "tflite"
	case kindONNX:
		cfg := onnx.Config{Location: base}
		if len(member) == 0 {
			cfg.Dir, cfg.Roots = j.dir, j.roots
		}
		_, fs, err := onnx.Check(r, size, cfg)
		j.add(fs...)
		if err != nil {
			j.add(finding.New(finding.StructureInvalid, base, "ONNX model cannot be read: "+err.Error(), finding.Evidence{}))
		}
		return "onnx"
	case kindTFProto:
		return j.tensorflow(r, size, member)
	}
	return "unknown"
}

func (j *job) tensorflow(r io.ReaderAt, size int64, member []string) string {
	cfg := tensorflow.Config{Location: j.loc(member, -1)}
	switch tensorflow.Kind(j.name(member)) {
	case "saved_model":
		_, fs := tensorflow.CheckSavedModel(r, size, cfg)
		j.add(fs...)
		return "tf-savedmodel"
	case "keras_metadata":
		res, fs := tensorflow.CheckKerasMetadata(r, size, cfg)
		j.add(fs...)
		if res != nil {
			for i, doc := range res.KerasMetadata {
				j.add(keras.CheckConfig([]byte(doc), fmt.Sprintf("keras_metadata.pb:node %d", i), keras.Config{Location: j.loc(member, -1)})...)
			}
		}
		return "keras-savedmodel-metadata"
	default:
		j.add(tensorflow.CheckFingerprint(r, size, cfg)...)
		return "tf-fingerprint"
	}
}

// hdf5 reads an HDF5 file's object tree: Keras keeps its model
// configuration in root attributes, and HDF5 itself can point datasets at
// external files and links at other HDF5 files, which h5py follows.
func (j *job) hdf5(r io.ReaderAt, size int64, member []string) string {
	base := j.loc(member, -1)
	f, err := hdf5.Open(r, size, hdf5.Limits{})
	if err != nil {
		j.add(finding.New(finding.StructureInvalid, base, "HDF5 file cannot be read: "+err.Error(), finding.Evidence{}))
		return "hdf5"
	}
	j.hdf5Problems(f, base)
	format := "hdf5"
	for _, name := range []string{"model_config", "training_config"} {
		a, ok := f.RootAttr(name)
		if !ok {
			continue
		}
		format = "keras-h5"
		doc := strings.Join(a.Strings, "")
		if a.Strings == nil {
			j.add(finding.New(finding.StructureInvalid, base, fmt.Sprintf("Keras %s attribute is not a string (%s): not inspected", name, a.Type), finding.Evidence{}))
			continue
		}
		j.add(keras.CheckConfig([]byte(doc), name, keras.Config{Location: base})...)
	}
	for _, o := range f.Objects {
		for _, ext := range o.External {
			j.hdf5External(base, o.Path, ext, "dataset stores its data in the external file")
		}
		for _, a := range o.Attrs {
			for _, s := range a.Strings {
				if kind := executable([]byte(s), roleMember); kind != "" {
					j.add(finding.New(finding.PickleExecutable, j.loc(child(member, o.Path+"@"+a.Name), -1),
						fmt.Sprintf("HDF5 attribute %q of %s holds a %s", a.Name, o.Path, kind), finding.Evidence{Detail: kind}))
				}
			}
		}
	}
	for _, l := range f.Links {
		if l.Kind == "external" {
			j.hdf5External(base, path.Join(l.From, l.Name), l.Target, "external link to")
		}
	}
	return format
}

// maxProblems caps the structural problems listed one by one.
const maxProblems = 20

func (j *job) hdf5Problems(f *hdf5.File, base finding.Location) {
	for i, p := range f.Problems {
		if i == maxProblems {
			j.add(finding.New(finding.StructureInvalid, base, fmt.Sprintf("HDF5: %d more structural problems", len(f.Problems)-i), finding.Evidence{}))
			break
		}
		rule := finding.StructureInvalid
		if strings.HasPrefix(p, "limit: ") { // the parser's mark for an exceeded limit
			rule = finding.LimitReached
		}
		j.add(finding.New(rule, base, "HDF5: "+p, finding.Evidence{}))
	}
}

// hdf5External reports a file the HDF5 library opens on the model's
// behalf. An absolute or climbing name reads any file on the machine; a
// name beside the model is still a file outside this one.
func (j *job) hdf5External(base finding.Location, obj, target, what string) {
	loc := base
	loc.Member = append(append([]string(nil), base.Member...), strings.TrimPrefix(obj, "/"))
	file := strings.TrimPrefix(target, "file::")
	if i := strings.Index(file, "::"); i >= 0 { // external links: file::object
		file = file[:i]
	}
	if isAbsolute(file) || climbs(normalise(file)) || strings.IndexByte(file, 0) >= 0 {
		j.add(finding.New(finding.ExternalDataEscape, loc,
			fmt.Sprintf("HDF5 object %s: %s %q, outside the model's folder: reading it reads that file", obj, what, target),
			finding.Evidence{Detail: target}))
		return
	}
	j.add(finding.New(finding.ExternalLoad, loc,
		fmt.Sprintf("HDF5 object %s: %s %q beside the model; it is not scanned as part of this file", obj, what, target),
		finding.Evidence{Detail: target}))
}

// document checks the JSON and template documents recognised by name.
func (j *job) document(k kind, r io.Reader, member []string) string {
	j.recognised = true
	name := j.name(member)
	b, ok := j.readDocument(r, member, name)
	if !ok {
		return "document"
	}
	j.stream(member)
	base := j.loc(member, -1)
	switch k {
	case kindTokenizerConfig:
		fs := jinja.CheckTokenizerConfig(b, jinja.Config{Location: base})
		j.add(fs...)
		// The template check has reported a broken document already.
		j.remoteCode(b, member, hasRule(fs, finding.StructureInvalid))
		if strings.HasPrefix(strings.ToLower(name), "tokenizer") {
			return "tokenizer-config"
		}
		return "processor-config"
	case kindHFConfig:
		j.remoteCode(b, member, false)
		if keras.LooksLikeConfig(b) {
			j.add(keras.CheckConfig(b, name, keras.Config{Location: j.loc(parent(member), -1)})...)
			return "keras-config"
		}
		return "model-config"
	case kindJSON:
		// model_from_json architecture files, and the config.json of an
		// unpacked Keras model, are loaded by their content; any other
		// JSON is no model format.
		if keras.LooksLikeConfig(b) {
			j.add(keras.CheckConfig(b, name, keras.Config{Location: j.loc(parent(member), -1)})...)
			return "keras-config"
		}
		j.streams = j.streams[:len(j.streams)-1]
		if len(member) == 0 {
			// Only a file of its own is unrecognised; a JSON member of
			// an archive says nothing about the rest of the file.
			j.recognised = false
			j.unrecognised(b[:min(len(b), headSize)])
		}
		return "json"
	default:
		j.templateIssues(string(b), base)
		return "jinja-template"
	}
}

func (j *job) templateIssues(tmpl string, base finding.Location) {
	for _, is := range jinja.Check(tmpl) {
		loc := base
		loc.Offset = int64(is.Offset)
		if is.Limit {
			j.add(finding.New(finding.LimitReached, loc, "template analysis stopped at a limit: "+is.Reason+"; the rest was not inspected", finding.Evidence{Detail: is.Expr}))
			continue
		}
		j.add(finding.New(finding.TemplateInjection, loc, "template: "+is.Reason, finding.Evidence{Detail: is.Expr}))
	}
}

// parent is the member chain of a stream's container: the Keras checker
// names the document itself.
func parent(member []string) []string {
	if len(member) == 0 {
		return nil
	}
	return member[:len(member)-1]
}

// kerasConfig checks the config.json of a Keras v3 archive.
// A root config.json is Keras's when it holds a Keras configuration, and
// a transformers one (auto_map and all) otherwise: a zipped Hugging Face
// repository has one too.
func (j *job) kerasConfig(r io.Reader, member []string) {
	b, ok := j.readDocument(r, member, "config.json")
	if !ok {
		return
	}
	j.stream(member)
	if keras.LooksLikeConfig(b) {
		j.add(keras.CheckConfig(b, "config.json", keras.Config{Location: j.loc(parent(member), -1)})...)
		return
	}
	j.remoteCode(b, member, false)
}
