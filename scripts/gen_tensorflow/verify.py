#!/usr/bin/python3
"""Cross-check the generated TensorFlow fixtures with the real protobuf runtime.

TensorFlow is not installable here, so this builds the needed subset of the
published tensorflow .proto messages as descriptors (same field numbers and
types as saved_model.proto, meta_graph.proto, graph.proto, node_def.proto,
function.proto, op_def.proto, attr_value.proto, tensor.proto,
tensor_shape.proto, versions.proto, fingerprint.proto, saved_metadata.proto)
and parses every benign fixture with google.protobuf. It fails if a fixture
does not parse, or carries fields the subset does not know (which would mean
the generator used a wrong number or wire type).

    /usr/bin/python3 scripts/gen_tensorflow/verify.py
"""
import os
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

F = descriptor_pb2.FieldDescriptorProto
OPT, REP = F.LABEL_OPTIONAL, F.LABEL_REPEATED
T = {"string": F.TYPE_STRING, "bytes": F.TYPE_BYTES, "int64": F.TYPE_INT64, "int32": F.TYPE_INT32,
     "uint64": F.TYPE_UINT64, "bool": F.TYPE_BOOL, "float": F.TYPE_FLOAT, "enum": F.TYPE_INT32}

# message name -> [(field, number, type or .Message, repeated)]
MESSAGES = {
    "VersionDef": [("producer", 1, "int32", 0), ("min_consumer", 2, "int32", 0), ("bad_consumers", 3, "int32", 1)],
    "Dim": [("size", 1, "int64", 0), ("name", 2, "string", 0)],
    "TensorShapeProto": [("dim", 2, ".t.Dim", 1), ("unknown_rank", 3, "bool", 0)],
    "TensorProto": [("dtype", 1, "enum", 0), ("tensor_shape", 2, ".t.TensorShapeProto", 0),
                    ("version_number", 3, "int32", 0), ("tensor_content", 4, "bytes", 0),
                    ("int_val", 7, "int32", 1), ("string_val", 8, "bytes", 1)],
    "ListValue": [("s", 2, "bytes", 1), ("i", 3, "int64", 1), ("f", 4, "float", 1), ("b", 5, "bool", 1),
                  ("type", 6, "enum", 1), ("shape", 7, ".t.TensorShapeProto", 1),
                  ("tensor", 8, ".t.TensorProto", 1), ("func", 9, ".t.NameAttrList", 1)],
    "AttrValue": [("list", 1, ".t.ListValue", 0), ("s", 2, "bytes", 0), ("i", 3, "int64", 0),
                  ("f", 4, "float", 0), ("b", 5, "bool", 0), ("type", 6, "enum", 0),
                  ("shape", 7, ".t.TensorShapeProto", 0), ("tensor", 8, ".t.TensorProto", 0),
                  ("placeholder", 9, "string", 0), ("func", 10, ".t.NameAttrList", 0)],
    "AttrEntry": [("key", 1, "string", 0), ("value", 2, ".t.AttrValue", 0)],
    "StrEntry": [("key", 1, "string", 0), ("value", 2, "string", 0)],
    "NameAttrList": [("name", 1, "string", 0), ("attr", 2, ".t.AttrEntry", 1)],
    "NodeDef": [("name", 1, "string", 0), ("op", 2, "string", 0), ("input", 3, "string", 1),
                ("device", 4, "string", 0), ("attr", 5, ".t.AttrEntry", 1)],
    "ArgDef": [("name", 1, "string", 0), ("type", 3, "enum", 0)],
    "OpDef": [("name", 1, "string", 0), ("input_arg", 2, ".t.ArgDef", 1), ("output_arg", 3, ".t.ArgDef", 1)],
    "FunctionDef": [("signature", 1, ".t.OpDef", 0), ("node_def", 3, ".t.NodeDef", 1),
                    ("ret", 4, ".t.StrEntry", 1), ("attr", 5, ".t.AttrEntry", 1)],
    "FunctionDefLibrary": [("function", 1, ".t.FunctionDef", 1)],
    "GraphDef": [("node", 1, ".t.NodeDef", 1), ("library", 2, ".t.FunctionDefLibrary", 0),
                 ("versions", 4, ".t.VersionDef", 0)],
    "MetaInfoDef": [("meta_graph_version", 1, "string", 0), ("tags", 4, "string", 1),
                    ("tensorflow_version", 5, "string", 0), ("tensorflow_git_version", 6, "string", 0),
                    ("stripped_default_attrs", 7, "bool", 0)],
    "SaverDef": [("filename_tensor_name", 1, "string", 0), ("save_tensor_name", 2, "string", 0),
                 ("restore_op_name", 3, "string", 0), ("max_to_keep", 4, "int32", 0), ("sharded", 5, "bool", 0),
                 ("keep_checkpoint_every_n_hours", 6, "float", 0), ("version", 7, "enum", 0)],
    "TensorInfo": [("name", 1, "string", 0), ("dtype", 2, "enum", 0)],
    "TensorInfoEntry": [("key", 1, "string", 0), ("value", 2, ".t.TensorInfo", 0)],
    "SignatureDef": [("inputs", 1, ".t.TensorInfoEntry", 1), ("outputs", 2, ".t.TensorInfoEntry", 1),
                     ("method_name", 3, "string", 0)],
    "SignatureEntry": [("key", 1, "string", 0), ("value", 2, ".t.SignatureDef", 0)],
    "ObjectReference": [("node_id", 1, "int32", 0), ("local_name", 2, "string", 0)],
    "SavedUserObject": [("identifier", 1, "string", 0), ("version", 2, ".t.VersionDef", 0),
                        ("metadata", 3, "string", 0)],
    "SavedFunction": [("concrete_functions", 1, "string", 1)],
    "SavedVariable": [("dtype", 1, "enum", 0), ("shape", 2, ".t.TensorShapeProto", 0), ("trainable", 3, "bool", 0),
                      ("name", 6, "string", 0)],
    "SavedObject": [("children", 1, ".t.ObjectReference", 1), ("user_object", 4, ".t.SavedUserObject", 0),
                    ("function", 6, ".t.SavedFunction", 0), ("variable", 7, ".t.SavedVariable", 0)],
    "SavedObjectGraph": [("nodes", 1, ".t.SavedObject", 1)],
    "MetaGraphDef": [("meta_info_def", 1, ".t.MetaInfoDef", 0), ("graph_def", 2, ".t.GraphDef", 0),
                     ("saver_def", 3, ".t.SaverDef", 0), ("signature_def", 5, ".t.SignatureEntry", 1),
                     ("asset_file_def", 6, ".t.AssetFileDef", 1), ("object_graph_def", 7, ".t.SavedObjectGraph", 0)],
    "AssetFileDef": [("tensor_info", 1, ".t.TensorInfo", 0), ("filename", 2, "string", 0)],
    "SavedModel": [("saved_model_schema_version", 1, "int64", 0), ("meta_graphs", 2, ".t.MetaGraphDef", 1)],
    "FingerprintDef": [("saved_model_checksum", 1, "uint64", 0), ("graph_def_program_hash", 2, "uint64", 0),
                       ("signature_def_hash", 3, "uint64", 0), ("saved_object_graph_hash", 4, "uint64", 0),
                       ("checkpoint_hash", 5, "uint64", 0), ("version", 6, ".t.VersionDef", 0)],
    "KerasObject": [("version", 1, ".t.VersionDef", 0), ("node_id", 2, "int32", 0), ("node_path", 3, "string", 0),
                    ("identifier", 4, "string", 0), ("metadata", 5, "string", 0)],
    "SavedMetadata": [("nodes", 1, ".t.KerasObject", 1)],
}


