#!/usr/bin/env python3
"""The Rust author bindings' tests (issue 9): extensions written in safe
Rust with lichen-hpy, built once, run on every runtime.

1. ``pip wheel`` builds, once, the wheels of ``examples/rust/pof`` (HPy
   0.9.0's proof-of-concept), ``examples/rust/piconumpy``,
   ``examples/rust/registry`` and ``tests/rust_authors/ext`` through
   ``build_backend/lichen_hpy_build.py``.
2. On each runtime ``pip install --target`` puts those same wheels in a
   scratch directory (the sha256 of every ``.hpy0.so`` is printed: the same
   on every line) and pytest runs, with that directory on ``PYTHONPATH``:
   the sdist's ``proof-of-concept/test_pof.py`` unchanged, the examples'
   tests and ``test_rustext.py``, in universal and debug mode (debug mode
   adds ``test_debug_leak.py``: a forgotten handle is reported).

Runtimes: CPython X.Y through Lichen (``.venv/X.Y``), PyPy through Lichen's
PyPy host (``.venv/pypy``, ``.venv/pypy8.0``), CPython with HPy's own
runtime (``.venv/hpy-X.Y``, no Lichen) and ``lichen-rustpython`` (pytest
7.4.4 as tests/rustpython/hpy_suite.py installs it). Tests listed in
KNOWN below may fail on the runtime named there (with the reason); any
other failure fails the run. Prints a table and "N passed, N failed".
"""

import argparse
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WORK = os.path.join(ROOT, ".cache", "rust-authors")
CRATES = ["examples/rust/pof", "examples/rust/piconumpy", "examples/rust/registry", "tests/rust_authors/ext"]
SDIST = os.path.join(ROOT, ".cache", "hpy-sdist", "hpy-0.9.0")
TESTS = [
    os.path.join(SDIST, "proof-of-concept", "test_pof.py"),
    os.path.join(ROOT, "examples/rust/piconumpy/tests/test_piconumpy.py"),
    os.path.join(ROOT, "examples/rust/registry/tests/test_registry.py"),
    os.path.join(HERE, "test_rustext.py"),
]
DEBUG_TESTS = [os.path.join(HERE, "test_debug_leak.py")]
# runtime kind or label -> {test name: why it may fail there}
KNOWN = {
    "pypy": {
        "test_buffer_export_and_growth_while_exported":
            "the PyPy host runs HPy_bf_releasebuffer when the exported memory is garbage-collected, "
            "not at memoryview.release() (one of its known failures in HPy's suite, README issue 10), "
            "so the Samples still count an export after m.release(); on PyPy 7.3.11 the test stops "
            "earlier: bytes() of a memoryview of a cffi buffer cast to another format "
            "(memoryview(ffi.buffer(p, 24)).cast('B').cast('d', [3]), as python/lichen/_pypy/types.py "
            "_memoryview builds it) raises MemoryError, without Lichen too",
    },
}


# (runtime kind, mode) -> {test: why it cannot run there}: tests that end the
# process on that runtime, so they are left out (and listed in the output).
NOT_RUN = {
    ("hpy", "debug"): {
        "examples/rust/registry/tests/test_registry.py::test_subclass_and_global_default":
            "HPy 0.9's debug mode takes a Python subclass of an HPy type for a legacy type "
            "and aborts in _HPy_AsStruct_Object (a C extension's X_AsStruct does the same)",
        "tests/rust_authors/test_rustext.py::test_subclass_and_no_constructor": "the same",
    },
}


def log(msg):
    print(msg, flush=True)


def build_wheels(python):
    out = os.path.join(WORK, "wheels")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    for crate in CRATES:
        log("== pip wheel %s" % crate)
        subprocess.check_call([python, "-m", "pip", "wheel", "-q", "--no-deps", "-w", out, os.path.join(ROOT, crate)])
    return sorted(glob.glob(os.path.join(out, "*.whl")))


def install(python, wheels, label):
    target = os.path.join(WORK, "site", label)
    shutil.rmtree(target, ignore_errors=True)
    subprocess.check_call([python, "-m", "pip", "install", "-q", "--no-deps", "--target", target] + wheels)
    return target


def shas(target):
    out = []
    for so in sorted(glob.glob(os.path.join(target, "**", "*.hpy0.so"), recursive=True)):
        with open(so, "rb") as f:
            out.append("%s %s" % (os.path.relpath(so, target), hashlib.sha256(f.read()).hexdigest()[:16]))
    return out


