"""The object-heavy benchmarks (bench/objbench), in the shape of HPy's
microbench/test_microbench.py so that bench/run.py runs both the same way:
each method gets ``ext`` (cpy_objbench or hpy_objbench), ``timer`` and ``N``
and times its loop with ``with timer:``. Each checks its result afterwards,
so a runtime that computes something else fails instead of being timed.
"""


def describe(constraint):
    """A constraint as plain values: (op, strength, constant, terms)."""
    e = constraint.expression
    terms = [(t.variable.name, t.coefficient) for t in e.terms]
    return constraint.op, constraint.strength, e.constant, terms


def system(ext, n=16):
    """n constraints over n + 2 variables, three terms each."""
    v = [ext.Variable("v%d" % k) for k in range(n + 2)]
    cs = []
    for k in range(n):
        e = v[k] + 2 * v[k + 1] - v[k + 2] / 4
        cs.append(e == k if k % 4 == 0 else e >= k)
    return v, cs


class TestObjects:

    def test_build(self, ext, timer, N):
        """Ten objects made and freed per line: 4 Terms, 2 tuples,
        3 Expressions and a Constraint, through the number slots and
        rich comparison of types derived from an HPy base type."""
        x, y, z = ext.Variable("x"), ext.Variable("y"), ext.Variable("z")
        c = None
        with timer:
            for i in range(N):
                c = (x + 2 * y - z / 3) >= i
        assert describe(c) == (5, 1001001000.0, -(N - 1),
                               [("x", 1.0), ("y", 2.0), ("z", -1 / 3)]), describe(c)

    def test_variable(self, ext, timer, N):
        """Calling a type: tp_new through HPy_New, then deallocation."""
        Variable = ext.Variable
        v = None
        with timer:
            for i in range(N):
                v = Variable(i)
        assert v.name == N - 1 and v.owner is None and v.value == 0.0

    def test_solve(self, ext, timer, N):
        """A solver sweep over 16 constraints of 3 terms: HPy_AsStruct and
        field loads on every object, one allocation per sweep."""
        v, cs = system(ext)
        worst = None
        with timer:
            for i in range(N):
                worst = ext.relax(cs)
        if N >= 32:  # enough sweeps to converge: every constraint holds
            assert worst < 1e-9, worst
            for c in cs:
                e = c.expression
                r = e.constant + sum(t.coefficient * t.variable.value for t in e.terms)
                assert (abs(r) if c.op == 2 else -r) < 1e-9, (describe(c), r)
