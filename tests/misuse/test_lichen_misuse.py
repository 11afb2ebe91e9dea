"""Lichen's misuse corpus: small extensions, each with one distinct handle or
API misuse, run in HPy's debug mode (``hpy_abi == "debug"``).

Every case asserts the precise report it produces: the exception type and a
message naming the context function, or the count of the
``on_invalid_handle`` / ``on_invalid_builder_handle`` hook plus the report
text that ``_debug.take_last_report()`` (Lichen's addition) returns, which
names the context function and, with stack traces on, the C frame that
opened the handle. The process lives on, except in the cases where HPy's own
test suite requires the debug mode to abort (a kept context, a non-type where
a type is required: those also run in-process with Lichen's
``_debug.set_abort_on_misuse(False)``, where they raise a SystemError with the
same report) or where the misuse is a plain memory access the runtime
never sees (raw data after its handle closed, a write to read-only raw data:
the protected memory faults, and Lichen's opt-in fault report names the
context function that returned the data); those run in a subprocess and
assert its exit status and stderr.

Written for HPy's test infrastructure: copy this folder into HPy's ``test/``
(``tests/hpy_suite/run.py`` does, as ``test/lichen_misuse``).
"""
import signal
import sys

import pytest
from test.support import SUPPORTS_SYS_EXECUTABLE, SUPPORTS_MEM_PROTECTION
from lichen_refs import held


@pytest.fixture(params=["debug"])
def hpy_abi(request):
    # a parameter, so that test ids end with [debug] like HPy's own
    return request.param


@pytest.fixture(autouse=True)
def clean_debug_state():
    from hpy.universal import _debug
    _debug.take_last_report()
    yield
    _debug.set_handle_stack_trace_limit(None)
    _debug.set_abort_on_misuse(True)
    _debug.take_last_report()


@pytest.fixture
def no_abort():
    """Lichen's switch: what HPy's debug mode aborts for raises instead."""
    from hpy.universal import _debug
    assert _debug.get_abort_on_misuse() is True
    assert _debug.set_abort_on_misuse(False) is True
    yield
    assert _debug.set_abort_on_misuse(True) is False


# The note debug mode adds to an exception a context function raised.
RAISED_IN = "raised in the HPy context function ctx_%s (Lichen debug mode)"


def last_report():
    from hpy.universal import _debug
    return _debug.take_last_report()


def force_close_all(handles):
    for h in handles:
        h._force_close()


needs_subprocess = pytest.mark.skipif(not SUPPORTS_SYS_EXECUTABLE, reason="needs subprocess")


# ---------------------------------------------------------------- handles

USE_AFTER_CLOSE_SOURCE = """
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            HPy h = HPy_Dup(ctx, arg);
            HPy_Close(ctx, h);
            return HPy_Repr(ctx, h);
        }
        @EXPORT(f)
        @INIT
"""


def test_use_after_close(compiler, hpy_debug_capture):
    mod = compiler.make_module(USE_AFTER_CLOSE_SOURCE)
    # HPy's hook lets the call go on with the stale handle (arg is alive)
    assert mod.f("spam") == "'spam'"
    assert hpy_debug_capture.invalid_handles_count == 1
    assert last_report() == "Invalid usage of already closed handle (in ctx_Repr)"


def test_use_after_close_without_hook_raises(compiler, no_abort):
    mod = compiler.make_module(USE_AFTER_CLOSE_SOURCE)
    with pytest.raises(SystemError) as e:
        mod.f("spam")
    assert str(e.value) == "Invalid usage of already closed handle (in ctx_Repr)"
    assert last_report() == "Invalid usage of already closed handle (in ctx_Repr)"
    assert mod.f  # the module, and the process, live on


def test_double_close(compiler, hpy_debug_capture):
    mod = compiler.make_module("""
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            HPy h = HPy_Dup(ctx, arg);
            HPy_Close(ctx, h);
            HPy_Close(ctx, h);
            return HPy_Dup(ctx, ctx->h_None);
        }
        @EXPORT(f)
        @INIT
    """)
    x = object()
    before = held(x)
    assert mod.f(x) is None
    assert hpy_debug_capture.invalid_handles_count == 1
    assert last_report() == "Invalid usage of already closed handle (in ctx_Close)"
    assert held(x) == before  # the second close closed nothing


