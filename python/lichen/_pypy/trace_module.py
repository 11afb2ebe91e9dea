"""``hpy.universal._trace`` on PyPy: reads and steers the trace context."""

from lichen._lichen_pypy import ffi, lib
from lichen._pypy.errors import take_error
from lichen._pypy.handles import new_h


def _read():
    n = lib.lichen_trace_count()
    counts = ffi.new("uint64_t[]", n)
    durations = ffi.new("uint64_t[]", n)
    lib.lichen_trace_read(counts, durations, n)
    names = [ffi.string(lib.lichen_trace_name(i)).decode() for i in range(n)]
    return names, counts, durations


def get_call_counts():
    """How many times each context function was called in trace mode."""
    names, counts, _ = _read()
    return {name: counts[i] for i, name in enumerate(names)}


def get_durations():
    """Nanoseconds spent in each context function in trace mode."""
    names, _, durations = _read()
    return {name: durations[i] for i, name in enumerate(names)}


def get_frequency():
    """Resolution of the clock behind ``get_durations``, in Hertz."""
    return lib.lichen_trace_frequency()


def set_trace_functions(*args, **kwargs):
    """Set the functions to call when a context function is entered/exited:
    a callable sets, None clears, an omitted argument leaves it unchanged."""
    values = list(args) + list(kwargs.values())
    which = ffi.new("int[2]")
    if lib.lichen_trace_args(len(args), " ".join(kwargs).encode(), which) < 0:
        raise take_error()
    chosen = [values[i] if i >= 0 else _KEEP for i in which]
    for hook in chosen:
        if hook is not _KEEP and hook is not None and not callable(hook):
            raise TypeError("Expected a callable object or None")
    for index, hook in enumerate(chosen):
        if hook is not _KEEP:
            lib.lichen_trace_set_hook(index, 0 if hook is None else new_h(hook))


_KEEP = object()
