"""Run by bench/bridge.py in lichen-rustpython and in CPython 3.11: times
one bridged (or native) call and ujson/json on a ~100 KB document; prints
the results as JSON. No thresholds."""

import json
import sys
import time


# About 100 KB of JSON (100,048 bytes with json.dumps's default separators).
ITEMS = 670


def document():
    """A deterministic JSON document of about 100 KB."""
    items = []
    for i in range(ITEMS):
        items.append({
            "id": i,
            "name": "item-%d" % i,
            "tags": ["alpha", "beta", "gamma"][: i % 3 + 1],
            "price": i * 1.25,
            "stock": {"warehouse": i % 7, "shelf": "S%03d" % (i % 120), "ok": i % 2 == 0},
            "note": None if i % 5 else "fragile \u00e9",
        })
    return {"items": items, "count": len(items), "version": "1.0"}


# CPU time of this process, not wall time: on the shared 2-core machine
# other processes' builds take the core for whole time slices, which wall
# time counts and CPU time does not (both VMs run their work on the one
# thread that calls; the embedded CPython starts no thread).
clock = time.process_time


def best_per_call(fn, arg, n, repeats=5):
    """CPU seconds a call of fn(arg) adds to one iteration of a loop: the
    best of `repeats` loops of n calls, minus the best of `repeats` loops of
    n iterations that load fn and arg without calling it."""
    def loop(f, a):
        start = clock()
        for _ in range(n):
            f(a)
        return clock() - start

    def bare(f, a):
        start = clock()
        for _ in range(n):
            f
            a
        return clock() - start

    base = min(bare(fn, arg) for _ in range(repeats))
    timed = min(loop(fn, arg) for _ in range(repeats))
    return max(timed - base, 0.0) / n


def main():
    which = sys.argv[1]
    calls = int(sys.argv[2])
    rounds = int(sys.argv[3])
    out = {}
    import bridgetest
    out["call"] = best_per_call(bridgetest.identity, 7, calls)
    out["builtin_call"] = best_per_call(abs, 7, calls)
    doc = document()
    text = json.dumps(doc)
    out["doc_bytes"] = len(text)
    modules = {"json": json}
    try:
        import ujson
        modules["ujson"] = ujson
    except ImportError:
        pass
    for name, mod in modules.items():
        assert mod.loads(mod.dumps(doc)) == doc
        out[name + ".dumps"] = best_per_call(mod.dumps, doc, rounds)
        out[name + ".loads"] = best_per_call(mod.loads, text, rounds)
    out["which"] = which
    print(json.dumps(out))


main()
