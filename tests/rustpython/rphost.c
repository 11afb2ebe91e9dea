/* A small universal extension for the RustPython host's smoke test: one
 * function per method signature, plus calls into the object, number, text,
 * container and error areas of the context. */
#include "hpy.h"
#include <stdlib.h>

HPyDef_METH(hello, "hello", HPyFunc_NOARGS)
static HPy hello_impl(HPyContext *ctx, HPy self)
{
    return HPyUnicode_FromString(ctx, "hello from HPy");
}

HPyDef_METH(twice, "twice", HPyFunc_O)
static HPy twice_impl(HPyContext *ctx, HPy self, HPy arg)
{
    return HPy_Add(ctx, arg, arg);
}

/* sum_ints(*ints): the sum, as a C long long. */
HPyDef_METH(sum_ints, "sum_ints", HPyFunc_VARARGS)
static HPy sum_ints_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    long long total = 0;
    for (size_t i = 0; i < nargs; i++) {
        long long v = HPyLong_AsLongLong(ctx, args[i]);
        if (v == -1 && HPyErr_Occurred(ctx))
            return HPy_NULL;
        total += v;
    }
    return HPyLong_FromLongLong(ctx, total);
}

/* describe(a, b=10, *, sep="-"): "a<sep>b" with str() of each. */
HPyDef_METH(describe, "describe", HPyFunc_KEYWORDS)
static HPy describe_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs, HPy kwnames)
{
    static const char *kwlist[] = { "a", "b", "sep", NULL };
    HPy a, b = HPy_NULL, sep = HPy_NULL;
    HPyTracker ht;
    if (!HPyArg_ParseKeywords(ctx, &ht, args, nargs, kwnames, "O|O$O:describe", kwlist, &a, &b, &sep))
        return HPy_NULL;
    HPy h_b = HPy_IsNull(b) ? HPyLong_FromLong(ctx, 10) : HPy_Dup(ctx, b);
    HPy h_sep = HPy_IsNull(sep) ? HPyUnicode_FromString(ctx, "-") : HPy_Dup(ctx, sep);
    HPy sa = HPy_Str(ctx, a);
    HPy sb = HPy_Str(ctx, h_b);
    HPy left = HPy_Add(ctx, sa, h_sep);
    HPy result = HPy_Add(ctx, left, sb);
    HPy_Close(ctx, left);
    HPy_Close(ctx, sa);
    HPy_Close(ctx, sb);
    HPy_Close(ctx, h_b);
    HPy_Close(ctx, h_sep);
    HPyTracker_Close(ctx, ht);
    return result;
}

HPyDef_METH(fail, "fail", HPyFunc_O)
static HPy fail_impl(HPyContext *ctx, HPy self, HPy arg)
{
    const char *msg = HPyUnicode_AsUTF8AndSize(ctx, arg, NULL);
    if (msg == NULL)
        return HPy_NULL;
    HPyErr_SetString(ctx, ctx->h_ValueError, msg);
    return HPy_NULL;
}

/* call(f, *args): f(*args), through HPy_Call. */
HPyDef_METH(call, "call", HPyFunc_VARARGS)
static HPy call_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    if (nargs < 1) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "call() needs a callable");
        return HPy_NULL;
    }
    return HPy_Call(ctx, args[0], args + 1, nargs - 1, HPy_NULL);
}

