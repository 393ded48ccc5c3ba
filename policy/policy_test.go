package policy

import (
	"strings"
	"testing"
	"time"

	"github.com/modelward/modelward/finding"
)

func TestClassify(t *testing.T) {
	p, err := Parse(strings.NewReader("deny: [numpy.random]\nallow: [\"mypkg.models.**:[A-Z]*\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		module, name string
		want         Class
	}{
		{"torch._utils", "_rebuild_tensor_v2", Allowed},
		{"collections", "OrderedDict", Allowed},
		{"torch.nn.modules.linear", "Linear", Allowed},
		{"torch.nn.modules.linear", "math", Unknown},                  // class-like names only
		{"torch.nn.modules.linear", "Linear.__init__", Unknown},       // never across a dot
		{"torch._utils", "_rebuild_tensor_v2.__globals__", Dangerous}, // __globals__ is denied anywhere
		{"os", "system", Dangerous},
		{"torch", "serialization.os.system", Dangerous},
		{"pathlib", "os.system", Dangerous},
		{"__builtin__", "eval", Dangerous}, // Python 2 name mapped
		{"copy_reg", "_reconstructor", Allowed},
		{"torch.jit._pickle", "build_intlist", Allowed}, // exact allow wins over "_pickle"
		{"pickle", "loads", Dangerous},
		{"numpy.random.mtrand", "RandomState", Denied}, // the user's deny wins over the default allow
		{"mypkg.models.resnet", "ResNet", Allowed},
		{"mypkg.models", "Net", Allowed},
		{"mypkg.other", "Net", Unknown},
		{"somepkg", "Thing", Unknown},
	}
	for _, c := range cases {
		if got := p.Classify(c.module, c.name); got.Class != c.want {
			t.Errorf("%s.%s: class %d (%q), want %d", c.module, c.name, got.Class, got.Entry, c.want)
		}
	}
}

func TestParseOverlaysDefaults(t *testing.T) {
	p, err := Parse(strings.NewReader("fail_on: high\nlimits:\n  max_memo: 10\n  file_timeout: 30s\n"))
	if err != nil {
		t.Fatal(err)
	}
	d := Default()
	if p.FailOn != finding.High || p.Limits.MaxMemo != 10 || p.Limits.FileTimeout != 30*time.Second {
		t.Errorf("overrides not applied: %+v", p.Limits)
	}
	if p.Limits.MaxStack != d.Limits.MaxStack || len(p.Allow) != len(d.Allow) {
		t.Error("unset values did not keep the defaults")
	}
}

func TestParseErrors(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown key":       "fail_onn: high\n",
		"unknown limit":     "limits:\n  max_memos: 1\n",
		"bad severity":      "fail_on: severe\n",
		"zero limit":        "limits:\n  max_memo: 0\n",
		"bad allow entry":   "allow: [\"no-colon\"]\n",
		"bad deny entry":    "deny: [\"os..system\"]\n",
		"future version":    "version: 2\n",
		"not a mapping":     "- a\n- b\n",
		"bad allow pattern": "allow: [\"a[:b\"]\n",
	} {
		if _, err := Parse(strings.NewReader(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestYAMLRoundTrip(t *testing.T) {
	b, err := Default().YAML()
	if err != nil {
		t.Fatal(err)
	}
	p, err := parse(strings.NewReader(string(b)), nil, true)
	if err != nil {
		t.Fatalf("rendered policy does not parse: %v\n%s", err, b)
	}
	d := Default()
	if len(p.Allow) != len(d.Allow) || len(p.Deny) != len(d.Deny) || p.Limits != d.Limits || p.FailOn != d.FailOn {
		t.Error("round trip changed the policy")
	}
}
