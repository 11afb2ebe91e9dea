# Run by run.sh under lichen-rustpython with HPY=debug: the debug mode's
# reports for a leak and a use after close, and no false report for the
# module functions and the Point type, whose slots, methods and getsets run
# under the debug context too.
import rphost
import hpy.debug
from hpy.universal import _debug

hpy.debug.set_handle_stack_trace_limit(None)
try:
    with hpy.debug.LeakDetector():
        kept = rphost.leak("leaked")
except hpy.debug.HPyLeakError as e:
    text = str(e)
    assert text.startswith("1 unclosed handle:\n    <DebugHandle 0x"), text
    assert " for 'leaked'>\n" in text, text
    assert len(e.leaks) == 1 and e.leaks[0].obj == "leaked" and not e.leaks[0].is_closed
else:
    raise AssertionError("the leak was not reported")

reports = []
_debug.set_on_invalid_handle(lambda: reports.append(_debug.take_last_report()))
assert rphost.use_after_close("obj") == "'obj'"
assert reports == ["Invalid usage of already closed handle (in ctx_Repr)"], reports
_debug.set_on_invalid_handle(None)
reports.clear()

# An exception a context function raised names it in its notes.
try:
    rphost.sum_ints(1, "x")
except TypeError as e:
    assert e.__notes__ == ["raised in the HPy context function ctx_Long_AsInt64_t (Lichen debug mode)"], e.__notes__
else:
    raise AssertionError("sum_ints(1, 'x') did not raise")

# Lichen's switch: without a hook, the misuse raises instead of aborting.
assert _debug.get_abort_on_misuse() is True
assert _debug.set_abort_on_misuse(False) is True
try:
    rphost.use_after_close("obj")
except SystemError as e:
    assert str(e) == "Invalid usage of already closed handle (in ctx_Repr)", e
else:
    raise AssertionError("no SystemError with aborting off")
assert _debug.set_abort_on_misuse(True) is False
assert _debug.take_last_report() == "Invalid usage of already closed handle (in ctx_Repr)"

with hpy.debug.LeakDetector():
    p = rphost.Point(3, -4)
    q = p + p
    p.tag = ["t"]
    assert (repr(q), q.norm1(), p.tag, p.x, p.y) == ("Point(6, -8)", 14, ["t"], 3, -4)
    assert rphost.twice(21) == 42 and rphost.sum_ints(1, 2) == 3
    assert rphost.describe("x", b="y", sep="+") == "x+y"
    assert rphost.work(10) == 90
    try:
        rphost.fail("bad value")
    except ValueError as e:
        assert str(e) == "bad value"
    del p, q
assert reports == [], reports
print("debug mode ok")
