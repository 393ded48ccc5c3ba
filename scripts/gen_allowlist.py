#!/usr/bin/python3
"""Write the generated part of modelward's default allowlist.

For each library below, import every module of the listed packages and
record each class *defined* there (its __module__ is that module) as
"module:qualname", exactly what the pickler writes for an instance. Classes
that a module merely re-exports (gzip.GzipFile inside an sklearn module,
say) are left out on purpose: a pattern such as "sklearn.**:[A-Z]*" would
let a pickle reach them through the re-exporting module.

Run with Debian's packages (python3-torch, python3-sklearn):
    /usr/bin/python3 scripts/gen_allowlist.py policy/allowlist
"""
import importlib
import inspect
import pkgutil
import sys
import warnings

# package prefix -> output file; tests and private test helpers are skipped.
PACKAGES = {
    "sklearn": ["sklearn"],
    "torch": ["torch.nn.modules", "torch.nn.parameter", "torch.nn.utils.parametrize", "torch.nn.quantized", "torch.nn.intrinsic",
              "torch.nn.qat", "torch.ao.nn", "torch.ao.quantization", "torch.optim",
              "torch.distributions"],
}
SKIP = ("tests", "test_", "_testing", "conftest", "externals", "_build_utils", "__main__", "benchmarks")


def modules(prefix):
    root = importlib.import_module(prefix)
    yield root
    if not hasattr(root, "__path__"):
        return
    for info in pkgutil.walk_packages(root.__path__, prefix + "."):
        if any(part.startswith(SKIP) for part in info.name.split(".")):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yield importlib.import_module(info.name)
        except Exception as err:  # optional dependencies missing
            print(f"skip {info.name}: {err.__class__.__name__}", file=sys.stderr)


def classes(mod):
    seen = set()
    stack = [(mod.__name__, obj) for _, obj in inspect.getmembers(mod, inspect.isclass)]
    while stack:
        modname, cls = stack.pop()
        if cls.__module__ != modname or id(cls) in seen:
            continue
        seen.add(id(cls))
        yield f"{cls.__module__}:{cls.__qualname__}"
        for _, inner in inspect.getmembers(cls, inspect.isclass):
            if inner.__qualname__.startswith(cls.__qualname__ + "."):
                stack.append((modname, inner))


def main(outdir):
    for lib, prefixes in PACKAGES.items():
        version = importlib.import_module(lib).__version__
        names = set()
        for prefix in prefixes:
            for mod in modules(prefix):
                names.update(n for n in classes(mod) if "<locals>" not in n)
        path = f"{outdir}/{lib}.txt"
        with open(path, "w") as f:
            f.write(f"# Classes defined in {lib} {version}, written by scripts/gen_allowlist.py.\n")
            for n in sorted(names):
                f.write(n + "\n")
        print(f"{path}: {len(names)} classes from {lib} {version}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "policy/allowlist")
