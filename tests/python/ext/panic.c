/* An HPy universal extension named `panic` for the panic barrier's test
   (test_panic.py): each function calls one context function and passes its
   failure on, so that a context function made to panic by
   LICHEN_SELFTEST_PANIC shows up as the exception it became. */
#include "hpy.h"

HPyDef_METH(add, "add", HPyFunc_VARARGS)
static HPy add_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    if (nargs != 2) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "add() takes 2 arguments");
        return HPy_NULL;
    }
    return HPy_Add(ctx, args[0], args[1]);
}

HPyDef_METH(as_ssize, "as_ssize", HPyFunc_O)
static HPy as_ssize_impl(HPyContext *ctx, HPy self, HPy arg)
{
    HPy_ssize_t n = HPyLong_AsSsize_t(ctx, arg);
    if (n == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    return HPyLong_FromSsize_t(ctx, n);
}

HPyDef_METH(close_dup, "close_dup", HPyFunc_O)
static HPy close_dup_impl(HPyContext *ctx, HPy self, HPy arg)
{
    /* HPy_Close returns nothing: a failure is seen through HPyErr_Occurred. */
    HPy_Close(ctx, HPy_Dup(ctx, arg));
    if (HPyErr_Occurred(ctx))
        return HPy_NULL;
    return HPy_Dup(ctx, ctx->h_None);
}

HPyDef_METH(leave_reenter, "leave_reenter", HPyFunc_NOARGS)
static HPy leave_reenter_impl(HPyContext *ctx, HPy self)
{
    /* No error channel: a panic in either ends the process (HPy's fatal
       error path), which test_panic.py checks. */
    HPyThreadState state = HPy_LeavePythonExecution(ctx);
    HPy_ReenterPythonExecution(ctx, state);
    return HPy_Dup(ctx, ctx->h_None);
}

HPyDef_METH(fatal, "fatal", HPyFunc_NOARGS)
static HPy fatal_impl(HPyContext *ctx, HPy self)
{
    HPy_FatalError(ctx, "the extension's fatal error");
    return HPy_NULL;
}

static HPyDef *defines[] = { &add, &as_ssize, &close_dup, &leave_reenter, &fatal, NULL };

static HPyModuleDef moduledef = {
    .defines = defines,
};

HPy_MODINIT(panic, moduledef)
