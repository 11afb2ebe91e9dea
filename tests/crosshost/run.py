#!/usr/bin/env python3
"""Run the cross-host corpus: the same universal binaries on CPython (through
Lichen), on lichen-rustpython and on PyPy (Lichen's PyPy host), with the
same results.

Builds every extension of this folder ONCE (``setup.py --hpy-abi=universal
build_ext`` with the hpy.devel of ``.venv/hpy-3.11``) into
``.cache/crosshost/build``, then runs every ``test_*.py`` script

  - under CPython (this interpreter: ``.venv/3.11``, where Lichen provides
    ``hpy.universal``) in the universal, debug and trace modes (``HPY=...``;
    the debug run inside ``hpy.debug.LeakDetector``, so that a handle left
    open fails it),
  - under ``lichen-rustpython``, in universal and debug mode (the debug run
    inside the ``hpy.debug.LeakDetector`` Lichen freezes into it),
  - under PyPy (``.venv/pypy``, ``--pypy``; skipped with ``--pypy ''``) in
    the universal, debug (inside ``hpy.debug.LeakDetector``) and trace modes,

and compares their standard output with that of the universal CPython run
(standard error is not compared: ``HPy_Dump`` and warnings write there).

The trace runs count, through ``hpy.universal._trace.get_call_counts()``,
how often each context function was called; a function counts as
exercised when its count is non-zero in any script, per host (CPython,
PyPy) and over both. Prints the count and
the functions not exercised, and ``N passed, N failed`` (scripts). Exits
non-zero when a script fails on any host or mode, when outputs differ, or
when fewer than ``--min-exercised`` (150) functions were exercised.

    .venv/3.11/bin/python tests/crosshost/run.py
    .venv/3.11/bin/python tests/crosshost/run.py -k types   # only test_*types*
"""

import argparse
import difflib
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TIMEOUT = 300

# Runs a script with its __name__ set to "__main__", then writes the trace
# counts to the file named by argv[1], also when the script fails.
TRACE_DRIVER = """
import json, runpy, sys
out, script = sys.argv[1], sys.argv[2]
sys.argv = sys.argv[2:]
try:
    runpy.run_path(script, run_name="__main__")
finally:
    from hpy.universal import _trace
    with open(out, "w") as f:
        json.dump(_trace.get_call_counts(), f)
"""


# Runs a script under hpy.debug's LeakDetector: a handle the corpus opened
# and never closed fails the run (after the script's own output).
DEBUG_DRIVER = """
import runpy, sys
from hpy.debug import LeakDetector
script = sys.argv[1]
sys.argv = sys.argv[1:]
with LeakDetector():
    runpy.run_path(script, run_name="__main__")
"""


def log(msg=""):
    print(msg, flush=True)


def build(hpy_python, dest):
    """Builds the extensions into dest, once, in universal mode."""
    start = time.monotonic()
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    for f in glob.glob(os.path.join(HERE, "*.c")) + [os.path.join(HERE, "setup.py")]:
        shutil.copy(f, dest)
    r = subprocess.run(
        [hpy_python, "setup.py", "-q", "--hpy-abi=universal", "build_ext", "--inplace"],
        cwd=dest, capture_output=True, text=True,
    )
    if r.returncode != 0:
        log(r.stdout + r.stderr)
        sys.exit("run.py: building the extensions failed")
    built = sorted(os.path.basename(p) for p in glob.glob(os.path.join(dest, "*.hpy0.so")))
    log("== built once (universal ABI, %.0fs): %s" % (time.monotonic() - start, " ".join(built)))


