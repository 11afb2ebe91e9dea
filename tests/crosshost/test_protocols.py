# cx_protocols: buffers, repetition and item assignment slots, finalizers.
import gc
import cx_protocols as m
from check import collect, raises, views_released


b = m.Buf(1)
assert b.exports == 0 and b.sum() == 8
v = memoryview(b)
assert b.exports == 1 and v.nbytes == 8 and v.itemsize == 1 and v.format == "B"
assert v.ndim == 1 and v.shape == (8,) and v.strides == (1,) and not v.readonly
assert v.tobytes() == b"\x01" * 8 and bytes(v[2:4]) == b"\x01\x01"
v[0] = 200
v[7:8] = b"\x09"
assert b.sum() == 200 + 6 + 9 and v[0] == 200 and v.tolist()[-1] == 9
v.release()
views_released()
assert b.exports == 0
raises(ValueError, lambda: v[0])
with memoryview(b) as v2:
    assert b.exports == 1 and bytes(v2) == bytes([200, 1, 1, 1, 1, 1, 1, 9])
views_released()
assert b.exports == 0
data = bytes(b)
views_released()
assert data == bytes([200, 1, 1, 1, 1, 1, 1, 9]) and b.exports == 0
first = bytearray(b)[0]
views_released()
assert first == 200 and b.exports == 0
assert b"\x01\x01" in bytes(b) and b"%s" % b"x" == b"x"
data = bytes(b)
views_released()
print("Buf", data, b.exports, b.sum())


class SubBuf(m.Buf):
    pass


s = SubBuf(2)
with memoryview(s) as sv:
    assert sv.tobytes() == b"\x02" * 8 and s.exports == 1
views_released()
assert s.exports == 0
print("SubBuf", memoryview(s).tolist()[:3])

g = m.Grid()
with memoryview(g) as gv:
    assert gv.readonly and gv.format == "i" and gv.itemsize == 4 and gv.ndim == 2
    assert gv.shape == (2, 3) and gv.strides == (12, 4) and gv.nbytes == 24
    assert gv.tolist() == [[-3, -2, -1], [7, 8, 9]]
    raises(TypeError, gv.__setitem__, (0, 0), 1)
    flat = gv.cast("B").cast("i")
    assert flat.tolist() == [-3, -2, -1, 7, 8, 9]
    flat.release()
raises(TypeError, memoryview, m.Row())
print("Grid", memoryview(g).tolist())

r = m.Row(1, 2, 3)
assert len(r) == 3 and list(r) == [1, 2, 3] and r[-1] == 3
r[0] = 10
r[-1] = 30
assert list(r) == [10, 2, 30]
del r[1]
assert list(r) == [10, 30]
raises(IndexError, r.__setitem__, 5, 1)
raises(IndexError, r.__delitem__, -3)
raises(TypeError, r.__setitem__, 0, "x")
r2 = r * 3
assert type(r2) is m.Row and list(r2) == [10, 30] * 3 and list(r) == [10, 30]
assert list(2 * r) == [10, 30, 10, 30] and list(r * 0) == [] and list(r * -1) == []
raises(OverflowError, lambda: r * 5)
raises(TypeError, lambda: r * "x")
same = r
r *= 2
assert r is same and list(r) == [10, 30, 10, 30]
print("Row", list(r), list(m.Row(7) * 4))

seen = []
f = m.Finalized(lambda obj: seen.append(type(obj).__name__))
before = m.finalized()
del f
collect()
assert m.finalized() - before == 1 and seen == ["Finalized"]
print("Finalized", seen, m.finalized() - before)

V = m.Vec
a, b = V(3, 4), V(y=1.5, x=-1)
assert str(a) == "<3, 4>" and str(b) == "<-1, 1>" and abs(a) == 25.0
assert a - b == V(4, 2.5) and a * b == 3.0 and str(-a) == "<-3, -4>"
assert int(V(7.9, 0)) == 7 and float(V(0, 2.5)) == 2.5 and a ** 2 == V(9, 16)
assert b < a and a > b and a >= a and a <= a and a != b and not (a == b)
raises(TypeError, lambda: a * 2)
raises(TypeError, lambda: 2 * a)
raises(TypeError, lambda: a - 1)
raises(TypeError, lambda: a < 1)
c = V(1, 1)
same = c
c += a
assert c is same and c == V(4, 5)
raises(TypeError, V, "x")
assert a.scaled(2) == V(6, 8) and a.scaled(0.5, around=V(1, 2)) == V(2, 3)
assert a.scaled(k=3) == V(9, 12) and a.scaled(1, around=None) == a
raises(TypeError, a.scaled)
raises(TypeError, a.scaled, 1, V())
raises(TypeError, a.scaled, 1, around=5)
assert a.sum() == a and a.sum(b, b) == V(1, 7) and type(a.sum()) is V
raises(TypeError, a.sum, 1)


class V3(V):
    pass


v3 = V3(1, 2)
assert type(-v3) is V3 and type(v3 - V3()) is V3 and str(v3.scaled(2)) == "<2, 4>"
raises(TypeError, hash, a)  # tp_richcompare without tp_hash: unhashable
print("Vec", str(a - b), a * b, str(a ** 3), str(c), str(a.scaled(0.5, around=V(1, 2))))

t = m.Table()
t["a"] = 1
t["B"] = [2]
assert len(t) == 2 and t["A"] == 1 and t["b"] == [2] and t.reads == 2 and t.keys == ["A", "B"]
del t["a"]
assert len(t) == 1 and t.keys == ["B"]
raises(KeyError, lambda: t["a"])
raises(AttributeError, lambda: t[1])
raises(KeyError, t.__delitem__, "zz")
assert t.reads == 2
print("Table", len(t), t.keys, t.reads)
