"""Lichen's `hpy.debug` on RustPython, laid out as HPy's (`hpy.debug` and
`hpy.debug.leakdetector`, which HPy's test suite imports by that name):
leak detection and handle stack traces over `hpy.universal._debug`."""
from hpy.debug.leakdetector import HPyDebugError, HPyLeakError, LeakDetector
from hpy.universal import _debug


def set_handle_stack_trace_limit(limit):
    """Record this many frames of where each handle is opened (None: off)."""
    _debug.set_handle_stack_trace_limit(limit)


def disable_handle_stack_traces():
    _debug.set_handle_stack_trace_limit(None)
