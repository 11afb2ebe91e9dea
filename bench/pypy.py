#!/usr/bin/env python3
"""The same benchmarks on PyPy: cpyext vs Lichen's PyPy host vs PyPy's own HPy.

The suites of ``bench/run.py`` (HPy 0.9.0's microbenchmarks, Lichen's
object benchmarks), on each PyPy that has a venv (``--pypy``, default
``pypy,pypy8.0,pypy7.3.19``: ``make venvs`` makes the first two,
``scripts/venv.sh pypy7.3.19`` the third), for these runtimes:

- ``cpyext``: the C-API extension (``cpy_simple``, ``cpy_objbench``),
  built by that PyPy and run through cpyext, PyPy's emulation of CPython's
  C API;
- ``lichen``: the HPy extension in universal mode (``hpy_simple.hpy0.so``,
  the same file on every PyPy), through Lichen's PyPy host;
- ``pypy-hpy``: the same file through PyPy's own HPy (``_hpy_universal``),
  on the PyPys that have one (7.3.19; 7.3.11 has HPy 0.0.4, which cannot
  load it, and 8.0 none). 7.3.19's context has a member more than HPy
  0.9.0's, so the calls after ``h_Builtins`` of a 0.9.0 binary reach the
  wrong functions there: benchmarks that call them fail (and are reported
  so).

As in ``run.py``, each (benchmark, runtime) pair runs in a fresh process:
a warm-up pass (PyPy's JIT compiles the loop), then ``--reps`` timed passes;
the median counts. Prints per benchmark the medians and the ratios
``lichen/cpyext`` and ``lichen/pypy-hpy``, and their geometric means.
Results go to ``bench/results/``. Then the Rust bindings' array type
(``rustarray``, see ``rust_array``): the same ``.hpy0.so`` on CPython
3.11 (the interpreter running this script) and on each PyPy, against the
array type written for the C API.

    python bench/pypy.py                        # every suite, every PyPy
    python bench/pypy.py --pypy pypy -k TestModule
"""

import argparse
import datetime
import importlib.util
import inspect
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RUNTIMES = ["cpyext", "lichen", "pypy-hpy"]


