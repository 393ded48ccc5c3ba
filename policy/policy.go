// Package policy holds what a scan allows, denies and tolerates: the
// allowlist of callables that real model files need, the curated dangerous
// set, the severity that fails a run, and the limits every parser obeys.
//
// The default policy is embedded (default.yaml). A user policy file extends
// it: its allow and deny entries are added to the defaults, and the limits and
// thresholds it sets replace the defaults one by one.
package policy

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/modelward/modelward/finding"
)

//go:embed default.yaml
var defaultYAML []byte

// generated holds the exact class lists generated from the real libraries
// (see scripts/gen_allowlist.py): one module:qualname a line, # comments.
//
//go:embed allowlist/*.txt
var generated embed.FS

func generatedAllow() []string {
	var out []string
	files, _ := fs.Glob(generated, "allowlist/*.txt")
	for _, name := range files {
		b, _ := generated.ReadFile(name)
		for _, line := range strings.Split(string(b), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				out = append(out, line)
			}
		}
	}
	return out
}

// DefaultYAML returns the embedded default policy as written.
func DefaultYAML() []byte { return append([]byte(nil), defaultYAML...) }

// Limits bound every parser. Reaching one is a finding, never a crash.
type Limits struct {
	MaxFileBytes         int64         `yaml:"max_file_bytes" json:"max_file_bytes"`
	MaxPickleBytes       int64         `yaml:"max_pickle_bytes" json:"max_pickle_bytes"`
	MaxPickleOps         int64         `yaml:"max_pickle_ops" json:"max_pickle_ops"`
	MaxMemo              int           `yaml:"max_memo" json:"max_memo"`
	MaxStack             int           `yaml:"max_stack" json:"max_stack"`
	MaxMarks             int           `yaml:"max_marks" json:"max_marks"`
	MaxStreams           int           `yaml:"max_streams" json:"max_streams"`
	MaxNesting           int           `yaml:"max_nesting" json:"max_nesting"`
	MaxNestedBytes       int64         `yaml:"max_nested_bytes" json:"max_nested_bytes"`
	MaxDecompressedBytes int64         `yaml:"max_decompressed_bytes" json:"max_decompressed_bytes"`
	MaxCompressionRatio  int64         `yaml:"max_compression_ratio" json:"max_compression_ratio"`
	MaxArchiveMembers    int           `yaml:"max_archive_members" json:"max_archive_members"`
	MaxTotalBytes        int64         `yaml:"max_total_bytes" json:"max_total_bytes"`
	MaxSpoolBytes        int64         `yaml:"max_spool_bytes" json:"max_spool_bytes"`
	FileTimeout          time.Duration `yaml:"file_timeout" json:"file_timeout"`
}

// Policy is the effective policy of a scan.
type Policy struct {
	Version int              `yaml:"version" json:"version"`
	FailOn  finding.Severity `yaml:"fail_on" json:"fail_on"`
	Allow   []string         `yaml:"allow" json:"allow"`
	Deny    []string         `yaml:"deny" json:"deny"`
	Limits  Limits           `yaml:"limits" json:"limits"`
	// Registry holds the registry's lifecycle gates.
	Registry Gates `yaml:"registry" json:"registry"`

	allow       []allowPattern    // wildcard allow entries
	exact       map[string]string // exact allow entries, "module:name" to the entry
	deny        [][]string
	defaultDeny int // deny[:defaultDeny] came from the default policy
}

// file is the on-disk shape; pointers tell "unset" from zero.
type file struct {
	Version  int               `yaml:"version"`
	FailOn   *finding.Severity `yaml:"fail_on"`
	Allow    []string          `yaml:"allow"`
	Deny     []string          `yaml:"deny"`
	Limits   yaml.Node         `yaml:"limits"`
	Registry yaml.Node         `yaml:"registry"`
}

// Default returns the embedded default policy.
func Default() *Policy {
	p, err := parse(bytes.NewReader(defaultYAML), &Policy{FailOn: finding.Medium, Allow: generatedAllow(), Limits: Limits{}}, true)
	if err != nil {
		panic("policy: the embedded default policy is invalid: " + err.Error())
	}
	return p
}

