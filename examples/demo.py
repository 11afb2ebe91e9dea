"""Runs the demo extension on the current interpreter and prints what it did.

On CPython, ``lichen_demo`` is imported through the stub loader that
hpy.devel wrote next to the .so, so it goes through
``hpy.universal._load_bootstrap`` like any universal HPy extension; on
lichen-rustpython, Lichen's finder loads the .so itself. Exits non-zero if
any call gives a wrong result.
"""
import hashlib
import platform
import sys

import hpy.universal
import lichen_demo


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def fib_of_negative():
    try:
        lichen_demo.fib(-1)
    except ValueError as e:
        return "ValueError: %s" % e
    return "no exception"


CHECKS = [
    ("add(2, 40)", lambda: lichen_demo.add(2, 40), 42),
    ("add('uni', 'versal')", lambda: lichen_demo.add("uni", "versal"), "universal"),
    ("fib(90)", lambda: lichen_demo.fib(90), 2880067194370816120),
    ("fib(-1)", fib_of_negative, "ValueError: fib() needs a non-negative number"),
    ("scale(21)", lambda: lichen_demo.scale(21), 42),
    ("scale([1], factor=3)", lambda: lichen_demo.scale([1], factor=3), [1, 1, 1]),
    ("Point(3, 4).norm2()", lambda: lichen_demo.Point(3, 4).norm2(), 25.0),
    ("repr(Point(1.5, -2))", lambda: repr(lichen_demo.Point(1.5, -2)), "Point(1.5, -2)"),
    ("Point(3, 4).y", lambda: lichen_demo.Point(3, 4).y, 4.0),
    ("runtime()", lambda: lichen_demo.runtime().split(" (")[0], "HPy Universal ABI"),
]


def main():
    so = lichen_demo.__file__
    vm = platform.python_implementation()
    if vm == "RustPython":
        vm += " " + sys.version.split("RustPython ")[-1].split()[0]
    else:
        vm += " " + platform.python_version()
    print("%s, hpy.universal = %s" % (vm, hpy.universal.__name__))
    print("    %s  sha256 %s" % (so, sha256(so)))
    wrong = 0
    for what, call, want in CHECKS:
        try:
            got = call()
        except Exception as e:  # a failing call is part of the report
            shown, ok = "%s: %s" % (type(e).__name__, e), False
        else:
            shown, ok = repr(got), got == want
        wrong += not ok
        print("    %-22s -> %s%s" % (what, shown, "" if ok else "   [expected %r]" % (want,)))
    print("    %s" % ("OK" if not wrong else "%d of %d calls wrong" % (wrong, len(CHECKS))))
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
