// Package tensorflow checks TensorFlow SavedModel protobufs (saved_model.pb,
// keras_metadata.pb, fingerprint.pb) and TensorFlow Lite flatbuffers for
// operations that reach outside the model: files, the network, Python.
//
// Nothing here links TensorFlow or generated protobuf code. The protobufs
// are walked field by field with google.golang.org/protobuf/encoding/protowire,
// using the field numbers published in TensorFlow's .proto files:
//
//   - tensorflow/core/protobuf/saved_model.proto: SavedModel
//     {saved_model_schema_version=1, meta_graphs=2}
//   - tensorflow/core/protobuf/meta_graph.proto: MetaGraphDef {meta_info_def=1,
//     graph_def=2, saver_def=3, collection_def=4, signature_def=5,
//     asset_file_def=6, object_graph_def=7}; AssetFileDef {tensor_info=1,
//     filename=2}
//   - tensorflow/core/framework/graph.proto: GraphDef {node=1, library=2,
//     version=3, versions=4}
//   - tensorflow/core/framework/node_def.proto: NodeDef {name=1, op=2,
//     input=3, device=4, attr=5 (map<string, AttrValue>)}
//   - tensorflow/core/framework/function.proto: FunctionDefLibrary
//     {function=1, gradient=2}; FunctionDef {signature=1 (OpDef, name=1),
//     node_def=3, ret=4, attr=5}; GradientDef {function_name=1,
//     gradient_func=2}
//   - tensorflow/core/framework/attr_value.proto: AttrValue {list=1, s=2,
//     i=3, f=4, b=5, type=6, shape=7, tensor=8, placeholder=9, func=10};
//     ListValue {s=2, ..., tensor=8, func=9}; NameAttrList {name=1, attr=2}
//   - tensorflow/core/framework/tensor.proto: TensorProto {dtype=1,
//     tensor_content=4, string_val=8}; DT_STRING is 7 in types.proto
//   - tensorflow/core/protobuf/saved_object_graph.proto: SavedObjectGraph
//     {nodes=1}; SavedObject {user_object=4}; SavedUserObject {identifier=1,
//     metadata=3}
//   - tensorflow/core/protobuf/fingerprint.proto: FingerprintDef
//     {saved_model_checksum=1, graph_def_program_hash=2,
//     signature_def_hash=3, saved_object_graph_hash=4, checkpoint_hash=5,
//     version=6}
//   - tensorflow/python/keras/protobuf/saved_metadata.proto: SavedMetadata
//     {nodes=1}; SavedObject {version=1, node_id=2, node_path=3,
//     identifier=4, metadata=5}
//
// TensorFlow Lite files follow tensorflow/lite/schema/schema.fbs (file
// identifier "TFL3"): Model {version, operator_codes, subgraphs,
// description, buffers, ...}; OperatorCode {deprecated_builtin_code,
// custom_code, version, builtin_code}; SubGraph {tensors, inputs, outputs,
// operators, name}; Operator {opcode_index, ..., large_custom_options_offset
// (slot 9), large_custom_options_size (slot 10)}; Buffer {data, offset,
// size}. Flatbuffer layout (root offset, vtables, vectors, strings) is from
// the FlatBuffers internals documentation; every offset is checked against
// the file size before it is followed.
//
// Why the checks: a graph runs its operations when the model is called (and
// the saver/restore functions when it is loaded), so ReadFile, WriteFile,
// MatchingFiles, dataset readers and calls into Python are the ways a model
// file reaches the host. Checkpoint ops (SaveV2, RestoreV2, ...) are part of
// every SavedModel and are reported only when a path fixed by the model
// escapes the model folder: eval.go computes path values through the
// string ops (StringJoin, DecodeBase64, Substr, regex replacement, ...),
// Identity-like ops and function calls in both directions, and a path
// computed from constants only through an op it does not model is reported
// too. Paths from placeholders, variables and asset tensors stay silent. Ops outside the standard set need a native library the
// scanner cannot see.
package tensorflow
