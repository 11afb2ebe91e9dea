"""Lichen's own checks of misuse of the text and container context functions:
each must raise a precise Python exception rather than crash. Written in the
style of HPy's test suite; run from a copy of HPy's ``test/`` directory."""
import pytest
from test.support import HPyTest, make_hpy_abi_fixture
from lichen_refs import held



class TestLichenTextContainer(HPyTest):
    # Lichen's modes only: the misuses below crash CPython's own HPy ABI.
    hpy_abi = make_hpy_abi_fixture(['universal', 'debug', 'hybrid', 'hybrid+debug'], class_fixture=True)

    def test_builder_misuse(self):
        # Misuses that every mode reports at Build. (A builder used after
        # Build, or an index out of range, is undefined in universal mode,
        # as in HPy: see TestLichenDebugBuilders.)
        mod = self.make_module("""
            HPyDef_METH(null_item, "null_item", HPyFunc_NOARGS)
            static HPy null_item_impl(HPyContext *ctx, HPy self)
            {
                HPyListBuilder b = HPyListBuilder_New(ctx, 1);
                HPyListBuilder_Set(ctx, b, 0, HPy_NULL);
                return HPyListBuilder_Build(ctx, b);
            }
            HPyDef_METH(unset, "unset", HPyFunc_NOARGS)
            static HPy unset_impl(HPyContext *ctx, HPy self)
            {
                HPyTupleBuilder b = HPyTupleBuilder_New(ctx, 2);
                HPyTupleBuilder_Set(ctx, b, 1, ctx->h_None);
                return HPyTupleBuilder_Build(ctx, b);
            }
            HPyDef_METH(reset, "reset", HPyFunc_O)
            static HPy reset_impl(HPyContext *ctx, HPy self, HPy arg)
            {
                HPyTupleBuilder b = HPyTupleBuilder_New(ctx, 1);
                HPyTupleBuilder_Set(ctx, b, 0, ctx->h_None);
                HPyTupleBuilder_Set(ctx, b, 0, arg);
                return HPyTupleBuilder_Build(ctx, b);
            }
            HPyDef_METH(cancel, "cancel", HPyFunc_O)
            static HPy cancel_impl(HPyContext *ctx, HPy self, HPy arg)
            {
                HPyListBuilder b = HPyListBuilder_New(ctx, 2);
                HPyListBuilder_Set(ctx, b, 1, arg);
                HPyListBuilder_Cancel(ctx, b);
                return HPy_Dup(ctx, ctx->h_None);
            }
            HPyDef_METH(negative, "negative", HPyFunc_NOARGS)
            static HPy negative_impl(HPyContext *ctx, HPy self)
            {
                HPyTupleBuilder b = HPyTupleBuilder_New(ctx, -1);
                HPyTupleBuilder_Set(ctx, b, 0, ctx->h_None);
                return HPyTupleBuilder_Build(ctx, b);
            }
            HPyDef_METH(huge, "huge", HPyFunc_NOARGS)
            static HPy huge_impl(HPyContext *ctx, HPy self)
            {
                HPyListBuilder b = HPyListBuilder_New(ctx, HPY_SSIZE_T_MAX);
                HPyListBuilder_Set(ctx, b, 0, ctx->h_None);
                return HPyListBuilder_Build(ctx, b);
            }
            HPyDef_METH(empty, "empty", HPyFunc_NOARGS)
            static HPy empty_impl(HPyContext *ctx, HPy self)
            {
                HPyListBuilder b = HPyListBuilder_New(ctx, 0);
                return HPyListBuilder_Build(ctx, b);
            }
            @EXPORT(null_item)
            @EXPORT(unset)
            @EXPORT(reset)
            @EXPORT(cancel)
            @EXPORT(negative)
            @EXPORT(huge)
            @EXPORT(empty)
            @INIT
        """)
        import sys
        with pytest.raises(SystemError, match="item 0 is HPy_NULL"):
            mod.null_item()
        with pytest.raises(SystemError, match="item 0 is HPy_NULL .never set"):
            mod.unset()
        x = object()
        before = held(x)
        assert mod.reset(x) == (x,)
        assert mod.cancel(x) is None
        assert held(x) == before
        with pytest.raises(SystemError, match="negative size"):
            mod.negative()
        with pytest.raises(MemoryError):
            mod.huge()
        assert mod.empty() == []

    def test_tracker_misuse(self):
        # Tracker misuse that every mode reports; a tracker used after
        # Close is undefined in universal mode (see TestLichenDebugBuilders).
        mod = self.make_module("""
            HPyDef_METH(neg, "neg", HPyFunc_NOARGS)
            static HPy neg_impl(HPyContext *ctx, HPy self)
            {
                HPyTracker ht = HPyTracker_New(ctx, -3);
                if (HPy_IsNull(ht))
                    return HPy_NULL;
                HPyTracker_Close(ctx, ht);
                return HPy_Dup(ctx, ctx->h_None);
            }
            HPyDef_METH(many, "many", HPyFunc_O)
            static HPy many_impl(HPyContext *ctx, HPy self, HPy arg)
            {
                HPyTracker ht = HPyTracker_New(ctx, 1);
                if (HPy_IsNull(ht))
                    return HPy_NULL;
                for (int i = 0; i < 50; i++)
                    if (HPyTracker_Add(ctx, ht, HPy_Dup(ctx, arg)) < 0)
                        return HPy_NULL;
                HPyTracker_Close(ctx, ht);
                return HPy_Dup(ctx, ctx->h_None);
            }
            @EXPORT(neg)
            @EXPORT(many)
            @INIT
        """)
        import sys
        x = object()
        before = held(x)
        assert mod.many(x) is None
        assert held(x) == before
        with pytest.raises(ValueError):
            mod.neg()

    def test_null_and_wrong_arguments(self):
        mod = self.make_module("""
            HPyDef_METH(f, "f", HPyFunc_VARARGS)
            static HPy f_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
            {
                long which = HPyLong_AsLong(ctx, args[0]);
                HPy arg = nargs > 1 ? args[1] : HPy_NULL;
                HPy items[2] = { ctx->h_None, HPy_NULL };
                switch (which) {
                case 0: return HPyBytes_AsString(ctx, arg) ? HPy_Dup(ctx, ctx->h_None) : HPy_NULL;
                case 1: { HPy_ssize_t n = HPyBytes_GET_SIZE(ctx, arg); return n < 0 ? HPy_NULL : HPyLong_FromSsize_t(ctx, n); }
                case 2: return HPyUnicode_Substring(ctx, arg, 0, 1);
                case 3: { HPy_UCS4 c = HPyUnicode_ReadChar(ctx, arg, 5); return c == (HPy_UCS4)-1 ? HPy_NULL : HPyLong_FromLong(ctx, (long)c); }
                case 4: return HPyTuple_FromArray(ctx, items, 2);
                case 5: return HPyBytes_FromString(ctx, NULL);
                case 6: return HPyUnicode_FromString(ctx, NULL);
                case 7: return HPyList_New(ctx, 3);
                case 8: return HPyUnicode_EncodeFSDefault(ctx, arg);
                case 9: return HPyLong_FromLong(ctx, HPyList_Check(ctx, arg) + 10 * HPyBytes_Check(ctx, arg) + 100 * HPyUnicode_Check(ctx, arg) + 1000 * HPyDict_Check(ctx, arg) + 10000 * HPyTuple_Check(ctx, arg));
                case 10: return HPyList_Append(ctx, arg, ctx->h_None) < 0 ? HPy_NULL : HPy_Dup(ctx, ctx->h_None);
                case 11: return HPyUnicode_AsUTF8AndSize(ctx, arg, NULL) ? HPy_Dup(ctx, ctx->h_None) : HPy_NULL;
                }
                return HPy_Dup(ctx, ctx->h_None);
            }
            @EXPORT(f)
            @INIT
        """)
        with pytest.raises(TypeError):
            mod.f(0, "not bytes")
        with pytest.raises(SystemError):
            mod.f(0)
        with pytest.raises(TypeError):
            mod.f(1, 42)
        if "debug" not in self.compiler.hpy_abi:
            # The debug mode aborts here instead, as HPy's own
            # test/debug/test_misc.py::test_unicode_substring requires.
            with pytest.raises(TypeError, match="HPyUnicode_Substring arg 1 must be a Unicode object"):
                mod.f(2, b"bytes")
        with pytest.raises(TypeError):
            mod.f(3, 42)
        with pytest.raises(IndexError):
            mod.f(3, "abc")
        assert mod.f(3, "abcdefg") == ord("f")
        with pytest.raises(SystemError, match="item 1 is HPy_NULL"):
            mod.f(4)
        with pytest.raises(ValueError, match="NULL char"):
            mod.f(5)
        with pytest.raises(ValueError, match="NULL char"):
            mod.f(6)
        assert mod.f(7) == [None, None, None]
        with pytest.raises(TypeError):
            mod.f(8, 42)
        assert mod.f(9, [1]) == 1
        assert mod.f(9, b"") == 10
        assert mod.f(9, "") == 100
        assert mod.f(9, {}) == 1000
        assert mod.f(9, ()) == 10000
        assert mod.f(9) == 0
        with pytest.raises(SystemError):
            mod.f(10, ())
        with pytest.raises(TypeError):
            mod.f(11, b"x")


