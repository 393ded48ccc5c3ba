#!/usr/bin/python3
"""Baseline for the side-by-side benchmarks: the opcode walk that Python
pickle scanners (picklescan, ModelScan) are built on.

It walks every opcode of each pickle with the standard library's
pickletools.genops and collects the GLOBAL, INST and STACK_GLOBAL names,
without ever unpickling. It does less than those scanners do (no verdicts,
no archives other than zip), so its speed is an upper bound for theirs.

usage: genops_baseline.py FILE...
"""
import pickletools
import sys
import time
import zipfile


def walk(stream):
    names, recent = set(), []
    for op, arg, _pos in pickletools.genops(stream):
        if op.name in ("GLOBAL", "INST"):
            names.add(arg.replace(" ", "."))
        elif op.name == "STACK_GLOBAL" and len(recent) >= 2:
            names.add(recent[-2] + "." + recent[-1])
        elif isinstance(arg, str):
            recent = (recent + [arg])[-2:]
        if op.name == "STOP":
            break
    return names


def scan(path):
    if zipfile.is_zipfile(path):
        names = set()
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if info.filename.endswith(".pkl"):
                    with z.open(info) as member:
                        names |= walk(member)
        return names
    with open(path, "rb") as f:
        return walk(f)


def main():
    for path in sys.argv[1:]:
        start = time.perf_counter()
        names = scan(path)
        took = time.perf_counter() - start
        print(f"{path}\t{len(names)} imports\t{took * 1000:.1f} ms")


if __name__ == "__main__":
    main()
