#!/usr/bin/env python3
"""Run HPy 0.9.0's own test suite on lichen-rustpython.

    .venv/hpy-3.11/bin/python tests/rustpython/hpy_suite.py [--modes universal,debug,trace]
        [-j JOBS] [--timeout SECONDS] [-k EXPR] [--baseline FILE] [--list] [-- PYTEST_ARGS]

Prepares what it needs (from a fresh machine too): the hpy==0.9.0 sdist (the
fetch of tests/hpy_suite/run.py), the dev build of lichen-rustpython (its
interpreter optimised: see Cargo.toml), and pytest 7.4.4 with its
dependencies, setuptools and HPy's distribution (for `hpy.devel`; Lichen's
frozen `hpy` package lets it in) installed with pip into a user site under
.cache/rp-hpy-suite/ (PYTHONUSERBASE), so that its `.pth` files (setuptools'
distutils shim: RustPython, like CPython 3.12+, has no `distutils`) are
processed. Then copies the sdist's `test/` to a scratch directory and runs
`lichen-rustpython -m pytest` on it, keeping the tests of the chosen HPy
modes (tests/hpy_suite/lichen_select.py).

There are no pytest-xdist workers on RustPython: `-j N` starts N RustPython
processes instead, each on a share of the test files (split by size). A test
that ends the interpreter ends its process's run: the `rp_results` plugin
(tests/rustpython/suite) records each outcome as it happens and which test
started, and this script counts the test that was running as failed
("crashed") and starts pytest again on the tests not run yet.

Prints the counts per mode, the time taken, and compares with the list of
known failures (default tests/rustpython/hpy-suite-known-failures.txt):
exits non-zero if a test failed that the list does not name; listed tests
that pass are printed as "now passing, remove from list".
"""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "hpy_suite"))
sys.path.insert(0, os.path.join(HERE, "suite"))
import run as cpython_suite  # noqa: E402  (fetch_sdist)
from lichen_select import mode_of  # noqa: E402
from rp_results import done_ids  # noqa: E402

CACHE = os.path.join(ROOT, ".cache")
WORK = os.path.join(CACHE, "rp-hpy-suite")
USERBASE = os.path.join(WORK, "user")
# Exact versions: what was checked to import and run on RustPython 0.5.
# pytest 8+/9 does not compile on it (see the README); filelock 3.14+
# calls sys.addaudithook, which RustPython lacks; setuptools < 71 vendors a
# pyparsing whose module-level `vars()` RustPython's compiler gets wrong.
PACKAGES = [
    "pytest==7.4.4", "pluggy==1.7.0", "iniconfig==2.3.1", "packaging==26.4",
    "pytest-timeout==2.4.0", "filelock==3.13.1", "setuptools==80.9.0", "hpy==0.9.0",
]
# HPy's own tests of its setuptools integration, not of a runtime.
EXCLUDED = {os.path.join("test", "hpy_devel", "test_distutils.py")}
DEFAULT_BASELINE = os.path.join(HERE, "hpy-suite-known-failures.txt")
OUTCOMES = ["passed", "failed", "error", "skipped"]
# RustPython's debug build recurses deeply (pytest's import of its own
# modules overflows the 8 MiB default stack of the main thread).
STACK_BYTES = 1 << 30


def log(msg):
    print(msg, flush=True)


def build(bin_path):
    log("== cargo build -p lichen-rustpython")
    subprocess.check_call(["cargo", "build", "-q", "-p", "lichen-rustpython", "--ignore-rust-version"], cwd=ROOT)
    if not os.path.exists(bin_path):
        sys.exit("hpy_suite.py: %s was not built" % bin_path)


def big_stack():
    soft, hard = resource.getrlimit(resource.RLIMIT_STACK)
    want = STACK_BYTES if hard == resource.RLIM_INFINITY else min(STACK_BYTES, hard)
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_STACK, (want, hard))


