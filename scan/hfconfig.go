package scan

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/modelward/modelward/finding"
)

// remoteCode reports the classes a transformers configuration makes the
// library import from Python files when trust_remote_code is set: the
// auto_map of config.json, tokenizer_config.json and the processor
// configs, and the custom_pipelines of config.json. Values are a
// "module.Class" string, a list of them (a tokenizer and its fast twin,
// nulls allowed), and may name another repository as
// "org/repo--module.Class". The document is read as Python's json reads
// it: keys are exact (Go's struct decoding would match "AUTO_MAP" too),
// and NaN and Infinity are numbers.
//
// A document that is not JSON is reported unless the caller has already
// reported it (reported is true).
func (j *job) remoteCode(doc []byte, member []string, reported bool) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(pythonJSON(doc), &top); err != nil {
		if reported {
			return
		}
		j.add(finding.New(finding.StructureInvalid, j.loc(member, -1),
			"the configuration is not JSON that Python reads ("+err.Error()+"): its auto_map and templates could not be checked", finding.Evidence{}))
		return
	}
	var refs []string
	for _, k := range sortedKeys(top) {
		switch {
		case k == "auto_map":
			refs = append(refs, autoMapEntries(top[k])...)
		case k == "custom_pipelines":
			refs = append(refs, pipelineRefs(top[k])...)
		case strings.EqualFold(k, "auto_map") || strings.EqualFold(k, "custom_pipelines"):
			j.add(finding.New(finding.StructureInvalid, j.loc(child(member, k), -1),
				fmt.Sprintf("the key %q differs from %q only in case: transformers reads the exact key, other readers may take this one", k, strings.ToLower(k)),
				finding.Evidence{Detail: k}))
			refs = append(refs, autoMapEntries(top[k])...)
		}
	}
	j.reportRemoteCode(refs, member)
}

func (j *job) reportRemoteCode(refs []string, member []string) {
	var local, foreign []string
	for _, r := range refs {
		if strings.Contains(r, "--") {
			foreign = append(foreign, r)
		} else {
			local = append(local, r)
		}
	}
	loc := j.loc(child(member, "auto_map"), -1)
	if len(foreign) > 0 {
		f := finding.New(finding.RemoteCode, loc,
			fmt.Sprintf("the configuration takes classes from other repositories (%s): loading with trust_remote_code runs Python code that is not among the files scanned", strings.Join(foreign, ", ")),
			finding.Evidence{Args: foreign})
		f.Severity = finding.High
		j.add(f)
	}
	if len(local) > 0 {
		j.add(finding.New(finding.RemoteCode, loc,
			fmt.Sprintf("the configuration names custom classes (%s): loading with trust_remote_code imports and runs the repository's Python modules; review them", strings.Join(local, ", ")),
			finding.Evidence{Args: local}))
	}
}

// autoMapEntries lists an auto_map's references as "Key=module.Class";
// the legacy list form (a tokenizer pair without keys) has no key.
func autoMapEntries(raw json.RawMessage) []string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) == nil {
		var out []string
		for _, k := range sortedKeys(m) {
			for _, r := range autoMapRefs(m[k]) {
				out = append(out, k+"="+r)
			}
		}
		return out
	}
	return autoMapRefs(raw)
}

// pipelineRefs lists the implementations of custom_pipelines, which
// pipeline(..., trust_remote_code=True) imports.
func pipelineRefs(raw json.RawMessage) []string {
	var m map[string]struct {
		Impl json.RawMessage `json:"impl"`
	}
	if json.Unmarshal(raw, &m) != nil {
		return []string{"custom_pipelines=(unreadable)"}
	}
	var out []string
	for _, task := range sortedKeys(m) {
		for _, r := range autoMapRefs(m[task].Impl) {
			out = append(out, "pipeline "+task+"="+r)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// pythonJSON rewrites the non-standard numbers Python's json accepts (NaN,
// Infinity, -Infinity) outside strings as zeros padded with spaces, so
// the standard decoder reads the same document, offsets unchanged.
func pythonJSON(doc []byte) []byte {
	var out []byte
	inString, escaped := false, false
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == 'N' || c == 'I':
			for _, w := range []string{"NaN", "Infinity"} {
				if strings.HasPrefix(string(doc[i:min(len(doc), i+len(w))]), w) {
					if out == nil {
						out = append([]byte(nil), doc...)
					}
					copy(out[i:], "0"+strings.Repeat(" ", len(w)-1))
					i += len(w) - 1
					break
				}
			}
		}
	}
	if out == nil {
		return doc
	}
	return out
}

// autoMapRefs returns the class references of one auto_map value.
func autoMapRefs(raw json.RawMessage) []string {
	var one string
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if json.Unmarshal(raw, &one) == nil {
		return nonEmpty(one)
	}
	var many []*string
	if json.Unmarshal(raw, &many) == nil {
		var out []string
		for _, s := range many {
			if s != nil {
				out = append(out, nonEmpty(*s)...)
			}
		}
		return out
	}
	return []string{"(unreadable: " + truncate(string(raw), 60) + ")"}
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
