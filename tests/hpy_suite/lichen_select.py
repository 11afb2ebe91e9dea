"""pytest plugin for running HPy's own test suite against Lichen.

Loaded with ``-p lichen_select`` by ``run.py``. Keeps only the tests of the
HPy modes named in the ``LICHEN_HPY_MODES`` environment variable (comma
separated: universal, hybrid, debug, hybrid+debug, trace, cpython) and
checks, before anything runs, that ``hpy.universal`` is really Lichen's.
"""

import os

KNOWN_MODES = ("cpython", "universal", "debug", "hybrid", "hybrid+debug", "trace")


def mode_of(nodeid):
    """The HPy mode a test id belongs to, or None for tests of no mode.

    Parametrized tests carry it in their id (``test_x[universal]``,
    ``test_y[hybrid+debug-3]``); the tests under ``test/trace`` and the
    unparametrized ones under ``test/debug`` belong to those modes.
    """
    if nodeid.endswith("]") and "[" in nodeid:
        params = nodeid[nodeid.index("[") + 1 : -1]
        for token in params.split("-"):
            if token in KNOWN_MODES:
                return token
    path = nodeid.split("::", 1)[0].replace("\\", "/")
    if "/trace/" in path:
        return "trace"
    if "/debug/" in path:
        return "debug"
    return None


def pytest_configure(config):
    import pytest

    expected = os.environ.get("LICHEN_EXPECT_PROVIDER", "lichen")
    import hpy.universal

    name = hpy.universal.__name__
    if expected == "lichen" and name != "lichen.universal":
        raise pytest.UsageError(
            "hpy.universal is not served by Lichen here (got %r); run "
            "`python -m lichen provide` in this environment" % hpy.universal
        )
    if expected == "hpy" and name != "hpy.universal":
        raise pytest.UsageError(
            "hpy.universal should be HPy's own here (got %r); run "
            "`python -m lichen unprovide` in this environment" % hpy.universal
        )


def fix_supports_refcounts():
    """HPy 0.9.0's ``test/support.py`` defines ``HPyTest.supports_refcounts``
    twice: the second definition, meant as ``supports_vectorcall``, returns
    True on every Python 3.8+ and hides the first, which answers whether the
    VM has reference counts. On a VM without them (PyPy) the tests then call
    ``sys.getrefcount``, which it lacks, instead of skipping their refcount
    checks as HPy intends. Restore the intended answer there; nothing
    changes where ``sys.getrefcount`` exists."""
    import sys

    if hasattr(sys, "getrefcount"):
        return
    try:
        from test import support
    except ImportError:
        return
    support.HPyTest.supports_refcounts = lambda self: False


def pytest_collection_modifyitems(session, config, items):
    fix_supports_refcounts()
    wanted = os.environ.get("LICHEN_HPY_MODES")
    if not wanted:
        return
    wanted = {m.strip() for m in wanted.split(",") if m.strip()}
    keep, drop = [], []
    for item in items:
        (keep if mode_of(item.nodeid) in wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
