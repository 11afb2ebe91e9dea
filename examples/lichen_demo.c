/*
 * A small HPy extension for `make demo`: module functions and one type.
 *
 * Built once with `--hpy-abi=universal`, the same lichen_demo.hpy0.so then
 * runs on every CPython that has a universal HPy runtime (here: Lichen).
 */
#include <stdio.h>
#include "hpy.h"

/* add(a, b): whatever `a + b` means for the two objects. */
HPyDef_METH(add, "add", HPyFunc_VARARGS, .doc = "add(a, b) -> a + b")
static HPy add_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy a, b;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OO", &a, &b))
        return HPy_NULL;
    return HPy_Add(ctx, a, b);
}

/* fib(n): the n-th Fibonacci number, computed with Python ints so that it
   does not overflow. */
HPyDef_METH(fib, "fib", HPyFunc_O, .doc = "fib(n) -> the n-th Fibonacci number")
static HPy fib_impl(HPyContext *ctx, HPy self, HPy arg)
{
    long n = HPyLong_AsLong(ctx, arg);
    if (n == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    if (n < 0) {
        HPyErr_SetString(ctx, ctx->h_ValueError, "fib() needs a non-negative number");
        return HPy_NULL;
    }
    HPy a = HPyLong_FromLong(ctx, 0);
    HPy b = HPyLong_FromLong(ctx, 1);
    for (long i = 0; i < n && !HPy_IsNull(a); i++) {
        HPy next = HPy_Add(ctx, a, b);
        HPy_Close(ctx, a);
        a = b;
        b = next;
        if (HPy_IsNull(next)) {
            HPy_Close(ctx, a);
            return HPy_NULL;
        }
    }
    HPy_Close(ctx, b);
    return a;
}

/* scale(x, factor=2): x * factor, with keyword arguments. */
HPyDef_METH(scale, "scale", HPyFunc_KEYWORDS, .doc = "scale(x, factor=2) -> x * factor")
static HPy scale_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs, HPy kwnames)
{
    static const char *kwlist[] = {"x", "factor", NULL};
    HPy x;
    long factor = 2;
    HPyTracker ht;
    if (!HPyArg_ParseKeywords(ctx, &ht, args, nargs, kwnames, "O|l", kwlist, &x, &factor))
        return HPy_NULL;
    HPy h_factor = HPyLong_FromLong(ctx, factor);
    HPy result = HPy_IsNull(h_factor) ? HPy_NULL : HPy_Multiply(ctx, x, h_factor);
    HPy_Close(ctx, h_factor);
    HPyTracker_Close(ctx, ht);
    return result;
}

/* runtime(): the name of the HPy context the extension was given. */
HPyDef_METH(runtime, "runtime", HPyFunc_NOARGS, .doc = "runtime() -> name of the HPy context")
static HPy runtime_impl(HPyContext *ctx, HPy self)
{
    return HPyUnicode_FromString(ctx, ctx->name);
}

/* Point: a type from an HPyType_Spec, with native storage, members, a
 * constructor, a method and a repr slot. */
typedef struct {
    double x;
    double y;
} PointObject;

HPyType_HELPERS(PointObject)

HPyDef_SLOT(Point_new, HPy_tp_new)
static HPy Point_new_impl(HPyContext *ctx, HPy cls, const HPy *args,
                          HPy_ssize_t nargs, HPy kw)
{
    double x, y;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "dd", &x, &y))
        return HPy_NULL;
    PointObject *point;
    HPy h = HPy_New(ctx, cls, &point);
    if (HPy_IsNull(h))
        return HPy_NULL;
    point->x = x;
    point->y = y;
    return h;
}

HPyDef_MEMBER(Point_x, "x", HPyMember_DOUBLE, offsetof(PointObject, x))
HPyDef_MEMBER(Point_y, "y", HPyMember_DOUBLE, offsetof(PointObject, y))

HPyDef_METH(Point_norm2, "norm2", HPyFunc_NOARGS, .doc = "x*x + y*y")
static HPy Point_norm2_impl(HPyContext *ctx, HPy self)
{
    PointObject *p = PointObject_AsStruct(ctx, self);
    return HPyFloat_FromDouble(ctx, p->x * p->x + p->y * p->y);
}

HPyDef_SLOT(Point_repr, HPy_tp_repr)
static HPy Point_repr_impl(HPyContext *ctx, HPy self)
{
    PointObject *p = PointObject_AsStruct(ctx, self);
    char buf[64];
    snprintf(buf, sizeof(buf), "Point(%g, %g)", p->x, p->y);
    return HPyUnicode_FromString(ctx, buf);
}

static HPyDef *Point_defines[] = {
    &Point_new, &Point_x, &Point_y, &Point_norm2, &Point_repr, NULL
};

static HPyType_Spec Point_spec = {
    .name = "lichen_demo.Point",
    .basicsize = sizeof(PointObject),
    .builtin_shape = HPyType_BuiltinShape_Object,
    .flags = HPy_TPFLAGS_DEFAULT,
    .defines = Point_defines,
};

HPyDef_SLOT(demo_exec, HPy_mod_exec)
static int demo_exec_impl(HPyContext *ctx, HPy module)
{
    return HPyHelpers_AddType(ctx, module, "Point", &Point_spec, NULL) ? 0 : -1;
}

static HPyDef *module_defines[] = {
    &add,
    &fib,
    &scale,
    &runtime,
    &demo_exec,
    NULL
};

static HPyModuleDef moduledef = {
    .doc = "Lichen demo: one universal binary, every CPython",
    .defines = module_defines,
};

HPy_MODINIT(lichen_demo, moduledef)
