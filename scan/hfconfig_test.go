package scan

import (
	"testing"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/policy"
)

func TestRemoteCode(t *testing.T) {
	cases := []struct {
		name, doc string
		want      []finding.Severity
	}{
		{"config.json", `{"architectures":["LlamaForCausalLM"],"model_type":"llama","hidden_size":4096}`, nil},
		{"config.json", `{"model_type":"phi3","auto_map":{"AutoConfig":"configuration_phi3.Phi3Config","AutoModelForCausalLM":"modeling_phi3.Phi3ForCausalLM"}}`,
			[]finding.Severity{finding.Medium}},
		{"config.json", `{"auto_map":{"AutoModel":"evil-org/payload--modeling.Model","AutoConfig":"configuration.Cfg"}}`,
			[]finding.Severity{finding.High, finding.Medium}},
		{"tokenizer_config.json", `{"auto_map":{"AutoTokenizer":["tokenization_chatglm.ChatGLMTokenizer",null]},"chat_template":"{{ messages[0]['content'] }}"}`,
			[]finding.Severity{finding.Medium}},
		{"config.json", `not json`, nil},
	}
	for _, c := range cases {
		res := scanBytes(t, c.name, []byte(c.doc), policy.Default())
		var got []finding.Severity
		for _, f := range res.Findings {
			if f.Rule == finding.RemoteCode {
				got = append(got, f.Severity)
			}
		}
		if len(got) != len(c.want) {
			t.Errorf("%s %s: MW318 severities %v, want %v", c.name, c.doc, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s %s: MW318 severities %v, want %v", c.name, c.doc, got, c.want)
			}
		}
	}
}

// TestRemoteCodeAsPythonReadsIt covers the forms transformers reads that a
// lenient or case-insensitive reader would miss.
func TestRemoteCodeAsPythonReadsIt(t *testing.T) {
	cases := []struct {
		name, doc string
		rules     []string
	}{
		{"tokenizer_config.json", `{"auto_map":["evil/repo--tok.T",null]}`, []string{finding.RemoteCode}},
		{"config.json", `{"auto_map":{"AutoModel":"m.M"},"AUTO_MAP":null}`, []string{finding.RemoteCode, finding.StructureInvalid}},
		{"config.json", `{"auto_map":{"AutoModel":"evil/x--m.M"},"rope_theta":NaN,"x":-Infinity,"s":"NaN"}`, []string{finding.RemoteCode}},
		{"preprocessor_config.json", `{"auto_map":{"AutoImageProcessor":"proc.P"}}`, []string{finding.RemoteCode}},
		{"config.json", `{"custom_pipelines":{"text-x":{"impl":"evil/repo--x.P","pt":[]}}}`, []string{finding.RemoteCode}},
		{"config.json", `{"auto_map": {`, []string{finding.StructureInvalid}},
	}
	for _, c := range cases {
		res := scanBytes(t, c.name, []byte(c.doc), policy.Default())
		got := map[string]bool{}
		for _, f := range res.Findings {
			got[f.Rule] = true
		}
		for _, r := range c.rules {
			if !got[r] {
				t.Errorf("%s %s: no %s in %v", c.name, c.doc, r, res.Findings)
			}
		}
	}
}
