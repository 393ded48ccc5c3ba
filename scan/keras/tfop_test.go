package keras

import (
	"reflect"
	"strings"
	"testing"

	"github.com/modelward/modelward/finding"
)

// tfop builds a Keras 2 Functional model with one TF-op layer calling fn,
// with kwargs (a JSON object) in its inbound node.
func tfop(cls, fn, kwargs string) string {
	return `{"class_name": "Functional", "config": {"name": "model", "layers": [` +
		`{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 8], "dtype": "float32", "name": "input_1"}, "name": "input_1", "inbound_nodes": []}, ` +
		`{"class_name": "` + cls + `", "config": {"name": "tf.op", "trainable": true, "dtype": "float32", "function": ` + fn + `}, ` +
		`"name": "tf.op", "inbound_nodes": [["input_1", 0, 0, ` + kwargs + `]]}], ` +
		`"input_layers": [["input_1", 0, 0]], "output_layers": [["tf.op", 0, 0]]}}`
}

// TestTFOpLambda: TFOpLambda and SlicingOpLambda are built-in tf.keras
// layers (no MW311); their config.function names the TF symbol called on
// every inference, reported by what it reaches.
func TestTFOpLambda(t *testing.T) {
	crit, high, clean := []string{"MW309:critical"}, []string{"MW309:high"}, []string{}
	cases := []struct {
		cls, fn string
		want    []string
	}{
		// Ordinary tensor operations stay clean.
		{"TFOpLambda", "math.add", clean},
		{"TFOpLambda", "nn.relu", clean},
		{"TFOpLambda", "__operators__.add", clean},
		{"TFOpLambda", "reshape", clean},
		{"TFOpLambda", "concat", clean},
		{"TFOpLambda", "linalg.matmul", clean},
		{"TFOpLambda", "image.resize", clean},
		{"TFOpLambda", "image.decode_png", clean},
		{"TFOpLambda", "io.decode_raw", clean},
		{"TFOpLambda", "strings.split", clean},
		{"TFOpLambda", "compat.v1.nn.softmax", clean},
		{"TFOpLambda", "raw_ops.ReadVariableOp", clean},
		{"TFOpLambda", "raw_ops.MapDataset", clean},
		{"TFOpLambda", "summary.create_noop_writer", clean},
		{"TFOpLambda", "print", clean},
		{"SlicingOpLambda", "__operators__.getitem", clean},
		{"TFOpLambda", "keras.activations.relu", clean},
		// Python and native code.
		{"TFOpLambda", "compat.v1.py_func", crit},
		{"TFOpLambda", "py_function", crit},
		{"TFOpLambda", "numpy_function", crit},
		{"TFOpLambda", "compat.v1.numpy_function", crit},
		{"TFOpLambda", "raw_ops.PyFunc", crit},
		{"TFOpLambda", "raw_ops.PyFuncStateless", crit},
		{"TFOpLambda", "raw_ops.EagerPyFunc", crit},
		{"TFOpLambda", "load_op_library", crit},
		{"TFOpLambda", "load_library", crit},
		{"TFOpLambda", "experimental.register_filesystem_plugin", crit},
		{"TFOpLambda", "lite.experimental.load_delegate", crit},
		{"TFOpLambda", "keras.models.load_model", crit},
		{"TFOpLambda", "keras.layers.TFSMLayer", crit},
		{"SlicingOpLambda", "compat.v1.py_func", crit},
		// Files and the network.
		{"TFOpLambda", "io.read_file", high},
		{"TFOpLambda", "io.write_file", high},
		{"TFOpLambda", "compat.v1.read_file", high},
		{"TFOpLambda", "io.matching_files", high},
		{"TFOpLambda", "io.gfile.GFile", high},
		{"TFOpLambda", "io.gfile.remove", high},
		{"TFOpLambda", "compat.v1.gfile.Open", high},
		{"TFOpLambda", "io.TFRecordWriter", high},
		{"TFOpLambda", "raw_ops.ReadFile", high},
		{"TFOpLambda", "raw_ops.WriteFile", high},
		{"TFOpLambda", "raw_ops.MatchingFiles", high},
		{"TFOpLambda", "raw_ops.SaveV2", high},
		{"TFOpLambda", "raw_ops.DebugIdentityV2", high},
		{"TFOpLambda", "summary.create_file_writer", high},
		{"TFOpLambda", "summary.scalar", high},
		{"TFOpLambda", "compat.v1.summary.FileWriter", high},
		{"TFOpLambda", "data.TextLineDataset", high},
		{"TFOpLambda", "data.TFRecordDataset", high},
		{"TFOpLambda", "data.experimental.make_csv_dataset", high},
		{"TFOpLambda", "data.experimental.service.distribute", high},
		{"TFOpLambda", "debugging.experimental.enable_dump_debug_info", high},
		{"TFOpLambda", "saved_model.load", high},
		{"TFOpLambda", "compat.v1.saved_model.loader.load", high},
		{"TFOpLambda", "keras.utils.get_file", high},
		{"TFOpLambda", "train.load_checkpoint", high},
		{"TFOpLambda", "distribute.Server", high},
		{"TFOpLambda", "profiler.experimental.server.start", high},
		{"TFOpLambda", "config.experimental_connect_to_host", high},
		{"TFOpLambda", "keras.layers.deserialize", high},
		// Variants that get_symbol_from_name would not resolve are judged
		// as written all the same.
		{"TFOpLambda", "tf.io.read_file", high},
		{"TFOpLambda", " IO.Read_File ", high},
		{"TFOpLambda", "tensorflow.compat.v1.py_func", crit},
		// Registry and dotted forms of the class name.
		{"Custom>TFOpLambda", "io.write_file", high},
		{"keras.layers.TFOpLambda", "io.write_file", high},
	}
	for _, c := range cases {
		got := summary(check(tfop(c.cls, `"`+c.fn+`"`, `{"y": 1.0}`)))
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %q: got %v, want %v", c.cls, c.fn, got, c.want)
		}
	}
	// Functions Keras cannot look up are not a call.
	for _, fn := range []string{`null`, `""`, `["io.read_file"]`, `{"io": "read_file"}`} {
		if got := summary(check(tfop("TFOpLambda", fn, `{}`))); len(got) != 0 {
			t.Errorf("function %s: got %v", fn, got)
		}
	}
	// tf.print writes to a file only when given a file:// output_stream.
	if got := summary(check(tfop("TFOpLambda", `"print"`, `{"output_stream": "file:///home/u/.bashrc"}`))); !reflect.DeepEqual(got, high) {
		t.Errorf("print to file: got %v", got)
	}
	if got := summary(check(tfop("TFOpLambda", `"print"`, `{"output_stream": "sys.stderr"}`))); len(got) != 0 {
		t.Errorf("print to stderr: got %v", got)
	}
	// enable_unsafe_deserialization is reported once, as MW310.
	if got := summary(check(tfop("TFOpLambda", `"keras.config.enable_unsafe_deserialization"`, `{}`))); !reflect.DeepEqual(got, []string{"MW310:critical"}) {
		t.Errorf("enable_unsafe_deserialization: got %v", got)
	}
	// A TF-op layer's other fields are still checked as any object's.
	withModule := `{"class_name": "Sequential", "config": {"layers": [{"module": "os", "class_name": "TFOpLambda", "config": {"name": "x", "function": "math.add"}, "registered_name": null}]}}`
	if got := summary(check(withModule)); !reflect.DeepEqual(got, crit) {
		t.Errorf("module os: got %v", got)
	}
}