def test_close_context_constant(compiler, hpy_debug_capture):
    mod = compiler.make_module("""
        HPyDef_METH(f, "f", HPyFunc_NOARGS)
        static HPy f_impl(HPyContext *ctx, HPy self)
        {
            HPy_Close(ctx, ctx->h_None);
            return HPy_Dup(ctx, ctx->h_None);
        }
        @EXPORT(f)
        @INIT
    """)
    assert mod.f() is None
    assert hpy_debug_capture.invalid_handles_count == 1
    assert last_report() == ("Invalid usage of already closed handle "
                             "(a context constant was closed) (in ctx_Close)")
    assert mod.f() is None  # the constant is still usable
    assert hpy_debug_capture.invalid_handles_count == 2


def test_return_context_constant_without_dup(compiler, hpy_debug_capture):
    mod = compiler.make_module("""
        HPyDef_METH(f, "f", HPyFunc_NOARGS)
        static HPy f_impl(HPyContext *ctx, HPy self)
        {
            return ctx->h_True;    /* should be HPy_Dup(ctx, ctx->h_True) */
        }
        @EXPORT(f)
        @INIT
    """)
    assert mod.f() is True
    assert hpy_debug_capture.invalid_handles_count == 1
    report = last_report()
    assert report.startswith("Invalid usage of already closed handle (a context constant was closed)")
    assert "(in ctx_CallRealFunctionFromTrampoline (the result))" in report


def test_return_closed_handle(compiler, hpy_debug_capture):
    mod = compiler.make_module("""
        HPyDef_METH(f, "f", HPyFunc_NOARGS)
        static HPy f_impl(HPyContext *ctx, HPy self)
        {
            HPy h = HPyLong_FromLong(ctx, 1234567);
            HPy_Close(ctx, h);
            return h;
        }
        @EXPORT(f)
        @INIT
    """)
    with pytest.raises(SystemError) as e:
        mod.f()
    assert str(e.value) == "an HPy function returned a handle that was already closed"
    assert hpy_debug_capture.invalid_handles_count == 1
    assert last_report() == ("Invalid usage of already closed handle "
                             "(in ctx_CallRealFunctionFromTrampoline (the result))")


def test_return_argument_without_dup(compiler, hpy_debug_capture):
    mod = compiler.make_module("""
        HPyDef_METH(f, "f", HPyFunc_VARARGS)
        static HPy f_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
        {
            return args[0];    /* should be HPy_Dup(ctx, args[0]) */
        }
        @EXPORT(f)
        @INIT
    """)
    x = object()
    before = held(x)
    assert mod.f(x, 2) is x
    assert held(x) == before  # the VM got a reference of its own
    assert hpy_debug_capture.invalid_handles_count == 1
    assert last_report() == ("Invalid usage of already closed handle "
                             "(in ctx_CallRealFunctionFromTrampoline (the result))")


def test_close_argument(compiler, hpy_debug_capture):
    mod = compiler.make_module("""
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            HPy_Close(ctx, arg);    /* the caller owns it */
            return HPy_Dup(ctx, ctx->h_None);
        }
        @EXPORT(f)
        @INIT
    """)
    x = object()
    before = held(x)
    assert mod.f(x) is None
    assert held(x) == before
    assert hpy_debug_capture.invalid_handles_count == 1
    assert last_report() == (
        "Invalid usage of already closed handle (in ctx_CallRealFunctionFromTrampoline "
        "(an argument handle was closed by the extension))")


def test_unknown_handle_value(compiler, hpy_debug_capture):
    mod = compiler.make_module("""
        HPyDef_METH(f, "f", HPyFunc_NOARGS)
        static HPy f_impl(HPyContext *ctx, HPy self)
        {
            HPy bogus = { 0x1230 };
            return HPy_Repr(ctx, bogus);
        }
        @EXPORT(f)
        @INIT
    """)
    with pytest.raises(SystemError) as e:
        mod.f()
    assert str(e.value) == "ctx_Repr: invalid handle (not an open handle of the debug context)"
    assert hpy_debug_capture.invalid_handles_count == 1


