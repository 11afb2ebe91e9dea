#!/usr/bin/env python3
"""HPy 0.9.0's microbenchmarks and Lichen's object benchmarks: the C API vs
HPy's runtime vs Lichen.

Two suites, each a C-API extension and an HPy extension built once, with
CPython X.Y (3.11 by default), the HPy one in universal mode (``.hpy0.so``
plus the stub loader that hpy.devel writes):

- ``microbench``: HPy's own (``microbench/`` of the hpy==0.9.0 sdist,
  fetched with pip into ``.cache/``, never committed): ``cpy_simple`` and
  ``hpy_simple``, benchmarks in ``microbench/test_microbench.py``;
- ``objbench``: Lichen's object-heavy extension (``bench/objbench``):
  ``cpy_objbench`` and ``hpy_objbench``, benchmarks in
  ``bench/objbench/test_objbench.py``.

Every benchmark runs on five runtimes, on the same interpreter build:

- ``cpy``:    the C-API extension in ``.venv/X.Y``;
- ``hpy``:    the ``.hpy0.so`` in ``.venv/hpy-X.Y`` (HPy's own hpy.universal);
- ``lichen``: the same ``.hpy0.so`` in ``.venv/X.Y`` (Lichen's hpy.universal);
- ``hpy-debug``, ``lichen-debug``: the same two with ``HPY=debug``, so the
  same binary runs in each runtime's debug mode.

Each (benchmark, runtime) pair runs in a fresh process: a warm-up pass, then
``--reps`` timed passes of ``-N`` iterations of HPy's own benchmark body; the
median counts. A benchmark that raises or crashes its process is reported as
``failed`` with the reason, and the run goes on. Prints per benchmark the
medians and the ratios against the C API, and each debug mode against its
universal mode, then the geometric means over the benchmarks that all
runtimes ran. Results go to ``bench/results/``.

    python bench/run.py                 # both suites, 3.11
    python bench/run.py -k TestModule -N 200000 --reps 3
    python bench/run.py --suite objbench
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


class Suite:
    """A C-API extension and an HPy extension with the same benchmarks."""

    def __init__(self, name, title, classes, test_module, modules, goal):
        self.name = name
        self.title = title
        self.classes = classes          # the benchmark classes of test_module
        self.test_module = test_module  # the file of benchmark bodies
        self.modules = modules          # {"cpy": C-API module, "hpy": HPy module}
        self.goal = goal                # printed under the table

    def sources(self, cache, python):
        """The directory with ``src/`` or the C files, and the benchmark file."""
        if self.name == "microbench":
            return os.path.join(load_suite_runner().fetch_sdist(cache, python), "microbench")
        return os.path.join(HERE, "objbench")


SUITES = {
    "microbench": Suite("microbench", "HPy 0.9.0's microbenchmarks",
                        ["TestModule", "TestType", "TestHeapType"], "test_microbench",
                        {"cpy": "cpy_simple", "hpy": "hpy_simple"},
                        "goal (issue 2): Lichen not slower than HPy's runtime on any benchmark"),
    "objbench": Suite("objbench", "Lichen's object benchmarks (bench/objbench)",
                      ["TestObjects"], "test_objbench",
                      {"cpy": "cpy_objbench", "hpy": "hpy_objbench"},
                      "goal (issue 14): Lichen at or below HPy's runtime, and within 1.3x of the C API"),
}


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
    suite = SUITES[args.suite]
    sys.path[:0] = [args.build_dir, args.tests_dir]
    tests = __import__(suite.test_module)

    api = "cpy" if args.runtime == "cpy" else "hpy"
    ext = __import__(suite.modules[api])
    cls_name, meth_name = args.bench.split("::")
    method = getattr(getattr(tests, cls_name)(), meth_name)

    timer_class = Timer
    if args.callgrind_module:
        timer_class = callgrind_timer(args.callgrind_module)

    def run_once(n):
        timer = timer_class()
        fixtures = {"simple": ext, "ext": ext, "timer": timer, "N": n, "api": api}
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


# HPy's microbench/setup.py without its cffi _valgrind module (see run.py);
# the same flags for both extensions of a suite.
SETUP = '''\
from setuptools import setup, Extension
setup(
    name="lichen-bench-%(suite)s",
    ext_modules=[Extension("%(cpy)s", ["src/%(cpy)s.c"], extra_compile_args=["-g"])],
    hpy_ext_modules=[Extension("%(hpy)s", ["src/%(hpy)s.c"], extra_compile_args=["-g"])],
)
'''


def build(python, suite, sources, build_dir):
    """Builds the suite's C-API and HPy (universal) extensions once into build_dir."""
    shutil.rmtree(build_dir, ignore_errors=True)
    os.makedirs(build_dir)
    src = os.path.join(build_dir, "src")
    os.makedirs(src)
    for api in ("cpy", "hpy"):
        name = suite.modules[api] + ".c"
        found = os.path.join(sources, "src", name)
        shutil.copy(found if os.path.exists(found) else os.path.join(sources, name), src)
    with open(os.path.join(build_dir, "setup.py"), "w") as f:
        f.write(SETUP % dict(suite=suite.name, **suite.modules))
    log("== building %s (%s: C API; %s: universal) in %s"
        % (suite.name, suite.modules["cpy"], suite.modules["hpy"], os.path.relpath(build_dir, ROOT)))
    proc = subprocess.run([python, "setup.py", "--hpy-abi=universal", "build_ext", "--inplace"],
                          cwd=build_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        sys.exit("bench: building %s failed:\n%s" % (suite.name, proc.stdout))
    built = sorted(f for f in os.listdir(build_dir) if f.endswith(".so"))
    log("   built: %s" % ", ".join(built))
    if not any(f.startswith(suite.modules["hpy"]) and ".hpy0." in f for f in built):
        sys.exit("bench: no %s.hpy0.so was built" % suite.modules["hpy"])


def benchmark_ids(suite, sources):
    """Class::method of every benchmark, in file order, read from the source."""
    import ast

    with open(os.path.join(sources, suite.test_module + ".py")) as f:
        tree = ast.parse(f.read())
    ids = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name in suite.classes:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name.startswith("test_"):
                    ids.append("%s::%s" % (node.name, item.name))
    return ids


def run_pair(python, runtime, bench, n, args, suite, paths):
    """Medians of one benchmark on one runtime: (seconds or None, failure reason)."""
    cmd = [python, os.path.abspath(__file__), "--worker", "--runtime", runtime, "--bench", bench,
           "-N", str(n), "--reps", str(args.reps), "--suite", suite.name,
           "--build-dir", paths["build"], "--tests-dir", paths["sources"]]
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


def venv_pythons(version):
    """The interpreter of each runtime (the debug runtimes share theirs)."""
    pythons = {
        "cpy": os.path.join(ROOT, ".venv", version, "bin", "python"),
        "hpy": os.path.join(ROOT, ".venv", "hpy-" + version, "bin", "python"),
        "lichen": os.path.join(ROOT, ".venv", version, "bin", "python"),
    }
    for debug, universal in DEBUG_RUNTIMES.items():
        pythons[debug] = pythons[universal]
    return pythons


def prepare(suite, args, python, rebuild=True):
    """Sources and build directory of a suite, built (again) if asked, missing
    or older than its sources."""
    sources = suite.sources(args.cache, python)
    build_dir = os.path.join(args.cache, "bench", args.python, suite.name)
    stamp = os.path.join(build_dir, "setup.py")
    stale = not os.path.exists(stamp) or any(
        os.path.getmtime(os.path.join(d, f)) > os.path.getmtime(stamp)
        for d in (sources, os.path.join(sources, "src")) if os.path.isdir(d)
        for f in os.listdir(d) if f.endswith(".c"))
    if rebuild or stale:
        build(python, suite, sources, build_dir)
    return {"sources": sources, "build": build_dir}


def selected_suites(args):
    names = args.suite.split(",") if args.suite else list(SUITES)
    for name in names:
        if name not in SUITES:
            sys.exit("bench: unknown suite %r (have: %s)" % (name, ", ".join(SUITES)))
    return [SUITES[name] for name in names]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default="3.11", help="X.Y of the venvs to use (default 3.11)")
    parser.add_argument("-N", type=int, default=1_000_000,
                        help="iterations per timed pass of a microbenchmark (HPy's default is "
                             "10,000,000); the object benchmarks, about 30x heavier, run N/10")
    parser.add_argument("--reps", type=int, default=5, help="timed passes per benchmark (median)")
    parser.add_argument("-k", default="", help="only benchmarks whose Class::name contains this")
    parser.add_argument("--suite", default="", help="microbench, objbench or both (default)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per benchmark process")
    parser.add_argument("--cache", default=os.path.join(ROOT, ".cache"))
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    # worker mode (internal)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--runtime", choices=ALL_RUNTIMES, help=argparse.SUPPRESS)
    parser.add_argument("--bench", help=argparse.SUPPRESS)
    parser.add_argument("--build-dir", help=argparse.SUPPRESS)
    parser.add_argument("--tests-dir", help=argparse.SUPPRESS)
    parser.add_argument("--callgrind-module", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)

    pythons = venv_pythons(args.python)
    for runtime, python in pythons.items():
        if not os.path.exists(python):
            sys.exit("bench: %s is missing (make venvs; scripts/venv.sh %s hpy)" % (python, args.python))
    report = {}
    for suite in selected_suites(args):
        paths = prepare(suite, args, pythons["cpy"])
        benches = [b for b in benchmark_ids(suite, paths["sources"]) if args.k in b]
        if benches:
            report[suite.name] = run_suite(suite, benches, args, pythons, paths)
    save(args, report)
    return 0


