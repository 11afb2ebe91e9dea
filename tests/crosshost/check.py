# Helpers the corpus scripts share; imported from the script's own folder.


def raises(exc, f, *args, **kw):
    """True when f(*args, **kw) raises exc; an AssertionError otherwise."""
    try:
        f(*args, **kw)
    except exc:
        return True
    raise AssertionError(f"{getattr(f, '__name__', f)}{args!r} did not raise {exc.__name__}")
