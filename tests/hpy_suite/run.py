#!/usr/bin/env python3
"""Run HPy 0.9.0's own test suite against Lichen.

For each CPython (the venvs ``.venv/X.Y`` that ``make venvs`` creates, in
which ``python -m lichen provide`` makes ``hpy.universal`` Lichen's) this
copies the ``test/`` folder of the hpy==0.9.0 sdist to a scratch directory,
runs pytest on it with pytest-xdist, keeps the tests of the chosen HPy modes
(``[universal]`` and ``[hybrid]`` by default) and counts the outcomes per
interpreter and mode from pytest's junit xml.

The sdist is fetched with pip at run time into ``.cache/`` (never committed).
A test that crashes its interpreter only costs its xdist worker, which is
restarted; the crash counts as a failure of that test.

Prints a table (counts per interpreter and mode, time per interpreter),
writes the failing tests to ``.cache/hpy-suite/failures.txt`` and ends with
the line ``N passed, N failed, N skipped`` (errors count as failures). Exits
non-zero if anything failed, or with ``--baseline FILE`` (what `make test`
uses: tests/hpy_suite/known-failures.txt) only if a test failed that FILE
does not list; listed tests that pass are printed as "now passing, remove
from list". ``--runtime hpy`` runs the same suite with HPy's own runtime
(venvs ``.venv/hpy-X.Y``), for comparison.

    python tests/hpy_suite/run.py                      # all venvs, universal+hybrid
    python tests/hpy_suite/run.py --python 3.11 -k argparse
    python tests/hpy_suite/run.py --modes all          # + debug, hybrid+debug, trace
    python tests/hpy_suite/run.py -- -x --lf           # extra pytest arguments
    python tests/hpy_suite/run.py --baseline tests/hpy_suite/known-failures.txt
    python tests/hpy_suite/run.py --write-baseline tests/hpy_suite/known-failures.txt
    python tests/hpy_suite/run.py --runtime hpy --python 3.11
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from lichen_select import mode_of  # noqa: E402

HPY_VERSION = "0.9.0"
ALL_PYTHONS = ["3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15"]
DEFAULT_MODES = ["universal", "hybrid"]
ALL_MODES = ["universal", "hybrid", "debug", "hybrid+debug", "trace"]
OUTCOMES = ["passed", "failed", "error", "skipped"]

# Tests that do not exercise the runtime: test_distutils builds and installs
# HPy itself (with its own hpy.universal) into fresh venvs from the network.
ALWAYS_IGNORED = ["test/hpy_devel/test_distutils.py"]

# (folder under tests/, name under the scratch test/): Lichen's tests that use
# HPy's fixtures; their ids carry the mode ([debug], [universal], ...).
LICHEN_TEST_DIRS = [("misuse", "lichen_misuse"), ("hpy_style", "lichen_hpy_style")]


def log(msg):
    print(msg, flush=True)


def venv_python(version, runtime="lichen"):
    name = version if runtime == "lichen" else "%s-%s" % (runtime, version)
    return os.path.join(ROOT, ".venv", name, "bin", "python")


def fetch_sdist(cache, python):
    """The unpacked hpy sdist in ``cache``, downloading it with pip if needed."""
    dest = os.path.join(cache, "hpy-sdist")
    unpacked = os.path.join(dest, "hpy-%s" % HPY_VERSION)
    if os.path.isdir(os.path.join(unpacked, "test")):
        return unpacked
    os.makedirs(dest, exist_ok=True)
    archives = glob.glob(os.path.join(dest, "hpy-%s.tar.gz" % HPY_VERSION))
    if not archives:
        log("== downloading the hpy==%s sdist into %s" % (HPY_VERSION, dest))
        subprocess.check_call(
            [python, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
             "hpy==%s" % HPY_VERSION, "-d", dest]
        )
        archives = glob.glob(os.path.join(dest, "hpy-%s.tar.gz" % HPY_VERSION))
    if not archives:
        sys.exit("run.py: pip did not produce hpy-%s.tar.gz in %s" % (HPY_VERSION, dest))
    tmp = unpacked + ".partial"
    shutil.rmtree(tmp, ignore_errors=True)
    with tarfile.open(archives[0]) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith("hpy-%s/" % HPY_VERSION)]
        tar.extractall(tmp, members=members)
    os.replace(os.path.join(tmp, "hpy-%s" % HPY_VERSION), unpacked)
    shutil.rmtree(tmp, ignore_errors=True)
    return unpacked


def junit_nodeid(case):
    """pytest's node id (``test/test_x.py::TestClass::test_y[universal]``) of a
    junit testcase; pytest runs with ``--rootdir`` = the scratch directory,
    so ``file`` is relative to it."""
    path = case.get("file", "")
    classname = case.get("classname", "")
    module = path[:-3].replace("/", ".") if path.endswith(".py") else ""
    parts = [path or classname.replace(".", "/") + ".py"]
    if module and classname.startswith(module + "."):
        parts.append(classname[len(module) + 1:])
    elif not module and "." in classname and classname.rsplit(".", 1)[1][:1].isupper():
        parts = [classname.rsplit(".", 1)[0].replace(".", "/") + ".py", classname.rsplit(".", 1)[1]]
    parts.append(case.get("name", ""))
    return "::".join(parts)


def parse_junit(path):
    """[(nodeid, mode, outcome, message)] from a junit xml file."""
    results = []
    tree = ET.parse(path)
    for case in tree.iter("testcase"):
        nodeid = junit_nodeid(case)
        children = {child.tag: child for child in case}
        if "failure" in children:
            outcome, node = "failed", children["failure"]
        elif "error" in children:
            outcome, node = "error", children["error"]
        elif "skipped" in children:
            outcome, node = "skipped", children["skipped"]
        else:
            outcome, node = "passed", None
        message = ""
        if node is not None:
            message = (node.get("message") or node.text or "").strip().splitlines()
            message = message[0][:300] if message else ""
        results.append((nodeid, mode_of(nodeid) or "other", outcome, message))
    return results


def run_one(version, args, sdist, cache):
    """Runs the suite on one interpreter; returns (results, problem)."""
    python = venv_python(version, args.runtime)
    if not os.path.exists(python):
        return [], "no venv %s (run `make venvs`)" % os.path.relpath(python, ROOT)
    scratch = os.path.join(cache, "hpy-suite", version if args.runtime == "lichen"
                           else "%s-%s" % (args.runtime, version))
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    shutil.copytree(os.path.join(sdist, "test"), os.path.join(scratch, "test"))
    # Lichen's own tests written for HPy's test infrastructure run with it.
    for ours, name in LICHEN_TEST_DIRS:
        shutil.copytree(os.path.join(ROOT, "tests", ours), os.path.join(scratch, "test", name))
    junit = os.path.join(scratch, "junit.xml")
    cmd = [
        python, "-m", "pytest", "test",
        "-p", "lichen_select", "-p", "no:cacheprovider",
        "--junitxml", junit, "-o", "junit_family=xunit1",
        "--basetemp", os.path.join(scratch, "tmp"), "--rootdir", scratch,
        "-q", "-rN", "--tb=short",
    ]
    if args.jobs > 0:
        cmd += ["-n", str(args.jobs), "--max-worker-restart", "100000"]
    if args.timeout > 0:
        # the thread method ends a hung worker; xdist then replaces it
        cmd += ["--timeout", str(args.timeout), "--timeout-method", "thread"]
    for ignored in ALWAYS_IGNORED:
        cmd += ["--ignore", ignored]
    if "trace" not in args.modes:
        cmd += ["--ignore", "test/trace"]
    if not {"debug", "hybrid+debug"} & set(args.modes):
        cmd += ["--ignore", "test/debug"]
    if args.k:
        cmd += ["-k", args.k]
    cmd += args.pytest_args
    env = dict(os.environ)
    env["PYTHONPATH"] = HERE + os.pathsep + env.get("PYTHONPATH", "")
    env["LICHEN_HPY_MODES"] = ",".join(args.modes)
    env["LICHEN_EXPECT_PROVIDER"] = args.runtime
    env.pop("HPY", None)
    env.pop("HPY_LOG", None)
    log("== HPy suite on %s (%s): %s" % (version, ",".join(args.modes), " ".join(cmd[1:])))
    t0 = time.time()
    out_path = os.path.join(scratch, "pytest.log")
    with open(out_path, "w") as out:
        rc = subprocess.call(cmd, cwd=scratch, env=env, stdout=out, stderr=subprocess.STDOUT)
    with open(out_path) as f:
        tail = f.read().splitlines()[-1:]
    log("   %s: pytest exit %d in %.0fs; %s (full log: %s)"
        % (version, rc, time.time() - t0, tail[0] if tail else "", os.path.relpath(out_path, ROOT)))
    if not os.path.exists(junit):
        return [], "pytest exited %d without a report; see %s" % (rc, out_path)
    results = parse_junit(junit)
    if rc not in (0, 1) and not any(o in ("failed", "error") for _, _, o, _ in results):
        # e.g. an internal error or usage error after a partial report
        return results, "pytest exited %d; see %s" % (rc, out_path)
    return results, None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=",".join(ALL_PYTHONS),
                        help="comma-separated X.Y versions (default: %(default)s)")
    parser.add_argument("--modes", default=",".join(DEFAULT_MODES),
                        help="comma-separated HPy modes, or 'all' for %s (default: %%(default)s)"
                        % ",".join(ALL_MODES))
    parser.add_argument("-n", "--jobs", type=int, default=2, help="xdist workers (default: 2)")
    parser.add_argument("--timeout", type=int, default=300,
                        help="seconds per test before its worker is ended (0: none)")
    parser.add_argument("-k", help="pytest -k expression")
    parser.add_argument("--cache", default=os.path.join(ROOT, ".cache"))
    parser.add_argument("--failures", default=None,
                        help="where to list failing tests (default: CACHE/hpy-suite/failures.txt)")
    parser.add_argument("--baseline", default=None,
                        help="file of known failures ('X.Y nodeid' per line): these are "
                             "reported but do not make the exit status non-zero; listed "
                             "tests that pass are printed as 'now passing, remove from list'")
    parser.add_argument("--write-baseline", default=None, metavar="PATH",
                        help="write this run's failures to PATH in the --baseline format")
    parser.add_argument("--runtime", choices=["lichen", "hpy"], default="lichen",
                        help="who serves hpy.universal: lichen (.venv/X.Y, default) or HPy's "
                             "own runtime (.venv/hpy-X.Y, from `scripts/venv.sh X.Y hpy`)")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)
    args.modes = ALL_MODES if args.modes == "all" else [m.strip() for m in args.modes.split(",") if m.strip()]
    versions = [v.strip() for v in args.python.split(",") if v.strip()]

    pythons = [venv_python(v, args.runtime) for v in versions
               if os.path.exists(venv_python(v, args.runtime))]
    if not pythons:
        sys.exit("run.py: none of the venvs for %s exists; run `make venvs` first"
                 % ",".join(versions))
    sdist = fetch_sdist(args.cache, pythons[0])

    table = {}  # (version, mode) -> {outcome: count}
    durations = {}  # version -> seconds
    ran = []  # (version, mode, nodeid, outcome, message) of every test
    problems = []
    t0 = time.time()
    for version in versions:
        t1 = time.time()
        results, problem = run_one(version, args, sdist, args.cache)
        durations[version] = time.time() - t1
        if problem:
            problems.append("%s: %s" % (version, problem))
        for mode in args.modes:
            table.setdefault((version, mode), dict.fromkeys(OUTCOMES, 0))
        for nodeid, mode, outcome, message in results:
            table.setdefault((version, mode), dict.fromkeys(OUTCOMES, 0))[outcome] += 1
            ran.append((version, mode, nodeid, outcome, message))
    failures = [r for r in ran if r[3] in ("failed", "error")]

    failures_path = args.failures or os.path.join(args.cache, "hpy-suite", "failures.txt")
    write_failures(failures_path, failures)
    if args.write_baseline:
        write_baseline(args.write_baseline, failures, args.runtime)

    print_table(table, durations, time.time() - t0, args.runtime)
    for p in problems:
        log("PROBLEM: " + p)
    if failures:
        log("failing tests listed in %s" % os.path.relpath(failures_path, ROOT))

    unexpected = failures
    if args.baseline:
        baseline = read_baseline(args.baseline)
        unexpected = [f for f in failures if baseline_key(f) not in baseline]
        fixed = [r for r in ran if r[3] == "passed" and baseline_key(r) in baseline]
        for version, mode, nodeid, _, message in unexpected:
            log("UNEXPECTED FAILURE %s %s: %s" % (version, nodeid, message))
        for version, mode, nodeid, _, _ in fixed:
            log("now passing, remove from list: %s %s" % (version, nodeid))
        log("%d of the %d failures are not in the known failures (%s); %d known failures "
            "now pass" % (len(unexpected), len(failures), os.path.relpath(args.baseline, ROOT),
                          len(fixed)))
    totals = {k: sum(c[k] for c in table.values()) for k in OUTCOMES}
    log("%d passed, %d failed, %d skipped" % (totals["passed"], totals["failed"] + totals["error"],
                                              totals["skipped"]))
    return 1 if (unexpected or problems) else 0


def baseline_key(result):
    """The known-failures line of a result: 'X.Y nodeid'."""
    return "%s %s" % (result[0], result[2])


def read_baseline(path):
    """The 'X.Y nodeid' lines of a known-failures file ('#' starts a comment)."""
    if not os.path.exists(path):
        sys.exit("run.py: no known-failures file %s" % path)
    with open(path) as f:
        lines = (line.split("#", 1)[0].strip() for line in f)
        return {line for line in lines if line}


def write_baseline(path, failures, runtime):
    with open(path, "w") as f:
        f.write("# HPy %s suite tests known to fail with hpy.universal served by %s.\n"
                "# One 'X.Y nodeid' per line. `make test` fails only on failures not listed\n"
                "# here, and prints listed tests that pass (remove them). Regenerate with\n"
                "#   python tests/hpy_suite/run.py --write-baseline tests/hpy_suite/known-failures.txt\n"
                % (HPY_VERSION, runtime))
        for line in sorted({baseline_key(r) for r in failures}, key=version_sort_key):
            f.write(line + "\n")
    log("wrote %d known failures to %s" % (len(failures), path))


def version_sort_key(line):
    """CPython versions in order, then the other VMs (``pypy``) by name."""
    version, nodeid = line.split(" ", 1)
    if version.replace(".", "").isdigit():
        return (0, tuple(int(x) for x in version.split(".")), ""), nodeid
    return (1, (), version), nodeid


def write_failures(path, failures):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("# HPy %s suite: failing tests (python mode outcome nodeid: message)\n"
                % HPY_VERSION)
        for version, mode, nodeid, outcome, message in failures:
            f.write("%s %s %s %s: %s\n" % (version, mode, outcome, nodeid, message))


def print_table(table, durations, elapsed, runtime):
    header = "%-8s %-14s %7s %7s %7s %7s %7s %7s" % (
        "python", "mode", "passed", "failed", "error", "skipped", "total", "time")
    log("")
    log("HPy %s test suite, hpy.universal from %s (%.0fs)" % (HPY_VERSION, runtime, elapsed))
    log(header)
    log("-" * len(header))
    totals = dict.fromkeys(OUTCOMES, 0)
    shown = set()
    for (version, mode), counts in table.items():
        for k in OUTCOMES:
            totals[k] += counts[k]
        when = "" if version in shown else "%6.0fs" % durations.get(version, 0)
        shown.add(version)
        log("%-8s %-14s %7d %7d %7d %7d %7d %7s" % (version, mode, counts["passed"],
                                                     counts["failed"], counts["error"],
                                                     counts["skipped"], sum(counts.values()), when))
    log("-" * len(header))
    log("%-8s %-14s %7d %7d %7d %7d %7d %6.0fs" % ("all", "", totals["passed"], totals["failed"],
                                                   totals["error"], totals["skipped"],
                                                   sum(totals.values()), elapsed))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
