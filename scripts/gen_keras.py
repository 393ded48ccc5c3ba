#!/usr/bin/python3
"""Generate the Keras configuration fixtures of scan/keras.

Usage (from the repository root, with Debian's /usr/bin/python3):

    /usr/bin/python3 scripts/gen_keras.py scan/keras/testdata

Debian packages no Keras, so the configurations are written here in exactly
the layouts Keras produces: Keras 2 / tf.keras HDF5 `model_config` and
`training_config` attributes (json.dumps of Model.get_config() wrapped in
{"class_name", "config"}), and Keras 3 `config.json` (serialize_keras_object
with "module", "class_name", "config", "registered_name", "build_config",
"compile_config"). Lambda bytecode is real: marshal.dumps of a code object
compiled by this interpreter (its version is in each fixture's name), base64
encoded as keras func_dump does (codecs "base64", with newlines) for Keras 2,
and as one unbroken base64 line for Keras 3. CPython 3.8 and 3.7 code-object
layouts cannot be produced by this interpreter, so marshal/ also holds vectors
assembled field by field to the TYPE_CODE layouts of Python/marshal.c.

SAFETY. Nothing here loads a model or unmarshals anything; lambdas are
compiled, never run, and their payloads only echo "modelward-test".

DETERMINISM. Code objects are compiled from fixed source with a fixed file
name; json.dumps is called with sort_keys=False on ordered dicts, so reruns
with the same Python are byte-identical.

OUTPUT. benign/*.json, malicious/*.json (and one UTF-16 .json),
marshal/*.marshal and marshal/expected.json (what CPython itself reports for
each vector: layout, co_names, string constants and nested code names,
gathered recursively by introspection, for the Go tests to compare).
"""
import base64
import codecs
import json
import marshal
import os
import struct
import sys
import types

PY = "py%d%d" % sys.version_info[:2]
FILENAME = "<modelward-fixture>"


def compile_lambda(src):
    """Return the code object of the lambda in src."""
    module = compile(src, FILENAME, "eval")
    for c in module.co_consts:
        if isinstance(c, types.CodeType):
            return c
    raise ValueError("no lambda in " + src)


def keras2_code(src):
    return codecs.encode(marshal.dumps(compile_lambda(src)), "base64").decode("ascii")


def keras3_code(src):
    return base64.b64encode(marshal.dumps(compile_lambda(src))).decode("ascii")


# ---------------------------------------------------------------- Keras 2

def k2_init(name, **cfg):
    return {"class_name": name, "config": cfg or ({"seed": None} if "Glorot" in name else {})}


def k2_dense(name, units, activation="linear", **extra):
    cfg = {"name": name, "trainable": True, "dtype": "float32"}
    cfg.update(extra)
    cfg.update({"units": units, "activation": activation, "use_bias": True,
                "kernel_initializer": k2_init("GlorotUniform"),
                "bias_initializer": k2_init("Zeros"),
                "kernel_regularizer": None, "bias_regularizer": None,
                "activity_regularizer": None, "kernel_constraint": None,
                "bias_constraint": None})
    return {"class_name": "Dense", "config": cfg}


def k2_input(name, shape):
    return {"class_name": "InputLayer", "config": {
        "batch_input_shape": [None] + shape, "dtype": "float32", "sparse": False,
        "ragged": False, "name": name}}


def k2_lstm(name, units, return_sequences=True):
    return {"class_name": "LSTM", "config": {
        "name": name, "trainable": True, "dtype": "float32",
        "return_sequences": return_sequences, "return_state": False,
        "go_backwards": False, "stateful": False, "unroll": False,
        "time_major": False, "units": units, "activation": "tanh",
        "recurrent_activation": "sigmoid", "use_bias": True,
        "kernel_initializer": k2_init("GlorotUniform"),
        "recurrent_initializer": k2_init("Orthogonal", gain=1.0, seed=None),
        "bias_initializer": k2_init("Zeros"), "unit_forget_bias": True,
        "kernel_regularizer": None, "recurrent_regularizer": None,
        "bias_regularizer": None, "activity_regularizer": None,
        "kernel_constraint": None, "recurrent_constraint": None,
        "bias_constraint": None, "dropout": 0.0, "recurrent_dropout": 0.0,
        "implementation": 2}}


def k2_lambda(name, src):
    return {"class_name": "Lambda", "config": {
        "name": name, "trainable": True, "dtype": "float32",
        "function": [keras2_code(src), None, None], "function_type": "lambda",
        "module": "__main__", "output_shape": None, "output_shape_type": "raw",
        "output_shape_module": None, "arguments": {}}}


def k2_sequential(name, layers):
    return {"class_name": "Sequential", "config": {"name": name, "layers": layers}}


def k2_node(layer, *inbound):
    layer = dict(layer)
    layer["name"] = layer["config"]["name"]
    layer["inbound_nodes"] = [[[n, 0, 0, {}] for n in inbound]] if inbound else []
    return layer


