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

/* meet_outside(n): waits, with the runtime let go, until n calls have
 * arrived (since meet_reset()), or 10 s; whether they all did. Calls that
 * the runtime ran one at a time would never meet. */
static int arrived;

HPyDef_METH(meet_outside, "meet_outside", HPyFunc_O)
static HPy meet_outside_impl(HPyContext *ctx, HPy self, HPy arg)
{
    long n = HPyLong_AsLong(ctx, arg);
    if (n == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    HPyThreadState state = HPy_LeavePythonExecution(ctx);
    __atomic_add_fetch(&arrived, 1, __ATOMIC_SEQ_CST);
    int waited = 0;
    while (__atomic_load_n(&arrived, __ATOMIC_SEQ_CST) < n && waited < 10000) {
        usleep(1000);
        waited++;
    }
    HPy_ReenterPythonExecution(ctx, state);
    return HPyBool_FromLong(ctx, __atomic_load_n(&arrived, __ATOMIC_SEQ_CST) >= n);
}

HPyDef_METH(meet_reset, "meet_reset", HPyFunc_NOARGS)
static HPy meet_reset_impl(HPyContext *ctx, HPy self)
{
    __atomic_store_n(&arrived, 0, __ATOMIC_SEQ_CST);
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


/* builders(n, big): n rounds of builders whose arrays the host reuses:
 * a cancelled one, one left with an empty slot (its Build fails), a tuple
 * of 20 (too long for its slot to keep the items), then a tuple and a list
 * of 3 (big + round, round + 0.5, round), which the last round returns as
 * (tuple, list, tuple of 20). */
static HPy build3(HPyContext *ctx, HPy big, long i, int list)
{
    HPyTupleBuilder tb = {0};
    HPyListBuilder lb = {0};
    if (list)
        lb = HPyListBuilder_New(ctx, 3);
    else
        tb = HPyTupleBuilder_New(ctx, 3);
    HPy items[3];
    HPy n = HPyLong_FromLong(ctx, i);
    items[0] = HPy_Add(ctx, big, n);
    items[1] = HPyFloat_FromDouble(ctx, i + 0.5);
    items[2] = n;
    for (int k = 0; k < 3; k++) {
        if (list)
            HPyListBuilder_Set(ctx, lb, k, items[k]);
        else
            HPyTupleBuilder_Set(ctx, tb, k, items[k]);
        HPy_Close(ctx, items[k]);
    }
    return list ? HPyListBuilder_Build(ctx, lb) : HPyTupleBuilder_Build(ctx, tb);
}

HPyDef_METH(builders, "builders", HPyFunc_VARARGS)
static HPy builders_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    if (nargs != 2) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "builders(n, big)");
        return HPy_NULL;
    }
    long n = HPyLong_AsLong(ctx, args[0]);
    if (n == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    HPy result = HPy_NULL;
    for (long i = 0; i < n; i++) {
        HPyTupleBuilder cancelled = HPyTupleBuilder_New(ctx, 2);
        HPyTupleBuilder_Set(ctx, cancelled, 0, args[1]);
        HPyTupleBuilder_Cancel(ctx, cancelled);

        HPyListBuilder holed = HPyListBuilder_New(ctx, 2);
        HPyListBuilder_Set(ctx, holed, 1, args[1]);
        HPy none = HPyListBuilder_Build(ctx, holed);
        if (!HPy_IsNull(none) || !HPyErr_Occurred(ctx)) {
            HPyErr_SetString(ctx, ctx->h_AssertionError, "a builder with an empty slot built");
            return HPy_NULL;
        }
        HPyErr_Clear(ctx);

        HPyTupleBuilder long_one = HPyTupleBuilder_New(ctx, 20);
        for (int k = 0; k < 20; k++)
            HPyTupleBuilder_Set(ctx, long_one, k, args[1]);
        HPy t20 = HPyTupleBuilder_Build(ctx, long_one);
        HPy t = build3(ctx, args[1], i, 0);
        HPy l = build3(ctx, args[1], i, 1);
        if (HPy_IsNull(t20) || HPy_IsNull(t) || HPy_IsNull(l))
            return HPy_NULL;
        if (i == n - 1) {
            HPy all[3] = {t, l, t20};
            result = HPyTuple_FromArray(ctx, all, 3);
        }
        HPy_Close(ctx, t20);
        HPy_Close(ctx, t);
        HPy_Close(ctx, l);
    }
    return HPy_IsNull(result) ? HPy_Dup(ctx, ctx->h_None) : result;
}


