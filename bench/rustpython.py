#!/usr/bin/env python3
"""The RustPython part of `make bench`: call overhead and thread scaling of
an HPy universal extension on lichen-rustpython (a release build).

Prints:
  (a) the cost of one call of `rphost.twice` (an HPy function doing one
      HPy_Add) on RustPython through Lichen, against `_lichen.twice`, a
      builtin written in Rust for RustPython doing the same work, and against
      the same `rphost.hpy0.so` on CPython through Lichen. A call's cost is
      the time per iteration of a `for` loop calling it minus that of the
      empty loop, so the two interpreters' loop speeds cancel out;
  (b) the throughput of two threads each calling `rphost.spin` (CPU-bound,
      touching no Python object) against one thread: RustPython has no GIL,
      so on 2 idle cores the goal is at least 1.8x. The load average before
      the run is printed with it: other processes on the machine lower it.

No thresholds: the numbers are printed, never asserted.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "hpy_suite"))


def log(msg=""):
    print(msg, flush=True)


def build_binary(target_dir):
    """The release lichen-rustpython, built (or brought up to date) now."""
    start = time.time()
    subprocess.check_call(["cargo", "build", "--release", "-q", "-p", "lichen-rustpython", "--ignore-rust-version"],
                          cwd=ROOT, env=dict(os.environ, CARGO_TARGET_DIR=target_dir))
    log("== cargo build --release -p lichen-rustpython: %.0fs (up to date: ~0s; from clean: see bench/README.md)"
        % (time.time() - start))
    return os.path.join(target_dir, "release", "lichen-rustpython")


def build_extension(hpy_python, work):
    """A universal build of tests/rustpython/rphost.c in `work`."""
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    for name in ("rphost.c", "setup.py"):
        shutil.copy(os.path.join(ROOT, "tests", "rustpython", name), work)
    with open(os.path.join(work, "build.log"), "w") as out:
        subprocess.check_call([hpy_python, "setup.py", "-q", "--hpy-abi=universal", "build_ext", "--inplace"],
                              cwd=work, stdout=out, stderr=subprocess.STDOUT)
    shutil.copy(os.path.join(HERE, "rustpython_worker.py"), work)


def run_worker(interpreter, work, *args):
    out = subprocess.check_output([interpreter, "rustpython_worker.py", *map(str, args)], cwd=work,
                                  env=dict(os.environ, HPY="universal"))
    return json.loads(out.decode().strip().splitlines()[-1])


def load():
    one, five, _ = os.getloadavg()
    return "load average %.2f (1 min), %.2f (5 min) on %d cores" % (one, five, os.cpu_count())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default="3.11", help="X.Y of the venvs to use (default 3.11)")
    parser.add_argument("-N", type=int, default=2_000_000, help="calls per timed loop")
    parser.add_argument("--spin", type=int, default=200_000_000, help="iterations of rphost.spin per thread")
    parser.add_argument("--reps", type=int, default=5, help="timed passes (the best counts)")
    args = parser.parse_args(argv)

    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    binary = build_binary(target)
    cpython = os.path.join(ROOT, ".venv", args.python, "bin", "python")
    work = os.path.join(ROOT, ".cache", "bench", "rustpython")
    build_extension(os.path.join(ROOT, ".venv", "hpy-" + args.python, "bin", "python"), work)

    log("== (a) call overhead, N = %d, best of %d; %s" % (args.N, args.reps, load()))
    rp = run_worker(binary, work, "calls", args.N, args.reps)
    cp = run_worker(cpython, work, "calls", args.N, args.reps)
    net = {k: v - rp["empty"] for k, v in rp.items()}
    cp_net = cp["hpy"] - cp["empty"]
    log("  per loop iteration, ns:  RustPython: empty %.1f, HPy twice %.1f, Rust builtin %.1f;"
        "  CPython %s: empty %.1f, HPy twice %.1f" % (rp["empty"], rp["hpy"], rp["rust"], args.python, cp["empty"], cp["hpy"]))
    log("  per call (loop minus empty loop), ns:  HPy on RustPython %.1f, Rust builtin on RustPython %.1f,"
        " HPy on CPython %.1f" % (net["hpy"], net["rust"], cp_net))
    log("  ratio HPy/Rust builtin on RustPython: %.2f" % (net["hpy"] / net["rust"]))
    log("  ratio HPy on RustPython / HPy on CPython (both through Lichen): %.2f" % (net["hpy"] / cp_net))

    log("== (b) thread scaling, rphost.spin(%d) per thread, best of %d; %s" % (args.spin, args.reps, load()))
    t = run_worker(binary, work, "threads", args.spin, args.reps)
    log("  1 thread: %.3fs for 1 call; 2 threads: %.3fs for 2 calls; throughput 2 vs 1 thread: %.2fx (goal >= 1.8x);"
        " after: %s" % (t["one"], t["two"], 2 * t["one"] / t["two"], load()))


if __name__ == "__main__":
    main()
