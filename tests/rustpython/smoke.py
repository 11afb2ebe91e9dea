# Run by tests/rustpython/run.sh under lichen-rustpython (and, for
# comparison, under CPython through Lichen): every line printed is compared
# with expected.txt.
import rphost

print(rphost.__doc__)
print(rphost.hello())
print(rphost.twice(21), rphost.twice("ab"), rphost.twice([1]))
print(rphost.sum_ints(), rphost.sum_ints(1, 2, 3), rphost.sum_ints(True, -5))
print(rphost.describe(1), rphost.describe(1, 2), rphost.describe("x", b="y", sep="+"))
print(rphost.build(4))
print(rphost.info([1, 2]), rphost.info(0), rphost.info("é"))
print(rphost.attr(3 + 4j, "imag"))
print(rphost.call(max, 3, 9, 4), rphost.call(lambda: "no args"))
print(rphost.bytes_len(b"abc"), rphost.bytes_len(b"ab\0c"))
print(rphost.answer, rphost.global_name())


def error(f, *args, **kw):
    try:
        f(*args, **kw)
    except Exception as e:
        return f"{type(e).__name__}: {e}"
    return "no error"


print(error(rphost.fail, "bad value"))
print(error(rphost.sum_ints, 1, "x"))
print(error(rphost.sum_ints, 2**70))
print(error(rphost.hello, 1))
print(error(rphost.twice))
print(error(rphost.describe))
print(error(rphost.describe, 1, 2, 3))
print(error(rphost.call, rphost.fail, "from a nested call"))
print(error(rphost.attr, object(), "missing"))
print(error(rphost.bytes_len, "str"))
P = rphost.Point
p = P(3, -4)
print(p, p.x, p.y, p.norm1(), P() + p, P.__name__, P.__module__)
p.x = 10
p.tag = ["t"]
print(p, p.tag, P(1).tag, error(setattr, p, "y", 1), error(P, "a"))
# RustPython names heap types by __name__ in this message, CPython by the
# spec's dotted name: only the exception class is compared.
print(error(lambda: p + 1).split(":")[0])


class Sub(P):
    def norm1(self):
        return -super().norm1()


s = Sub(1, 2)
print(s, s.norm1(), isinstance(s, P), type(s + s).__name__)
# Descriptors check their receiver before the implementation sees its struct.
print([error(f, *a).split(":")[0] for f, a in [
    (P.norm1, (5,)), (P.__repr__, (5,)), (P.__add__, (5, 6)),
    (P.__dict__["x"].__get__, (5,)), (P.__dict__["tag"].__set__, (5, 1))]])
c = rphost.make_capsule(5)
print(repr(c).startswith('<capsule object "rphost.int" at 0x'), rphost.capsule_value(c), error(rphost.capsule_value, 5), type(c).__name__)
del c
print(rphost.capsules_destroyed())
print("done")
