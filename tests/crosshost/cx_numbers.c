/* cx_numbers: conversions between Python ints/floats and C integers and
 * doubles of every width the ABI has, and the number protocol (binary,
 * in-place, ternary and unary operators), selected by name so the script
 * can compare each with Python's own operator. */
#include "hpy.h"
#include <string.h>
#include <stdint.h>

/* A failed C conversion returns the error value with an exception set. */
#define CHECKED(v, err) if ((v) == (err) && HPyErr_Occurred(ctx)) return HPy_NULL

HPyDef_METH(int32, "int32", HPyFunc_O)
static HPy int32_impl(HPyContext *ctx, HPy self, HPy arg)
{
    int32_t v = HPyLong_AsInt32_t(ctx, arg);
    CHECKED(v, -1);
    return HPyLong_FromInt32_t(ctx, v);
}

HPyDef_METH(uint32, "uint32", HPyFunc_O)
static HPy uint32_impl(HPyContext *ctx, HPy self, HPy arg)
{
    uint32_t v = HPyLong_AsUInt32_t(ctx, arg);
    CHECKED(v, (uint32_t)-1);
    return HPyLong_FromUInt32_t(ctx, v);
}

HPyDef_METH(uint32_mask, "uint32_mask", HPyFunc_O)
static HPy uint32_mask_impl(HPyContext *ctx, HPy self, HPy arg)
{
    uint32_t v = HPyLong_AsUInt32_tMask(ctx, arg);
    CHECKED(v, (uint32_t)-1);
    return HPyLong_FromUInt32_t(ctx, v);
}

HPyDef_METH(int64, "int64", HPyFunc_O)
static HPy int64_impl(HPyContext *ctx, HPy self, HPy arg)
{
    int64_t v = HPyLong_AsInt64_t(ctx, arg);
    CHECKED(v, -1);
    return HPyLong_FromInt64_t(ctx, v);
}

HPyDef_METH(uint64, "uint64", HPyFunc_O)
static HPy uint64_impl(HPyContext *ctx, HPy self, HPy arg)
{
    uint64_t v = HPyLong_AsUInt64_t(ctx, arg);
    CHECKED(v, (uint64_t)-1);
    return HPyLong_FromUInt64_t(ctx, v);
}

HPyDef_METH(uint64_mask, "uint64_mask", HPyFunc_O)
static HPy uint64_mask_impl(HPyContext *ctx, HPy self, HPy arg)
{
    uint64_t v = HPyLong_AsUInt64_tMask(ctx, arg);
    CHECKED(v, (uint64_t)-1);
    return HPyLong_FromUInt64_t(ctx, v);
}

HPyDef_METH(size, "size", HPyFunc_O)
static HPy size_impl(HPyContext *ctx, HPy self, HPy arg)
{
    size_t v = HPyLong_AsSize_t(ctx, arg);
    CHECKED(v, (size_t)-1);
    return HPyLong_FromSize_t(ctx, v);
}

HPyDef_METH(ssize, "ssize", HPyFunc_O)
static HPy ssize_impl(HPyContext *ctx, HPy self, HPy arg)
{
    HPy_ssize_t v = HPyLong_AsSsize_t(ctx, arg);
    CHECKED(v, -1);
    return HPyLong_FromSsize_t(ctx, v);
}

/* pointer(int): the int read as a void*, given back as its address */
HPyDef_METH(pointer, "pointer", HPyFunc_O)
static HPy pointer_impl(HPyContext *ctx, HPy self, HPy arg)
{
    void *p = HPyLong_AsVoidPtr(ctx, arg);
    CHECKED(p, NULL);
    return HPyLong_FromSize_t(ctx, (size_t)p);
}

/* long_double(int): the int as a C double, then a float */
HPyDef_METH(long_double, "long_double", HPyFunc_O)
static HPy long_double_impl(HPyContext *ctx, HPy self, HPy arg)
{
    double d = HPyLong_AsDouble(ctx, arg);
    CHECKED(d, -1.0);
    return HPyFloat_FromDouble(ctx, d);
}

/* half(x): float(x) / 2 computed in C */
HPyDef_METH(half, "half", HPyFunc_O)
static HPy half_impl(HPyContext *ctx, HPy self, HPy arg)
{
    double d = HPyFloat_AsDouble(ctx, arg);
    CHECKED(d, -1.0);
    return HPyFloat_FromDouble(ctx, d / 2);
}

/* negate_bool(x): the C negation of bool(x), as a Python bool */
HPyDef_METH(negate_bool, "negate_bool", HPyFunc_O)
static HPy negate_bool_impl(HPyContext *ctx, HPy self, HPy arg)
{
    int t = HPy_IsTrue(ctx, arg);
    if (t < 0)
        return HPy_NULL;
    return HPyBool_FromBool(ctx, !t);
}

