/* cx_types: types from HPyType_Spec: native structs (HPy_New,
 * HPy_AsStruct), members, getsets, methods, slots, HPyField, tp_destroy;
 * types with builtin bases (int, float, str, tuple, list) and a metaclass,
 * whose structs come from the shape-specific HPy_AsStruct; HPyType_GenericNew;
 * per-object call functions; module globals (HPyGlobal) and capsules. */
#include "hpy.h"
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

/* How many Points and capsules were destroyed, read by the script. */
static long points_destroyed;
static long capsules_destroyed;

/* ---- Point: x, y (members), tag (an HPyField behind a getset) ---- */

typedef struct {
    long x;
    double y;
    HPyField tag;
} PointObject;
HPyType_HELPERS(PointObject)

HPyDef_MEMBER(Point_x, "x", HPyMember_LONG, offsetof(PointObject, x))
HPyDef_MEMBER(Point_y, "y", HPyMember_DOUBLE, offsetof(PointObject, y), .readonly = 1)

HPyDef_SLOT(Point_new, HPy_tp_new)
static HPy Point_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    long x = 0;
    double y = 0;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "|ld:Point", &x, &y))
        return HPy_NULL;
    PointObject *p;
    HPy h = HPy_New(ctx, cls, &p);
    if (HPy_IsNull(h))
        return HPy_NULL;
    p->x = x;
    p->y = y;
    p->tag = HPyField_NULL;
    return h;
}

HPyDef_SLOT(Point_traverse, HPy_tp_traverse)
static int Point_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    HPy_VISIT(&((PointObject *)self)->tag);
    return 0;
}

HPyDef_SLOT(Point_destroy, HPy_tp_destroy)
static void Point_destroy_impl(void *self)
{
    points_destroyed++;
}

HPyDef_GETSET(Point_tag, "tag", .doc = "any object, kept in an HPyField")
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
    HPyField_Store(ctx, self, &p->tag, value); /* NULL value: del p.tag */
    return 0;
}

HPyDef_GET(Point_norm1, "norm1", .doc = "|x| + |y|")
static HPy Point_norm1_get(HPyContext *ctx, HPy self, void *closure)
{
    PointObject *p = PointObject_AsStruct(ctx, self);
    return HPyFloat_FromDouble(ctx, labs(p->x) + (p->y < 0 ? -p->y : p->y));
}

