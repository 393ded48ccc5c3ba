// Package bom builds an AI bill of materials for a model: a CycloneDX 1.6
// document that lists the model (component type machine-learning-model,
// with a model card read from config.json and the README front matter),
// every file of the model with its SHA-256, the frameworks that load it,
// the datasets it declares, what the scanner found (as vulnerabilities)
// and whether it is signed.
//
// The package hashes nothing and loads nothing: file digests come from a
// sign/manifest.Manifest, formats and findings from a scan.Report, and the
// signature state from the caller. The only files it reads are the model's
// config.json and README.md, each bounded to MaxCardBytes and parsed as
// hostile input: a file that cannot be parsed becomes a note in the BOM,
// never a failure. docs/bom.md describes every field.
package bom

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/scan"
	"github.com/modelward/modelward/sign/manifest"
)

// Signature states, the values of the modelward:signature:state property.
const (
	// SignatureVerified: the signature verifies and the model matches it.
	SignatureVerified = "verified"
	// SignatureMismatch: the signature verifies but files differ from it.
	SignatureMismatch = "mismatch"
	// SignatureInvalid: the signature does not verify (wrong key, untrusted
	// or expired certificate, malformed bundle).
	SignatureInvalid = "invalid"
	// SignaturePresentUnverified: a signature file exists but was not checked.
	SignaturePresentUnverified = "present-unverified"
	// SignatureAbsent: no signature was found.
	SignatureAbsent = "absent"
)

var signatureStates = []string{SignatureVerified, SignatureMismatch, SignatureInvalid, SignaturePresentUnverified, SignatureAbsent}

// Signature is what the caller knows of the model's signature.
type Signature struct {
	State  string // one of the Signature* constants (required)
	Method string // "key", "certificate", "sigstore", ...
	Signer string // key fingerprint, certificate subject or identity
	Bundle string // where the signature file is
	Detail string // one sentence for people, such as why it is invalid
}

// Input is everything Build needs.
type Input struct {
	Path      string             // model folder or single file
	Manifest  *manifest.Manifest // files method, sha256 (required)
	Scan      *scan.Report       // nil when not scanned
	Signature Signature
	// ToolVersion is modelward's version, recorded in metadata.tools.
	ToolVersion string
	Time        time.Time // zero: now
	Serial      string    // empty: random urn:uuid
}

// Property names: modelward's namespace in CycloneDX properties.
const (
	propFormat          = "modelward:format"
	propVerdict         = "modelward:verdict"
	propNotInspected    = "modelward:not-inspected"
	propInfo            = "modelward:info"
	propScanError       = "modelward:scan:error"
	propFindings        = "modelward:findings"
	propSize            = "modelward:size"
	propManifestName    = "modelward:manifest:name"
	propManifestMethod  = "modelward:manifest:method"
	propManifestDigest  = "modelward:manifest:digest"
	propManifestIgnore  = "modelward:manifest:ignore-path"
	propScanPerformed   = "modelward:scan:performed"
	propScanVerdict     = "modelward:scan:verdict"
	propProblem         = "modelward:problem"
	propInferredFrom    = "modelward:inferred-from"
	propDatasetRole     = "modelward:dataset:role"
	propLocation        = "modelward:location"
	propRuleName        = "modelward:rule:name"
	propEvidence        = "modelward:evidence:"
	propSignaturePrefix = "modelward:signature:"
	propCard            = "modelward:card:"
)

// bom-ref prefixes. A bom-ref must be unique in the document; each kind
// of component has its own prefix so that a file called "torch" and the
// framework cannot collide.
const (
	refModel     = "model:"
	refFile      = "file:"
	refFramework = "framework:"
	refDataset   = "dataset:"
	refBaseModel = "base-model:"
	refFinding   = "finding:"
)

const (
	schema16 = "http://cyclonedx.org/schema/bom-1.6.schema.json"
	rulesURL = "https://github.com/modelward/modelward/blob/main/docs/rules.md"
	toolURL  = "https://github.com/modelward/modelward"
)