def test_closed_handle_given_to_a_tracker(compiler):
    from hpy.universal import _debug
    mod = compiler.make_module("""
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            HPyTracker ht = HPyTracker_New(ctx, 1);
            HPy h = HPy_Dup(ctx, arg);
            HPy_Close(ctx, h);
            HPyTracker_Add(ctx, ht, h);    /* h is closed already */
            HPyTracker_Close(ctx, ht);     /* ... and closed once more */
            return HPy_Dup(ctx, ctx->h_None);
        }
        @EXPORT(f)
        @INIT
    """)
    reports = []
    x = object()
    before = held(x)  # before the hook, which itself takes a handle
    _debug.set_on_invalid_handle(lambda: reports.append(_debug.take_last_report()))
    try:
        assert mod.f(x) is None
    finally:
        _debug.set_on_invalid_handle(None)
    assert reports == ["Invalid usage of already closed handle (in ctx_Tracker_Add)",
                       "Invalid usage of already closed handle (in ctx_Tracker_Close)"]
    assert held(x) == before


def test_argument_kept_for_a_later_call(compiler, hpy_debug_capture):
    mod = compiler.make_module("""
        static HPy kept;
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            kept = arg;    /* should be HPyField/HPyGlobal or a Dup */
            return HPy_Dup(ctx, ctx->h_None);
        }
        HPyDef_METH(g, "g", HPyFunc_NOARGS)
        static HPy g_impl(HPyContext *ctx, HPy self)
        {
            return HPyLong_FromSsize_t(ctx, HPy_Length(ctx, kept));
        }
        @EXPORT(f)
        @EXPORT(g)
        @INIT
    """)
    s = "hello world"
    mod.f(s)
    assert hpy_debug_capture.invalid_handles_count == 0
    assert mod.g() == len(s)
    assert hpy_debug_capture.invalid_handles_count == 1
    assert last_report() == "Invalid usage of already closed handle (in ctx_Length)"


def test_closed_handle_in_call_arguments(compiler):
    from hpy.universal import _debug
    mod = compiler.make_module("""
        HPyDef_METH(f, "f", HPyFunc_VARARGS)
        static HPy f_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
        {
            HPy item = HPy_Dup(ctx, args[1]);
            HPy_Close(ctx, item);
            HPy call_args[1] = { item };
            return HPy_Call(ctx, args[0], call_args, 1, HPy_NULL);
        }
        @EXPORT(f)
        @INIT
    """)
    reports = []
    # a hook of our own reads the report while it is being made
    _debug.set_on_invalid_handle(lambda: reports.append(_debug.take_last_report()))
    try:
        assert mod.f(len, "abc") == 3
    finally:
        _debug.set_on_invalid_handle(None)
    assert reports == ["Invalid usage of already closed handle (in ctx_Call)"]


KEPT_CONTEXT_SOURCE = """
        static HPyContext *kept;
        HPyDef_METH(f, "f", HPyFunc_NOARGS)
        static HPy f_impl(HPyContext *ctx, HPy self)
        {
            kept = ctx;
            return HPy_Dup(ctx, ctx->h_None);
        }
        HPyDef_METH(g, "g", HPyFunc_NOARGS)
        static HPy g_impl(HPyContext *ctx, HPy self)
        {
            return HPy_Dup(kept, ctx->h_None);
        }
        @EXPORT(f)
        @EXPORT(g)
        @INIT
"""


@needs_subprocess
def test_context_kept_for_a_later_call(compiler, python_subprocess, fatal_exit_code):
    # HPy's own test/debug/test_context_reuse.py requires an abort here.
    mod = compiler.compile_module(KEPT_CONTEXT_SOURCE)
    result = python_subprocess.run(mod, "mod.f(); mod.g()")
    assert result.returncode == fatal_exit_code
    assert b"Error: Wrong HPy Context!" in result.stderr
    assert b"(the extension called ctx_Dup with a context it kept from an earlier call)" in result.stderr


TYPECHECK_SOURCE = """
        HPyDef_METH(f, "f", HPyFunc_VARARGS)
        static HPy f_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
        {
            return HPyLong_FromLong(ctx, HPy_TypeCheck(ctx, args[0], args[1]));
        }
        @EXPORT(f)
        @INIT
"""


