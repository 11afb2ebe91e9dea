# Run by run.sh under lichen-rustpython with the path of opslots.c built
# as a universal binary: the operators reach an HPy type's number and
# sequence slots as on CPython. RustPython makes any class's `__mul__` a
# sequence repeat, and falls back to repeating an operand with a
# `__getitem__` once the number slots returned NotImplemented; an HPy type
# has a sequence repeat only from HPy_sq_repeat, as on CPython (where this
# table was taken: `python3.11 opslots.py opslots.hpy0.so --print` with
# Lichen's hpy.universal). Both-sided number slots get (left, right) and
# return NotImplemented for operands they do not take.
import importlib.util
import sys

import hpy.universal

path = sys.argv[1]
m = hpy.universal.load("opslots", path, importlib.util.spec_from_file_location("opslots", path))
n, s, si, b = m.Num(), m.Seq(), m.SeqIn(), m.Both()

CASES = [
    # nb_add, nb_multiply, nb_inplace_multiply taking (Num, int) only, and
    # a __getitem__: no sequence repeat
    ("n * 2", "('nb_multiply', Num, 2)"),
    ("2 * n", "TypeError"),
    ("n + 2", "('nb_add', Num, 2)"),
    ("2 + n", "TypeError"),
    ("n * 'x'", "TypeError"),
    ("[1] * n", "TypeError"),
    ("n * [1]", "TypeError"),
    ("n + [1]", "TypeError"),
    ("[1] + n", "TypeError"),
    ("x = n; x *= 2", "('nb_inplace_multiply', Num, 2)"),
    ("x = 2; x *= n", "TypeError"),
    ("x = n; x += 2", "('nb_add', Num, 2)"),
    ("x = 2; x += n", "TypeError"),
    ("x = [1]; x *= n", "TypeError"),
    ("x = n; x *= 'x'", "TypeError"),
    # sq_repeat, sq_concat, sq_item, sq_length only
    ("s * 2", "('sq_repeat', Seq, 2)"),
    ("2 * s", "('sq_repeat', Seq, 2)"),
    ("s * 'x'", "TypeError"),
    ("'x' * s", "TypeError"),
    ("[1] * s", "TypeError"),
    ("s * [1]", "TypeError"),
    ("s * s", "TypeError"),
    ("s + [1]", "('sq_concat', Seq, [1])"),
    ("s + 2", "('sq_concat', Seq, 2)"),
    ("[1] + s", "TypeError"),
    ("2 + s", "TypeError"),
    ("x = s; x *= 2", "('sq_repeat', Seq, 2)"),
    ("x = 2; x *= s", "('sq_repeat', Seq, 2)"),
    ("x = s; x += [1]", "('sq_concat', Seq, [1])"),
    ("x = [1]; x += s", "[1, 0, 1, 2]"),
    ("x = [1]; x *= s", "TypeError"),
    # the in-place sequence slots too
    ("si * 2", "('sq_repeat', SeqIn, 2)"),
    ("x = si; x *= 2", "('sq_inplace_repeat', SeqIn, 2)"),
    ("x = si; x += [1]", "('sq_inplace_concat', SeqIn, [1])"),
    ("x = 2; x *= si", "('sq_repeat', SeqIn, 2)"),
    # nb_add/nb_multiply taking a str on the right only, and sq_repeat,
    # sq_concat: the number slots first, then the sequence ones
    ("b * 'x'", "('nb_multiply', Both, 'x')"),
    ("b * 2", "('sq_repeat', Both, 2)"),
    ("2 * b", "('sq_repeat', Both, 2)"),
    ("'x' * b", "TypeError"),
    ("b + 'x'", "('nb_add', Both, 'x')"),
    ("b + [1]", "('sq_concat', Both, [1])"),
    ("[1] + b", "TypeError"),
    ("'x' + b", "TypeError"),
    ("x = b; x *= 2", "('sq_repeat', Both, 2)"),
    ("x = b; x += [1]", "('sq_concat', Both, [1])"),
    ("x = b; x += 'x'", "('nb_add', Both, 'x')"),
]


def run(code):
    env = {"n": n, "s": s, "si": si, "b": b}
    try:
        if ";" in code:
            exec(code, env)
            return repr(env["x"])
        return repr(eval(code, env))
    except Exception as e:
        return type(e).__name__


if "--print" in sys.argv:
    for code, _ in CASES:
        print(f"    ({code!r}, {run(code)!r}),")
    sys.exit()
failures = [(code, want, got) for code, want in CASES if (got := run(code)) != want]
for code, want, got in failures:
    print(f"{code}: {got}, expected {want}")
assert not failures, f"{len(failures)} of {len(CASES)} cases differ"
print(f"operator slots ok ({len(CASES)} cases)")