def k2_functional(name, layers, inputs, outputs):
    return {"class_name": "Functional", "config": {
        "name": name, "layers": layers,
        "input_layers": [[n, 0, 0] for n in inputs],
        "output_layers": [[n, 0, 0] for n in outputs]}}


def k2_conv_mnist():
    conv = {"class_name": "Conv2D", "config": {
        "name": "conv2d", "trainable": True, "dtype": "float32",
        "batch_input_shape": [None, 28, 28, 1], "filters": 32,
        "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid",
        "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1,
        "activation": "relu", "use_bias": True,
        "kernel_initializer": k2_init("GlorotUniform"),
        "bias_initializer": k2_init("Zeros"), "kernel_regularizer": None,
        "bias_regularizer": None, "activity_regularizer": None,
        "kernel_constraint": None, "bias_constraint": None}}
    pool = {"class_name": "MaxPooling2D", "config": {
        "name": "max_pooling2d", "trainable": True, "dtype": "float32",
        "pool_size": [2, 2], "padding": "valid", "strides": [2, 2],
        "data_format": "channels_last"}}
    flat = {"class_name": "Flatten", "config": {
        "name": "flatten", "trainable": True, "dtype": "float32",
        "data_format": "channels_last"}}
    drop = {"class_name": "Dropout", "config": {
        "name": "dropout", "trainable": True, "dtype": "float32", "rate": 0.5,
        "noise_shape": None, "seed": None}}
    bn = {"class_name": "BatchNormalization", "config": {
        "name": "batch_normalization", "trainable": True, "dtype": "float32",
        "axis": [3], "momentum": 0.99, "epsilon": 0.001, "center": True,
        "scale": True, "beta_initializer": k2_init("Zeros"),
        "gamma_initializer": k2_init("Ones"),
        "moving_mean_initializer": k2_init("Zeros"),
        "moving_variance_initializer": k2_init("Ones"),
        "beta_regularizer": None, "gamma_regularizer": None,
        "beta_constraint": None, "gamma_constraint": None}}
    return k2_sequential("sequential", [
        k2_input("conv2d_input", [28, 28, 1]), conv, bn, pool, flat, drop,
        k2_dense("dense", 10, "softmax")])


