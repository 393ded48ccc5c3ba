package keras

import (
	"fmt"
	"strings"

	"github.com/modelward/modelward/finding"
)

// tfOpLayers are tf.keras's layers for TensorFlow API calls made on Keras
// tensors in a functional model: TFOpLambda (tf.math.add(x, y), tf.io...)
// and SlicingOpLambda (x[1:]). Their config.function is the canonical
// name of a TF API symbol ("math.add", "compat.v1.py_func",
// "__operators__.getitem"); from_config looks it up with
// tf_export.get_symbol_from_name, among every name TensorFlow exports
// (raw_ops included), and call() runs it on each inference with the
// arguments kept in inbound_nodes.
var tfOpLayers = wordSet(`TFOpLambda SlicingOpLambda`)

func isTFOpLayer(cls string) bool {
	cls = cls[strings.LastIndexByte(cls, '>')+1:]
	return tfOpLayers[lastDotted(cls)]
}

// tfOpPython are symbols (last name segment, lower case) that call back
// into Python: critical.
var tfOpPython = wordSet(`py_func py_function numpy_function eager_py_func pyfunc pyfuncstateless
	eagerpyfunc func_load`)

// tfOpNative are symbols (last segment, lower case) that load native code
// or another model into the process: critical.
var tfOpNative = wordSet(`load_library load_op_library load_file_system_library
	register_filesystem_plugin load_pluggable_device_library load_delegate load_model tfsmlayer`)

// tfOpDeserialisers (last segment, lower case) rebuild Keras objects
// from a configuration: high.
var tfOpDeserialisers = wordSet(`deserialize deserialize_keras_object model_from_json
	model_from_config model_from_yaml from_config`)

// tfOpFileFuncs are symbols (last segment, lower case) that read or write
// files or reach the network wherever they are exported: high.
var tfOpFileFuncs = wordSet(`read_file write_file matching_files get_file load_img save_img
	save_model load_checkpoint load_variable list_variables latest_checkpoint checkpoints_iterator
	get_checkpoint_state update_checkpoint_state write_graph import_meta_graph export_meta_graph
	init_from_checkpoint tf_record_iterator tfrecordwriter create_file_writer filewriter
	enable_dump_debug_info textlinedataset tfrecorddataset fixedlengthrecorddataset
	make_csv_dataset csvdataset sqldataset lmdbdataset make_batched_features_dataset
	make_tf_record_dataset textfileinitializer categorical_column_with_vocabulary_file
	image_dataset_from_directory text_dataset_from_directory audio_dataset_from_directory
	experimental_connect_to_cluster experimental_connect_to_host textlinereader tfrecordreader
	wholefilereader fixedlengthrecordreader lmdbreader contains_saved_model load_data
	initialize_tpu_system`)

// tfOpFileSpaces are namespaces (lower case, dotted, with the trailing
// dot) whose every symbol touches files, processes' servers or the
// network: high.
var tfOpFileSpaces = []string{"io.gfile.", "gfile.", "saved_model.", "python_io.", "lite.",
	"profiler.", "data.experimental.service.", "distribute.cluster_resolver.",
	"distribute.experimental.rpc.", "keras.datasets.", "datasets.", "summary."}

// tfOpHarmlessSummary are the summary symbols that write nothing.
var tfOpHarmlessSummary = wordSet(`create_noop_writer should_record_summaries record_if
	experimental.get_step experimental.set_step`)

// tfOpFileNames are whole symbols (lower case, after the tf. and
// compat.vN. prefixes) that touch files, servers or the network: high.
var tfOpFileNames = wordSet(`data.experimental.save data.experimental.load
	data.experimental.snapshot data.experimental.sqldataset data.experimental.csvdataset
	data.experimental.tfrecordwriter data.experimental.make_saveable_from_iterator
	distribute.server train.server session interactivesession
	io.decode_proto io.encode_proto`)

