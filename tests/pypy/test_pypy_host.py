"""What only Lichen's PyPy host needs checked: its extension lock (threads),
its object table (no handle left behind, objects freed by PyPy's GC), what
it refuses without CPython's C API, its panic barrier, and its packaging
(hpy.devel building extensions on PyPy, ``python -m lichen``).

Run with pytest under a PyPy venv that ``make venvs`` made (.venv/pypy,
.venv/pypy8.0); the extensions are built once, on that PyPy, with the
hpy.devel Lichen installs there.
"""

import contextlib
import gc
import os
import shutil
import subprocess
import sys
import threading

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))

pytestmark = pytest.mark.skipif(sys.implementation.name != "pypy", reason="Lichen's PyPy host runs on PyPy")


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The folder holding the built extensions (and hpy.devel's stub loaders)."""
    out = tmp_path_factory.mktemp("pypy_host")
    for name in ("pypy_host.c", "pypy_hybrid.c", "setup.py"):
        shutil.copy(os.path.join(HERE, name), out)
    r = subprocess.run(
        [sys.executable, "setup.py", "-q", "--hpy-abi=universal", "build_ext", "--inplace"],
        cwd=str(out), capture_output=True, text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    sys.path.insert(0, str(out))
    yield out
    sys.path.remove(str(out))


@pytest.fixture(scope="session")
def mod(built):
    import pypy_host

    return pypy_host


def test_built_by_hpy_devel_on_pypy(built, mod):
    import hpy.devel.version
    import hpy.universal

    assert hpy.devel.version.__version__ == "0.9.0"
    assert hpy.universal.__name__ == "lichen.universal"
    assert os.path.exists(os.path.join(str(built), "pypy_host.hpy0.so"))
    assert mod.__file__.endswith("pypy_host.hpy0.so")


@contextlib.contextmanager
def patched_global(f, name, value):
    """The global ``name`` of ``f`` is ``value`` meanwhile: each function
    made from a definition reads a copy of its module's globals of its own
    (``calls.specialize``)."""
    g = f.__globals__
    old = g[name]
    g[name] = value
    try:
        yield
    finally:
        g[name] = old


def run_in_threads(work, n=4):
    """Runs ``work(k)`` for k in range(n), each in a thread of its own, all
    at once; what they raised (a thread's exception would go unseen)."""
    raised = []

    def run(k):
        try:
            work(k)
        except Exception as e:
            raised.append(e)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return raised


def test_threads_run_extension_code_one_at_a_time(mod):
    # cffi runs C without PyPy's GIL: without Lichen's lock the two loops
    # below would lose increments of the C global.
    start = mod.bump(0)
    assert run_in_threads(lambda k: mod.bump(20000)) == []
    assert mod.bump(0) - start == 80000


def test_callbacks_let_other_threads_into_extensions(mod):
    # The callback waits for another thread that itself calls into the
    # extension: the lock must be free while Python code runs.
    done = threading.Event()

    def other():
        mod.bump(1)
        done.set()

    def wait_for_other():
        t = threading.Thread(target=other)
        t.start()
        assert done.wait(10), "the other thread could not enter the extension"
        t.join()
        return "waited"

    assert mod.call(wait_for_other) == "waited"


def test_loads_and_stores_from_threads_stay_consistent(mod):
    """Four threads load and replace the fields of shared boxes (kept
    loads, remembered tuple items, stores applied after each call or made
    at once while another thread's load stands for the old object), one of
    them collecting now and then: every load gives a whole value, never
    another box's or a freed one's, and never fails (Python reads results
    and loaded fields' objects while other threads run)."""
    boxes = [mod.Box((i, str(i))) for i in range(64)]
    bad = []

    def work(seed):
        for r in range(3000):
            box = boxes[(r * 7 + seed) % len(boxes)]
            got = box.get()
            if not (type(got) is tuple and got[1] == str(got[0])):
                bad.append(got)
            first = box.item(0)
            if type(first) is not int:
                bad.append(first)
            v = r * 10 + seed
            box.set((v, str(v)))
            if seed == 0 and r % 500 == 0:
                gc.collect()

    assert run_in_threads(work) == []
    assert bad == []
    assert all(b.get()[1] == str(b.get()[0]) for b in boxes)


def test_leave_python_execution_lets_threads_run_in_parallel(mod):
    # Four calls wait for each other outside the interpreter: they meet
    # only if each let go of it (else the first waits alone, then fails).
    mod.meet_reset()
    met = []
    assert run_in_threads(lambda k: met.append(mod.meet_outside(4))) == []
    assert met == [True] * 4


def test_no_handle_left_behind(mod):
    from lichen._pypy.handles import slots_in_use

    mod.churn(10, 2**70)
    before = slots_in_use()
    mod.churn(20000, 2**70)
    assert slots_in_use() == before


def test_builders_reused_build_right_and_leave_no_handle_behind(mod):
    """Builders' arrays are reused (see host/container.rs): after a cancel,
    a failed build and a tuple too long for its slot to keep the items,
    the next builders still build what was set, and nothing stays held."""
    from lichen._pypy.handles import slots_in_use

    big = 2**70
    t, l, t20 = mod.builders(3, big)
    assert t == (big + 2, 2.5, 2) and type(t) is tuple
    assert l == [big + 2, 2.5, 2] and type(l) is list
    assert t20 == (big,) * 20
    del t, l, t20
    mod.builders(10, big)
    before = slots_in_use()
    mod.builders(5000, big)
    assert slots_in_use() == before


def test_keyword_calls_bind_in_order_and_leave_no_handle_behind(mod):
    """Keyword arguments reach the extension in the order of the call, each
    name with its value, however many there are (the short calls take
    them out of their dict one by one, see calls._keywords); the names'
    handles, kept from call to call, stay what they were."""
    from lichen._pypy.handles import slots_in_use

    big = 2**70
    assert mod.keywords(1, b=2) == ((1,), ("b",), (2,))
    assert mod.keywords(c=3, a=1) == ((), ("c", "a"), (3, 1))
    assert mod.keywords(1, 2, z=big, y=None) == ((1, 2), ("z", "y"), (big, None))
    assert mod.keywords(d=4, c=3, b=2, a=1) == ((), ("d", "c", "b", "a"), (4, 3, 2, 1))
    assert mod.keywords(1, 2, 3, d=4, e=5) == ((1, 2, 3), ("d", "e"), (4, 5))
    kw = dict(("k%d" % i, i) for i in range(10))
    assert mod.keywords(0, **kw) == ((0,), tuple(kw), tuple(kw.values()))
    assert kw == dict(("k%d" % i, i) for i in range(10))  # the caller's dict untouched
    mod.keywords(1, b=2, c=3)  # its names' handle is made once, and kept
    before = slots_in_use()
    for k in range(3000):
        assert mod.keywords(k, b="x", c=k) == ((k,), ("b", "c"), ("x", k))
    assert slots_in_use() == before


def test_keyword_names_are_known_natively_after_the_first_call(built):
    """A call's keyword names are made into a handle whose items native code
    knows once per set of names: later calls with the same names read them
    with no call into PyPy."""
    out = counted(built, [
        "m.keywords(1, alpha=2, beta=3)",
        "callbacks.counts.clear()",
        "for k in range(100):",
        "    m.keywords(k, alpha=2, beta=3)",
        "print(callbacks.counts.get('length', 0), callbacks.counts.get('get_item', 0))",
    ])
    assert out.split() == ["0", "0"]


def test_texts_handed_out_stay_where_they_were(mod):
    """A str's UTF-8 and a bytes' contents are copied once per handle: asked
    again, the extension gets the same pointer (the first stays valid for
    as long as the handle), and a str's copy never serves as a bytes'."""
    assert mod.texts("h\xe9llo", b"by\x00tes") == ("h\xe9llo".encode(), b"by\x00tes")
    with pytest.raises(TypeError):
        mod.texts(b"not a str", b"x")
    with pytest.raises(TypeError):
        mod.texts("x", "not bytes")


def test_names_made_from_c_strings_are_kept_and_stay_right(mod):
    """HPy_GetAttr_s makes the str of its name once (the names an extension
    uses are few): the same name finds the same attribute every time, more
    distinct names than are kept still work, and a name that is no UTF-8
    fails with the error and is not kept."""
    class Many(object):
        pass

    o = Many()
    for k in range(5000):
        setattr(o, "name%d" % k, k)
    for _ in range(2):
        for k in range(5000):
            assert mod.attr(o, b"name%d" % k) == k
    with pytest.raises(UnicodeDecodeError):
        mod.attr(o, b"\xff\xfe")
    with pytest.raises(UnicodeDecodeError):
        mod.attr(o, b"\xff\xfe")
    assert mod.attr(3, b"real") == 3


def test_capsule_destructor_runs_when_collected(mod):
    before = mod.destroyed()
    c = mod.capsule()
    assert type(c).__name__ == "PyCapsule"
    del c
    gc.collect()
    assert mod.destroyed() - before == 1


def test_as_pyobject_is_refused_with_a_precise_error(mod):
    with pytest.raises(SystemError, match="HPy_AsPyObject need CPython's C API"):
        mod.as_pyobject(1)


def test_legacy_methods_are_refused_with_a_precise_error(built):
    with pytest.raises(SystemError, match="legacy_methods holds CPython C-API methods"):
        import pypy_hybrid  # noqa: F401


def test_a_panic_becomes_a_system_error():
    from lichen._lichen_pypy import lib
    from lichen._pypy.errors import take_error

    assert lib.lichen_selftest_panic() == -1
    exc = take_error()
    assert isinstance(exc, SystemError)
    assert "internal error in Lichen (lichen_selftest_panic): the self-test panic" in str(exc)


def test_lichen_command_line_on_pypy():
    def lichen(*args):
        r = subprocess.run([sys.executable, "-m", "lichen"] + list(args), capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()

    assert lichen("status") == "lichen"
    assert "HPy ABI 0.9.0" in lichen("version")
    try:
        lichen("unprovide")
        assert lichen("status") == "hpy"
        r = subprocess.run([sys.executable, "-c", "import hpy.universal as u; print(u.__name__)"],
                           capture_output=True, text=True)
        assert r.stdout.strip() != "lichen.universal"
    finally:
        lichen("provide")
    assert lichen("status") == "lichen"


@pytest.mark.parametrize("name", ["hpy.universal", "hpy.debug", "hpy.debug.leakdetector", "hpy.debug.pytest", "hpy.trace"])
def test_hpy_python_surface(name):
    """The modules of HPy 0.9.0's Python surface that extensions and their
    test suites import (a ported extension's conftest starts with
    ``from hpy.debug.pytest import LeakDetector``)."""
    import importlib

    module = importlib.import_module(name)
    if name == "hpy.universal":
        assert module.__name__ == "lichen.universal"
    if name == "hpy.debug.pytest":
        from hpy.debug.leakdetector import LeakDetector

        assert module.LeakDetector is LeakDetector



def test_field_holds_its_object_through_the_owner(mod):
    """An HPyField's object is held by its owner (not by the object table):
    a type with fields and no HPy_tp_destroy needs no finalizer, so PyPy can
    free its instances young; the object lives as long as the owner."""
    import weakref

    class Item(object):
        pass

    assert "__del__" not in mod.Box.__dict__
    item = Item()
    box = mod.Box(item)
    assert box.get() is item
    ref = weakref.ref(item)
    del item
    gc.collect()
    assert box.get() is ref()
    box.set(5)
    assert box.get() == 5
    gc.collect()
    assert ref() is None  # the old object went with the store
    box.clear()
    assert box.get() is None


def test_get_referents_gives_what_traverse_visits(mod):
    """As on CPython, gc.get_referents of an instance of an HPy type is
    what its tp_traverse visits: the objects of its fields (PyPy's own
    answer would list the class, the struct's buffer and the container of
    the fields); a Python subclass's instance adds its own references."""
    item = object()
    b = mod.Box(item)
    assert gc.get_referents(b) == [item]
    b.set("new")  # a store applied after the call
    assert gc.get_referents(b) == ["new"]
    b.clear()
    assert gc.get_referents(b) == []
    other = [1.5, "x"]
    assert gc.get_referents(mod.Box(item), other) == [item] + gc.get_referents._lichen_original(other)

    class Sub(mod.Box):
        pass

    s = Sub(item)
    s.extra = extra = object()
    refs = gc.get_referents(s)
    assert item in refs and extra in refs
    assert not any(r is s._lichen_refs or type(r).__name__ == "CData" for r in refs)


def test_cycle_through_fields_is_collected(mod):
    import weakref

    class Node(object):
        pass

    a, b = mod.Box(None), mod.Box(None)
    n = Node()
    a.set(b)
    b.set(a)
    n.box = a
    a.set(n)  # a -> n -> a, and b -> a
    refs = [weakref.ref(x) for x in (a, b, n)]
    del a, b, n
    gc.collect()
    gc.collect()
    assert [r() for r in refs] == [None, None, None]


def test_loaded_field_outlives_its_owner(mod):
    """A handle HPyField_Load gave keeps the object alive after the owner
    is gone (it holds the owner until it is closed)."""

    class Item(object):
        pass

    item = Item()
    got = mod.outlive(lambda: mod.Box(item), gc.collect)
    assert got is item
    assert mod.outlive(lambda: mod.Box([1, 2]), gc.collect) == [1, 2]


def test_field_loads_leave_the_table_flat(mod):
    from lichen._pypy import handles
    from lichen._pypy.handles import slots_in_use

    box = mod.Box([])
    mod.loads(box, 10)
    before = slots_in_use()
    for i in range(300):
        mod.loads(box, 100)
        box.get()
    assert slots_in_use() == before
    # freed slots are reused: the table does not grow with the loads
    assert len(handles.objs) < 30000



def test_a_call_lets_go_of_what_it_alone_loaded_again_and_again(mod):
    """A field that one call loads over and over is served from the cache
    of loaded slots, which holds its object and owner; if no earlier call
    loaded it, the cache lets go of it when the call ends, so that objects
    made and read by one call do not outlive it there (no sweep needed)."""
    from lichen._lichen_pypy import lib
    from lichen._pypy.handles import sweep

    mod.loads(mod.Box([]), 5)
    sweep()
    before = lib.lichen_slots_in_use()
    for i in range(50):
        mod.loads(mod.Box([i]), 5)
    assert lib.lichen_slots_in_use() == before


def test_loads_python_never_saw_need_no_sweep(mod):
    """A loaded field's slot comes from the clean list, and Python finds
    its entry empty until it first needs the object: closed before that,
    the slot is clean again (no stale entry for Python to sweep; before,
    each load left one)."""
    from lichen._lichen_pypy import lib
    from lichen._pypy.handles import sweep

    box = mod.Box([])
    stale = lib.lichen_stale_hint()
    sweep()
    mod.loads(box, 1)
    one = stale[0]  # what the call itself leaves (its argument's slot)
    sweep()
    mod.loads(box, 500)
    # at most as many: the key was loaded by an earlier call, so the cache
    # keeps this call's loaded slot, and with it the argument's
    assert stale[0] <= one

def counted(built, lines):
    """The output of ``lines`` run by a new PyPy that has ``pypy_host``
    (as ``m``) and counts its callbacks (``callbacks.counts``)."""
    code = "\n".join(["import sys, gc", "sys.path.insert(0, %r)" % str(built), "import pypy_host as m",
                       "from lichen._pypy import callbacks"] + lines)
    env = dict(os.environ, LICHEN_PYPY_COUNT_CALLBACKS="1")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_the_lock_biased_to_one_thread_is_revoked_by_the_others(built):
    """The extension lock is biased to the first thread that takes it (in
    a new process, the main thread): threads that start calling while it
    keeps calling revoke the bias, and no increment is lost; a thread that
    never called forks, and its child, alone, revokes it and calls."""
    out = counted(built, [
        "import os, threading",
        "start = m.bump(0)",
        "def loop():",
        "    for _ in range(20000):",
        "        m.bump(1)",
        "ts = [threading.Thread(target=loop) for _ in range(3)]",
        "for t in ts:",
        "    t.start()",
        "loop()",
        "for t in ts:",
        "    t.join()",
        "print(m.bump(0) - start)",
    ])
    assert out.split() == ["80000"]
    out = counted(built, [
        "import os, threading",
        "start = m.bump(1)",
        "def fork():",
        "    pid = os.fork()",
        "    if pid == 0:",
        "        os._exit(0 if m.bump(5) - start == 5 else 1)",
        "    print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))",
        "t = threading.Thread(target=fork)",
        "t.start()",
        "t.join()",
        "print(m.bump(1) - start)",
    ])
    assert out.split() == ["0", "1"]


def test_type_checks_need_the_interpreter_once(built):
    """HPy_TypeCheck against a class made from a spec asks Python once per
    handle at most: Python tells what it knows of both classes, native code
    answers the next checks; an instance of a class made from a spec comes
    with its class, and is never asked about (counted with
    LICHEN_PYPY_COUNT_CALLBACKS)."""
    out = counted(built, [
        "class Sub(m.Box): pass",
        "b, s = m.Box(1), Sub(2)",
        "m.boxes(b, 1)",
        "def asked(x, n, expect):",
        "    callbacks.counts.clear()",
        "    assert m.boxes(x, n) == expect",
        "    return callbacks.counts.get('type_check', 0)",
        "class Plain(object): pass",
        "print(asked(b, 10, 10), asked(s, 10, 10), asked(Plain(), 10, 0), asked([], 10, 0),"
        "      asked(m.Box(None), 1, 1))",
    ])
    # the exact class: never; a Python subclass: every time (its MRO may
    # have more); a class with no spec class in its MRO: once; an exact
    # built-in type: never (Python told so with the handle)
    assert out.split() == ["0", "10", "1", "0", "0"]


def test_receivers_and_floats_come_known(built):
    """A method's receiver comes with its class, a float argument with its
    value: checking the one and reading the other call no one."""
    out = counted(built, [
        "class Sub(m.Box): pass",
        "b = m.Box(1)",
        "callbacks.counts.clear()",
        "assert b.is_box() and Sub(2).is_box()",
        "assert m.half(3.0) == 1.5 and m.half(-0.5) == -0.25",
        "print(callbacks.counts.get('type_check', 0), callbacks.counts.get('float_as_f64', 0))",
        "try:",
        "    m.half('x')",
        "except TypeError as e:",
        "    print('TypeError')",
    ])
    # Sub's instance: its class is no spec class, its MRO may hold more
    assert out.split() == ["1", "0", "TypeError"]


def test_tuple_items_come_with_its_length(built):
    """HPy_Length of a short tuple hands its items over to native code: the
    items are then read without calling into PyPy, with Python's results
    (negative and out-of-range indices still go to Python)."""
    out = counted(built, [
        "t = (1, 'a', None, 2.5, m.Box(3))",
        "assert m.item_after_len(t, 1) == 'a'",
        "callbacks.counts.clear()",
        "assert [m.item_after_len(t, i) for i in range(4)] == [1, 'a', None, 2.5]",
        "assert m.item_after_len(t, 4).get() == 3",
        "print(callbacks.counts.get('length', 0), callbacks.counts.get('get_item', 0))",
        "assert m.item_after_len(t, -1).get() == 3",
        "assert m.item_after_len([7, 8], 1) == 8",
        "try:",
        "    m.item_after_len(t, 5)",
        "except IndexError:",
        "    print('IndexError')",
    ])
    assert out.split() == ["5", "0", "IndexError"]


def counting_lib(names):
    """Lines for ``counted`` that put in place of ``handles.lib`` a proxy
    counting the calls of the native functions ``names`` (into
    ``counting.calls``), to show which calls a path makes."""
    return [
        "from lichen._pypy import handles",
        "class Counting(object):",
        "    def __init__(self, lib):",
        "        self.lib, self.calls = lib, 0",
        "    def __getattr__(self, name):",
        "        if name in %r:" % (tuple(names),),
        "            self.calls += 1",
        "        return getattr(self.lib, name)",
        "handles.lib = counting = Counting(handles.lib)",
    ]


def test_float_items_come_as_values(built):
    """The exact floats of a short list or tuple are handed over with its
    length as values, whose slots native code makes itself: no call into
    native code makes them (counted through ``handles.lib``), reading them
    calls no one, and they read back bit for bit; an instance of a float
    subclass still goes over as an object."""
    out = counted(built, ["import math"] + counting_lib(["lichen_new_float"]) + [
        "class F(float): pass",
        "lst = [1.5, -0.0, math.inf, math.nan, F(2.5), 7]",
        "callbacks.counts.clear()",
        "got = [m.item_after_len(lst, i) for i in range(6)]",
        "assert got[0] == 1.5 and math.copysign(1.0, got[1]) == -1.0",
        "assert got[2] == math.inf and math.isnan(got[3])",
        "assert type(got[4]) is F and got[4] == 2.5 and got[5] == 7",
        "assert m.sum_after_len((0.25, -4.0, 1e300)) == 0.25 - 4.0 + 1e300",
        "assert m.sum_after_len([0.5, F(0.25), 2]) == 2.75",
        "print(counting.calls, callbacks.counts.get('float_as_f64', 0), callbacks.counts.get('get_item', 0))",
    ])
    # the subclass instance is read through Python, which may change the
    # list: its next item is read from Python again
    assert out.split() == ["0", "1", "1"]


def test_float_results_are_read_without_a_call(built):
    """A float result only the result holds comes back as a value Python
    reads from shared memory: no call into native code to read it (counted
    through ``handles.lib``), values bit for bit, its slot back in the reserve (the
    table stays flat); a float result other holders share (an item of a
    tuple handed over) still comes back as a held slot."""
    out = counted(built, ["import math"] + counting_lib(["lichen_take_float", "lichen_loaded_key"]) + [
        "for x in (3.0, -0.0, math.inf, 1e-310):",
        "    m.half(x)",
        "before = handles.slots_in_use()",
        "counting.calls = 0",
        "got = [m.half(x) for x in (3.0, -0.0, math.inf, math.nan, 1e-310)]",
        "calls = counting.calls",
        "assert got[0] == 1.5 and math.copysign(1.0, got[1]) == -1.0 and got[2] == math.inf",
        "assert math.isnan(got[3]) and got[4] == 1e-310 / 2 and type(got[0]) is float",
        "assert [m.half(float(i)) for i in range(5000)] == [i / 2 for i in range(5000)]",
        "t = (0.5, 2.5)",
        "assert m.item_after_len(t, 1) == 2.5 and m.item_after_len(t, 0) == 0.5",
        "print(calls, handles.slots_in_use() - before)",
    ])
    assert out.split() == ["0", "0"]


def test_list_items_come_with_a_check_until_python_runs(built):
    """HPyList_Check of a list Python passed calls no one (Python told its
    kind with its handle); HPy_Length of a short one hands its items over:
    HPy_GetItem_i then calls no one, until Python code that may change the
    list runs (a callback not marked pure): its items are then read from
    Python again."""
    out = counted(built, [
        "lst = [1, 'a', 2.5]",
        "def used(): return sorted(k for k, v in callbacks.counts.items() if v)",
        "m.items_around(lst, None)",
        "callbacks.counts.clear()",
        "assert m.items_around(lst, None) == (1, 'a', 2.5)",
        "print(used())",
        "def change(): lst[0] = 'changed'",
        "callbacks.counts.clear()",
        "assert m.items_around(lst, change) == ('changed', 'a', 2.5)",
        "print(used())",
        "assert m.items_around((1, 2), change) == (1, 2)",
        "assert m.items_around('xy', None) is None",
        "assert m.items_around(1j, None) is None and m.items_around(None, None) is None",
    ])
    quiet, changed = out.splitlines()
    assert quiet == "['length', 'sequence_from_array']"
    assert changed == "['call_tuple_dict', 'get_item', 'length', 'sequence_from_array']"


def test_kinds_told_with_a_handle_belong_to_its_object(mod):
    """The kinds Python tells with a fresh handle are per fill of the slot:
    slots come back from the reserve again and again, holding a list, then
    an object of no built-in type, then a tuple, and each check answers for
    what the slot holds now."""
    class Plain(object):
        pass

    class Listish(list):
        pass

    for k in range(3000):
        assert mod.items_around([k, "a"], None) == (k, "a")
        assert mod.items_around(Plain(), None) is None
        assert mod.items_around((k,), None) == (k,)
        assert mod.items_around("xy", None) is None
        assert mod.items_around(Listish([k]), None) == (k,)


def test_loaded_field_keeps_its_object_when_the_field_changes(mod):
    """A handle HPyField_Load gave stands for the object the field held
    then, whatever is stored in the field afterwards (a swap)."""

    class Item(object):
        pass

    first, second = Item(), Item()
    box = mod.Box(first)
    assert box.swap(second) is first
    assert box.swap(None) is second
    assert box.swap(3) is None
    assert box.swap([]) == 3
    box.set(first)
    assert box.swap(second) is first


def test_items_of_a_tuple_in_a_field_are_remembered(built):
    """What HPy_Length of a loaded tuple handed over is remembered by the
    field's key: later loads of the same field read its length and items
    without calling into PyPy; a list's are not (it may change); an item's
    handle stays good after the field lets the tuple go."""
    out = counted(built, [
        "class Item(object): pass",
        "first, inner = Item(), m.Box(7)",
        "box = m.Box((first, 'a', inner))",
        "assert box.item(0) is first",
        "callbacks.counts.clear()",
        "assert [box.item(i) for i in range(4)] == [first, 'a', inner, 3]",
        "assert box.item(2).get() == 7",
        "print(callbacks.counts.get('length', 0), callbacks.counts.get('get_item', 0))",
        "assert box.item(1, None) == 'a' and box.get() is None",
        "box.set((1, 2))",
        "assert box.item(1) == 2 and box.item(0, [5, 6]) == 1",
        "assert box.item(1) == 6",
        "box.get()[1] = 9",
        "callbacks.counts.clear()",
        "assert box.item(1) == 9",
        "print(callbacks.counts.get('length', 0))",
        "import weakref",
        "box.set((Item(), 0))",
        "box.item(0)",
        "kept = box.item(0, None)",
        "gc.collect()",
        "print(type(kept).__name__)",
    ])
    assert out.split() == ["0", "0", "1", "Item"]


def test_kept_loads_hold_their_objects_only_until_a_store_or_a_collection(built):
    """A closed loaded field's slot (or a loaded tuple's item's) stays in a
    small cache for the next load of the same field: a store replacing the
    field lets go of it without asking Python (the store still waits for
    the call's end; see test_field_stores_reach_python_after_the_call),
    and so does every gc.collect(), so the cache keeps nothing from a
    collection."""
    out = counted(built, [
        "import weakref",
        "class Item(object): pass",
        "second = Item()",
        "box = m.Box((second, 1))",
        "assert box.item(0) is second and box.item(0) is second",
        "callbacks.counts.clear()",
        "box.set(None)",
        "print(callbacks.counts.get('field_store', 0))",
        "ref = weakref.ref(second)",
        "del second",
        "gc.collect()",
        "print(ref() is None)",
        "third = Item()",
        "box.set(third)",
        "assert box.get() is third",
        "ref = weakref.ref(third)",
        "del third, box",
        "gc.collect()",
        "print(ref() is None)",
    ])
    assert out.split() == ["0", "True", "True"]


def test_a_tuple_made_natively_comes_with_its_items(built):
    """A tuple an extension makes (HPyTuple_FromArray, a builder) keeps its
    items' handles, and a field it is stored in remembers them: its length
    and items, loaded later, need no call into PyPy."""
    out = counted(built, [
        "class Item(object): pass",
        "first = Item()",
        "box = m.Box(None)",
        "box.pack(first, 2.5)",
        "callbacks.counts.clear()",
        "assert box.item(0) is first and box.item(1) == 2.5 and box.item(2) == 2",
        "print(callbacks.counts.get('length', 0), callbacks.counts.get('get_item', 0))",
        "assert box.get() == (first, 2.5)",
    ])
    assert out.split() == ["0", "0"]


def test_field_stores_reach_python_after_the_call(built):
    """HPyField_Store calls no one: the owner takes the object when the call
    returns (its old one goes then); a load in the same call, handed to
    Python code at once, still finds the object."""
    out = counted(built, [
        "import weakref",
        "class Item(object): pass",
        "first, second = Item(), Item()",
        "box = m.Box(first)",
        "assert box.get() is first",  # kept for the next load
        "callbacks.counts.clear()",
        "assert box.set(second) is None",
        "print(callbacks.counts.get('field_store', 0))",
        "ref = weakref.ref(first)",
        "del first",
        "gc.collect()",
        "print(ref() is None, box.get() is second)",
        "third = Item()",
        "seen = []",
        "assert box.store_then_call(third, lambda o: seen.append(o) or 'r') == 'r'",
        "print(seen[0] is third, box.get() is third)",
        "assert box.store_then_call(7, lambda o: o + 1) == 8 and box.get() == 7",
    ])
    assert out.split() == ["0", "True", "True", "True", "True"]


def test_hpy_new_takes_instances_python_made_ahead(built):
    """HPy_New of a class made from a spec takes an instance Python made
    ahead in a batch (one callback a batch, not one an instance): each is
    new, of the class asked for, its struct zeroed; a Python subclass gets
    its own instance; the spares are not counted as handles in use."""
    out = counted(built, [
        "from lichen._pypy.handles import slots_in_use",
        "class Sub(m.Box): pass",
        "m.Box(0)",
        "before = slots_in_use()",
        "callbacks.counts.clear()",
        "boxes = [m.Box(i) for i in range(200)]",
        "assert len(set(map(id, boxes))) == 200",
        "assert [b.get() for b in boxes] == list(range(200))",
        "assert all(type(b) is m.Box for b in boxes)",
        "s = Sub('x')",
        "assert type(s) is Sub and s.get() == 'x' and s.is_box()",
        "made = callbacks.counts.get('new_instances', 0)",
        "print(made, callbacks.counts.get('new_instance', 0))",
        "del boxes, s",
        "print(slots_in_use() - before)",
    ])
    batches, singles, leaked = map(int, out.split())
    # batches of 4, 8, ... 64: 200 instances in at most 7 callbacks
    assert 1 <= batches <= 7
    # the subclass is no class made from a spec: one callback for it
    assert singles == 1
    assert leaked == 0


def test_a_receivers_slot_serves_call_after_call(mod):
    """A method's receiver is lent a slot that the entry gives back after
    the call: the same slot serves the next call (no slot freed and a new
    one taken per call), and no slot is left in use."""
    from lichen._pypy.handles import _reserve, lend as real_lend, slots_in_use

    lent = []

    def lend(o):
        h = real_lend(o)
        lent.append(h >> 3)
        return h

    b = mod.Box(1)
    b.is_box()
    before = (len(_reserve), slots_in_use())
    with patched_global(type(b).is_box, "lend", lend):
        for _ in range(1000):
            assert b.is_box()
    assert (len(_reserve), slots_in_use()) == before
    assert len(lent) == 1000 and len(set(lent)) == 1


def test_a_receiver_the_extension_keeps_keeps_its_slot(mod):
    """A receiver the extension returns or keeps is not given back: its
    slot still names it after other calls reused the reserve."""
    b, c = mod.Box(1), mod.Box(2)
    assert b.itself() is b
    b.keep()
    for _ in range(100):
        assert c.get() == 2 and c.itself() is c
    assert mod.kept() is b
    c.keep()
    assert mod.kept() is c and b.itself() is b


def test_a_kept_receivers_slot_waits_for_its_lender(mod):
    """A receiver the extension keeps, then lets go of before the caller
    that lent it has looked at its slot's byte (another thread ran in
    between), goes to no one until that caller has: no other thread can
    lend the slot and set the byte, and so have both callers take the slot
    back into the reserve."""
    from lichen._pypy import handles

    b, c = mod.Box(1), mod.Box(2)
    waiting = []
    # the lender is held up right here
    with patched_global(type(b).keep, "take_back", waiting.append):
        b.keep()
    [h] = waiting
    c.keep()  # "another thread": the extension lets go of b's slot
    before = handles.slots_in_use()  # (sweeps: stale slots become free)

    def takes_the_slot():
        # the whole reserve and three refills
        n = len(handles._reserve) + 3 * handles.RESERVE_BATCH
        taken = [handles._take_slot() for _ in range(n)]
        handles._reserve.extend(reversed(taken))
        return h >> 3 in taken

    assert not takes_the_slot()
    handles.take_back(h)
    assert handles._back[h >> 3] == 0
    # now the slot is free for anyone, and none is left over
    handles.sweep()
    assert takes_the_slot()
    assert handles.slots_in_use() == before


def test_threads_keeping_and_lending_receivers_share_no_slot(mod):
    """Threads keep receivers in a global (letting go of the one before)
    while others lend theirs call after call: every call sees its own
    receiver, and no slot is left in use or handed out twice."""
    from lichen._pypy import handles

    boxes = [mod.Box(k) for k in range(8)]
    boxes[0].keep()  # the global holds one receiver before as after
    before = handles.slots_in_use()
    errors = []

    def work(k):
        for n in range(3000):
            b = boxes[(k + n) % len(boxes)]
            if n % 3 == 0:
                b.keep()
            elif b.itself() is not b or b.get() != boxes.index(b):
                errors.append((k, n))

    assert run_in_threads(work) == []
    assert errors == []
    assert mod.kept() in boxes
    mod.Box(0).keep()  # lets go of the last kept box
    assert handles.slots_in_use() == before
    assert len(set(handles._reserve)) == len(handles._reserve)


def test_structs_are_cut_from_shared_buffers(mod):
    """Instances' structs are zeroed pieces of buffers shared by several
    instances of a class (one raw allocation and finalizer per buffer, not
    per instance); each is distinct and 16-byte aligned, and one instance
    keeps its buffer alive after the others died."""
    import gc

    boxes = [mod.Box(i) for i in range(200)]
    addresses = [b._lichen_buf for b in boxes]  # an int: no cdata an instance
    assert all(type(a) is int for a in addresses)
    assert len(set(addresses)) == 200
    assert all(a % 16 == 0 for a in addresses)
    assert len({id(b._lichen_mem) for b in boxes}) < 50
    kept = boxes[101]
    del boxes
    for _ in range(3):
        gc.collect()
    more = [mod.Box(None) for _ in range(200)]
    assert kept.get() == 101 and all(b.get() is None for b in more)


def test_results_made_natively_do_not_grow_the_table(mod):
    """A float made natively and returned goes back to Python's reserve
    with its slot; the reserve gives slots above a bound back to native
    code, so the table stays flat however many such results are made (it
    grew by one slot per result before)."""
    from lichen._lichen_pypy import lib
    from lichen._pypy.handles import RESERVE_MAX, _reserve

    for i in range(2000):
        mod.half(float(i))
    before = lib.lichen_table_size()
    for i in range(50000):
        assert mod.half(2.0 * i) == i
    assert lib.lichen_table_size() - before < RESERVE_MAX
    assert len(_reserve) <= RESERVE_MAX


def test_an_owner_holds_a_few_fields_in_a_list_and_more_in_a_dict():
    from lichen._pypy.handles import _MISSING, _REFS_LIST_MAX, field_object, replace_field

    class Owner(object):
        _lichen_refs = None

    few, many = Owner(), Owner()
    a, b, c = object(), object(), object()
    assert replace_field(few, 1, a, 0) is _MISSING
    assert replace_field(few, 2, b, 0) is _MISSING
    assert replace_field(few, 3, c, 1) is a  # a store replacing key 1
    assert replace_field(few, 0, None, 2) is b  # a store of NULL
    assert few._lichen_refs == [3, c]
    assert field_object(few, 3) is c
    items = [object() for _ in range(_REFS_LIST_MAX)]
    for k, item in enumerate(items, 1):
        assert replace_field(many, k, item, 0) is _MISSING
    assert type(many._lichen_refs) is dict
    assert [field_object(many, k) for k in range(1, len(items) + 1)] == items
    assert replace_field(many, 100, a, 5) is items[4]
    assert field_object(many, 100) is a and 5 not in many._lichen_refs
