package bom

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/scan"
	"github.com/modelward/modelward/sign/manifest"
)

const (
	cleanModel     = "../examples/clean-model"
	maliciousModel = "../examples/malicious-model"
	fixedSerial    = "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"
)

var fixedTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

// cdxSchema compiles the CycloneDX 1.6 schema from testdata, with the
// SPDX and JSF schemas it references registered under their IDs so that
// nothing is fetched. Formats (date-time, iri-reference...) are asserted.
func cdxSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	schemaOnce.Do(func() {
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		for _, f := range []string{"bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json"} {
			b, err := os.ReadFile(filepath.Join("testdata", "schema", f))
			if err != nil {
				schemaErr = err
				return
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				schemaErr = err
				return
			}
			if err := c.AddResource("http://cyclonedx.org/schema/"+f, doc); err != nil {
				schemaErr = err
				return
			}
		}
		schema, schemaErr = c.Compile("http://cyclonedx.org/schema/bom-1.6.schema.json")
	})
	if schemaErr != nil {
		t.Fatal(schemaErr)
	}
	return schema
}

// encodeValid encodes b, checks it against the schema and returns the JSON.
func encodeValid(t *testing.T, b *cdx.BOM) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, b); err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if err := cdxSchema(t).Validate(doc); err != nil {
		t.Fatalf("BOM does not validate against CycloneDX 1.6: %v\n%s", err, buf.Bytes())
	}
	var head struct {
		SpecVersion string `json:"specVersion"`
		Schema      string `json:"$schema"`
	}
	if err := json.Unmarshal(buf.Bytes(), &head); err != nil || head.SpecVersion != "1.6" || head.Schema != schema16 {
		t.Fatalf("specVersion %q, $schema %q (%v)", head.SpecVersion, head.Schema, err)
	}
	return buf.Bytes()
}