@needs_subprocess
def test_non_type_where_a_type_is_required(compiler, python_subprocess, fatal_exit_code):
    # HPy's own test/debug/test_misc.py requires an abort here.
    mod = compiler.compile_module(TYPECHECK_SOURCE)
    result = python_subprocess.run(mod, "print(mod.f('a', str), flush=True); mod.f('a', 'b')")
    assert result.returncode == fatal_exit_code
    assert result.stdout == b"1\n"
    assert b"HPy_TypeCheck arg 2 must be a type" in result.stderr


def test_context_kept_for_a_later_call_raises(compiler, no_abort):
    mod = compiler.make_module(KEPT_CONTEXT_SOURCE)
    assert mod.f() is None
    with pytest.raises(SystemError) as e:
        mod.g()
    report = ("Wrong HPy Context: ctx_Dup was called with a context kept from an earlier call "
              "(a context is valid only during the call it was passed to)")
    assert str(e.value) == report
    assert last_report() == report
    assert mod.f() is None


def test_non_type_where_a_type_is_required_raises(compiler, no_abort):
    mod = compiler.make_module(TYPECHECK_SOURCE)
    assert mod.f("a", str) == 1
    # HPy_TypeCheck cannot fail, so the extension returns a result with the
    # report pending: CPython's SystemError has it as its cause.
    with pytest.raises(SystemError) as e:
        mod.f("a", "b")
    assert "returned a result with an exception set" in str(e.value)
    assert isinstance(e.value.__cause__, SystemError)
    assert str(e.value.__cause__) == "HPy_TypeCheck arg 2 must be a type"
    assert last_report() == "HPy_TypeCheck arg 2 must be a type"
    assert mod.f(1, int) == 1


# ------------------------------------------------------------- leaks, stacks

def test_leak_detected_by_generation(compiler):
    from hpy.debug import LeakDetector, HPyLeakError
    from hpy.universal import _debug
    mod = compiler.make_module("""
        HPyDef_METH(leak, "leak", HPyFunc_O)
        static HPy leak_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            HPy_Dup(ctx, arg);
            return HPy_Dup(ctx, ctx->h_None);
        }
        @EXPORT(leak)
        @INIT
    """)
    gen = _debug.new_generation()
    mod.leak("before the detector")
    with pytest.raises(HPyLeakError) as e:
        with LeakDetector():
            mod.leak("inside the detector")
    leaks = e.value.leaks
    assert len(leaks) == 1
    assert leaks[0].obj == "inside the detector"
    assert str(e.value).startswith("1 unclosed handle:\n    <DebugHandle 0x")
    assert "for 'inside the detector'>" in str(e.value)
    # the older leak is in an older generation
    older = _debug.get_open_handles(gen)
    assert sorted(h.obj for h in older) == ["before the detector", "inside the detector"]
    force_close_all(older)
    assert _debug.get_open_handles(gen) == []


def test_leak_stack_names_the_c_frame(compiler):
    from hpy.universal import _debug
    mod = compiler.make_module("""
        __attribute__((noinline)) HPy lichen_leaky_helper(HPyContext *ctx, HPy arg)
        {
            return HPy_Dup(ctx, arg);
        }
        HPyDef_METH(leak, "leak", HPyFunc_O)
        static HPy leak_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            lichen_leaky_helper(ctx, arg);
            return HPy_Dup(ctx, ctx->h_None);
        }
        @EXPORT(leak)
        @INIT
    """)
    _debug.set_handle_stack_trace_limit(64)
    gen = _debug.new_generation()
    mod.leak("x")
    (h,) = _debug.get_open_handles(gen)
    try:
        r = repr(h)
        assert r.startswith("<DebugHandle 0x%x for 'x'>\nAllocation stacktrace:\n" % h.id)
        assert "lichen_leaky_helper" in r, r
    finally:
        h._force_close()


