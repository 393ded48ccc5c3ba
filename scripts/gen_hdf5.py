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


# Evasion fixtures (testdata/evasion/): files whose headers hold attributes
# libhdf5 never reads, so a reader that takes them would see a different
# model_config than h5py/Keras. Their sidecars record what h5py reads.

MALICIOUS = json.dumps({"class_name": "Sequential", "config": {"name": "sequential", "layers": [
    {"class_name": "Dense", "config": {"name": "dense", "units": 2, "use_bias": True,
                                       "activation": {"module": "os", "class_name": "function",
                                                      "config": "system", "registered_name": None}}}]}})


def lookup3(data, initval=0):
    """Bob Jenkins' lookup3 hashlittle, the checksum of v2 metadata blocks."""
    def rot(x, k):
        return ((x << k) | (x >> (32 - k))) & 0xffffffff
    m = 0xffffffff
    length = len(data)
    a = b = c = (0xdeadbeef + length + initval) & m
    i = 0
    while length > 12:
        a = (a + int.from_bytes(data[i:i + 4], "little")) & m
        b = (b + int.from_bytes(data[i + 4:i + 8], "little")) & m
        c = (c + int.from_bytes(data[i + 8:i + 12], "little")) & m
        a = (a - c) & m; a ^= rot(c, 4); c = (c + b) & m
        b = (b - a) & m; b ^= rot(a, 6); a = (a + c) & m
        c = (c - b) & m; c ^= rot(b, 8); b = (b + a) & m
        a = (a - c) & m; a ^= rot(c, 16); c = (c + b) & m
        b = (b - a) & m; b ^= rot(a, 19); a = (a + c) & m
        c = (c - b) & m; c ^= rot(b, 4); b = (b + a) & m
        length -= 12
        i += 12
    if length == 0:
        return c
    tail = bytes(data[i:]) + b"\0" * (12 - length)
    a = (a + int.from_bytes(tail[0:4], "little")) & m
    b = (b + int.from_bytes(tail[4:8], "little")) & m
    c = (c + int.from_bytes(tail[8:12], "little")) & m
    c ^= b; c = (c - rot(b, 14)) & m
    a ^= c; a = (a - rot(c, 11)) & m
    b ^= a; b = (b - rot(a, 25)) & m
    c ^= b; c = (c - rot(b, 16)) & m
    a ^= c; a = (a - rot(c, 4)) & m
    b ^= a; b = (b - rot(a, 14)) & m
    c ^= b; c = (c - rot(b, 24)) & m
    return c


def ohdr_v2(buf, addr):
    """The messages (type, header offset, data offset, size) of the first
    chunk of the v2 object header at addr, the chunk end and the flags."""
    assert buf[addr:addr + 4] == b"OHDR"
    flags = buf[addr + 5]
    p = addr + 6 + (16 if flags & 0x20 else 0) + (4 if flags & 0x10 else 0)
    sz = 1 << (flags & 3)
    end = p + sz + int.from_bytes(buf[p:p + sz], "little")
    p += sz
    crt = 2 if flags & 4 else 0
    msgs = []
    while p < end - 3:
        t, s = buf[p], int.from_bytes(buf[p + 1:p + 3], "little")
        msgs.append((t, p, p + 4 + crt, s))
        p += 4 + crt + s
    return msgs, end, crt


def ohdr_v2_all(buf, addr):
    """The messages of every chunk of the v2 object header at addr."""
    msgs, _, crt = ohdr_v2(buf, addr)
    out, i = [], 0
    while i < len(msgs):
        m = msgs[i]
        i += 1
        out.append(m)
        if m[0] == 0x10:
            caddr = int.from_bytes(buf[m[2]:m[2] + 8], "little")
            clen = int.from_bytes(buf[m[2] + 8:m[2] + 16], "little")
            assert buf[caddr:caddr + 4] == b"OCHK"
            p = caddr + 4
            while p < caddr + clen - 4 - 3:
                t, s = buf[p], int.from_bytes(buf[p + 1:p + 3], "little")
                msgs.append((t, p, p + 4 + crt, s))
                p += 4 + crt + s
    return out


def root_v23(buf):
    assert buf[8] in (2, 3)
    return int.from_bytes(buf[36:44], "little")


