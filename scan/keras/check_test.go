package keras

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/modelward/modelward/finding"
)

func check(js string) []finding.Finding {
	return CheckConfig([]byte(js), "config.json", Config{Location: finding.Location{Path: "m.keras", Offset: -1}})
}

// summary renders findings as sorted "RULE:severity" strings.
func summary(fs []finding.Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Rule+":"+f.Severity.String())
	}
	sort.Strings(out)
	return out
}

func readFixture(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBenignFixtures: configurations laid out exactly as Keras 2 and 3
// write them give nothing at medium or above.
func TestBenignFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/benign/*.json")
	if len(files) < 8 {
		t.Fatalf("only %d benign fixtures", len(files))
	}
	for _, f := range files {
		for _, x := range CheckConfig(readFixture(t, f), "model_config", Config{}) {
			if x.Severity >= finding.Medium {
				t.Errorf("%s: %s %s: %s", f, x.Rule, x.Severity, x.Message)
			}
		}
	}
}

var maliciousWant = map[string][]string{
	"json_bomb_deep_nesting.json":                   {"MW202:high"},
	"truncated_config.json":                         {"MW315:high"},
	"keras2_dotted_class_subprocess.json":           {"MW309:critical"},
	"keras2_duplicate_class_name_lambda_py311.json": {"MW308:critical", "MW315:high"},
	"keras2_lambda_malformed_marshal.json":          {"MW308:critical"},
	"keras2_lambda_named_posix_system.json":         {"MW308:critical", "MW309:critical"},
	"keras2_lambda_nested_py311.json":               {"MW308:critical"},
	"keras2_lambda_top_py311.json":                  {"MW308:critical"},
	"keras3_builtins_exec.json":                     {"MW309:critical"},
	"keras3_enable_unsafe_then_lambda_py311.json":   {"MW308:critical", "MW310:critical"},
	"keras3_keras_utils_get_file.json":              {"MW309:critical"},
	"keras3_lambda_nested_py311.json":               {"MW308:critical"},
	"keras3_lambda_top_py311.json":                  {"MW308:critical"},
	"keras3_module_os_system.json":                  {"MW309:critical"},
	"keras3_module_os_utf16.json":                   {"MW309:critical"},
	"keras3_module_padded_os.json":                  {"MW309:critical"},
	"keras3_module_uppercase_os.json":               {"MW309:critical"},
	"keras3_safe_mode_false.json":                   {"MW310:critical"},
	"keras3_stringlookup_vocabulary_abs_path.json":  {"MW309:high"},
	"keras3_textvectorization_vocabulary_url.json":  {"MW309:high"},
	"keras2_stringlookup_vocabulary_relative.json":  {"MW309:medium"},
	// Keras 3 resolver paths: joined api names, the registered_name
	// fallback, and bare class names in the legacy HDF5 loader.
	"keras3_apiname_tfsmlayer.json":               {"MW309:critical"},
	"keras3_apiname_get_file_function.json":       {"MW309:critical"},
	"keras3_apiname_load_model_function.json":     {"MW309:critical"},
	"keras3_apiname_stringlookup_vocabulary.json": {"MW309:high"},
	"keras3_regname_tfsmlayer.json":               {"MW309:critical"},
	"keras3_regname_get_file.json":                {"MW309:critical"},
	"keras3_regname_stringlookup_vocabulary.json": {"MW309:high", "MW311:low"},
	"keras2_legacy_bare_tfsmlayer.json":           {"MW309:critical"},
	"keras2_legacy_bare_deserialize.json":         {"MW309:critical", "MW309:high"},
	// tf.keras TFOpLambda / SlicingOpLambda calling a TF symbol that
	// reaches Python, files or the network (the first five are the
	// red-team tfop_*.h5 model_config attributes, byte for byte).
	"keras2_tfop_io_read_file.json":               {"MW309:high"},
	"keras2_tfop_io_write_file.json":              {"MW309:high"},
	"keras2_tfop_raw_ops_writefile.json":          {"MW309:high"},
	"keras2_tfop_compat_v1_py_func.json":          {"MW309:critical"},
	"keras2_tfop_summary_create_file_writer.json": {"MW309:high"},
	"keras2_tfop_numpy_function.json":             {"MW309:critical"},
	"keras2_slicingop_gfile_glob.json":            {"MW309:high"},
}

func TestMaliciousFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/malicious/*.json")
	if len(files) != len(maliciousWant) {
		t.Errorf("%d malicious fixtures, %d expectations", len(files), len(maliciousWant))
	}
	for _, f := range files {
		want, ok := maliciousWant[filepath.Base(f)]
		if !ok {
			t.Errorf("%s: no expectation", f)
			continue
		}
		got := summary(CheckConfig(readFixture(t, f), "model_config", Config{}))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %v, want %v", f, got, want)
		}
	}
}

// TestLambdaEvidence checks that the message and evidence say what the
// bytecode reaches, and that the location points into the nested model.
func TestLambdaEvidence(t *testing.T) {
	base := finding.Location{Path: "model.h5", Member: []string{"outer.zip"}, Offset: -1}
	fs := CheckConfig(readFixture(t, "testdata/malicious/keras2_lambda_nested_py311.json"), "model_config", Config{Location: base})
	var lam *finding.Finding
	for i := range fs {
		if fs[i].Rule == finding.KerasLambda {
			lam = &fs[i]
		}
	}
	if lam == nil {
		t.Fatal("no MW308")
	}
	for _, w := range []string{"deep_lambda", "os", "system", "__import__", "process execution"} {
		if !strings.Contains(lam.Message, w) {
			t.Errorf("message lacks %q: %s", w, lam.Message)
		}
	}
	args := strings.Join(lam.Evidence.Args, " ")
	if !strings.Contains(args, "system") || !strings.Contains(args, `"echo modelward-test"`) {
		t.Errorf("args = %v", lam.Evidence.Args)
	}
	wantMember := []string{"outer.zip", "model_config", "config.layers[1].config.layer.config.layer.config.layers[1]"}
	if !reflect.DeepEqual(lam.Location.Member, wantMember) || lam.Location.Path != "model.h5" {
		t.Errorf("location = %+v", lam.Location)
	}
	if len(base.Member) != 1 {
		t.Errorf("base member chain modified: %v", base.Member)
	}
	js := readFixture(t, "testdata/malicious/keras2_lambda_nested_py311.json")
	if off := lam.Location.Offset; off < 0 || !strings.HasPrefix(string(js[off:]), `{"class_name": "Lambda"`) {
		t.Errorf("offset %d does not point at the Lambda layer", off)
	}
}

func TestInlineCases(t *testing.T) {
	code := base64.StdEncoding.EncodeToString(readFixture(t, "testdata/marshal/py311_identity.marshal"))
	fn := func(module, name string) string {
		return fmt.Sprintf(`{"module": %q, "class_name": "function", "config": %q, "registered_name": null}`, module, name)
	}
	dense := func(act string) string {
		return `{"module": "keras.layers", "class_name": "Dense", "config": {"name": "d", "units": 2, "activation": ` + act + `}, "registered_name": null}`
	}
	cases := []struct {
		name, js string
		want     []string
	}{
		{"lambda as activation", dense(`{"class_name": "__lambda__", "config": {"code": "` + code + `", "defaults": null, "closure": null}}`), []string{"MW308:critical"}},
		{"serialize_keras_object lambda", dense(`{"class_name": "__lambda__", "config": {"value": ["` + code + `", null, null]}}`), []string{"MW308:critical"}},
		{"lambda with no code", `{"class_name": "Lambda", "config": {"name": "l"}}`, []string{"MW308:critical"}},
		{"keras builtin function", dense(`{"module": "builtins", "class_name": "function", "config": "relu", "registered_name": "function"}`), []string{}},
		{"registered function", dense(`{"module": "builtins", "class_name": "function", "config": "mw>act", "registered_name": "function"}`), []string{"MW311:low"}},
		{"builtins getattr", dense(fn("builtins", "getattr")), []string{"MW309:critical"}},
		{"builtins max", dense(fn("builtins", "max")), []string{"MW309:high"}},
		{"unknown module", dense(fn("mycompany.acts", "swish2")), []string{"MW309:high"}},
		{"tensorflow hub", `{"module": "tensorflow_hub", "class_name": "KerasLayer", "config": {"handle": "https://x"}}`, []string{"MW309:high"}},
		{"numpy load", dense(fn("numpy", "load")), []string{"MW309:critical"}},
		{"numpy function", dense(fn("numpy", "tanh")), []string{}},
		{"serialization_lib", dense(fn("keras.src.saving.serialization_lib", "deserialize_keras_object")), []string{"MW309:critical"}},
		{"saving module", dense(fn("keras.src.saving.saving_lib", "something")), []string{"MW309:high"}},
		{"unsafe string anywhere", `{"class_name": "Sequential", "config": {"name": "s", "notes": "keras.config.enable_unsafe_deserialization"}}`, []string{"MW310:critical"}},
		{"safe_mode true", `{"class_name": "Sequential", "config": {"name": "s", "safe_mode": true}}`, []string{"MW310:low"}},
		{"safe_mode string", `{"class_name": "Sequential", "config": {"name": "s", "safe_mode": "False"}}`, []string{"MW310:critical"}},
		{"registry key imitating os", `{"class_name": "X", "config": {}, "registered_name": "os>system"}`, []string{"MW309:high"}},
		{"custom class keras 2", `{"class_name": "Sequential", "config": {"layers": [{"class_name": "MyAttention", "config": {"name": "a"}}]}}`, []string{"MW311:low"}},
		{"custom registered keras 2", `{"class_name": "Custom>MyAttention", "config": {"name": "a"}}`, []string{"MW311:low"}},
		{"tf 2.11 optimizer", `{"class_name": "Custom>Adam", "config": {"name": "Adam"}}`, []string{}},
		{"main module custom", `{"module": "__main__", "class_name": "MyLayer", "config": {}, "registered_name": null}`, []string{"MW309:high"}},
		{"registered custom in package", `{"module": "pkg.layers", "class_name": "MyLayer", "config": {}, "registered_name": "Pkg>MyLayer"}`, []string{"MW311:low"}},
		{"registered custom in os", `{"module": "os", "class_name": "system", "config": {}, "registered_name": "Pkg>system"}`, []string{"MW309:critical"}},
		{"escaped module name", dense(`{"module": "\u006fs", "class_name": "function", "config": "system"}`), []string{"MW309:critical"}},
		{"duplicate module keeps last", `{"class_name": "function", "module": "keras.activations", "module": "os", "config": "system"}`, []string{"MW309:critical", "MW315:high"}},
		{"keras2 raw function", `{"class_name": "Lambda", "config": {"function": "system", "function_type": "function", "module": "os"}}`, []string{"MW308:critical", "MW309:critical"}},
		{"keras2 raw string function", `{"class_name": "Lambda", "config": {"function": "popen", "function_type": "raw", "module": "os"}}`, []string{"MW308:critical", "MW309:critical"}},
		{"keras2 raw output shape", `{"class_name": "Dense", "config": {"output_shape": [4], "output_shape_type": "raw", "output_shape_module": null}}`, []string{}},
		{"keras2 lambda module os", `{"class_name": "MyWrapper", "config": {"function": ["` + code + `", null, null], "function_type": "lambda", "module": "os"}}`, []string{"MW308:critical", "MW309:critical", "MW311:low"}},
		{"output shape lambda", `{"class_name": "Lambda", "config": {"function": ["` + code + `", null, null], "function_type": "lambda", "output_shape": ["` + code + `", null, null], "output_shape_type": "lambda"}}`, []string{"MW308:critical"}},
		{"TFSMLayer", `{"module": "keras.layers", "class_name": "TFSMLayer", "config": {"filepath": "/tmp/x"}}`, []string{"MW309:critical"}},
		{"bare string", `"hello"`, []string{"MW315:high"}},
		{"not json", `{"class_name": `, []string{"MW315:high"}},
		{"trailing NUL padding", "{\"class_name\": \"Sequential\", \"config\": {}}\x00\x00", []string{}},
		{"NaN and Infinity", `{"class_name": "ReLU", "config": {"max_value": Infinity, "threshold": NaN, "negative_slope": -Infinity}}`, []string{}},
	}
	for _, c := range cases {
		fs := check(c.js)
		if got := summary(fs); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
		for _, f := range fs {
			if f.Rule == finding.KerasLambda && strings.Contains(c.js, code) && !strings.Contains(f.Message, "marshalled Python bytecode (CPython 3.11") {
				t.Errorf("%s: bytecode not decoded: %s", c.name, f.Message)
			}
		}
	}
}

func TestFindingCap(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"class_name": "Sequential", "config": {"layers": [`)
	for i := 0; i < maxFindings+50; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"class_name": "Custom%d", "config": {}}`, i)
	}
	b.WriteString("]}}")
	fs := check(b.String())
	if len(fs) != maxFindings+1 || fs[len(fs)-1].Rule != finding.LimitReached {
		t.Fatalf("%d findings, last %s", len(fs), fs[len(fs)-1].Rule)
	}
}

func TestOversizeDocument(t *testing.T) {
	big := make([]byte, maxJSONBytes+1)
	if got := summary(check(string(big))); !reflect.DeepEqual(got, []string{"MW202:high"}) {
		t.Errorf("oversize: %v", got)
	}
}

func TestIsKerasZip(t *testing.T) {
	cases := []struct {
		names []string
		want  bool
	}{
		{[]string{"metadata.json", "config.json", "model.weights.h5"}, true},
		{[]string{"config.json", "metadata.json"}, true},
		{[]string{"model.weights.npz"}, true},
		{[]string{"config.json"}, true},        // all _load_model_from_fileobj reads
		{[]string{"config.json\x00AAA"}, true}, // Python's zipfile cuts at NUL
		{[]string{"metadata.json", "model.weights.h5\x00.txt"}, true},
		{[]string{"metadata.json"}, false},
		{[]string{"xconfig.json", "config.json.bak", "\x00config.json"}, false},
		{[]string{"sub/config.json", "sub/metadata.json"}, false},
		{[]string{"archive/data.pkl", "archive/version"}, false},
		{nil, false},
	}
	for _, c := range cases {
		if got := IsKerasZip(c.names); got != c.want {
			t.Errorf("IsKerasZip(%v) = %v", c.names, got)
		}
	}
}

// TestResolverPaths: Keras 3 looks keras.* names up by the joined dotted
// path (module + "." + class_name or function name), falls back to
// vars(module).get(registered_name), and the legacy HDF5 loader resolves
// bare class names from keras.layers; each path reaches the same risky
// helpers as the plain form.
func TestResolverPaths(t *testing.T) {
	obj := func(module, cls, cfg, reg string) string {
		return `{"module": "` + module + `", "class_name": "` + cls + `", "config": ` + cfg + `, "registered_name": ` + reg + `}`
	}
	tfsm := `{"filepath": "/tmp/m", "call_endpoint": "serve", "name": "t"}`
	cases := []struct {
		name, js string
		want     []string
	}{
		{"api class name", obj("keras", "layers.TFSMLayer", tfsm, "null"), []string{"MW309:critical"}},
		{"api class deep", obj("keras.src", "layers.core.TorchModuleWrapper", "{}", "null"), []string{"MW309:critical"}},
		{"api function get_file", obj("keras", "function", `"utils.get_file"`, "null"), []string{"MW309:critical"}},
		{"api function load_model", obj("keras", "function", `"saving.load_model"`, "null"), []string{"MW309:critical"}},
		{"api function numpy load", obj("numpy", "function", `"lib.npyio.load"`, "null"), []string{"MW309:critical"}},
		{"api loader module in name", obj("keras", "function", `"saving.serialization_lib.x"`, "null"), []string{"MW309:high"}},
		{"api deserialize", obj("keras", "function", `"layers.deserialize"`, "null"), []string{"MW309:high"}},
		{"registered fallback class", obj("keras.layers", "Dense", tfsm, `"TFSMLayer"`), []string{"MW309:critical"}},
		{"registered fallback function", obj("keras.utils", "relu", "{}", `"get_file"`), []string{"MW309:critical"}},
		{"registered fallback builtins", obj("builtins", "function", `"relu"`, `"exec"`), []string{"MW309:critical"}},
		{"registered fallback lambda", obj("keras.layers", "Dense", `{"function": {"class_name": "__lambda__", "config": {"code": "AAAA"}}}`, `"Lambda"`), []string{"MW308:critical", "MW311:low"}},
		{"registered lookup vocabulary", obj("keras.layers", "Dense", `{"vocabulary": "/etc/passwd"}`, `"StringLookup"`), []string{"MW309:high", "MW311:low"}},
		{"registered key with package stays custom", obj("mypkg.layers", "MyLayer", "{}", `"mypkg>MyLayer"`), []string{"MW311:low"}},
		{"registered same as class", obj("keras.layers", "Dense", "{}", `"Dense"`), []string{}},
		{"registered function marker", obj("builtins", "function", `"relu"`, `"function"`), []string{}},
		{"api name benign", obj("keras", "layers.Dense", `{"units": 1}`, "null"), []string{}},
		{"api function benign", obj("keras", "function", `"activations.relu"`, "null"), []string{}},
		{"serializable dict", obj("keras.src.saving.serialization_lib", "SerializableDict", "{}", "null"), []string{}},
		{"bare TFSMLayer", `{"class_name": "TFSMLayer", "config": ` + tfsm + `}`, []string{"MW309:critical"}},
		{"bare get_file", `{"class_name": "get_file", "config": {"origin": "http://x.invalid/a"}}`, []string{"MW309:critical"}},
		{"bare deserialize", `{"class_name": "deserialize", "config": {"config": {}}}`, []string{"MW309:high"}},
		{"bare serialize", `{"class_name": "serialize", "config": {}}`, []string{"MW309:high"}},
		{"bare deserialize_keras_object", `{"class_name": "deserialize_keras_object", "config": {}}`, []string{"MW309:high"}},
		{"bare deserialize nesting api name", `{"class_name": "deserialize", "config": {"config": ` + obj("keras", "layers.TFSMLayer", tfsm, "null") + `}}`, []string{"MW309:critical", "MW309:high"}},
		{"bare Dense", `{"class_name": "Dense", "config": {"units": 1}}`, []string{}},
	}
	for _, c := range cases {
		if got := summary(check(c.js)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	fs := check(obj("keras.layers", "Dense", tfsm, `"TFSMLayer"`))
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "registered_name") || fs[0].Evidence.Import != "keras.layers.TFSMLayer" {
		t.Errorf("registered fallback finding: %+v", fs)
	}
}