/* keywords(*args, **kw): (args, the keyword names, their values), read
 * with HPy_Length and HPy_GetItem_i as argument parsers do. */
static HPy tuple_of(HPyContext *ctx, const HPy *items, HPy_ssize_t n)
{
    return HPyTuple_FromArray(ctx, (HPy *)items, n);
}

/* A tuple of the n handles of parts, which it closes. */
static HPy tuple_closing(HPyContext *ctx, HPy *parts, HPy_ssize_t n)
{
    HPy r = HPyTuple_FromArray(ctx, parts, n);
    for (HPy_ssize_t i = 0; i < n; i++)
        HPy_Close(ctx, parts[i]);
    return r;
}

HPyDef_METH(keywords, "keywords", HPyFunc_KEYWORDS)
static HPy keywords_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs, HPy kwnames)
{
    HPy_ssize_t nkw = HPy_IsNull(kwnames) ? 0 : HPy_Length(ctx, kwnames);
    if (nkw < 0)
        return HPy_NULL;
    HPy names[16];
    if (nkw > 16) {
        HPyErr_SetString(ctx, ctx->h_ValueError, "at most 16 keywords");
        return HPy_NULL;
    }
    for (HPy_ssize_t i = 0; i < nkw; i++)
        names[i] = HPy_GetItem_i(ctx, kwnames, i);
    HPy parts[3];
    parts[0] = tuple_of(ctx, args, nargs);
    parts[1] = tuple_of(ctx, names, nkw);
    parts[2] = tuple_of(ctx, args + nargs, nkw);
    for (HPy_ssize_t i = 0; i < nkw; i++)
        HPy_Close(ctx, names[i]);
    return tuple_closing(ctx, parts, 3);
}


/* texts(s, b): HPyUnicode_AsUTF8AndSize of str s twice and HPyBytes_Size
 * and _AsString of bytes b twice: each pointer must stay what it was (the
 * first stays valid as long as the handle); (s's UTF-8, b's contents). */
HPyDef_METH(texts, "texts", HPyFunc_VARARGS)
static HPy texts_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    if (nargs != 2) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "texts(s, b)");
        return HPy_NULL;
    }
    HPy_ssize_t n1, n2;
    const char *u1 = HPyUnicode_AsUTF8AndSize(ctx, args[0], &n1);
    if (u1 == NULL)
        return HPy_NULL;
    const char *u2 = HPyUnicode_AsUTF8AndSize(ctx, args[0], &n2);
    const char *b1 = HPyBytes_AsString(ctx, args[1]);
    if (b1 == NULL)
        return HPy_NULL;
    HPy_ssize_t bn = HPyBytes_Size(ctx, args[1]);
    const char *b2 = HPyBytes_AsString(ctx, args[1]);
    if (u1 != u2 || n1 != n2 || b1 != b2 || bn != HPyBytes_GET_SIZE(ctx, args[1])) {
        HPyErr_SetString(ctx, ctx->h_AssertionError, "a text's pointer or size changed");
        return HPy_NULL;
    }
    HPy parts[2];
    parts[0] = HPyBytes_FromStringAndSize(ctx, u1, n1);
    parts[1] = HPyBytes_FromStringAndSize(ctx, b1, bn);
    return tuple_closing(ctx, parts, 2);
}

/* attr(o, name): HPy_GetAttr_s(o, name) with name as a C string. */
HPyDef_METH(attr, "attr", HPyFunc_VARARGS)
static HPy attr_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    if (nargs != 2) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "attr(o, name)");
        return HPy_NULL;
    }
    const char *name = HPyBytes_AsString(ctx, args[1]);
    if (name == NULL)
        return HPy_NULL;
    return HPy_GetAttr_s(ctx, args[0], name);
}


/* Box(item): one HPyField, a traverse slot and no destroy. */
typedef struct {
    HPyField item;
} BoxObject;
HPyType_HELPERS(BoxObject)

HPyDef_SLOT(Box_new, HPy_tp_new)
static HPy Box_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    if (nargs != 1) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "Box(item)");
        return HPy_NULL;
    }
    BoxObject *b;
    HPy h = HPy_New(ctx, cls, &b);
    if (HPy_IsNull(h))
        return HPy_NULL;
    HPyField_Store(ctx, h, &b->item, args[0]);
    return h;
}

