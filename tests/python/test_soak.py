"""Soak: many calls and allocations through Lichen leave the resident memory
flat (``ext/soak.c``). The numbers are printed (``pytest -s`` shows them);
only memory is asserted, never time.

CPython: 10 million calls (two context calls each) and 1 million objects of
an HPy type holding a field. PyPy: a tenth of each, since its calls go
through cffi callbacks and its objects through its collector; the same
check, over fewer rounds.
"""
import gc
import sys

import pytest

import lichen.universal
from conftest import spec_for

PYPY = sys.implementation.name == "pypy"
CALLS = 1_000_000 if PYPY else 10_000_000
ALLOCATIONS = 100_000 if PYPY else 1_000_000
ROUNDS = 10


def rss_kib():
    """The resident set size now (Linux: /proc/self/statm)."""
    import os

    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


@pytest.mark.parametrize("mode", ["universal", "debug"])
def test_resident_memory_stays_flat(build, mode):
    path = build("soak.c", "soak.hpy0.so", hpy=True)
    modes = {"universal": lichen.universal.MODE_UNIVERSAL, "debug": lichen.universal.MODE_DEBUG}
    soak = lichen.universal.load("soak", path, spec_for("soak", path), mode=modes[mode])
    Obj = soak.make_type()
    calls = CALLS if mode == "universal" else CALLS // 10  # debug mode checks every handle
    allocations = ALLOCATIONS if mode == "universal" else ALLOCATIONS // 10
    call, new, x = soak.call, soak.new, object()
    samples = []
    for _ in range(ROUNDS):
        for _ in range(calls // ROUNDS):
            call(x)
        for _ in range(allocations // ROUNDS):
            new(Obj)
        gc.collect()
        samples.append(rss_kib())
    print("\nsoak (%s): %d calls, %d allocations; RSS per round (KiB): %s" % (mode, calls, allocations, samples))
    assert all(isinstance(new(Obj), Obj) for _ in range(3))
    # After the first round (warm-up: caches, the debug mode's closed-handle
    # queue, the allocator's arenas) memory must not keep growing: at most
    # 16 MiB over the remaining nine rounds, where a leak of one handle or
    # one object per call would be hundreds of MiB.
    growth = max(samples[1:]) - samples[1]
    assert growth < 16 * 1024, "RSS grew by %d KiB after warm-up: %s" % (growth, samples)