def k2_training_config():
    return {"loss": "categorical_crossentropy",
            "metrics": [[{"class_name": "MeanMetricWrapper", "config": {
                "name": "accuracy", "dtype": "float32",
                "fn": "categorical_accuracy"}}]],
            "weighted_metrics": None, "loss_weights": None,
            "optimizer_config": {"class_name": "Custom>Adam", "config": {
                "name": "Adam", "weight_decay": None, "clipnorm": None,
                "global_clipnorm": None, "clipvalue": None, "use_ema": False,
                "ema_momentum": 0.99, "ema_overwrite_frequency": None,
                "jit_compile": False, "is_legacy_optimizer": False,
                "learning_rate": 0.0010000000474974513, "beta_1": 0.9,
                "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}}}


def k2_training_config_legacy():
    return {"loss": {"class_name": "CategoricalCrossentropy", "config": {
                "reduction": "auto", "name": "categorical_crossentropy",
                "from_logits": False, "label_smoothing": 0.0, "axis": -1}},
            "metrics": ["accuracy"], "weighted_metrics": None,
            "loss_weights": None, "sample_weight_mode": None,
            "optimizer_config": {"class_name": "Adam", "config": {
                "name": "Adam", "learning_rate": 0.0010000000474974513,
                "decay": 0.0, "beta_1": 0.8999999761581421,
                "beta_2": 0.9990000128746033, "epsilon": 1e-07,
                "amsgrad": False}}}


def k2_wrapped(cls, name, layer, **extra):
    cfg = {"name": name, "trainable": True, "dtype": "float32", "layer": layer}
    cfg.update(extra)
    return {"class_name": cls, "config": cfg}


def k2_nested_sequential():
    inner = k2_sequential("encoder", [k2_input("dense_input", [16]),
                                      k2_dense("dense", 32, "relu", batch_input_shape=[None, 16]),
                                      k2_dense("dense_1", 8, "relu")])
    inner = k2_node(inner, "input_1")
    layers = [k2_node(k2_input("input_1", [16])), inner,
              k2_node(k2_dense("dense_2", 1, "sigmoid"), "encoder")]
    return k2_functional("model", layers, ["input_1"], ["dense_2"])


def k2_bidirectional_timedistributed():
    bi = k2_wrapped("Bidirectional", "bidirectional", k2_lstm("lstm", 32),
                    merge_mode="concat")
    bi["config"]["backward_layer"] = k2_lstm("backward_lstm", 32)
    bi["config"]["backward_layer"]["config"]["go_backwards"] = True
    td = k2_wrapped("TimeDistributed", "time_distributed", k2_dense("dense", 5, "softmax"))
    emb = {"class_name": "Embedding", "config": {
        "name": "embedding", "trainable": True, "batch_input_shape": [None, 20],
        "dtype": "float32", "input_dim": 1000, "output_dim": 16,
        "embeddings_initializer": k2_init("RandomUniform", minval=-0.05, maxval=0.05, seed=None),
        "embeddings_regularizer": None, "activity_regularizer": None,
        "embeddings_constraint": None, "mask_zero": True, "input_length": 20}}
    return k2_sequential("tagger", [k2_input("embedding_input", [20]), emb, bi, td])


# ---------------------------------------------------------------- Keras 3

def k3(module, cls, cfg, registered=None, **extra):
    d = {"module": module, "class_name": cls, "config": cfg, "registered_name": registered}
    d.update(extra)
    return d


def k3_dtype():
    return k3("keras", "DTypePolicy", {"name": "float32"})


def k3_init(cls, **cfg):
    return k3("keras.initializers", cls, cfg or ({"seed": None} if "Glorot" in cls else {}))


def k3_dense(name, units, activation="linear", shape=None):
    cfg = {"name": name, "trainable": True, "dtype": k3_dtype(), "units": units,
           "activation": activation, "use_bias": True,
           "kernel_initializer": k3_init("GlorotUniform"),
           "bias_initializer": k3_init("Zeros"), "kernel_regularizer": None,
           "bias_regularizer": None, "kernel_constraint": None,
           "bias_constraint": None}
    return k3("keras.layers", "Dense", cfg, build_config={"input_shape": shape})


def k3_tensor(layer, shape):
    return {"class_name": "__keras_tensor__", "config": {
        "shape": shape, "dtype": "float32", "keras_history": [layer, 0, 0]}}


def k3_node(layer, inbound=None, shape=None):
    layer = dict(layer)
    layer["name"] = layer["config"]["name"]
    layer["inbound_nodes"] = ([{"args": [k3_tensor(inbound, shape)], "kwargs": {}}]
                              if inbound else [])
    return layer


def k3_input(name, shape):
    return k3("keras.layers", "InputLayer", {
        "batch_shape": [None] + shape, "dtype": "float32", "sparse": False,
        "ragged": False, "name": name})


def k3_lambda(name, src):
    return k3("keras.layers", "Lambda", {
        "name": name, "trainable": True, "dtype": k3_dtype(),
        "function": {"class_name": "__lambda__", "config": {
            "code": keras3_code(src), "defaults": None, "closure": None}},
        "arguments": {}}, build_config={"input_shape": [None, 8]})


def k3_compile(loss=None):
    return {"optimizer": k3("keras.optimizers", "Adam", {
                "name": "adam", "learning_rate": 0.0010000000474974513,
                "weight_decay": None, "clipnorm": None, "global_clipnorm": None,
                "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
                "ema_overwrite_frequency": None, "loss_scale_factor": None,
                "gradient_accumulation_steps": None, "beta_1": 0.9,
                "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}),
            "loss": loss or k3("builtins", "function", "binary_crossentropy",
                               "function"),
            "loss_weights": None, "metrics": ["accuracy"],
            "weighted_metrics": None, "run_eagerly": False,
            "steps_per_execution": 1, "jit_compile": False}


def k3_functional(layers, inputs, outputs, compile_config=None):
    model = k3("keras", "Functional", {
        "name": "functional", "trainable": True, "layers": layers,
        "input_layers": [[n, 0, 0] for n in inputs],
        "output_layers": [[n, 0, 0] for n in outputs]},
        "Functional", build_config={"input_shape": None})
    if compile_config:
        model["compile_config"] = compile_config
    return model


def k3_model(middle, compile_config=None):
    """input(8) -> middle layers (each taking the previous) -> dense(1)."""
    layers = [k3_node(k3_input("input_layer", [8]))]
    prev = "input_layer"
    for layer in middle + [k3_dense("head", 1, "sigmoid", [None, 8])]:
        layers.append(k3_node(layer, prev, [None, 8]))
        prev = layer["config"]["name"]
    return k3_functional(layers, ["input_layer"], [prev], compile_config or k3_compile())


def k3_sequential_bidirectional():
    lstm = k3("keras.layers", "LSTM", {
        "name": "lstm", "trainable": True, "dtype": k3_dtype(),
        "return_sequences": True, "return_state": False, "go_backwards": False,
        "stateful": False, "unroll": False, "zero_output_for_mask": True,
        "units": 16, "activation": "tanh", "recurrent_activation": "sigmoid",
        "use_bias": True, "kernel_initializer": k3_init("GlorotUniform"),
        "recurrent_initializer": k3_init("Orthogonal", seed=None, gain=1.0),
        "bias_initializer": k3_init("Zeros"), "unit_forget_bias": True,
        "kernel_regularizer": None, "recurrent_regularizer": None,
        "bias_regularizer": None, "activity_regularizer": None,
        "kernel_constraint": None, "recurrent_constraint": None,
        "bias_constraint": None, "dropout": 0.0, "recurrent_dropout": 0.0,
        "seed": None})
    bi = k3("keras.layers", "Bidirectional", {
        "name": "bidirectional", "trainable": True, "dtype": k3_dtype(),
        "merge_mode": "concat", "layer": lstm}, build_config={"input_shape": [None, 10, 4]})
    td = k3("keras.layers", "TimeDistributed", {
        "name": "time_distributed", "trainable": True, "dtype": k3_dtype(),
        "layer": k3_dense("dense", 3, "softmax")}, build_config={"input_shape": [None, 10, 32]})
    seq = k3("keras", "Sequential", {"name": "sequential", "trainable": True,
                                     "dtype": k3_dtype(),
                                     "layers": [k3_input("input_layer", [10, 4]), bi, td]},
             build_config={"input_shape": [None, 10, 4]})
    seq["compile_config"] = k3_compile(k3("keras.losses", "CategoricalCrossentropy", {
        "name": "categorical_crossentropy", "reduction": "sum_over_batch_size",
        "from_logits": False, "label_smoothing": 0.0, "axis": -1}))
    return seq


def k3_custom_registered():
    layer = k3("my_project.layers", "ScaledDense", {"name": "scaled_dense", "trainable": True,
                                                   "dtype": k3_dtype(), "units": 8, "scale": 0.5},
               "MyProject>ScaledDense", build_config={"input_shape": [None, 8]})
    return k3_model([layer])


def k3_lookup(cls, name, vocabulary, **extra):
    """A Keras 3 lookup layer as IndexLookup.get_config writes it: the
    vocabulary is the constructor's argument, a list or a file path."""
    cfg = {"name": name, "trainable": True, "dtype": k3_dtype(),
           "invert": False, "max_tokens": None, "num_oov_indices": 1,
           "oov_token": "[UNK]" if cls == "StringLookup" else -1,
           "mask_token": None, "output_mode": "int", "sparse": False,
           "pad_to_max_tokens": False,
           "vocabulary_dtype": "string" if cls == "StringLookup" else "int64",
           "idf_weights": None, "vocabulary": vocabulary}
    if cls == "TextVectorization":
        cfg = {"name": name, "trainable": True, "dtype": "string",
               "max_tokens": None, "standardize": "lower_and_strip_punctuation",
               "split": "whitespace", "ngrams": None, "output_mode": "int",
               "output_sequence_length": None, "pad_to_max_tokens": False,
               "sparse": False, "ragged": False, "vocabulary": vocabulary,
               "idf_weights": None, "encoding": "utf-8", "vocabulary_size": None}
    cfg.update(extra)
    return k3("keras.layers", cls, cfg)


def k3_lookup_model(lookups):
    """Sequential: string input -> lookup layers (Keras 3 layout)."""
    layers = [k3("keras.layers", "InputLayer", {
        "batch_shape": [None, 1], "dtype": "string", "sparse": False,
        "ragged": False, "name": "text"})] + lookups
    return k3("keras", "Sequential", {"name": "sequential", "trainable": True,
                                      "dtype": k3_dtype(), "layers": layers},
              build_config={"input_shape": [None, 1]})


def function_ref(module, name, registered=None):
    return k3(module, "function", name, registered)


# ---------------------------------------------------------------- malicious

PAYLOAD = "lambda x: __import__('os').system('echo modelward-test') or x"


def mal_nested_three_deep(version):
    """Lambda inside a Functional inside a TimeDistributed inside a Bidirectional."""
    if version == 2:
        inner = k2_functional("inner", [k2_node(k2_input("inner_in", [8])),
                                        k2_node(k2_lambda("deep_lambda", PAYLOAD), "inner_in")],
                              ["inner_in"], ["deep_lambda"])
        td = k2_wrapped("TimeDistributed", "time_distributed", inner)
        bi = k2_wrapped("Bidirectional", "bidirectional", td, merge_mode="concat")
        bi["config"]["backward_layer"] = k2_lstm("backward_lstm", 4)
        return k2_sequential("sequential", [k2_input("seq_in", [10, 8]), bi])
    inner = k3_functional([k3_node(k3_input("inner_in", [8])),
                           k3_node(k3_lambda("deep_lambda", PAYLOAD), "inner_in", [None, 8])],
                          ["inner_in"], ["deep_lambda"])
    td = k3("keras.layers", "TimeDistributed", {"name": "time_distributed", "layer": inner})
    bi = k3("keras.layers", "Bidirectional", {"name": "bidirectional", "layer": td,
                                              "merge_mode": "concat"})
    return k3("keras", "Sequential", {"name": "sequential", "layers": [bi]})


def fixtures():
    """(directory, file name, JSON-able document) for every fixture."""
    b, m = "benign", "malicious"
    dense = k3_dense("dense", 8, "relu", [None, 8])
    unsafe = k3_dense("trigger", 8, function_ref("keras.config", "enable_unsafe_deserialization"), [None, 8])
    safe_off = k3_dense("dense", 8, "relu", [None, 8])
    safe_off["config"]["safe_mode"] = False
    padded = k3_dense("dense", 8, function_ref(" os", "system"), [None, 8])
    upper = k3_dense("dense", 8, function_ref("OS", "system"), [None, 8])
    get_file = k3_dense("dense", 8, function_ref("keras.utils", "get_file"), [None, 8])
    builtins_exec = k3_dense("dense", 8, function_ref("builtins", "exec", "function"), [None, 8])
    os_system = k3_dense("dense", 8, function_ref("os", "system"), [None, 8])
    sub = k2_sequential("sequential", [k2_input("dense_input", [8]),
                                       {"class_name": "subprocess.Popen", "config": {"name": "p", "args": "id"}}])
    raw_fn = k2_sequential("sequential", [k2_input("dense_input", [8]), {"class_name": "Lambda", "config": {
        "name": "lambda", "trainable": True, "dtype": "float32", "function": "system",
        "function_type": "function", "module": "posix", "output_shape": None,
        "output_shape_type": "raw", "output_shape_module": None, "arguments": {}}}])
    bad_marshal = k2_sequential("sequential", [k2_input("in", [8]), {"class_name": "Lambda", "config": {
        "name": "lambda", "function": [codecs.encode(b"\xe3\x00\x00\x00\x00\xff\xff\xff\x7f garbage", "base64").decode(), None, None],
        "function_type": "lambda", "module": "__main__", "output_shape": None,
        "output_shape_type": "raw", "output_shape_module": None, "arguments": {}}}])
    return [
        (b, "keras2_sequential_conv_model_config.json", k2_conv_mnist()),
        (b, "keras2_training_config_tf211.json", k2_training_config()),
        (b, "keras2_training_config_legacy.json", k2_training_config_legacy()),
        (b, "keras2_functional_nested_sequential.json", k2_nested_sequential()),
        (b, "keras2_bidirectional_lstm_timedistributed.json", k2_bidirectional_timedistributed()),
        (b, "keras3_functional_config.json", k3_model([dense])),
        (b, "keras3_sequential_bidirectional_lstm.json", k3_sequential_bidirectional()),
        (b, "keras3_registered_custom_layer.json", k3_custom_registered()),
        (m, "keras2_lambda_top_%s.json" % PY, k2_sequential("sequential", [
            k2_input("lambda_input", [8]), k2_lambda("lambda", PAYLOAD), k2_dense("dense", 1)])),
        (m, "keras2_lambda_nested_%s.json" % PY, mal_nested_three_deep(2)),
        (m, "keras3_lambda_nested_%s.json" % PY, mal_nested_three_deep(3)),
        (m, "keras3_lambda_top_%s.json" % PY, k3_model([k3_lambda("lambda", PAYLOAD)])),
        (m, "keras2_lambda_named_posix_system.json", raw_fn),
        (m, "keras2_lambda_malformed_marshal.json", bad_marshal),
        (m, "keras2_dotted_class_subprocess.json", sub),
        (m, "keras3_builtins_exec.json", k3_model([builtins_exec])),
        (m, "keras3_module_os_system.json", k3_model([os_system])),
        (m, "keras3_module_padded_os.json", k3_model([padded])),
        (m, "keras3_module_uppercase_os.json", k3_model([upper])),
        (m, "keras3_keras_utils_get_file.json", k3_model([get_file])),
        (m, "keras3_enable_unsafe_then_lambda_%s.json" % PY,
         k3_model([unsafe, k3_lambda("lambda", PAYLOAD)])),
        (m, "keras3_safe_mode_false.json", k3_model([safe_off])),
        (b, "keras3_lookup_list_vocabulary.json", k3_lookup_model([
            k3_lookup("StringLookup", "string_lookup", ["cat", "dog", "bird"]),
            k3_lookup("IntegerLookup", "integer_lookup", None),
            k3_lookup("TextVectorization", "text_vectorization", ["the", "a", "model"])])),
        # A string vocabulary is a file Keras reads with tf.io.gfile at load.
        (m, "keras3_stringlookup_vocabulary_abs_path.json", k3_lookup_model([
            k3_lookup("StringLookup", "string_lookup", "/etc/passwd")])),
        (m, "keras3_textvectorization_vocabulary_url.json", k3_lookup_model([
            k3_lookup("TextVectorization", "text_vectorization", "gs://bucket/../vocab.txt")])),
        (m, "keras2_stringlookup_vocabulary_relative.json", k2_sequential("sequential", [
            k2_input("text", [1]),
            {"class_name": "StringLookup", "config": {
                "name": "string_lookup", "trainable": True, "dtype": "int64",
                "invert": False, "max_tokens": None, "num_oov_indices": 1,
                "mask_token": None, "oov_token": "[UNK]", "vocabulary": "vocab.txt",
                "idf_weights": None, "encoding": "utf-8", "output_mode": "int",
                "sparse": False, "pad_to_max_tokens": False}}])),
    ] + resolver_fixtures() + tfop_fixtures()


def resolver_seq(layer):
    """A Sequential of an InputLayer and one layer, as in the red-team repros."""
    inp = k3("keras.layers", "InputLayer", {"batch_shape": [None, 4], "dtype": "float32", "name": "in"})
    return k3("keras", "Sequential", {"name": "s", "trainable": True, "dtype": "float32",
                                      "layers": [inp, layer]}, build_config={"input_shape": [None, 4]})


def resolver_fixtures():
    """Names Keras 3 resolves in ways a per-field check misses.

    api_export.get_symbol_from_name(module + "." + name) takes a dotted class
    name or function name ("layers.TFSMLayer", "utils.get_file"); the
    registered_name is the fallback vars(module).get(registered_name); and the
    legacy HDF5 loader resolves a bare class name from keras.layers and calls it
    with the config (so "deserialize" re-enters the deserialiser)."""
    m = "malicious"
    tfsm = {"filepath": "/tmp/evil_savedmodel", "call_endpoint": "serve", "name": "t",
            "trainable": True, "dtype": "float32"}
    getfile_fn = {"name": "d", "units": 1,
                  "activation": k3("keras", "function", "utils.get_file")}
    getfile_reg = {"name": "d", "units": 1,
                   "activation": k3("keras.utils", "relu", {}, "get_file")}
    vocab = {"name": "sl", "vocabulary": "/etc/passwd"}
    legacy_tfsm = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "TFSMLayer", "config": {"filepath": "/tmp/evil_savedmodel",
                                               "call_endpoint": "serve", "name": "t"}}]}}
    legacy_deser = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "deserialize", "config": {"config": k3("keras", "layers.TFSMLayer", {
            "filepath": "/tmp/evil_savedmodel", "call_endpoint": "serve", "name": "t"})}}]}}
    dense = k3("keras", "layers.Dense", {"name": "d", "units": 1, "activation": k3(
        "keras", "function", "activations.relu", "function")})
    dense["config"]["kernel_initializer"] = k3("keras.initializers", "GlorotUniform", {"seed": None},
                                               "GlorotUniform")
    api_names = resolver_seq(dense)
    api_names["compile_config"] = {
        "loss": k3("keras.losses", "function", "mean_squared_error", "mean_squared_error"),
        "metrics": [k3("keras.metrics", "MeanMetricWrapper", {"name": "mae", "fn": k3(
            "keras.metrics", "function", "mean_absolute_error", "function")}, "MeanMetricWrapper")],
        "extra": k3("keras.src.saving.serialization_lib", "SerializableDict", {"a": 1})}
    return [
        # The same resolver paths used for ordinary objects stay clean.
        ("benign", "keras3_api_names_and_registered_names.json", api_names),
        (m, "keras3_apiname_tfsmlayer.json", resolver_seq(k3("keras", "layers.TFSMLayer", tfsm))),
        (m, "keras3_apiname_get_file_function.json", resolver_seq(k3("keras.layers", "Dense", getfile_fn))),
        (m, "keras3_apiname_load_model_function.json", resolver_seq(k3("keras", "function", "saving.load_model"))),
        (m, "keras3_apiname_stringlookup_vocabulary.json", resolver_seq(k3("keras", "layers.StringLookup", vocab))),
        (m, "keras3_regname_tfsmlayer.json", resolver_seq(k3("keras.layers", "Dense", tfsm, "TFSMLayer"))),
        (m, "keras3_regname_get_file.json", resolver_seq(k3("keras.layers", "Dense", getfile_reg))),
        (m, "keras3_regname_stringlookup_vocabulary.json", resolver_seq(k3("keras.layers", "Dense", vocab, "StringLookup"))),
        (m, "keras2_legacy_bare_tfsmlayer.json", legacy_tfsm),
        (m, "keras2_legacy_bare_deserialize.json", legacy_deser),
    ]


