#!/usr/bin/python3
"""Regenerate the bzip2 (method 12) and LZMA (method 14) zip fixtures.

    cd scan/zipx/testdata && /usr/bin/python3 gen_methods.py

Every archive is written with Python's zipfile, as Keras, joblib and NumPy
users write them, and read back with zipfile; the length and SHA-256 of
each member as zipfile returns it go into methods/manifest.json, which the
Go tests compare with what scan/zipx returns.
"""

import hashlib
import io
import json
import os
import pickle
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "methods")

TEXT = b"modelward bzip2 and LZMA zip members\n" * 500
COUNTING = bytes((i * 7 + i // 251) % 256 for i in range(200_000))
PICKLE = pickle.dumps({"name": "modelward fixture", "weights": list(range(300))}, protocol=2)
MEMBERS = [
    ("text.txt", TEXT),
    ("counting.bin", COUNTING),
    ("data.pkl", PICKLE),
    ("empty", b""),
]
# 32 MiB of zeros: about 1:200000 with bzip2 and 1:7000 with LZMA, past
# the default MaxRatio of 2000.
BOMB = b"\0" * (32 << 20)


class Unseekable(io.RawIOBase):
    """A write-only stream: zipfile then writes data descriptors."""

    def __init__(self):
        self.buf = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.buf += b
        return len(b)


def write(name, members, method, stream=False):
    """Writes members to methods/name. method is a compress_type, or a dict
    of them by member name; stream writes to an unseekable sink, so that
    every member gets a data descriptor."""
    if not isinstance(method, dict):
        method = {n: method for n, _ in members}
    sink = Unseekable() if stream else io.BytesIO()
    with zipfile.ZipFile(sink, "w") as z:
        for n, data in members:
            info = zipfile.ZipInfo(n)
            info.compress_type = method[n]
            with z.open(info, "w") as f:
                f.write(data)
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(sink.buf if stream else sink.getvalue())
    return path


def manifest_entry(path):
    out = {}
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            data = z.read(info)
            out[info.filename] = {
                "method": info.compress_type,
                "flags": info.flag_bits,
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    manifest = {}
    benign = {
        "bzip2.zip": (MEMBERS, zipfile.ZIP_BZIP2, False),
        "lzma.zip": (MEMBERS, zipfile.ZIP_LZMA, False),
        "mixed.zip": (MEMBERS, {"text.txt": zipfile.ZIP_STORED, "counting.bin": zipfile.ZIP_DEFLATED,
                                "data.pkl": zipfile.ZIP_BZIP2, "empty": zipfile.ZIP_LZMA}, False),
        "bzip2_stream.zip": (MEMBERS, zipfile.ZIP_BZIP2, True),
        "lzma_stream.zip": (MEMBERS, zipfile.ZIP_LZMA, True),
    }
    for name, (members, method, stream) in benign.items():
        manifest[name] = manifest_entry(write(name, members, method, stream))
    for name, method in (("bzip2_bomb.zip", zipfile.ZIP_BZIP2), ("lzma_bomb.zip", zipfile.ZIP_LZMA)):
        manifest[name] = manifest_entry(write(name, [("zeros.bin", BOMB)], method))
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