HPyDef_METH(Point_scaled, "scaled", HPyFunc_O, .doc = "a new Point, k times this one")
static HPy Point_scaled_impl(HPyContext *ctx, HPy self, HPy h_k)
{
    long k = HPyLong_AsLong(ctx, h_k);
    if (k == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    PointObject *p = PointObject_AsStruct(ctx, self), *q;
    HPy type = HPy_Type(ctx, self);
    HPy h = HPy_New(ctx, type, &q);
    HPy_Close(ctx, type);
    if (HPy_IsNull(h))
        return HPy_NULL;
    q->x = p->x * k;
    q->y = p->y * k;
    q->tag = HPyField_NULL;
    return h;
}

HPyDef_SLOT(Point_repr, HPy_tp_repr)
static HPy Point_repr_impl(HPyContext *ctx, HPy self)
{
    PointObject *p = PointObject_AsStruct(ctx, self);
    return HPyUnicode_FromFormat(ctx, "Point(%ld, %d)", p->x, (int)p->y);
}

/* Points compare by (x, y); anything else is NotImplemented. */
HPyDef_SLOT(Point_richcompare, HPy_tp_richcompare)
static HPy Point_richcompare_impl(HPyContext *ctx, HPy a, HPy b, HPy_RichCmpOp op)
{
    HPy type = HPy_Type(ctx, a);
    int same_type = HPy_TypeCheck(ctx, b, type);
    HPy_Close(ctx, type);
    if (!same_type || (op != HPy_EQ && op != HPy_NE))
        return HPy_Dup(ctx, ctx->h_NotImplemented);
    PointObject *p = PointObject_AsStruct(ctx, a), *q = PointObject_AsStruct(ctx, b);
    int eq = p->x == q->x && p->y == q->y;
    return HPyBool_FromLong(ctx, op == HPy_EQ ? eq : !eq);
}

HPyDef_SLOT(Point_hash, HPy_tp_hash)
static HPy_hash_t Point_hash_impl(HPyContext *ctx, HPy self)
{
    PointObject *p = PointObject_AsStruct(ctx, self);
    HPy_hash_t h = p->x * 1000003 + (HPy_hash_t)p->y;
    return h == -1 ? -2 : h;
}

HPyDef_SLOT(Point_add, HPy_nb_add)
static HPy Point_add_impl(HPyContext *ctx, HPy a, HPy b)
{
    HPy type = HPy_Type(ctx, a);
    if (!HPy_TypeCheck(ctx, b, type)) {
        HPy_Close(ctx, type);
        return HPy_Dup(ctx, ctx->h_NotImplemented);
    }
    PointObject *p = PointObject_AsStruct(ctx, a), *q = PointObject_AsStruct(ctx, b), *r;
    HPy h = HPy_New(ctx, type, &r);
    HPy_Close(ctx, type);
    if (HPy_IsNull(h))
        return HPy_NULL;
    r->x = p->x + q->x;
    r->y = p->y + q->y;
    r->tag = HPyField_NULL;
    return h;
}

HPyDef_SLOT(Point_bool, HPy_nb_bool)
static int Point_bool_impl(HPyContext *ctx, HPy self)
{
    PointObject *p = PointObject_AsStruct(ctx, self);
    return p->x != 0 || p->y != 0;
}

static HPyDef *Point_defines[] = {
    &Point_x, &Point_y, &Point_new, &Point_traverse, &Point_destroy, &Point_tag, &Point_norm1,
    &Point_scaled, &Point_repr, &Point_richcompare, &Point_hash, &Point_add, &Point_bool,
    NULL
};

static HPyType_Spec Point_spec = {
    .name = "cx_types.Point",
    .doc = "A point with a long x, a double y and a tag",
    .basicsize = sizeof(PointObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE | HPy_TPFLAGS_HAVE_GC,
    .defines = Point_defines,
};

/* ---- Seq: a fixed sequence of n squares, through the sequence slots ---- */

typedef struct {
    HPy_ssize_t n;
    long offset;
} SeqObject;
HPyType_HELPERS(SeqObject)

HPyDef_SLOT(Seq_init, HPy_tp_init)
static int Seq_init_impl(HPyContext *ctx, HPy self, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    static const char *kwlist[] = { "n", "offset", NULL };
    SeqObject *s = SeqObject_AsStruct(ctx, self);
    HPy_ssize_t n = 0;
    long offset = 0;
    if (!HPyArg_ParseKeywordsDict(ctx, NULL, args, nargs, kw, "n|l:Seq", kwlist, &n, &offset))
        return -1;
    if (n < 0) {
        HPyErr_SetString(ctx, ctx->h_ValueError, "n must not be negative");
        return -1;
    }
    s->n = n;
    s->offset = offset;
    return 0;
}

HPyDef_SLOT(Seq_len, HPy_sq_length)
static HPy_ssize_t Seq_len_impl(HPyContext *ctx, HPy self)
{
    return SeqObject_AsStruct(ctx, self)->n;
}

HPyDef_SLOT(Seq_item, HPy_sq_item)
static HPy Seq_item_impl(HPyContext *ctx, HPy self, HPy_ssize_t i)
{
    SeqObject *s = SeqObject_AsStruct(ctx, self);
    if (i < 0 || i >= s->n) {
        HPyErr_SetString(ctx, ctx->h_IndexError, "Seq index out of range");
        return HPy_NULL;
    }
    return HPyLong_FromLong(ctx, (long)(i * i) + s->offset);
}

HPyDef_SLOT(Seq_contains, HPy_sq_contains)
static int Seq_contains_impl(HPyContext *ctx, HPy self, HPy value)
{
    SeqObject *s = SeqObject_AsStruct(ctx, self);
    long v = HPyLong_AsLong(ctx, value);
    if (v == -1 && HPyErr_Occurred(ctx)) {
        HPyErr_Clear(ctx);
        return 0;
    }
    for (HPy_ssize_t i = 0; i < s->n; i++)
        if ((long)(i * i) + s->offset == v)
            return 1;
    return 0;
}

static HPyDef *Seq_defines[] = { &Seq_init, &Seq_len, &Seq_item, &Seq_contains, NULL };

static HPyType_Spec Seq_spec = {
    .name = "cx_types.Seq",
    .basicsize = sizeof(SeqObject),
    .flags = HPy_TPFLAGS_DEFAULT,
    .defines = Seq_defines,
};

/* ---- Plain: made by HPyType_GenericNew, a zeroed struct ---- */

typedef struct {
    int count;
    char flag;
} PlainObject;
HPyType_HELPERS(PlainObject)

HPyDef_SLOT_IMPL(Plain_new, HPyType_GenericNew, HPy_tp_new)
HPyDef_MEMBER(Plain_count, "count", HPyMember_INT, offsetof(PlainObject, count))
HPyDef_MEMBER(Plain_flag, "flag", HPyMember_BOOL, offsetof(PlainObject, flag))

static HPyDef *Plain_defines[] = { &Plain_new, &Plain_count, &Plain_flag, NULL };

static HPyType_Spec Plain_spec = {
    .name = "cx_types.Plain",
    .basicsize = sizeof(PlainObject),
    .flags = HPy_TPFLAGS_DEFAULT,
    .defines = Plain_defines,
};

/* ---- Members: one writable member of every field type ---- */

typedef struct {
    short s; int i; long l; float f; double d; const char *str; HPyField obj; char c;
    signed char b; unsigned char ub; unsigned int ui; unsigned short us; unsigned long ul;
    char inplace[8]; bool flag; HPyField obj_ex; long long ll; unsigned long long ull; HPy_ssize_t n;
} MembersObject;
HPyType_HELPERS(MembersObject)

#define MEMBER(field, kind) \
    HPyDef_MEMBER(Members_##field, #field, HPyMember_##kind, offsetof(MembersObject, field))
MEMBER(s, SHORT) MEMBER(i, INT) MEMBER(l, LONG) MEMBER(f, FLOAT) MEMBER(d, DOUBLE)
MEMBER(str, STRING) MEMBER(obj, OBJECT) MEMBER(c, CHAR) MEMBER(b, BYTE) MEMBER(ub, UBYTE)
MEMBER(ui, UINT) MEMBER(us, USHORT) MEMBER(ul, ULONG) MEMBER(inplace, STRING_INPLACE)
MEMBER(flag, BOOL) MEMBER(obj_ex, OBJECT_EX) MEMBER(ll, LONGLONG) MEMBER(ull, ULONGLONG)
MEMBER(n, HPYSSIZET)
HPyDef_MEMBER(Members_nothing, "nothing", HPyMember_NONE, offsetof(MembersObject, i))
HPyDef_MEMBER(Members_frozen, "frozen", HPyMember_INT, offsetof(MembersObject, i), .readonly = 1,
              .doc = "i, read-only")

HPyDef_SLOT(Members_new, HPy_tp_new)
static HPy Members_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    MembersObject *m;
    HPy h = HPy_New(ctx, cls, &m);
    if (HPy_IsNull(h))
        return HPy_NULL;
    m->str = "static text";
    m->c = 'A';
    memcpy(m->inplace, "inline", 7);
    return h;
}

HPyDef_SLOT(Members_traverse, HPy_tp_traverse)
static int Members_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    HPy_VISIT(&((MembersObject *)self)->obj);
    HPy_VISIT(&((MembersObject *)self)->obj_ex);
    return 0;
}

static HPyDef *Members_defines[] = {
    &Members_s, &Members_i, &Members_l, &Members_f, &Members_d, &Members_str, &Members_obj,
    &Members_c, &Members_b, &Members_ub, &Members_ui, &Members_us, &Members_ul, &Members_inplace,
    &Members_flag, &Members_obj_ex, &Members_ll, &Members_ull, &Members_n, &Members_nothing,
    &Members_frozen, &Members_new, &Members_traverse, NULL
};

static HPyType_Spec Members_spec = {
    .name = "cx_types.Members",
    .basicsize = sizeof(MembersObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC,
    .defines = Members_defines,
};

/* ---- builtin bases: a C long "mark" next to an int/float/str/tuple/list ---- */

typedef struct { long mark; } MarkObject;

#define MARKED_TYPE(NAME, SHAPE, ASSTRUCT)                                       \
    HPyDef_METH(NAME##_set_mark, "set_mark", HPyFunc_O)                          \
    static HPy NAME##_set_mark_impl(HPyContext *ctx, HPy self, HPy v)            \
    {                                                                            \
        long m = HPyLong_AsLong(ctx, v);                                         \
        if (m == -1 && HPyErr_Occurred(ctx))                                     \
            return HPy_NULL;                                                     \
        ((MarkObject *)ASSTRUCT(ctx, self))->mark = m;                           \
        return HPy_Dup(ctx, ctx->h_None);                                        \
    }                                                                            \
    HPyDef_METH(NAME##_get_mark, "get_mark", HPyFunc_NOARGS)                     \
    static HPy NAME##_get_mark_impl(HPyContext *ctx, HPy self)                   \
    {                                                                            \
        return HPyLong_FromLong(ctx, ((MarkObject *)ASSTRUCT(ctx, self))->mark); \
    }                                                                            \
    static HPyDef *NAME##_defines[] = { &NAME##_set_mark, &NAME##_get_mark, NULL }; \
    static HPyType_Spec NAME##_spec = {                                          \
        .name = "cx_types." #NAME,                                               \
        .basicsize = sizeof(MarkObject),                                         \
        .flags = HPy_TPFLAGS_DEFAULT,                                            \
        .builtin_shape = SHAPE,                                                  \
        .defines = NAME##_defines,                                               \
    };

MARKED_TYPE(MarkedInt, HPyType_BuiltinShape_Long, _HPy_AsStruct_Long)
MARKED_TYPE(MarkedFloat, HPyType_BuiltinShape_Float, _HPy_AsStruct_Float)
MARKED_TYPE(MarkedStr, HPyType_BuiltinShape_Unicode, _HPy_AsStruct_Unicode)
MARKED_TYPE(MarkedTuple, HPyType_BuiltinShape_Tuple, _HPy_AsStruct_Tuple)
MARKED_TYPE(MarkedList, HPyType_BuiltinShape_List, _HPy_AsStruct_List)

/* ---- Tagged: an int (always 0: HPy_New makes the builtin part empty) with
 * a tag, made by its own tp_new ---- */

typedef struct { long tag; } TaggedObject;
HPyType_HELPERS(TaggedObject, HPyType_BuiltinShape_Long)

/* Tagged(tag=0). HPy 0.9 has no way to pass a value on to int's own
 * tp_new (CPython refuses int.__new__(cls) from a C tp_new as unsafe). */
HPyDef_SLOT(Tagged_new, HPy_tp_new)
static HPy Tagged_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    static const char *kwlist[] = { "tag", NULL };
    long tag = 0;
    if (!HPyArg_ParseKeywordsDict(ctx, NULL, args, nargs, kw, "|l:Tagged", kwlist, &tag))
        return HPy_NULL;
    TaggedObject *t;
    HPy h = HPy_New(ctx, cls, &t);
    if (HPy_IsNull(h))
        return HPy_NULL;
    t->tag = tag;
    return h;
}

HPyDef_GET(Tagged_tag, "tag")
static HPy Tagged_tag_get(HPyContext *ctx, HPy self, void *closure)
{
    return HPyLong_FromLong(ctx, TaggedObject_AsStruct(ctx, self)->tag);
}

static HPyDef *Tagged_defines[] = { &Tagged_new, &Tagged_tag, NULL };

static HPyType_Spec Tagged_spec = {
    .name = "cx_types.Tagged",
    .basicsize = sizeof(TaggedObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
    .builtin_shape = HPyType_BuiltinShape_Long,
    .defines = Tagged_defines,
};

/* ---- Meta: a metaclass whose instances (classes) carry a counter ---- */

typedef struct { long made; } MetaObject;

HPyDef_METH(Meta_bump, "bump", HPyFunc_NOARGS, .doc = "counts calls on this class")
static HPy Meta_bump_impl(HPyContext *ctx, HPy cls)
{
    MetaObject *m = (MetaObject *)_HPy_AsStruct_Type(ctx, cls);
    if (m == NULL)
        return HPy_NULL;
    return HPyLong_FromLong(ctx, ++m->made);
}

static HPyDef *Meta_defines[] = { &Meta_bump, NULL };

static HPyType_Spec Meta_spec = {
    .name = "cx_types.Meta",
    .basicsize = sizeof(MetaObject),
    .flags = HPy_TPFLAGS_DEFAULT,
    .builtin_shape = HPyType_BuiltinShape_Type,
    .defines = Meta_defines,
};

static HPyType_Spec WithMeta_spec = {
    .name = "cx_types.WithMeta",
    .flags = HPy_TPFLAGS_DEFAULT,
};

/* ---- Caller: HPy_tp_call, replaced per object by HPy_SetCallFunction ---- */

typedef struct { long factor; } CallerObject;
HPyType_HELPERS(CallerObject)

/* The sum of the positional arguments times the factor; a keyword
 * "offset" is added to it. */
static HPy caller_sum(HPyContext *ctx, HPy callable, const HPy *args, size_t nargs, HPy kwnames, long sign)
{
    long total = 0;
    for (size_t i = 0; i < nargs; i++) {
        long v = HPyLong_AsLong(ctx, args[i]);
        if (v == -1 && HPyErr_Occurred(ctx))
            return HPy_NULL;
        total += v;
    }
    total *= CallerObject_AsStruct(ctx, callable)->factor * sign;
    HPy_ssize_t nkw = HPy_IsNull(kwnames) ? 0 : HPy_Length(ctx, kwnames);
    for (HPy_ssize_t i = 0; i < nkw; i++) {
        long v = HPyLong_AsLong(ctx, args[nargs + i]);
        if (v == -1 && HPyErr_Occurred(ctx))
            return HPy_NULL;
        total += v;
    }
    return HPyLong_FromLong(ctx, total);
}

HPyDef_SLOT(Caller_call, HPy_tp_call)
static HPy Caller_call_impl(HPyContext *ctx, HPy callable, const HPy *args, size_t nargs, HPy kwnames)
{
    return caller_sum(ctx, callable, args, nargs, kwnames, 1);
}

HPyDef_CALL_FUNCTION(Caller_negated)
static HPy Caller_negated_impl(HPyContext *ctx, HPy callable, const HPy *args, size_t nargs, HPy kwnames)
{
    return caller_sum(ctx, callable, args, nargs, kwnames, -1);
}

/* Caller(factor): a negative factor selects the negated call function. */
HPyDef_SLOT(Caller_new, HPy_tp_new)
static HPy Caller_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    long factor = 1;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "|l:Caller", &factor))
        return HPy_NULL;
    CallerObject *c;
    HPy h = HPy_New(ctx, cls, &c);
    if (HPy_IsNull(h))
        return HPy_NULL;
    c->factor = factor < 0 ? -factor : factor;
    if (factor < 0 && HPy_SetCallFunction(ctx, h, &Caller_negated) < 0) {
        HPy_Close(ctx, h);
        return HPy_NULL;
    }
    return h;
}