var serialRE = regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// hubIDRE matches a Hugging Face repository id ("gpt2", "org/name"); only
// such ids are turned into URLs and package URLs.
var hubIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?$`)

// Build assembles the BOM. It fails only on a caller's mistake (no
// manifest, a manifest of another method or hash, an unknown signature
// state, a malformed serial number) or a cancelled context; anything wrong
// with the model's own files is recorded in the BOM.
func Build(ctx context.Context, in Input) (*cdx.BOM, error) {
	m := in.Manifest
	switch {
	case m == nil:
		return nil, errors.New("bom: a manifest of the model is required")
	case m.Method != manifest.MethodFiles:
		return nil, fmt.Errorf("bom: the manifest must use method %q (one resource per file), not %q", manifest.MethodFiles, m.Method)
	case m.HashType != manifest.HashSHA256:
		return nil, fmt.Errorf("bom: the manifest must use hash type %q, not %q", manifest.HashSHA256, m.HashType)
	}
	if !validState(in.Signature.State) {
		return nil, fmt.Errorf("bom: signature state %q is not one of %s", in.Signature.State, strings.Join(signatureStates, ", "))
	}
	serial := in.Serial
	if serial == "" {
		var err error
		if serial, err = newSerial(); err != nil {
			return nil, err
		}
	} else if !serialRE.MatchString(serial) {
		return nil, fmt.Errorf("bom: serial number %q is not a lower-case urn:uuid", serial)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ts := in.Time
	if ts.IsZero() {
		ts = time.Now()
	}

	b := &bomBuilder{in: in, single: len(m.Resources) == 1 && m.Resources[0].Name == ".", frameworks: frameworkSet{}}
	if err := b.files(); err != nil {
		return nil, err
	}
	if !b.single {
		b.readCard()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.frameworks.fromCard(&b.card)
	model := b.model()

	comps := append(b.fileComps, b.frameworks.components()...)
	comps = append(comps, b.datasets()...)
	sort.Slice(comps, func(i, j int) bool { return comps[i].BOMRef < comps[j].BOMRef })

	tools := []cdx.Component{{
		Type:    cdx.ComponentTypeApplication,
		Name:    "modelward",
		Version: clean(in.ToolVersion, maxShortText),
		ExternalReferences: &[]cdx.ExternalReference{
			{Type: cdx.ERTypeVCS, URL: toolURL},
		},
	}}
	bom := &cdx.BOM{
		JSONSchema:   schema16,
		BOMFormat:    cdx.BOMFormat,
		SpecVersion:  cdx.SpecVersion1_6,
		SerialNumber: serial,
		Version:      1,
		Metadata: &cdx.Metadata{
			Timestamp:  ts.UTC().Format(time.RFC3339),
			Tools:      &cdx.ToolsChoice{Components: &tools},
			Component:  model,
			Properties: nonEmpty(b.metadataProperties()),
		},
		Components:      nonEmpty(comps),
		Dependencies:    nonEmpty(b.dependencies(model.BOMRef, comps)),
		Vulnerabilities: nonEmpty(b.vulnerabilities()),
	}
	return bom, nil
}

// Encode writes b as indented CycloneDX 1.6 JSON. Fields that CycloneDX
// 1.6 lacks are dropped, whatever b holds.
func Encode(w io.Writer, b *cdx.BOM) error {
	if b == nil {
		return errors.New("bom: nothing to encode")
	}
	c := *b
	c.JSONSchema, c.BOMFormat, c.SpecVersion = schema16, cdx.BOMFormat, cdx.SpecVersion1_6
	if c.Version == 0 {
		c.Version = 1
	}
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true).SetEscapeHTML(false)
	if err := enc.EncodeVersion(&c, cdx.SpecVersion1_6); err != nil {
		return fmt.Errorf("bom: encoding: %w", err)
	}
	return nil
}

// bomBuilder holds the pieces while Build assembles them.
type bomBuilder struct {
	in     Input
	single bool
	card   card

	fileComps  []cdx.Component
	fileRefs   []string            // in manifest order
	results    []*scan.FileResult  // parallel to fileRefs; nil when not scanned
	listed     map[string]struct{} // manifest names
	frameworks frameworkSet
	problems   []string
	unscanned  int
}

// files makes one component per manifest resource and matches each with
// its scan result.
func (b *bomBuilder) files() error {
	m := b.in.Manifest
	scanned, unlisted := indexScan(b.in.Path, b.in.Scan, b.single)
	if unlisted > 0 {
		b.problems = append(b.problems, fmt.Sprintf("%d scanned file(s) are not in the manifest: their findings are not in this BOM", unlisted))
	}
	b.listed = map[string]struct{}{}
	for _, r := range m.Resources {
		if _, dup := b.listed[r.Name]; dup {
			return fmt.Errorf("bom: the manifest lists %q twice", r.Name)
		}
		b.listed[r.Name] = struct{}{}
		if r.Algorithm != manifest.HashSHA256 || len(r.Digest) != 32 {
			return fmt.Errorf("bom: manifest resource %q has no sha256 digest", r.Name)
		}
		name := r.Name
		if b.single {
			name = m.ModelName
			if name == "" {
				name = filepath.Base(b.in.Path)
			}
		}
		props := []cdx.Property{{Name: propManifestName, Value: r.Name}}
		fr := scanned[r.Name]
		format := ""
		switch {
		case fr != nil:
			format = fr.Format
			props = append(props,
				cdx.Property{Name: propFormat, Value: fr.Format},
				cdx.Property{Name: propVerdict, Value: string(fr.Verdict)},
				cdx.Property{Name: propSize, Value: strconv.FormatInt(fr.Size, 10)},
				cdx.Property{Name: propFindings, Value: strconv.Itoa(len(fr.Findings))})
			for _, f := range fr.Findings {
				switch {
				case coverageRules[f.Rule]:
					props = append(props, cdx.Property{Name: propNotInspected, Value: f.Rule + ": " + clean(f.Message, maxLongText)})
				case f.Severity == finding.Info:
					props = append(props, cdx.Property{Name: propInfo, Value: f.Rule + ": " + clean(f.Message, maxLongText)})
				}
			}
			if fr.Error != "" {
				props = append(props, cdx.Property{Name: propScanError, Value: clean(fr.Error, maxLongText)})
			}
		case b.in.Scan != nil:
			b.unscanned++
			props = append(props, cdx.Property{Name: propVerdict, Value: "not-scanned"})
		}
		b.frameworks.fromFile(name, format)
		ref := refFile + name
		b.fileRefs = append(b.fileRefs, ref)
		b.results = append(b.results, fr)
		// A model's files are CycloneDX "file" components: 1.6 defines
		// "file" as a computer file, identified here by its SHA-256,
		// whatever it holds. "data" is for data sets (it carries data
		// governance and a dataset type), and the weights are not the
		// model either: the machine-learning-model component, with the
		// model card, stands for the model these files make up.
		b.fileComps = append(b.fileComps, cdx.Component{
			BOMRef:     ref,
			Type:       cdx.ComponentTypeFile,
			Name:       name,
			MIMEType:   mimeType(name),
			Hashes:     &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: hex.EncodeToString(r.Digest)}},
			Properties: &props,
		})
	}
	return nil
}

// coverageRules are the rules that mean part of a file was not inspected
// (the scanner's "not-inspected" verdict).
var coverageRules = map[string]bool{
	finding.NotInspected: true, finding.LimitReached: true, finding.PickleMalformed: true,
	finding.ArchiveBomb: true, finding.StructureInvalid: true,
}

// indexScan maps the report's files to manifest names: paths relative to
// the model folder, "." for a single-file model. It returns how many
// scanned files lie outside the model.
func indexScan(root string, rep *scan.Report, single bool) (map[string]*scan.FileResult, int) {
	out := map[string]*scan.FileResult{}
	if rep == nil {
		return out, 0
	}
	rootAbs, err := filepath.Abs(root)
	if err != nil {
		return out, len(rep.Files)
	}
	unlisted := 0
	for i := range rep.Files {
		fr := &rep.Files[i]
		p, err := filepath.Abs(fr.Path)
		if err != nil {
			unlisted++
			continue
		}
		var name string
		if single {
			if p != rootAbs {
				unlisted++
				continue
			}
			name = "."
		} else {
			rel, err := filepath.Rel(rootAbs, p)
			if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				unlisted++
				continue
			}
			name = filepath.ToSlash(rel)
		}
		out[name] = fr
	}
	return out, unlisted
}

// readCard reads config.json and README.md at the model root when the
// manifest lists them (ignored files are not read).
func (b *bomBuilder) readCard() {
	for _, f := range []struct {
		name  string
		parse func([]byte)
	}{{"config.json", b.card.parseConfig}, {"README.md", b.card.parseReadme}} {
		if _, ok := b.listed[f.name]; !ok {
			continue
		}
		doc, err := readBounded(filepath.Join(b.in.Path, f.name), MaxCardBytes)
		if err != nil {
			b.card.problem("%s could not be read: %s", f.name, clean(unwrapPath(err), maxShortText))
			continue
		}
		f.parse(doc)
	}
}

// unwrapPath drops the path from an *os.PathError so that a BOM does not
// carry the builder's directory layout.
func unwrapPath(err error) string {
	var pe interface{ Unwrap() error }
	if errors.As(err, &pe) {
		if inner := pe.Unwrap(); inner != nil {
			return inner.Error()
		}
	}
	return err.Error()
}

// model builds the machine-learning-model component.
func (b *bomBuilder) model() *cdx.Component {
	c := &b.card
	name := b.modelName()
	comp := &cdx.Component{
		BOMRef:   refModel + name,
		Type:     cdx.ComponentTypeMachineLearningModel,
		Name:     name,
		Licenses: licenses(c),
	}
	if len(c.tags) > 0 {
		tags := append([]string(nil), c.tags...)
		comp.Tags = &tags
	}
	props := []cdx.Property{
		{Name: propManifestMethod, Value: b.in.Manifest.Method},
		{Name: propManifestDigest, Value: "sha256:" + hex.EncodeToString(b.in.Manifest.SubjectDigest())},
	}
	for _, p := range b.in.Manifest.IgnorePaths {
		props = append(props, cdx.Property{Name: propManifestIgnore, Value: p})
	}
	add := func(key, v string) {
		if v != "" {
			props = append(props, cdx.Property{Name: propCard + key, Value: v})
		}
	}
	add("torch_dtype", c.torchDtype)
	add("transformers_version", c.transformersVersion)
	add("num_parameters", c.numParameters)
	add("_name_or_path", c.nameOrPath)
	add("library_name", c.libraryName)
	add("base_model_relation", c.baseModelRelation)
	for _, l := range c.languages {
		add("language", l)
	}
	for _, mt := range c.metrics {
		add("metric", mt)
	}
	if b.in.Scan != nil {
		props = append(props, cdx.Property{Name: propScanVerdict, Value: b.worstVerdict()})
	}
	comp.Properties = &props

	if len(c.baseModels) > 0 {
		var anc []cdx.Component
		for _, id := range c.baseModels {
			a := cdx.Component{BOMRef: refBaseModel + id, Type: cdx.ComponentTypeMachineLearningModel, Name: id}
			if hubIDRE.MatchString(id) {
				a.PackageURL = "pkg:huggingface/" + id
			}
			anc = append(anc, a)
		}
		comp.Pedigree = &cdx.Pedigree{Ancestors: &anc}
		if c.baseModelRelation != "" {
			comp.Pedigree.Notes = "base_model_relation: " + c.baseModelRelation
		}
	}
	comp.ModelCard = b.modelCard()
	return comp
}

// modelName: the README's model_name or first model-index name, then
// config.json's _name_or_path when it is a hub id and not the base model
// (transformers records where the weights were loaded from, which for a
// fine-tune is its base), then the folder or file name.
func (b *bomBuilder) modelName() string {
	c := &b.card
	if c.modelName != "" {
		return c.modelName
	}
	if n := c.nameOrPath; n != "" && hubIDRE.MatchString(n) && strings.Contains(n, "/") {
		isBase := false
		for _, bm := range c.baseModels {
			isBase = isBase || bm == n
		}
		if !isBase {
			return n
		}
	}
	if n := b.in.Manifest.ModelName; n != "" && n != "." && n != string(filepath.Separator) {
		return clean(n, maxShortText)
	}
	if n := filepath.Base(b.in.Path); n != "." && n != string(filepath.Separator) {
		return clean(n, maxShortText)
	}
	return "model"
}

func (b *bomBuilder) modelCard() *cdx.MLModelCard {
	c := &b.card
	mc := &cdx.MLModelCard{}
	params := &cdx.MLModelParameters{
		Task:               c.pipelineTag,
		ArchitectureFamily: c.modelType,
		ModelArchitecture:  strings.Join(c.architectures, ", "),
	}
	var ds []cdx.MLDatasetChoice
	for _, id := range b.datasetIDs() {
		ds = append(ds, cdx.MLDatasetChoice{Ref: refDataset + id})
	}
	if len(ds) > 0 {
		params.Datasets = &ds
	}
	if *params != (cdx.MLModelParameters{}) {
		mc.ModelParameters = params
	}
	if len(c.results) > 0 {
		var pm []cdx.MLPerformanceMetric
		for _, r := range c.results {
			var slice []string
			for _, kv := range [][2]string{{"task", r.task}, {"dataset", r.dataset}, {"config", r.config}, {"split", r.split}} {
				if kv[1] != "" {
					slice = append(slice, kv[0]+"="+kv[1])
				}
			}
			pm = append(pm, cdx.MLPerformanceMetric{Type: r.metric, Value: r.value, Slice: strings.Join(slice, " ")})
		}
		mc.QuantitativeAnalysis = &cdx.MLQuantitativeAnalysis{PerformanceMetrics: &pm}
	}
	cons := &cdx.MLModelCardConsiderations{}
	if len(c.useCases) > 0 {
		cons.UseCases = &c.useCases
	}
	if len(c.limitations) > 0 {
		cons.TechnicalLimitations = &c.limitations
	}
	if len(c.ethics) > 0 {
		var ec []cdx.MLModelCardEthicalConsideration
		for _, e := range c.ethics {
			ec = append(ec, cdx.MLModelCardEthicalConsideration{Name: e})
		}
		cons.EthicalConsiderations = &ec
	}
	if cons.UseCases != nil || cons.TechnicalLimitations != nil || cons.EthicalConsiderations != nil {
		mc.Considerations = cons
	}
	return mc
}

// datasetIDs lists declared (training) datasets, then evaluation datasets
// of model-index results, without repeats, at most maxListItems.
func (b *bomBuilder) datasetIDs() []string {
	var ids []string
	for _, d := range b.card.datasets {
		ids = appendUnique(ids, d)
	}
	for _, r := range b.card.results {
		ids = appendUnique(ids, r.dataset)
	}
	return ids
}

// datasets renders each dataset as a component of type "data" holding
// one data entry of type "dataset", as CycloneDX 1.6 describes data
// components; a hub id gets its hub URL as the contents' location.
func (b *bomBuilder) datasets() []cdx.Component {
	training := map[string]bool{}
	for _, d := range b.card.datasets {
		training[d] = true
	}
	evaluation := map[string]bool{}
	for _, r := range b.card.results {
		evaluation[r.dataset] = true
	}
	var out []cdx.Component
	for _, id := range b.datasetIDs() {
		cd := cdx.ComponentData{Type: cdx.ComponentDataTypeDataset, Name: id}
		if hubIDRE.MatchString(id) {
			cd.Contents = &cdx.ComponentDataContents{URL: "https://huggingface.co/datasets/" + id}
		}
		var props []cdx.Property
		if training[id] {
			props = append(props, cdx.Property{Name: propDatasetRole, Value: "training"})
		}
		if evaluation[id] {
			props = append(props, cdx.Property{Name: propDatasetRole, Value: "evaluation"})
		}
		out = append(out, cdx.Component{
			BOMRef:     refDataset + id,
			Type:       cdx.ComponentTypeData,
			Name:       id,
			Data:       &[]cdx.ComponentData{cd},
			Properties: nonEmpty(props),
		})
	}
	return out
}

// verdictRank orders verdicts, worst last, as the scanner does.
var verdictRank = map[scan.Verdict]int{scan.Unrecognised: 0, scan.Clean: 1, scan.Suspicious: 2, scan.NotInspected: 3, scan.Failed: 4, scan.Malicious: 5}

// worstVerdict summarises the model's files. Files the scan missed make
// the model "not-inspected" at least: never clean.
func (b *bomBuilder) worstVerdict() string {
	worst := scan.Unrecognised
	for _, fr := range b.results {
		if fr != nil && verdictRank[fr.Verdict] > verdictRank[worst] {
			worst = fr.Verdict
		}
	}
	if b.unscanned > 0 && verdictRank[worst] < verdictRank[scan.NotInspected] {
		worst = scan.NotInspected
	}
	return string(worst)
}

func (b *bomBuilder) metadataProperties() []cdx.Property {
	s := b.in.Signature
	props := []cdx.Property{{Name: propSignaturePrefix + "state", Value: s.State}}
	for _, kv := range [][2]string{{"method", s.Method}, {"signer", s.Signer}, {"bundle", s.Bundle}, {"detail", s.Detail}} {
		if v := clean(kv[1], maxLongText); v != "" {
			props = append(props, cdx.Property{Name: propSignaturePrefix + kv[0], Value: v})
		}
	}
	props = append(props, cdx.Property{Name: propScanPerformed, Value: strconv.FormatBool(b.in.Scan != nil)})
	if b.unscanned > 0 {
		b.problems = append(b.problems, fmt.Sprintf("%d file(s) of the manifest are not in the scan report", b.unscanned))
	}
	for _, p := range append(b.card.problems, b.problems...) {
		props = append(props, cdx.Property{Name: propProblem, Value: p})
	}
	return props
}

// dependencies: the model depends on its files and on the frameworks that
// load it; every component is listed, those without dependencies with an
// empty entry, as CycloneDX asks.
func (b *bomBuilder) dependencies(modelRef string, comps []cdx.Component) []cdx.Dependency {
	var on []string
	for _, c := range comps {
		if c.Type != cdx.ComponentTypeData {
			on = append(on, c.BOMRef)
		}
	}
	deps := []cdx.Dependency{{Ref: modelRef, Dependencies: nonEmpty(on)}}
	for _, c := range comps {
		deps = append(deps, cdx.Dependency{Ref: c.BOMRef})
	}
	return deps
}

// vulnerabilities turns each finding of low severity or above into a
// CycloneDX vulnerability whose id is the rule ID, affecting the file it
// was found in. Info findings are notes, not weaknesses ("content is not a
// recognised model format" on a README): they stay on the file component
// as modelward:info properties. Order: files in manifest order, findings
// as finding.Sort orders them.
func (b *bomBuilder) vulnerabilities() []cdx.Vulnerability {
	var out []cdx.Vulnerability
	src := func(rule string) *cdx.Source {
		return &cdx.Source{Name: "modelward", URL: rulesURL + "#" + strings.ToLower(rule)}
	}
	for i, fr := range b.results {
		if fr == nil {
			continue
		}
		fs := append([]finding.Finding(nil), fr.Findings...)
		finding.Sort(fs)
		for _, f := range fs {
			if f.Severity == finding.Info {
				continue // a note (such as "not a model format"), on the file as modelward:info
			}
			rule, known := finding.Lookup(f.Rule)
			id := clean(f.Rule, maxShortText)
			v := cdx.Vulnerability{
				BOMRef:  refFinding + strconv.Itoa(len(out)+1),
				ID:      id,
				Source:  src(id),
				Ratings: &[]cdx.VulnerabilityRating{{Source: src(id), Severity: severity(f.Severity), Method: cdx.ScoringMethodOther}},
				Detail:  detail(f),
				Affects: &[]cdx.Affects{{Ref: b.fileRefs[i]}},
			}
			props := []cdx.Property{{Name: propLocation, Value: clean(locationIn(b.fileComps[i].Name, f.Location), maxLongText)}}
			if known {
				v.Description = rule.Title + ". " + rule.Rationale
				props = append(props, cdx.Property{Name: propRuleName, Value: rule.Name})
				var refs []cdx.VulnerabilityReference
				for _, r := range rule.Refs {
					refs = append(refs, cdx.VulnerabilityReference{ID: r.ID, Source: &cdx.Source{Name: r.Framework, URL: r.URL}})
				}
				v.References = nonEmpty(refs)
			}
			v.Recommendation = recommendation(f)
			for _, kv := range [][2]string{{"import", f.Evidence.Import}, {"call", f.Evidence.Call}, {"detail", f.Evidence.Detail}} {
				if s := clean(kv[1], maxLongText); s != "" {
					props = append(props, cdx.Property{Name: propEvidence + kv[0], Value: s})
				}
			}
			v.Properties = &props
			out = append(out, v)
		}
	}
	return out
}

// locationIn renders a finding's place inside the file by its BOM name.
func locationIn(name string, l finding.Location) string {
	l.Path = name
	return l.String()
}

func detail(f finding.Finding) string {
	var b strings.Builder
	b.WriteString(clean(f.Message, maxLongText))
	if s := f.Evidence.Call; s != "" {
		b.WriteString("\nCall: " + clean(s, maxLongText))
	} else if s := f.Evidence.Import; s != "" {
		b.WriteString("\nImport: " + clean(s, maxLongText))
	}
	if len(f.Evidence.Args) > 0 {
		var args []string
		for _, a := range f.Evidence.Args[:min(len(f.Evidence.Args), 16)] {
			args = append(args, clean(a, maxShortText))
		}
		b.WriteString("\nArguments: " + strings.Join(args, ", "))
	}
	if s := f.Evidence.Detail; s != "" {
		b.WriteString("\nDetail: " + clean(s, maxLongText))
	}
	if m := f.Location.MemberPath(); m != "" {
		b.WriteString("\nIn: " + clean(m, maxLongText))
	}
	return b.String()
}

func recommendation(f finding.Finding) string {
	switch {
	case f.Severity == finding.Critical:
		return "Do not load this file: loading it can run code. Remove the model or replace it with a copy from a trusted source whose signature verifies."
	case coverageRules[f.Rule]:
		return "Part of this file was not inspected: do not treat it as clean. Inspect it by other means or replace it before loading."
	case f.Severity >= finding.Medium:
		return "Review the evidence before loading this file; extend the policy allowlist only for code you trust."
	}
	return ""
}

// severity maps modelward's severities onto CycloneDX's, which has the
// same five names (plus none and unknown).
func severity(s finding.Severity) cdx.Severity {
	switch s {
	case finding.Critical:
		return cdx.SeverityCritical
	case finding.High:
		return cdx.SeverityHigh
	case finding.Medium:
		return cdx.SeverityMedium
	case finding.Low:
		return cdx.SeverityLow
	case finding.Info:
		return cdx.SeverityInfo
	}
	return cdx.SeverityUnknown
}

// mimeType names the media type of the files whose type is certain from
// their name; model formats have no registered types and get none.
func mimeType(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".json":
		return "application/json"
	case ".md":
		return "text/markdown"
	case ".txt":
		return "text/plain"
	}
	return ""
}

func validState(s string) bool {
	for _, v := range signatureStates {
		if s == v {
			return true
		}
	}
	return false
}

// newSerial returns a random (version 4) UUID URN.
func newSerial() (string, error) {
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		return "", fmt.Errorf("bom: serial number: %w", err)
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u[:])
	return "urn:uuid:" + h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

// nonEmpty returns a pointer to s, or nil for an empty s, so that empty
// lists are omitted from the JSON.
func nonEmpty[T any](s []T) *[]T {
	if len(s) == 0 {
		return nil
	}
	return &s
}
