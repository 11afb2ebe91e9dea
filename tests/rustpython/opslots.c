/* Types for tests/rustpython/opslots.py: which of the number and sequence
 * slots the operators reach, and in what order, on lichen-rustpython as
 * on CPython. Every slot returns a tuple naming itself and its operands,
 * or NotImplemented for operands it does not take. */
#include "hpy.h"

typedef struct { long v; } OpObject;
HPyType_HELPERS(OpObject)

static HPy tag2(HPyContext *ctx, const char *name, HPy a, HPy b)
{
    HPy s = HPyUnicode_FromString(ctx, name);
    if (HPy_IsNull(s))
        return HPy_NULL;
    HPy items[] = { s, a, b };
    HPy r = HPyTuple_FromArray(ctx, items, 3);
    HPy_Close(ctx, s);
    return r;
}

static HPy tag_n(HPyContext *ctx, const char *name, HPy a, HPy_ssize_t n)
{
    HPy h = HPyLong_FromSsize_t(ctx, n);
    if (HPy_IsNull(h))
        return HPy_NULL;
    HPy r = tag2(ctx, name, a, h);
    HPy_Close(ctx, h);
    return r;
}

static int add_type(HPyContext *ctx, HPy m, const char *name, HPyType_Spec *spec)
{
    HPy t = HPyType_FromSpec(ctx, spec, NULL);
    if (HPy_IsNull(t))
        return 0;
    int r = HPy_SetAttr_s(ctx, m, name, t);
    HPy_Close(ctx, t);
    return r == 0;
}

static HPy not_implemented(HPyContext *ctx)
{
    return HPy_Dup(ctx, ctx->h_NotImplemented);
}

/* A both-sided number slot that takes (instance, int) only, as the
 * Rust-author bindings' `__mul__` with no `__rmul__`. */
static HPy num_binary(HPyContext *ctx, const char *name, HPy a, HPy b, HPy own_type)
{
    if (!HPy_TypeCheck(ctx, a, own_type) || !HPy_TypeCheck(ctx, b, ctx->h_LongType))
        return not_implemented(ctx);
    return tag2(ctx, name, a, b);
}

