#!/usr/bin/python3
"""Write the HDF5 fixtures for scan/hdf5 with the real h5py (libhdf5), plus a
JSON sidecar per file listing what the Go reader must find: the root
attributes (decoded to text), every object path with its kind, the external
data file names and the soft/external links.

    /usr/bin/python3 scripts/gen_hdf5.py scan/hdf5/testdata

Data is fixed (no random numbers) and no object stores modification times
(track_times=False / set_obj_track_times(False)), so reruns give the same bytes.
"""
import hashlib
import json
import os
import sys

import h5py
import numpy as np

OUT = sys.argv[1] if len(sys.argv) > 1 else "scan/hdf5/testdata"


def model_config(layers, pad=0):
    cfg = {
        "class_name": "Sequential",
        "config": {
            "name": "sequential",
            "layers": [
                {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32",
                                                        "sparse": False, "ragged": False, "name": "input_1"}},
            ] + [
                {"class_name": "Dense", "config": {"name": n, "trainable": True, "dtype": "float32",
                                                   "units": u, "activation": "relu", "use_bias": True,
                                                   "kernel_initializer": {"class_name": "GlorotUniform",
                                                                          "config": {"seed": None}},
                                                   "bias_initializer": {"class_name": "Zeros", "config": {}}}}
                for n, u in layers
            ],
        },
    }
    if pad:
        cfg["config"]["padding_note"] = "x" * pad
    return json.dumps(cfg)


TRAINING = json.dumps({"loss": "mse", "metrics": None, "optimizer_config": {
    "class_name": "Adam", "config": {"name": "Adam", "learning_rate": 0.001}}})
LAYERS = [("dense", 3), ("dense_1", 2)]


def new_latest(path):
    """An h5py File with libver='latest' whose root group stores no times."""
    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    fapl.set_libver_bounds(h5py.h5f.LIBVER_LATEST, h5py.h5f.LIBVER_LATEST)
    fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
    fcpl.set_obj_track_times(False)
    return h5py.File(h5py.h5f.create(path.encode(), h5py.h5f.ACC_TRUNC, fcpl=fcpl, fapl=fapl))


def mkgroup(parent, name, track_order=False):
    """create_group without modification times (v2 headers would store them)."""
    gcpl = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
    gcpl.set_obj_track_times(False)
    if track_order:
        flags = h5py.h5p.CRT_ORDER_TRACKED | h5py.h5p.CRT_ORDER_INDEXED
        gcpl.set_link_creation_order(flags)
        gcpl.set_attr_creation_order(flags)
    h5py.h5g.create(parent.id, name.encode(), gcpl=gcpl)
    return parent[name]


def weights(f, as_str):
    mw = mkgroup(f, "model_weights")
    conv = (lambda s: s) if as_str else (lambda s: s.encode())
    names = [n for n, _ in LAYERS]
    mw.attrs["layer_names"] = np.array([n.encode() for n in names]) if not as_str else names
    mw.attrs["backend"] = conv("tensorflow")
    mw.attrs["keras_version"] = conv("2.11.0")
    fan_in = 4
    for n, u in LAYERS:
        g = mkgroup(mw, n)
        wn = [f"{n}/kernel:0", f"{n}/bias:0"]
        g.attrs["weight_names"] = np.array([w.encode() for w in wn]) if not as_str else wn
        sub = mkgroup(g, n)
        k = np.arange(fan_in * u, dtype=np.float32).reshape(fan_in, u) / 10
        sub.create_dataset("kernel:0", data=k, track_times=False)
        sub.create_dataset("bias:0", data=np.zeros(u, dtype=np.float32), track_times=False)
        fan_in = u


def keras_root(f, as_str, cfg):
    if as_str:
        f.attrs["keras_version"] = "2.11.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = cfg
        f.attrs["training_config"] = TRAINING
    else:
        f.attrs["keras_version"] = np.bytes_(b"2.11.0")
        f.attrs["backend"] = np.bytes_(b"tensorflow")
        f.attrs["model_config"] = np.bytes_(cfg.encode())
        f.attrs["training_config"] = np.bytes_(TRAINING.encode())


def keras2(path):
    with h5py.File(path, "w") as f:
        keras_root(f, False, model_config(LAYERS))
        weights(f, False)


def keras3_legacy(path):
    with h5py.File(path, "w") as f:
        keras_root(f, True, model_config(LAYERS))
        weights(f, True)


def latest(path):
    with new_latest(path) as f:
        keras_root(f, True, model_config(LAYERS))
        weights(f, False)
        f.attrs["epochs"] = np.int64(7)
        f.attrs["lr"] = np.float32(0.5)
        # a committed datatype, used by an attribute through a shared message
        f["label_t"] = h5py.string_dtype()
        f.attrs.create("label", "committed", dtype=f["label_t"])


