"""``hpy.universal._debug`` on PyPy: reads and steers the debug context,
with the interface of HPy 0.9.0's ``_debug`` module (what ``hpy.debug`` and
HPy's tests use), plus Lichen's additions. The rules and texts are the
core's (``lichen_core::debug::view``)."""

from lichen._lichen_pypy import ffi, lib
from lichen._pypy.handles import close, get, new_h

__doc__ = "HPy debug mode"


class DebugHandle(object):
    """The application-level view of one debug handle. Several objects may
    view the same handle; they compare equal (same ``id``)."""

    __slots__ = ("_handle",)

    def __init__(self, handle):
        self._handle = handle

    def _state(self):
        size = ffi.new("intptr_t *")
        state = lib.lichen_debug_handle_state(self._handle, size)
        return state, size[0]

    @property
    def obj(self):
        """The object which the handle points to."""
        h = lib.lichen_debug_handle_obj(self._handle)
        if h == 0:
            raise ValueError("the handle is closed: the object it pointed to may be gone")
        o = get(h)
        close(h)
        return o

    @property
    def id(self):
        """A numeric identifier of the handle."""
        return self._handle

    @property
    def is_closed(self):
        return self._state()[0] != 0

    @property
    def raw_data_size(self):
        """Size of the raw data kept for the handle, -1 if none."""
        return self._state()[1]

    def __eq__(self, other):
        if not isinstance(other, DebugHandle):
            return NotImplemented
        return self._handle == other._handle

    def __ne__(self, other):
        if not isinstance(other, DebugHandle):
            return NotImplemented
        return self._handle != other._handle

    __hash__ = None

    def __repr__(self):
        h = lib.lichen_debug_handle_obj(self._handle)
        shown = ffi.NULL
        if h != 0:
            try:
                shown = repr(get(h)).encode("utf-8", "replace")
            finally:
                close(h)
        return ffi.string(lib.lichen_debug_handle_repr(self._handle, shown)).decode("utf-8")

    def _force_close(self):
        """Close the underlying handle. FOR TESTS ONLY."""
        lib.lichen_debug_force_close(self._handle)


DebugHandle.__module__ = "hpy.debug._debug"


def new_generation():
    """Start a new generation of handles and return its number."""
    return lib.lichen_debug_new_generation()


def _handles(closed, gen):
    cap = 64
    while True:
        out = ffi.new("intptr_t[]", cap)
        n = lib.lichen_debug_handles(closed, gen, out, cap)
        if n <= cap:
            return [DebugHandle(out[i]) for i in range(n)]
        cap = n


def get_open_handles(gen):
    """Return a list containing all the open handles whose generation is >=
    of the given arg."""
    return _handles(0, gen)


def get_closed_handles(*args):
    """Return a list of all the closed handle in the cache."""
    if len(args) > 1:
        raise TypeError("get_closed_handles expects no arguments or exactly one argument")
    return _handles(1, args[0] if args else 0)


def get_closed_handles_queue_max_size():
    return lib.lichen_debug_limit(0, -1)


def set_closed_handles_queue_max_size(size):
    lib.lichen_debug_limit(0, size)


def get_protected_raw_data_max_size():
    return lib.lichen_debug_limit(1, -1)


def set_protected_raw_data_max_size(size):
    lib.lichen_debug_limit(1, size)


def _hook(func, none_ok_message):
    if func is None:
        return 0
    if not callable(func):
        raise TypeError(none_ok_message)
    return new_h(func)


def set_on_invalid_handle(func):
    """Set the function to call when we detect the usage of an invalid
    handle."""
    lib.lichen_debug_set_hook(0, _hook(func, "Expected a callable object"))


def set_on_invalid_builder_handle(func):
    """Set the function to call when we detect the usage of an invalid
    builder handle."""
    lib.lichen_debug_set_hook(1, _hook(func, "Expected a callable object"))


def set_handle_stack_trace_limit(limit):
    """Set the limit to captured HPy handles allocations stack traces. None
    means do not capture the stack traces."""
    lib.lichen_debug_set_stack_limit(-1 if limit is None else int(limit))


def take_last_report():
    """Lichen's addition: the text of the latest invalid handle or builder
    report, or None; reading it forgets it."""
    text = lib.lichen_debug_take_last_report()
    return None if text == ffi.NULL else ffi.string(text).decode("utf-8", "replace")


def set_raw_data_fault_report(enabled):
    """Lichen's addition: report faults on protected raw data before the
    process ends. Returns whether the report is available here."""
    return bool(lib.lichen_debug_set_raw_data_fault_report(1 if enabled else 0))


def set_abort_on_misuse(abort):
    """Lichen's addition: False turns the misuse HPy's debug mode aborts for
    into a SystemError from the context call. Returns the previous setting."""
    return bool(lib.lichen_debug_abort_on_misuse(1 if abort else 0))


def get_abort_on_misuse():
    return bool(lib.lichen_debug_abort_on_misuse(-1))