class TestLichenDebugBuilders(HPyTest):
    # Builders and trackers used after they ended, and builder indices out
    # of range: undefined in universal mode (as in HPy), reported by the
    # debug mode.
    hpy_abi = make_hpy_abi_fixture(['debug', 'hybrid+debug'], class_fixture=True)

    def test_builder_misuse(self):
        mod = self.make_module("""
            HPyDef_METH(twice, "twice", HPyFunc_O)
            static HPy twice_impl(HPyContext *ctx, HPy self, HPy arg)
            {
                HPyTupleBuilder b = HPyTupleBuilder_New(ctx, 1);
                HPyTupleBuilder_Set(ctx, b, 0, arg);
                HPy t = HPyTupleBuilder_Build(ctx, b);
                HPy_Close(ctx, t);
                HPyTupleBuilder_Set(ctx, b, 0, arg);   /* reported */
                HPyTupleBuilder_Cancel(ctx, b);        /* reported */
                return HPyTupleBuilder_Build(ctx, b);
            }
            HPyDef_METH(bad_index, "bad_index", HPyFunc_O)
            static HPy bad_index_impl(HPyContext *ctx, HPy self, HPy arg)
            {
                HPyListBuilder b = HPyListBuilder_New(ctx, 2);
                HPyListBuilder_Set(ctx, b, 0, arg);
                HPyListBuilder_Set(ctx, b, 1, arg);
                HPyListBuilder_Set(ctx, b, 2, arg);
                return HPyListBuilder_Build(ctx, b);
            }
            @EXPORT(twice)
            @EXPORT(bad_index)
            @INIT
        """)
        import sys
        x = object()
        before = held(x)
        with pytest.raises(SystemError, match="already built or cancelled"):
            mod.twice(x)
        with pytest.raises(SystemError, match="index 2 out of range for a builder of size 2"):
            mod.bad_index(x)
        assert held(x) == before

    def test_tracker_misuse(self):
        mod = self.make_module("""
            HPyDef_METH(f, "f", HPyFunc_O)
            static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
            {
                HPyTracker ht = HPyTracker_New(ctx, 1);
                if (HPy_IsNull(ht))
                    return HPy_NULL;
                for (int i = 0; i < 50; i++)
                    if (HPyTracker_Add(ctx, ht, HPy_Dup(ctx, arg)) < 0)
                        return HPy_NULL;
                HPyTracker_Close(ctx, ht);
                HPyTracker_Close(ctx, ht);        /* reported */
                HPyTracker_ForgetAll(ctx, ht);    /* reported */
                if (HPyTracker_Add(ctx, ht, arg) < 0)
                    return HPy_NULL;
                return HPy_Dup(ctx, ctx->h_None);
            }
            @EXPORT(f)
            @INIT
        """)
        import sys
        x = object()
        before = held(x)
        with pytest.raises(SystemError, match="tracker is closed"):
            mod.f(x)
        assert held(x) == before