static HPyDef *Caller_defines[] = { &Caller_call, &Caller_new, NULL };

static HPyType_Spec Caller_spec = {
    .name = "cx_types.Caller",
    .basicsize = sizeof(CallerObject),
    .flags = HPy_TPFLAGS_DEFAULT,
    .defines = Caller_defines,
};

/* ---- Greeter: the call function at an explicit __vectorcalloffset__ ---- */

typedef struct {
    long count;
    HPyCallFunction call_func;
} GreeterObject;
HPyType_HELPERS(GreeterObject)

HPyDef_MEMBER(Greeter_vcall_offset, "__vectorcalloffset__", HPyMember_HPYSSIZET,
              offsetof(GreeterObject, call_func), .readonly = 1)

/* greeter(name): "hello <name> #<n>", n counting the calls */
HPyDef_CALL_FUNCTION(Greeter_greet)
static HPy Greeter_greet_impl(HPyContext *ctx, HPy callable, const HPy *args, size_t nargs, HPy kwnames)
{
    if (nargs != 1 || !HPy_IsNull(kwnames)) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "a Greeter takes one name");
        return HPy_NULL;
    }
    GreeterObject *g = GreeterObject_AsStruct(ctx, callable);
    HPy s = HPy_Str(ctx, args[0]);
    if (HPy_IsNull(s))
        return HPy_NULL;
    HPy r = HPyUnicode_FromFormat(ctx, "hello %S #%ld", s, ++g->count);
    HPy_Close(ctx, s);
    return r;
}

