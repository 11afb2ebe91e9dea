#!/usr/bin/env python3
"""The Rust author bindings against PyO3 (issue 9's benchmark).

The same Rust bodies (bench/rust/bodies.rs) behind PyO3 0.30, built for
CPython 3.11 (bench/rust/pyo3ext), and behind lichen-hpy, built once as a
universal binary (bench/rust/hpyext), run through Lichen on the same
CPython; the universal binary also with HPy's own runtime, for reference.
Both are release builds of this workspace's profile (fat LTO).

Per case: the median over --repeat runs of the time per call, in ns, each
run timing --number calls (timeit); the ratio lichen-hpy / PyO3 and its
geometric mean. The array case is piconumpy's bench_array1d: a Runge-Kutta
loop in Python over 4-element arrays, time per step. The array cases also
run on the same array type written against the CPython C API
(bench/rust/capi_array.c, built with the interpreter's own compiler flags):
the "C API" column, and lichen-hpy / C API for the Runge-Kutta loop.

With --callgrind, instructions per call instead of time (deterministic on
a shared machine): each case runs under valgrind's callgrind twice, with N
and with 0 iterations of a loop over the statement, and the difference of
the totals divided by N is the cost of one iteration (the Python loop
around the call is the same for every binding).

Usage: bench/rust_authors.py [--python 3.11] [--number N] [--repeat R] [--callgrind]
"""

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import sysconfig

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORK = os.path.join(ROOT, ".cache", "rbench")
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
sys.path.insert(0, os.path.join(ROOT, "build_backend"))

CASES = [
    ("call, no argument", "f()", "f = m.noargs"),
    ("call, one argument", "f(1)", "f = m.onearg"),
    ("call, 4 positional", "f(1, 2, 3, 4)", "f = m.several"),
    ("call, keywords + default", "f(1, b=2, d=4)", "f = m.several"),
    ("allocate an instance", "P(1.0, 2.0)", "P = m.Point"),
    ("method call", "p.norm()", "p = m.Point(3.0, 4.0)"),
    ("getter", "p.x", "p = m.Point(3.0, 4.0)"),
    ("__add__ on the class", "p + p", "p = m.Point(3.0, 4.0)"),
    ("array * float", "a * 2.0", "a = m.array([1.0, 2.0, 3.0, 4.0])"),
    ("array + array", "a + a", "a = m.array([1.0, 2.0, 3.0, 4.0])"),
]

# piconumpy's bench_array1d: Runge-Kutta steps over 4-element arrays.
RK4 = """
def lorenz(t, u, sigma=10.0, rho=28.0, beta=8.0 / 3):
    return m.array([sigma * (u[1] - u[0]), u[0] * (rho - u[2]) - u[1], u[0] * u[1] - beta * u[2], 0.0])

def rk4_step(f, x0, dt, t=0.0):
    k1 = f(t, x0) * dt
    k2 = f(t, x0 + k1 / 2.0) * dt
    k3 = f(t, x0 + k2 / 2.0) * dt
    k4 = f(t, x0 + k3) * dt
    return x0 + (k1 + 2.0 * k2 + 2.0 * k3 + k4) / 6.0

def loop(n):
    u = m.array([1.0, 0.0, 0.0, 0.0])
    for _ in range(n):
        u = rk4_step(lorenz, u, 0.001)
    return u
"""

WORKER = r"""
import importlib, json, statistics, sys, timeit
sys.path.insert(0, sys.argv[1])
m = importlib.import_module(sys.argv[2])
number, repeat = int(sys.argv[3]), int(sys.argv[4])
cases, rk4 = json.loads(sys.argv[5]), sys.argv[6]
out = {}
for name, stmt, setup in cases:
    times = timeit.repeat(stmt, setup, number=number, repeat=repeat, globals={"m": m})
    out[name] = statistics.median(times) / number * 1e9
ns = {"m": m}
exec(rk4, ns)
steps = max(number // 100, 100)
times = timeit.repeat(lambda: ns["loop"](steps), number=1, repeat=repeat)
out["Runge-Kutta step, 4-element arrays"] = statistics.median(times) / steps * 1e9
print(json.dumps(out))
"""


def log(msg):
    print(msg, flush=True)


def cargo_cdylib(package, env):
    cmd = ["cargo", "build", "--release", "-q", "-p", package]
    log("== " + " ".join(cmd))
    subprocess.check_call(cmd, cwd=ROOT, env=env)
    return os.path.join(TARGET, "release", "lib%s.so" % package.replace("-", "_"))


def build(python):
    shutil.rmtree(WORK, ignore_errors=True)
    env = dict(os.environ, PYO3_PYTHON=python)
    suffix = subprocess.check_output([python, "-c", "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))"], text=True).strip()
    pyo3_dir, hpy_dir = os.path.join(WORK, "pyo3"), os.path.join(WORK, "hpy")
    os.makedirs(pyo3_dir)
    os.makedirs(hpy_dir)
    shutil.copy(cargo_cdylib("rbench-pyo3", env), os.path.join(pyo3_dir, "rbench_pyo3" + suffix))
    build_hpy(hpy_dir, env)
    capi_dir = os.path.join(WORK, "capi")
    build_capi(python, capi_dir)
    return pyo3_dir, hpy_dir, capi_dir


