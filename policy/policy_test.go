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

// A class defined in the script that saved a model (torch.save(model) of a
// class written in train.py) is __main__.ClassName: unknown (MW102), while
// everything else under __main__ stays dangerous.
func TestClassifyMainModule(t *testing.T) {
	p := Default()
	cases := []struct {
		name string
		want Class
	}{
		{"Net", Unknown},
		{"MyModel2", Unknown},
		{"Custom_Transformer", Unknown},
		{"os", Dangerous},           // a module the loading script imported
		{"system", Dangerous},       // a function imported into __main__
		{"eval", Dangerous},         // builtins reached through __main__
		{"net", Dangerous},          // lowercase: may be a function
		{"Net.forward", Dangerous},  // dotted: walks attributes of what __main__ holds
		{"os.system", Dangerous},    // dotted path through an imported module
		{"__builtins__", Dangerous}, // the interpreter's builtins
		{"__builtins__.eval", Dangerous},
		{"Popen", Dangerous}, // from subprocess import Popen
		{"CDLL", Dangerous},  // from ctypes import CDLL
		{"_Net", Dangerous},  // not class-like
		{"Né", Dangerous},    // identifier chars are ASCII here
	}
	for _, c := range cases {
		if got := p.Classify("__main__", c.name); got.Class != c.want {
			t.Errorf("__main__.%s: class %d (%q), want %d", c.name, got.Class, got.Entry, c.want)
		}
	}
	// Only the module __main__ itself: a class-like name elsewhere under a
	// denied path is still dangerous, and a user's own deny entry wins.
	if got := p.Classify("os", "Net"); got.Class != Dangerous {
		t.Errorf("os.Net: class %d, want Dangerous", got.Class)
	}
	if got := p.Classify("mypkg.__main__", "Net"); got.Class != Dangerous {
		t.Errorf("mypkg.__main__.Net: class %d, want Dangerous", got.Class)
	}
	u, err := Parse(strings.NewReader("deny: [__main__]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Classify("__main__", "Net"); got.Class != Denied {
		t.Errorf("user deny of __main__: class %d, want Denied", got.Class)
	}
}

func TestDangerousAttribute(t *testing.T) {
	p := Default()
	for _, name := range []string{"_annealing_cos", "_triangular_scale_fn", "forward", "predict_proba", "transform", "scale_fn"} {
		if why, bad := p.DangerousAttribute(name); bad {
			t.Errorf("%s: dangerous (%s), want safe", name, why)
		}
	}
	for _, name := range []string{"__getattribute__", "__reduce__", "__globals__", "__builtins__", "__subclasses__",
		"__class__", "__init__", "__x", "x__", "system", "popen", "eval", "exec", "execv", "spawnl", "load", "loads",
		"os", "sys", "pickle", "subprocess", "a.b", "", "1x", "open", "compile"} {
		if _, bad := p.DangerousAttribute(name); !bad {
			t.Errorf("%q: safe, want dangerous", name)
		}
	}
}
