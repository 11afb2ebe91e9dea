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
# Types from specs are not built on RustPython yet: a clear error, no crash.
print(error(rphost.make_type))
print("done")
