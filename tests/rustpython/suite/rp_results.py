"""pytest plugin for HPy's suite on lichen-rustpython (`-p rp_results`,
loaded by tests/rustpython/hpy_suite.py).

A test that ends the interpreter (an abort, a segfault, pytest-timeout's
exit) takes the whole pytest run with it, since there are no xdist workers
on RustPython. So each outcome is appended to the file named by
LICHEN_RP_RESULTS as soon as it is known, and the test about to run is
written first: after a crash the runner knows which test it was, counts it
as failed, and starts pytest again, which then deselects every test that
file already names.
"""

import os


def _path():
    return os.environ["LICHEN_RP_RESULTS"]


def _write(kind, nodeid, detail=""):
    # Test ids may hold lone surrogates (ujson's parametrized strings).
    with open(_path(), "a", encoding="utf-8", errors="backslashreplace") as f:
        f.write("%s\t%s\t%s\n" % (kind, nodeid, detail.replace("\n", " ")[:300]))
        f.flush()


def _key(nodeid):
    """A test id as the results file spells it (lone surrogates escaped)."""
    return nodeid.encode("utf-8", "backslashreplace").decode("utf-8")


def done_ids(path):
    """The node ids the results file has seen (finished or started)."""
    seen = set()
    if os.path.exists(path):
        with open(path, encoding="utf-8", errors="backslashreplace") as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) >= 2:
                    seen.add(parts[1])
    return seen


def pytest_collection_modifyitems(session, config, items):
    seen = done_ids(_path())
    if not seen:
        return
    keep = [item for item in items if _key(item.nodeid) not in seen]
    drop = [item for item in items if _key(item.nodeid) in seen]
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_runtest_logstart(nodeid, location):
    _write("start", nodeid)


def pytest_runtest_logreport(report):
    # One outcome per test: a failing setup or call decides it; a failing
    # teardown after a passed call (a leak found by the LeakDetector fixture)
    # turns it into an error, as pytest reports it.
    if report.when == "call" or (report.when == "setup" and not report.passed):
        outcome = report.outcome
        if report.when == "setup" and report.failed:
            outcome = "error"
        detail = ""
        if report.failed:
            detail = _summary(report)
        elif report.skipped and isinstance(report.longrepr, tuple):
            detail = str(report.longrepr[2])
        _write(outcome, report.nodeid, detail)
    elif report.when == "teardown" and report.failed:
        _write("error", report.nodeid, _summary(report))


def _summary(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return crash.message
    return str(report.longrepr).strip().splitlines()[-1] if report.longrepr else ""


def pytest_configure(config):
    import sys
    import pytest
    import hpy.universal

    if sys.implementation.name != "rustpython" or "_lichen" not in sys.modules:
        raise pytest.UsageError("rp_results: this is not lichen-rustpython (hpy.universal is %r)" % hpy.universal)
