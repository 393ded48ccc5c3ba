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
// auto_map of config.json and tokenizer_config.json. Values are a
// "module.Class" string, a list of them (a tokenizer and its fast twin,
// nulls allowed), and may name another repository as "org/repo--module.Class".
func (j *job) remoteCode(doc []byte, member []string) {
	var top struct {
		AutoMap map[string]json.RawMessage `json:"auto_map"`
	}
	if json.Unmarshal(doc, &top) != nil || len(top.AutoMap) == 0 {
		return // not JSON, or no custom code: other checks speak for the file
	}
	keys := make([]string, 0, len(top.AutoMap))
	for k := range top.AutoMap {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var local, foreign []string
	for _, k := range keys {
		for _, ref := range autoMapRefs(top.AutoMap[k]) {
			if strings.Contains(ref, "--") {
				foreign = append(foreign, k+"="+ref)
			} else {
				local = append(local, k+"="+ref)
			}
		}
	}
	loc := j.loc(child(member, "auto_map"), -1)
	if len(foreign) > 0 {
		f := finding.New(finding.RemoteCode, loc,
			fmt.Sprintf("auto_map takes classes from other repositories (%s): loading with trust_remote_code runs Python code that is not among the files scanned", strings.Join(foreign, ", ")),
			finding.Evidence{Args: foreign})
		f.Severity = finding.High
		j.add(f)
	}
	if len(local) > 0 {
		j.add(finding.New(finding.RemoteCode, loc,
			fmt.Sprintf("auto_map names custom classes (%s): loading with trust_remote_code imports and runs the repository's Python modules; review them", strings.Join(local, ", ")),
			finding.Evidence{Args: local}))
	}
}

// autoMapRefs returns the class references of one auto_map value.
func autoMapRefs(raw json.RawMessage) []string {
	var one string
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
