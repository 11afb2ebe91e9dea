# cx_numbers: C integer and double conversions, the number protocol.
import operator
import cx_numbers as m
from check import raises


class Idx:
    def __index__(self):
        return 41


ranges = {
    m.int32: (-2**31, 2**31 - 1),
    m.uint32: (0, 2**32 - 1),
    m.int64: (-2**63, 2**63 - 1),
    m.uint64: (0, 2**64 - 1),
    m.size: (0, 2**64 - 1),
    m.ssize: (-2**63, 2**63 - 1),
}
for f, (lo, hi) in ranges.items():
    for v in (lo, hi, 0, 12345, True):
        r = f(v)
        assert r == v and type(r) is int, (f.__name__, v, r)
    raises(OverflowError, f, hi + 1)
    raises(OverflowError if lo == 0 else OverflowError, f, lo - 1)
    raises(TypeError, f, "1")
    raises(TypeError, f, 1.5)
    print(f.__name__, f(hi), f(lo))

assert m.int32(Idx()) == 41 and m.int64(Idx()) == 41
assert m.uint32_mask(-1) == 2**32 - 1 and m.uint32_mask(2**32 + 5) == 5
assert m.uint64_mask(-1) == 2**64 - 1 and m.uint64_mask(2**64 + 7) == 7
assert m.uint64_mask(Idx()) == 41
raises(TypeError, m.uint32_mask, "x")
print("masks", m.uint32_mask(-2), m.uint64_mask(2**70 + 3))

assert m.pointer(0) == 0 and m.pointer(0xDEAD0) == 0xDEAD0 and m.pointer(-1) == 2**64 - 1
# HPyLong_AsSsize_t, AsSize_t, AsVoidPtr and the unsigned ones take ints only, no __index__
for f in (m.ssize, m.size, m.pointer, m.uint32, m.uint64):
    raises(TypeError, f, Idx())
raises(OverflowError, m.pointer, 2**64)
raises(OverflowError, m.pointer, -2**63 - 1)
assert m.long_double(2**53) == float(2**53) and m.long_double(-7) == -7.0
raises(OverflowError, m.long_double, 2**1100)
raises(TypeError, m.long_double, 1.0)
assert m.half(3) == 1.5 and m.half(-1.0) == -0.5 and m.half(True) == 0.5
raises(TypeError, m.half, "3")
assert m.negate_bool(0) is True and m.negate_bool([1]) is False
print("floats", m.half(7), m.long_double(10**20), m.pointer(4096))

binary = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul,
    "floordiv": operator.floordiv, "truediv": operator.truediv, "mod": operator.mod,
    "divmod": divmod, "lshift": operator.lshift, "rshift": operator.rshift,
    "and": operator.and_, "xor": operator.xor, "or": operator.or_,
}
for name, op in binary.items():
    for a, b in ((17, 5), (-17, 5), (2**70, 3), (True, 3)):
        assert m.binary(name, a, b) == op(a, b), (name, a, b)
    assert m.binary("i" + name, 17, 5) == op(17, 5) if name != "divmod" else True
for name in ("add", "sub", "mul", "truediv", "floordiv", "mod"):
    assert m.binary(name, 7.5, 2) == binary[name](7.5, 2)
assert m.binary("add", "ab", "cd") == "abcd" and m.binary("mul", [0], 3) == [0, 0, 0]
assert m.binary("mod", "%d-%s", (1, "x")) == "1-x"
raises(ZeroDivisionError, m.binary, "floordiv", 1, 0)
raises(TypeError, m.binary, "sub", "a", 1)
raises(ValueError, m.binary, "nonsense", 1, 1)
print("binary", [m.binary(n, 23, 4) for n in binary])

# in-place operators mutate what can be mutated, and fall back otherwise
lst = [1]
r = m.binary("iadd", lst, [2])
assert r is lst and lst == [1, 2]
s = {1, 2, 3}
assert m.binary("iand", s, {2, 3, 4}) is s and s == {2, 3}
assert m.binary("ior", s, {9}) is s and s == {2, 3, 9}
assert m.binary("ixor", s, {2}) is s and s == {3, 9}
assert m.binary("isub", s, {3}) is s and s == {9}
assert m.binary("imul", lst, 2) is lst and lst == [1, 2, 1, 2]
for name in ("ifloordiv", "itruediv", "imod", "ilshift", "irshift"):
    assert m.binary(name, 40, 3) == binary[name[1:]](40, 3)
print("in-place", lst, s)


class Mat:
    def __init__(self, v):
        self.v = v

    def __matmul__(self, other):
        return Mat(self.v * other.v)

    def __imatmul__(self, other):
        self.v += other.v
        return self


a = Mat(3)
assert m.binary("matmul", a, Mat(4)).v == 12
assert m.binary("imatmul", a, Mat(4)) is a and a.v == 7
raises(TypeError, m.binary, "matmul", 1, 2)

assert m.power(2, 10) == 1024 and m.power(2, 10, 1000) == 24 and m.power(2.0, -1) == 0.5
assert m.ipower(3, 3) == 27 and m.ipower(3, 3, 5) == 2
raises(TypeError, m.power, 2.0, 2, 3)
print("power", m.power(7, 2), m.power(7, 2, 10), m.ipower(2, 100) % 1000)

unary = {"neg": operator.neg, "pos": operator.pos, "abs": abs, "invert": operator.invert,
         "index": operator.index, "int": int, "float": float}
for name, op in unary.items():
    for v in (5, -5, 0, 2**80):
        r = m.unary(name, v)
        assert r == op(v) and type(r) is type(op(v)), (name, v, r)
assert m.unary("neg", 2.5) == -2.5 and m.unary("abs", -2.5) == 2.5
assert m.unary("int", 9.99) == 9 and m.unary("int", "12") == 12
assert m.unary("float", "1.5") == 1.5 and m.unary("index", Idx()) == 41
raises(TypeError, m.unary, "index", 1.5)
raises(TypeError, m.unary, "invert", 1.5)
raises(ValueError, m.unary, "int", "x")
print("unary", [m.unary(n, -7) for n in unary])

assert m.is_number(1) and m.is_number(2.5) and m.is_number(1j) and m.is_number(Idx())
assert not m.is_number("1") and not m.is_number([])
print("is_number", m.is_number(True), m.is_number(None))