def pytest_counts(output):
    """(passed, failed names) from pytest's -rA short summary."""
    passed = len(re.findall(r"^PASSED ", output, re.M))
    failed = re.findall(r"^(?:FAILED|ERROR) \S+::(\S+)", output, re.M)
    return passed, failed


def run_pytest(cmd, env, cwd, preexec=None):
    p = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=preexec)
    passed, failed = pytest_counts(p.stdout)
    if p.returncode not in (0, 1) or (p.returncode == 1 and not failed):
        failed = failed or ["(pytest exited %d)" % p.returncode]
    return passed, failed, p.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--python", default="3.11", help="comma-separated CPython versions run through Lichen")
    ap.add_argument("--pypy", default="", help="comma-separated PyPy venvs (pypy, pypy8.0) run through Lichen")
    ap.add_argument("--hpy", default="3.11", help="CPython versions run with HPy's own runtime ('' for none)")
    ap.add_argument("--rustpython", default="", help="path of lichen-rustpython ('' to skip)")
    ap.add_argument("--modes", default="universal,debug")
    ap.add_argument("--build-python", default=os.path.join(ROOT, ".venv", "3.11", "bin", "python"))
    args = ap.parse_args()
    if not os.path.isdir(os.path.join(SDIST, "proof-of-concept")):
        sys.path.insert(0, os.path.join(ROOT, "tests", "hpy_suite"))
        import run as suite

        suite.fetch_sdist(os.path.join(ROOT, ".cache"), args.build_python)
    wheels = build_wheels(args.build_python)
    runtimes = [("lichen-" + v, "cpython", os.path.join(ROOT, ".venv", v, "bin", "python")) for v in filter(None, args.python.split(","))]
    runtimes += [("lichen-" + v, "pypy", os.path.join(ROOT, ".venv", v, "bin", "python")) for v in filter(None, args.pypy.split(","))]
    runtimes += [("hpy-" + v, "hpy", os.path.join(ROOT, ".venv", "hpy-" + v, "bin", "python")) for v in filter(None, args.hpy.split(","))]
    if args.rustpython:
        runtimes.append(("rustpython", "rustpython", os.path.abspath(args.rustpython)))
    rows, total_pass, unexpected = [], 0, []
    for label, kind, exe in runtimes:
        env = dict(os.environ)
        preexec = None
        if kind == "rustpython":
            sys.path.insert(0, os.path.join(ROOT, "tests", "rustpython"))
            import hpy_suite

            hpy_suite.install_packages(exe)
            target = install(args.build_python, wheels, label)
            env = hpy_suite.rp_env([target])
            preexec = hpy_suite.big_stack
        else:
            if subprocess.call([exe, "-c", "import pytest"], stderr=subprocess.DEVNULL) != 0:
                subprocess.check_call([exe, "-m", "pip", "install", "-q", "pytest"])
            target = install(exe, wheels, label)
            env["PYTHONPATH"] = target
        for line in shas(target):
            log("   %-12s %s" % (label, line))
        for mode in args.modes.split(","):
            env["HPY"] = mode
            tests = TESTS + (DEBUG_TESTS if mode == "debug" else [])
            cmd = [exe, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider"] + tests
            for test, why in NOT_RUN.get((kind, mode), {}).items():
                log("   %-12s %s: not run: %s (%s)" % (label, mode, test, why))
                cmd += ["--rootdir", ROOT, "--deselect", test]
            passed, failed, out = run_pytest(cmd, env, WORK, preexec)
            known = dict(KNOWN.get(kind, {}), **KNOWN.get(label, {}))
            bad = [f for f in failed if f.split("[")[0] not in known]
            for f in failed:
                if f not in bad:
                    log("   %-12s %s: known failure %s: %s" % (label, mode, f, known[f.split("[")[0]]))
            if bad:
                log(out)
            total_pass += passed
            unexpected += ["%s/%s: %s" % (label, mode, f) for f in bad]
            pof = run_pytest([exe, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", TESTS[0]], env, WORK, preexec)
            rows.append((label, mode, passed, len(failed), len(failed) - len(bad), "%d/12" % pof[0]))
    log("\n%-14s %-10s %7s %7s %7s %8s" % ("runtime", "mode", "passed", "failed", "known", "test_pof"))
    for r in rows:
        log("%-14s %-10s %7d %7d %7d %8s" % r)
    for u in unexpected:
        log("UNEXPECTED FAILURE " + u)
    log("%d passed, %d failed" % (total_pass, len(unexpected)))
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
