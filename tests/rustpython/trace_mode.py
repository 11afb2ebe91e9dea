# Run by run.sh under lichen-rustpython with HPY=trace: the context
# functions that the module functions, and the Point type's slots, methods
# and getsets (which run under the trace context too), call are counted.
import rphost
from hpy.universal import _trace

before = _trace.get_call_counts()
rphost.hello()
rphost.twice(21)
p = rphost.Point(1, 2) + rphost.Point(3, 4)
p.tag = "t"
assert p.norm1() == 10 and p.tag == "t"
after = _trace.get_call_counts()
used = {
    "ctx_Unicode_FromString": 1,  # hello
    "ctx_Add": 1,                 # twice
    "ctx_New": 3,                 # tp_new twice, nb_add once
    "ctx_AsStruct_Object": 4,     # nb_add twice, norm1, the tag getter
    "ctx_Field_Store": 1,         # the tag setter
    "ctx_Field_Load": 1,          # the tag getter
}
for name, n in used.items():
    assert after[name] - before[name] >= n, (name, before[name], after[name])
assert sum(after.values()) > sum(before.values())
durations = _trace.get_durations()
assert durations["ctx_New"] > 0, durations["ctx_New"]
entered, exited = [], []
_trace.set_trace_functions(on_enter=entered.append, on_exit=exited.append)
assert rphost.hello() == "hello from HPy"
_trace.set_trace_functions(on_enter=None)
rphost.hello()
_trace.set_trace_functions(None, None)
assert entered == ["ctx_Unicode_FromString"], entered
assert exited == ["ctx_Unicode_FromString"] * 2, exited
try:
    _trace.set_trace_functions(on_enter=1)
except TypeError as e:
    assert str(e) == "Expected a callable object or None", str(e)
else:
    raise AssertionError("a non-callable hook was accepted")
print("trace mode ok")
