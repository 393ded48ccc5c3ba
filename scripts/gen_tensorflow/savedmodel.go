package main

// The benign model mirrors what tf.keras (TF 2.15) writes for
// Sequential([Dense(8, relu), Dense(3, softmax)]) saved with
// model.save(dir, save_format="tf"): resource variables, a signature
// wrapper calling the traced forward function, and the saver/restore
// functions with their `saver_filename` placeholder and `_temp/part`
// constants.

var variables = []string{"dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"}

func varHandle(name string, dims ...int64) pb {
	return node(name, "VarHandleOp", nil,
		attr{"_class", aEmptyList()},
		attr{"allowed_devices", aEmptyList()},
		attr{"container", aStr("")},
		attr{"dtype", aType(dtFloat)},
		attr{"shape", aShape(dims...)},
		attr{"shared_name", aStr(name)})
}

func partitionedCall(name, fn string, inputs []string) pb {
	return node(name, "StatefulPartitionedCall", inputs,
		attr{"Tin", aTypes(dtFloat, dtResource, dtResource, dtResource, dtResource)},
		attr{"Tout", aTypes(dtFloat)},
		attr{"_collective_manager_ids", aEmptyList()},
		attr{"_read_only_resource_inputs", aInts(1, 2, 3, 4)},
		attr{"config", aStr("")},
		attr{"config_proto", aStr("\n\a\n\x03CPU\x10\x01\n\a\n\x03GPU\x10\x002\x02J\x008\x01\x82\x01\x00")},
		attr{"executor_type", aStr("")},
		attr{"f", aFunc(fn)})
}

func mainGraph() []pb {
	return []pb{
		varHandle("dense/kernel", 4, 8),
		varHandle("dense/bias", 8),
		varHandle("dense_1/kernel", 8, 3),
		varHandle("dense_1/bias", 3),
		node("serving_default_input_1", "Placeholder", nil,
			attr{"dtype", aType(dtFloat)}, attr{"shape", aShape(-1, 4)}),
		partitionedCall("StatefulPartitionedCall", "__inference_signature_wrapper_1190",
			append([]string{"serving_default_input_1"}, variables...)),
		node("saver_filename", "Placeholder", nil,
			attr{"dtype", aType(dtString)}, attr{"shape", aShape()}),
		constStr("Const", "\n\x1d\n\x05\b\x01\x12\x01\x00\n\x05\b\x01\x12\x01\x01"),
		partitionedCall("StatefulPartitionedCall_1", "__inference__traced_save_1278",
			append(append([]string{"saver_filename"}, variables...), "Const")),
		partitionedCall("StatefulPartitionedCall_2", "__inference__traced_restore_1300",
			append([]string{"saver_filename"}, variables...)),
		node("NoOp", "NoOp", nil),
	}
}

func readVar(name, resource string) pb {
	return node(name, "ReadVariableOp", []string{resource}, attr{"dtype", aType(dtFloat)})
}

func callFunction() pb {
	t := attr{"T", aType(dtFloat)}
	return function("__inference_call_1170",
		[]string{"inputs", "dense_matmul_readvariableop_resource", "dense_biasadd_readvariableop_resource",
			"dense_1_matmul_readvariableop_resource", "dense_1_biasadd_readvariableop_resource"},
		[]string{"identity"}, map[string]string{"identity": "Identity:output:0"},
		readVar("dense/MatMul/ReadVariableOp", "dense_matmul_readvariableop_resource"),
		node("dense/MatMul", "MatMul", []string{"inputs", "dense/MatMul/ReadVariableOp:value:0"}, t,
			attr{"transpose_a", aBool(false)}, attr{"transpose_b", aBool(false)}),
		readVar("dense/BiasAdd/ReadVariableOp", "dense_biasadd_readvariableop_resource"),
		node("dense/BiasAdd", "BiasAdd", []string{"dense/MatMul:product:0", "dense/BiasAdd/ReadVariableOp:value:0"}, t,
			attr{"data_format", aStr("NHWC")}),
		node("dense/Relu", "Relu", []string{"dense/BiasAdd:output:0"}, t),
		readVar("dense_1/MatMul/ReadVariableOp", "dense_1_matmul_readvariableop_resource"),
		node("dense_1/MatMul", "MatMul", []string{"dense/Relu:activations:0", "dense_1/MatMul/ReadVariableOp:value:0"}, t),
		readVar("dense_1/BiasAdd/ReadVariableOp", "dense_1_biasadd_readvariableop_resource"),
		node("dense_1/BiasAdd", "BiasAdd", []string{"dense_1/MatMul:product:0", "dense_1/BiasAdd/ReadVariableOp:value:0"}, t),
		node("dense_1/Softmax", "Softmax", []string{"dense_1/BiasAdd:output:0"}, t),
		node("Identity", "Identity", []string{"dense_1/Softmax:softmax:0", "^NoOp"}, t),
		node("NoOp", "NoOp", []string{"^dense/BiasAdd/ReadVariableOp", "^dense/MatMul/ReadVariableOp",
			"^dense_1/BiasAdd/ReadVariableOp", "^dense_1/MatMul/ReadVariableOp"}),
	)
}

