#!/usr/bin/env python3
"""HPy 0.9.0's microbenchmarks: the C API vs HPy's runtime vs Lichen.

Fetches the hpy==0.9.0 sdist with pip into ``.cache/`` (never committed),
builds its ``microbench/src`` once, with CPython X.Y (3.11 by default):

- ``cpy_simple``: the plain C API extension;
- ``hpy_simple``: the HPy version, in universal mode (``hpy_simple.hpy0.so``
  plus the stub loader that hpy.devel writes).

and runs every benchmark of ``microbench/test_microbench.py`` on five
runtimes, on the same interpreter build:

- ``cpy``:    ``cpy_simple`` in ``.venv/X.Y``;
- ``hpy``:    ``hpy_simple.hpy0.so`` in ``.venv/hpy-X.Y`` (HPy's own hpy.universal);
- ``lichen``: the same ``hpy_simple.hpy0.so`` in ``.venv/X.Y`` (Lichen's hpy.universal);
- ``hpy-debug``, ``lichen-debug``: the same two with ``HPY=debug``, so the
  same binary runs in each runtime's debug mode.

Each (benchmark, runtime) pair runs in a fresh process: a warm-up pass, then
``--reps`` timed passes of ``-N`` iterations of HPy's own benchmark body; the
median counts. A benchmark that raises or crashes its process is reported as
``failed`` with the reason, and the run goes on. Prints per benchmark the
medians and the ratios against the C API, and each debug mode against its
universal mode, then the geometric means over the benchmarks that all
runtimes ran. Results go to ``bench/results/``.

    python bench/run.py                 # all benchmarks, 3.11
    python bench/run.py -k TestModule -N 200000 --reps 3
"""

import argparse
import datetime
import importlib.util
import inspect
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
import types

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RUNTIMES = ["cpy", "hpy", "lichen"]
# The same binary in debug mode (HPY=debug), compared with its universal run.
DEBUG_RUNTIMES = {"hpy-debug": "hpy", "lichen-debug": "lichen"}
ALL_RUNTIMES = RUNTIMES + list(DEBUG_RUNTIMES)
BENCH_CLASSES = ["TestModule", "TestType", "TestHeapType"]


def log(msg=""):
    print(msg, flush=True)


# --- worker: runs inside the measured interpreter -------------------------

class Timer:
    """The ``timer`` fixture of HPy's conftest: times one ``with`` block."""

    def __init__(self):
        self.start = self.stop = None

    def __enter__(self):
        if self.start is not None:
            raise ValueError('You cannot use "with timer:" more than once')
        self.start = time.perf_counter()

    def __exit__(self, *exc):
        self.stop = time.perf_counter()

    @property
    def elapsed(self):
        return self.stop - self.start


def install_valgrind_module():
    """test_microbench imports ``_valgrind`` (a cffi module over valgrind's
    client requests) only to shorten runs under valgrind. We never run under
    valgrind, so a module saying so stands in for it; no valgrind headers needed.
    """
    lib = types.SimpleNamespace(
        callgrind_start=lambda: None,
        callgrind_stop=lambda: None,
        is_running_on_valgrind=lambda: 0,
    )
    sys.modules["_valgrind"] = types.SimpleNamespace(lib=lib)