#define OP_TYPE_SLOTS(T) \
    HPyDef_SLOT(T##_new, HPy_tp_new) \
    static HPy T##_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw) \
    { \
        OpObject *p; \
        return HPy_New(ctx, cls, &p); \
    } \
    HPyDef_SLOT(T##_repr, HPy_tp_repr) \
    static HPy T##_repr_impl(HPyContext *ctx, HPy self) \
    { \
        return HPyUnicode_FromString(ctx, #T); \
    }

/* A slot whose implementation hands its operands to F (tag2, tag_n,
 * both_binary) with the slot's name ("sq_repeat" for HPy_sq_repeat). */
#define TAGGING_SLOT(NAME, SLOT, RIGHT, F) \
    HPyDef_SLOT(NAME, SLOT) \
    static HPy NAME##_impl(HPyContext *ctx, HPy a, RIGHT b) \
    { \
        return F(ctx, &#SLOT[4], a, b); \
    }

/* Num: nb_add, nb_multiply and nb_inplace_multiply, each taking an int on
 * the right only, and a __getitem__ (mp_subscript), which makes RustPython
 * treat a class as a sequence. */
OP_TYPE_SLOTS(Num)

/* num_binary against the type of whichever operand is ours: a unless it
 * is an int (an in-place slot's a is always ours). */
static HPy num_either(HPyContext *ctx, const char *name, HPy a, HPy b)
{
    HPy t = HPy_Type(ctx, HPy_TypeCheck(ctx, a, ctx->h_LongType) ? b : a);
    HPy r = num_binary(ctx, name, a, b, t);
    HPy_Close(ctx, t);
    return r;
}

TAGGING_SLOT(Num_add, HPy_nb_add, HPy, num_either)
TAGGING_SLOT(Num_mul, HPy_nb_multiply, HPy, num_either)
TAGGING_SLOT(Num_imul, HPy_nb_inplace_multiply, HPy, num_either)

HPyDef_SLOT(Num_getitem, HPy_mp_subscript)
static HPy Num_getitem_impl(HPyContext *ctx, HPy self, HPy key)
{
    return HPy_Dup(ctx, key);
}

HPyDef_SLOT(Num_len, HPy_mp_length)
static HPy_ssize_t Num_len_impl(HPyContext *ctx, HPy self)
{
    return 3;
}

static HPyDef *Num_defines[] = {
    &Num_new, &Num_repr, &Num_add, &Num_mul, &Num_imul, &Num_getitem, &Num_len, NULL
};

/* Seq: sq_repeat, sq_concat, sq_item and sq_length only. */
OP_TYPE_SLOTS(Seq)

TAGGING_SLOT(Seq_repeat, HPy_sq_repeat, HPy_ssize_t, tag_n)
TAGGING_SLOT(Seq_concat, HPy_sq_concat, HPy, tag2)

HPyDef_SLOT(Seq_item, HPy_sq_item)
static HPy Seq_item_impl(HPyContext *ctx, HPy self, HPy_ssize_t i)
{
    if (i >= 3) {
        HPyErr_SetString(ctx, ctx->h_IndexError, "out of range");
        return HPy_NULL;
    }
    return HPyLong_FromSsize_t(ctx, i);
}

HPyDef_SLOT(Seq_len, HPy_sq_length)
static HPy_ssize_t Seq_len_impl(HPyContext *ctx, HPy self)
{
    return 3;
}

static HPyDef *Seq_defines[] = {
    &Seq_new, &Seq_repr, &Seq_repeat, &Seq_concat, &Seq_item, &Seq_len, NULL
};

/* SeqIn: Seq's slots and the in-place ones. */
OP_TYPE_SLOTS(SeqIn)

TAGGING_SLOT(SeqIn_irepeat, HPy_sq_inplace_repeat, HPy_ssize_t, tag_n)
TAGGING_SLOT(SeqIn_iconcat, HPy_sq_inplace_concat, HPy, tag2)

static HPyDef *SeqIn_defines[] = {
    &SeqIn_new, &SeqIn_repr, &Seq_repeat, &Seq_concat, &SeqIn_irepeat, &SeqIn_iconcat, &Seq_item, &Seq_len, NULL
};

/* Both: nb_add and nb_multiply that take a str on the right only, and
 * sq_repeat, sq_concat, sq_item: the sequence slots are what the operators
 * fall back to once the number slots returned NotImplemented. */
OP_TYPE_SLOTS(Both)

static HPy both_binary(HPyContext *ctx, const char *name, HPy a, HPy b)
{
    if (HPyUnicode_Check(ctx, a) || !HPyUnicode_Check(ctx, b))
        return not_implemented(ctx);
    return tag2(ctx, name, a, b);
}

TAGGING_SLOT(Both_add, HPy_nb_add, HPy, both_binary)
TAGGING_SLOT(Both_mul, HPy_nb_multiply, HPy, both_binary)

/* sq_repeat and sq_concat come before the number slots: which special
 * method wins does not depend on the order of the defines. */
static HPyDef *Both_defines[] = {
    &Both_new, &Both_repr, &Seq_repeat, &Seq_concat, &Both_add, &Both_mul, &Seq_item, &Seq_len, NULL
};

#define OP_SPEC(T) \
    static HPyType_Spec T##_spec = { \
        .name = "opslots." #T, \
        .basicsize = sizeof(OpObject), \
        .builtin_shape = OpObject_SHAPE, \
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE, \
        .defines = T##_defines, \
    };
OP_SPEC(Num)
OP_SPEC(Seq)
OP_SPEC(SeqIn)
OP_SPEC(Both)

HPyDef_SLOT(exec_mod, HPy_mod_exec)
static int exec_mod_impl(HPyContext *ctx, HPy m)
{
    if (!add_type(ctx, m, "Num", &Num_spec) ||
        !add_type(ctx, m, "Seq", &Seq_spec) ||
        !add_type(ctx, m, "SeqIn", &SeqIn_spec) ||
        !add_type(ctx, m, "Both", &Both_spec))
        return -1;
    return 0;
}

static HPyDef *module_defines[] = { &exec_mod, NULL };

static HPyModuleDef moduledef = {
    .doc = "number and sequence slots for the operators",
    .size = 0,
    .defines = module_defines,
};

HPy_MODINIT(opslots, moduledef)