HPyDef_SLOT(Greeter_new, HPy_tp_new)
static HPy Greeter_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    GreeterObject *g;
    HPy h = HPy_New(ctx, cls, &g);
    if (HPy_IsNull(h))
        return HPy_NULL;
    g->call_func = Greeter_greet;
    return h;
}

static HPyDef *Greeter_defines[] = { &Greeter_vcall_offset, &Greeter_new, NULL };

static HPyType_Spec Greeter_spec = {
    .name = "cx_types.Greeter",
    .basicsize = sizeof(GreeterObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_VECTORCALL,
    .defines = Greeter_defines,
};

/* negate_calls(obj): HPy_SetCallFunction on an existing object */
HPyDef_METH(negate_calls, "negate_calls", HPyFunc_O)
static HPy negate_calls_impl(HPyContext *ctx, HPy self, HPy obj)
{
    if (HPy_SetCallFunction(ctx, obj, &Caller_negated) < 0)
        return HPy_NULL;
    return HPy_Dup(ctx, ctx->h_None);
}

/* ---- module functions ---- */

HPyDef_METH(destroyed, "destroyed", HPyFunc_NOARGS)
static HPy destroyed_impl(HPyContext *ctx, HPy self)
{
    HPy items[2] = { HPyLong_FromLong(ctx, points_destroyed), HPyLong_FromLong(ctx, capsules_destroyed) };
    HPy result = HPyTuple_FromArray(ctx, items, 2);
    HPy_Close(ctx, items[0]);
    HPy_Close(ctx, items[1]);
    return result;
}

/* shape(type): _HPyType_GetBuiltinShape */
HPyDef_METH(shape, "shape", HPyFunc_O)
static HPy shape_impl(HPyContext *ctx, HPy self, HPy type)
{
    HPyType_BuiltinShape s = _HPyType_GetBuiltinShape(ctx, type);
    if (s == (HPyType_BuiltinShape)-2)
        return HPy_NULL;
    return HPyLong_FromLong(ctx, s);
}

/* generic_new(type): HPyType_GenericNew called directly */
HPyDef_METH(generic_new, "generic_new", HPyFunc_O)
static HPy generic_new_impl(HPyContext *ctx, HPy self, HPy type)
{
    return HPyType_GenericNew(ctx, type, NULL, 0, HPy_NULL);
}

/* point_x(obj): the x of a Point through HPy_AsStruct_Object */
HPyDef_METH(point_x, "point_x", HPyFunc_O)
static HPy point_x_impl(HPyContext *ctx, HPy self, HPy obj)
{
    PointObject *p = (PointObject *)_HPy_AsStruct_Object(ctx, obj);
    if (p == NULL)
        return HPy_NULL;
    return HPyLong_FromLong(ctx, p->x);
}

/* remember(obj) / recall(): a module global (HPyGlobal) */
static HPyGlobal remembered;

HPyDef_METH(remember, "remember", HPyFunc_O)
static HPy remember_impl(HPyContext *ctx, HPy self, HPy obj)
{
    HPy previous = HPyGlobal_Load(ctx, remembered);
    HPyGlobal_Store(ctx, &remembered, obj);
    return previous;
}

HPyDef_METH(recall, "recall", HPyFunc_NOARGS)
static HPy recall_impl(HPyContext *ctx, HPy self)
{
    return HPyGlobal_Load(ctx, remembered);
}

/* capsules: a malloc'd long, freed by the destructor */
HPyCapsule_DESTRUCTOR(free_long)
static void free_long_impl(const char *name, void *pointer, void *context)
{
    free(pointer);
    capsules_destroyed++;
}

static const char *capsule_names[] = { "cx_types.first", "cx_types.second", NULL };

static const char *known_name(const char *name)
{
    for (int i = 0; capsule_names[i]; i++)
        if (strcmp(capsule_names[i], name) == 0)
            return capsule_names[i];
    return NULL;
}

/* capsule(value, name): a capsule holding a copy of value; name must be one
 * of capsule_names, which live as long as the process */
HPyDef_METH(capsule, "capsule", HPyFunc_VARARGS)
static HPy capsule_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    long value;
    const char *name;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "ls:capsule", &value, &name))
        return HPy_NULL;
    const char *kept = known_name(name);
    if (kept == NULL) {
        HPyErr_SetString(ctx, ctx->h_ValueError, "unknown capsule name");
        return HPy_NULL;
    }
    long *p = malloc(sizeof(long));
    if (p == NULL) {
        HPyErr_NoMemory(ctx);
        return HPy_NULL;
    }
    *p = value;
    HPy c = HPyCapsule_New(ctx, p, kept, &free_long);
    if (HPy_IsNull(c))
        free(p);
    return c;
}

