/* An HPy universal extension named `types` for test_types.py: types whose
   objects own HPyFields and log their destruction, so that the tests can
   see the runtime find its types (and their HPy bases) from the objects it
   frees, whatever Python did to the type meanwhile. Built against the
   installed hpy headers, without hpy.devel's helper sources. */
#include <string.h>
#include "hpy.h"

/* Holder(*args, **kw): `item` is args[0] (or unset), `kw` the keywords. */
typedef struct {
    HPyField item;
    HPyField kw;
} HolderObject;

/* Sub(Holder) adds `other`. */
typedef struct {
    HolderObject holder;
    HPyField other;
} SubObject;

HPyType_HELPERS(HolderObject)
HPyType_HELPERS(SubObject)

/* Which destroy functions ran, in order: "Sub,Holder," */
static char destroyed_log[1024];

static void log_destroy(const char *name)
{
    size_t used = strlen(destroyed_log);
    if (used + strlen(name) + 2 < sizeof(destroyed_log)) {
        strcat(destroyed_log, name);
        strcat(destroyed_log, ",");
    }
}

HPyDef_METH(destroyed, "destroyed", HPyFunc_NOARGS)
static HPy destroyed_impl(HPyContext *ctx, HPy self)
{
    HPy r = HPyUnicode_FromString(ctx, destroyed_log);
    destroyed_log[0] = '\0';
    return r;
}

HPyDef_SLOT(Holder_new, HPy_tp_new)
static HPy Holder_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    HolderObject *h;
    HPy self = HPy_New(ctx, cls, &h);
    if (HPy_IsNull(self))
        return HPy_NULL;
    if (nargs > 0)
        HPyField_Store(ctx, self, &h->item, args[0]);
    if (!HPy_IsNull(kw))
        HPyField_Store(ctx, self, &h->kw, kw);
    return self;
}

HPyDef_SLOT(Holder_traverse, HPy_tp_traverse)
static int Holder_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    HolderObject *h = (HolderObject *)self;
    HPy_VISIT(&h->item);
    HPy_VISIT(&h->kw);
    return 0;
}

HPyDef_SLOT(Holder_destroy, HPy_tp_destroy)
static void Holder_destroy_impl(void *self)
{
    log_destroy("Holder");
}

HPyDef_METH(Holder_set_item, "set_item", HPyFunc_O)
static HPy Holder_set_item_impl(HPyContext *ctx, HPy self, HPy item)
{
    HPyField_Store(ctx, self, &HolderObject_AsStruct(ctx, self)->item, item);
    return HPy_Dup(ctx, ctx->h_None);
}

HPyDef_MEMBER(Holder_item, "item", HPyMember_OBJECT, offsetof(HolderObject, item), .readonly = 1)
HPyDef_MEMBER(Holder_kw, "kw", HPyMember_OBJECT, offsetof(HolderObject, kw), .readonly = 1)

static HPyDef *Holder_defines[] = {
    &Holder_new, &Holder_traverse, &Holder_destroy, &Holder_set_item, &Holder_item, &Holder_kw, NULL
};

static HPyType_Spec Holder_spec = {
    .name = "types.Holder",
    .basicsize = sizeof(HolderObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE | HPy_TPFLAGS_HAVE_GC,
    .defines = Holder_defines,
};

HPyDef_SLOT(Sub_traverse, HPy_tp_traverse)
static int Sub_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    SubObject *s = (SubObject *)self;
    HPy_VISIT(&s->holder.item);
    HPy_VISIT(&s->holder.kw);
    HPy_VISIT(&s->other);
    return 0;
}

HPyDef_SLOT(Sub_destroy, HPy_tp_destroy)
static void Sub_destroy_impl(void *self)
{
    log_destroy("Sub");
}

HPyDef_METH(Sub_set_other, "set_other", HPyFunc_O)
static HPy Sub_set_other_impl(HPyContext *ctx, HPy self, HPy other)
{
    HPyField_Store(ctx, self, &SubObject_AsStruct(ctx, self)->other, other);
    return HPy_Dup(ctx, ctx->h_None);
}

HPyDef_MEMBER(Sub_other, "other", HPyMember_OBJECT, offsetof(SubObject, other), .readonly = 1)

static HPyDef *Sub_defines[] = { &Sub_traverse, &Sub_destroy, &Sub_set_other, &Sub_other, NULL };

static HPyType_Spec Sub_spec = {
    .name = "types.Sub",
    .basicsize = sizeof(SubObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE | HPy_TPFLAGS_HAVE_GC,
    .defines = Sub_defines,
};

/* Recursive(): its tp_new calls the type again, without end. */
HPyDef_SLOT(Recursive_new, HPy_tp_new)
static HPy Recursive_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    HPy empty = HPyTuple_FromArray(ctx, NULL, 0);
    if (HPy_IsNull(empty))
        return HPy_NULL;
    HPy r = HPy_CallTupleDict(ctx, cls, empty, HPy_NULL);
    HPy_Close(ctx, empty);
    return r;
}

static HPyDef *Recursive_defines[] = { &Recursive_new, NULL };

static HPyType_Spec Recursive_spec = {
    .name = "types.Recursive",
    .basicsize = 0,
    .flags = HPy_TPFLAGS_DEFAULT,
    .defines = Recursive_defines,
};

/* with_metaclass(meta): a new subtype of Holder whose metaclass is `meta`
   and whose destroy function logs "WithMeta". */
HPyDef_SLOT(WithMeta_destroy, HPy_tp_destroy)
static void WithMeta_destroy_impl(void *self)
{
    log_destroy("WithMeta");
}

static HPyDef *WithMeta_defines[] = { &WithMeta_destroy, NULL };

