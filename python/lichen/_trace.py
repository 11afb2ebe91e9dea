"""``hpy.universal._trace``: not available in Lichen yet (see the debug/trace mode issue).

Importing it works so that ``hpy.debug`` and HPy's test suite can be imported;
every function raises NotImplementedError.
"""


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)

    def unavailable(*args, **kwargs):
        raise NotImplementedError(f"hpy.universal._trace.{name} is not implemented by Lichen yet")

    unavailable.__name__ = name
    return unavailable