def build():
    fd = descriptor_pb2.FileDescriptorProto(name="tfsubset.proto", package="t", syntax="proto3")
    for name, fields in MESSAGES.items():
        m = fd.message_type.add(name=name)
        if name == "AttrValue":  # every AttrValue field is in `oneof value`, so defaults keep presence
            m.oneof_decl.add(name="value")
        for fname, num, typ, rep in fields:
            f = m.field.add(name=fname, number=num, label=REP if rep else OPT)
            if name == "AttrValue":
                f.oneof_index = 0
            if typ.startswith("."):
                f.type, f.type_name = F.TYPE_MESSAGE, typ
            else:
                f.type = T[typ]
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    factory = message_factory.MessageFactory(pool)
    return {n: factory.GetPrototype(pool.FindMessageTypeByName("t." + n)) for n in MESSAGES}


def unknown(msg, path="", out=None):
    """Collects the paths of fields the subset did not recognise."""
    out = [] if out is None else out
    if msg.UnknownFields() and len(msg.UnknownFields()):
        out.append(path or "<root>")
    for fd, val in msg.ListFields():
        if fd.type == F.TYPE_MESSAGE:
            for i, v in enumerate(val if fd.label == REP else [val]):
                unknown(v, f"{path}.{fd.name}[{i}]", out)
    return out


