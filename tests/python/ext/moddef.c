/* An HPy universal extension named `moddef` whose module definition is
   valid or broken in the way the macro CASE selects. Built against the
   installed hpy headers. */
#include "hpy.h"

HPyDef_METH(ok, "ok", HPyFunc_NOARGS)
static HPy ok_impl(HPyContext *ctx, HPy self)
{
    return HPy_Dup(ctx, ctx->h_None);
}

HPyDef_SLOT(create, HPy_mod_create)
static HPy create_impl(HPyContext *ctx, HPy spec)
{
    return HPy_Dup(ctx, spec);
}

HPyDef_SLOT(repr, HPy_tp_repr)
static HPy repr_impl(HPyContext *ctx, HPy self)
{
    return HPy_Dup(ctx, self);
}

static HPyDef bad_kind = { .kind = (HPyDef_Kind)99 };

static HPyDef bad_signature = {
    .kind = HPyDef_Kind_Meth,
    .meth = { .name = "f", .impl = (HPyCFunction)ok_impl,
              .cpy_trampoline = (cpy_PyCFunction)ok_trampoline,
              .signature = (HPyFunc_Signature)12345 },
};

static HPyDef null_name = {
    .kind = HPyDef_Kind_Meth,
    .meth = { .name = NULL, .impl = (HPyCFunction)ok_impl,
              .cpy_trampoline = (cpy_PyCFunction)ok_trampoline, .signature = HPyFunc_NOARGS },
};

static HPyDef null_trampoline = {
    .kind = HPyDef_Kind_Meth,
    .meth = { .name = "g", .impl = (HPyCFunction)ok_impl, .signature = HPyFunc_NOARGS },
};

#define CASE_GOOD 0
#define CASE_NEGATIVE_SIZE 1
#define CASE_STATE_SIZE 2
#define CASE_BAD_KIND 3
#define CASE_BAD_SIGNATURE 4
#define CASE_TYPE_SLOT 5
#define CASE_CREATE_AND_METHOD 6
#define CASE_TWO_CREATES 7
#define CASE_NULL_NAME 8
#define CASE_NULL_TRAMPOLINE 9

#if CASE == CASE_GOOD
static HPyDef *defines[] = { &ok, NULL };
#elif CASE == CASE_BAD_KIND
static HPyDef *defines[] = { &ok, &bad_kind, NULL };
#elif CASE == CASE_BAD_SIGNATURE
static HPyDef *defines[] = { &bad_signature, NULL };
#elif CASE == CASE_TYPE_SLOT
static HPyDef *defines[] = { &repr, NULL };
#elif CASE == CASE_CREATE_AND_METHOD
static HPyDef *defines[] = { &create, &ok, NULL };
#elif CASE == CASE_TWO_CREATES
static HPyDef *defines[] = { &create, &create, NULL };
#elif CASE == CASE_NULL_NAME
static HPyDef *defines[] = { &null_name, &ok, NULL };
#elif CASE == CASE_NULL_TRAMPOLINE
static HPyDef *defines[] = { &ok, &null_trampoline, NULL };
#else
static HPyDef *defines[] = { NULL };
#endif

static HPyModuleDef moduledef = {
    .doc = CASE == CASE_GOOD ? "a good module" : NULL,
#if CASE == CASE_NEGATIVE_SIZE
    .size = -1,
#elif CASE == CASE_STATE_SIZE
    .size = 16,
#endif
    .defines = defines,
};

HPy_MODINIT(moddef, moduledef)
