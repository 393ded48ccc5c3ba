// Package keras checks Keras model configurations: the JSON that Keras 2
// (tf.keras) stores in the HDF5 root attributes model_config and
// training_config, that Keras 3 stores as config.json in a .keras zip, and
// that TensorFlow SavedModels keep per object in keras_metadata.pb.
// CheckConfig is a pure function of the bytes; reading the containers is
// done elsewhere.
//
// It walks the whole tree, every nested object and list, because Keras
// deserialises nested models, wrapper layers (TimeDistributed,
// Bidirectional layer and backward_layer), optimizer, loss and metric
// configs, compile_config and custom objects inside each of them, and
// reports:
//
//   - MW308, Lambda layers and any other serialised Python function: the
//     Keras 2 form (config.function = [base64 marshal, defaults, closure]
//     with function_type "lambda"), the Keras 3 form ({"class_name":
//     "__lambda__", "config": {"code": ...}} or {"value": [...]}), and
//     lambda output shapes and masks. The bytecode is decoded far enough to
//     list the names, string constants and nested functions it references.
//   - MW309, module and class references outside Keras, TensorFlow and
//     NumPy (CVE-2025-1550), and loader machinery inside them (get_file,
//     serialization_lib, TFSMLayer, ...), judged on the path Keras 3
//     resolves: module, class name and function name joined
//     ("keras" + "layers.TFSMLayer"), the registered_name it falls back to,
//     and bare class names that the legacy HDF5 loader takes from
//     keras.layers (deserialize and serialize among them); and lookup
//     layers (StringLookup, IntegerLookup, TextVectorization, IndexLookup)
//     whose vocabulary is a file path, which Keras reads with tf.io.gfile
//     at load: high for an absolute path, a URL or "..", medium for a plain
//     relative name; and tf.keras TFOpLambda and SlicingOpLambda layers
//     (built in, so not custom objects) whose config.function names a TF
//     symbol, looked up with tf_export.get_symbol_from_name and called on
//     every inference: critical for the py_func family (py_func,
//     py_function, numpy_function, raw_ops.PyFunc...) and for symbols that
//     load native code or models (load_op_library, load_model...), high
//     for files, servers and the network (io.read_file, io.gfile.*,
//     raw_ops.WriteFile, summary.*, saved_model.*, tf.data readers,
//     get_file...); ordinary tensor operations stay clean.
//   - MW310, safe_mode keys and enable_unsafe_deserialization anywhere
//     (CVE-2025-9906).
//   - MW311, custom objects that need the user's code.
//   - MW315 and MW202, documents that are not JSON or exceed the limits
//     (64 MiB, nesting 256, 1 Mi values); such a document is never clean.
//
// Sources, read for the facts and not copied:
//
//   - RFC 8259 (JSON), and Python's json module documentation for what
//     json.loads also accepts (NaN, Infinity, -Infinity; the last of
//     repeated keys wins; bytes input in UTF-8, UTF-16 or UTF-32 detected
//     by json.detect_encoding). Keras reads configs with json.loads.
//   - CPython Python/marshal.c: type codes, FLAG_REF and the reference
//     table (containers registered before their items, code objects and
//     frozensets reserved and filled after), TYPE_REF, and the TYPE_CODE
//     field order of 3.0–3.7, 3.8–3.10 and 3.11–3.13 (co_posonlyargcount
//     from 3.8; co_localsplusnames, co_localspluskinds, co_qualname and
//     co_exceptiontable from 3.11). marshal data carries no version, so
//     each layout is tried and the one that consumes the stream exactly
//     and type-checks wins.
//   - CPython Modules/binascii.c (a2b_base64, non-strict mode) and the
//     raw_unicode_escape codec, which keras.utils.python_utils.func_load
//     uses to turn the code string into bytes.
//   - Keras sources for the layouts: keras/src/saving/serialization_lib.py
//     (module, class_name, config, registered_name; builtins functions;
//     the import allowlist added for CVE-2025-1550),
//     keras/src/layers/core/lambda_layer.py and tf.keras's Lambda
//     (function, function_type, module, output_shape_type).
//
// LooksLikeConfig tells a Keras model configuration (top-level
// "class_name" and "config") from other JSON, such as a transformers
// config.json, by reading only the top level; IsKerasZip recognises a
// .keras zip by a root config.json (or model.weights.*), names cut at NUL
// as Python's zipfile cuts them.
//
// Everything is bounded: document size, nesting depth and value count in
// the JSON decoder (whose recursion is limited by the depth check);
// marshal size, depth and object count; every length read from marshal
// data is checked against the bytes left before anything is allocated;
// the number of findings per document.
package keras