// tfRawFileOps are the raw_ops (lower case) that read or write files or
// reach the network: high.
var tfRawFileOps = wordSet(`readfile writefile matchingfiles save savev2 saveslices restore
	restorev2 restoreslice mergev2checkpoints immutableconst loadandremapmatrix
	generatevocabremapping initializetablefromtextfile initializetablefromtextfilev2
	textlinereader textlinereaderv2 tfrecordreader tfrecordreaderv2 wholefilereader
	wholefilereaderv2 fixedlengthrecordreader fixedlengthrecordreaderv2 lmdbreader readerread
	readerreadv2 readerreadupto readerreaduptov2 textlinedataset tfrecorddataset tfrecorddatasetv2
	fixedlengthrecorddataset fixedlengthrecorddatasetv2 lmdbdataset experimentallmdbdataset
	sqldataset experimentalsqldataset csvdataset csvdatasetv2 experimentalcsvdataset
	snapshotdataset snapshotdatasetv2 snapshotdatasetreader snapshotnesteddatasetreader
	snapshotchunkdataset listsnapshotchunksdataset savedataset savedatasetv2 loaddataset
	datasettotfrecord experimentaldatasettotfrecord dataservicedataset dataservicedatasetv2
	dataservicedatasetv3 dataservicedatasetv4 registerdataset registerdatasetv2 distributedsave
	matchingfilesdataset experimentalmatchingfilesdataset cachedataset cachedatasetv2
	createsummaryfilewriter createsummarydbwriter writesummary writescalarsummary
	writehistogramsummary writeimagesummary writeaudiosummary writegraphsummary
	writerawprotosummary importevent flushsummarywriter closesummarywriter debugidentity
	debugidentityv2 debugidentityv3 debugnancount debugnumericsummary copy copyhost
	gcsconfigurecredentials gcsconfigureblockcache rpccall rpcclient rpcserver rpcserverstart
	rpcserverregister rpc tryrpc decodeprotov2 encodeproto`)

// tfOpVerdict classifies a TFOpLambda function name; rule "" means an
// ordinary tensor operation.
func tfOpVerdict(fn string, kwargs map[string][]string) verdict {
	orig, name, last := normaliseTFName(fn)
	tf := tfDisplay(fn)
	switch {
	case tfOpPython[last]:
		return verdict{finding.KerasUnsafeReference, finding.Critical, tf + " runs a Python function (the py_func family), so every inference runs Python code outside the graph"}
	case tfOpNative[last]:
		return verdict{finding.KerasUnsafeReference, finding.Critical, tf + " loads native code or another model into the process"}
	case strings.HasPrefix(name, "raw_ops.") && tfRawFileOps[last]:
		return verdict{finding.KerasUnsafeReference, finding.High, "the raw op " + tf + " reads or writes files, or reaches the network, each time the layer runs"}
	case tfOpFileFuncs[last] || tfOpFileNames[name]:
		return verdict{finding.KerasUnsafeReference, finding.High, tf + " reads or writes files, or reaches a server or the network, each time the layer runs"}
	case tfOpDeserialisers[last]:
		return verdict{finding.KerasUnsafeReference, finding.High, tf + " rebuilds Keras objects from a configuration passed in the layer's recorded arguments, outside the checks of the model's own load"}
	case (name == "print" || name == "raw_ops.printv2") && hasFileStream(kwargs["output_stream"]):
		return verdict{finding.KerasUnsafeReference, finding.High, tf + " is given a file:// output_stream, so each inference writes to a file of the publisher's choosing"}
	case strings.HasPrefix(name, "keras."):
		// Names tf.keras exports: judged as Keras 3 module references are.
		if v := judgeTrusted(ref{module: "keras", name: orig[len("keras."):]}); v.rule != "" {
			return v
		}
	}
	for _, ns := range tfOpFileSpaces {
		if !strings.HasPrefix(name, ns) {
			continue
		}
		if ns == "summary." && tfOpHarmlessSummary[strings.TrimPrefix(name, ns)] {
			break
		}
		return verdict{finding.KerasUnsafeReference, finding.High, tf + " is in tf." + strings.TrimSuffix(ns, ".") + ", which reads or writes files, or runs servers and reaches the network"}
	}
	return verdict{}
}

