#!/usr/bin/env python3
"""The bridge's tests on lichen-rustpython (`make test-bridge`).

    python3.11 tests/bridge/run.py [--rustpython BIN] [--packages ujson,msgpack,markupsafe]
        [--skip-own] [--list]

Run with CPython 3.11 (its pip installs the wheels, its headers build the
test extensions). Prepares, under ${LICHEN_CACHE:-~/.cache/lichen}/bridge
(never in the repository):

- the three packages' CPython 3.11 manylinux wheels, unchanged
  (`pip install --target wheels/NAME-VERSION --only-binary :all:`);
- their sdists (`pip download --no-binary :all:`), whose test suites are
  copied to a scratch directory;
- pytest 7.4.4 for RustPython (`pip install --target pytest`);
- the test extensions of tests/bridge (bridgetest, badinit,
  bridgepkg._speedups), compiled with CPython 3.11's headers.

Then runs, each with `lichen-rustpython -m pytest`, two at a time
(--jobs): tests/bridge/test_bridge.py, and each package's own suite with
only its wheel's folder and pytest on the path. Outcomes are recorded as they happen
(tests/rustpython/suite/rp_results.py); a test that ends the interpreter is
counted as failed and pytest is started again on the rest. Fails if a
failure is not listed in tests/bridge/known-failures.txt, or if a
package's pass rate (passed / (passed + failed + errors)) is below 90%.
"""

import argparse
import concurrent.futures
import os
import resource
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

CACHE = os.path.join(os.environ.get("LICHEN_CACHE") or os.path.expanduser("~/.cache/lichen"), "bridge")
# Exact versions: the ones whose suites the known-failures list describes.
PACKAGES = {
    "ujson": ("6.1.0", "tests"),
    "msgpack": ("1.2.4", "test"),
    "markupsafe": ("3.0.4", "tests"),
}
# pytest 8+ does not compile on RustPython 0.5 (see crates/lichen-rustpython/README.md).
PYTEST = ["pytest==7.4.4", "pluggy==1.7.0", "iniconfig==2.3.1", "packaging==26.4"]
EXTENSIONS = {"bridgetest": "bridgetest.c", "badinit": "badinit.c", "bridgepkg/_speedups": "pkgspeedups.c"}
SUFFIX = ".cpython-311-x86_64-linux-gnu.so"
KNOWN = os.path.join(HERE, "known-failures.txt")
PASS_RATE = 0.90
STACK_BYTES = 1 << 30


def read_results(path):
    """{nodeid: (outcome, detail)} from rp_results' file, and the test
    started last without an outcome (the one running when pytest ended)."""
    results, started = {}, None
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                kind, nodeid, detail = (line.rstrip("\n").split("\t") + ["", ""])[:3]
                if kind == "start":
                    started = nodeid
                    continue
                if kind == "error" or results.get(nodeid, ("",))[0] != "error":
                    results[nodeid] = (kind, detail)
                if nodeid == started:
                    started = None
    return results, started


def read_baseline(path):
    """The test ids a known-failures file lists (`label::nodeid  # cause`)."""
    listed = set()
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if line:
                    listed.add(line)
    return listed


def log(msg):
    print(msg, flush=True)


def pip(*args):
    env = dict(os.environ, PIP_ROOT_USER_ACTION="ignore", PIP_DISABLE_PIP_VERSION_CHECK="1")
    subprocess.check_call([sys.executable, "-m", "pip", "-q", *args], env=env)


def once(directory, what):
    """Runs `what(directory)` unless a finished copy is there."""
    marker = os.path.join(directory, ".complete")
    if not os.path.exists(marker):
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory)
        what(directory)
        open(marker, "w").close()
    return directory


def wheel_dir(name, version):
    log("== wheel %s==%s" % (name, version))
    return once(os.path.join(CACHE, "wheels", "%s-%s" % (name, version)),
                lambda d: pip("install", "--target", d, "--only-binary", ":all:", "--no-deps", "%s==%s" % (name, version)))


