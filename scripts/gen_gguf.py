#!/usr/bin/python3
"""Write GGUF fixtures exactly to the GGUF specification (ggml-org/ggml
docs/gguf.md) with the standard library only: the gguf package is not
available here. Output is deterministic (fixed data, no timestamps).

    /usr/bin/python3 scripts/gen_gguf.py scan/gguf/testdata
"""
import os
import struct
import sys

# metadata value types
U8, I8, U16, I16, U32, I32, F32, BOOL, STR, ARR, U64, I64, F64 = range(13)
SCALAR = {U8: "B", I8: "b", U16: "H", I16: "h", U32: "I", I32: "i", F32: "f", BOOL: "?", U64: "Q", I64: "q", F64: "d"}
# ggml types: (id, block size, type size)
GGML = {"F32": (0, 1, 4), "F16": (1, 1, 2), "Q8_0": (8, 32, 34), "Q4_K": (12, 256, 144), "BF16": (30, 1, 2)}

LLAMA3_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}"
    "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"
)
CVE_TEMPLATE = (
    "{% for x in ().__class__.__base__.__subclasses__() %}{% if \"warning\" in x.__name__ %}"
    "{{x()._module.__builtins__['__import__']('os').popen(\"touch /tmp/retr0reg\")}}{%endif%}{% endfor %}"
)


class W:
    def __init__(self, version=3, endian="<"):
        self.v, self.e = version, endian
        self.lenfmt = "I" if version == 1 else "Q"

    def p(self, fmt, *a):
        return struct.pack(self.e + fmt, *a)

    def s(self, text):
        b = text if isinstance(text, bytes) else text.encode()
        return self.p(self.lenfmt, len(b)) + b

    def value(self, typ, v):
        if typ == STR:
            return self.s(v)
        if typ == ARR:
            et, items = v
            out = self.p("I", et) + self.p(self.lenfmt, len(items))
            return out + b"".join(self.value(et, x) for x in items)
        return self.p(SCALAR[typ], v)

    def kv(self, key, typ, v):
        return self.s(key) + self.p("I", typ) + self.value(typ, v)

    def tinfo(self, name, dims, typ, offset):
        dimfmt = "I" if self.v == 1 else "Q"
        out = self.s(name) + self.p("I", len(dims))
        out += b"".join(self.p(dimfmt, d) for d in dims)
        return out + self.p("I", typ) + self.p("Q", offset)


def nbytes(typ, dims):
    _, block, size = GGML[typ]
    n = 1
    for d in dims:
        n *= d
    return n // block * size


def natural(tensors, align=32):
    """The offsets a writer lays out: each tensor after the previous, aligned."""
    offs, pos = [], 0
    for _, typ, dims in tensors:
        offs.append(pos)
        pos += nbytes(typ, dims)
        pos += (-pos) % align
    return offs


def build(kvs, tensors, version=3, endian="<", align=32, counts=None, offsets=None, types=None, raw_tail=b"", pad=True, skip_data=()):
    """kvs: list of (key, type, value); tensors: list of (name, ggml type, dims).
    Offsets are laid out aligned in order unless given; counts overrides the
    header counts; types overrides ggml type ids."""
    w = W(version, endian)
    cnt = counts or (len(tensors), len(kvs))
    head = b"GGUF" + w.p("I", version) + w.p(w.lenfmt, cnt[0]) + w.p(w.lenfmt, cnt[1])
    body = b"".join(w.kv(*kv) for kv in kvs)
    infos, data, pos = b"", b"", 0
    for i, (name, typ, dims) in enumerate(tensors):
        n = nbytes(typ, dims)
        off = offsets[i] if offsets else pos
        tid = types[i] if types else GGML[typ][0]
        infos += w.tinfo(name, dims, tid, off)
        chunk = bytes((off + k) * 7 % 251 for k in range(n))
        if i not in skip_data and off >= len(data):
            data = data.ljust(off, b"\0") + chunk
        pos = off + n
        pos += (-pos) % align
    out = head + body + infos
    if pad:
        out += b"\0" * ((-len(out)) % align)
    return out + data + raw_tail


def llama_kvs(template=LLAMA3_TEMPLATE, align=None, extra=()):
    kvs = [
        ("general.architecture", STR, "llama"),
        ("general.name", STR, "modelward-tiny-llama"),
        ("llama.context_length", U32, 128),
        ("llama.embedding_length", U32, 256),
        ("llama.block_count", U32, 1),
        ("llama.attention.head_count", U32, 4),
        ("llama.attention.layer_norm_rms_epsilon", F32, 1e-5),
        ("general.quantization_version", U32, 2),
        ("tokenizer.ggml.model", STR, "gpt2"),
        ("tokenizer.ggml.tokens", ARR, (STR, ["<|begin_of_text|>", "<|eot_id|>", "MZ", "#!/", "hello", "\u0120world", "__init__", "system"])),
        ("tokenizer.ggml.scores", ARR, (F32, [0.0] * 8)),
        ("tokenizer.ggml.token_type", ARR, (I32, [3, 3, 1, 1, 1, 1, 1, 1])),
        ("tokenizer.ggml.bos_token_id", U32, 0),
        ("tokenizer.ggml.add_bos_token", BOOL, True),
        ("tokenizer.chat_template", STR, template),
    ]
    if align is not None:
        kvs.append(("general.alignment", U32, align))
    return kvs + list(extra)


