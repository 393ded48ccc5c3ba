#!/usr/bin/python3
"""Writes shapiro.json: reference Shapiro-Wilk W and p-values for the Go tests.

scipy.stats.shapiro implements Royston's AS R94, the algorithm ShapiroWilk
follows. Run from this directory with Debian's python3-scipy:

    /usr/bin/python3 gen_shapiro.py

The Go tests read only the committed JSON, so they never need Python.

scipy 1.10 (Debian bookworm) runs swilk in single precision, so its W carries
errors up to about 1e-5 for large or tied samples, and p inherits them where
it is steep in W. Each case therefore also records w64: the squared
correlation between the sorted sample and scipy's own AS R94 coefficients,
computed in double precision. The Go test checks W against w64 to 1e-6 and
the p-value transformation at scipy's W against scipy's p to 1e-4.
"""
import json

import numpy as np
import scipy
from scipy import stats
from scipy.stats import _statlib

SIZES = [3, 4, 5, 6, 7, 10, 11, 12, 13, 20, 25, 50, 99, 100, 200, 500, 1000, 5000]


def samples(rng):
    """Yields (name, values) for several distributions and every size."""
    for n in SIZES:
        yield f"normal-{n}", rng.normal(10.0, 3.0, n)
        yield f"uniform-{n}", rng.uniform(-1.0, 1.0, n)
        if n <= 1000:
            yield f"exponential-{n}", rng.exponential(2.0, n)
            yield f"cauchy-{n}", rng.standard_cauchy(n)
            yield f"student3-{n}", rng.standard_t(3, n)
            # Ties: rounding to a coarse grid leaves many equal values.
            yield f"ties-{n}", np.round(rng.normal(0.0, 1.0, n) * 2) / 2
    # Large offset relative to spread: tests the range scaling.
    yield "offset-30", 1e6 + rng.normal(0.0, 1e-3, 30)
    yield "bimodal-200", np.concatenate([rng.normal(-3, 1, 100), rng.normal(3, 1, 100)])
    yield "lognormal-300", rng.lognormal(0.0, 1.0, 300)
    yield "n3-collinear", np.array([1.0, 2.0, 3.0])
    yield "n3-skewed", np.array([0.0, 0.001, 1.0])


def w_double(x):
    """W in double precision from scipy's AS R94 coefficients."""
    n = len(x)
    y = np.sort(np.asarray(x, dtype=np.float64))
    a_half, _, _, _ = _statlib.swilk(y - np.median(y), np.zeros(n // 2, "f"), 0)
    a = np.zeros(n)
    a[: n // 2] = -np.asarray(a_half, dtype=np.float64)
    a[n - n // 2 :] = np.asarray(a_half, dtype=np.float64)[::-1]
    r = np.corrcoef(a, y)[0, 1]
    return float(r * r)


def main():
    rng = np.random.default_rng(20260526)
    cases = []
    for name, x in samples(rng):
        x = [float(v) for v in x]
        if np.ptp(x) == 0:
            continue
        res = stats.shapiro(x)
        cases.append({"name": name, "x": x, "w": float(res.statistic), "p": float(res.pvalue),
                      "w64": w_double(x)})
    out = {"generator": f"scipy {scipy.__version__} scipy.stats.shapiro", "cases": cases}
    with open("shapiro.json", "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