def sdist_dir(name, version):
    def fetch(d):
        pip("download", "--no-binary", ":all:", "--no-deps", "-d", d, "%s==%s" % (name, version))
        archive = next(f for f in os.listdir(d) if f.endswith(".tar.gz"))
        with tarfile.open(os.path.join(d, archive)) as t:
            t.extractall(d)
    d = once(os.path.join(CACHE, "sdists", "%s-%s" % (name, version)), fetch)
    return next(os.path.join(d, e) for e in os.listdir(d) if os.path.isdir(os.path.join(d, e)))


def pytest_dir():
    return once(os.path.join(CACHE, "pytest-7.4.4"), lambda d: pip("install", "--target", d, "--no-deps", *PYTEST))


def build_extensions(out):
    """Compiles the test extensions with this CPython's headers."""
    include = sysconfig.get_paths()["include"]
    cc = os.environ.get("CC", "cc")
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(os.path.join(HERE, "bridgepkg"), os.path.join(out, "bridgepkg"))
    for name, source in EXTENSIONS.items():
        subprocess.check_call([cc, "-shared", "-fPIC", "-O1", "-I", include, os.path.join(HERE, source),
                               "-o", os.path.join(out, name + SUFFIX)])


def big_stack():
    # RustPython's debug build recurses deeply while pytest imports itself.
    soft, hard = resource.getrlimit(resource.RLIMIT_STACK)
    want = STACK_BYTES if hard == resource.RLIM_INFINITY else min(STACK_BYTES, hard)
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_STACK, (want, hard))


def run_pytest(bin_path, label, workdir, target, path, env_extra=None):
    """Runs pytest on `target` in `workdir`, restarting after crashes;
    returns {nodeid: (outcome, detail)} and the crash count."""
    results_path = os.path.join(workdir, "results-%s.tsv" % label)
    log_path = os.path.join(workdir, "pytest-%s.log" % label)
    if os.path.exists(results_path):
        os.remove(results_path)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(path + [HERE, os.path.join(ROOT, "tests", "rustpython", "suite")])
    env["LICHEN_RP_RESULTS"] = results_path
    env.update(env_extra or {})
    # --assert=plain --tb=native: pytest's assertion rewriting and its
    # tracebacks parse the test files with `ast.parse`, which on RustPython
    # 0.5 builds a line index per node (minutes for ujson's 2000 lines), and
    # RustPython's compile() of an AST loses str constants holding lone
    # surrogates. The outcomes are the same; only failure messages are
    # plainer.
    cmd = [bin_path, "-m", "pytest", target, "-p", "rp_results", "-p", "rp_workarounds", "-p", "no:cacheprovider", "-q", "-rN",
           "--rootdir", workdir, "--assert=plain", "--tb=native", "--continue-on-collection-errors"]
    crashes = 0
    with open(log_path, "w") as out:
        while True:
            rc = subprocess.call(cmd, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT, preexec_fn=big_stack)
            results, started = read_results(results_path)
            if started is None:
                break
            crashes += 1
            with open(results_path, "a") as f:
                f.write("failed\t%s\tcrashed: the interpreter ended (exit status %d)\n" % (started, rc))
            log("   crashed in %s (exit %d), restarting" % (started, rc))
    if rc not in (0, 1):
        log("   pytest exited %d; see %s" % (rc, log_path))
    results, _ = read_results(results_path)
    if not results:
        results = {"%s::<collection>" % label: ("error", "pytest ran no test (exit %d); see %s" % (rc, log_path))}
    return results, crashes


