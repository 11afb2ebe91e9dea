#!/usr/bin/env python3
"""The bridge part of `make bench` (`make bench-bridge`): what crossing
from lichen-rustpython into the embedded CPython costs.

Run with CPython 3.11. Builds a release lichen-rustpython if needed and
tests/bridge/bridgetest.c with CPython 3.11's headers, installs ujson's
CPython 3.11 wheel (the cache of tests/bridge/run.py), then prints:

  (a) the cost of one call of `bridgetest.identity(7)`, a C function with
      one small argument, through the bridge on lichen-rustpython, against
      the same extension on CPython 3.11 itself, and a builtin call
      (`abs(7)`) on each (a call's cost is the CPU time per iteration of a
      loop calling it minus that of a loop that does not call);
  (b) `ujson.dumps`/`ujson.loads` of a ~100 KB document through the bridge,
      against RustPython's own `json` and against ujson (and json) on
      CPython 3.11.

Times are CPU time of the worker process (`time.process_time`), best of
5 loops: on a shared machine wall time also counts other processes' time
slices. No thresholds: the numbers are printed, never asserted.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "bridge"))
import run as bridge_tests  # noqa: E402  (wheel_dir, PACKAGES, SUFFIX)


def log(msg=""):
    print(msg, flush=True)


def build_binary(target_dir):
    start = time.time()
    subprocess.check_call(["cargo", "build", "--release", "-q", "-p", "lichen-rustpython", "--ignore-rust-version"],
                          cwd=ROOT, env=dict(os.environ, CARGO_TARGET_DIR=target_dir))
    log("== cargo build --release -p lichen-rustpython: %.0fs" % (time.time() - start))
    return os.path.join(target_dir, "release", "lichen-rustpython")


def build_extension(work):
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    include = sysconfig.get_paths()["include"]
    subprocess.check_call([os.environ.get("CC", "cc"), "-shared", "-fPIC", "-O2", "-I", include,
                           os.path.join(ROOT, "tests", "bridge", "bridgetest.c"),
                           "-o", os.path.join(work, "bridgetest" + bridge_tests.SUFFIX)])
    shutil.copy(os.path.join(HERE, "bridge_worker.py"), work)


def run_worker(interpreter, work, path, label, calls, rounds):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path))
    out = subprocess.check_output([interpreter, "bridge_worker.py", label, str(calls), str(rounds)],
                                  cwd=work, env=env, text=True)
    return json.loads(out.strip().splitlines()[-1])


def us(seconds):
    return "%8.3f us" % (seconds * 1e6)


def ms(seconds):
    return "%8.2f ms" % (seconds * 1e3)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rustpython", help="a lichen-rustpython binary (default: build the release one)")
    parser.add_argument("--calls", type=int, default=200000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    if sys.version_info[:2] != (3, 11):
        sys.exit("bench/bridge.py: run it with CPython 3.11")
    target_dir = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    rp = os.path.abspath(args.rustpython) if args.rustpython else build_binary(target_dir)
    work = os.path.join(ROOT, ".cache", "bench", "bridge")
    build_extension(work)
    ujson_dir = bridge_tests.wheel_dir("ujson", bridge_tests.PACKAGES["ujson"][0])
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    log("== bench/bridge.py (load average before: %s; CPU time, best of 5)" % load)
    rp_bridge = run_worker(rp, work, [work, ujson_dir], "rustpython", args.calls, args.rounds)
    cpython = run_worker(sys.executable, work, [work, ujson_dir], "cpython", args.calls, args.rounds)
    log("document: %d bytes of JSON" % rp_bridge["doc_bytes"])
    log("(a) one call of bridgetest.identity(7), loop overhead subtracted")
    log("    lichen-rustpython, through the bridge  %s" % us(rp_bridge["call"]))
    log("    CPython 3.11, the same extension       %s" % us(cpython["call"]))
    log("    builtin abs(7): RustPython %s, CPython %s" % (us(rp_bridge["builtin_call"]), us(cpython["builtin_call"])))
    log("(b) the ~100 KB document                   dumps        loads")
    log("    ujson through the bridge (RustPython) %s  %s" % (ms(rp_bridge["ujson.dumps"]), ms(rp_bridge["ujson.loads"])))
    log("    RustPython's own json                 %s  %s" % (ms(rp_bridge["json.dumps"]), ms(rp_bridge["json.loads"])))
    log("    ujson on CPython 3.11                 %s  %s" % (ms(cpython["ujson.dumps"]), ms(cpython["ujson.loads"])))
    log("    json on CPython 3.11                  %s  %s" % (ms(cpython["json.dumps"]), ms(cpython["json.loads"])))
    for op in ("dumps", "loads"):
        log("    bridged ujson.%s vs RustPython's json.%s: %.1fx faster"
            % (op, op, rp_bridge["json." + op] / max(rp_bridge["ujson." + op], 1e-12)))


if __name__ == "__main__":
    main()