class Run:
    """One script under one host and mode."""

    def __init__(self, script, label, argv, env):
        self.script, self.label, self.argv, self.env = script, label, argv, env
        self.returncode, self.stdout, self.stderr, self.seconds = None, "", "", 0.0

    def __call__(self):
        start = time.monotonic()
        try:
            r = subprocess.run(self.argv, env=self.env, capture_output=True, text=True, timeout=TIMEOUT,
                               cwd=os.path.dirname(self.script))
            self.returncode, self.stdout, self.stderr = r.returncode, r.stdout, r.stderr
        except subprocess.TimeoutExpired as e:
            self.returncode = "timeout"
            self.stdout = (e.stdout or b"").decode(errors="replace")
            self.stderr = (e.stderr or b"").decode(errors="replace")
        self.seconds = time.monotonic() - start
        return self


def environment(build_dir, hpy_mode):
    env = dict(os.environ)
    env.pop("HPY", None)
    if hpy_mode:
        env["HPY"] = hpy_mode
    # CPython finds the stub loaders hpy.devel writes next to the binaries,
    # lichen-rustpython the binaries themselves (its finder).
    env["PYTHONPATH"] = build_dir
    # Output is compared byte for byte: one hash seed, one encoding.
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def runs_for(script, build_dir, rustpython, pypy, counts_dir):
    """The runs of one script, and the trace counts files they write
    (host label -> path)."""
    name = os.path.basename(script)
    counts = {"cpython": os.path.join(counts_dir, name + ".json")}
    cpy = sys.executable
    runs = [
        Run(script, "cpython-universal", [cpy, script], environment(build_dir, None)),
        Run(script, "cpython-debug", [cpy, "-c", DEBUG_DRIVER, script], environment(build_dir, "debug")),
        Run(script, "cpython-trace", [cpy, "-c", TRACE_DRIVER, counts["cpython"], script], environment(build_dir, "trace")),
        Run(script, "rustpython", [rustpython, script], environment(build_dir, None)),
        Run(script, "rustpython-debug", [rustpython, "-c", DEBUG_DRIVER, script], environment(build_dir, "debug")),
    ]
    if pypy:
        counts["pypy"] = os.path.join(counts_dir, name + ".pypy.json")
        runs += [
            Run(script, "pypy-universal", [pypy, script], environment(build_dir, None)),
            Run(script, "pypy-debug", [pypy, "-c", DEBUG_DRIVER, script], environment(build_dir, "debug")),
            Run(script, "pypy-trace", [pypy, "-c", TRACE_DRIVER, counts["pypy"], script], environment(build_dir, "trace")),
        ]
    return runs, counts


def report_failure(run, reference):
    log("   %s: %s" % (run.label, "exit code %s" % run.returncode if run.returncode != 0 else "output differs"))
    if run.returncode != 0:
        log("   " + "\n   ".join(run.stderr.strip().splitlines()[-15:]))
    if reference is not None and run.stdout != reference.stdout:
        diff = difflib.unified_diff(reference.stdout.splitlines(), run.stdout.splitlines(),
                                    reference.label, run.label, lineterm="", n=1)
        log("   " + "\n   ".join(list(diff)[:40]))


def check_script(runs):
    """True when every run succeeded with the reference's output."""
    reference = runs[0]
    ok = True
    for run in runs:
        if run.returncode != 0 or run.stdout != reference.stdout:
            if ok:
                log("FAIL %s" % os.path.basename(run.script))
            ok = False
            report_failure(run, None if run is reference else reference)
    if ok:
        seconds = ", ".join("%s %.1fs" % (r.label, r.seconds) for r in runs)
        log("PASS %s (%d lines; %s)" % (os.path.basename(reference.script), len(reference.stdout.splitlines()), seconds))
    return ok


def abi_functions():
    """The context functions, in ABI order, from the ABI's declaration."""
    names = []
    with open(os.path.join(ROOT, "crates", "lichen-abi", "context.abi")) as f:
        for line in f:
            if line.startswith("fn "):
                names.append(line[3:line.index("(")].strip())
    return names