def cpython_test_ids(workdir, target, path):
    """The ids of the tests pytest collects from `target` on CPython 3.11
    (this interpreter): the suite's size, whatever RustPython collects."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path + [HERE]))
    out = subprocess.run([sys.executable, "-m", "pytest", target, "--collect-only", "-q", "-p", "no:cacheprovider",
                          "-p", "rp_workarounds", "--rootdir", workdir],
                         cwd=workdir, env=env, capture_output=True, text=True).stdout
    return [line.strip() for line in out.splitlines() if "::" in line]


def add_uncollected(results, expected, log_path):
    """Counts the tests CPython collects that never ran on RustPython (their
    module failed to import there) as errors."""
    for nodeid in expected:
        if nodeid not in results:
            results[nodeid] = ("error", "not collected on RustPython (its module failed to import; see %s)" % log_path)


def summarize(label, results, crashes, known, list_all):
    counts = {o: 0 for o in ("passed", "failed", "error", "skipped")}
    for outcome, _ in results.values():
        counts[outcome] = counts.get(outcome, 0) + 1
    ran = counts["passed"] + counts["failed"] + counts["error"]
    rate = counts["passed"] / ran if ran else 0.0
    failing = {n: d for n, (o, d) in results.items() if o in ("failed", "error")}
    unexpected = sorted(n for n in failing if "%s::%s" % (label, n) not in known and n not in known)
    fixed = sorted(n for n, (o, _) in results.items() if o in ("passed", "skipped") and "%s::%s" % (label, n) in known)
    log("%-12s %5d passed %4d failed %4d errors %4d skipped %2d crashes  pass rate %.1f%%"
        % (label, counts["passed"], counts["failed"], counts["error"], counts["skipped"], crashes, 100 * rate))
    for n in fixed:
        log("   now passing, remove from list: %s::%s" % (label, n))
    for n in sorted(failing):
        if list_all or n in unexpected:
            log("   %s %s: %s" % ("UNEXPECTED FAILURE" if n in unexpected else "known failure", n, failing[n]))
    return counts, rate, unexpected


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    target_dir = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    parser.add_argument("--rustpython", default=os.path.join(target_dir, "debug", "lichen-rustpython"))
    parser.add_argument("--packages", default=",".join(PACKAGES))
    parser.add_argument("--skip-own", action="store_true")
    parser.add_argument("--list", action="store_true", help="print every failure with its message")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", "2")),
                        help="pytest runs at a time (default: $JOBS or 2)")
    args = parser.parse_args()
    if sys.version_info[:2] != (3, 11):
        sys.exit("tests/bridge/run.py: run it with CPython 3.11 (its pip, its headers)")
    start = time.time()
    bin_path = os.path.abspath(args.rustpython)
    if not os.path.exists(bin_path):
        sys.exit("tests/bridge/run.py: %s not built (cargo build -p lichen-rustpython)" % bin_path)
    known = read_baseline(KNOWN)
    work = os.path.join(CACHE, "work")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    pytest_path = pytest_dir()

    # Everything is prepared first; the pytest runs then go in parallel
    # (--jobs), each on its own interpreter.
    runs, expected = [], {}
    if not args.skip_own:
        build = os.path.join(work, "build")
        build_extensions(build)
        shutil.copy(os.path.join(HERE, "test_bridge.py"), work)
        runs.append(("own", work, "test_bridge.py", [build, pytest_path], {"LICHEN_BRIDGE_TEST_DIR": build}))
    for name in [p for p in args.packages.split(",") if p]:
        version, tests = PACKAGES[name]
        wheels = wheel_dir(name, version)
        sdist = sdist_dir(name, version)
        pkg_work = os.path.join(work, name)
        os.makedirs(pkg_work)
        shutil.copytree(os.path.join(sdist, tests), os.path.join(pkg_work, tests))
        runs.append((name, pkg_work, tests, [wheels, pytest_path], {}))
        expected[name] = cpython_test_ids(pkg_work, tests, [wheels, pytest_path])
    # The longest suite first, so that the others share the second lane.
    runs.sort(key=lambda r: r[0] != "ujson")
    log("== pytest on lichen-rustpython: %s (%d at a time)" % (", ".join(r[0] for r in runs), args.jobs))
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        done = dict(zip([r[0] for r in runs], pool.map(lambda r: run_pytest(bin_path, *r), runs)))

    failed = False
    for label, *_ in sorted(runs, key=lambda r: list(PACKAGES).index(r[0]) if r[0] in PACKAGES else -1):
        results, crashes = done[label]
        add_uncollected(results, expected.get(label, []), os.path.join(work, label, "pytest-%s.log" % label))
        _, rate, unexpected = summarize(label, results, crashes, known, args.list)
        if label != "own" and rate < PASS_RATE:
            log("   %s: pass rate below %.0f%%" % (label, 100 * PASS_RATE))
            failed = True
        failed |= bool(unexpected)
    log("== bridge tests: %.0fs, %s" % (time.time() - start, "FAILED" if failed else "OK"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