def dense_shadow(path):
    """Root v2 header with dense attribute storage (model_config = MALICIOUS)
    and, before its Attribute Info message, a compact model_config (benign).
    libhdf5 reads only the dense one; a reader taking the first match in the
    header would see the benign one."""
    benign = model_config(LAYERS)
    tmp = path + ".tmp"
    with new_latest(tmp) as f:  # the template compact Attribute message
        f.attrs["model_config"] = np.bytes_(benign.encode())
    t = open(tmp, "rb").read()
    os.remove(tmp)
    msgs, _, _ = ohdr_v2(t, root_v23(t))
    _, _, dp, s = [m for m in msgs if m[0] == 0x0C][0]
    attr_data = t[dp:dp + s]

    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    fapl.set_libver_bounds(h5py.h5f.LIBVER_LATEST, h5py.h5f.LIBVER_LATEST)
    fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
    fcpl.set_obj_track_times(False)
    fcpl.set_attr_phase_change(0, 0)
    f = h5py.File(h5py.h5f.create(path.encode(), h5py.h5f.ACC_TRUNC, fcpl=fcpl, fapl=fapl))
    f.attrs["keras_version"] = np.bytes_(b"2.11.0")
    f.attrs["backend"] = np.bytes_(b"tensorflow")
    f.attrs["model_config"] = np.bytes_(MALICIOUS.encode())
    longname = "p" * (len(attr_data) + 40)  # its Link message makes room
    mkgroup(f, longname)
    mw = mkgroup(f, "model_weights")
    mw.attrs["layer_names"] = np.array([b"dense"])
    f.close()

    buf = bytearray(open(path, "rb").read())
    ra = root_v23(buf)
    msgs, end, crt = ohdr_v2(buf, ra)
    ai = [m for m in msgs if m[0] == 0x15][0]
    ainfo = bytes(buf[ai[2]:ai[2] + ai[3]])
    cont = [m for m in msgs if m[0] == 0x10][0]
    caddr = int.from_bytes(buf[cont[2]:cont[2] + 8], "little")
    clen = int.from_bytes(buf[cont[2] + 8:cont[2] + 16], "little")
    assert buf[caddr:caddr + 4] == b"OCHK"
    cend = caddr + clen - 4
    p, link = caddr + 4, None
    while p < cend - 3:
        t_, s = buf[p], int.from_bytes(buf[p + 1:p + 3], "little")
        if t_ == 0x06 and longname.encode() in bytes(buf[p + 4 + crt:p + 4 + crt + s]):
            link = (p, p + 4 + crt + s)
        p += 4 + crt + s

    def msg(typ, data):
        return bytes([typ]) + len(data).to_bytes(2, "little") + b"\0" + b"\0" * crt + data

    # the long-named group's Link message becomes: compact model_config,
    # the Attribute Info message, NIL padding; the chunk-0 Attribute Info
    # becomes a NIL message
    region = link[1] - link[0]
    new = msg(0x0C, attr_data) + msg(0x15, ainfo)
    new += msg(0x00, b"\0" * (region - len(new) - 4 - crt))
    assert len(new) == region
    buf[link[0]:link[1]] = new
    buf[ai[1]] = 0x00
    buf[ai[2]:ai[2] + ai[3]] = b"\0" * ai[3]
    buf[end:end + 4] = lookup3(bytes(buf[ra:end])).to_bytes(4, "little")
    buf[cend:cend + 4] = lookup3(bytes(buf[caddr:cend])).to_bytes(4, "little")
    open(path, "wb").write(buf)
    with h5py.File(path, "r") as f:
        assert f.attrs["model_config"].decode() == MALICIOUS, "h5py must read the dense model_config"


def v1_ainfo(path):
    """A v1 root header (compact model_config, benign) that also holds an
    Attribute Info message pointing at the dense storage of a v2 group
    (model_config = MALICIOUS). libhdf5 never reads Attribute Info in a v1
    header, so h5py sees the compact attributes only."""
    with h5py.File(path, "w") as f:
        keras_root(f, False, model_config(LAYERS))
        f.attrs["placeholder"] = np.bytes_(b"x" * 40)  # its message makes room
        gcpl = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
        gcpl.set_obj_track_times(False)
        gcpl.set_attr_creation_order(h5py.h5p.CRT_ORDER_TRACKED)  # forces a v2 header
        gcpl.set_attr_phase_change(0, 0)  # dense attributes from the first one
        h5py.h5g.create(f.id, b"dense_src", gcpl=gcpl)
        f["dense_src"].attrs["model_config"] = np.bytes_(MALICIOUS.encode())
    buf = bytearray(open(path, "rb").read())
    with h5py.File(path, "r") as f:
        g = h5py.h5o.get_info(f["dense_src"].id).addr
    ai = [m for m in ohdr_v2_all(buf, g) if m[0] == 0x15][0]
    ainfo = bytes(buf[ai[2]:ai[2] + ai[3]])
    at = bytes(buf).index(b"placeholder\0") - 16  # v1 message header + attribute header
    assert int.from_bytes(buf[at:at + 2], "little") == 0x0C
    size = int.from_bytes(buf[at + 2:at + 4], "little")
    assert size >= len(ainfo)
    buf[at:at + 2] = (0x15).to_bytes(2, "little")
    buf[at + 8:at + 8 + size] = ainfo + b"\0" * (size - len(ainfo))
    open(path, "wb").write(buf)
    with h5py.File(path, "r") as f:
        assert sorted(f.attrs.keys()) == ["backend", "keras_version", "model_config", "training_config"]
        assert f.attrs["model_config"].decode() != MALICIOUS


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, fn in [("keras2.h5", keras2), ("keras3_legacy.h5", keras3_legacy), ("latest.h5", latest),
                     ("dense.h5", dense), ("userblock.h5", userblock), ("links.h5", links),
                     ("oldstyle.h5", oldstyle), ("cycle.h5", cycle)]:
        p = os.path.join(OUT, name)
        fn(p)
        sidecar(p)
    os.makedirs(os.path.join(OUT, "evasion"), exist_ok=True)
    for name, fn in [("dense_shadow.h5", dense_shadow), ("v1_ainfo.h5", v1_ainfo)]:
        p = os.path.join(OUT, "evasion", name)
        fn(p)
        sidecar(p)


if __name__ == "__main__":
    main()
