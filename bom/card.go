package bom

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Bounds on what is read from a model's own description. Model cards and
// configurations are written by whoever published the model: every one of
// these numbers caps work or output that a hostile file could inflate.
const (
	// MaxCardBytes bounds config.json and README.md; larger files are not
	// parsed (a BOM property says so).
	MaxCardBytes = 1 << 20
	// maxFrontMatter bounds the YAML parsed: the parser builds a node per
	// scalar before any check can run, some 120 bytes of memory for each
	// 2 bytes of a flow list. Real front matter, model-index included,
	// stays far below.
	maxFrontMatter = 256 << 10
	maxYAMLDepth   = 32
	maxYAMLNodes   = 50_000
	maxListItems   = 256  // tags, languages, metrics, datasets, results
	maxShortText   = 256  // names, identifiers, values
	maxLongText    = 4096 // model card sections
)

// card is what modelward understood of a model's config.json and README.md
// front matter. Every field is optional; problems says what could not be
// read, one sentence each.
type card struct {
	// config.json
	architectures       []string
	modelType           string
	torchDtype          string
	transformersVersion string
	numParameters       string
	nameOrPath          string

	// README.md front matter
	modelName         string
	licenses          []string
	licenseName       string
	licenseLink       string
	pipelineTag       string
	libraryName       string
	datasets          []string
	baseModels        []string
	baseModelRelation string
	languages         []string
	tags              []string
	metrics           []string
	results           []evalResult

	// README.md body
	useCases, limitations, ethics []string

	problems []string
}

// evalResult is one metric of a model-index result.
type evalResult struct {
	task, dataset, datasetType, split, config string
	metric, value                             string
}

// readBounded reads a regular file of at most limit bytes. A larger file
// is an error that says so; nothing past limit+1 bytes is read.
func readBounded(name string, limit int64) ([]byte, error) {
	st, err := os.Lstat(name)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", filepath.Base(name))
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes: not parsed", filepath.Base(name), limit)
	}
	return b, nil
}

// parseConfig reads a transformers-style config.json. It never fails: what
// cannot be read is recorded in c.problems.
func (c *card) parseConfig(doc []byte) {
	defer c.recoverInto("config.json")
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var top map[string]any
	if err := dec.Decode(&top); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) && ute.Field == "" {
			c.problem("config.json is not a JSON object (it is a %s): not used", ute.Value)
			return
		}
		c.problem("config.json is not valid JSON (%s): not used", clip(err.Error(), maxShortText))
		return
	}
	if top == nil {
		c.problem("config.json is null: not used")
		return
	}
	c.architectures = stringList(top["architectures"])
	c.modelType = scalar(top["model_type"])
	c.torchDtype = scalar(top["torch_dtype"])
	if c.torchDtype == "" {
		c.torchDtype = scalar(top["dtype"]) // transformers 4.56+ writes "dtype"
	}
	c.transformersVersion = scalar(top["transformers_version"])
	c.numParameters = scalar(top["num_parameters"])
	c.nameOrPath = scalar(top["_name_or_path"])
}

// parseReadme reads a Hugging Face model card: YAML front matter between
// "---" lines at the very start, then Markdown. It never fails.
func (c *card) parseReadme(doc []byte) {
	defer c.recoverInto("README.md")
	front, body, ok := splitFrontMatter(doc)
	if ok {
		c.parseFrontMatter(front)
	}
	c.parseSections(body)
}

// splitFrontMatter returns the YAML between an opening "---" line (the
// first line of the file, after an optional byte order mark) and the next
// "---" line, and the rest of the document.
func splitFrontMatter(doc []byte) (front, body []byte, ok bool) {
	doc = bytes.TrimPrefix(doc, []byte("\xef\xbb\xbf"))
	first, rest, found := bytes.Cut(doc, []byte("\n"))
	if !found || strings.TrimRight(string(first), " \t\r") != "---" {
		return nil, doc, false
	}
	for off := 0; off < len(rest); {
		line, _, _ := bytes.Cut(rest[off:], []byte("\n"))
		if t := strings.TrimRight(string(line), " \t\r"); t == "---" || t == "..." {
			end := off + len(line)
			if end < len(rest) {
				end++
			}
			return rest[:off], rest[end:], true
		}
		off += len(line) + 1
	}
	return nil, doc, false
}