/* capsule_value(c, name): the long behind the pointer, if name matches */
HPyDef_METH(capsule_value, "capsule_value", HPyFunc_VARARGS)
static HPy capsule_value_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy c;
    const char *name;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "Os:capsule_value", &c, &name))
        return HPy_NULL;
    long *p = HPyCapsule_GetPointer(ctx, c, name);
    if (p == NULL)
        return HPy_NULL;
    return HPyLong_FromLong(ctx, *p);
}

/* capsule_valid(c, name) */
HPyDef_METH(capsule_valid, "capsule_valid", HPyFunc_VARARGS)
static HPy capsule_valid_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy c;
    const char *name;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "Os:capsule_valid", &c, &name))
        return HPy_NULL;
    return HPyBool_FromLong(ctx, HPyCapsule_IsValid(ctx, c, name));
}

/* capsule_rename(c, name): HPyCapsule_SetName, returns HPyCapsule_GetName */
HPyDef_METH(capsule_rename, "capsule_rename", HPyFunc_VARARGS)
static HPy capsule_rename_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy c;
    const char *name;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "Os:capsule_rename", &c, &name))
        return HPy_NULL;
    const char *kept = known_name(name);
    if (kept == NULL) {
        HPyErr_SetString(ctx, ctx->h_ValueError, "unknown capsule name");
        return HPy_NULL;
    }
    if (HPyCapsule_SetName(ctx, c, kept) < 0)
        return HPy_NULL;
    const char *now = HPyCapsule_GetName(ctx, c);
    if (now == NULL && HPyErr_Occurred(ctx))
        return HPy_NULL;
    return HPyUnicode_FromString(ctx, now);
}