def load_run():
    """bench/run.py, for its suites, build and worker pieces."""
    spec = importlib.util.spec_from_file_location("lichen_bench_run", os.path.join(HERE, "run.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run = load_run()
log = run.log


# --- worker: runs inside the measured PyPy ---------------------------------

def load_with_pypy_hpy(module_name, build_dir):
    """Loads the universal binary with PyPy's own HPy, whatever provides
    ``hpy.universal`` in this venv."""
    import _hpy_universal

    path = os.path.join(build_dir, module_name + ".hpy0.so")
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None:  # PyPy lists no .hpy0.so suffix
        spec = importlib.machinery.ModuleSpec(module_name, None, origin=path)
    sys.modules[module_name] = _hpy_universal.load(module_name, path, spec)


def worker(args):
    if args.runtime == "lichen":
        import hpy.universal

        if hpy.universal.__name__ != "lichen.universal":
            raise SystemExit("hpy.universal is %s here, expected lichen.universal" % hpy.universal.__name__)
    run.install_valgrind_module()
    suite = run.SUITES[args.suite]
    sys.path[:0] = [args.build_dir, args.tests_dir]
    if args.runtime == "pypy-hpy":
        load_with_pypy_hpy(suite.modules["hpy"], args.build_dir)
    tests = __import__(suite.test_module)
    api = "cpy" if args.runtime == "cpyext" else "hpy"
    ext = __import__(suite.modules[api])
    cls_name, meth_name = args.bench.split("::")
    method = getattr(getattr(tests, cls_name)(), meth_name)

    def run_once(n):
        timer = run.Timer()
        fixtures = {"simple": ext, "ext": ext, "timer": timer, "N": n, "api": api}
        params = inspect.signature(method).parameters
        method(**{name: fixtures[name] for name in params})
        return timer.elapsed

    run_once(max(1, args.N // 10))  # warm-up: the JIT compiles the loop
    times = [run_once(args.N) for _ in range(args.reps)]
    print(json.dumps({"times": times}))


# --- driver ----------------------------------------------------------------

def run_pair(python, runtime, bench, n, args, suite, paths):
    """Median of one benchmark on one runtime: (seconds or None, failure)."""
    cmd = [python, os.path.abspath(__file__), "--worker", "--runtime", runtime, "--bench", bench,
           "-N", str(n), "--reps", str(args.reps), "--suite", suite.name,
           "--build-dir", paths["build"], "--tests-dir", paths["sources"]]
    env = dict(os.environ)
    env.pop("HPY", None)
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=args.timeout, env=env)
    except subprocess.TimeoutExpired:
        return None, "timed out after %ds" % args.timeout
    if proc.returncode != 0:
        lines = [l for l in proc.stderr.strip().splitlines() if l.strip()]
        why = lines[-1] if lines else "exit status %d" % proc.returncode
        if proc.returncode < 0:
            why = "crashed (signal %d)" % -proc.returncode
        return None, why
    times = json.loads(proc.stdout.strip().splitlines()[-1])["times"]
    return statistics.median(times), None


def has_pypy_hpy(python):
    """Whether this PyPy's own HPy can load an HPy 0.9 binary (ABI 0.0)."""
    code = "import _hpy_universal as u; print(u.get_version()[0])"
    r = subprocess.run([python, "-c", code], capture_output=True, text=True)
    return r.returncode == 0 and r.stdout.strip().startswith("0.9")


def prepare(suite, args, pypy, python):
    """The suite built by this PyPy: its C-API extension for cpyext, and the
    universal binary (the same on every PyPy; built here too, by hpy.devel
    on PyPy, which proves nothing but saves copying)."""
    sources = suite.sources(args.cache, sys.executable)
    build_dir = os.path.join(args.cache, "bench", pypy, suite.name)
    run.build(python, suite, sources, build_dir)
    return {"sources": sources, "build": build_dir}


def ratio(a, b, width=9):
    return "%*.2f" % (width, a / b) if a is not None and b else " " * (width - 1) + "-"


def ms(v):
    return "%10.1f" % (v * 1000) if v is not None else "%10s" % "failed"


def run_suite(suite, pypy, python, runtimes, args):
    paths = prepare(suite, args, pypy, python)
    benches = [b for b in run.benchmark_ids(suite, paths["sources"]) if args.k in b]
    n = run.suite_n(suite, args.N)
    log("== %s on %s: %d benchmarks x %s, N=%d, median of %d passes"
        % (suite.title, pypy, len(benches), "/".join(runtimes), n, args.reps))
    header = "%-42s %10s %10s %10s %9s %9s" % (
        "benchmark", "cpyext ms", "lichen ms", "pypy-hpy", "lich/cpx", "lich/phpy")
    log(header)
    log("-" * len(header))
    results = {}
    for i, bench in enumerate(benches):
        order = runtimes[i % len(runtimes):] + runtimes[:i % len(runtimes)]
        row = {r: run_pair(python, r, bench, n, args, suite, paths) for r in order}
        results[bench] = row
        cpx, lich, phpy = (row.get(r, (None, None))[0] for r in RUNTIMES)
        line = "%-42s %s %s %s %s %s" % (bench, ms(cpx), ms(lich), ms(phpy), ratio(lich, cpx), ratio(lich, phpy))
        for r in runtimes:
            if row[r][1]:
                line += "\n    %s failed: %s" % (r, row[r][1][:200])
        log(line)
    log("-" * len(header))
    summary = summarize(results, runtimes)
    for l in summary["lines"]:
        log(l)
    return {"N": n, "results": results, "summary": summary}


def summarize(results, runtimes):
    def ratios(a, b):
        return [row[a][0] / row[b][0] for row in results.values()
                if row.get(a, (None,))[0] and row.get(b, (None,))[0]]

    vs_cpyext = ratios("lichen", "cpyext")
    lines = ["geometric means (over the benchmarks both ran):",
             "    Lichen / cpyext:   %.3f over %d (cpyext / Lichen: %.2fx)"
             % (run.geomean(vs_cpyext), len(vs_cpyext), 1 / run.geomean(vs_cpyext)) if vs_cpyext
             else "    Lichen / cpyext:   -"]
    out = {"lichen_vs_cpyext": run.geomean(vs_cpyext) if vs_cpyext else None}
    if "pypy-hpy" in runtimes:
        vs_hpy = ratios("lichen", "pypy-hpy")
        worst = max(vs_hpy) if vs_hpy else None
        lines.append("    Lichen / PyPy's HPy: %.3f over %d (worst benchmark %.2f)"
                     % (run.geomean(vs_hpy), len(vs_hpy), worst) if vs_hpy else "    Lichen / PyPy's HPy: -")
        out.update(lichen_vs_pypy_hpy=run.geomean(vs_hpy) if vs_hpy else None, worst_vs_pypy_hpy=worst)
    lines.append("goal (issue 10): Lichen at least 3x faster than cpyext in geometric mean, "
                 "and within 1.5x of PyPy's own HPy on every benchmark where that one works")
    out["lines"] = lines
    return out


# --- the Rust bindings' array type (issue 9's benchmark, issue 10 asks for it) --

def load_rust_authors():
    spec = importlib.util.spec_from_file_location("lichen_bench_rust_authors", os.path.join(HERE, "rust_authors.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rust_array(args, pythons):
    """piconumpy's Runge-Kutta loop over the array type written in Rust with
    lichen-hpy (one universal binary, run through Lichen everywhere) and the
    same type written against the C API (built by each interpreter; on PyPy
    it runs through cpyext): microseconds per step, median of ``--reps``
    timed runs of 2000 steps after the JIT warmed up."""
    ra = load_rust_authors()
    hpy_dir = os.path.join(args.cache, "bench", "rustarray", "hpy")
    ra.build_hpy(hpy_dir, dict(os.environ))
    log("== piconumpy's Runge-Kutta loop: the Rust array type (lichen-hpy, one .hpy0.so) vs the C-API array type")
    header = "%-14s %16s %16s %9s" % ("interpreter", "lichen-hpy us", "C API us", "ratio")
    log(header)
    log("-" * len(header))
    out = {}
    for name, python in pythons:
        capi_dir = os.path.join(args.cache, "bench", name, "rustarray", "capi")
        ra.build_capi(python, capi_dir)
        row = {}
        for label, path, module in (("lichen-hpy", hpy_dir, "rbench_hpy"), ("capi", capi_dir, "rbench_capi")):
            try:
                r = subprocess.run([python, "-c", RK4_WORKER, path, module, str(args.reps), ra.RK4],
                                   capture_output=True, text=True, timeout=args.timeout)
                row[label] = float(r.stdout.split()[-1]) if r.returncode == 0 else None
            except subprocess.TimeoutExpired:
                row[label] = None
        out[name] = row
        us = lambda v: "%16.1f" % v if v else "%16s" % "failed"
        log("%-14s %s %s %s" % (name, us(row["lichen-hpy"]), us(row["capi"]), ratio(row["lichen-hpy"], row["capi"])))
    return out


RK4_WORKER = r"""
import importlib, statistics, sys, time
sys.path.insert(0, sys.argv[1])
m = importlib.import_module(sys.argv[2])
ns = {"m": m}
exec(sys.argv[4], ns)
ns["loop"](3000)  # the JIT compiles the loop
times = []
for _ in range(int(sys.argv[3])):
    t = time.perf_counter()
    ns["loop"](2000)
    times.append((time.perf_counter() - t) / 2000 * 1e6)
print(statistics.median(times))
"""


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pypy", default="pypy,pypy8.0,pypy7.3.19",
                   help="venv names under .venv/ (default %(default)s; missing ones are skipped)")
    p.add_argument("-N", type=int, default=2_000_000, help="iterations per timed pass")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("-k", default="")
    p.add_argument("--suite", default="", help="microbench, objbench, rustarray (default: all)")
    p.add_argument("--timeout", type=int, default=600)
    p.add_argument("--cache", default=os.path.join(ROOT, ".cache"))
    p.add_argument("--out", default=os.path.join(HERE, "results"))
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--runtime", choices=RUNTIMES, help=argparse.SUPPRESS)
    p.add_argument("--bench", help=argparse.SUPPRESS)
    p.add_argument("--build-dir", help=argparse.SUPPRESS)
    p.add_argument("--tests-dir", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker(args)

    names = args.suite.split(",") if args.suite else list(run.SUITES) + ["rustarray"]
    suites = [run.SUITES[s] for s in names if s != "rustarray"]
    report = {}
    t0 = time.time()
    pythons = []
    for pypy in args.pypy.split(","):
        python = os.path.join(ROOT, ".venv", pypy, "bin", "python")
        if not os.path.exists(python):
            log("== %s: no venv (%s); skipped" % (pypy, os.path.relpath(python, ROOT)))
            continue
        pythons.append((pypy, python))
        runtimes = ["cpyext", "lichen"] + (["pypy-hpy"] if has_pypy_hpy(python) else [])
        report[pypy] = {s.name: run_suite(s, pypy, python, runtimes, args) for s in suites}
    if "rustarray" in names:
        # CPython 3.11 through Lichen first: the same binary, for reference
        report["rustarray"] = rust_array(args, [("3.11", sys.executable)] + pythons)
    log("(%.0fs)" % (time.time() - t0))
    os.makedirs(args.out, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = os.path.join(args.out, "pypy-%s.json" % stamp)
    with open(path, "w") as f:
        json.dump({"machine": platform.node(), "N": args.N, "reps": args.reps, "report": report}, f,
                  indent=1, default=str)
    log("results: %s" % os.path.relpath(path, ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
