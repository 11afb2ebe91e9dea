# cx_calls: calls from C, compile/eval, context variables, slices, and
# leaving Python execution.
import contextvars
import cx_calls as m
from check import raises


def show(*args, **kw):
    return args, sorted(kw.items())


assert m.call_kw(show, (), None) == ((), [])
assert m.call_kw(show, (1, 2), None) == ((1, 2), [])
assert m.call_kw(show, (1, 2, 3), ("a",)) == ((1, 2), [("a", 3)])
assert m.call_kw(show, ("x", "y"), ("k1", "k2")) == ((), [("k1", "x"), ("k2", "y")])
assert m.call_kw(max, (3, 9, 4), None) == 9
assert m.call_kw(sorted, ([3, 1, 2], True), ("reverse",)) == [3, 2, 1]
assert m.call_kw(dict, (1, 2), ("a", "b")) == {"a": 1, "b": 2}
raises(TypeError, m.call_kw, 5, (), None)
raises(TypeError, m.call_kw, len, (), None)
raises(ZeroDivisionError, m.call_kw, lambda: 1 / 0, (), None)
print("call", m.call_kw(show, (1, 2), ("z",)), m.call_kw(int, ("ff", 16), ("base",)))

assert m.call_method("a-b-c", "split", "-") == ["a", "b", "c"]
assert m.call_method([3, 1, 2], "index", 2) == 2
assert m.call_method(" x ", "strip") == "x"
lst = []
assert m.call_method(lst, "append", 7) is None and lst == [7]
raises(AttributeError, m.call_method, 1, "no_such_method")
raises(TypeError, m.call_method, 1, 2)
print("call_method", m.call_method("{}+{}", "format", 1, 2), lst)

assert m.call_tuple_dict(show, (1, 2), {"k": 3}) == ((1, 2), [("k", 3)])
assert m.call_tuple_dict(show, None, {"only": 1}) == ((), [("only", 1)])
assert m.call_tuple_dict(show, (5,), None) == ((5,), [])
assert m.call_tuple_dict(show, None, None) == ((), [])
raises(TypeError, m.call_tuple_dict, show, [1], None)
raises(TypeError, m.call_tuple_dict, show, None, [("a", 1)])
raises(TypeError, m.call_tuple_dict, 3, None, None)
print("call_tuple_dict", m.call_tuple_dict(show, ("p",), {"q": 1}))

g = {"x": 20}
assert m.run("x * 2 + 2", "eval", g, None) == 42
assert m.run("y = x + 1\nz = [y] * 2", "exec", g, None) is None
assert g["y"] == 21 and g["z"] == [21, 21]
loc = {}
assert m.run("w = x - 1", "exec", g, loc) is None and loc == {"w": 19} and "w" not in g
assert m.run("len(s)", "eval", {"s": "four"}, None) == 4
assert m.run("q = 5", "single", g, None) is None and g["q"] == 5
raises(SyntaxError, m.run, "1 +", "eval", {}, None)
raises(SyntaxError, m.run, "x = 1", "eval", {}, None)
raises(NameError, m.run, "undefined_name_cx", "eval", {}, None)
raises(TypeError, m.run, "1", "eval", None, None)
print("run", m.run("sorted(set('banana'))", "eval", {}, None), g["y"])

v = m.new_var("cx_var")
assert isinstance(v, contextvars.ContextVar) and v.name == "cx_var"
assert m.var_get(v) == "<missing>" and m.var_get(v, "dflt") == "dflt"
token = m.var_set(v, "value")
assert isinstance(token, contextvars.Token) and v.get() == "value"
assert m.var_get(v) == "value" and m.var_get(v, "dflt") == "value"
v.reset(token)
assert m.var_get(v) == "<missing>"
w = m.new_var("cx_var_default", 10)
assert m.var_get(w) == 10 and m.var_get(w, 11) == 11 and w.get() == 10
ctx = contextvars.copy_context()
ctx.run(m.var_set, w, 99)
assert m.var_get(w) == 10 and ctx[w] == 99
raises(TypeError, m.var_get, "not a var")
raises(TypeError, m.var_set, 5, 1)
print("contextvars", m.var_get(w), ctx.run(m.var_get, w), v.name)

big = 2**63 - 1
assert m.unpack(slice(1, 10, 2)) == (1, 10, 2)
assert m.unpack(slice(None)) == (0, big, 1)
assert m.unpack(slice(None, None, -1)) == (big, -big - 1, -1)
assert m.unpack(slice(-5, None)) == (-5, big, 1)
assert m.unpack(slice(2**100, -2**100)) == (big, -big - 1, 1)
raises(ValueError, m.unpack, slice(1, 2, 0))
raises(TypeError, m.unpack, slice("a", 2))
raises(TypeError, m.unpack, (1, 2))
print("slices", m.unpack(slice(3)), m.unpack(slice(1, -1, 3)))

assert [m.collatz_steps(n) for n in (1, 2, 3, 6, 27)] == [0, 1, 7, 8, 111]
raises(ValueError, m.collatz_steps, 0)
print("collatz", m.collatz_steps(97))
