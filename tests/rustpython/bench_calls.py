# bench_calls.py: a first look at call overhead on lichen-rustpython (run
# with a release build): an HPy function through Lichen against a builtin
# written in Rust for RustPython and a Python function, each taking one int.
import time
import rphost

N = 200_000


def per_call(f):
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for i in range(N):
            f(i)
        best = min(best, time.perf_counter() - start)
    return best / N * 1e9


hpy = per_call(rphost.twice)
rust = per_call(abs)
py = per_call(lambda x: x + x)
print(f"per loop iteration with one call: HPy twice {hpy:.0f} ns, "
      f"Rust builtin abs {rust:.0f} ns, Python lambda {py:.0f} ns; "
      f"HPy/Rust ratio {hpy / rust:.2f}")