def k2_tfop(name, function, inbound, kwargs=None, cls="TFOpLambda"):
    """A tf.keras TFOpLambda (or SlicingOpLambda) layer as Functional writes
    it: config.function is the canonical TF API name that from_config looks
    up with tf_export.get_symbol_from_name; the call's other arguments are
    the kwargs dict of the inbound node."""
    return {"class_name": cls, "config": {
        "name": name, "trainable": True, "dtype": "float32", "function": function},
        "name": name, "inbound_nodes": [[[inbound, 0, 0, kwargs or {}]]]}


def k2_tfop_model(layers, out):
    inp = {"class_name": "InputLayer", "config": {
        "batch_input_shape": [None, 8], "dtype": "float32", "sparse": False,
        "ragged": False, "name": "input_1"}, "name": "input_1", "inbound_nodes": []}
    return {"class_name": "Functional", "config": {
        "name": "model", "layers": [inp] + layers,
        "input_layers": [["input_1", 0, 0]], "output_layers": [[out, 0, 0]]}}


def k2_tfop_repro(function):
    """The layout of the red-team TFOpLambda repros (/tmp/redteam3/mal/tfop_*.h5)."""
    inp = {"class_name": "InputLayer", "config": {
        "batch_input_shape": [None], "dtype": "string", "sparse": False,
        "ragged": False, "name": "input_1"}, "name": "input_1", "inbound_nodes": []}
    op = {"class_name": "TFOpLambda", "config": {
        "name": "tf.io.x", "trainable": True, "dtype": "float32", "function": function},
        "name": "tf.io.x", "inbound_nodes": [["input_1", 0, 0, {"filename": "/home/user/.bashrc"}]]}
    return {"class_name": "Functional", "config": {
        "name": "model", "layers": [inp, op],
        "input_layers": [["input_1", 0, 0]], "output_layers": [["tf.io.x", 0, 0]]}}