static HPyType_Spec WithMeta_spec = {
    .name = "types.WithMeta",
    .basicsize = sizeof(HolderObject),
    /* GC and the traverse implementation come from Holder */
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
    .defines = WithMeta_defines,
};

static HPyGlobal g_Holder;

/* Leaf(Holder): no acceptable base, with storage of its own (`extra`). */
typedef struct {
    HolderObject holder;
    double extra;
} LeafObject;

static HPyDef *Leaf_defines[] = { NULL };

static HPyType_Spec Leaf_spec = {
    .name = "types.Leaf",
    .basicsize = sizeof(LeafObject),
    .flags = HPy_TPFLAGS_DEFAULT,
    .defines = Leaf_defines,
};

/* Plain: no GC, no fields, a struct the size of a Holder's allocation
   (CPython 3.11: 16 bytes of header, 32 of struct), so that a freed Plain
   leaves its bytes where the next Holder may be allocated. */
typedef struct {
    double d[4];
} PlainObject;

static HPyDef *Plain_defines[] = { NULL };

static HPyType_Spec Plain_spec = {
    .name = "types.Plain",
    .basicsize = sizeof(PlainObject),
    .flags = HPy_TPFLAGS_DEFAULT,
    .defines = Plain_defines,
};

/* new(type): HPy_New, nothing else. */
HPyDef_METH(new_, "new", HPyFunc_O)
static HPy new__impl(HPyContext *ctx, HPy self, HPy type)
{
    void *data;
    return HPy_New(ctx, type, &data);
}

static int all_zero(const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (((const unsigned char *)p)[i] != 0)
            return 0;
    return 1;
}

/* new_is_zeroed(plain, holder, n): n times, an object of `plain` (a
   Plain-shaped type) is made, checked to be zero, filled with 0xAB and
   freed, then an object of `holder` (a Holder or a subclass) is made and
   checked to be zero: HPy_New's struct is zeroed even where freed memory
   is reused. */
HPyDef_METH(new_is_zeroed, "new_is_zeroed", HPyFunc_VARARGS)
static HPy new_is_zeroed_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    if (nargs != 3) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "new_is_zeroed(plain, holder, n)");
        return HPy_NULL;
    }
    long n = HPyLong_AsLong(ctx, args[2]);
    if (n == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    int ok = 1;
    for (long i = 0; i < n && ok; i++) {
        PlainObject *p;
        HPy a = HPy_New(ctx, args[0], &p);
        if (HPy_IsNull(a))
            return HPy_NULL;
        ok = all_zero(p, sizeof(PlainObject));
        memset(p, 0xAB, sizeof(PlainObject));
        HPy_Close(ctx, a);
        HolderObject *h;
        HPy b = HPy_New(ctx, args[1], &h);
        if (HPy_IsNull(b))
            return HPy_NULL;
        ok = ok && all_zero(h, sizeof(HolderObject));
        HPy_Close(ctx, b);
    }
    return HPyBool_FromLong(ctx, ok);
}

/* type_check(obj, type): HPy_TypeCheck. */
HPyDef_METH(type_check, "type_check", HPyFunc_VARARGS)
static HPy type_check_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    if (nargs != 2) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "type_check(obj, type)");
        return HPy_NULL;
    }
    return HPyBool_FromLong(ctx, HPy_TypeCheck(ctx, args[0], args[1]));
}

HPyDef_METH(with_metaclass, "with_metaclass", HPyFunc_O)
static HPy with_metaclass_impl(HPyContext *ctx, HPy self, HPy meta)
{
    HPy holder = HPyGlobal_Load(ctx, g_Holder);
    HPyType_SpecParam params[] = {
        { HPyType_SpecParam_Base, holder },
        { HPyType_SpecParam_Metaclass, meta },
        { (HPyType_SpecParam_Kind)0 },
    };
    HPy t = HPyType_FromSpec(ctx, &WithMeta_spec, params);
    HPy_Close(ctx, holder);
    return t;
}

static int add_type(HPyContext *ctx, HPy m, const char *name, HPyType_Spec *spec, HPyType_SpecParam *params)
{
    HPy t = HPyType_FromSpec(ctx, spec, params);
    if (HPy_IsNull(t))
        return -1;
    int r = HPy_SetAttr_s(ctx, m, name, t);
    HPy_Close(ctx, t);
    return r;
}

HPyDef_SLOT(types_exec, HPy_mod_exec)
static int types_exec_impl(HPyContext *ctx, HPy m)
{
    HPy holder = HPyType_FromSpec(ctx, &Holder_spec, NULL);
    if (HPy_IsNull(holder))
        return -1;
    HPyGlobal_Store(ctx, &g_Holder, holder);
    HPyType_SpecParam sub_params[] = { { HPyType_SpecParam_Base, holder }, { (HPyType_SpecParam_Kind)0 } };
    int r = HPy_SetAttr_s(ctx, m, "Holder", holder);
    if (r == 0)
        r = add_type(ctx, m, "Sub", &Sub_spec, sub_params);
    if (r == 0)
        r = add_type(ctx, m, "Leaf", &Leaf_spec, sub_params);
    HPy_Close(ctx, holder);
    if (r == 0)
        r = add_type(ctx, m, "Recursive", &Recursive_spec, NULL);
    if (r == 0)
        r = add_type(ctx, m, "Plain", &Plain_spec, NULL);
    return r;
}

static HPyDef *module_defines[] = {
    &destroyed, &with_metaclass, &type_check, &new_, &new_is_zeroed, &types_exec, NULL
};
static HPyGlobal *module_globals[] = { &g_Holder, NULL };

static HPyModuleDef moduledef = {
    .doc = "types whose objects own fields and log their destruction",
    .size = 0,
    .defines = module_defines,
    .globals = module_globals,
};

HPy_MODINIT(types, moduledef)