// Load reads a policy file and lays it over the default policy.
func Load(path string) (*Policy, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading policy: %w", err)
	}
	defer f.Close()
	p, err := parse(io.LimitReader(f, 4<<20), Default(), false)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", path, err)
	}
	return p, nil
}

// Parse reads a policy document and lays it over the default policy.
func Parse(r io.Reader) (*Policy, error) { return parse(r, Default(), false) }

// parse lays a policy document over base. The default document is parsed
// over the generated allowlist with asDefault set: its deny entries are
// the default ones, which decides between MW101 and MW108.
func parse(r io.Reader, base *Policy, asDefault bool) (*Policy, error) {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	var f file
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	if f.Version != 0 && f.Version != 1 {
		return nil, fmt.Errorf("unsupported policy version %d: this modelward reads version 1", f.Version)
	}
	p := &Policy{Version: 1, FailOn: finding.Medium}
	if base != nil {
		p.FailOn, p.Limits, p.Registry = base.FailOn, base.Limits, base.Registry
		p.Allow = append(p.Allow, base.Allow...)
		p.Deny = append(p.Deny, base.Deny...)
		p.defaultDeny = base.defaultDeny
	}
	if f.FailOn != nil {
		p.FailOn = *f.FailOn
	}
	p.Allow = append(p.Allow, f.Allow...)
	p.Deny = append(p.Deny, f.Deny...)
	if asDefault {
		p.defaultDeny = len(p.Deny)
	}
	if !f.Limits.IsZero() {
		lim, err := decodeLimits(&f.Limits, p.Limits)
		if err != nil {
			return nil, fmt.Errorf("limits: %w", err)
		}
		p.Limits = lim
	}
	if !f.Registry.IsZero() {
		g, err := decodeGates(&f.Registry, p.Registry)
		if err != nil {
			return nil, fmt.Errorf("registry: %w", err)
		}
		p.Registry = g
	}
	if err := p.compile(); err != nil {
		return nil, err
	}
	return p, p.Limits.validate()
}

// decodeLimits lays the limits a file sets over base, rejecting unknown
// keys: a misspelt limit must not silently keep its default.
func decodeLimits(n *yaml.Node, base Limits) (Limits, error) { return decodeOver(n, base) }

// decodeOver decodes a section of the policy file over base: keys the
// section sets replace base's values, unknown keys are an error.
func decodeOver[T any](n *yaml.Node, base T) (T, error) {
	b, err := yaml.Marshal(n)
	if err != nil {
		return base, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&base); err != nil {
		return base, err
	}
	return base, nil
}

func (l Limits) validate() error {
	checks := []struct {
		name string
		v    int64
	}{
		{"max_file_bytes", l.MaxFileBytes}, {"max_pickle_bytes", l.MaxPickleBytes},
		{"max_pickle_ops", l.MaxPickleOps}, {"max_memo", int64(l.MaxMemo)},
		{"max_stack", int64(l.MaxStack)}, {"max_marks", int64(l.MaxMarks)},
		{"max_streams", int64(l.MaxStreams)}, {"max_nesting", int64(l.MaxNesting)},
		{"max_nested_bytes", l.MaxNestedBytes}, {"max_decompressed_bytes", l.MaxDecompressedBytes},
		{"max_compression_ratio", l.MaxCompressionRatio}, {"max_archive_members", int64(l.MaxArchiveMembers)},
		{"max_total_bytes", l.MaxTotalBytes}, {"max_spool_bytes", l.MaxSpoolBytes}, {"file_timeout", int64(l.FileTimeout)},
	}
	for _, c := range checks {
		if c.v <= 0 {
			return fmt.Errorf("limits.%s must be positive, got %d", c.name, c.v)
		}
	}
	return nil
}

// YAML renders the effective policy as a policy file.
func (p *Policy) YAML() ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}
