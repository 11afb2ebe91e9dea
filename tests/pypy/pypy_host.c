/* Extensions for tests/pypy: what only Lichen's PyPy host needs checked
 * (its extension lock, its table of handles, what it refuses without
 * CPython's C API). Universal ABI, built on PyPy with the hpy.devel that
 * Lichen installs there. */
#include <unistd.h>
#include "hpy.h"

/* bump(n): adds 1 to a C global n times, reading and writing it apart,
 * as code written for a runtime that runs it one thread at a time does. */
static volatile long counter;

HPyDef_METH(bump, "bump", HPyFunc_O)
static HPy bump_impl(HPyContext *ctx, HPy self, HPy arg)
{
    long n = HPyLong_AsLong(ctx, arg);
    if (n == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    for (long i = 0; i < n; i++) {
        long seen = counter;
        for (volatile int spin = 0; spin < 50; spin++)
            ;
        counter = seen + 1;
    }
    return HPyLong_FromLong(ctx, counter);
}

/* call(f): calls f() from C and returns its result. */
HPyDef_METH(call, "call", HPyFunc_O)
static HPy call_impl(HPyContext *ctx, HPy self, HPy f)
{
    return HPy_CallTupleDict(ctx, f, HPy_NULL, HPy_NULL);
}

/* sleep_outside(ms): sleeps with the runtime let go. */
HPyDef_METH(sleep_outside, "sleep_outside", HPyFunc_O)
static HPy sleep_outside_impl(HPyContext *ctx, HPy self, HPy arg)
{
    long ms = HPyLong_AsLong(ctx, arg);
    if (ms == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    HPyThreadState state = HPy_LeavePythonExecution(ctx);
    usleep((useconds_t)(ms * 1000));
    HPy_ReenterPythonExecution(ctx, state);
    return HPy_Dup(ctx, ctx->h_None);
}

/* capsule(): a capsule whose destructor counts; destroyed(): the count. */
static long capsules_destroyed;
HPyCapsule_DESTRUCTOR(counting)
static void counting_impl(const char *name, void *pointer, void *context)
{
    capsules_destroyed++;
}
static int payload = 42;

HPyDef_METH(capsule, "capsule", HPyFunc_NOARGS)
static HPy capsule_impl(HPyContext *ctx, HPy self)
{
    return HPyCapsule_New(ctx, &payload, "pypy_host.payload", &counting);
}

HPyDef_METH(destroyed, "destroyed", HPyFunc_NOARGS)
static HPy destroyed_impl(HPyContext *ctx, HPy self)
{
    return HPyLong_FromLong(ctx, capsules_destroyed);
}

/* as_pyobject(x): asks for a CPython object, which the PyPy host has not. */
HPyDef_METH(as_pyobject, "as_pyobject", HPyFunc_O)
static HPy as_pyobject_impl(HPyContext *ctx, HPy self, HPy arg)
{
    void *obj = ctx->ctx_AsPyObject(ctx, arg);
    if (obj == NULL)
        return HPy_NULL;
    return HPy_Dup(ctx, ctx->h_None);
}

/* churn(n, big): opens and closes handles n times: a big int (made by
 * PyPy), a float and a small int (made natively), a tuple of them. */
HPyDef_METH(churn, "churn", HPyFunc_VARARGS)
static HPy churn_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    if (nargs != 2) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "churn(n, big)");
        return HPy_NULL;
    }
    long n = HPyLong_AsLong(ctx, args[0]);
    if (n == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    for (long i = 0; i < n; i++) {
        HPy items[3];
        items[0] = HPy_Add(ctx, args[1], args[0]);
        items[1] = HPyFloat_FromDouble(ctx, i + 0.5);
        items[2] = HPyLong_FromLong(ctx, i);
        if (HPy_IsNull(items[0]) || HPy_IsNull(items[1]) || HPy_IsNull(items[2]))
            return HPy_NULL;
        HPy t = HPyTuple_FromArray(ctx, items, 3);
        for (int k = 0; k < 3; k++)
            HPy_Close(ctx, items[k]);
        if (HPy_IsNull(t))
            return HPy_NULL;
        HPy_Close(ctx, t);
    }
    return HPy_Dup(ctx, ctx->h_None);
}

static HPyDef *module_defines[] = {
    &bump, &call, &sleep_outside, &capsule, &destroyed, &as_pyobject, &churn, NULL
};

static HPyModuleDef moduledef = {
    .doc = "tests/pypy: Lichen's PyPy host",
    .size = 0,
    .defines = module_defines,
};

HPy_MODINIT(pypy_host, moduledef)