def main():
    here = os.path.join(os.path.dirname(__file__), "..", "..", "scan", "tensorflow", "testdata", "benign")
    cls = build()
    checks = {"saved_model.pb": "SavedModel", "vocab_asset.pb": "SavedModel", "keras_metadata.pb": "SavedMetadata",
              "fingerprint.pb": "FingerprintDef"}
    ok = True
    for fname, mname in checks.items():
        data = open(os.path.join(here, fname), "rb").read()
        m = cls[mname]()
        m.ParseFromString(data)
        bad = unknown(m)
        if m.SerializeToString() != data:
            print(f"{fname}: re-serialisation differs (field order or encoding)")
            ok = False
        if bad:
            print(f"{fname}: unknown fields at {bad}")
            ok = False
        if mname == "SavedModel":
            g = m.meta_graphs[0].graph_def
            n = len(g.node) + sum(len(f.node_def) for f in g.library.function)
            print(f"{fname}: {len(g.node)} graph nodes, {len(g.library.function)} functions, {n} nodes in all")
        else:
            print(f"{fname}: parsed")
    ok = verify_tflite(os.path.join(here, "model.tflite")) and ok
    sys.exit(0 if ok else 1)


def verify_tflite(path):
    """Reads model.tflite with the reference flatbuffers runtime (Debian's
    python3-flatbuffers; skipped when absent), by schema.fbs slot numbers."""
    try:
        import flatbuffers
        from flatbuffers.table import Table
    except ImportError:
        print("model.tflite: python3-flatbuffers not installed, skipped")
        return True
    buf = bytearray(open(path, "rb").read())
    if not flatbuffers.util.BufferHasIdentifier(buf, 0, b"TFL3"):
        print("model.tflite: no TFL3 identifier")
        return False
    model = Table(buf, flatbuffers.encode.Get(flatbuffers.packer.uoffset, buf, 0))

    def slot(i):
        return 4 + 2 * i

    def tables(t, i):
        o = t.Offset(slot(i))
        if not o:
            return []
        start, n = t.Vector(o), t.VectorLen(o)
        return [Table(buf, t.Indirect(start + 4 * k)) for k in range(n)]

    def i32(t, i, default=0):
        o = t.Offset(slot(i))
        return t.Get(flatbuffers.number_types.Int32Flags, t.Pos + o) if o else default

    codes = [max(i32(c, 3), t8) for c in tables(model, 1)
             for t8 in [Table.Get(c, flatbuffers.number_types.Int8Flags, c.Pos + c.Offset(slot(0)))]]
    ops = [i32(op, 0) for sg in tables(model, 2) for op in tables(sg, 3)]
    buffers = tables(model, 4)
    sizes = [b.VectorLen(b.Offset(slot(0))) if b.Offset(slot(0)) else 0 for b in buffers]
    print(f"model.tflite: version {i32(model, 0)}, builtin codes {codes}, operators use {ops}, buffer sizes {sizes}")
    return codes == [9, 25] and ops == [0, 1] and sizes == [0, 0, 48, 12, 0, 0]


if __name__ == "__main__":
    main()
