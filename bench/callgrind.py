#!/usr/bin/env python3
"""The benchmarks of bench/run.py counted in instructions (valgrind's callgrind).

Timings on a shared machine are noisy; instruction counts are not. For every
benchmark and runtime (``cpy``, ``hpy``, ``lichen``, as in ``run.py``) this
runs ``run.py``'s worker under ``valgrind --tool=callgrind
--instr-atstart=no``: the worker's timer switches instrumentation on for
exactly its ``with`` block (through a tiny C module over valgrind's client
requests, built here from ``<valgrind/callgrind.h>``), so start-up costs
nothing and the count of the last (warm) pass, divided by ``-N``, is the
instructions one iteration of HPy's benchmark body costs (including the
Python loop around the call, the same for all runtimes).
``PYTHONHASHSEED=0`` keeps the runs repeatable.

The callgrind output of each pair stays in ``.cache/bench/callgrind/`` for
``callgrind_annotate --inclusive=yes``.

    python bench/callgrind.py                  # all benchmarks, both suites
    python bench/callgrind.py -k TestType -j 2
    python bench/callgrind.py --suite objbench --runtimes cpy,hpy,lichen
"""

import argparse
import concurrent.futures
import datetime
import glob
import json
import os
import re
import subprocess
import sys
import sysconfig

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run  # noqa: E402  (bench/run.py: venvs, build, benchmark list, worker)

ROOT = run.ROOT
RUNTIMES = run.RUNTIMES

REQUESTS_C = r'''
#include <Python.h>
#include <valgrind/callgrind.h>

static PyObject *start(PyObject *self, PyObject *unused)
{
    CALLGRIND_START_INSTRUMENTATION;
    CALLGRIND_ZERO_STATS;
    Py_RETURN_NONE;
}

static PyObject *stop(PyObject *self, PyObject *unused)
{
    CALLGRIND_DUMP_STATS_AT("timed pass");
    CALLGRIND_STOP_INSTRUMENTATION;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"start", start, METH_NOARGS, NULL},
    {"stop", stop, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "_lichen_callgrind", NULL, -1, methods};

PyMODINIT_FUNC PyInit__lichen_callgrind(void) { return PyModule_Create(&def); }
'''


def build_requests_module(python, out_dir):
    """_lichen_callgrind for `python`, in out_dir (both venvs share one CPython)."""
    info = json.loads(subprocess.check_output([python, "-c", (
        "import json, sysconfig; print(json.dumps({'inc': sysconfig.get_paths()['include'],"
        " 'suffix': sysconfig.get_config_var('EXT_SUFFIX')}))")]))
    src = os.path.join(out_dir, "_lichen_callgrind.c")
    with open(src, "w") as f:
        f.write(REQUESTS_C)
    so = os.path.join(out_dir, "_lichen_callgrind" + info["suffix"])
    subprocess.check_call(["cc", "-O2", "-shared", "-fPIC", "-I", info["inc"], src, "-o", so])


