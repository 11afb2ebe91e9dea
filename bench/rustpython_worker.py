# Worker of bench/rustpython.py, run by lichen-rustpython or by CPython with
# Lichen as hpy.universal, next to a universal build of rphost. Prints one
# JSON object.
#   calls N REPS: nanoseconds per iteration of a `for` loop that calls
#       rphost.twice (an HPy function: one HPy_Add), the Rust builtin
#       _lichen.twice (the same work, RustPython only) or nothing; best of REPS.
#   threads N REPS: seconds for one thread to run rphost.spin(N) (a CPU-bound
#       extension function) and for two threads to run one each at once;
#       best of REPS of each, taken in turns.
import json
import sys
import threading
import time

import rphost


def loop_ns(f, n, reps):
    best = float("inf")
    for _ in range(reps):
        r = range(n)
        start = time.perf_counter()
        if f is None:
            for i in r:
                pass
        else:
            for i in r:
                f(i)
        best = min(best, time.perf_counter() - start)
    return best / n * 1e9


def calls(n, reps):
    out = {"empty": loop_ns(None, n, reps), "hpy": loop_ns(rphost.twice, n, reps)}
    try:
        import _lichen
    except ImportError:
        return out
    out["rust"] = loop_ns(_lichen.twice, n, reps)
    return out


def spin_seconds(nthreads, n):
    threads = [threading.Thread(target=rphost.spin, args=(n,)) for _ in range(nthreads)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def threads(n, reps):
    # Alternating, so that a burst of other work on the machine hits both.
    one, two = float("inf"), float("inf")
    for _ in range(reps):
        one = min(one, spin_seconds(1, n))
        two = min(two, spin_seconds(2, n))
    return {"one": one, "two": two}


what, n, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
print(json.dumps({"calls": calls, "threads": threads}[what](n, reps)))