def build_hpy(hpy_dir, env):
    """The universal binary of the benchmark bodies (``rbench_hpy``) and its
    loader in ``hpy_dir``: one file for every interpreter."""
    import lichen_hpy_build as backend

    os.makedirs(hpy_dir, exist_ok=True)
    for arc, data in backend.module_files("rbench_hpy", cargo_cdylib("rbench-hpy", env), "rbench-hpy"):
        with open(os.path.join(hpy_dir, arc), "wb") as f:
            f.write(data)


def build_capi(python, capi_dir):
    """The array type written against the C API (``rbench_capi``), built by
    ``python``'s own compiler and flags into ``capi_dir``."""
    os.makedirs(capi_dir, exist_ok=True)
    suffix = subprocess.check_output([python, "-c", "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))"], text=True).strip()
    cfg = json.loads(subprocess.check_output([python, "-c", CFG], text=True))
    cmd = cfg["CC"].split() + cfg["CFLAGS"].split() + cfg["CCSHARED"].split() + ["-shared", "-I", cfg["INCLUDEPY"], "-o",
           os.path.join(capi_dir, "rbench_capi" + suffix), os.path.join(HERE, "rust", "capi_array.c")]
    log("== " + " ".join(cmd))
    subprocess.check_call(cmd)


# The interpreter's compiler and flags, as setuptools would build with.
CFG = "import json, sysconfig as s; print(json.dumps({k: s.get_config_var(k) or '' for k in ('CC', 'CFLAGS', 'CCSHARED', 'INCLUDEPY')}))"
ARRAY_CASES = [c for c in CASES if "m.array" in c[2]]


CG_WORKER = r"""
import importlib, sys
sys.path.insert(0, sys.argv[1])
m = importlib.import_module(sys.argv[2])
n, stmt, setup = int(sys.argv[3]), sys.argv[4], sys.argv[5]
ns = {"m": m}
if stmt == "rk4":
    exec(sys.argv[6], ns)
    ns["loop"](1)
    code = compile("loop(n)", "<bench>", "exec")
    ns["n"] = n
else:
    exec(setup, ns)
    exec(stmt, ns)
    code = compile("for _ in range(n):\n    " + stmt, "<bench>", "exec")
    ns["n"] = n
exec(code, ns)
"""


def instructions(python, path, module, n, stmt, setup):
    out = os.path.join(WORK, "cg.out")
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, python, "-c", CG_WORKER, path, module, str(n), stmt, setup, RK4]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ, PYTHONHASHSEED="0"))
    with open(out) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    raise RuntimeError("no totals in callgrind output")


def measure_callgrind(python, path, module, number, cases=CASES):
    out = {}
    for name, stmt, setup in cases + [("Runge-Kutta step, 4-element arrays", "rk4", "")]:
        n = number if stmt != "rk4" else max(number // 100, 10)
        out[name] = (instructions(python, path, module, n, stmt, setup) - instructions(python, path, module, 0, stmt, setup)) / n
    return out


def measure(python, path, module, number, repeat, cases=CASES):
    cases = json.dumps(cases)
    out = subprocess.check_output([python, "-c", WORKER, path, module, str(number), str(repeat), cases, RK4], text=True)
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--python", default="3.11")
    ap.add_argument("--number", type=int, default=200000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--callgrind", action="store_true", help="instructions per call instead of ns")
    args = ap.parse_args()
    lichen_py = os.path.join(ROOT, ".venv", args.python, "bin", "python")
    hpy_py = os.path.join(ROOT, ".venv", "hpy-" + args.python, "bin", "python")
    pyo3_dir, hpy_dir, capi_dir = build(lichen_py)
    run = measure_callgrind if args.callgrind else measure
    extra = () if args.callgrind else (args.repeat,)
    pyo3 = run(lichen_py, pyo3_dir, "rbench_pyo3", args.number, *extra)
    lichen = run(lichen_py, hpy_dir, "rbench_hpy", args.number, *extra)
    hpy = run(hpy_py, hpy_dir, "rbench_hpy", args.number, *extra) if os.path.exists(hpy_py) else {}
    capi = run(lichen_py, capi_dir, "rbench_capi", args.number, *extra, cases=ARRAY_CASES)
    if args.callgrind:
        log("\nCPython %s, instructions per call (callgrind, %d calls)" % (args.python, args.number))
    else:
        log("\nCPython %s, ns per call (median of %d runs of %d calls)" % (args.python, args.repeat, args.number))
    log("%-36s %9s %12s %8s %12s %9s" % ("case", "PyO3", "lichen-hpy", "ratio", "HPy runtime", "C API"))
    ratios = []
    for name in pyo3:
        r = lichen[name] / pyo3[name]
        ratios.append(r)
        h = "%12.1f" % hpy[name] if name in hpy else "%12s" % "-"
        c = "%9.1f" % capi[name] if name in capi else "%9s" % "-"
        log("%-36s %9.1f %12.1f %7.2fx %s %s" % (name, pyo3[name], lichen[name], r, h, c))
    geo = math.exp(sum(map(math.log, ratios)) / len(ratios))
    log("%-36s %9s %12s %7.2fx" % ("geometric mean", "", "", geo))
    rk4 = "Runge-Kutta step, 4-element arrays"
    log("Runge-Kutta loop, lichen-hpy / C API: %.2fx" % (lichen[rk4] / capi[rk4]))
    log("max ratio %.2fx" % max(ratios))


if __name__ == "__main__":
    main()