def rp_env(extra_path=()):
    env = dict(os.environ)
    env["PYTHONUSERBASE"] = USERBASE
    env["PYTHONPATH"] = os.pathsep.join(list(extra_path) + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.pop("HPY", None)
    # RustPython's sysconfig has an empty CCSHARED (CPython's: -fPIC), so
    # setuptools would compile the tests' objects without it, and those
    # that reference their own global data do not link into a shared object.
    env["CFLAGS"] = (env.get("CFLAGS", "") + " -fPIC").strip()
    return env


def install_packages(bin_path):
    site = subprocess.check_output(
        [bin_path, "-c", "import site; print(site.getusersitepackages())"],
        env=rp_env(), preexec_fn=big_stack, text=True).strip()
    marker = os.path.join(site, ".installed")
    wanted = "\n".join(PACKAGES)
    if os.path.exists(marker) and open(marker).read() == wanted:
        return
    log("== pip install --target %s: %s" % (site, " ".join(PACKAGES)))
    shutil.rmtree(site, ignore_errors=True)
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", site] + PACKAGES)
    with open(marker, "w") as f:
        f.write(wanted)


def read_results(path):
    """{nodeid: (outcome, detail)}, and the test started last with no outcome."""
    results, started = {}, None
    if not os.path.exists(path):
        return results, None
    with open(path) as f:
        for line in f:
            kind, nodeid, detail = (line.rstrip("\n").split("\t") + ["", ""])[:3]
            if kind == "start":
                started = nodeid
                continue
            if kind == "error" or nodeid not in results or results[nodeid][0] != "error":
                results[nodeid] = (kind, detail)
            if nodeid == started:
                started = None
    return results, started


def read_baseline(path):
    """The node ids listed in a known-failures file (`nodeid  # reason`)."""
    listed = set()
    if path and os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if line:
                    listed.add(line)
    return listed


def split_files(scratch, n):
    """The suite's test files (paths relative to scratch) in n groups of
    about equal size, the largest file first."""
    sized = []
    for dirpath, _, names in os.walk(os.path.join(scratch, "test")):
        for name in names:
            path = os.path.relpath(os.path.join(dirpath, name), scratch)
            if name.startswith("test_") and name.endswith(".py") and path not in EXCLUDED:
                sized.append((os.path.getsize(os.path.join(scratch, path)), path))
    sized.sort(key=lambda sp: (-sp[0], sp[1]))
    n = max(1, n)
    groups, totals = [[] for _ in range(n)], [0] * n
    for size, path in sized:
        i = totals.index(min(totals))
        groups[i].append(path)
        totals[i] += size
    return [g for g in groups if g]


class Shard(threading.Thread):
    """One RustPython process running pytest on some of the files, started
    again on the tests not run yet whenever a test ends the interpreter."""

    def __init__(self, base, files, scratch, index, env):
        super().__init__()
        self.cmd = base + ["--basetemp", os.path.join(scratch, "tmp-%d" % index)] + files
        self.scratch = scratch
        self.results_path = os.path.join(scratch, "results-%d.tsv" % index)
        self.log_path = os.path.join(scratch, "pytest-%d.log" % index)
        self.env = dict(env, LICHEN_RP_RESULTS=self.results_path)
        self.crashes = 0
        self.error = None

    def run(self):
        with open(self.log_path, "w") as out:
            while True:
                rc = subprocess.call(self.cmd, cwd=self.scratch, env=self.env, stdout=out,
                                     stderr=subprocess.STDOUT, preexec_fn=big_stack)
                _, started = read_results(self.results_path)
                if started is None:
                    break
                self.crashes += 1
                with open(self.results_path, "a") as f:
                    f.write("failed\t%s\tcrashed: the interpreter ended (exit status %d)\n" % (started, rc))
                log("   crashed in %s (exit %d), restarting" % (started, rc))
        if rc not in (0, 1, 5):  # 5: nothing left to run
            self.error = "hpy_suite.py: pytest exited %d; see %s" % (rc, self.log_path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modes", default="universal,debug,trace")
    parser.add_argument("--timeout", type=int, default=300, help="per-test timeout in seconds (0: none)")
    parser.add_argument("-k", help="pytest -k expression")
    parser.add_argument("--baseline", default=DEFAULT_BASELINE)
    parser.add_argument("-j", "--jobs", type=int, default=1,
                        help="RustPython processes, each running a share of the test files")
    parser.add_argument("--list", action="store_true", help="print every failing test with its message")
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args()

    start = time.time()
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    bin_path = os.path.join(target, "debug", "lichen-rustpython")
    sdist = cpython_suite.fetch_sdist(CACHE, sys.executable)
    build(bin_path)
    install_packages(bin_path)

    scratch = os.path.join(WORK, "run")
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    shutil.copytree(os.path.join(sdist, "test"), os.path.join(scratch, "test"))
    base = [bin_path, "-m", "pytest", "-p", "rp_results", "-p", "lichen_select",
            "-p", "no:cacheprovider", "-q", "-rN", "--rootdir", scratch]
    if args.timeout > 0:
        base += ["--timeout", str(args.timeout), "--timeout-method", "thread"]
    if args.k:
        base += ["-k", args.k]
    base += args.pytest_args
    env = rp_env([os.path.join(HERE, "suite"), os.path.join(ROOT, "tests", "hpy_suite")])
    env["LICHEN_HPY_MODES"] = args.modes
    # lichen_select checks CPython's provider; rp_results checks RustPython's.
    env["LICHEN_EXPECT_PROVIDER"] = "rustpython"

    groups = split_files(scratch, args.jobs)
    log("== %s FILES (%d processes; logs: %s)" % (" ".join(base[1:]), len(groups),
                                                  os.path.join(scratch, "pytest-*.log")))
    runs = [Shard(base, files, scratch, i, env) for i, files in enumerate(groups)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    for run in runs:
        if run.error:
            sys.exit(run.error)
    crashes = sum(run.crashes for run in runs)
    elapsed = time.time() - start

    results = {}
    for run in runs:
        results.update(read_results(run.results_path)[0])
    modes = [m.strip() for m in args.modes.split(",")]
    counts = {m: dict.fromkeys(OUTCOMES, 0) for m in modes}
    failing = {}
    for nodeid, (outcome, detail) in sorted(results.items()):
        counts.setdefault(mode_of(nodeid) or "none", dict.fromkeys(OUTCOMES, 0))[outcome] += 1
        if outcome in ("failed", "error"):
            failing[nodeid] = detail
    log("\n%-10s %7s %7s %7s %7s" % ("mode", *OUTCOMES))
    for mode, c in counts.items():
        log("%-10s %7d %7d %7d %7d" % (mode, *(c[o] for o in OUTCOMES)))
    total = {o: sum(c[o] for c in counts.values()) for o in OUTCOMES}
    log("%-10s %7d %7d %7d %7d" % ("total", *(total[o] for o in OUTCOMES)))
    with open(os.path.join(WORK, "failures.txt"), "w") as f:
        for nodeid, detail in failing.items():
            f.write("%s\t%s\n" % (nodeid, detail))
    if args.list:
        for nodeid, detail in failing.items():
            log("FAIL %s: %s" % (nodeid, detail))

    listed = read_baseline(args.baseline)
    unexpected = sorted(set(failing) - listed)
    fixed = sorted(n for n in listed if n in results and results[n][0] in ("passed", "skipped"))
    for nodeid in fixed:
        log("now passing, remove from list: %s" % nodeid)
    for nodeid in unexpected:
        log("UNEXPECTED FAILURE %s: %s" % (nodeid, failing[nodeid]))
    log("%d passed, %d failed, %d errors, %d skipped (%d crashes) in %.0fs; %d unexpected failures"
        % (total["passed"], total["failed"], total["error"], total["skipped"], crashes, elapsed, len(unexpected)))
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