/* capsule_context(c, n): stores n in the context pointer, reads it back */
HPyDef_METH(capsule_context, "capsule_context", HPyFunc_VARARGS)
static HPy capsule_context_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy c;
    HPy_ssize_t n;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "On:capsule_context", &c, &n))
        return HPy_NULL;
    if (HPyCapsule_SetContext(ctx, c, (void *)n) < 0)
        return HPy_NULL;
    void *back = HPyCapsule_GetContext(ctx, c);
    if (back == NULL && HPyErr_Occurred(ctx))
        return HPy_NULL;
    return HPyLong_FromSsize_t(ctx, (HPy_ssize_t)back);
}

/* capsule_replace(c, value): a new malloc'd long as the pointer; the old
 * one is freed here, the new one by the destructor */
HPyDef_METH(capsule_replace, "capsule_replace", HPyFunc_VARARGS)
static HPy capsule_replace_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy c;
    long value;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "Ol:capsule_replace", &c, &value))
        return HPy_NULL;
    const char *name = HPyCapsule_GetName(ctx, c);
    if (name == NULL && HPyErr_Occurred(ctx))
        return HPy_NULL;
    long *old = HPyCapsule_GetPointer(ctx, c, name);
    if (old == NULL)
        return HPy_NULL;
    long *p = malloc(sizeof(long));
    if (p == NULL) {
        HPyErr_NoMemory(ctx);
        return HPy_NULL;
    }
    *p = value;
    if (HPyCapsule_SetPointer(ctx, c, p) < 0) {
        free(p);
        return HPy_NULL;
    }
    free(old);
    return HPy_Dup(ctx, ctx->h_None);
}