// parseFrontMatter decodes the front matter into a yaml.Node, which does
// not expand aliases, and refuses documents with aliases, merge keys,
// excessive depth or too many nodes before reading any value: a billion
// laughs cannot grow past the bytes that were read.
func (c *card) parseFrontMatter(front []byte) {
	if len(front) > maxFrontMatter {
		c.problem("README.md front matter is larger than %d bytes: not used", maxFrontMatter)
		return
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(front, &doc); err != nil {
		c.problem("README.md front matter is not valid YAML (%s): not used", clip(err.Error(), maxShortText))
		return
	}
	if len(doc.Content) == 0 {
		return // empty front matter
	}
	if err := checkYAML(&doc); err != nil {
		c.problem("README.md front matter %v: not used", err)
		return
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		c.problem("README.md front matter is not a YAML mapping: not used")
		return
	}
	get := func(key string) *yaml.Node { return mapValue(root, key) }
	c.licenses = yamlStrings(get("license"))
	c.licenseName = yamlScalar(get("license_name"))
	c.licenseLink = yamlScalar(get("license_link"))
	c.pipelineTag = yamlScalar(get("pipeline_tag"))
	c.libraryName = yamlScalar(get("library_name"))
	c.datasets = yamlStrings(get("datasets"))
	c.baseModels = yamlStrings(get("base_model"))
	c.baseModelRelation = yamlScalar(get("base_model_relation"))
	c.languages = yamlStrings(get("language"))
	c.tags = yamlStrings(get("tags"))
	c.metrics = yamlStrings(get("metrics"))
	c.modelName = yamlScalar(get("model_name"))
	c.parseModelIndex(get("model-index"))
}

// checkYAML walks the node tree once, bounded, and rejects what a model
// card has no use for and an attacker does: aliases (and so merge keys,
// which need them), deep nesting and huge trees.
func checkYAML(n *yaml.Node) error {
	nodes := 0
	var walk func(n *yaml.Node, depth int) error
	walk = func(n *yaml.Node, depth int) error {
		nodes++
		switch {
		case nodes > maxYAMLNodes:
			return fmt.Errorf("has more than %d nodes", maxYAMLNodes)
		case depth > maxYAMLDepth:
			return fmt.Errorf("nests deeper than %d levels", maxYAMLDepth)
		case n.Kind == yaml.AliasNode:
			return errors.New("uses YAML aliases (refused: alias expansion can make a small file huge)")
		}
		for _, ch := range n.Content {
			if err := walk(ch, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(n, 0)
}

// parseModelIndex reads model-index: [{name, results: [{task: {type, name},
// dataset: {name, type, config, split}, metrics: [{type, value, name}]}]}].
func (c *card) parseModelIndex(mi *yaml.Node) {
	if mi == nil || mi.Kind != yaml.SequenceNode {
		return
	}
	for _, entry := range mi.Content {
		if entry.Kind != yaml.MappingNode {
			continue
		}
		if c.modelName == "" {
			c.modelName = yamlScalar(mapValue(entry, "name"))
		}
		results := mapValue(entry, "results")
		if results == nil || results.Kind != yaml.SequenceNode {
			continue
		}
		for _, r := range results.Content {
			if r.Kind != yaml.MappingNode {
				continue
			}
			task := mapValue(r, "task")
			ds := mapValue(r, "dataset")
			base := evalResult{
				task:        firstNonEmpty(yamlScalar(mapValue(task, "type")), yamlScalar(mapValue(task, "name"))),
				dataset:     firstNonEmpty(yamlScalar(mapValue(ds, "type")), yamlScalar(mapValue(ds, "name"))),
				datasetType: yamlScalar(mapValue(ds, "type")),
				split:       yamlScalar(mapValue(ds, "split")),
				config:      yamlScalar(mapValue(ds, "config")),
			}
			ms := mapValue(r, "metrics")
			if ms == nil || ms.Kind != yaml.SequenceNode {
				continue
			}
			for _, m := range ms.Content {
				if len(c.results) >= maxListItems {
					return
				}
				er := base
				er.metric = firstNonEmpty(yamlScalar(mapValue(m, "type")), yamlScalar(mapValue(m, "name")))
				er.value = yamlScalar(mapValue(m, "value"))
				if er.metric != "" && er.value != "" {
					c.results = append(c.results, er)
				}
			}
		}
	}
}

// Section headings of the Hugging Face model card template that map onto
// CycloneDX modelCard.considerations.
var (
	headingRE     = regexp.MustCompile(`^#{1,6}\s+(.+?)\s*#*\s*$`)
	useCaseRE     = regexp.MustCompile(`(?i)\b(intended uses?|direct use|uses|use cases?)\b`)
	limitationsRE = regexp.MustCompile(`(?i)\blimitations?\b`)
	ethicsRE      = regexp.MustCompile(`(?i)\b(bias|ethic|risks?)`)
)

// parseSections takes the first paragraph under the model card's "Uses",
// "Limitations" and "Bias, Risks" headings. Template placeholders ("[More
// Information Needed]") are skipped.
func (c *card) parseSections(body []byte) {
	var heading string
	var text []string
	flush := func() {
		if heading == "" {
			return
		}
		t := strings.TrimSpace(strings.Join(text, " "))
		text = text[:0]
		if t == "" || strings.Contains(t, "More Information Needed") {
			return
		}
		t = clip(t, maxLongText)
		// A heading may name several topics ("Bias, Risks, and
		// Limitations", "Intended uses & limitations"): the text goes
		// to the first that matches, risks before uses before limitations.
		switch {
		case ethicsRE.MatchString(heading):
			c.ethics = appendCapped(c.ethics, t)
		case useCaseRE.MatchString(heading):
			c.useCases = appendCapped(c.useCases, t)
		case limitationsRE.MatchString(heading):
			c.limitations = appendCapped(c.limitations, t)
		}
	}
	inCode := false
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inCode = !inCode
			continue
		}
		if inCode {
			continue
		}
		if m := headingRE.FindStringSubmatch(line); m != nil {
			flush()
			heading = m[1]
			continue
		}
		if heading == "" {
			continue
		}
		if strings.TrimSpace(line) == "" {
			if len(text) > 0 {
				flush()
				heading = "" // only the first paragraph of a section
			}
			continue
		}
		text = append(text, strings.TrimSpace(line))
	}
	flush()
}

func (c *card) problem(format string, a ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, a...))
}

