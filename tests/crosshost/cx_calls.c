/* cx_calls: calling Python from C (vectorcall with keyword names, method
 * calls, tuple/dict calls), compiling and evaluating source, context
 * variables, slices, and leaving/reentering Python execution around pure
 * C work. */
#include "hpy.h"

/* call_kw(f, args_tuple, kwnames_tuple_or_None): HPy_Call with the items of
 * args_tuple as positional arguments followed by keyword values */
HPyDef_METH(call_kw, "call_kw", HPyFunc_VARARGS)
static HPy call_kw_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy f, items, kwnames;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OOO:call_kw", &f, &items, &kwnames))
        return HPy_NULL;
    HPy_ssize_t n = HPy_Length(ctx, items);
    if (n < 0 || n > 8) {
        if (!HPyErr_Occurred(ctx))
            HPyErr_SetString(ctx, ctx->h_ValueError, "at most 8 arguments");
        return HPy_NULL;
    }
    HPy_ssize_t nkw = 0;
    HPy names = HPy_NULL;
    if (!HPy_Is(ctx, kwnames, ctx->h_None)) {
        nkw = HPy_Length(ctx, kwnames);
        if (nkw < 0)
            return HPy_NULL;
        names = kwnames;
    }
    HPy argv[8];
    for (HPy_ssize_t i = 0; i < n; i++)
        argv[i] = HPy_GetItem_i(ctx, items, i);
    HPy result = HPy_Call(ctx, f, argv, (size_t)(n - nkw), names);
    for (HPy_ssize_t i = 0; i < n; i++)
        HPy_Close(ctx, argv[i]);
    return result;
}

/* call_method(obj, name, *args): HPy_CallMethod */
HPyDef_METH(call_method, "call_method", HPyFunc_VARARGS)
static HPy call_method_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    if (nargs < 2) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "call_method(obj, name, *args)");
        return HPy_NULL;
    }
    HPy argv[8];
    if (nargs > 9) {
        HPyErr_SetString(ctx, ctx->h_ValueError, "at most 7 arguments");
        return HPy_NULL;
    }
    argv[0] = args[0];
    for (size_t i = 2; i < nargs; i++)
        argv[i - 1] = args[i];
    return HPy_CallMethod(ctx, args[1], argv, nargs - 1, HPy_NULL);
}

/* call_tuple_dict(f, args, kwargs): HPy_CallTupleDict; None for NULL */
HPyDef_METH(call_tuple_dict, "call_tuple_dict", HPyFunc_VARARGS)
static HPy call_tuple_dict_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy f, t, d;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OOO:call_tuple_dict", &f, &t, &d))
        return HPy_NULL;
    if (HPy_Is(ctx, t, ctx->h_None))
        t = HPy_NULL;
    if (HPy_Is(ctx, d, ctx->h_None))
        d = HPy_NULL;
    return HPy_CallTupleDict(ctx, f, t, d);
}

/* run(source, kind, globals, locals): HPy_Compile_s then HPy_EvalCode;
 * kind is "eval", "exec" or "single"; locals may be None */
HPyDef_METH(run, "run", HPyFunc_VARARGS)
static HPy run_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    const char *source, *kind;
    HPy globals, locals;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "ssOO:run", &source, &kind, &globals, &locals))
        return HPy_NULL;
    HPy_SourceKind k = kind[0] == 'e' && kind[1] == 'v' ? HPy_SourceKind_Expr
                     : kind[0] == 'e' ? HPy_SourceKind_File : HPy_SourceKind_Single;
    HPy code = HPy_Compile_s(ctx, source, "<cx_calls>", k);
    if (HPy_IsNull(code))
        return HPy_NULL;
    HPy result = HPy_EvalCode(ctx, code, globals, HPy_Is(ctx, locals, ctx->h_None) ? HPy_NULL : locals);
    HPy_Close(ctx, code);
    return result;
}

/* new_var(name, default=NULL): HPyContextVar_New */
HPyDef_METH(new_var, "new_var", HPyFunc_VARARGS)
static HPy new_var_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    const char *name;
    HPy def = HPy_NULL;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "s|O:new_var", &name, &def))
        return HPy_NULL;
    return HPyContextVar_New(ctx, name, def);
}

/* var_get(var, default=NULL): HPyContextVar_Get; a missing value (NULL
 * result) is returned as the string "<missing>" */
HPyDef_METH(var_get, "var_get", HPyFunc_VARARGS)
static HPy var_get_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy var, def = HPy_NULL, result;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "O|O:var_get", &var, &def))
        return HPy_NULL;
    if (HPyContextVar_Get(ctx, var, def, &result) < 0)
        return HPy_NULL;
    if (HPy_IsNull(result))
        return HPyUnicode_FromString(ctx, "<missing>");
    return result;
}

/* var_set(var, value): HPyContextVar_Set, returning its token */
HPyDef_METH(var_set, "var_set", HPyFunc_VARARGS)
static HPy var_set_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy var, value;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OO:var_set", &var, &value))
        return HPy_NULL;
    return HPyContextVar_Set(ctx, var, value);
}

/* unpack(slice): (start, stop, step) from HPySlice_Unpack */
HPyDef_METH(unpack, "unpack", HPyFunc_O)
static HPy unpack_impl(HPyContext *ctx, HPy self, HPy slice)
{
    HPy_ssize_t start, stop, step;
    if (HPySlice_Unpack(ctx, slice, &start, &stop, &step) < 0)
        return HPy_NULL;
    HPy items[3] = { HPyLong_FromSsize_t(ctx, start), HPyLong_FromSsize_t(ctx, stop),
                     HPyLong_FromSsize_t(ctx, step) };
    HPy result = HPyTuple_FromArray(ctx, items, 3);
    for (int i = 0; i < 3; i++)
        HPy_Close(ctx, items[i]);
    return result;
}

/* collatz_steps(n): the Collatz step count of n, computed with Python
 * execution left (no context call between leave and reenter) */
HPyDef_METH(collatz_steps, "collatz_steps", HPyFunc_O)
static HPy collatz_steps_impl(HPyContext *ctx, HPy self, HPy h_n)
{
    long long n = HPyLong_AsLongLong(ctx, h_n);
    if (n < 1) {
        if (!HPyErr_Occurred(ctx))
            HPyErr_SetString(ctx, ctx->h_ValueError, "n must be positive");
        return HPy_NULL;
    }
    long long steps = 0;
    HPyThreadState state = HPy_LeavePythonExecution(ctx);
    while (n != 1) {
        n = n % 2 ? 3 * n + 1 : n / 2;
        steps++;
    }
    HPy_ReenterPythonExecution(ctx, state);
    return HPyLong_FromLongLong(ctx, steps);
}

static HPyDef *module_defines[] = {
    &call_kw, &call_method, &call_tuple_dict, &run, &new_var, &var_get, &var_set,
    &unpack, &collatz_steps,
    NULL
};

static HPyModuleDef moduledef = {
    .doc = "Cross-host corpus: calls, evaluation, context variables, slices.",
    .size = 0,
    .defines = module_defines,
};

HPy_MODINIT(cx_calls, moduledef)