/* build(n): ([0..n), {"n": n, "squares": (0, 1, 4, ...)}) */
HPyDef_METH(build, "build", HPyFunc_O)
static HPy build_impl(HPyContext *ctx, HPy self, HPy arg)
{
    HPy_ssize_t n = HPyLong_AsSsize_t(ctx, arg);
    if (n == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    HPy list = HPyList_New(ctx, 0);
    HPyTupleBuilder tb = HPyTupleBuilder_New(ctx, n);
    for (HPy_ssize_t i = 0; i < n; i++) {
        HPy v = HPyLong_FromSsize_t(ctx, i);
        HPyList_Append(ctx, list, v);
        HPy_Close(ctx, v);
        HPyTupleBuilder_Set(ctx, tb, i, HPyLong_FromSsize_t(ctx, i * i));
    }
    HPy squares = HPyTupleBuilder_Build(ctx, tb);
    HPy dict = HPyDict_New(ctx);
    HPy_SetItem_s(ctx, dict, "n", arg);
    HPy_SetItem_s(ctx, dict, "squares", squares);
    HPy items[2] = { list, dict };
    HPy result = HPyTuple_FromArray(ctx, items, 2);
    HPy_Close(ctx, squares);
    HPy_Close(ctx, list);
    HPy_Close(ctx, dict);
    return result;
}

/* info(obj): (type name, len or -1, bool(obj), repr(obj)) */
HPyDef_METH(info, "info", HPyFunc_O)
static HPy info_impl(HPyContext *ctx, HPy self, HPy arg)
{
    /* The name lives as long as its type's handle: debug mode checks it. */
    HPy type = HPy_Type(ctx, arg);
    const char *name = HPyType_GetName(ctx, type);
    if (name == NULL) {
        HPy_Close(ctx, type);
        return HPy_NULL;
    }
    HPy_ssize_t len = HPy_Length(ctx, arg);
    if (len == -1)
        HPyErr_Clear(ctx);
    int truth = HPy_IsTrue(ctx, arg);
    if (truth < 0) {
        HPy_Close(ctx, type);
        return HPy_NULL;
    }
    HPy items[4];
    items[0] = HPyUnicode_FromString(ctx, name);
    HPy_Close(ctx, type);
    items[1] = HPyLong_FromSsize_t(ctx, len);
    items[2] = HPyBool_FromLong(ctx, truth);
    items[3] = HPy_Repr(ctx, arg);
    HPy result = HPyTuple_FromArray(ctx, items, 4);
    for (int i = 0; i < 4; i++)
        HPy_Close(ctx, items[i]);
    return result;
}

/* attr(obj, name): getattr through a C string name. */
HPyDef_METH(attr, "attr", HPyFunc_VARARGS)
static HPy attr_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    const char *name;
    HPy obj;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "Os:attr", &obj, &name))
        return HPy_NULL;
    return HPy_GetAttr_s(ctx, obj, name);
}

/* bytes_len(b): len of a bytes object read through HPyBytes_AsString. */
HPyDef_METH(bytes_len, "bytes_len", HPyFunc_O)
static HPy bytes_len_impl(HPyContext *ctx, HPy self, HPy arg)
{
    if (!HPyBytes_Check(ctx, arg)) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "bytes_len() wants bytes");
        return HPy_NULL;
    }
    const char *data = HPyBytes_AsString(ctx, arg);
    HPy_ssize_t n = HPyBytes_Size(ctx, arg);
    HPy_ssize_t c = 0;
    while (c < n && data[c] != '\0')
        c++;
    return HPyLong_FromSsize_t(ctx, c);
}

/* Point: a type from a spec, with native storage, a member, a getset, a
 * method and slots. */
typedef struct { long x; long y; HPyField tag; } PointObject;
HPyType_HELPERS(PointObject)

HPyDef_MEMBER(Point_x, "x", HPyMember_LONG, offsetof(PointObject, x))
HPyDef_MEMBER(Point_y, "y", HPyMember_LONG, offsetof(PointObject, y), .readonly=1)

HPyDef_SLOT(Point_new, HPy_tp_new)
static HPy Point_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    long x = 0, y = 0;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "|ll", &x, &y))
        return HPy_NULL;
    PointObject *p;
    HPy h = HPy_New(ctx, cls, &p);
    if (HPy_IsNull(h))
        return HPy_NULL;
    p->x = x;
    p->y = y;
    return h;
}

HPyDef_SLOT(Point_repr, HPy_tp_repr)
static HPy Point_repr_impl(HPyContext *ctx, HPy self)
{
    PointObject *p = PointObject_AsStruct(ctx, self);
    return HPyUnicode_FromFormat(ctx, "Point(%ld, %ld)", p->x, p->y);
}