func signatureWrapper() pb {
	return function("__inference_signature_wrapper_1190",
		[]string{"input_1", "unknown", "unknown_0", "unknown_1", "unknown_2"},
		[]string{"identity"}, map[string]string{"identity": "Identity:output:0"},
		partitionedCall("StatefulPartitionedCall", "__inference_call_1170",
			[]string{"input_1", "unknown", "unknown_0", "unknown_1", "unknown_2"}),
		node("Identity", "Identity", []string{"StatefulPartitionedCall:output:0", "^NoOp"}, attr{"T", aType(dtFloat)}),
		node("NoOp", "NoOp", []string{"^StatefulPartitionedCall"}),
	)
}

var ckptNames = []string{
	"layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE",
	"layer_with_weights-0/bias/.ATTRIBUTES/VARIABLE_VALUE",
	"layer_with_weights-1/kernel/.ATTRIBUTES/VARIABLE_VALUE",
	"layer_with_weights-1/bias/.ATTRIBUTES/VARIABLE_VALUE",
	"_CHECKPOINTABLE_OBJECT_GRAPH",
}

func savedFunction() pb {
	return function("__inference__traced_save_1278",
		[]string{"file_prefix", "savev2_dense_kernel_read_readvariableop", "savev2_dense_bias_read_readvariableop",
			"savev2_dense_1_kernel_read_readvariableop", "savev2_dense_1_bias_read_readvariableop", "savev2_const"},
		[]string{"identity_1"}, map[string]string{"identity_1": "Identity_1:output:0"},
		node("StaticRegexFullMatch", "StaticRegexFullMatch", []string{"file_prefix"},
			attr{"_output_shapes", aEmptyList()}, attr{"pattern", aStr("^s3://.*")}),
		constStr("Const", ".part"),
		constStr("Const_1", "_temp/part"),
		node("Select", "Select", []string{"StaticRegexFullMatch:output:0", "Const:output:0", "Const_1:output:0"},
			attr{"T", aType(dtString)}),
		node("StringJoin", "StringJoin", []string{"file_prefix", "Select:output:0"}, attr{"separator", aStr("")}),
		constInt("num_shards", 1),
		constInt("ShardedFilename/shard", 0),
		node("ShardedFilename", "ShardedFilename",
			[]string{"StringJoin:output:0", "ShardedFilename/shard:output:0", "num_shards:output:0"}),
		constStr("SaveV2/tensor_names", ckptNames...),
		constStr("SaveV2/shape_and_slices", "", "", "", "", ""),
		node("SaveV2", "SaveV2", []string{"ShardedFilename:filename:0", "SaveV2/tensor_names:output:0",
			"SaveV2/shape_and_slices:output:0", "savev2_dense_kernel_read_readvariableop",
			"savev2_dense_bias_read_readvariableop", "savev2_dense_1_kernel_read_readvariableop",
			"savev2_dense_1_bias_read_readvariableop", "savev2_const"},
			attr{"dtypes", aTypes(dtFloat, dtFloat, dtFloat, dtFloat, dtString)}),
		node("MergeV2Checkpoints/checkpoint_prefixes", "Pack", []string{"ShardedFilename:filename:0", "^SaveV2"},
			attr{"N", aInt(1)}, attr{"T", aType(dtString)}),
		node("MergeV2Checkpoints", "MergeV2Checkpoints",
			[]string{"MergeV2Checkpoints/checkpoint_prefixes:output:0", "file_prefix"},
			attr{"allow_missing_files", aBool(false)}, attr{"delete_old_dirs", aBool(true)}),
		node("Identity", "Identity", []string{"file_prefix", "^MergeV2Checkpoints"}, attr{"T", aType(dtString)}),
		node("Identity_1", "Identity", []string{"Identity:output:0", "^NoOp"}, attr{"T", aType(dtString)}),
		node("NoOp", "NoOp", []string{"^MergeV2Checkpoints"}),
	)
}