def test_use_after_close_report_names_the_allocating_frame(compiler, hpy_debug_capture):
    from hpy.universal import _debug
    mod = compiler.make_module("""
        __attribute__((noinline)) HPy lichen_make_temp(HPyContext *ctx, HPy arg)
        {
            return HPy_Dup(ctx, arg);
        }
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            HPy tmp = lichen_make_temp(ctx, arg);
            HPy_Close(ctx, tmp);
            return HPy_Str(ctx, tmp);
        }
        @EXPORT(f)
        @INIT
    """)
    _debug.set_handle_stack_trace_limit(64)
    assert mod.f("eggs") == "eggs"
    assert hpy_debug_capture.invalid_handles_count == 1
    report = last_report()
    assert report.startswith("Invalid usage of already closed handle (in ctx_Str)\nAllocation stacktrace:\n")
    assert "lichen_make_temp" in report, report


# ------------------------------------------------------ fields and globals

def test_empty_field_load(compiler):
    mod = compiler.make_module("""
        HPyDef_METH(f, "f", HPyFunc_NOARGS)
        static HPy f_impl(HPyContext *ctx, HPy self)
        {
            HPyField empty = HPyField_NULL;
            return HPyField_Load(ctx, self, empty);
        }
        @EXPORT(f)
        @INIT
    """)
    with pytest.raises(SystemError) as e:
        mod.f()
    assert str(e.value) == "ctx_Field_Load: the HPyField is empty (HPyField_NULL), there is nothing to load"


def test_field_store_through_null_pointer(compiler):
    mod = compiler.make_module("""
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            HPyField_Store(ctx, self, NULL, arg);
            if (HPyErr_Occurred(ctx))
                return HPy_NULL;
            return HPy_Dup(ctx, ctx->h_None);
        }
        @EXPORT(f)
        @INIT
    """)
    with pytest.raises(SystemError) as e:
        mod.f(1)
    assert str(e.value) == "ctx_Field_Store: the HPyField pointer is NULL"


def test_empty_global_load(compiler):
    mod = compiler.make_module("""
        static HPyGlobal never_stored;    /* not registered with the module */
        HPyDef_METH(f, "f", HPyFunc_NOARGS)
        static HPy f_impl(HPyContext *ctx, HPy self)
        {
            return HPyGlobal_Load(ctx, never_stored);
        }
        @EXPORT(f)
        @INIT
    """)
    with pytest.raises(SystemError) as e:
        mod.f()
    assert str(e.value) == ("ctx_Global_Load: the HPyGlobal is empty "
                            "(never stored, or the module is not initialized)")


def test_global_store_through_null_pointer(compiler):
    mod = compiler.make_module("""
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            HPyGlobal_Store(ctx, NULL, arg);
            if (HPyErr_Occurred(ctx))
                return HPy_NULL;
            return HPy_Dup(ctx, ctx->h_None);
        }
        @EXPORT(f)
        @INIT
    """)
    with pytest.raises(SystemError) as e:
        mod.f(1)
    assert str(e.value) == "ctx_Global_Store: the HPyGlobal pointer is NULL"


# ---------------------------------------------------- trackers and builders

def test_tracker_used_after_close(compiler):
    mod = compiler.make_module("""
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            HPyTracker ht = HPyTracker_New(ctx, 2);
            if (HPyTracker_Add(ctx, ht, HPy_Dup(ctx, arg)) < 0)
                return HPy_NULL;
            HPyTracker_Close(ctx, ht);
            if (HPyTracker_Add(ctx, ht, arg) < 0)
                return HPy_NULL;
            return HPy_Dup(ctx, ctx->h_None);
        }
        @EXPORT(f)
        @INIT
    """)
    x = object()
    before = held(x)
    with pytest.raises(SystemError) as e:
        mod.f(x)
    assert str(e.value) == ("ctx_Tracker_Add: the tracker is closed or invalid "
                            "(already closed, or never created)")
    assert last_report() == "Invalid usage of already closed tracker (in ctx_Tracker_Add)"
    assert held(x) == before


def test_tuple_builder_built_twice_with_hook(compiler, hpy_debug_capture):
    mod = compiler.make_module("""
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            HPyTupleBuilder b = HPyTupleBuilder_New(ctx, 1);
            HPyTupleBuilder_Set(ctx, b, 0, arg);
            HPy t = HPyTupleBuilder_Build(ctx, b);
            HPy_Close(ctx, t);
            return HPyTupleBuilder_Build(ctx, b);
        }
        @EXPORT(f)
        @INIT
    """)
    with pytest.raises(MemoryError):    # HPy's behaviour once the hook returns
        mod.f(42)
    assert hpy_debug_capture.invalid_builders_count == 1
    assert hpy_debug_capture.invalid_handles_count == 0
    assert last_report() == "Invalid usage of already closed builder (in ctx_TupleBuilder_Build)"