// recoverInto turns a panic in a parser (a bug, never an input's fault)
// into a problem note, so one bad file cannot take the BOM down.
func (c *card) recoverInto(file string) {
	if r := recover(); r != nil {
		c.problem("%s could not be read (internal error: %v): not used", file, r)
	}
}

// mapValue returns the value of key in a mapping node, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// yamlScalar returns a scalar's text, cleaned; "" for anything else.
func yamlScalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return ""
	}
	return clean(n.Value, maxShortText)
}

// yamlStrings reads a scalar or a sequence of scalars, deduplicated in
// order, at most maxListItems.
func yamlStrings(n *yaml.Node) []string {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		if s := yamlScalar(n); s != "" {
			return []string{s}
		}
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil
	}
	var out []string
	for _, ch := range n.Content {
		out = appendUnique(out, yamlScalar(ch))
	}
	return out
}

// scalar renders a JSON string, number or boolean; "" for anything else.
func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return clean(x, maxShortText)
	case json.Number:
		return clean(x.String(), maxShortText)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// stringList reads a JSON string or array of strings.
func stringList(v any) []string {
	switch x := v.(type) {
	case string:
		if s := clean(x, maxShortText); s != "" {
			return []string{s}
		}
	case []any:
		var out []string
		for _, e := range x {
			out = appendUnique(out, scalar(e))
		}
		return out
	}
	return nil
}

func appendUnique(list []string, s string) []string {
	if s == "" || len(list) >= maxListItems {
		return list
	}
	for _, e := range list {
		if e == s {
			return list
		}
	}
	return append(list, s)
}

func appendCapped(list []string, s string) []string {
	if len(list) >= 8 {
		return list
	}
	return append(list, s)
}

// clean makes text from a hostile file fit to print: valid UTF-8, no
// control characters, trimmed, at most max bytes.
func clean(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r) {
			return ' '
		}
		return r
	}, s)
	return clip(strings.TrimSpace(s), max)
}

// clip cuts s to at most max bytes on a rune boundary, marking the cut.
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