func restoreFunction() pb {
	nodes := []pb{
		constStr("RestoreV2/tensor_names", ckptNames[:4]...),
		constStr("RestoreV2/shape_and_slices", "", "", "", ""),
		node("RestoreV2", "RestoreV2", []string{"file_prefix", "RestoreV2/tensor_names:output:0",
			"RestoreV2/shape_and_slices:output:0"}, attr{"dtypes", aTypes(dtFloat, dtFloat, dtFloat, dtFloat)}),
	}
	handles := []string{"assignvariableop_dense_kernel", "assignvariableop_1_dense_bias",
		"assignvariableop_2_dense_1_kernel", "assignvariableop_3_dense_1_bias"}
	for i, h := range handles {
		id := "Identity_" + string(rune('0'+i))
		nodes = append(nodes,
			node(id, "Identity", []string{"RestoreV2:tensors:" + string(rune('0'+i))}, attr{"T", aType(dtFloat)}),
			node("DisableCopyOnRead_"+string(rune('0'+i)), "DisableCopyOnRead", []string{h}),
			node("AssignVariableOp_"+string(rune('0'+i)), "AssignVariableOp", []string{h, id + ":output:0"},
				attr{"dtype", aType(dtFloat)}, attr{"validate_shape", aBool(false)}))
	}
	nodes = append(nodes,
		node("NoOp_1", "NoOp", nil),
		node("Identity_4", "Identity", []string{"file_prefix", "^NoOp_1"}, attr{"T", aType(dtString)}))
	return function("__inference__traced_restore_1300", append([]string{"file_prefix"}, handles...),
		[]string{"identity_5"}, map[string]string{"identity_5": "Identity_4:output:0"}, nodes...)
}

// objectGraph is a SavedObjectGraph {nodes=1}: SavedObject {children=1
// (ObjectReference node_id=1, local_name=2), user_object=4 (identifier=1,
// version=2), function=6 (concrete_functions=1), variable=7 (dtype=1,
// shape=2, trainable=3, name=6)}.
func objectGraph() pb {
	root := pb(nil).
		msg(1, pb(nil).u(1, 1).str(2, "layer_with_weights-0")).
		msg(1, pb(nil).u(1, 2).str(2, "layer_with_weights-1")).
		msg(4, pb(nil).str(1, "_tf_keras_sequential").msg(2, pb(nil).u(1, 1).u(2, 1)))
	g := pb(nil).msg(1, root)
	for i, v := range variables {
		g = g.msg(1, pb(nil).msg(7, pb(nil).u(1, dtFloat).u(3, 1).str(6, v)))
		_ = i
	}
	g = g.msg(1, pb(nil).msg(6, pb(nil).str(1, "__inference_call_1170")))
	return g
}

// signatureDef: SignatureDef {inputs=1, outputs=2 (map<string,
// TensorInfo{name=1, dtype=2}>), method_name=3}.
func signatureDef() pb {
	return pb(nil).
		entry(1, "input_1", pb(nil).str(1, "serving_default_input_1:0").u(2, dtFloat)).
		entry(2, "dense_1", pb(nil).str(1, "StatefulPartitionedCall:0").u(2, dtFloat)).
		str(3, "tensorflow/serving/predict")
}

// savedModel assembles SavedModel {schema_version=1, meta_graphs=2} with
// one MetaGraphDef {meta_info_def=1, graph_def=2, saver_def=3,
// signature_def=5, object_graph_def=7}; extra nodes and functions are
// spliced in for the malicious variants.
func savedModel(extraNodes []pb, extraFuncs []pb) []byte {
	return savedModelMeta(extraNodes, extraFuncs, nil)
}

// savedModelMeta is savedModel with extra MetaGraphDef fields (asset_file_def).
func savedModelMeta(extraNodes []pb, extraFuncs []pb, extraMeta pb) []byte {
	graph := pb(nil)
	for _, n := range append(mainGraph(), extraNodes...) {
		graph = graph.msg(1, n)
	}
	lib := pb(nil)
	for _, f := range append([]pb{callFunction(), signatureWrapper(), savedFunction(), restoreFunction()}, extraFuncs...) {
		lib = lib.msg(1, f)
	}
	graph = graph.msg(2, lib).msg(4, pb(nil).u(1, 1645).u(2, 12))
	meta := pb(nil).
		msg(1, pb(nil).str(4, "serve").str(5, "2.15.0").str(6, "v2.15.0-rc1-8-g6887368d6d4").u(7, 1)).
		msg(2, graph).
		msg(3, pb(nil).str(1, "saver_filename:0").str(2, "StatefulPartitionedCall_1:0").
			str(3, "StatefulPartitionedCall_2").u(4, 5).u(5, 1).f32(6, 0x461c4000).u(7, 2)).
		entry(5, "serving_default", signatureDef()).
		entry(5, "__saved_model_init_op", pb(nil).entry(2, "__saved_model_init_op", pb(nil).str(1, "NoOp")))
	meta = append(meta, extraMeta...) // asset_file_def=6, in field order
	meta = meta.msg(7, objectGraph())
	return pb(nil).u(1, 1).msg(2, meta)
}