// input hashes and (unless noScan) scans a model the way the CLI does.
func input(t *testing.T, path string, noScan bool) Input {
	t.Helper()
	ctx := context.Background()
	m, err := manifest.Build(ctx, path, manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	in := Input{Path: path, Manifest: m, Signature: Signature{State: SignatureAbsent},
		ToolVersion: "v0.0.0-test", Time: fixedTime, Serial: fixedSerial}
	if !noScan {
		in.Scan = scan.New(scan.Options{}).ScanFiles(ctx, m.Paths(path))
	}
	return in
}

func build(t *testing.T, in Input) (*cdx.BOM, []byte) {
	t.Helper()
	b, err := Build(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return b, encodeValid(t, b)
}

func props(p *[]cdx.Property, name string) []string {
	var out []string
	if p == nil {
		return nil
	}
	for _, x := range *p {
		if x.Name == name {
			out = append(out, x.Value)
		}
	}
	return out
}

func prop(p *[]cdx.Property, name string) string {
	v := props(p, name)
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func components(b *cdx.BOM) map[string]cdx.Component {
	out := map[string]cdx.Component{}
	if b.Components != nil {
		for _, c := range *b.Components {
			out[c.BOMRef] = c
		}
	}
	return out
}

// checkFiles: one file component per manifest resource, with its SHA-256.
func checkFiles(t *testing.T, b *cdx.BOM, m *manifest.Manifest) {
	t.Helper()
	n := 0
	byName := map[string]cdx.Component{}
	for _, c := range components(b) {
		if c.Type == cdx.ComponentTypeFile {
			n++
			byName[prop(c.Properties, propManifestName)] = c
		}
	}
	if n != len(m.Resources) {
		t.Fatalf("%d file components for %d manifest resources", n, len(m.Resources))
	}
	for _, r := range m.Resources {
		c, ok := byName[r.Name]
		if !ok {
			t.Fatalf("no component for %s", r.Name)
		}
		if c.Hashes == nil || len(*c.Hashes) != 1 || (*c.Hashes)[0].Algorithm != cdx.HashAlgoSHA256 || (*c.Hashes)[0].Value != hex.EncodeToString(r.Digest) {
			t.Errorf("%s: hashes %+v, manifest %x", r.Name, c.Hashes, r.Digest)
		}
	}
}

// writeSafetensors writes a valid safetensors file: an 8-byte little
// endian header length, a JSON header padded with spaces to 8 bytes, and
// the tensor bytes.
func writeSafetensors(t *testing.T, name string) {
	t.Helper()
	header := `{"__metadata__":{"format":"pt"},"classifier.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}`
	for len(header)%8 != 0 {
		header += " "
	}
	var buf bytes.Buffer
	_ = binary.Write(&buf, binary.LittleEndian, uint64(len(header)))
	buf.WriteString(header)
	for i := 0; i < 4; i++ {
		_ = binary.Write(&buf, binary.LittleEndian, float32(i)/4)
	}
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// hfModel lays out a Hugging Face style model folder.
func hfModel(t *testing.T, readme, config []byte) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "distilbert-imdb")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if readme == nil {
		readme = readTestdata(t, "hf", "README.md")
	}
	if config == nil {
		config = readTestdata(t, "hf", "config.json")
	}
	files := map[string]string{
		"README.md":               string(readme),
		"config.json":             string(config),
		"tokenizer.json":          `{"version":"1.0","truncation":null,"padding":null,"added_tokens":[],"model":{"type":"WordPiece","unk_token":"[UNK]","vocab":{"[PAD]":0,"[UNK]":1}}}`,
		"tokenizer_config.json":   `{"do_lower_case":true,"model_max_length":512,"tokenizer_class":"DistilBertTokenizer"}`,
		"special_tokens_map.json": `{"pad_token":"[PAD]","unk_token":"[UNK]"}`,
		"vocab.txt":               "[PAD]\n[UNK]\n",
	}
	for n, s := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeSafetensors(t, filepath.Join(dir, "model.safetensors"))
	return dir
}

func readTestdata(t testing.TB, p ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"testdata"}, p...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHuggingFaceModel(t *testing.T) {
	dir := hfModel(t, nil, nil)
	in := input(t, dir, false)
	b, out := build(t, in)
	checkFiles(t, b, in.Manifest)

	if b.SerialNumber != fixedSerial || b.Metadata.Timestamp != "2026-01-02T03:04:05Z" {
		t.Errorf("serial %s, timestamp %s", b.SerialNumber, b.Metadata.Timestamp)
	}
	tools := *b.Metadata.Tools.Components
	if len(tools) != 1 || tools[0].Name != "modelward" || tools[0].Version != "v0.0.0-test" {
		t.Errorf("tools %+v", tools)
	}
	model := b.Metadata.Component
	if model.Type != cdx.ComponentTypeMachineLearningModel || model.Name != "distilbert-imdb-sentiment" {
		t.Fatalf("model component %s %q", model.Type, model.Name)
	}
	if _, dup := components(b)[model.BOMRef]; dup {
		t.Error("the model is both metadata.component and a component")
	}
	mp := model.ModelCard.ModelParameters
	if mp.Task != "text-classification" || mp.ArchitectureFamily != "distilbert" || mp.ModelArchitecture != "DistilBertForSequenceClassification" {
		t.Errorf("model parameters %+v", mp)
	}
	comps := components(b)
	// Datasets: declared ones (training) and model-index ones (evaluation),
	// each a data component the model card refers to.
	var refs []string
	for _, d := range *mp.Datasets {
		refs = append(refs, d.Ref)
		c, ok := comps[d.Ref]
		if !ok || c.Type != cdx.ComponentTypeData || c.Data == nil || (*c.Data)[0].Type != cdx.ComponentDataTypeDataset {
			t.Errorf("dataset ref %s: component %+v", d.Ref, c)
		}
	}
	if strings.Join(refs, " ") != "dataset:stanfordnlp/imdb dataset:glue" {
		t.Errorf("dataset refs %v", refs)
	}
	imdb := comps["dataset:stanfordnlp/imdb"]
	if got := strings.Join(props(imdb.Properties, propDatasetRole), ","); got != "training,evaluation" {
		t.Errorf("imdb roles %s", got)
	}
	if (*imdb.Data)[0].Contents == nil || (*imdb.Data)[0].Contents.URL != "https://huggingface.co/datasets/stanfordnlp/imdb" {
		t.Errorf("imdb contents %+v", (*imdb.Data)[0].Contents)
	}
	// Licence, base model, tags, metrics, considerations.
	if model.Licenses == nil || (*model.Licenses)[0].License.ID != "Apache-2.0" {
		t.Errorf("licenses %+v", model.Licenses)
	}
	if model.Pedigree == nil || (*model.Pedigree.Ancestors)[0].Name != "distilbert/distilbert-base-uncased" ||
		(*model.Pedigree.Ancestors)[0].PackageURL != "pkg:huggingface/distilbert/distilbert-base-uncased" ||
		model.Pedigree.Notes != "base_model_relation: finetune" {
		t.Errorf("pedigree %+v", model.Pedigree)
	}
	if model.Tags == nil || strings.Join(*model.Tags, ",") != "generated_from_trainer,sentiment" {
		t.Errorf("tags %v", model.Tags)
	}
	pm := *model.ModelCard.QuantitativeAnalysis.PerformanceMetrics
	if len(pm) != 3 || pm[0].Type != "accuracy" || pm[0].Value != "0.9312" ||
		pm[0].Slice != "task=text-classification dataset=stanfordnlp/imdb config=plain_text split=test" {
		t.Errorf("performance metrics %+v", pm)
	}
	cons := model.ModelCard.Considerations
	if cons == nil || cons.TechnicalLimitations == nil || !strings.Contains(strings.Join(*cons.TechnicalLimitations, " "), "truncated") ||
		cons.EthicalConsiderations == nil || cons.UseCases == nil {
		t.Errorf("considerations %+v", cons)
	}
	if strings.Contains(string(out), "Not a heading") {
		t.Error("a line inside a code block was read as a heading")
	}
	for k, want := range map[string]string{"torch_dtype": "float32", "transformers_version": "4.44.2", "language": "en", "metric": "accuracy"} {
		if got := prop(model.Properties, propCard+k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if got := prop(model.Properties, propManifestDigest); got != "sha256:"+hex.EncodeToString(in.Manifest.SubjectDigest()) {
		t.Errorf("manifest digest %s", got)
	}
	// Frameworks: transformers with its version, safetensors from the weights.
	tr := comps["framework:transformers"]
	if tr.Version != "4.44.2" || tr.PackageURL != "pkg:pypi/transformers@4.44.2" || tr.Type != cdx.ComponentTypeFramework {
		t.Errorf("transformers %+v", tr)
	}
	st := comps["framework:safetensors"]
	if st.Type != cdx.ComponentTypeLibrary || prop(st.Properties, propInferredFrom) != "model.safetensors (safetensors)" {
		t.Errorf("safetensors %+v", st)
	}
	if sf := comps["file:model.safetensors"]; prop(sf.Properties, propFormat) != "safetensors" || prop(sf.Properties, propVerdict) != "clean" {
		t.Errorf("model.safetensors properties %+v", sf.Properties)
	}
	// Dependencies: the model depends on its files and frameworks.
	deps := map[string][]string{}
	for _, d := range *b.Dependencies {
		if d.Dependencies != nil {
			deps[d.Ref] = *d.Dependencies
		} else {
			deps[d.Ref] = nil
		}
	}
	on := strings.Join(deps[model.BOMRef], " ")
	for _, want := range []string{"file:config.json", "file:model.safetensors", "framework:transformers", "framework:safetensors"} {
		if !strings.Contains(on, want) {
			t.Errorf("model does not depend on %s: %s", want, on)
		}
	}
	if len(deps) != len(comps)+1 {
		t.Errorf("%d dependency entries for %d components and the model", len(deps), len(comps))
	}
	if got := prop(b.Metadata.Properties, propSignaturePrefix+"state"); got != SignatureAbsent {
		t.Errorf("signature state %q", got)
	}
	if b.Vulnerabilities != nil {
		t.Errorf("a clean model has vulnerabilities: %+v", *b.Vulnerabilities)
	}
	if ps := props(b.Metadata.Properties, propProblem); len(ps) != 0 {
		t.Errorf("problems: %v", ps)
	}
}

func TestExamples(t *testing.T) {
	for _, tc := range []struct {
		dir        string
		frameworks []string
	}{
		{cleanModel, []string{"torch", "onnxruntime", "llama.cpp", "keras", "scikit-learn"}},
		{maliciousModel, []string{"torch", "onnxruntime", "llama.cpp", "keras"}},
	} {
		t.Run(filepath.Base(tc.dir), func(t *testing.T) {
			in := input(t, tc.dir, false)
			b, _ := build(t, in)
			checkFiles(t, b, in.Manifest)
			comps := components(b)
			for _, f := range tc.frameworks {
				if _, ok := comps["framework:"+f]; !ok {
					t.Errorf("no framework %s in %v", f, keys(comps))
				}
			}
			nFindings := 0
			for _, f := range in.Scan.Findings() {
				if f.Severity > finding.Info {
					nFindings++
				}
			}
			nVulns := 0
			if b.Vulnerabilities != nil {
				nVulns = len(*b.Vulnerabilities)
			}
			if nVulns != nFindings {
				t.Fatalf("%d vulnerabilities for %d findings", nVulns, nFindings)
			}
			if tc.dir == maliciousModel {
				checkMalicious(t, b, in)
			}
		})
	}
}

func checkMalicious(t *testing.T, b *cdx.BOM, in Input) {
	t.Helper()
	if b.Vulnerabilities == nil {
		t.Fatal("no vulnerabilities for the malicious model")
	}
	comps := components(b)
	// What the scanner found, by file name and rule.
	want := map[string]bool{}
	for _, fr := range in.Scan.Files {
		for _, f := range fr.Findings {
			want[filepath.Base(fr.Path)+" "+f.Rule] = true
		}
	}
	critical := 0
	for _, v := range *b.Vulnerabilities {
		if v.Affects == nil || len(*v.Affects) != 1 {
			t.Fatalf("%s affects %+v", v.ID, v.Affects)
		}
		c, ok := comps[(*v.Affects)[0].Ref]
		if !ok || c.Type != cdx.ComponentTypeFile {
			t.Fatalf("%s affects %s, not a file component", v.ID, (*v.Affects)[0].Ref)
		}
		if !want[c.Name+" "+v.ID] {
			t.Errorf("%s on %s: the scanner reported no such finding", v.ID, c.Name)
		}
		if v.Source == nil || v.Source.Name != "modelward" || v.Ratings == nil || len(*v.Ratings) != 1 {
			t.Errorf("%s: source %+v ratings %+v", v.ID, v.Source, v.Ratings)
		}
		r, known := finding.Lookup(v.ID)
		if !known {
			t.Errorf("unknown rule %s", v.ID)
		}
		if (*v.Ratings)[0].Severity == cdx.SeverityCritical {
			critical++
			if prop(c.Properties, propVerdict) != string(scan.Malicious) {
				t.Errorf("%s has a critical finding but verdict %s", c.Name, prop(c.Properties, propVerdict))
			}
			if v.Recommendation == "" {
				t.Errorf("%s: no recommendation", v.ID)
			}
		}
		if len(r.Refs) > 0 && (v.References == nil || len(*v.References) != len(r.Refs) || (*v.References)[0].ID != r.Refs[0].ID) {
			t.Errorf("%s: references %+v, rule refs %+v", v.ID, v.References, r.Refs)
		}
		if v.Detail == "" || v.Description == "" {
			t.Errorf("%s: empty description or detail", v.ID)
		}
	}
	if critical == 0 {
		t.Error("no critical vulnerability for the malicious model")
	}
	if got := prop(b.Metadata.Component.Properties, propScanVerdict); got != string(scan.Malicious) {
		t.Errorf("model verdict %s", got)
	}
}

func keys(m map[string]cdx.Component) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestSingleFile(t *testing.T) {
	path := filepath.Join(maliciousModel, "pytorch_model.bin")
	in := input(t, path, false)
	b, _ := build(t, in)
	checkFiles(t, b, in.Manifest)
	f, ok := components(b)["file:pytorch_model.bin"]
	if !ok || prop(f.Properties, propManifestName) != "." {
		t.Fatalf("file component %+v", f)
	}
	if b.Metadata.Component.Name != "pytorch_model.bin" {
		t.Errorf("model name %q", b.Metadata.Component.Name)
	}
	if b.Vulnerabilities == nil || (*(*b.Vulnerabilities)[0].Affects)[0].Ref != "file:pytorch_model.bin" {
		t.Errorf("vulnerabilities %+v", b.Vulnerabilities)
	}
}

func TestNotScanned(t *testing.T) {
	in := input(t, cleanModel, true)
	b, _ := build(t, in)
	checkFiles(t, b, in.Manifest)
	if b.Vulnerabilities != nil {
		t.Error("vulnerabilities without a scan")
	}
	if got := prop(b.Metadata.Properties, propScanPerformed); got != "false" {
		t.Errorf("scan performed %q", got)
	}
	comps := components(b)
	for ref, c := range comps {
		if c.Type == cdx.ComponentTypeFile && prop(c.Properties, propVerdict) != "" {
			t.Errorf("%s has a verdict without a scan", ref)
		}
	}
	// Frameworks are still inferred, from the file names.
	if got := prop(comps["framework:onnxruntime"].Properties, propInferredFrom); got != "model.onnx (by name)" {
		t.Errorf("onnx inferred from %q", got)
	}
}

func TestPartialScan(t *testing.T) {
	in := input(t, cleanModel, false)
	in.Scan.Files = in.Scan.Files[1:] // a file the scan did not cover
	b, _ := build(t, in)
	if got := prop(b.Metadata.Component.Properties, propScanVerdict); got != string(scan.NotInspected) {
		t.Errorf("model verdict %s with a file not scanned", got)
	}
	if ps := props(b.Metadata.Properties, propProblem); len(ps) != 1 || !strings.Contains(ps[0], "not in the scan report") {
		t.Errorf("problems %v", ps)
	}
}

func TestSignatureStates(t *testing.T) {
	in := input(t, cleanModel, true)
	for _, s := range signatureStates {
		in.Signature = Signature{State: s, Method: "key", Signer: "sha256:abcd", Bundle: "model.sig", Detail: "checked\nby test"}
		b, _ := build(t, in)
		p := b.Metadata.Properties
		if prop(p, propSignaturePrefix+"state") != s || prop(p, propSignaturePrefix+"method") != "key" ||
			prop(p, propSignaturePrefix+"signer") != "sha256:abcd" || prop(p, propSignaturePrefix+"bundle") != "model.sig" ||
			prop(p, propSignaturePrefix+"detail") != "checked by test" {
			t.Errorf("state %s: properties %+v", s, *p)
		}
	}
	for _, bad := range []string{"", "valid", "VERIFIED"} {
		in.Signature = Signature{State: bad}
		if _, err := Build(context.Background(), in); err == nil {
			t.Errorf("state %q accepted", bad)
		}
	}
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	good := input(t, cleanModel, true)
	shards, err := manifest.Build(ctx, cleanModel, manifest.Options{Method: manifest.MethodShards, ShardSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	dup := *good.Manifest
	dup.Resources = append(append([]manifest.Resource(nil), dup.Resources...), dup.Resources[0])
	for name, mod := range map[string]func(*Input){
		"no manifest":   func(in *Input) { in.Manifest = nil },
		"shards":        func(in *Input) { in.Manifest = shards },
		"bad serial":    func(in *Input) { in.Serial = "urn:uuid:NOT-A-UUID" },
		"duplicate":     func(in *Input) { in.Manifest = &dup },
		"other hash":    func(in *Input) { m := *good.Manifest; m.HashType = "md5"; in.Manifest = &m },
		"bad signature": func(in *Input) { in.Signature.State = "maybe" },
	} {
		in := good
		mod(&in)
		if _, err := Build(ctx, in); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Build(cancelled, good); err == nil {
		t.Error("cancelled context: no error")
	}
	if err := Encode(&bytes.Buffer{}, nil); err == nil {
		t.Error("Encode(nil): no error")
	}
}

func TestDeterministic(t *testing.T) {
	dir := hfModel(t, nil, nil)
	in := input(t, dir, false)
	_, a := build(t, in)
	_, b := build(t, input(t, dir, false))
	if !bytes.Equal(a, b) {
		t.Error("two BOMs of the same model differ")
	}
	in.Serial, in.Time = "", time.Time{}
	x, _ := build(t, in)
	y, _ := build(t, in)
	if !serialRE.MatchString(x.SerialNumber) || x.SerialNumber == y.SerialNumber {
		t.Errorf("random serials %s, %s", x.SerialNumber, y.SerialNumber)
	}
	if _, err := time.Parse(time.RFC3339, x.Metadata.Timestamp); err != nil {
		t.Error(err)
	}
	// Components are sorted by bom-ref.
	cs := *x.Components
	for i := 1; i < len(cs); i++ {
		if cs[i-1].BOMRef >= cs[i].BOMRef {
			t.Errorf("components out of order: %s, %s", cs[i-1].BOMRef, cs[i].BOMRef)
		}
	}
}

// TestHostileCards: model cards and configurations that are huge, alias
// bombs, deeply nested or of the wrong type never fail the BOM, never
// hang, and are each noted as a problem.
func TestHostileCards(t *testing.T) {
	bomb := "---\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	prev := "a"
	for i := 0; i < 9; i++ {
		n := string(rune('b' + i))
		bomb += n + ": &" + n + " [" + strings.Repeat("*"+prev+",", 8) + "*" + prev + "]\n"
		prev = n
	}
	bomb += "license: mit\n---\n"
	deep := "---\nlicense: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n---\n"
	huge := "---\nlicense: mit\n---\n" + strings.Repeat("x", MaxCardBytes)
	for _, tc := range []struct {
		name, readme, config, problem string
	}{
		{"alias bomb", bomb, "", "aliases"},
		{"merge key", "---\nbase: &b {license: mit}\nother:\n  <<: *b\n---\n", "", "aliases"},
		{"deep yaml", deep, "", "README.md front matter"},
		{"huge readme", huge, "", "larger than"},
		{"big front matter", "---\ntags: [" + strings.Repeat("a,", 200_000) + "a]\n---\n", "", "front matter is larger"},
		{"many nodes", "---\ntags:\n" + strings.Repeat("- a\n", 60_000) + "---\n", "", "more than 50000 nodes"},
		{"invalid yaml", "---\nlicense: [mit\n---\n", "", "not valid YAML"},
		{"yaml list", "---\n- a\n- b\n---\n", "", "not a YAML mapping"},
		{"config array", "", `["not", "an", "object"]`, "not a JSON object"},
		{"config null", "", `null`, "null"},
		{"config garbage", "", "{\"a\": NaN}", "not valid JSON"},
		{"deep json", "", strings.Repeat("[", 20000) + strings.Repeat("]", 20000), "config.json"},
		{"huge config", "", `{"a":"` + strings.Repeat("y", MaxCardBytes) + `"}`, "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			readme, config := []byte(tc.readme), []byte(tc.config)
			if tc.readme == "" {
				readme = nil
			}
			if tc.config == "" {
				config = nil
			}
			dir := hfModel(t, readme, config)
			in := input(t, dir, true)
			done := make(chan struct{})
			var b *cdx.BOM
			var err error
			go func() {
				defer close(done)
				b, err = Build(context.Background(), in)
			}()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("Build did not finish in 20s")
			}
			if err != nil {
				t.Fatal(err)
			}
			encodeValid(t, b)
			ps := strings.Join(props(b.Metadata.Properties, propProblem), "\n")
			if !strings.Contains(ps, tc.problem) {
				t.Errorf("problems %q do not mention %q", ps, tc.problem)
			}
			checkFiles(t, b, in.Manifest)
		})
	}
}

// TestCardText: names and values from the card are cleaned of control
// characters and cut to size, and other licences keep their name.
func TestCardText(t *testing.T) {
	readme := "---\nlicense: [other, llama3, GPL-3.0]\nlicense_name: acme-research\nlicense_link: https://example.com/licence\n" +
		"model_name: \"evil\\u202ename\\nx\"\npipeline_tag: " + strings.Repeat("t", 1000) + "\n---\n"
	dir := hfModel(t, []byte(readme), []byte(`{"architectures": "LlamaForCausalLM", "transformers_version": "4.0.0; rm -rf /"}`))
	b, _ := build(t, input(t, dir, true))
	m := b.Metadata.Component
	if m.Name != "evil name x" {
		t.Errorf("name %q", m.Name)
	}
	if mp := m.ModelCard.ModelParameters; len(mp.Task) > maxShortText || mp.ModelArchitecture != "LlamaForCausalLM" {
		t.Errorf("model parameters %+v", mp)
	}
	ls := *m.Licenses
	if len(ls) != 3 || ls[0].License.Name != "acme-research" || ls[0].License.URL != "https://example.com/licence" ||
		ls[1].License.Name != "llama3" || ls[2].License.ID != "GPL-3.0-only" {
		t.Errorf("licenses %+v %+v %+v", ls[0].License, ls[1].License, ls[2].License)
	}
	tr := components(b)["framework:transformers"]
	if tr.Version != "" || tr.PackageURL != "pkg:pypi/transformers" {
		t.Errorf("a version unfit for a purl was used: %+v", tr)
	}
}

// TestSPDXTable: every SPDX ID the licence table produces is in the SPDX
// list of the CycloneDX 1.6 schema.
func TestSPDXTable(t *testing.T) {
	var s struct {
		Enum []string `json:"enum"`
	}
	if err := json.Unmarshal(readTestdata(t, "schema", "spdx.schema.json"), &s); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, id := range s.Enum {
		ids[id] = true
	}
	for hf, id := range spdxIDs {
		if !ids[id] {
			t.Errorf("%s maps to %s, not an SPDX ID", hf, id)
		}
	}
}