// normaliseTFName lowers the name and drops "tf."/"tensorflow." and
// "compat.v1."/"compat.v2." prefixes (exact lookup would fail on most of
// these variants, but judging them as written costs nothing), returning
// the name and its last segment.
func normaliseTFName(fn string) (orig, name, last string) {
	orig = strings.TrimSpace(fn)
	for changed := true; changed; {
		changed = false
		for _, p := range []string{"tf.", "tensorflow.", "compat.v1.", "compat.v2."} {
			if len(orig) > len(p) && strings.EqualFold(orig[:len(p)], p) {
				orig, changed = orig[len(p):], true
			}
		}
	}
	name = strings.ToLower(orig)
	return orig, name, lastDotted(name)
}

// tfDisplay writes a TF API name as it is called in Python: "tf.io.read_file".
func tfDisplay(fn string) string {
	fn = strings.TrimSpace(fn)
	if strings.HasPrefix(fn, "tf.") || strings.HasPrefix(fn, "tensorflow.") {
		return fn
	}
	return "tf." + fn
}

func hasFileStream(vals []string) bool {
	for _, v := range vals {
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), "file://") {
			return true
		}
	}
	return false
}

// tfOpLambda reports a TFOpLambda or SlicingOpLambda whose function
// reaches Python, native code, files or the network (MW309).
func (c *checker) tfOpLambda(n *node, p *pathSeg, label string) {
	cfg := n.get("config")
	fnNode := cfg.get("function")
	fn, ok := fnNode.str()
	if !ok || strings.TrimSpace(fn) == "" || isUnsafeSwitch(fn) {
		return // enable_unsafe_deserialization is reported by the walk (MW310)
	}
	kwargs := map[string][]string{}
	var args []string
	collectCallStrings(n.get("inbound_nodes"), "", kwargs, &args, 0)
	v := tfOpVerdict(fn, kwargs)
	if v.rule == "" {
		return
	}
	c.consumed[fnNode] = true
	fp := &pathSeg{parent: &pathSeg{parent: p, key: "config", index: -1}, key: "function", index: -1}
	if label == "" {
		label = "TFOpLambda"
	}
	msg := fmt.Sprintf("The Keras configuration %s has the TF-op layer %s call %s: tf.keras's TFOpLambda looks the name up among TensorFlow's exported symbols when the model loads and calls it on every inference; %s.", c.where, label, quoteShort(fn), v.why)
	if len(args) > 0 {
		msg = strings.TrimSuffix(msg, ".") + "; its recorded arguments include " + strings.Join(args, ", ") + "."
	}
	c.add(v.rule, v.sev, fnNode, fp, msg,
		finding.Evidence{Call: tfDisplay(fn), Import: "tensorflow." + strings.TrimPrefix(tfDisplay(fn), "tf."), Args: args, Detail: "function = " + quoteShort(fn)})
}

// maxCallStrings bounds the argument strings quoted from inbound_nodes.
const maxCallStrings = 4

// collectCallStrings gathers the string arguments recorded in a layer's
// inbound_nodes (the kwargs dict of the Keras 2 [layer, node, tensor,
// kwargs] form, or {"args", "kwargs"} of the newer form): by key into
// kwargs and, quoted, into args. Layer names in the node lists are
// strings too but sit in arrays, which are only followed, not collected.
func collectCallStrings(n *node, key string, kwargs map[string][]string, args *[]string, depth int) {
	if n == nil || depth > 8 {
		return
	}
	switch n.kind {
	case kindStr:
		if key == "" {
			return
		}
		kwargs[strings.ToLower(key)] = append(kwargs[strings.ToLower(key)], n.s)
		if len(*args) < maxCallStrings {
			*args = append(*args, key+"="+quoteShort(n.s))
		}
	case kindArr:
		for _, it := range n.items {
			collectCallStrings(it, key, kwargs, args, depth+1)
		}
	case kindObj:
		if cls, _ := n.get("class_name").str(); cls == "__keras_tensor__" {
			return // a reference to another layer's output
		}
		for i, k := range n.keys {
			if k == "args" || k == "kwargs" {
				k = key
			}
			collectCallStrings(n.items[i], k, kwargs, args, depth+1)
		}
	}
}