def tfop_fixtures():
    """tf.keras TFOpLambda / SlicingOpLambda: built-in layers that call the
    TF symbol named by config.function on every inference."""
    benign = k2_tfop_model([
        k2_tfop("tf.math.add", "math.add", "input_1", {"y": 1.0, "name": None}),
        k2_tfop("tf.nn.relu", "nn.relu", "tf.math.add"),
        k2_tfop("tf.__operators__.add", "__operators__.add", "tf.nn.relu", {"y": 2.0}),
        k2_tfop("tf.reshape", "reshape", "tf.__operators__.add", {"shape": [-1, 2, 4]}),
        k2_tfop("tf.__operators__.getitem", "__operators__.getitem", "tf.reshape",
                {"slice_spec": {"class_name": "__tuple__", "items": [
                    {"start": None, "stop": None, "step": None}, 0]}}, "SlicingOpLambda"),
        k2_tfop("tf.strings.as_string", "strings.as_string", "tf.__operators__.getitem"),
    ], "tf.strings.as_string")
    m = "malicious"
    return [
        ("benign", "keras2_tfoplambda_math_ops.json", benign),
        (m, "keras2_tfop_io_read_file.json", k2_tfop_repro("io.read_file")),
        (m, "keras2_tfop_io_write_file.json", k2_tfop_repro("io.write_file")),
        (m, "keras2_tfop_raw_ops_writefile.json", k2_tfop_repro("raw_ops.WriteFile")),
        (m, "keras2_tfop_compat_v1_py_func.json", k2_tfop_repro("compat.v1.py_func")),
        (m, "keras2_tfop_summary_create_file_writer.json", k2_tfop_repro("summary.create_file_writer")),
        (m, "keras2_tfop_numpy_function.json", k2_tfop_model([
            k2_tfop("tf.numpy_function", "numpy_function", "input_1", {"Tout": "float32"})], "tf.numpy_function")),
        (m, "keras2_slicingop_gfile_glob.json", k2_tfop_model([
            k2_tfop("tf.io.gfile.glob", "io.gfile.glob", "input_1", {"pattern": "/home/*/.ssh/*"},
                    "SlicingOpLambda")], "tf.io.gfile.glob")),
    ]