HPyDef_SLOT(Point_add, HPy_nb_add)
static HPy Point_add_impl(HPyContext *ctx, HPy a, HPy b)
{
    HPy type = HPy_Type(ctx, a);
    if (!HPy_TypeCheck(ctx, b, type)) {
        HPy_Close(ctx, type);
        return HPy_Dup(ctx, ctx->h_NotImplemented);
    }
    PointObject *pa = PointObject_AsStruct(ctx, a), *pb = PointObject_AsStruct(ctx, b), *r;
    HPy h = HPy_New(ctx, type, &r);
    HPy_Close(ctx, type);
    if (HPy_IsNull(h))
        return HPy_NULL;
    r->x = pa->x + pb->x;
    r->y = pa->y + pb->y;
    return h;
}

HPyDef_METH(Point_norm1, "norm1", HPyFunc_NOARGS)
static HPy Point_norm1_impl(HPyContext *ctx, HPy self)
{
    PointObject *p = PointObject_AsStruct(ctx, self);
    return HPyLong_FromLong(ctx, labs(p->x) + labs(p->y));
}

HPyDef_GETSET(Point_tag, "tag")
static HPy Point_tag_get(HPyContext *ctx, HPy self, void *closure)
{
    PointObject *p = PointObject_AsStruct(ctx, self);
    if (HPyField_IsNull(p->tag))
        return HPy_Dup(ctx, ctx->h_None);
    return HPyField_Load(ctx, self, p->tag);
}

static int Point_tag_set(HPyContext *ctx, HPy self, HPy value, void *closure)
{
    PointObject *p = PointObject_AsStruct(ctx, self);
    HPyField_Store(ctx, self, &p->tag, value);
    return 0;
}

HPyDef_SLOT(Point_traverse, HPy_tp_traverse)
static int Point_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    PointObject *p = (PointObject *)self;
    HPy_VISIT(&p->tag);
    return 0;
}

static HPyDef *Point_defines[] = {
    &Point_x, &Point_y, &Point_new, &Point_repr, &Point_add, &Point_norm1, &Point_tag,
    &Point_traverse, NULL
};

static HPyType_Spec Point_spec = {
    .name = "rphost.Point",
    .basicsize = sizeof(PointObject),
    .builtin_shape = PointObject_SHAPE,
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE | HPy_TPFLAGS_HAVE_GC,
    .defines = Point_defines,
};

/* spin(n): a CPU-bound loop that touches no Python object, for the thread
 * scaling check: two threads calling it run in parallel on RustPython. */
