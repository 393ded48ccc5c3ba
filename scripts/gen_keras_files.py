#!/usr/bin/python3
"""Write whole Keras model files around the configurations of
scan/keras/testdata: Keras 2 configurations as .h5 files laid out as Keras
2 saves them (root attributes keras_version, backend, model_config and
training_config, weights under model_weights/), written by real h5py; Keras
3 configurations as .keras archives (config.json, metadata.json and a
model.weights.h5 written by h5py), as Keras 3 saves them.

Run from the repository root: /usr/bin/python3 scripts/gen_keras_files.py
"""
import glob
import io
import json
import os
import zipfile

import h5py
import numpy as np

SRC = "scan/keras/testdata"
OUT = "testdata/keras"
MINIMAL = json.dumps({"class_name": "Sequential", "config": {"name": "sequential", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32", "name": "input_1"}},
    {"class_name": "Dense", "config": {"name": "dense", "units": 2, "activation": "linear", "use_bias": True}}]}})


def weights(group):
    rng = np.random.default_rng(0)
    g = group.create_group("dense").create_group("dense")
    g.create_dataset("kernel:0", data=rng.standard_normal((4, 2)).astype("float32"), track_times=False)
    g.create_dataset("bias:0", data=np.zeros(2, dtype="float32"), track_times=False)


def h5(path, doc, keras3):
    training = "training_config" in os.path.basename(path)
    with h5py.File(path, "w") as f:
        val = (lambda s: s) if keras3 else (lambda s: np.bytes_(s.encode("utf-8")))
        f.attrs["backend"] = val("tensorflow")
        f.attrs["keras_version"] = val("3.3.3" if keras3 else "2.11.0")
        f.attrs["model_config"] = val(MINIMAL if training else doc)
        if training:
            f.attrs["training_config"] = val(doc)
        mw = f.create_group("model_weights")
        mw.attrs["layer_names"] = np.array([b"dense"])
        weights(mw)


def keras_zip(path, raw):
    wbuf = io.BytesIO()
    with h5py.File(wbuf, "w") as f:
        layers = f.create_group("layers")
        weights(layers)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        stamp = (2024, 1, 1, 0, 0, 0)
        z.writestr(zipfile.ZipInfo("metadata.json", stamp), json.dumps({"keras_version": "3.3.3", "date_saved": "2024-01-01@00:00:00"}))
        z.writestr(zipfile.ZipInfo("config.json", stamp), raw)
        z.writestr(zipfile.ZipInfo("model.weights.h5", stamp), wbuf.getvalue())
    open(path, "wb").write(buf.getvalue())


for label in ("benign", "malicious"):
    os.makedirs(os.path.join(OUT, label), exist_ok=True)
    for src in sorted(glob.glob(os.path.join(SRC, label, "*.json"))):
        name = os.path.splitext(os.path.basename(src))[0]
        raw = open(src, "rb").read()
        if name.startswith("keras2_"):
            h5(os.path.join(OUT, label, name + ".h5"), raw.decode("utf-8"), False)
        else:
            keras_zip(os.path.join(OUT, label, name + ".keras"), raw)
            try:
                doc = raw.decode("utf-8")
                json.loads(doc)
            except (UnicodeDecodeError, ValueError, RecursionError):
                continue
            # The same configuration in a legacy .h5, as Keras 3 writes it
            # (variable-length strings).
            h5(os.path.join(OUT, label, name + ".h5"), doc, True)