def test_list_builder_built_twice_without_hook(compiler):
    mod = compiler.make_module("""
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            HPyListBuilder b = HPyListBuilder_New(ctx, 1);
            HPyListBuilder_Set(ctx, b, 0, arg);
            HPy l = HPyListBuilder_Build(ctx, b);
            HPy_Close(ctx, l);
            return HPyListBuilder_Build(ctx, b);
        }
        @EXPORT(f)
        @INIT
    """)
    with pytest.raises(SystemError) as e:
        mod.f(42)
    assert str(e.value) == ("ctx_ListBuilder_Build: the builder was already built "
                            "or cancelled (or was never created)")
    assert mod.f.__name__ == "f"    # the process lives on


def test_builder_set_after_cancel(compiler):
    mod = compiler.make_module("""
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            HPyTupleBuilder b = HPyTupleBuilder_New(ctx, 1);
            HPyTupleBuilder_Cancel(ctx, b);
            HPyTupleBuilder_Set(ctx, b, 0, arg);
            if (HPyErr_Occurred(ctx))
                return HPy_NULL;
            return HPy_Dup(ctx, ctx->h_None);
        }
        @EXPORT(f)
        @INIT
    """)
    x = object()
    before = held(x)
    with pytest.raises(SystemError) as e:
        mod.f(x)
    assert str(e.value) == ("ctx_TupleBuilder_Set: the builder was already built "
                            "or cancelled (or was never created)")
    assert last_report() == "Invalid usage of already closed builder (in ctx_TupleBuilder_Set)"
    assert held(x) == before


# ------------------------------------------------------ leaving Python

def test_call_between_leave_and_reenter(compiler):
    mod = compiler.make_module("""
        HPyDef_METH(f, "f", HPyFunc_NOARGS)
        static HPy f_impl(HPyContext *ctx, HPy self)
        {
            HPyThreadState s = HPy_LeavePythonExecution(ctx);
            HPy r = HPy_Dup(ctx, ctx->h_None);    /* no GIL here */
            HPy_ReenterPythonExecution(ctx, s);
            return r;
        }
        HPyDef_METH(ok, "ok", HPyFunc_NOARGS)
        static HPy ok_impl(HPyContext *ctx, HPy self)
        {
            HPyThreadState s = HPy_LeavePythonExecution(ctx);
            HPy_ReenterPythonExecution(ctx, s);
            return HPy_Dup(ctx, ctx->h_None);
        }
        @EXPORT(f)
        @EXPORT(ok)
        @INIT
    """)
    with pytest.raises(SystemError) as e:
        mod.f()
    assert str(e.value) == (
        "ctx_Dup called between HPy_LeavePythonExecution and HPy_ReenterPythonExecution "
        "(1 call(s) refused: the thread did not hold the GIL)")
    # the context's table is back: the process and the module live on
    assert mod.ok() is None


def test_reenter_without_leave(compiler):
    mod = compiler.make_module("""
        HPyDef_METH(f, "f", HPyFunc_NOARGS)
        static HPy f_impl(HPyContext *ctx, HPy self)
        {
            HPyThreadState bogus = { 0 };
            HPy_ReenterPythonExecution(ctx, bogus);
            return HPy_NULL;
        }
        @EXPORT(f)
        @INIT
    """)
    with pytest.raises(SystemError) as e:
        mod.f()
    assert str(e.value) == ("ctx_ReenterPythonExecution: HPy_ReenterPythonExecution called "
                            "without a matching HPy_LeavePythonExecution")


# --------------------------------------------------- wrong argument types

def test_long_as_long_on_a_str(compiler):
    mod = compiler.make_module("""
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            long x = HPyLong_AsLong(ctx, arg);
            if (x == -1 && HPyErr_Occurred(ctx))
                return HPy_NULL;
            return HPyLong_FromLong(ctx, x + 1);
        }
        @EXPORT(f)
        @INIT
    """)
    assert mod.f(41) == 42
    with pytest.raises(TypeError) as e:
        mod.f("41")
    assert str(e.value) == "'str' object cannot be interpreted as an integer"
    assert e.value.__notes__ == [RAISED_IN % "Long_AsInt64_t"]