HPyDef_METH(spin, "spin", HPyFunc_O)
static HPy spin_impl(HPyContext *ctx, HPy self, HPy arg)
{
    long long n = HPyLong_AsLongLong(ctx, arg);
    if (n == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    unsigned long long x = 88172645463325252ULL;
    for (long long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    return HPyLong_FromUnsignedLongLong(ctx, x & 0xffff);
}

/* Capsules: make_capsule(n) wraps a static int set to n; capsule_value(c)
 * reads it back by name; capsules_destroyed() counts destructor calls. */
static int capsule_ints[8];
static long destroyed;
static const char capsule_name[] = "rphost.int";

HPyCapsule_DESTRUCTOR(count_destroyed)
static void count_destroyed_impl(const char *name, void *pointer, void *context)
{
    destroyed++;
}

HPyDef_METH(make_capsule, "make_capsule", HPyFunc_O)
static HPy make_capsule_impl(HPyContext *ctx, HPy self, HPy arg)
{
    long n = HPyLong_AsLong(ctx, arg);
    if (n == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    int *slot = &capsule_ints[n & 7];
    *slot = (int)n;
    return HPyCapsule_New(ctx, slot, capsule_name, &count_destroyed);
}

HPyDef_METH(capsule_value, "capsule_value", HPyFunc_O)
static HPy capsule_value_impl(HPyContext *ctx, HPy self, HPy arg)
{
    if (!HPyCapsule_IsValid(ctx, arg, capsule_name)) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "not an rphost.int capsule");
        return HPy_NULL;
    }
    int *p = HPyCapsule_GetPointer(ctx, arg, capsule_name);
    if (p == NULL)
        return HPy_NULL;
    return HPyLong_FromLong(ctx, *p);
}

HPyDef_METH(capsules_destroyed, "capsules_destroyed", HPyFunc_NOARGS)
static HPy capsules_destroyed_impl(HPyContext *ctx, HPy self)
{
    return HPyLong_FromLong(ctx, destroyed);
}

/* Ranked: an int subclass with an HPy_tp_new, Ranked(rank) -> an int equal
 * to 0 (what the base's allocation gives) whose struct holds the rank. */
typedef struct {
    long rank;
} RankedObject;

HPyType_HELPERS(RankedObject, HPyType_BuiltinShape_Long)

HPyDef_SLOT(Ranked_new, HPy_tp_new)
static HPy Ranked_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    long rank;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "l", &rank))
        return HPy_NULL;
    RankedObject *r;
    HPy h = HPy_New(ctx, cls, &r);
    if (HPy_IsNull(h))
        return HPy_NULL;
    r->rank = rank;
    return h;
}

HPyDef_MEMBER(Ranked_rank, "rank", HPyMember_LONG, offsetof(RankedObject, rank), .readonly=1)

static HPyDef *Ranked_defines[] = { &Ranked_new, &Ranked_rank, NULL };

