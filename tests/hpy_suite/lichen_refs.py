"""What Lichen's tests in HPy's harness compare to see that a call left no
reference behind: an object's reference count on CPython; on PyPy, which
has none, how many handles Lichen's object table holds (after this thread's
given-up ones are drained)."""

import sys


def held(x):
    if hasattr(sys, "getrefcount"):
        return sys.getrefcount(x)
    from lichen._pypy.handles import slots_in_use

    return slots_in_use()
