#!/usr/bin/python3
"""Regenerate the scan/compress test fixtures.

Run with Debian's interpreter so that joblib, numpy and lz4 are importable:

    cd scan/compress/testdata && /usr/bin/python3 gen.py

Every fixture is decoded again here with the reader joblib itself uses
(joblib.compressor, joblib.numpy_pickle_compat.read_zfile), and the
SHA-256 and length of that output go into manifest.json. The Go tests
check that scan/compress produces byte-for-byte the same output, so the
manifest encodes joblib's view of each file, including how it treats
concatenated streams and trailing bytes.
"""

import bz2
import gzip
import hashlib
import io
import json
import lzma
import os
import pickle
import zlib

import joblib
import joblib.compressor as jc
import joblib.numpy_pickle_compat as compat
import lz4.frame
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

# A protocol 2 pickle, as joblib or plain pickle would write it.
PAYLOAD = pickle.dumps(
    {"name": "modelward fixture", "weights": list(range(300)), "ok": True},
    protocol=2,
)
SECOND = pickle.dumps(["second stream", 42], protocol=2)


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def joblib_read(method, path):
    """Decode path exactly as joblib.load would before unpickling."""
    with open(path, "rb") as f:
        if method == "gzip-stdlib":
            return gzip.decompress(f.read())
        if method == "zf-zlib":
            return compat.read_zfile(f)
        wrapper = jc._COMPRESSORS[method]
        inner = wrapper.decompressor_file(f)
        # Read in blocks as joblib's unpickler does: joblib's zlib reader
        # fails with MemoryError on a single read-everything call.
        parts = []
        try:
            while True:
                block = inner.read(1 << 16)
                if not block:
                    return b"".join(parts)
                parts.append(block)
        finally:
            inner.close()


def zf(data):
    buf = io.BytesIO()
    compat.write_zfile(buf, data)
    return buf.getvalue()


def alone(data):
    return lzma.compress(data, format=lzma.FORMAT_ALONE)


def fixtures():
    """name -> (method, bytes)."""
    lz4_one = lz4.frame.compress(PAYLOAD)
    return {
        "payload.zlib": ("zlib", zlib.compress(PAYLOAD, 6)),
        "payload.gz": ("gzip", gzip.compress(PAYLOAD, mtime=0)),
        "payload.bz2": ("bz2", bz2.compress(PAYLOAD)),
        "payload.xz": ("xz", lzma.compress(PAYLOAD, format=lzma.FORMAT_XZ)),
        "payload.lzma": ("lzma", alone(PAYLOAD)),
        "payload.lz4": ("lz4", lz4_one),
        "payload.zf": ("zf-zlib", zf(PAYLOAD)),
        # Concatenated streams: joblib's readers continue into the next
        # stream, so a payload can hide there; the Go reader must too.
        # joblib reads gzip with zlib (one member; a second one makes it
        # loop until MemoryError), but gzip.open reads every member, and a
        # scanner must see what any loader could: this one is checked
        # against Python's gzip module.
        "multi.gz": ("gzip-stdlib", gzip.compress(PAYLOAD, mtime=0) + gzip.compress(SECOND, mtime=0)),
        "multi.bz2": ("bz2", bz2.compress(PAYLOAD) + bz2.compress(SECOND)),
        "multi.xz": ("xz", lzma.compress(PAYLOAD) + lzma.compress(SECOND)),
        "multi.lzma": ("lzma", alone(PAYLOAD) + alone(SECOND)),
        "multi.lz4": ("lz4", lz4_one + lz4.frame.compress(SECOND)),
        # Bytes after the stream that are not a stream: joblib ignores them.
        # (Not for zlib: joblib's zlib reader loops on trailing bytes until
        # it runs out of memory, so no such file can be loaded.)
        "trailing.lzma": ("lzma", alone(PAYLOAD) + b"\xff not a stream"),
    }


def joblib_dumps():
    obj = {"array": np.arange(12, dtype=np.int32).reshape(3, 4), "label": "fixture"}
    out = {}
    for method in ("zlib", "gzip", "bz2", "xz", "lzma", "lz4"):
        name = "dump_%s.joblib" % method
        joblib.dump(obj, os.path.join(HERE, name), compress=(method, 3))
        out[name] = method
    return out


def main():
    manifest = {}
    for name, (method, data) in fixtures().items():
        write(name, data)
        manifest[name] = method
    write("payload.pkl", PAYLOAD)
    manifest.update(joblib_dumps())
    entries = {}
    for name, method in sorted(manifest.items()):
        plain = joblib_read(method, os.path.join(HERE, name))
        entries[name] = {
            "method": method.replace("-stdlib", ""),
            "size": len(plain),
            "sha256": hashlib.sha256(plain).hexdigest(),
        }
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(entries, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