static HPyType_Spec Ranked_spec = {
    .name = "rphost.Ranked",
    .basicsize = sizeof(RankedObject),
    .builtin_shape = SHAPE(RankedObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
    .defines = Ranked_defines,
};

static HPyGlobal counter_name;

HPyDef_SLOT(exec_mod, HPy_mod_exec)
static int exec_mod_impl(HPyContext *ctx, HPy module)
{
    HPy v = HPyLong_FromLong(ctx, 42);
    int r = HPy_SetAttr_s(ctx, module, "answer", v);
    HPy_Close(ctx, v);
    HPy name = HPyUnicode_FromString(ctx, "counter");
    HPyGlobal_Store(ctx, &counter_name, name);
    HPy_Close(ctx, name);
    HPyType_SpecParam int_base[] = {
        { HPyType_SpecParam_Base, ctx->h_LongType },
        { (HPyType_SpecParam_Kind)0 }
    };
    if (r < 0 || !HPyHelpers_AddType(ctx, module, "Point", &Point_spec, NULL) ||
            !HPyHelpers_AddType(ctx, module, "Ranked", &Ranked_spec, int_base))
        return -1;
    return 0;
}

HPyDef_METH(global_name, "global_name", HPyFunc_NOARGS)
static HPy global_name_impl(HPyContext *ctx, HPy self)
{
    return HPyGlobal_Load(ctx, counter_name);
}


/* leak(obj): returns obj and leaves one more handle to it open, which debug
 * mode reports (LeakDetector, get_open_handles). */
HPyDef_METH(leak, "leak", HPyFunc_O)
static HPy leak_impl(HPyContext *ctx, HPy self, HPy arg)
{
    HPy_Dup(ctx, arg); /* never closed, on purpose */
    return HPy_Dup(ctx, arg);
}

/* use_after_close(obj): repr(obj) through a handle already closed, which
 * debug mode reports (on_invalid_handle, take_last_report); the caller still
 * holds obj, so going on with the stale handle is safe. */
HPyDef_METH(use_after_close, "use_after_close", HPyFunc_O)
static HPy use_after_close_impl(HPyContext *ctx, HPy self, HPy arg)
{
    HPy h = HPy_Dup(ctx, arg);
    HPy_Close(ctx, h);
    return HPy_Repr(ctx, h);
}

/* work(n): for the thread test, n rounds of opening and closing handles,
 * building a tuple, and raising and catching an error; returns the sum of
 * the tuples' items, n * (n - 1) / 2 * 2. */
HPyDef_METH(work, "work", HPyFunc_O)
static HPy work_impl(HPyContext *ctx, HPy self, HPy arg)
{
    long n = HPyLong_AsLong(ctx, arg);
    if (n == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    long total = 0;
    for (long i = 0; i < n; i++) {
        HPyTupleBuilder b = HPyTupleBuilder_New(ctx, 2);
        HPy a = HPyLong_FromLong(ctx, i);
        HPyTupleBuilder_Set(ctx, b, 0, a);
        HPyTupleBuilder_Set(ctx, b, 1, a);
        HPy_Close(ctx, a);
        HPy t = HPyTupleBuilder_Build(ctx, b);
        if (HPy_IsNull(t))
            return HPy_NULL;
        for (int k = 0; k < 2; k++) {
            HPy item = HPy_GetItem_i(ctx, t, k);
            total += HPyLong_AsLong(ctx, item);
            HPy_Close(ctx, item);
        }
        HPy_Close(ctx, t);
        HPyErr_SetString(ctx, ctx->h_ValueError, "caught inside work");
        if (!HPyErr_ExceptionMatches(ctx, ctx->h_ValueError))
            return HPy_NULL;
        HPyErr_Clear(ctx);
    }
    return HPyLong_FromLong(ctx, total);
}

/* leave_reenter(): HPy_LeavePythonExecution then HPy_ReenterPythonExecution,
 * for the panic barrier of the two (a panic there is a fatal error, see
 * run.sh). */
HPyDef_METH(leave_reenter, "leave_reenter", HPyFunc_NOARGS)
static HPy leave_reenter_impl(HPyContext *ctx, HPy self)
{
    HPyThreadState state = HPy_LeavePythonExecution(ctx);
    HPy_ReenterPythonExecution(ctx, state);
    return HPy_Dup(ctx, ctx->h_None);
}

/* unsupported(i): calls the i-th of a few context functions that RustPython
 * cannot serve, for the test of their messages. */
HPyDef_METH(unsupported, "unsupported", HPyFunc_O)
static HPy unsupported_impl(HPyContext *ctx, HPy self, HPy arg)
{
    long which = HPyLong_AsLong(ctx, arg);
    switch (which) {
    case 0:
        /* the context member itself: HPy_AsPyObject is hybrid-only API */
        if (ctx->ctx_AsPyObject(ctx, arg) == NULL)
            return HPy_NULL;
        break;
    case 1:
        if (HPy_IsNull(ctx->ctx_FromPyObject(ctx, NULL)))
            return HPy_NULL;
        break;
    case 2: {
        /* legacy slots are CPython C API: never read on RustPython */
        static int no_legacy_slots[4];
        HPyType_Spec spec = {
            .name = "rphost.Legacy",
            .builtin_shape = HPyType_BuiltinShape_Legacy,
            .legacy_slots = no_legacy_slots,
        };
        HPy t = HPyType_FromSpec(ctx, &spec, NULL);
        if (HPy_IsNull(t))
            return HPy_NULL;
        HPy_Close(ctx, t);
        break;
    }
    }
    return HPy_Dup(ctx, ctx->h_None);
}

static HPyDef *module_defines[] = {
    &hello, &twice, &sum_ints, &describe, &fail, &call, &build, &info, &attr,
    &bytes_len, &spin, &make_capsule, &capsule_value, &capsules_destroyed, &global_name, &exec_mod,
    &leak, &use_after_close, &work, &leave_reenter, &unsupported, NULL
};

static HPyGlobal *module_globals[] = { &counter_name, NULL };

static HPyModuleDef moduledef = {
    .doc = "Smoke test of Lichen's RustPython host",
    .defines = module_defines,
    .globals = module_globals,
};

HPy_MODINIT(rphost, moduledef)