def worker(args):
    base = DEBUG_RUNTIMES.get(args.runtime, args.runtime)
    expected = {"hpy": "hpy.universal", "lichen": "lichen.universal"}.get(base)
    if expected:
        import hpy.universal

        if hpy.universal.__name__ != expected:
            raise SystemExit("hpy.universal is %s here, expected %s"
                             % (hpy.universal.__name__, expected))
    install_valgrind_module()
    sys.path[:0] = [args.build_dir, args.microbench_dir]
    import test_microbench

    api = "cpy" if args.runtime == "cpy" else "hpy"
    simple = __import__("%s_simple" % api)
    cls_name, meth_name = args.bench.split("::")
    method = getattr(getattr(test_microbench, cls_name)(), meth_name)

    timer_class = Timer
    if args.callgrind_module:
        timer_class = callgrind_timer(args.callgrind_module)

    def run_once(n):
        timer = timer_class()
        fixtures = {"simple": simple, "timer": timer, "N": n, "api": api}
        params = inspect.signature(method).parameters
        method(**{name: fixtures[name] for name in params})
        return timer.elapsed

    run_once(max(1, args.N // 10))  # warm-up
    times = [run_once(args.N) for _ in range(args.reps)]
    print(json.dumps({"times": times}))


def callgrind_timer(module_dir):
    """A Timer that also has callgrind count exactly its ``with`` block (for
    bench/callgrind.py): instrumentation is on and the counters are zeroed
    on entry; on exit the counts are dumped and instrumentation goes off."""
    sys.path.insert(0, module_dir)
    import _lichen_callgrind as requests

    class CallgrindTimer(Timer):
        def __enter__(self):
            super().__enter__()
            requests.start()

        def __exit__(self, *exc):
            requests.stop()
            super().__exit__(*exc)

    return CallgrindTimer


# --- driver ----------------------------------------------------------------

def load_suite_runner():
    """tests/hpy_suite/run.py, for its sdist download (one place for it)."""
    path = os.path.join(ROOT, "tests", "hpy_suite", "run.py")
    spec = importlib.util.spec_from_file_location("lichen_hpy_suite_run", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SETUP = '''\
from setuptools import setup, Extension
# HPy's microbench/setup.py without its cffi _valgrind module (see run.py)
setup(
    name="lichen-microbench",
    ext_modules=[Extension("cpy_simple", ["src/cpy_simple.c"], extra_compile_args=["-g"])],
    hpy_ext_modules=[Extension("hpy_simple", ["src/hpy_simple.c"], extra_compile_args=["-g"])],
)
'''


def build(python, microbench, build_dir):
    """Builds cpy_simple (C API) and hpy_simple (universal) once into build_dir."""
    shutil.rmtree(build_dir, ignore_errors=True)
    os.makedirs(build_dir)
    shutil.copytree(os.path.join(microbench, "src"), os.path.join(build_dir, "src"))
    with open(os.path.join(build_dir, "setup.py"), "w") as f:
        f.write(SETUP)
    log("== building microbench/src (cpy_simple: C API; hpy_simple: universal) in %s"
        % os.path.relpath(build_dir, ROOT))
    proc = subprocess.run([python, "setup.py", "--hpy-abi=universal", "build_ext", "--inplace"],
                          cwd=build_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        sys.exit("bench: building the microbenchmarks failed:\n" + proc.stdout)
    built = sorted(f for f in os.listdir(build_dir) if f.endswith(".so"))
    log("   built: %s" % ", ".join(built))
    if not any(f.startswith("hpy_simple") and ".hpy0." in f for f in built):
        sys.exit("bench: no hpy_simple.hpy0.so was built")


def benchmark_ids(microbench):
    """Class::method of every benchmark, in file order, read from the source."""
    import ast

    with open(os.path.join(microbench, "test_microbench.py")) as f:
        tree = ast.parse(f.read())
    ids = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name in BENCH_CLASSES:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name.startswith("test_"):
                    ids.append("%s::%s" % (node.name, item.name))
    return ids


def run_pair(python, runtime, bench, args, build_dir, microbench):
    """Medians of one benchmark on one runtime: (seconds or None, failure reason)."""
    cmd = [python, os.path.abspath(__file__), "--worker", "--runtime", runtime, "--bench", bench,
           "-N", str(args.N), "--reps", str(args.reps),
           "--build-dir", build_dir, "--microbench-dir", microbench]
    env = dict(os.environ)
    env.pop("HPY", None)
    if runtime in DEBUG_RUNTIMES:
        env["HPY"] = "debug"
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


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default="3.11", help="X.Y of the venvs to use (default 3.11)")
    parser.add_argument("-N", type=int, default=1_000_000,
                        help="iterations per timed pass (HPy's default is 10,000,000)")
    parser.add_argument("--reps", type=int, default=5, help="timed passes per benchmark (median)")
    parser.add_argument("-k", default="", help="only benchmarks whose Class::name contains this")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per benchmark process")
    parser.add_argument("--cache", default=os.path.join(ROOT, ".cache"))
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    # worker mode (internal)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--runtime", choices=ALL_RUNTIMES, help=argparse.SUPPRESS)
    parser.add_argument("--bench", help=argparse.SUPPRESS)
    parser.add_argument("--build-dir", help=argparse.SUPPRESS)
    parser.add_argument("--microbench-dir", help=argparse.SUPPRESS)
    parser.add_argument("--callgrind-module", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)

    pythons = {
        "cpy": os.path.join(ROOT, ".venv", args.python, "bin", "python"),
        "hpy": os.path.join(ROOT, ".venv", "hpy-" + args.python, "bin", "python"),
        "lichen": os.path.join(ROOT, ".venv", args.python, "bin", "python"),
    }
    for debug, universal in DEBUG_RUNTIMES.items():
        pythons[debug] = pythons[universal]
    for runtime, python in pythons.items():
        if not os.path.exists(python):
            sys.exit("bench: %s is missing (make venvs; scripts/venv.sh %s hpy)" % (python, args.python))

    sdist = load_suite_runner().fetch_sdist(args.cache, pythons["cpy"])
    microbench = os.path.join(sdist, "microbench")
    build_dir = os.path.join(args.cache, "bench", args.python)
    build(pythons["cpy"], microbench, build_dir)

    benches = [b for b in benchmark_ids(microbench) if args.k in b]
    log("== %d benchmarks x %s, N=%d, median of %d passes, CPython %s"
        % (len(benches), "/".join(ALL_RUNTIMES), args.N, args.reps, args.python))
    header = "%-42s %10s %10s %7s %10s %7s %8s %8s %8s" % (
        "benchmark", "cpy ms", "hpy ms", "hpy/C", "lichen ms", "lich/C", "lich/hpy",
        "hdbg/hpy", "ldbg/lich")
    log(header)
    log("-" * len(header))
    results = {}
    t0 = time.time()
    for i, bench in enumerate(benches):
        row = {}
        # rotate the order so that no runtime always runs first
        k = i % len(ALL_RUNTIMES)
        order = ALL_RUNTIMES[k:] + ALL_RUNTIMES[:k]
        for runtime in order:
            row[runtime] = run_pair(pythons[runtime], runtime, bench, args, build_dir, microbench)
        results[bench] = row
        log(format_row(bench, row))
    log("-" * len(header))
    summary = summarize(results)
    for line in summary["lines"]:
        log(line)
    log("(%.0fs)" % (time.time() - t0))
    save(args, results, summary)
    return 0


def ms(value):
    return "%10.1f" % (value * 1000) if value is not None else "%10s" % "failed"


def ratio(a, b, width=7):
    return "%*.2f" % (width, a / b) if a is not None and b else " " * (width - 1) + "-"


def format_row(bench, row):
    cpy, hpy, lichen, hpy_debug, lichen_debug = (row[r][0] for r in ALL_RUNTIMES)
    line = "%-42s %s %s %s %s %s %s %s %s" % (
        bench, ms(cpy), ms(hpy), ratio(hpy, cpy), ms(lichen), ratio(lichen, cpy),
        ratio(lichen, hpy, 8), ratio(hpy_debug, hpy, 8), ratio(lichen_debug, lichen, 8))
    for runtime in ALL_RUNTIMES:
        if row[runtime][1]:
            line += "\n    %s failed: %s" % (runtime, row[runtime][1][:200])
    return line


def summarize(results):
    complete = [row for row in results.values() if all(row[r][0] is not None for r in RUNTIMES)]
    hpy_ratios = [row["hpy"][0] / row["cpy"][0] for row in complete]
    lichen_ratios = [row["lichen"][0] / row["cpy"][0] for row in complete]
    lichen_vs_hpy = [row["lichen"][0] / row["hpy"][0] for row in complete]
    failed = {r: sum(1 for row in results.values() if row[r][0] is None) for r in ALL_RUNTIMES}
    debug_lines, debug_means = debug_summary(results)
    lines = [
        "geometric mean over the %d of %d benchmarks that all runtimes ran:"
        % (len(complete), len(results)),
        "    HPy runtime / C API: %.3f" % geomean(hpy_ratios) if complete else "    HPy runtime / C API: -",
        "    Lichen / C API:      %.3f" % geomean(lichen_ratios) if complete else "    Lichen / C API:      -",
        "    Lichen / HPy:        %.3f (worst benchmark %.3f)"
        % (geomean(lichen_vs_hpy), max(lichen_vs_hpy)) if complete else "    Lichen / HPy:        -",
    ] + debug_lines + [
        "failed: " + ", ".join("%s %d" % (r, failed[r]) for r in ALL_RUNTIMES),
    ]
    return {"lines": lines, "complete": len(complete), "failed": failed,
            "geomean_hpy_vs_cpy": geomean(hpy_ratios) if complete else None,
            "geomean_lichen_vs_cpy": geomean(lichen_ratios) if complete else None,
            "geomean_lichen_vs_hpy": geomean(lichen_vs_hpy) if complete else None,
            **debug_means}


def debug_summary(results):
    """Each debug mode against its own universal mode, over the benchmarks
    both ran (HPy's debug mode may fail where Lichen's does not)."""
    lines, means = [], {}
    for debug, universal in DEBUG_RUNTIMES.items():
        ratios = [row[debug][0] / row[universal][0] for row in results.values()
                  if row[debug][0] is not None and row[universal][0]]
        key = "geomean_%s_vs_%s" % (debug.replace("-", "_"), universal)
        means[key] = geomean(ratios) if ratios else None
        lines.append("    %-20s %s over %d benchmarks" % (
            "%s / %s:" % (debug, universal),
            "%.3f" % means[key] if ratios else "-", len(ratios)))
    return lines, means


def save(args, results, summary):
    os.makedirs(args.out, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = os.path.join(args.out, "microbench-%s-%s.json" % (args.python, stamp))
    with open(path, "w") as f:
        json.dump({
            "python": args.python, "N": args.N, "reps": args.reps,
            "results": {b: {r: {"median_s": row[r][0], "failure": row[r][1]} for r in ALL_RUNTIMES}
                        for b, row in results.items()},
            "summary": {k: v for k, v in summary.items() if k != "lines"},
        }, f, indent=1)
    log("results written to %s" % os.path.relpath(path, ROOT))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