def dense(path):
    """A 200 KB model_config forces dense attribute storage (fractal heap +
    v2 B-tree); 100 members force dense link storage; track_order adds the
    creation-order indexes."""
    with new_latest(path) as f:
        keras_root(f, True, model_config(LAYERS, pad=200_000))
        for i in range(12):
            f.attrs[f"extra_{i:02d}"] = f"value {i}"
        # a fixed-length value too large for a heap block: a "huge" heap object
        f.attrs["big_fixed"] = np.bytes_(b"0123456789abcdef" * 4500)
        many = mkgroup(f, "many")
        for i in range(100):
            mkgroup(many, f"member_{i:03d}")
        ordered = mkgroup(f, "ordered", track_order=True)
        for i in range(20):
            ordered.attrs[f"o{i:02d}"] = np.int32(i)
            mkgroup(ordered, f"child_{19 - i:02d}")


def userblock(path):
    with h5py.File(path, "w", userblock_size=512) as f:
        keras_root(f, False, model_config(LAYERS))
        f.create_dataset("x", data=np.arange(4, dtype=np.int32), track_times=False)
    with open(path, "r+b") as fh:
        fh.write(b"user block: not HDF5 data".ljust(512, b"\0"))


def links(path):
    with h5py.File(path, "w") as f:
        keras_root(f, False, model_config(LAYERS))
        f.create_dataset("ext", shape=(1024,), dtype=np.uint8, external=[("/etc/passwd", 0, 4096)],
                         track_times=False)
        f["remote"] = h5py.ExternalLink("/tmp/other.h5", "/x")
        f.create_group("g")
        f["g/alias"] = h5py.SoftLink("/ext")


def oldstyle(path):
    with h5py.File(path, "w") as f:
        keras_root(f, False, model_config(LAYERS))
        g = f.create_group("layers")
        for i in range(150):
            g.create_group(f"layer_{i:03d}")


def short(s):
    """Long values go in the sidecar as "sha256:<hex>:<length>" to keep it small."""
    if len(s) <= 1024:
        return s
    return "sha256:%s:%d" % (hashlib.sha256(s.encode()).hexdigest(), len(s.encode()))


def cycle(path):
    """A hard link back to the root: legal HDF5, and a loop for a naive walker."""
    with h5py.File(path, "w") as f:
        keras_root(f, False, model_config(LAYERS))
        g = f.create_group("g")
        g["up"] = f
        g["self"] = g


def decode(v):
    if isinstance(v, bytes):
        return [short(v.decode())]
    if isinstance(v, str):
        return [short(v)]
    if isinstance(v, np.ndarray) and v.dtype.kind in "SO":
        return [short(x.decode() if isinstance(x, bytes) else x) for x in v.tolist()]
    return None


def sidecar(path):
    exp = {"root_attrs": {}, "objects": [], "external": {}, "links": []}
    with h5py.File(path, "r") as f:
        for k in f.attrs:
            d = decode(f.attrs[k])
            if d is not None:
                exp["root_attrs"][k] = d

        def walk(g, prefix, seen):
            for name in g:
                lk = g.get(name, getlink=True)
                p = prefix + name
                if isinstance(lk, h5py.SoftLink):
                    exp["links"].append({"from": "/" + prefix.rstrip("/"), "name": name, "kind": "soft",
                                         "target": lk.path})
                    continue
                if isinstance(lk, h5py.ExternalLink):
                    exp["links"].append({"from": "/" + prefix.rstrip("/"), "name": name, "kind": "external",
                                         "target": f"{lk.filename}::{lk.path}"})
                    continue
                obj = g[name]
                if obj.id.__hash__() in seen:
                    continue
                seen.add(obj.id.__hash__())
                kind = "group" if isinstance(obj, h5py.Group) else "dataset"
                if isinstance(obj, h5py.Datatype):
                    kind = "datatype"
                exp["objects"].append({"path": "/" + p, "kind": kind,
                                       "attrs": sorted(obj.attrs.keys())})
                if kind == "dataset" and obj.external:
                    exp["external"]["/" + p] = [e[0] for e in obj.external]
                if kind == "group":
                    walk(obj, p + "/", seen)

        walk(f, "", {f.id.__hash__()})
    with open(path + ".json", "w") as fh:
        json.dump(exp, fh, indent=1, sort_keys=True)


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, fn in [("keras2.h5", keras2), ("keras3_legacy.h5", keras3_legacy), ("latest.h5", latest),
                     ("dense.h5", dense), ("userblock.h5", userblock), ("links.h5", links),
                     ("oldstyle.h5", oldstyle), ("cycle.h5", cycle)]:
        p = os.path.join(OUT, name)
        fn(p)
        sidecar(p)


if __name__ == "__main__":
    main()