HPyDef_SLOT(Box_traverse, HPy_tp_traverse)
static int Box_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    HPy_VISIT(&((BoxObject *)self)->item);
    return 0;
}

HPyDef_METH(Box_get, "get", HPyFunc_NOARGS)
static HPy Box_get_impl(HPyContext *ctx, HPy self)
{
    HPy item = HPyField_Load(ctx, self, BoxObject_AsStruct(ctx, self)->item);
    return HPy_IsNull(item) ? HPy_Dup(ctx, ctx->h_None) : item;
}

HPyDef_METH(Box_set, "set", HPyFunc_O)
static HPy Box_set_impl(HPyContext *ctx, HPy self, HPy item)
{
    BoxObject *b = BoxObject_AsStruct(ctx, self);
    HPyField_Store(ctx, self, &b->item, item);
    return HPy_Dup(ctx, ctx->h_None);
}

HPyDef_METH(Box_clear, "clear", HPyFunc_NOARGS)
static HPy Box_clear_impl(HPyContext *ctx, HPy self)
{
    BoxObject *b = BoxObject_AsStruct(ctx, self);
    HPyField_Store(ctx, self, &b->item, HPy_NULL);
    return HPy_Dup(ctx, ctx->h_None);
}


/* pack(a, b): stores the tuple (a, b), made with HPyTuple_FromArray. */
HPyDef_METH(Box_pack, "pack", HPyFunc_VARARGS)
static HPy Box_pack_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    if (nargs != 2) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "pack(a, b)");
        return HPy_NULL;
    }
    HPy t = HPyTuple_FromArray(ctx, (HPy *)args, 2);
    if (HPy_IsNull(t))
        return HPy_NULL;
    HPyField_Store(ctx, self, &BoxObject_AsStruct(ctx, self)->item, t);
    HPy_Close(ctx, t);
    return HPy_Dup(ctx, ctx->h_None);
}

/* swap(item): stores item, returns what the box held (loaded before). */
HPyDef_METH(Box_swap, "swap", HPyFunc_O)
static HPy Box_swap_impl(HPyContext *ctx, HPy self, HPy item)
{
    BoxObject *b = BoxObject_AsStruct(ctx, self);
    HPy old = HPyField_Load(ctx, self, b->item);
    HPyField_Store(ctx, self, &b->item, item);
    if (HPy_IsNull(old))
        return HPy_Dup(ctx, ctx->h_None);
    return old;
}

/* item(i, replacement): item i of the sequence the box holds (loaded:
 * HPy_Length, then HPy_GetItem_i), or its length if i is past the end;
 * with a replacement, the box holds that before the item is returned (the
 * handle of the item outlives the box's hold on the sequence). */
HPyDef_METH(Box_item, "item", HPyFunc_VARARGS)
static HPy Box_item_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    if (nargs < 1 || nargs > 2) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "item(i, replacement=None)");
        return HPy_NULL;
    }
    HPy_ssize_t i = HPyLong_AsSsize_t(ctx, args[0]);
    if (i == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    BoxObject *b = BoxObject_AsStruct(ctx, self);
    HPy seq = HPyField_Load(ctx, self, b->item);
    HPy_ssize_t n = HPy_Length(ctx, seq);
    HPy r = HPy_NULL;
    if (n >= 0)
        r = i < n ? HPy_GetItem_i(ctx, seq, i) : HPyLong_FromSsize_t(ctx, n);
    HPy_Close(ctx, seq);
    if (nargs == 2 && !HPy_IsNull(r))
        HPyField_Store(ctx, self, &b->item, args[1]);
    return r;
}

/* store_then_call(item, f): stores item, then calls f with what a load of
 * the field gives, before the call returns (the store may not have reached
 * Python yet); returns f's result. */
HPyDef_METH(Box_store_then_call, "store_then_call", HPyFunc_VARARGS)
static HPy Box_store_then_call_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    if (nargs != 2) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "store_then_call(item, f)");
        return HPy_NULL;
    }
    BoxObject *b = BoxObject_AsStruct(ctx, self);
    HPyField_Store(ctx, self, &b->item, args[0]);
    HPy loaded = HPyField_Load(ctx, self, b->item);
    HPy call_args = HPyTuple_Pack(ctx, 1, loaded);
    HPy_Close(ctx, loaded);
    if (HPy_IsNull(call_args))
        return HPy_NULL;
    HPy r = HPy_CallTupleDict(ctx, args[1], call_args, HPy_NULL);
    HPy_Close(ctx, call_args);
    return r;
}

