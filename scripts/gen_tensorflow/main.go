// Command gen_tensorflow writes the fixtures of scan/tensorflow/testdata.
// TensorFlow cannot be installed here, so the files are encoded directly
// from the published tensorflow .proto field numbers and the TFLite
// schema.fbs, modelled on what TF 2.15 / tf.keras writes. Output is
// deterministic: no timestamps, no randomness.
//
//	go run ./scripts/gen_tensorflow [-out scan/tensorflow/testdata]
package main

import (
	"flag"
	"log"
	"os"
	"path/filepath"
)

func main() {
	out := flag.String("out", "scan/tensorflow/testdata", "fixture directory")
	flag.Parse()
	for name, data := range fixtures() {
		path := filepath.Join(*out, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

func fixtures() map[string][]byte {
	benign := savedModel(nil, nil)
	tfl := tfliteModel(nil, nil)
	return map[string][]byte{
		"benign/saved_model.pb":    benign,
		"benign/keras_metadata.pb": kerasMetadata(),
		"benign/fingerprint.pb":    fingerprint(),
		"benign/model.tflite":      tfl,
		"benign/vocab_asset.pb":    vocabAssetModel(),

		"malicious/readfile_graph.pb":       savedModel(readFileNodes(), nil),
		"malicious/writefile_function.pb":   savedModel(hiddenCall("__inference_write_2001"), []pb{writeFileFunction()}),
		"malicious/pyfunc.pb":               savedModel(pyFuncNodes(), nil),
		"malicious/eagerpyfunc_function.pb": savedModel(hiddenCall("__inference_py_2002"), []pb{eagerPyFuncFunction()}),
		"malicious/savev2_traversal.pb":     savedModel(saveTraversalNodes(), nil),
		"malicious/matchingfiles.pb":        savedModel(matchingFilesNodes(), nil),
		"malicious/custom_op.pb":            savedModel(hiddenCall("__inference_custom_2003"), []pb{customOpFunction()}),
		"malicious/table_b64.pb":            savedModel(tableB64Nodes(), nil),
		"malicious/table_join.pb":           savedModel(tableJoinNodes(), nil),
		"malicious/table_deep.pb":           savedModel(tableDeepNodes(), nil),
		"malicious/table_funcarg.pb":        savedModel(tableFuncArgNodes(), []pb{tableInitFunction()}),
		"malicious/table_callret.pb":        savedModel(tableCallRetNodes(), []pb{pathFunction()}),
		"malicious/table_format.pb":         savedModel(tableFormatNodes(), nil),
		"malicious/dataset_file_ops.pb":     savedModel(datasetFileNodes(), nil),
		"malicious/truncated.pb":            benign[:len(benign)*3/5],
		"malicious/corrupt.pb":              corruptSavedModel(),
		"malicious/wrong_wiretype.pb":       wrongWireType(),
		"malicious/flex_custom.tflite": tfliteModel([]func(b *fb) int{
			opcode(opCustom, "FlexReadFile"), opcode(opCustom, "MyCustomOp")}, nil),
		"malicious/buffer_oob.tflite": tfliteModel(nil, []func(b *fb) int{
			buffer(nil), buffer(nil), externalBuffer(1<<40, 48), buffer(floats(3, 2)), buffer(nil), buffer(nil)}),
		"malicious/truncated.tflite": tfl[:len(tfl)/2],
	}
}

// kerasMetadata is SavedMetadata {nodes=1: SavedObject {version=1
// (VersionDef producer=1, min_consumer=2), node_id=2, node_path=3,
// identifier=4, metadata=5}} with the two JSON documents Keras 2.15 writes
// for a Sequential model and its first Dense layer (abridged).
func kerasMetadata() []byte {
	ver := pb(nil).u(1, 2).u(2, 1)
	model := `{"name": "sequential", "trainable": true, "expects_training_arg": true, "dtype": "float32", "batch_input_shape": null, "must_restore_from_config": false, "preserve_input_structure_in_config": false, "autocast": false, "class_name": "Sequential", "config": {"name": "sequential", "layers": [{"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_input_shape": {"class_name": "__tuple__", "items": [null, 4]}, "dtype": "float32", "sparse": false, "ragged": false, "name": "input_1"}, "registered_name": null}, {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "trainable": true, "dtype": "float32", "units": 8, "activation": "relu", "use_bias": true}, "registered_name": null}, {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense_1", "trainable": true, "dtype": "float32", "units": 3, "activation": "softmax", "use_bias": true}, "registered_name": null}]}, "shared_object_id": 5, "build_input_shape": {"class_name": "TensorShape", "items": [null, 4]}, "is_graph_network": true, "full_save_spec": {"class_name": "__tuple__", "items": [[{"class_name": "TypeSpec", "type_spec": "tf.TensorSpec", "serialized": [{"class_name": "TensorShape", "items": [null, 4]}, "float32", "input_1"]}], {}]}, "save_spec": {"class_name": "TypeSpec", "type_spec": "tf.TensorSpec", "serialized": [{"class_name": "TensorShape", "items": [null, 4]}, "float32", "input_1"]}, "keras_version": "2.15.0", "backend": "tensorflow"}`
	dense := `{"name": "dense", "trainable": true, "expects_training_arg": false, "dtype": "float32", "batch_input_shape": null, "stateful": false, "must_restore_from_config": false, "preserve_input_structure_in_config": false, "autocast": true, "class_name": "Dense", "config": {"name": "dense", "trainable": true, "dtype": "float32", "units": 8, "activation": "relu", "use_bias": true, "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null}, "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null}}, "shared_object_id": 2, "input_spec": {"class_name": "InputSpec", "config": {"dtype": null, "shape": null, "ndim": null, "max_ndim": null, "min_ndim": 2, "axes": {"-1": 4}}}, "build_input_shape": {"class_name": "TensorShape", "items": [null, 4]}}`
	return pb(nil).
		msg(1, pb(nil).msg(1, ver).str(3, "root").str(4, "_tf_keras_sequential").str(5, model)).
		msg(1, pb(nil).msg(1, ver).u(2, 1).str(3, "root.layer_with_weights-0").str(4, "_tf_keras_layer").str(5, dense))
}

// fingerprint is FingerprintDef {saved_model_checksum=1,
// graph_def_program_hash=2, signature_def_hash=3,
// saved_object_graph_hash=4, checkpoint_hash=5, version=6 (VersionDef
// producer=1)}.
func fingerprint() []byte {
	return pb(nil).u(1, 0x9a3c51e27f0b6d48).u(2, 0x1d2e3f4051627384).u(3, 0x0f1e2d3c4b5a6978).
		u(4, 0x7766554433221100).u(5, 0x0123456789abcdef).msg(6, pb(nil).u(1, 1))
}
