package jinja

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/modelward/modelward/finding"
)

// Config says where the checked document is.
type Config struct {
	Location finding.Location
}

// Findings converts the issues of one template to findings: MW316
// (critical) for each dangerous expression, MW202 when analysis stopped at
// a limit. member names the template inside the file (appended to the
// location's member chain); base is added to each issue's offset, or the
// offset is -1 when base is negative (a template decoded from JSON, whose
// offsets no longer match the file).
func Findings(tmpl string, loc finding.Location, member string, base int64) []finding.Finding {
	var out []finding.Finding
	for _, is := range Check(tmpl) {
		l := loc
		l.Member = append(append([]string(nil), loc.Member...), member)
		l.Offset = -1
		if base >= 0 {
			l.Offset = base + int64(is.Offset)
		}
		ev := finding.Evidence{Call: is.Expr, Detail: fmt.Sprintf("template offset %d: %s", is.Offset, is.Reason)}
		if is.Limit {
			out = append(out, finding.New(finding.LimitReached, l,
				fmt.Sprintf("The Jinja template in %s could not be fully analysed: %s.", member, is.Reason), ev))
			continue
		}
		out = append(out, finding.New(finding.TemplateInjection, l,
			fmt.Sprintf("The Jinja template in %s can escape the sandbox and run code when rendered: %s.", member, is.Reason), ev))
	}
	return out
}

// CheckTokenizerConfig checks the chat_template(s) of a Hugging Face
// tokenizer_config.json document: a string, or a list of {"name",
// "template"} objects. Findings are MW316 (critical) per issue, located at
// member "chat_template" or "chat_template[name]"; MW315 when the JSON or
// the chat_template value is malformed.
//
// Keys are matched exactly, as Python's json module does (Go's struct
// decoding would match them case-insensitively, letting "Chat_Template"
// shadow the template transformers renders). A key that differs from an
// expected one only in case is reported (MW315) and its value checked too.
func CheckTokenizerConfig(js []byte, cfg Config) []finding.Finding {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(js, &doc); err != nil {
		return []finding.Finding{invalid(cfg.Location, "the configuration is not a valid JSON object", err)}
	}
	var out []finding.Finding
	for _, k := range keysLike(doc, "chat_template") {
		if k != "chat_template" {
			out = append(out, nearKey(cfg.Location, k, "chat_template"))
		}
		out = append(out, checkChatTemplate(doc[k], cfg, k)...)
	}
	return out
}

// keysLike returns the keys of doc equal to want ignoring case, the exact
// key first, the others sorted.
func keysLike(doc map[string]json.RawMessage, want string) []string {
	var ks []string
	for k := range doc {
		if k != want && strings.EqualFold(k, want) {
			ks = append(ks, k)
		}
	}
	sort.Strings(ks)
	if _, ok := doc[want]; ok {
		ks = append([]string{want}, ks...)
	}
	return ks
}

func nearKey(loc finding.Location, key, want string) finding.Finding {
	return invalid(loc, fmt.Sprintf("the configuration has a key %q that differs from %q only in case (parsers disagree on which one applies)", key, want),
		fmt.Errorf("near-duplicate key %q", key))
}

// checkChatTemplate checks one chat_template value found under key.
func checkChatTemplate(raw json.RawMessage, cfg Config, key string) []finding.Finding {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return Findings(one, cfg.Location, key, -1)
	}
	var many []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &many); err != nil {
		return []finding.Finding{invalid(cfg.Location, "chat_template is neither a string nor a list of {name, template} objects", err)}
	}
	var out []finding.Finding
	for _, t := range many {
		name := ""
		for _, k := range keysLike(t, "name") {
			if k != "name" {
				out = append(out, nearKey(cfg.Location, k, "name"))
			}
		}
		if err := json.Unmarshal(t["name"], &name); t["name"] != nil && err != nil {
			out = append(out, invalid(cfg.Location, "a chat_template entry has a name that is not a string", err))
		}
		for _, k := range keysLike(t, "template") {
			if k != "template" {
				out = append(out, nearKey(cfg.Location, k, "template"))
			}
			var tmpl string
			if err := json.Unmarshal(t[k], &tmpl); err != nil {
				out = append(out, invalid(cfg.Location, "a chat_template entry has a template that is not a string", err))
				continue
			}
			out = append(out, Findings(tmpl, cfg.Location, key+"["+name+"]", -1)...)
		}
	}
	return out
}

func invalid(loc finding.Location, what string, err error) finding.Finding {
	l := loc
	l.Member = append([]string(nil), loc.Member...)
	l.Offset = -1
	return finding.New(finding.StructureInvalid, l,
		what+": its chat template could not be checked for sandbox escapes.", finding.Evidence{Detail: err.Error()})
}