/* loads(box, n): loads the box's item n times, each handle closed. */
HPyDef_METH(loads, "loads", HPyFunc_VARARGS)
static HPy loads_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    long n = nargs == 2 ? HPyLong_AsLong(ctx, args[1]) : -1;
    if (n < 0) {
        if (!HPyErr_Occurred(ctx))
            HPyErr_SetString(ctx, ctx->h_TypeError, "loads(box, n)");
        return HPy_NULL;
    }
    BoxObject *b = BoxObject_AsStruct(ctx, args[0]);
    for (long i = 0; i < n; i++)
        HPy_Close(ctx, HPyField_Load(ctx, args[0], b->item));
    return HPy_Dup(ctx, ctx->h_None);
}

/* outlive(make, collect): loads the item of the Box make() returns, lets
 * go of the box, calls collect() and returns the loaded item: a loaded
 * handle keeps its object alive even when the owner is gone. */
HPyDef_METH(outlive, "outlive", HPyFunc_VARARGS)
static HPy outlive_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    if (nargs != 2) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "outlive(make, collect)");
        return HPy_NULL;
    }
    HPy box = HPy_CallTupleDict(ctx, args[0], HPy_NULL, HPy_NULL);
    if (HPy_IsNull(box))
        return HPy_NULL;
    HPy item = HPyField_Load(ctx, box, BoxObject_AsStruct(ctx, box)->item);
    HPy_Close(ctx, box);
    HPy r = HPy_CallTupleDict(ctx, args[1], HPy_NULL, HPy_NULL);
    if (HPy_IsNull(r)) {
        HPy_Close(ctx, item);
        return HPy_NULL;
    }
    HPy_Close(ctx, r);
    return item;
}

extern HPyDef Box_is_box;
/* Box.itself() returns its receiver; Box.keep() keeps it in a global
 * (kept() returns it): receivers whose slots the extension keeps. */
HPyDef_METH(Box_itself, "itself", HPyFunc_NOARGS)
static HPy Box_itself_impl(HPyContext *ctx, HPy self)
{
    return HPy_Dup(ctx, self);
}

static HPyGlobal g_kept;

HPyDef_METH(Box_keep, "keep", HPyFunc_NOARGS)
static HPy Box_keep_impl(HPyContext *ctx, HPy self)
{
    HPyGlobal_Store(ctx, &g_kept, self);
    return HPy_Dup(ctx, ctx->h_None);
}

HPyDef_METH(kept, "kept", HPyFunc_NOARGS)
static HPy kept_impl(HPyContext *ctx, HPy self)
{
    return HPyGlobal_Load(ctx, g_kept);
}

static HPyDef *Box_defines[] = { &Box_new, &Box_traverse, &Box_get, &Box_set, &Box_clear, &Box_swap, &Box_item, &Box_store_then_call, &Box_is_box, &Box_itself, &Box_keep, &Box_pack, NULL };
static HPyType_Spec Box_spec = {
    .name = "pypy_host.Box",
    .basicsize = sizeof(BoxObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC | HPy_TPFLAGS_BASETYPE,
    .defines = Box_defines,
};

static HPyGlobal g_Box;

HPyDef_SLOT(exec_types, HPy_mod_exec)
static int exec_types_impl(HPyContext *ctx, HPy module)
{
    HPy box = HPyType_FromSpec(ctx, &Box_spec, NULL);
    if (HPy_IsNull(box))
        return -1;
    HPyGlobal_Store(ctx, &g_Box, box);
    int r = HPy_SetAttr_s(ctx, module, "Box", box);
    HPy_Close(ctx, box);
    return r;
}

/* boxes(x, n): HPy_TypeCheck(x, Box) n times; how many said yes. */
HPyDef_METH(boxes, "boxes", HPyFunc_VARARGS)
static HPy boxes_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    long n = nargs == 2 ? HPyLong_AsLong(ctx, args[1]) : -1;
    if (n < 0) {
        if (!HPyErr_Occurred(ctx))
            HPyErr_SetString(ctx, ctx->h_TypeError, "boxes(x, n)");
        return HPy_NULL;
    }
    long yes = 0;
    for (long i = 0; i < n; i++) {
        HPy box = HPyGlobal_Load(ctx, g_Box);
        yes += HPy_TypeCheck(ctx, args[0], box);
        HPy_Close(ctx, box);
    }
    return HPyLong_FromLong(ctx, yes);
}