# ---------------------------------------------------------------- marshal vectors

def w_long(v):
    return struct.pack("<i", v)


def w_obj(o):
    """Minimal marshal writer (no references) for hand-assembled vectors."""
    if o is None:
        return b"N"
    if isinstance(o, bool):
        return b"T" if o else b"F"
    if isinstance(o, int):
        return b"i" + w_long(o)
    if isinstance(o, bytes):
        return b"s" + w_long(len(o)) + o
    if isinstance(o, str):
        raw = o.encode("utf-8")
        if o.isascii() and len(raw) < 256:
            return b"z" + bytes([len(raw)]) + raw
        return b"u" + w_long(len(raw)) + raw
    if isinstance(o, tuple):
        return b")" + bytes([len(o)]) + b"".join(w_obj(x) for x in o)
    if isinstance(o, OldCode):
        return o.dump()
    raise TypeError(type(o))


class OldCode:
    """A code object in the 3.8-3.10 or 3.0-3.7 TYPE_CODE layout."""

    def __init__(self, layout, name, names, consts, varnames=("x",)):
        self.layout, self.name, self.names = layout, name, tuple(names)
        self.consts, self.varnames = tuple(consts), tuple(varnames)

    def dump(self):
        ints = [1, 0, 0, 1, 4, 67] if self.layout == "38" else [1, 0, 1, 4, 67]
        out = b"c" + b"".join(w_long(i) for i in ints)
        out += w_obj(b"t\x00d\x01\x83\x01S\x00")  # bytecode body: never run
        for o in (self.consts, self.names, self.varnames, (), (), FILENAME, self.name):
            out += w_obj(o)
        return out + w_long(1) + w_obj(b"\x00\x01")


