# cx_errors: raising, matching, clearing; new exception classes; warnings;
# unraisable exceptions.
import errno
import signal
import subprocess
import sys
import warnings
import cx_errors as m


def caught(f, *args):
    """The exception f(*args) raised (AssertionError if none)."""
    try:
        f(*args)
    except BaseException as e:
        return e
    raise AssertionError(f"{f.__name__}{args!r} did not raise")


e = caught(m.raise_string, ValueError, "bad value")
assert type(e) is ValueError and e.args == ("bad value",)
e = caught(m.raise_string, KeyError, "ключ")
assert type(e) is KeyError and e.args == ("ключ",)
print("raise_string", repr(caught(m.raise_string, TypeError, "wrong type")))

e = caught(m.raise_object, KeyError, ("a", 1))
assert type(e) is KeyError and e.args == ("a", 1)  # a tuple value is the args
e = caught(m.raise_object, ValueError, 42)
assert type(e) is ValueError and e.args == (42,)
inst = IndexError("ready-made")
assert caught(m.raise_object, IndexError, inst) is inst


class Custom(Exception):
    def __init__(self, *args):
        super().__init__("custom", *args)


e = caught(m.raise_object, Custom, "x")
assert type(e) is Custom and e.args == ("custom", "x")
print("raise_object", repr(caught(m.raise_object, LookupError, "k")))

e = caught(m.raise_errno, errno.ENOENT, "/no/such/file")
assert type(e) is FileNotFoundError and e.errno == errno.ENOENT
assert e.filename == "/no/such/file" and e.filename2 is None
e = caught(m.raise_errno, errno.EACCES, "locked")
assert type(e) is PermissionError and e.errno == errno.EACCES and e.filename == "locked"
e = caught(m.raise_errno2, errno.EEXIST, "src", "dst")
assert type(e) is FileExistsError and (e.filename, e.filename2) == ("src", "dst")
e = caught(m.raise_errno2, errno.ENOTDIR, "only", None)
assert type(e) is NotADirectoryError and (e.filename, e.filename2) == ("only", None)
e = caught(m.raise_errno, 0, "zero")
assert type(e) is OSError and e.errno == 0 and e.strerror == "Error" and e.filename == "zero"
print("errno", type(caught(m.raise_errno, errno.EISDIR, "d")).__name__, e.errno == errno.ENOTDIR)

assert type(caught(m.no_memory)) is MemoryError
# Raising something that is not an exception class is a bad internal call.
assert type(caught(m.raise_string, int, "not an exception")) is SystemError
assert type(caught(m.raise_object, "not a class", 1)) is SystemError


def fails():
    raise KeyError("x")


assert m.catch(fails, KeyError) == ("caught", True)
assert m.catch(fails, LookupError) == ("caught", True)
assert m.catch(fails, (ValueError, KeyError)) == ("caught", True)
assert m.catch(fails, ValueError) == ("caught", False)
assert m.catch(lambda: 5, KeyError) == ("ok", 5)
assert m.catch(lambda: [][1], IndexError) == ("caught", True)
print("catch", m.catch(fails, KeyError), m.catch(len, TypeError), m.catch(dict, TypeError))

E = m.new_exception("cx_errors.MyError", None, None)
assert issubclass(E, Exception) and E.__name__ == "MyError" and E.__module__ == "cx_errors"
assert type(caught(m.raise_string, E, "mine")) is E
F = m.new_exception("cx_errors.Sub", E, {"extra": 7})
assert issubclass(F, E) and F.extra == 7
G = m.new_exception("pkg.mod.Multi", (KeyError, E), None)
assert issubclass(G, KeyError) and issubclass(G, E) and G.__module__ == "pkg.mod"
assert type(caught(m.new_exception, "NoDot", None, None)) is SystemError
assert type(caught(m.new_exception, "cx_errors.BadDict", None, ["not", "a", "dict"])) is TypeError
assert type(caught(m.new_exception_doc, "cx_errors.BadDict", "doc", None, 5)) is TypeError
D = m.new_exception_doc("cx_errors.Documented", "It has a doc.", ValueError, None)
assert issubclass(D, ValueError) and D.__doc__ == "It has a doc."
print("new_exception", E.__name__, F.__mro__[1].__name__, G.__module__, D.__doc__)

with warnings.catch_warnings(record=True) as log:
    warnings.simplefilter("always")
    assert m.warn(UserWarning, "careful", 1) == 0
    assert m.warn(DeprecationWarning, "old", 1) == 0
assert [(w.category, str(w.message)) for w in log] == [(UserWarning, "careful"), (DeprecationWarning, "old")]
with warnings.catch_warnings():
    warnings.simplefilter("error")
    e = caught(m.warn, RuntimeWarning, "now an error", 1)
assert type(e) is RuntimeWarning and str(e) == "now an error"
print("warn", len(log), type(e).__name__)

seen = []
old_hook = sys.unraisablehook
sys.unraisablehook = lambda u: seen.append((u.exc_type, str(u.exc_value), u.object))
try:
    assert m.unraisable(ValueError, "lost", "the context") is False
    assert m.unraisable(KeyError, "also lost", None) is False
finally:
    sys.unraisablehook = old_hook
assert seen == [(ValueError, "lost", "the context"), (KeyError, "'also lost'", None)], seen
print("unraisable", [s[0].__name__ for s in seen])

# HPy_FatalError ends the process with SIGABRT after printing the message.
child = subprocess.run([sys.executable, "-c", "import cx_errors; cx_errors.fatal('the end of cx_errors')"],
                       capture_output=True, text=True)
assert child.returncode == -signal.SIGABRT, child.returncode
assert "the end of cx_errors" in child.stderr, child.stderr
print("fatal", child.returncode == -signal.SIGABRT)
