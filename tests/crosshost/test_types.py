# cx_types: types from specs, builtin bases, a metaclass, call functions,
# globals and capsules.
import gc
import warnings
import cx_types as m
from check import collect, raises


P = m.Point
assert P.__name__ == "Point" and P.__module__ == "cx_types"
assert P.__doc__ == "A point with a long x, a double y and a tag" and P.__qualname__ == "Point"
p = P(3, -4.0)
assert (p.x, p.y, repr(p), p.norm1) == (3, -4.0, "Point(3, -4)", 7.0)
assert P().x == 0 and P(5).y == 0.0
p.x = 10
assert p.x == 10 and m.point_x(p) == 10
raises(TypeError, setattr, P(), "x", "no")  # CPython 3.11 stores -1 first
raises(AttributeError, setattr, p, "y", 1.0)
raises(AttributeError, setattr, p, "norm1", 1.0)
raises(TypeError, P, "a")
raises(AttributeError, setattr, p, "undeclared", 1)  # no __dict__, as on CPython
print("Point", p, p.x, p.y, p.norm1)

assert p.tag is None
p.tag = ["t"]
assert p.tag == ["t"]
p.tag = p
assert p.tag is p
del p.tag
assert p.tag is None
print("tag", P(1).tag, type(P.tag).__name__ in ("getset_descriptor", "attribute"))

q = p.scaled(3)
assert type(q) is P and (q.x, q.y) == (30, -12.0)
assert p + q == P(40, -16.0) and p != q and p == P(10, -4.0)
assert (p == 1) is False and (p != "x") is True
raises(TypeError, lambda: p + 1)
raises(TypeError, lambda: p < q)
assert hash(P(1, 2.0)) == hash(P(1, 2.0)) == 1 * 1000003 + 2
assert len({P(1, 2.0), P(1, 2.0), P(2, 1.0)}) == 2
assert bool(P()) is False and bool(P(0, 0.5)) is True
print("slots", p + q, hash(P(0, 7.0)), bool(P(1)))


class Sub(P):
    def norm1(self):
        return "overridden"


s = Sub(1, 2.0)
assert isinstance(s, P) and s.x == 1 and s.norm1() == "overridden" and repr(s) == "Point(1, 2)"
assert m.point_x(s) == 1 and P(1) + s == P(2, 2.0)
raises(TypeError, lambda: s + P(1))  # Point_add wants b to be of a's type
s.undeclared = "fine"  # a Python subclass has a __dict__
assert s.undeclared == "fine"
raises(TypeError, type, "SubSeq", (m.Seq,), {})  # Seq is not a base type
print("subclass", s, Sub.__mro__[1].__name__)

del p, q, s
collect()
before = m.destroyed()[0]
made = [P(i) for i in range(5)]
made[0].tag = made[1]
del made
collect()
assert m.destroyed()[0] - before == 5, m.destroyed()[0] - before
before = m.destroyed()[0]
a, b = P(1), P(2)
a.tag, b.tag = b, a  # a cycle through HPyFields, visible to the collector through tp_traverse
s = P(3)
s.tag = [s]
del a, b, s
collect()
assert m.destroyed()[0] - before == 3, m.destroyed()[0] - before
print("destroyed", m.destroyed()[0] - before)

seq = m.Seq(5, offset=1)
assert len(seq) == 5 and seq[0] == 1 and seq[4] == 17 and seq[-1] == 17
assert list(seq) == [1, 2, 5, 10, 17] and 10 in seq and 3 not in seq and "x" not in seq
raises(IndexError, lambda: seq[5])
raises(ValueError, m.Seq, -1)
raises(TypeError, m.Seq)
assert list(m.Seq(n=3)) == [0, 1, 4]
print("Seq", list(seq), len(m.Seq(0)))

pl = m.Plain()
assert (pl.count, pl.flag) == (0, False)
pl.count, pl.flag = 41, True
assert (pl.count, pl.flag) == (41, True)
raises(TypeError, setattr, pl, "flag", 1)
g = m.generic_new(m.Plain)
assert type(g) is m.Plain and g.count == 0
raises(TypeError, m.generic_new, 5)
print("Plain", pl.count, pl.flag, g.count)

mb = m.Members()
assert (mb.s, mb.i, mb.l, mb.ll, mb.n, mb.b, mb.ub, mb.us, mb.ui, mb.ul, mb.ull) == (0,) * 11
assert (mb.f, mb.d, mb.flag, mb.obj, mb.nothing, mb.frozen) == (0.0, 0.0, False, None, None, 0)
assert (mb.str, mb.c, mb.inplace) == ("static text", "A", "inline")
raises(AttributeError, getattr, mb, "obj_ex")
for name, value in (("s", -32768), ("i", 2**31 - 1), ("l", -2**63), ("ll", 2**63 - 1), ("n", -7), ("b", -128),
                    ("ub", 255), ("us", 65535), ("ui", 2**32 - 1), ("ul", 2**64 - 1), ("ull", 2**64 - 1),
                    ("f", 0.5), ("d", 1e300), ("flag", True), ("c", "z"), ("obj", [1]), ("obj_ex", "set")):
    setattr(mb, name, value)
    assert getattr(mb, name) == value, (name, getattr(mb, name))
