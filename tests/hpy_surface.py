"""HPy 0.9.0's Python surface, as extensions and their test suites import it
(``hpy.universal``, ``hpy.debug``, ``hpy.debug.leakdetector``,
``hpy.debug.pytest``, ``hpy.trace``), checked the same way on every host:
CPython and PyPy through ``tests/python/test_hpy_surface.py``,
lichen-rustpython through ``tests/rustpython/run.sh``. Run as a script;
prints ``hpy surface: ok``.

``hpy.debug.pytest`` needs pytest: where pytest is missing (lichen-rustpython
outside HPy's suite) its import must fail on ``pytest`` itself, never on the
module."""
import importlib.util

import hpy.universal
import hpy.debug
import hpy.debug.leakdetector
import hpy.trace

# hpy.universal: the runtime's loader and the debug/trace steering modules
assert callable(hpy.universal.load)
assert hpy.universal.get_version()[0].startswith("0.9"), hpy.universal.get_version()
for mode in ("MODE_UNIVERSAL", "MODE_DEBUG", "MODE_TRACE"):
    assert isinstance(getattr(hpy.universal, mode), int), mode
assert callable(hpy.universal._debug.new_generation)
assert callable(hpy.universal._trace.get_call_counts)

# hpy.debug re-exports hpy.debug.leakdetector's classes
assert hpy.debug.LeakDetector is hpy.debug.leakdetector.LeakDetector
assert issubclass(hpy.debug.HPyLeakError, hpy.debug.HPyDebugError)
with hpy.debug.LeakDetector() as ld:
    pass
try:
    ld.start()
    ld.start()
except ValueError as e:
    assert str(e) == "LeakDetector already started", e
else:
    raise AssertionError("a second start() was accepted")
err = hpy.debug.HPyLeakError(["a", "b"])
assert str(err) == "2 unclosed handles:\n    'a'\n    'b'", str(err)
hpy.debug.set_handle_stack_trace_limit(16)
hpy.debug.disable_handle_stack_traces()

# hpy.trace: the trace context's counters, named as HPy names them
counts = hpy.trace.get_call_counts()
assert counts["ctx_Add"] >= 0 and "ctx_Close" in counts, sorted(counts)[:5]
assert set(hpy.trace.get_durations()) == set(counts)
assert hpy.trace.get_frequency() > 0
hpy.trace.set_trace_functions(on_enter=None, on_exit=None)

# hpy.debug.pytest: the hpy_debug fixture
if importlib.util.find_spec("pytest") is not None:
    import hpy.debug.pytest

    assert callable(hpy.debug.pytest.hpy_debug)
    assert hpy.debug.pytest.LeakDetector is hpy.debug.LeakDetector
else:
    try:
        import hpy.debug.pytest  # noqa: F401
    except ModuleNotFoundError as e:
        assert e.name == "pytest", e
    else:
        raise AssertionError("hpy.debug.pytest imported without pytest")
print("hpy surface: ok")