/* Box.is_box(): HPy_TypeCheck(self, Box). */
HPyDef_METH(Box_is_box, "is_box", HPyFunc_NOARGS)
static HPy Box_is_box_impl(HPyContext *ctx, HPy self)
{
    HPy box = HPyGlobal_Load(ctx, g_Box);
    int yes = HPy_TypeCheck(ctx, self, box);
    HPy_Close(ctx, box);
    return HPyBool_FromLong(ctx, yes);
}

/* half(x): HPyFloat_AsDouble(x) / 2. */
HPyDef_METH(half, "half", HPyFunc_O)
static HPy half_impl(HPyContext *ctx, HPy self, HPy x)
{
    double v = HPyFloat_AsDouble(ctx, x);
    if (v == -1.0 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    return HPyFloat_FromDouble(ctx, v / 2);
}

/* item_after_len(seq, i): HPy_Length(seq), then HPy_GetItem_i(seq, i). */
HPyDef_METH(item_after_len, "item_after_len", HPyFunc_VARARGS)
static HPy item_after_len_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    if (nargs != 2) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "item_after_len(seq, i)");
        return HPy_NULL;
    }
    long i = HPyLong_AsLong(ctx, args[1]);
    if (i == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    if (HPy_Length(ctx, args[0]) < 0)
        return HPy_NULL;
    return HPy_GetItem_i(ctx, args[0], i);
}

/* sum_after_len(seq): HPy_Length(seq), then the sum of HPyFloat_AsDouble
 * of the items HPy_GetItem_i reads. */
HPyDef_METH(sum_after_len, "sum_after_len", HPyFunc_O)
static HPy sum_after_len_impl(HPyContext *ctx, HPy self, HPy seq)
{
    HPy_ssize_t n = HPy_Length(ctx, seq);
    if (n < 0)
        return HPy_NULL;
    double total = 0.0;
    for (HPy_ssize_t i = 0; i < n; i++) {
        HPy item = HPy_GetItem_i(ctx, seq, i);
        if (HPy_IsNull(item))
            return HPy_NULL;
        double v = HPyFloat_AsDouble(ctx, item);
        HPy_Close(ctx, item);
        if (v == -1.0 && HPyErr_Occurred(ctx))
            return HPy_NULL;
        total += v;
    }
    return HPyFloat_FromDouble(ctx, total);
}

/* items_around(seq, f): HPyList_Check(seq), HPy_Length(seq), then f()
 * unless f is None, then a tuple of the first 16 items HPy_GetItem_i reads
 * (f may change seq). */
HPyDef_METH(items_around, "items_around", HPyFunc_VARARGS)
static HPy items_around_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    if (nargs != 2) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "items_around(seq, f)");
        return HPy_NULL;
    }
    if (!HPyList_Check(ctx, args[0]) && !HPyTuple_Check(ctx, args[0]))
        return HPy_Dup(ctx, ctx->h_None);
    HPy_ssize_t n = HPy_Length(ctx, args[0]);
    if (n < 0)
        return HPy_NULL;
    if (!HPy_Is(ctx, args[1], ctx->h_None)) {
        HPy r = HPy_CallTupleDict(ctx, args[1], HPy_NULL, HPy_NULL);
        if (HPy_IsNull(r))
            return HPy_NULL;
        HPy_Close(ctx, r);
    }
    HPy items[16];
    HPy_ssize_t got = 0;
    for (; got < n && got < 16; got++) {
        items[got] = HPy_GetItem_i(ctx, args[0], got);
        if (HPy_IsNull(items[got]))
            break;
    }
    HPy out = got == (n < 16 ? n : 16) ? HPyTuple_FromArray(ctx, items, got) : HPy_NULL;
    for (HPy_ssize_t i = 0; i < got; i++)
        HPy_Close(ctx, items[i]);
    return out;
}

static HPyGlobal *module_globals[] = { &g_Box, &g_kept, NULL };

static HPyDef *module_defines[] = {
    &bump, &call, &meet_outside, &meet_reset, &capsule, &destroyed, &as_pyobject, &churn, &builders, &keywords, &texts, &attr, &loads, &outlive, &boxes, &item_after_len, &sum_after_len, &half, &items_around, &kept,
    &exec_types, NULL
};

static HPyModuleDef moduledef = {
    .doc = "tests/pypy: Lichen's PyPy host",
    .size = 0,
    .defines = module_defines,
    .globals = module_globals,
};

HPy_MODINIT(pypy_host, moduledef)
