# Helpers the corpus scripts share; imported from the script's own folder.


def raises(exc, f, *args, **kw):
    """True when f(*args, **kw) raises exc; an AssertionError otherwise."""
    try:
        f(*args, **kw)
    except exc:
        return True
    raise AssertionError(f"{getattr(f, '__name__', f)}{args!r} did not raise {exc.__name__}")


def collect():
    """Collects garbage until the finalizers a collection ran have had their
    effect: CPython frees most objects at once and needs one collection for
    cycles; PyPy, without reference counts, finalizes an object that
    another finalizable object kept alive one collection later."""
    import gc

    for _ in range(3):
        gc.collect()


def views_released():
    """Lets the ends of released buffer views reach their exporter. CPython
    and RustPython tell the exporter when a view is released; PyPy never
    tells an exporter written in Python (as Lichen's classes are there), so
    a view's export ends when the view is collected."""
    import platform

    if platform.python_implementation() == "PyPy":
        collect()
