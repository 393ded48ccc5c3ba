#!/usr/bin/python3
"""Write the generated part of modelward's default allowlist.

For each library below, import every module of the listed packages and
record each class *defined* there (its __module__ is that module) as
"module:qualname", exactly what the pickler writes for an instance. Also the
public functions of sklearn.metrics (scorers store them) and numpy's ufuncs
(FunctionTransformer stores them), in numpy.txt. Classes
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


# Functions of sklearn.metrics._scorer that fitted estimators store: the
# default scorer of GridSearchCV (scoring=None) and the likelihood-ratio
# scores that named scorers wrap. _cached_call is left out on purpose: it
# calls getattr(estimator, method)(*args), a method-call gadget.
SCORER_HELPERS = ["_passthrough_scorer", "negative_likelihood_ratio", "positive_likelihood_ratio"]


def defined_function(fn):
    return f"{fn.__module__}:{fn.__qualname__}"


def sklearn_metric_functions():
    """Every public function of sklearn.metrics (and of sklearn.metrics.pairwise
    and sklearn.metrics.cluster), as the pickler names it: by the private
    module that defines it (sklearn.metrics._classification:accuracy_score).
    GridSearchCV(scoring="roc_auc"), make_scorer(f) and FunctionTransformer
    store them; they compute on arrays and neither read files nor run code."""
    names = set()
    for modname in ("sklearn.metrics", "sklearn.metrics.pairwise", "sklearn.metrics.cluster"):
        mod = importlib.import_module(modname)
        public = getattr(mod, "__all__", None) or [n for n in dir(mod) if not n.startswith("_")]
        for n in public:
            fn = getattr(mod, n, None)
            if inspect.isfunction(fn) and fn.__module__.startswith("sklearn.metrics") and "<locals>" not in fn.__qualname__:
                names.add(defined_function(fn))
    scorer = importlib.import_module("sklearn.metrics._scorer")
    for n in SCORER_HELPERS:
        fn = getattr(scorer, n, None)
        if inspect.isfunction(fn):
            names.add(defined_function(fn))
    return names


def numpy_ufuncs():
    """Every numpy ufunc (np.log1p, np.expm1, np.add ...), which
    FunctionTransformer(func=np.log1p) and TransformedTargetRegressor store.
    A ufunc pickles as its __name__ in the module that pickle's whichmodule
    finds: numpy.core._multiarray_umath in numpy 1 (numpy._core in numpy 2;
    numpy.core.umath in old releases), and numpy.<name> is the same object.
    Ufuncs only: they compute elementwise on arrays. numpy functions that load
    or save files or evaluate (numpy.load, numpy.save*, fromfile, loadtxt,
    genfromtxt, memmap ...) are plain functions or classes, never ufuncs."""
    import numpy as np
    names = set()
    for n in dir(np):
        uf = getattr(np, n, None)
        if not isinstance(uf, np.ufunc):
            continue
        for name in {n, uf.__name__}:
            names.add(f"numpy:{name}")
        for mod in ("numpy.core._multiarray_umath", "numpy._core._multiarray_umath", "numpy.core.umath", "numpy._core.umath"):
            names.add(f"{mod}:{uf.__name__}")
    return names


def write(path, header, names):
    with open(path, "w") as f:
        f.write(header + "\n")
        for n in sorted(names):
            f.write(n + "\n")


def main(outdir):
    for lib, prefixes in PACKAGES.items():
        version = importlib.import_module(lib).__version__
        names = set()
        for prefix in prefixes:
            for mod in modules(prefix):
                names.update(n for n in classes(mod) if "<locals>" not in n)
        header = f"# Classes defined in {lib} {version}, written by scripts/gen_allowlist.py."
        if lib == "sklearn":
            funcs = sklearn_metric_functions()
            names |= funcs
            header += f"\n# Also the {len(funcs)} public functions of sklearn.metrics and its scorer helpers."
        path = f"{outdir}/{lib}.txt"
        write(path, header, names)
        print(f"{path}: {len(names)} names from {lib} {version}")
    import numpy as np
    names = numpy_ufuncs()
    path = f"{outdir}/numpy.txt"
    write(path, f"# The ufuncs of numpy {np.__version__} under the names pickle writes, by scripts/gen_allowlist.py.", names)
    print(f"{path}: {len(names)} ufunc names from numpy {np.__version__}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "policy/allowlist")