/* capsule_keep(c): drops the destructor (the script then frees nothing:
 * the long leaks on purpose, and the destroyed count does not move) */
HPyDef_METH(capsule_keep, "capsule_keep", HPyFunc_O)
static HPy capsule_keep_impl(HPyContext *ctx, HPy self, HPy c)
{
    if (HPyCapsule_SetDestructor(ctx, c, NULL) < 0)
        return HPy_NULL;
    return HPy_Dup(ctx, ctx->h_None);
}

/* ---- module init: add the types ---- */

HPyDef_SLOT(exec, HPy_mod_exec)
static int exec_impl(HPyContext *ctx, HPy module)
{
    /* A global that was never stored is empty; recall() gives None instead. */
    HPyGlobal_Store(ctx, &remembered, ctx->h_None);
    if (!HPyHelpers_AddType(ctx, module, "Point", &Point_spec, NULL) ||
        !HPyHelpers_AddType(ctx, module, "Seq", &Seq_spec, NULL) ||
        !HPyHelpers_AddType(ctx, module, "Plain", &Plain_spec, NULL) ||
        !HPyHelpers_AddType(ctx, module, "Members", &Members_spec, NULL) ||
        !HPyHelpers_AddType(ctx, module, "Caller", &Caller_spec, NULL) ||
        !HPyHelpers_AddType(ctx, module, "Greeter", &Greeter_spec, NULL))
        return -1;
    struct { const char *name; HPyType_Spec *spec; HPy base; } marked[] = {
        { "MarkedInt", &MarkedInt_spec, ctx->h_LongType },
        { "MarkedFloat", &MarkedFloat_spec, ctx->h_FloatType },
        { "MarkedStr", &MarkedStr_spec, ctx->h_UnicodeType },
        { "MarkedTuple", &MarkedTuple_spec, ctx->h_TupleType },
        { "MarkedList", &MarkedList_spec, ctx->h_ListType },
        { "Meta", &Meta_spec, ctx->h_TypeType },
        { "Tagged", &Tagged_spec, ctx->h_LongType },
    };
    for (size_t i = 0; i < sizeof(marked) / sizeof(marked[0]); i++) {
        HPyType_SpecParam params[] = { { HPyType_SpecParam_Base, marked[i].base }, { 0 } };
        if (!HPyHelpers_AddType(ctx, module, marked[i].name, marked[i].spec, params))
            return -1;
    }
    HPy meta = HPy_GetAttr_s(ctx, module, "Meta");
    if (HPy_IsNull(meta))
        return -1;
    HPyType_SpecParam params[] = { { HPyType_SpecParam_Metaclass, meta }, { 0 } };
    int ok = HPyHelpers_AddType(ctx, module, "WithMeta", &WithMeta_spec, params);
    HPy_Close(ctx, meta);
    return ok ? 0 : -1;
}

static HPyDef *module_defines[] = {
    &exec, &destroyed, &shape, &generic_new, &point_x, &remember, &recall, &negate_calls,
    &capsule, &capsule_value, &capsule_valid, &capsule_rename, &capsule_context,
    &capsule_replace, &capsule_keep,
    NULL
};

static HPyGlobal *module_globals[] = { &remembered, NULL };

static HPyModuleDef moduledef = {
    .doc = "Cross-host corpus: types, fields, globals, capsules.",
    .size = 0,
    .defines = module_defines,
    .globals = module_globals,
};

HPy_MODINIT(cx_types, moduledef)