for name, value, exc in (("i", 2**63, OverflowError), ("l", 2**63, OverflowError), ("ll", -2**63 - 1, OverflowError),
                         ("ull", -1, OverflowError), ("ull", 2**64, OverflowError), ("n", 2**63, OverflowError),
                         ("ul", 2**64, OverflowError), ("s", "1", TypeError), ("i", 1.0, TypeError),
                         ("d", "x", TypeError), ("flag", 1, TypeError), ("c", "ab", TypeError), ("c", "é", TypeError),
                         ("c", 1, TypeError), ("str", "x", TypeError), ("inplace", "x", TypeError),
                         ("nothing", None, SystemError), ("frozen", 1, AttributeError)):
    raises(exc, setattr, mb, name, value)
with warnings.catch_warnings(record=True) as log:
    warnings.simplefilter("always")
    mb.ub = 256
    mb.s = 40000
    mb.ui = -1
with warnings.catch_warnings():
    warnings.simplefilter("error")
    raises(RuntimeWarning, setattr, mb, "b", 200)
assert (mb.ub, mb.s, mb.ui, mb.b) == (0, 40000 - 65536, 2**32 - 1, 200 - 256)
assert [str(w.message) for w in log] == ["Truncation of value to unsigned char", "Truncation of value to short",
                                        "Writing negative value into unsigned field", "Truncation of value to unsigned int"]
del mb.obj, mb.obj_ex
assert mb.obj is None
raises(AttributeError, getattr, mb, "obj_ex")
raises(AttributeError, delattr, mb, "obj_ex")
for name in ("i", "d", "c", "str", "flag", "nothing"):
    raises(TypeError, delattr, mb, name)
raises(AttributeError, delattr, mb, "frozen")
print("Members", mb.ub, mb.s, mb.ui, mb.c, mb.ull, len(log))

for cls, base, value in ((m.MarkedInt, int, 42), (m.MarkedFloat, float, 2.5), (m.MarkedStr, str, "s"),
                         # HPy puts a tuple's struct where its items start: no items
                         (m.MarkedTuple, tuple, ()), (m.MarkedList, list, [3])):
    x = cls(value)
    assert isinstance(x, base) and x == value and x.get_mark() == 0
    x.set_mark(len(cls.__name__))
    assert x.get_mark() == len(cls.__name__) and x == value
    print(cls.__name__, x.get_mark(), x, m.shape(cls))
assert m.MarkedInt(5) + 1 == 6 and m.MarkedList([1]) + [2] == [1, 2]
assert [m.shape(t) for t in (m.Point, m.Meta, m.Plain)] == [0, 1, 0]
assert m.shape(int) == -1 and m.shape(m.WithMeta) == 0
raises(TypeError, m.shape, 5)

T = m.Tagged
t7 = T(tag=7)
assert isinstance(t7, int) and t7 == 0 and t7 + 2 == 2 and t7.tag == 7 and T().tag == 0
assert T(9).tag == 9 and type(T(1)) is T and m.shape(T) == 2
raises(TypeError, T, "x")


class SubTagged(T):
    pass


st = SubTagged(tag=1)
assert type(st) is SubTagged and st == 0 and st.tag == 1
print("Tagged", t7, t7.tag, st + 1, st.tag)

W = m.WithMeta
assert type(W) is m.Meta and issubclass(m.Meta, type)
assert W.bump() == 1 and W.bump() == 2 and type(W()) is W
print("Meta", type(W).__name__, W.bump())

c = m.Caller(2)
assert c(1, 2, 3) == 12 and c() == 0 and c(5, offset=1) == 11
n = m.Caller(-3)
assert n(1, 2) == -9 and n(1, offset=100) == 97
m.negate_calls(c)
assert c(1, 2, 3) == -12
raises(TypeError, m.negate_calls, object())
raises(TypeError, c, "x")
raises(TypeError, m.negate_calls, P())  # Point has no HPy call protocol
g = m.Greeter()
assert g("ana") == "hello ana #1" and g(5) == "hello 5 #2" and m.Greeter()("x") == "hello x #1"
raises(TypeError, g)
raises(TypeError, g, "a", "b")
print("Caller", m.Caller(10)(1, 1), m.Caller(-10)(1, 1), c(1))

assert m.recall() is None
marker = ["remembered"]
assert m.remember(marker) is None
assert m.recall() is marker and m.remember(5) is marker and m.recall() == 5
print("globals", m.recall(), m.remember(None))

_, caps_before = m.destroyed()
cap = m.capsule(1234, "cx_types.first")
assert type(cap) is not int and m.capsule_value(cap, "cx_types.first") == 1234
assert m.capsule_valid(cap, "cx_types.first") and not m.capsule_valid(cap, "cx_types.second")
assert not m.capsule_valid(5, "cx_types.first")
raises(ValueError, m.capsule_value, cap, "cx_types.second")
raises(ValueError, m.capsule_value, "no capsule", "cx_types.first")
assert m.capsule_rename(cap, "cx_types.second") == "cx_types.second"
assert m.capsule_valid(cap, "cx_types.second") and m.capsule_value(cap, "cx_types.second") == 1234
assert m.capsule_context(cap, 77) == 77 and m.capsule_context(cap, 0) == 0
m.capsule_replace(cap, -5)
assert m.capsule_value(cap, "cx_types.second") == -5
kept = m.capsule(9, "cx_types.first")
m.capsule_keep(kept)
del cap, kept
collect()
assert m.destroyed()[1] - caps_before == 1
print("capsules", m.destroyed()[1] - caps_before, m.capsule_value(m.capsule(8, "cx_types.first"), "cx_types.first"))
