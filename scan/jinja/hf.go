package jinja

import (
	"encoding/json"
	"fmt"

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
func CheckTokenizerConfig(js []byte, cfg Config) []finding.Finding {
	var doc struct {
		ChatTemplate json.RawMessage `json:"chat_template"`
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		return []finding.Finding{invalid(cfg.Location, "tokenizer_config.json is not a valid JSON object", err)}
	}
	if len(doc.ChatTemplate) == 0 || string(doc.ChatTemplate) == "null" {
		return nil
	}
	var one string
	if err := json.Unmarshal(doc.ChatTemplate, &one); err == nil {
		return Findings(one, cfg.Location, "chat_template", -1)
	}
	var many []struct {
		Name     string `json:"name"`
		Template string `json:"template"`
	}
	if err := json.Unmarshal(doc.ChatTemplate, &many); err != nil {
		return []finding.Finding{invalid(cfg.Location, "chat_template is neither a string nor a list of {name, template} objects", err)}
	}
	var out []finding.Finding
	for _, t := range many {
		out = append(out, Findings(t.Template, cfg.Location, "chat_template["+t.Name+"]", -1)...)
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
