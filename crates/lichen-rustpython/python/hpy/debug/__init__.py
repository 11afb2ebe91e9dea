# Copied unchanged from HPy 0.9.0 (hpy/debug/__init__.py; MIT license, Copyright (c) 2019-2023
# the HPy team), so that this module behaves on lichen-rustpython as on
# CPython and PyPy, where it comes from HPy's own package.
from .leakdetector import HPyDebugError, HPyLeakError, LeakDetector


def set_handle_stack_trace_limit(limit):
    from hpy.universal import _debug
    _debug.set_handle_stack_trace_limit(limit)


def disable_handle_stack_traces():
    from hpy.universal import _debug
    _debug.set_handle_stack_trace_limit(None)
