/* cx_errors: raising (from a message, a value, errno), querying, matching
 * and clearing the pending exception, new exception classes, warnings and
 * unraisable exceptions. */
#include "hpy.h"
#include <errno.h>

/* raise_string(type, message) */
HPyDef_METH(raise_string, "raise_string", HPyFunc_VARARGS)
static HPy raise_string_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy type;
    const char *message;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "Os:raise_string", &type, &message))
        return HPy_NULL;
    HPyErr_SetString(ctx, type, message);
    return HPy_NULL;
}

/* raise_object(type, value) */
HPyDef_METH(raise_object, "raise_object", HPyFunc_VARARGS)
static HPy raise_object_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy type, value;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OO:raise_object", &type, &value))
        return HPy_NULL;
    HPyErr_SetObject(ctx, type, value);
    return HPy_NULL;
}

/* raise_errno(errno, filename): OSError from errno with a C filename */
HPyDef_METH(raise_errno, "raise_errno", HPyFunc_VARARGS)
static HPy raise_errno_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    int code;
    const char *filename;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "is:raise_errno", &code, &filename))
        return HPy_NULL;
    errno = code;
    return HPyErr_SetFromErrnoWithFilename(ctx, ctx->h_OSError, filename);
}

/* raise_errno2(errno, f1, f2): OSError from errno with two filename objects */
HPyDef_METH(raise_errno2, "raise_errno2", HPyFunc_VARARGS)
static HPy raise_errno2_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    int code;
    HPy f1, f2;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "iOO:raise_errno2", &code, &f1, &f2))
        return HPy_NULL;
    errno = code;
    HPyErr_SetFromErrnoWithFilenameObjects(ctx, ctx->h_OSError, f1, f2);
    return HPy_NULL;
}

/* no_memory(): MemoryError */
HPyDef_METH(no_memory, "no_memory", HPyFunc_NOARGS)
static HPy no_memory_impl(HPyContext *ctx, HPy self)
{
    HPyErr_NoMemory(ctx);
    return HPy_NULL;
}

/* catch(f, type): calls f(); if it raised, tells whether the exception
 * matches type and clears it: ("ok", result) / ("caught", matched) */
HPyDef_METH(catch, "catch", HPyFunc_VARARGS)
static HPy catch_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy f, type;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OO:catch", &f, &type))
        return HPy_NULL;
    int before = HPyErr_Occurred(ctx);
    HPy r = HPy_Call(ctx, f, NULL, 0, HPy_NULL);
    HPy items[2];
    if (HPy_IsNull(r)) {
        if (!HPyErr_Occurred(ctx))
            return HPy_NULL;
        int matched = HPyErr_ExceptionMatches(ctx, type);
        HPyErr_Clear(ctx);
        items[0] = HPyUnicode_FromString(ctx, "caught");
        items[1] = HPyBool_FromLong(ctx, matched);
    } else {
        items[0] = HPyUnicode_FromString(ctx, before ? "was set" : "ok");
        items[1] = r;
    }
    int after = HPyErr_Occurred(ctx);
    HPy result = after ? HPy_NULL : HPyTuple_FromArray(ctx, items, 2);
    HPy_Close(ctx, items[0]);
    HPy_Close(ctx, items[1]);
    if (after)
        HPyErr_SetString(ctx, ctx->h_SystemError, "exception still set after HPyErr_Clear");
    return result;
}

/* new_exception(name, base, dict): HPyErr_NewException; base and dict may
 * be None for NULL */
static HPy none_to_null(HPyContext *ctx, HPy h)
{
    return HPy_Is(ctx, h, ctx->h_None) ? HPy_NULL : h;
}

HPyDef_METH(new_exception, "new_exception", HPyFunc_VARARGS)
static HPy new_exception_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    const char *name;
    HPy base, dict;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "sOO:new_exception", &name, &base, &dict))
        return HPy_NULL;
    return HPyErr_NewException(ctx, name, none_to_null(ctx, base), none_to_null(ctx, dict));
}

/* new_exception_doc(name, doc, base, dict): HPyErr_NewExceptionWithDoc */
HPyDef_METH(new_exception_doc, "new_exception_doc", HPyFunc_VARARGS)
static HPy new_exception_doc_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    const char *name, *doc;
    HPy base, dict;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "ssOO:new_exception_doc", &name, &doc, &base, &dict))
        return HPy_NULL;
    return HPyErr_NewExceptionWithDoc(ctx, name, doc, none_to_null(ctx, base), none_to_null(ctx, dict));
}

/* warn(category, message, stacklevel): HPyErr_WarnEx (the C name warn_ex:
 * an HPyDef is a global symbol, and "warn" would be libc's); returns its result
 * (0) or raises when the warning was turned into an exception */
HPyDef_METH(warn_ex, "warn", HPyFunc_VARARGS)
static HPy warn_ex_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy category;
    const char *message;
    HPy_ssize_t level;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "Osn:warn", &category, &message, &level))
        return HPy_NULL;
    int r = HPyErr_WarnEx(ctx, category, message, level);
    if (r < 0)
        return HPy_NULL;
    return HPyLong_FromLong(ctx, r);
}

/* unraisable(type, message, obj): sets an exception and hands it to
 * HPyErr_WriteUnraisable with obj as the context; returns whether an
 * exception is still set afterwards */
HPyDef_METH(unraisable, "unraisable", HPyFunc_VARARGS)
static HPy unraisable_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy type, obj;
    const char *message;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OsO:unraisable", &type, &message, &obj))
        return HPy_NULL;
    HPyErr_SetString(ctx, type, message);
    HPyErr_WriteUnraisable(ctx, obj);
    return HPyBool_FromLong(ctx, HPyErr_Occurred(ctx));
}

/* fatal(message): HPy_FatalError, which ends the process */
HPyDef_METH(fatal, "fatal", HPyFunc_O)
static HPy fatal_impl(HPyContext *ctx, HPy self, HPy message)
{
    const char *text = HPyUnicode_AsUTF8AndSize(ctx, message, NULL);
    if (text == NULL)
        return HPy_NULL;
    HPy_FatalError(ctx, text);
    return HPy_NULL; /* not reached */
}

static HPyDef *module_defines[] = {
    &raise_string, &raise_object, &raise_errno, &raise_errno2, &no_memory, &catch,
    &new_exception, &new_exception_doc, &warn_ex, &unraisable, &fatal,
    NULL
};

static HPyModuleDef moduledef = {
    .doc = "Cross-host corpus: errors and exceptions.",
    .size = 0,
    .defines = module_defines,
};

HPy_MODINIT(cx_errors, moduledef)