def suite_n(suite, n):
    """Iterations for a suite: the object benchmarks do ~30x more per iteration."""
    return max(1, n // 10) if suite.name == "objbench" else n


def run_suite(suite, benches, args, pythons, paths):
    n = suite_n(suite, args.N)
    log("== %s: %d benchmarks x %s, N=%d, median of %d passes, CPython %s"
        % (suite.title, len(benches), "/".join(ALL_RUNTIMES), n, args.reps, args.python))
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
            row[runtime] = run_pair(pythons[runtime], runtime, bench, n, args, suite, paths)
        results[bench] = row
        log(format_row(bench, row))
    log("-" * len(header))
    summary = summarize(results)
    for line in summary["lines"] + [suite.goal]:
        log(line)
    log("(%.0fs)" % (time.time() - t0))
    return {"N": n, "results": results, "summary": summary}


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
        "    Lichen / C API:      %.3f (worst benchmark %.3f)"
        % (geomean(lichen_ratios), max(lichen_ratios)) if complete else "    Lichen / C API:      -",
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


def save(args, report):
    os.makedirs(args.out, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = os.path.join(args.out, "bench-%s-%s.json" % (args.python, stamp))
    with open(path, "w") as f:
        json.dump({
            "python": args.python, "reps": args.reps,
            "suites": {name: {
                "N": part["N"],
                "results": {b: {r: {"median_s": row[r][0], "failure": row[r][1]} for r in ALL_RUNTIMES}
                            for b, row in part["results"].items()},
                "summary": {k: v for k, v in part["summary"].items() if k != "lines"},
            } for name, part in report.items()},
        }, f, indent=1)
    log("results written to %s" % os.path.relpath(path, ROOT))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
