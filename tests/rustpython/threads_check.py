# Run by run.sh under lichen-rustpython, in universal and in debug mode:
# several threads call extension functions at once (opening and closing
# handles, building tuples, raising and catching errors, making instances
# of an HPy type); every result is checked.
import sys
import threading
import rphost

THREADS = 4
ROUNDS = 300
start = threading.Barrier(THREADS)
failures = []
finished = []


def worker(k):
    try:
        start.wait()
        for r in range(ROUNDS):
            assert rphost.work(20) == 20 * 19, "work"
            assert rphost.twice(k) == 2 * k, "twice"
            assert rphost.sum_ints(k, r, 1) == k + r + 1, "sum_ints"
            assert rphost.build(3) == ([0, 1, 2], {"n": 3, "squares": (0, 1, 4)}), "build"
            assert rphost.describe(k, b=r, sep=":") == f"{k}:{r}", "describe"
            try:
                rphost.fail(f"thread {k} round {r}")
            except ValueError as e:
                assert str(e) == f"thread {k} round {r}", str(e)
            else:
                raise AssertionError("fail() did not raise")
            try:
                rphost.sum_ints(1, "x")
            except TypeError:
                pass
            else:
                raise AssertionError("sum_ints(1, 'x') did not raise")
            p = rphost.Point(k, r)
            p.tag = (k, r)
            q = p + p
            assert (q.x, q.y, q.norm1(), p.tag) == (2 * k, 2 * r, 2 * (k + r), (k, r)), "Point"
        finished.append(k)
    except BaseException as e:
        failures.append(f"thread {k}: {type(e).__name__}: {e}")


threads = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert not failures, failures
assert sorted(finished) == list(range(THREADS)), finished
print(f"threads ok: {THREADS} threads x {ROUNDS} rounds")