def test_setitem_s_on_a_non_mapping(compiler):
    mod = compiler.make_module("""
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            if (HPy_SetItem_s(ctx, arg, "key", ctx->h_None) < 0)
                return HPy_NULL;
            return HPy_Dup(ctx, ctx->h_None);
        }
        @EXPORT(f)
        @INIT
    """)
    d = {}
    assert mod.f(d) is None and d == {"key": None}
    with pytest.raises(TypeError) as e:
        mod.f(42)
    assert str(e.value) == "'int' object does not support item assignment"
    assert e.value.__notes__ == [RAISED_IN % "SetItem_s"]


# ---------------------------------------------------------------- raw data

RAW_DATA_SOURCE = """
    HPyDef_METH(f, "f", HPyFunc_VARARGS)
    static HPy f_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        HPy dup = HPy_Dup(ctx, args[0]);
        const char *data = HPyLong_AsLong(ctx, args[1]) == 0
            ? HPyUnicode_AsUTF8AndSize(ctx, dup, NULL)
            : HPyBytes_AsString(ctx, dup);
        HPy_Close(ctx, dup);
        %s
    }
    @EXPORT(f)
    @INIT
"""


# Lichen's fault report is opt-in: HPy's test/debug/test_charptr.py requires
# these faults to end the process with nothing on stderr by default.
# faulthandler first, so that Lichen's handler runs first and then hands the
# fault on to it (which adds the Python frame).
ENABLE_FAULT_REPORT = (
    "import faulthandler; faulthandler.enable(); "
    "from hpy.universal import _debug; assert _debug.set_raw_data_fault_report(True); "
)


@needs_subprocess
@pytest.mark.skipif(not SUPPORTS_MEM_PROTECTION, reason="needs memory protection")
@pytest.mark.parametrize("kind", [0, 1], ids=["unicode", "bytes"])
def test_raw_data_read_after_its_handle_closed(compiler, python_subprocess, kind):
    # A plain memory read no context function sees: the debug mode makes the
    # copy it handed out inaccessible when the handle closes, so the read
    # faults at once instead of returning stale data.
    mod = compiler.compile_module(RAW_DATA_SOURCE % "return HPyUnicode_FromString(ctx, data);")
    arg = "'use after close'" if kind == 0 else "b'use after close'"
    func = b"ctx_Unicode_AsUTF8AndSize" if kind == 0 else b"ctx_Bytes_AsString"
    result = python_subprocess.run(mod, ENABLE_FAULT_REPORT + "mod.f(%s, %d)" % (arg, kind))
    assert result.stdout == b""
    assert result.returncode == -signal.SIGSEGV
    first = result.stderr.splitlines()[0]
    assert first.startswith(b"Lichen debug mode: invalid access at 0x"), result.stderr
    assert first.endswith(b" to the raw data returned by " + func +
                          b": its handle was closed, the data is gone"), result.stderr
    assert b"Fatal Python error: Segmentation fault" in result.stderr
    assert b'File "<string>", line 1 in <module>' in result.stderr


@needs_subprocess
@pytest.mark.skipif(not SUPPORTS_MEM_PROTECTION, reason="needs memory protection")
def test_write_to_read_only_raw_data(compiler, python_subprocess):
    mod = compiler.compile_module("""
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            char *data = (char *)HPyBytes_AsString(ctx, arg);
            data[0] = 'X';    /* the buffer is read-only */
            return HPy_Dup(ctx, ctx->h_None);
        }
        @EXPORT(f)
        @INIT
    """)
    result = python_subprocess.run(mod, ENABLE_FAULT_REPORT + "b = b'abc'; mod.f(b); print(b)")
    assert result.stdout == b""
    assert result.returncode == -signal.SIGSEGV
    first = result.stderr.splitlines()[0]
    assert first.startswith(b"Lichen debug mode: invalid access at 0x"), result.stderr
    assert first.endswith(b" to the raw data returned by ctx_Bytes_AsString: the data is read-only"), result.stderr
    assert b"Fatal Python error: Segmentation fault" in result.stderr