// TestTFOpLambdaRepro: the red-team tfop_io_write_file.h5 model_config
// (regenerated byte for byte by scripts/gen_keras.py): one high MW309 at
// the function, naming the symbol and the recorded file argument, and no
// MW311 custom object.
func TestTFOpLambdaRepro(t *testing.T) {
	base := finding.Location{Path: "tfop_io_write_file.h5", Offset: -1}
	js := readFixture(t, "testdata/malicious/keras2_tfop_io_write_file.json")
	fs := CheckConfig(js, "model_config", Config{Location: base})
	if got := summary(fs); !reflect.DeepEqual(got, []string{"MW309:high"}) {
		t.Fatalf("got %v", got)
	}
	f := fs[0]
	for _, w := range []string{`"io.write_file"`, "TFOpLambda", "every inference", `filename="/home/user/.bashrc"`} {
		if !strings.Contains(f.Message, w) {
			t.Errorf("message lacks %q: %s", w, f.Message)
		}
	}
	if f.Evidence.Call != "tf.io.write_file" || f.Evidence.Import != "tensorflow.io.write_file" {
		t.Errorf("evidence %+v", f.Evidence)
	}
	if m := f.Location.Member; len(m) != 2 || m[0] != "model_config" || m[1] != "config.layers[1].config.function" {
		t.Errorf("location %v", m)
	}
	if off := f.Location.Offset; off < 0 || !strings.HasPrefix(string(js[off:]), `"io.write_file"`) {
		t.Errorf("offset %d does not point at the function name", off)
	}
	// The Keras 2.13+ node form {"args": [...], "kwargs": {...}} is read too,
	// and references to other layers' outputs are not quoted.
	newForm := `{"class_name": "Functional", "config": {"layers": [{"class_name": "TFOpLambda", "config": {"name": "w", "function": "io.write_file"}, ` +
		`"inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["input_1", 0, 0]}}], "kwargs": {"filename": "/etc/cron.d/x"}}]}]}}`
	fs = check(newForm)
	if got := summary(fs); !reflect.DeepEqual(got, []string{"MW309:high"}) {
		t.Fatalf("new node form: got %v", got)
	}
	if !strings.Contains(fs[0].Message, `filename="/etc/cron.d/x"`) || strings.Contains(fs[0].Message, "__keras_tensor__") {
		t.Errorf("new node form message: %s", fs[0].Message)
	}
}
