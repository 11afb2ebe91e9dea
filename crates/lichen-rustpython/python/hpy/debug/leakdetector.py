"""`hpy.debug.leakdetector`: leak detection for HPy extensions loaded in debug mode (`HPY=debug`),
written for Lichen on RustPython over `hpy.universal._debug`, with the
interface of HPy's `hpy.debug`: a `LeakDetector` notes the debug context's
handle generation when it starts and, when it stops, raises `HPyLeakError`
listing the handles of that generation or later that are still open."""
from hpy.universal import _debug


class HPyDebugError(Exception):
    """A misuse of the HPy API found by the debug mode."""


class HPyLeakError(HPyDebugError):
    """Handles opened while a LeakDetector ran were never closed."""

    def __init__(self, leaks):
        super().__init__(leaks)
        self.leaks = list(leaks)

    def __str__(self):
        count = len(self.leaks)
        lines = [f"{count} unclosed handle{'' if count == 1 else 's'}:"]
        lines.extend("    " + repr(handle) for handle in self.leaks)
        return "\n".join(lines)


class LeakDetector:
    """Usable as `with LeakDetector(): ...` or with `start()` / `stop()`."""

    def __init__(self):
        self.generation = None

    def start(self):
        if self.generation is not None:
            raise ValueError("LeakDetector already started")
        self.generation = _debug.new_generation()

    def stop(self):
        if self.generation is None:
            raise ValueError("LeakDetector not started yet")
        leaks = _debug.get_open_handles(self.generation)
        self.generation = None
        if leaks:
            raise HPyLeakError(leaks)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, etype, value, tb):
        if etype is None:
            self.stop()
        else:
            # The block's own exception tells more than a leak report.
            self.generation = None