typedef HPy (*binaryfn)(HPyContext *, HPy, HPy);
#define BIN(name) static HPy op_##name(HPyContext *ctx, HPy a, HPy b) { return HPy_##name(ctx, a, b); }
BIN(Add) BIN(Subtract) BIN(Multiply) BIN(MatrixMultiply) BIN(FloorDivide) BIN(TrueDivide)
BIN(Remainder) BIN(Divmod) BIN(Lshift) BIN(Rshift) BIN(And) BIN(Xor) BIN(Or)
BIN(InPlaceAdd) BIN(InPlaceSubtract) BIN(InPlaceMultiply) BIN(InPlaceMatrixMultiply)
BIN(InPlaceFloorDivide) BIN(InPlaceTrueDivide) BIN(InPlaceRemainder) BIN(InPlaceLshift)
BIN(InPlaceRshift) BIN(InPlaceAnd) BIN(InPlaceXor) BIN(InPlaceOr)

static const struct { const char *name; binaryfn fn; } binary_ops[] = {
    {"add", op_Add}, {"sub", op_Subtract}, {"mul", op_Multiply}, {"matmul", op_MatrixMultiply},
    {"floordiv", op_FloorDivide}, {"truediv", op_TrueDivide}, {"mod", op_Remainder},
    {"divmod", op_Divmod}, {"lshift", op_Lshift}, {"rshift", op_Rshift}, {"and", op_And},
    {"xor", op_Xor}, {"or", op_Or},
    {"iadd", op_InPlaceAdd}, {"isub", op_InPlaceSubtract}, {"imul", op_InPlaceMultiply},
    {"imatmul", op_InPlaceMatrixMultiply}, {"ifloordiv", op_InPlaceFloorDivide},
    {"itruediv", op_InPlaceTrueDivide}, {"imod", op_InPlaceRemainder},
    {"ilshift", op_InPlaceLshift}, {"irshift", op_InPlaceRshift}, {"iand", op_InPlaceAnd},
    {"ixor", op_InPlaceXor}, {"ior", op_InPlaceOr},
};

/* binary(name, a, b): the operator called name ("add", "iadd", ...) */
HPyDef_METH(binary, "binary", HPyFunc_VARARGS)
static HPy binary_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    const char *name;
    HPy a, b;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "sOO:binary", &name, &a, &b))
        return HPy_NULL;
    for (size_t i = 0; i < sizeof(binary_ops) / sizeof(binary_ops[0]); i++)
        if (strcmp(binary_ops[i].name, name) == 0)
            return binary_ops[i].fn(ctx, a, b);
    HPyErr_SetString(ctx, ctx->h_ValueError, "unknown binary operator");
    return HPy_NULL;
}

typedef HPy (*unaryfn)(HPyContext *, HPy);
#define UN(name) static HPy op_##name(HPyContext *ctx, HPy a) { return HPy_##name(ctx, a); }
UN(Negative) UN(Positive) UN(Absolute) UN(Invert) UN(Index) UN(Long) UN(Float)

static const struct { const char *name; unaryfn fn; } unary_ops[] = {
    {"neg", op_Negative}, {"pos", op_Positive}, {"abs", op_Absolute}, {"invert", op_Invert},
    {"index", op_Index}, {"int", op_Long}, {"float", op_Float},
};

/* unary(name, a) */
HPyDef_METH(unary, "unary", HPyFunc_VARARGS)
static HPy unary_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    const char *name;
    HPy a;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "sO:unary", &name, &a))
        return HPy_NULL;
    for (size_t i = 0; i < sizeof(unary_ops) / sizeof(unary_ops[0]); i++)
        if (strcmp(unary_ops[i].name, name) == 0)
            return unary_ops[i].fn(ctx, a);
    HPyErr_SetString(ctx, ctx->h_ValueError, "unknown unary operator");
    return HPy_NULL;
}

/* power(a, b[, m]) and ipower(a, b[, m]): HPy_Power, HPy_InPlacePower */
HPyDef_METH(power, "power", HPyFunc_VARARGS)
static HPy power_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy a, b, m = ctx->h_None;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OO|O:power", &a, &b, &m))
        return HPy_NULL;
    return HPy_Power(ctx, a, b, m);
}

HPyDef_METH(ipower, "ipower", HPyFunc_VARARGS)
static HPy ipower_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy a, b, m = ctx->h_None;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OO|O:ipower", &a, &b, &m))
        return HPy_NULL;
    return HPy_InPlacePower(ctx, a, b, m);
}

/* is_number(x): HPyNumber_Check */
HPyDef_METH(is_number, "is_number", HPyFunc_O)
static HPy is_number_impl(HPyContext *ctx, HPy self, HPy arg)
{
    return HPyBool_FromLong(ctx, HPyNumber_Check(ctx, arg));
}

static HPyDef *module_defines[] = {
    &int32, &uint32, &uint32_mask, &int64, &uint64, &uint64_mask, &size, &ssize,
    &pointer, &long_double, &half, &negate_bool,
    &binary, &unary, &power, &ipower, &is_number,
    NULL
};

static HPyModuleDef moduledef = {
    .doc = "Cross-host corpus: numbers.",
    .size = 0,
    .defines = module_defines,
};

HPy_MODINIT(cx_numbers, moduledef)
