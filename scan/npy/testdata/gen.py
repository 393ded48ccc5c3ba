#!/usr/bin/python3
"""Regenerate the scan/npy test fixtures with Debian's numpy.

    cd scan/npy/testdata && /usr/bin/python3 gen.py

Each fixture is written by numpy itself (numpy.save, numpy.savez or
numpy.lib.format.write_array), so the Go tests parse headers exactly as
numpy lays them out. expected.json records what numpy says about each
array (descr, shape, order, header version, data offset, item size), for
the Go tests to compare against.
"""

import json
import os

import numpy as np
from numpy.lib import format as npformat

HERE = os.path.dirname(os.path.abspath(__file__))


def arrays():
    """name -> (array, version or None for numpy's choice)."""
    structured = np.zeros(
        3, dtype=[("id", "<i4"), ("payload", "O"), ("score", "<f8", (2,))]
    )
    structured["payload"] = ["a", None, 3]
    nested = np.dtype([("pos", [("x", "<f4"), ("y", "<f4")]), ("tag", "S3")])
    objects = np.empty(5, dtype=object)
    objects[:] = [1, "two", None, [3, [4, 5]], -6]
    return {
        "float32_2d.npy": (np.arange(12, dtype=np.float32).reshape(3, 4), None),
        "fortran.npy": (np.asfortranarray(np.arange(6, dtype=">i2").reshape(2, 3)), None),
        "int64_scalar.npy": (np.array(7, dtype=np.int64), None),
        "bool.npy": (np.array([True, False, True]), None),
        "unicode.npy": (np.array(["modelward", "npy", "\u00e9t\u00e9"]), None),
        "structured_object.npy": (structured, None),
        "nested_struct.npy": (np.zeros(2, dtype=nested), None),
        "object_values.npy": (objects, None),
        "version2.npy": (np.arange(4, dtype="<u8"), (2, 0)),
        # A non-latin-1 field name makes numpy pick format 3.0 (utf-8).
        "version3.npy": (np.zeros(1, dtype=[("\u540d\u524d", "<i2")]), None),
        "empty.npy": (np.zeros((0, 3), dtype="<c16"), None),
        "datetime.npy": (np.array(["2024-01-02"], dtype="datetime64[D]"), None),
    }


def write(name, arr, version):
    path = os.path.join(HERE, name)
    with open(path, "wb") as f:
        npformat.write_array(f, arr, version=version, allow_pickle=True)
    with open(path, "rb") as f:
        major, minor = npformat.read_magic(f)
        # numpy's own header reader leaves f at the first data byte.
        npformat._read_array_header(f, (major, minor))
        offset = f.tell()
    item = -1 if arr.dtype.hasobject else arr.dtype.itemsize
    descr = npformat.dtype_to_descr(arr.dtype)
    return {
        "version": [major, minor],
        "descr": descr if isinstance(descr, str) else repr(descr),
        "structured": arr.dtype.names is not None,
        "has_object": bool(arr.dtype.hasobject),
        "fortran_order": bool(arr.flags.f_contiguous and not arr.flags.c_contiguous),
        "shape": list(arr.shape),
        "data_offset": offset,
        "item_size": item,
    }


def main():
    expected = {}
    for name, (arr, version) in arrays().items():
        expected[name] = write(name, arr, version)
    np.savez(os.path.join(HERE, "pair.npz"), a=np.arange(3), b=np.array([{"k": 1}], dtype=object))
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True, ensure_ascii=True)
        f.write("\n")


if __name__ == "__main__":
    main()