def const_key(k):
    """A constant as the Go test renders it: s:text, or b:hex for bytes."""
    return "b:" + k.hex() if isinstance(k, bytes) else "s:" + k


def describe(code):
    """What CPython reports for a code object, recursively."""
    names, strs, funcs = set(), set(), []

    def visit(c, top):
        if not top:
            funcs.append(c.co_name)
        names.update(c.co_names)
        for k in c.co_consts:
            value(k)

    def value(k):
        if isinstance(k, types.CodeType):
            visit(k, False)
        elif isinstance(k, (str, bytes)):
            strs.add(const_key(k))
        elif isinstance(k, (tuple, frozenset)):
            for x in k:
                value(x)

    visit(code, True)
    return {"names": sorted(names), "strings": sorted(strs), "funcs": sorted(set(funcs))}


def describe_old(c):
    names, strs, funcs = set(c.names), set(), []
    for k in c.consts:
        if isinstance(k, OldCode):
            funcs.append(k.name)
            d = describe_old(k)
            names.update(d["names"])
            strs.update(d["strings"])
            funcs.extend(d["funcs"])
        elif isinstance(k, (str, bytes)):
            strs.add(const_key(k))
    return {"names": sorted(names), "strings": sorted(strs), "funcs": sorted(set(funcs))}