LLAMA_TENSORS = [
    ("token_embd.weight", "Q8_0", [256, 8]),
    ("blk.0.attn_norm.weight", "F32", [256]),
    ("blk.0.attn_q.weight", "Q4_K", [256, 4]),
    ("blk.0.ffn_down.weight", "F16", [64, 4]),
    ("output_norm.weight", "F32", [256]),
]

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + struct.pack("<HHI", 2, 62, 1) + b"\x00" * 40


def fixtures():
    f = {}
    f["benign/llama_v3_align32.gguf"] = build(llama_kvs(), LLAMA_TENSORS)
    f["benign/llama_v3_align64.gguf"] = build(llama_kvs(align=64), LLAMA_TENSORS, align=64)
    f["benign/llama_v2.gguf"] = build(llama_kvs(), LLAMA_TENSORS, version=2)
    f["benign/llama_v1.gguf"] = build(llama_kvs(), LLAMA_TENSORS, version=1)
    f["benign/llama_v3_bigendian.gguf"] = build(llama_kvs(), LLAMA_TENSORS, endian=">")
    f["benign/named_templates.gguf"] = build(llama_kvs(extra=[
        ("tokenizer.chat_template.tool_use", STR, "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}{% endfor %}"),
        ("general.tags", ARR, (STR, ["text-generation", "llama"])),
        ("general.nested", ARR, (ARR, [(U8, [1, 2]), (STR, ["a"])])),
        ("general.description", STR, "Operating system: the os module and system() are mentioned here."),
    ]), [("t.bf16", "BF16", [16, 2])])
    f["benign/no_tensors.gguf"] = build([("general.architecture", STR, "llama")], [])

    f["malicious/chat_template_cve_2024_34359.gguf"] = build(llama_kvs(template=CVE_TEMPLATE), LLAMA_TENSORS)
    f["malicious/named_template_escape.gguf"] = build(llama_kvs(extra=[
        ("tokenizer.chat_template.rag", STR, "{{ lipsum|attr('__glo' ~ 'bals__') }}")]), LLAMA_TENSORS)
    f["malicious/description_template.gguf"] = build(llama_kvs(extra=[
        ("general.description", STR, "Nice model {{ cycler.__init__.__globals__.os.popen('id').read() }}")]), LLAMA_TENSORS)
    nat = natural(LLAMA_TENSORS)
    f["malicious/tensor_past_end.gguf"] = build(llama_kvs(), LLAMA_TENSORS, offsets=nat[:4] + [1 << 20], skip_data={4})
    f["malicious/overlapping_tensors.gguf"] = build(llama_kvs(), LLAMA_TENSORS, offsets=[0, 1024] + nat[2:])
    f["malicious/huge_tensor_count.gguf"] = build(llama_kvs(), LLAMA_TENSORS, counts=(1 << 60, len(llama_kvs())))
    f["malicious/huge_kv_count.gguf"] = build(llama_kvs(), LLAMA_TENSORS, counts=(len(LLAMA_TENSORS), 1 << 62))
    w = W()
    huge_str = b"GGUF" + w.p("I", 3) + w.p("Q", 0) + w.p("Q", 1) + w.s("general.name")[:0] + \
        w.p("Q", 12) + b"general.name" + w.p("I", STR) + w.p("Q", 1 << 40) + b"short"
    f["malicious/huge_string_length.gguf"] = huge_str
    f["malicious/unaligned_offset.gguf"] = build(llama_kvs(), LLAMA_TENSORS, offsets=nat[:4] + [nat[4] + 4], raw_tail=b"\0" * 64)
    nested = (U8, [1])
    for _ in range(12):
        nested = (ARR, [nested])
    f["malicious/nested_array_bomb.gguf"] = build([("general.architecture", STR, "llama"), ("bomb", ARR, nested)], [])
    f["malicious/array_count_bomb.gguf"] = build([("general.architecture", STR, "llama")], []) [:0] + \
        b"GGUF" + w.p("I", 3) + w.p("Q", 0) + w.p("Q", 1) + w.s("bomb") + w.p("I", ARR) + w.p("I", STR) + w.p("Q", 1 << 61)
    f["malicious/unknown_type.gguf"] = build(llama_kvs(), LLAMA_TENSORS, types=[8, 0, 12, 1, 200])
    dup = list(LLAMA_TENSORS)
    dup[4] = ("blk.0.attn_norm.weight", "F32", [256])
    f["malicious/duplicate_tensor_names.gguf"] = build(llama_kvs(), dup)
    f["malicious/elf_in_metadata.gguf"] = build(llama_kvs(extra=[("general.payload", STR, ELF)]), LLAMA_TENSORS)
    f["malicious/elf_in_token_array.gguf"] = build(llama_kvs(extra=[("tokenizer.ggml.added_tokens", ARR, (STR, ["ok", ELF]))]), LLAMA_TENSORS)
    f["malicious/bad_alignment.gguf"] = build(llama_kvs(align=48), LLAMA_TENSORS)
    f["malicious/truncated.gguf"] = build(llama_kvs(), LLAMA_TENSORS)[:700]
    f["malicious/bad_version.gguf"] = b"GGUF" + struct.pack("<I", 99) + b"\0" * 16
    return f


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "scan/gguf/testdata"
    for rel, data in sorted(fixtures().items()):
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
        print(f"{rel}: {len(data)} bytes")


if __name__ == "__main__":
    main()
