# Copied unchanged from HPy 0.9.0 (hpy/trace/__init__.py; MIT license, Copyright (c) 2019-2023
# the HPy team), so that this module behaves on lichen-rustpython as on
# CPython and PyPy, where it comes from HPy's own package.
import hpy.universal

get_call_counts = hpy.universal._trace.get_call_counts
get_durations = hpy.universal._trace.get_durations
set_trace_functions = hpy.universal._trace.set_trace_functions
get_frequency = hpy.universal._trace.get_frequency