def count(python, runtime, bench, n, suite, paths, out_dir):
    """Instructions per iteration of the last timed pass under callgrind."""
    out = os.path.join(out_dir, "%s-%s.out" % (runtime, bench.replace("::", ".")))
    for old in glob.glob(out + "*"):
        os.remove(old)
    cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--callgrind-out-file=" + out,
           python, os.path.join(HERE, "run.py"), "--worker", "--runtime", runtime,
           "--bench", bench, "-N", str(n), "--reps", "1", "--suite", suite.name,
           "--build-dir", paths["build"], "--tests-dir", paths["sources"],
           "--callgrind-module", out_dir]
    env = dict(os.environ, PYTHONHASHSEED="0")
    env.pop("HPY", None)
    if runtime in run.DEBUG_RUNTIMES:
        env["HPY"] = "debug"
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    if proc.returncode != 0:
        lines = [l for l in proc.stderr.strip().splitlines() if l.strip() and not l.startswith("==")]
        return None, lines[-1] if lines else "exit status %d" % proc.returncode
    # one dump per timed pass (warm-up, then the counted one): out.1, out.2
    dumps = sorted(glob.glob(out + ".*"), key=lambda p: int(p.rsplit(".", 1)[1]))
    if len(dumps) < 2:
        return None, "no dump of the timed pass in %s" % out_dir
    with open(dumps[-1]) as f:
        for line in f:
            m = re.match(r"(?:summary|totals):\s+(\d+)", line)
            if m:
                return int(m.group(1)) / n, None
    return None, "no totals in " + dumps[-1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default="3.11")
    parser.add_argument("-k", default="", help="only benchmarks whose Class::name contains this")
    parser.add_argument("-N", type=int, default=20000,
                        help="iterations of the counted pass (the object benchmarks run N/10)")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="valgrind processes at once")
    parser.add_argument("--runtimes", default=",".join(run.ALL_RUNTIMES))
    parser.add_argument("--suite", default="", help="microbench, objbench or both (default)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the extensions first")
    parser.add_argument("--cache", default=os.path.join(ROOT, ".cache"))
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    args = parser.parse_args(argv)
    runtimes = args.runtimes.split(",")

    pythons = run.venv_pythons(args.python)
    out_dir = os.path.join(args.cache, "bench", "callgrind")
    os.makedirs(out_dir, exist_ok=True)
    build_requests_module(pythons["cpy"], out_dir)
    report = {}
    for suite in run.selected_suites(args):
        paths = run.prepare(suite, args, pythons["cpy"], rebuild=args.rebuild)
        benches = [b for b in run.benchmark_ids(suite, paths["sources"]) if args.k in b]
        if benches:
            report[suite.name] = count_suite(suite, benches, runtimes, args, pythons, paths, out_dir)
    os.makedirs(args.out, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = os.path.join(args.out, "callgrind-%s-%s.json" % (args.python, stamp))
    with open(path, "w") as f:
        json.dump({"python": args.python, "suites": report}, f, indent=1)
    run.log("results written to %s" % os.path.relpath(path, ROOT))
    return 0


def count_suite(suite, benches, runtimes, args, pythons, paths, out_dir):
    """Counts, prints and returns one suite's table."""
    n = run.suite_n(suite, args.N)
    run.log("== %s: %d benchmarks x %s under callgrind: instructions per iteration "
            "(N=%d)" % (suite.title, len(benches), "/".join(runtimes), n))
    jobs = {}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for bench in benches:
            for runtime in runtimes:
                jobs[bench, runtime] = pool.submit(count, pythons[runtime], runtime, bench,
                                                   n, suite, paths, out_dir)
        header = "%-42s %9s %9s %9s %7s %7s %8s %9s %9s %8s %8s" % (
            "benchmark", "cpy Ir", "hpy Ir", "lich Ir", "hpy/C", "lich/C", "lich/hpy",
            "hdbg Ir", "ldbg Ir", "hdbg/hpy", "ldbg/lich")
        run.log(header)
        run.log("-" * len(header))
        results = {}
        for bench in benches:
            row = {r: jobs[bench, r].result() for r in runtimes}
            results[bench] = row
            run.log(format_row(bench, row))
    run.log("-" * len(header))
    complete = [row for row in results.values()
                if all(r in row and row[r][0] for r in RUNTIMES)]
    if complete:
        for name, a, b in (("HPy runtime / C API", "hpy", "cpy"), ("Lichen / C API", "lichen", "cpy"),
                           ("Lichen / HPy", "lichen", "hpy")):
            ratios = [row[a][0] / row[b][0] for row in complete]
            run.log("    %-20s %.3f (max %.3f)" % (name + ":", run.geomean(ratios), max(ratios)))
    for debug, universal in run.DEBUG_RUNTIMES.items():
        ratios = [row[debug][0] / row[universal][0] for row in results.values()
                  if row.get(debug, (None,))[0] and row.get(universal, (None,))[0]]
        if ratios:
            run.log("    %-20s %.3f (max %.3f) over %d benchmarks" % (
                "%s / %s:" % (debug, universal), run.geomean(ratios), max(ratios), len(ratios)))
    run.log(suite.goal)
    return {"N": n, "results": {b: {r: {"ir_per_iteration": v, "failure": e} for r, (v, e) in row.items()}
                                for b, row in results.items()}}


def ir(row, runtime):
    if runtime not in row:
        return "%9s" % "-"
    value = row[runtime][0]
    return "%9.0f" % value if value is not None else "%9s" % "failed"


def format_row(bench, row):
    cpy, hpy, lichen = (row.get(r, (None, None))[0] for r in RUNTIMES)
    hdbg, ldbg = (row.get(r, (None, None))[0] for r in run.DEBUG_RUNTIMES)
    line = "%-42s %s %s %s %s %s %s %s %s %s %s" % (
        bench, ir(row, "cpy"), ir(row, "hpy"), ir(row, "lichen"), run.ratio(hpy, cpy),
        run.ratio(lichen, cpy), run.ratio(lichen, hpy, 8), ir(row, "hpy-debug"),
        ir(row, "lichen-debug"), run.ratio(hdbg, hpy, 8), run.ratio(ldbg, lichen, 8))
    for runtime, (_, failure) in row.items():
        if failure:
            line += "\n    %s failed: %s" % (runtime, failure[:200])
    return line


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