MARSHAL_SHAPES = {
    "identity": "lambda x: x",
    "import_os_system": PAYLOAD,
    "closure_defaults": "lambda x, k=3, *a, s='scale', **kw: (lambda y: y * k)(x)",
    "nested_comprehension": "lambda x: [[j for j in range(i)] for i in x if i in {1, 2, 3}]",
    "constants": "lambda x: (x, 10**30, -2**70, 1.5, 2j, b'bytes\\x00', 'text', None, ..., True)",
    "getattr_eval": "lambda x: getattr(__builtins__, 'ev' + 'al')('1') or x",
    "unicode_strings": "lambda x: x.replace('caf\u00e9', '\u6f22\u5b57') if x else 'subprocess'",
    "generator_and_kwonly": "lambda x, *, n=2: sum(v ** n for v in x)",
}


def marshal_vectors():
    """(name, bytes, expected) triples."""
    out = []
    for name, src in MARSHAL_SHAPES.items():
        code = compile_lambda(src)
        exp = describe(code)
        exp["layout"] = "CPython 3.11–3.13" if sys.version_info >= (3, 11) else None
        exp["name"] = code.co_name
        out.append(("%s_%s" % (PY, name), marshal.dumps(code), exp))
    for layout in ("38", "37"):
        inner = OldCode(layout, "<genexpr>", ["system"], [None, "id"], (".0", "v"))
        top = OldCode(layout, "<lambda>", ["__import__", "os", "system"],
                      [None, "os", "echo modelward-test", inner, b"\x00raw"])
        exp = describe_old(top)
        exp["layout"] = {"38": "CPython 3.8–3.10", "37": "CPython 3.0–3.7"}[layout]
        exp["name"] = "<lambda>"
        out.append(("handmade_py%s_import_os_system" % layout, top.dump(), exp))
    return out


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    print(path)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "scan/keras/testdata"
    for d, name, doc in fixtures():
        write(os.path.join(out, d, name), json.dumps(doc).encode("utf-8"))
    os_doc = json.dumps(k3_model([k3_dense("dense", 8, function_ref("os", "system"), [None, 8])]))
    write(os.path.join(out, "malicious", "keras3_module_os_utf16.json"), os_doc.encode("utf-16"))
    write(os.path.join(out, "malicious", "json_bomb_deep_nesting.json"),
          b'{"class_name": "Sequential", "config": ' + b"[" * 5000 + b"]" * 5000 + b"}")
    dup = ('{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "Dense", '
           '"config": {"name": "d", "function": ["%s", null, null], "function_type": "lambda"}, '
           '"class_name": "Lambda"}]}}') % keras3_code(PAYLOAD)
    write(os.path.join(out, "malicious", "keras2_duplicate_class_name_lambda_%s.json" % PY), dup.encode())
    write(os.path.join(out, "malicious", "truncated_config.json"),
          json.dumps(k3_model([dense_for_truncation()])).encode()[:700])
    expected = {}
    for name, data, exp in marshal_vectors():
        write(os.path.join(out, "marshal", name + ".marshal"), data)
        expected[name] = exp
    write(os.path.join(out, "marshal", "expected.json"),
          (json.dumps(expected, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"))


def dense_for_truncation():
    return k3_dense("dense", 8, "relu", [None, 8])


if __name__ == "__main__":
    main()
