#!/usr/bin/python3
"""Write safetensors fixtures exactly to the published format (an 8-byte
little-endian header length, a JSON header, the tensor bytes), with the
standard library only: the safetensors package is not available here.

    /usr/bin/python3 scripts/gen_safetensors.py scan/safetensors/testdata
"""
import json
import os
import struct
import sys

SIZES = {"F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def build(tensors, metadata=None, pad=0, header_override=None, data_extra=b"", offsets=None, data_len=None):
    """tensors: list of (name, dtype, shape). Offsets tile the buffer in order
    unless given explicitly."""
    header, data, pos = {}, b"", 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for i, (name, dtype, shape) in enumerate(tensors):
        n = numel(shape) * SIZES[dtype]
        span = offsets[i] if offsets else [pos, pos + n]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": span}
        data += bytes((pos + k) % 251 for k in range(n))
        pos += n
    text = header_override if header_override is not None else json.dumps(header, separators=(",", ":")).encode()
    text += b" " * pad
    if data_len is not None:
        data = data[:data_len]
    return struct.pack("<Q", len(text)) + text + data + data_extra


FIXTURES = {
    # benign: written exactly as the format describes
    "benign/two_tensors.safetensors": build([("embed.weight", "F32", [4, 3]), ("embed.bias", "F32", [3])], {"format": "pt"}),
    "benign/many_dtypes.safetensors": build([(f"t.{d}", d, [2, 2]) for d in sorted(SIZES)]),
    "benign/empty_and_scalar.safetensors": build([("empty", "F32", [0]), ("scalar", "I64", []), ("v", "BF16", [5])]),
    "benign/padded_header.safetensors": build([("w", "F16", [8])], {"format": "pt", "license": "apache-2.0"}, pad=5),
    "benign/no_tensors.safetensors": build([], {"note": "metadata only"}),
    # malicious: headers that lie, or carry templates
    "malicious/overlapping_spans.safetensors": build([("a", "F32", [4]), ("b", "F32", [4])], offsets=[[0, 16], [8, 24]], data_extra=b""),
    "malicious/span_past_end.safetensors": build([("a", "F32", [4]), ("b", "F32", [1000])], offsets=[[0, 16], [16, 4016]], data_len=16),
    "malicious/gap_between_tensors.safetensors": build([("a", "F32", [2]), ("b", "F32", [2])], offsets=[[0, 8], [12, 20]], data_extra=b"\x00" * 4),
    "malicious/shape_mismatch.safetensors": build([("a", "F32", [2, 2]), ("b", "F32", [1])], offsets=[[0, 4], [4, 8]]),
    "malicious/duplicate_name.safetensors": build([], header_override=b'{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', data_extra=b"\x01"),
    "malicious/metadata_template.safetensors": build([("w", "F32", [2])], {"format": "pt", "description": "{{ cycler.__init__.__globals__.os.popen('id').read() }}"}),
    "malicious/invalid_json.safetensors": build([], header_override=b'{"a":{"dtype":"F32",', data_extra=b""),
    "malicious/header_past_end.safetensors": struct.pack("<Q", 4096) + b'{"a":1}',
}


def main(out):
    for rel, data in FIXTURES.items():
        path = os.path.join(out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        print(f"{path}\t{len(data)} bytes")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "scan/safetensors/testdata")
