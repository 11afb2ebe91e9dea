/* An HPy universal extension named `soak` for the soak test (test_soak.py):
   `call(x)` makes two context calls and returns x; `new(T)` allocates an
   instance of the HPy type `T` made by `make_type()`, whose struct holds a
   field, so each allocation also stores and later releases a reference. */
#include "hpy.h"

typedef struct {
    long value;
    HPyField item;
} ObjObject;

HPyType_HELPERS(ObjObject)

HPyDef_SLOT(Obj_traverse, HPy_tp_traverse)
static int Obj_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    HPy_VISIT(&((ObjObject *)self)->item);
    return 0;
}

static HPyDef *Obj_defines[] = { &Obj_traverse, NULL };

static HPyType_Spec Obj_spec = {
    .name = "soak.Obj",
    .basicsize = sizeof(ObjObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC,
    .defines = Obj_defines,
};

HPyDef_METH(make_type, "make_type", HPyFunc_NOARGS)
static HPy make_type_impl(HPyContext *ctx, HPy self)
{
    return HPyType_FromSpec(ctx, &Obj_spec, NULL);
}

HPyDef_METH(call, "call", HPyFunc_O)
static HPy call_impl(HPyContext *ctx, HPy self, HPy arg)
{
    HPy t = HPy_Type(ctx, arg);
    if (HPy_IsNull(t))
        return HPy_NULL;
    HPy_Close(ctx, t);
    return HPy_Dup(ctx, arg);
}

HPyDef_METH(new, "new", HPyFunc_O)
static HPy new_impl(HPyContext *ctx, HPy self, HPy type)
{
    ObjObject *data;
    HPy h = HPy_New(ctx, type, &data);
    if (HPy_IsNull(h))
        return HPy_NULL;
    data->value = 42;
    HPyField_Store(ctx, h, &data->item, ctx->h_None);
    return h;
}

static HPyDef *defines[] = { &make_type, &call, &new, NULL };

static HPyModuleDef moduledef = {
    .defines = defines,
};

HPy_MODINIT(soak, moduledef)