def exercised(count_files):
    """(names with a non-zero count in any trace run, names the trace counts)."""
    traced, used = set(), set()
    for path in count_files:
        if not os.path.exists(path):
            continue
        with open(path) as f:
            counts = json.load(f)
        traced.update(n.removeprefix("ctx_") for n in counts)
        used.update(n.removeprefix("ctx_") for n, c in counts.items() if c)
    return used, traced


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rustpython", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "debug", "lichen-rustpython"))
    ap.add_argument("--pypy", default=os.path.join(ROOT, ".venv", "pypy", "bin", "python"),
                    help="a PyPy where Lichen's PyPy host provides hpy.universal ('' to skip PyPy)")
    ap.add_argument("--hpy-python", default=os.path.join(ROOT, ".venv", "hpy-3.11", "bin", "python"),
                    help="the interpreter whose hpy.devel builds the extensions")
    ap.add_argument("--work", default=os.path.join(ROOT, ".cache", "crosshost"))
    ap.add_argument("--min-exercised", type=int, default=150)
    ap.add_argument("-k", default="", help="only the scripts whose name contains this")
    ap.add_argument("-j", type=int, default=2, help="runs in parallel")
    args = ap.parse_args()
    args.rustpython, args.hpy_python = os.path.abspath(args.rustpython), os.path.abspath(args.hpy_python)
    if args.pypy:
        args.pypy = os.path.abspath(args.pypy)
        if not os.access(args.pypy, os.X_OK):
            sys.exit("run.py: no PyPy at %s (make venvs makes .venv/pypy; --pypy '' skips PyPy)" % args.pypy)

    import hpy.universal
    if hpy.universal.__name__ != "lichen.universal":
        sys.exit("run.py: hpy.universal here is %s, not Lichen's (use .venv/3.11)" % hpy.universal.__name__)
    if not os.access(args.rustpython, os.X_OK):
        sys.exit("run.py: no lichen-rustpython at %s (cargo build -p lichen-rustpython)" % args.rustpython)

    start = time.monotonic()
    build_dir = os.path.join(args.work, "build")
    build(args.hpy_python, build_dir)
    scripts = sorted(p for p in glob.glob(os.path.join(HERE, "test_*.py")) if args.k in os.path.basename(p))
    # The scripts run from a copy next to the binaries, so that a traceback
    # names the same file on every host; check.py holds their helpers.
    for s in scripts + [os.path.join(HERE, "check.py")]:
        shutil.copy(s, build_dir)
    scripts = [os.path.join(build_dir, os.path.basename(s)) for s in scripts]
    counts_dir = tempfile.mkdtemp(prefix="crosshost-trace-")
    plans = [runs_for(s, build_dir, args.rustpython, args.pypy, counts_dir) for s in scripts]
    with ThreadPoolExecutor(max_workers=args.j) as pool:
        done = {id(r): r for r in pool.map(lambda r: r(), [r for runs, _ in plans for r in runs])}
    passed = failed = 0
    for runs, _ in plans:
        if check_script([done[id(r)] for r in runs]):
            passed += 1
        else:
            failed += 1

    functions = abi_functions()
    for host in sorted({h for _, c in plans for h in c}):
        host_used, _ = exercised([c[host] for _, c in plans if host in c])
        log("exercised on %s: %d of %d context functions" % (host, len(host_used & set(functions)), len(functions)))
    used, traced = exercised([path for _, c in plans for path in c.values()])
    shutil.rmtree(counts_dir, ignore_errors=True)
    log("exercised %d of %d context functions" % (len(used & set(functions)), len(functions)))
    missing = [n for n in functions if n not in used]
    log("not exercised: " + (", ".join(
        n + ("" if n in traced else " (not counted by the trace mode, which passes it through)")
        for n in missing) or "(none)"))
    enough = len(used & set(functions)) >= args.min_exercised
    if not enough:
        log("FAIL: fewer than %d context functions exercised" % args.min_exercised)
    log("time: %.0fs" % (time.monotonic() - start))
    log("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and enough else 1


if __name__ == "__main__":
    sys.exit(main())
