import pytest
from test.support import SUPPORTS_SYS_EXECUTABLE

@pytest.fixture
def hpy_abi():
    return "debug"


def test_unknown_handle_raises(compiler, hpy_debug_capture):
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
    assert "ctx_Repr" in str(e.value)
    assert hpy_debug_capture.invalid_handles_count == 1


def test_return_closed_owned_handle(compiler, hpy_debug_capture):
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
    assert "already closed" in str(e.value)
    assert hpy_debug_capture.invalid_handles_count == 1


def test_empty_field_load(compiler):
    mod = compiler.make_module("""
        HPyGlobal g;
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
    assert "ctx_Field_Load" in str(e.value)


@pytest.mark.skipif(not SUPPORTS_SYS_EXECUTABLE, reason="needs subprocess")
def test_call_after_leave(compiler, python_subprocess):
    mod = compiler.compile_module("""
        HPyDef_METH(f, "f", HPyFunc_NOARGS)
        static HPy f_impl(HPyContext *ctx, HPy self)
        {
            HPyThreadState s = HPy_LeavePythonExecution(ctx);
            HPy r = HPyLong_FromLong(ctx, 1);
            HPy_ReenterPythonExecution(ctx, s);
            return r;
        }
        @EXPORT(f)
        @INIT
    """)
    result = python_subprocess.run(mod, "mod.f()")
    assert result.returncode != 0
    assert b"ctx_Long_FromInt64_t called between HPy_LeavePythonExecution" in result.stderr or \
           b"called between HPy_LeavePythonExecution" in result.stderr, result.stderr


def test_build_twice_names_function(compiler, python_subprocess):
    mod = compiler.compile_module("""
        HPyDef_METH(f, "f", HPyFunc_NOARGS)
        static HPy f_impl(HPyContext *ctx, HPy self)
        {
            HPyTupleBuilder b = HPyTupleBuilder_New(ctx, 0);
            HPy t = HPyTupleBuilder_Build(ctx, b);
            HPy_Close(ctx, t);
            return HPyTupleBuilder_Build(ctx, b);
        }
        @EXPORT(f)
        @INIT
    """)
    result = python_subprocess.run(mod, "mod.f()")
    assert result.returncode != 0
    assert b"Invalid usage of already closed builder (in ctx_TupleBuilder_Build)" in result.stderr, result.stderr


def test_leak_repr_with_stack(compiler):
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
    _debug.set_handle_stack_trace_limit(40)
    try:
        gen = _debug.new_generation()
        mod.leak('x')
        (h,) = _debug.get_open_handles(gen)
        r = repr(h)
        assert "Allocation stacktrace:" in r
        assert "leak_impl" in r or "Dup" in r, r
        h._force_close()
    finally:
        _debug.set_handle_stack_trace_limit(None)
