/* cx_protocols: the buffer protocol (HPy_bf_getbuffer/bf_releasebuffer, one-
 * and two-dimensional), the sequence slots for repetition and item
 * assignment, HPy_tp_finalize, the number slots, the mapping slots, and
 * methods and getsets of every kind on types. */
#include "hpy.h"
#include <string.h>

/* HPy 0.9 passes CPython's buffer request flags on but names none of them;
 * this is PyBUF_WRITABLE. */
#define CX_BUF_WRITABLE 0x0001

/* How many Finalized objects were finalized, read by the script. */
static long finalized;

/* ---- Buf: 8 writable bytes, counting its exports ---- */

typedef struct {
    char data[8];
    HPy_ssize_t shape[1];
    long exports;
} BufObject;
HPyType_HELPERS(BufObject)

HPyDef_SLOT(Buf_new, HPy_tp_new)
static HPy Buf_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    int fill = 0;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "|i:Buf", &fill))
        return HPy_NULL;
    BufObject *b;
    HPy h = HPy_New(ctx, cls, &b);
    if (HPy_IsNull(h))
        return HPy_NULL;
    memset(b->data, fill, sizeof(b->data));
    b->shape[0] = sizeof(b->data);
    return h;
}

HPyDef_SLOT(Buf_getbuffer, HPy_bf_getbuffer)
static int Buf_getbuffer_impl(HPyContext *ctx, HPy self, HPy_buffer *view, int flags)
{
    BufObject *b = BufObject_AsStruct(ctx, self);
    view->buf = b->data;
    view->obj = HPy_Dup(ctx, self);
    view->len = sizeof(b->data);
    view->itemsize = 1;
    view->readonly = 0;
    view->ndim = 1;
    view->format = "B";
    view->shape = b->shape;
    view->strides = NULL;
    view->suboffsets = NULL;
    view->internal = NULL;
    b->exports++;
    return 0;
}

HPyDef_SLOT(Buf_releasebuffer, HPy_bf_releasebuffer)
static void Buf_releasebuffer_impl(HPyContext *ctx, HPy self, HPy_buffer *view)
{
    BufObject_AsStruct(ctx, self)->exports--;
}

HPyDef_GET(Buf_exports, "exports", .doc = "buffers exported and not yet released")
static HPy Buf_exports_get(HPyContext *ctx, HPy self, void *closure)
{
    return HPyLong_FromLong(ctx, BufObject_AsStruct(ctx, self)->exports);
}

HPyDef_METH(Buf_sum, "sum", HPyFunc_NOARGS, .doc = "the sum of the bytes, read in C")
static HPy Buf_sum_impl(HPyContext *ctx, HPy self)
{
    BufObject *b = BufObject_AsStruct(ctx, self);
    long total = 0;
    for (size_t i = 0; i < sizeof(b->data); i++)
        total += (unsigned char)b->data[i];
    return HPyLong_FromLong(ctx, total);
}

static HPyDef *Buf_defines[] = { &Buf_new, &Buf_getbuffer, &Buf_releasebuffer, &Buf_exports, &Buf_sum, NULL };

static HPyType_Spec Buf_spec = {
    .name = "cx_protocols.Buf",
    .basicsize = sizeof(BufObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
    .defines = Buf_defines,
};

/* ---- Grid: a read-only 2 x 3 array of C ints ---- */

typedef struct {
    int cells[2][3];
    HPy_ssize_t shape[2];
    HPy_ssize_t strides[2];
} GridObject;
HPyType_HELPERS(GridObject)

HPyDef_SLOT(Grid_new, HPy_tp_new)
static HPy Grid_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    GridObject *g;
    HPy h = HPy_New(ctx, cls, &g);
    if (HPy_IsNull(h))
        return HPy_NULL;
    for (int r = 0; r < 2; r++)
        for (int c = 0; c < 3; c++)
            g->cells[r][c] = 10 * r + c - 3;
    g->shape[0] = 2;
    g->shape[1] = 3;
    g->strides[0] = sizeof(g->cells[0]);
    g->strides[1] = sizeof(int);
    return h;
}

HPyDef_SLOT(Grid_getbuffer, HPy_bf_getbuffer)
static int Grid_getbuffer_impl(HPyContext *ctx, HPy self, HPy_buffer *view, int flags)
{
    GridObject *g = GridObject_AsStruct(ctx, self);
    if (flags & CX_BUF_WRITABLE) {
        HPyErr_SetString(ctx, ctx->h_BufferError, "Grid is read-only");
        return -1;
    }
    view->buf = g->cells;
    view->obj = HPy_Dup(ctx, self);
    view->len = sizeof(g->cells);
    view->itemsize = sizeof(int);
    view->readonly = 1;
    view->ndim = 2;
    view->format = "i";
    view->shape = g->shape;
    view->strides = g->strides;
    view->suboffsets = NULL;
    view->internal = NULL;
    return 0;
}

static HPyDef *Grid_defines[] = { &Grid_new, &Grid_getbuffer, NULL };

static HPyType_Spec Grid_spec = {
    .name = "cx_protocols.Grid",
    .basicsize = sizeof(GridObject),
    .flags = HPy_TPFLAGS_DEFAULT,
    .defines = Grid_defines,
};

/* ---- Row: up to 8 longs, with repetition and item assignment ---- */

typedef struct {
    HPy_ssize_t n;
    long items[8];
} RowObject;
HPyType_HELPERS(RowObject)

static HPy new_row(HPyContext *ctx, HPy type_of, RowObject **out)
{
    HPy type = HPy_Type(ctx, type_of);
    HPy h = HPy_New(ctx, type, out);
    HPy_Close(ctx, type);
    return h;
}

HPyDef_SLOT(Row_new, HPy_tp_new)
static HPy Row_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    if (nargs > 8) {
        HPyErr_SetString(ctx, ctx->h_ValueError, "a Row holds at most 8 items");
        return HPy_NULL;
    }
    RowObject *r;
    HPy h = HPy_New(ctx, cls, &r);
    if (HPy_IsNull(h))
        return HPy_NULL;
    for (HPy_ssize_t i = 0; i < nargs; i++) {
        r->items[i] = HPyLong_AsLong(ctx, args[i]);
        if (r->items[i] == -1 && HPyErr_Occurred(ctx)) {
            HPy_Close(ctx, h);
            return HPy_NULL;
        }
    }
    r->n = nargs;
    return h;
}

HPyDef_SLOT(Row_len, HPy_sq_length)
static HPy_ssize_t Row_len_impl(HPyContext *ctx, HPy self)
{
    return RowObject_AsStruct(ctx, self)->n;
}

HPyDef_SLOT(Row_item, HPy_sq_item)
static HPy Row_item_impl(HPyContext *ctx, HPy self, HPy_ssize_t i)
{
    RowObject *r = RowObject_AsStruct(ctx, self);
    if (i < 0 || i >= r->n) {
        HPyErr_SetString(ctx, ctx->h_IndexError, "Row index out of range");
        return HPy_NULL;
    }
    return HPyLong_FromLong(ctx, r->items[i]);
}

/* row[i] = v sets, del row[i] removes (value NULL) */
HPyDef_SLOT(Row_ass_item, HPy_sq_ass_item)
static int Row_ass_item_impl(HPyContext *ctx, HPy self, HPy_ssize_t i, HPy value)
{
    RowObject *r = RowObject_AsStruct(ctx, self);
    if (i < 0 || i >= r->n) {
        HPyErr_SetString(ctx, ctx->h_IndexError, "Row assignment index out of range");
        return -1;
    }
    if (HPy_IsNull(value)) {
        memmove(&r->items[i], &r->items[i + 1], (r->n - i - 1) * sizeof(long));
        r->n--;
        return 0;
    }
    long v = HPyLong_AsLong(ctx, value);
    if (v == -1 && HPyErr_Occurred(ctx))
        return -1;
    r->items[i] = v;
    return 0;
}

/* Repeats r's items k times into dst (at most 8 items). */
static int repeat_into(HPyContext *ctx, RowObject *dst, const RowObject *r, HPy_ssize_t k)
{
    if (k < 0)
        k = 0;
    if (r->n * k > 8) {
        HPyErr_SetString(ctx, ctx->h_OverflowError, "a Row holds at most 8 items");
        return -1;
    }
    long items[8];
    memcpy(items, r->items, sizeof(items));
    for (HPy_ssize_t j = 0; j < k; j++)
        memcpy(&dst->items[j * r->n], items, r->n * sizeof(long));
    dst->n = r->n * k;
    return 0;
}

HPyDef_SLOT(Row_repeat, HPy_sq_repeat)
static HPy Row_repeat_impl(HPyContext *ctx, HPy self, HPy_ssize_t k)
{
    RowObject *r = RowObject_AsStruct(ctx, self), *out;
    HPy h = new_row(ctx, self, &out);
    if (HPy_IsNull(h))
        return HPy_NULL;
    if (repeat_into(ctx, out, r, k) < 0) {
        HPy_Close(ctx, h);
        return HPy_NULL;
    }
    return h;
}

HPyDef_SLOT(Row_inplace_repeat, HPy_sq_inplace_repeat)
static HPy Row_inplace_repeat_impl(HPyContext *ctx, HPy self, HPy_ssize_t k)
{
    RowObject *r = RowObject_AsStruct(ctx, self);
    if (repeat_into(ctx, r, r, k) < 0)
        return HPy_NULL;
    return HPy_Dup(ctx, self);
}

static HPyDef *Row_defines[] = {
    &Row_new, &Row_len, &Row_item, &Row_ass_item, &Row_repeat, &Row_inplace_repeat, NULL
};

static HPyType_Spec Row_spec = {
    .name = "cx_protocols.Row",
    .basicsize = sizeof(RowObject),
    .flags = HPy_TPFLAGS_DEFAULT,
    .defines = Row_defines,
};

/* ---- Finalized: HPy_tp_finalize calls a callback kept in a field ---- */

typedef struct { HPyField callback; } FinalizedObject;
HPyType_HELPERS(FinalizedObject)

HPyDef_SLOT(Finalized_new, HPy_tp_new)
static HPy Finalized_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    HPy callback;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "O:Finalized", &callback))
        return HPy_NULL;
    FinalizedObject *f;
    HPy h = HPy_New(ctx, cls, &f);
    if (HPy_IsNull(h))
        return HPy_NULL;
    HPyField_Store(ctx, h, &f->callback, callback);
    return h;
}

HPyDef_SLOT(Finalized_traverse, HPy_tp_traverse)
static int Finalized_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    HPy_VISIT(&((FinalizedObject *)self)->callback);
    return 0;
}

/* Calls callback(self) once, as the object is about to go away. */
HPyDef_SLOT(Finalized_finalize, HPy_tp_finalize)
static void Finalized_finalize_impl(HPyContext *ctx, HPy self)
{
    FinalizedObject *f = FinalizedObject_AsStruct(ctx, self);
    finalized++;
    if (HPyField_IsNull(f->callback))
        return;
    HPy callback = HPyField_Load(ctx, self, f->callback);
    HPy r = HPy_Call(ctx, callback, &self, 1, HPy_NULL);
    if (HPy_IsNull(r))
        HPyErr_WriteUnraisable(ctx, callback);
    HPy_Close(ctx, r);
    HPy_Close(ctx, callback);
}

static HPyDef *Finalized_defines[] = { &Finalized_new, &Finalized_traverse, &Finalized_finalize, NULL };

static HPyType_Spec Finalized_spec = {
    .name = "cx_protocols.Finalized",
    .basicsize = sizeof(FinalizedObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC,
    .defines = Finalized_defines,
};

/* ---- Vec: a 2-D vector of doubles, through the number slots ---- */

typedef struct { double x, y; } VecObject;
HPyType_HELPERS(VecObject)

static HPy new_vec(HPyContext *ctx, HPy like, double x, double y)
{
    VecObject *v;
    HPy type = HPy_Type(ctx, like);
    HPy h = HPy_New(ctx, type, &v);
    HPy_Close(ctx, type);
    if (!HPy_IsNull(h)) {
        v->x = x;
        v->y = y;
    }
    return h;
}

/* The Vec type, set by the module's exec: number slots get either operand
 * first and must tell which one is the Vec. */
static HPyGlobal vec_type;

/* The vector behind o when o is a Vec, else NULL. */
static VecObject *vec_of(HPyContext *ctx, HPy o)
{
    HPy type = HPyGlobal_Load(ctx, vec_type);
    int ok = HPy_TypeCheck(ctx, o, type);
    HPy_Close(ctx, type);
    return ok ? VecObject_AsStruct(ctx, o) : NULL;
}

HPyDef_SLOT(Vec_new, HPy_tp_new)
static HPy Vec_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    static const char *kwlist[] = { "x", "y", NULL };
    double x = 0, y = 0;
    if (!HPyArg_ParseKeywordsDict(ctx, NULL, args, nargs, kw, "|dd:Vec", kwlist, &x, &y))
        return HPy_NULL;
    VecObject *v;
    HPy h = HPy_New(ctx, cls, &v);
    if (!HPy_IsNull(h)) {
        v->x = x;
        v->y = y;
    }
    return h;
}

HPyDef_SLOT(Vec_sub, HPy_nb_subtract)
static HPy Vec_sub_impl(HPyContext *ctx, HPy a, HPy b)
{
    VecObject *p = vec_of(ctx, a), *q = vec_of(ctx, b);
    if (p == NULL || q == NULL)
        return HPy_Dup(ctx, ctx->h_NotImplemented);
    return new_vec(ctx, a, p->x - q->x, p->y - q->y);
}

/* Vec * Vec is the dot product; anything else is NotImplemented. */
HPyDef_SLOT(Vec_mul, HPy_nb_multiply)
static HPy Vec_mul_impl(HPyContext *ctx, HPy a, HPy b)
{
    /* Either operand may be the Vec: the slot also serves the reflected call. */
    VecObject *p = vec_of(ctx, a), *q = vec_of(ctx, b);
    if (p == NULL || q == NULL)
        return HPy_Dup(ctx, ctx->h_NotImplemented);
    return HPyFloat_FromDouble(ctx, p->x * q->x + p->y * q->y);
}

HPyDef_SLOT(Vec_neg, HPy_nb_negative)
static HPy Vec_neg_impl(HPyContext *ctx, HPy a)
{
    VecObject *p = VecObject_AsStruct(ctx, a);
    return new_vec(ctx, a, -p->x, -p->y);
}

HPyDef_SLOT(Vec_abs, HPy_nb_absolute)
static HPy Vec_abs_impl(HPyContext *ctx, HPy a)
{
    VecObject *p = VecObject_AsStruct(ctx, a);
    return HPyFloat_FromDouble(ctx, p->x * p->x + p->y * p->y);
}

HPyDef_SLOT(Vec_int, HPy_nb_int)
static HPy Vec_int_impl(HPyContext *ctx, HPy a)
{
    return HPyLong_FromLong(ctx, (long)VecObject_AsStruct(ctx, a)->x);
}

HPyDef_SLOT(Vec_float, HPy_nb_float)
static HPy Vec_float_impl(HPyContext *ctx, HPy a)
{
    return HPyFloat_FromDouble(ctx, VecObject_AsStruct(ctx, a)->y);
}

HPyDef_SLOT(Vec_str, HPy_tp_str)
static HPy Vec_str_impl(HPyContext *ctx, HPy a)
{
    VecObject *p = VecObject_AsStruct(ctx, a);
    return HPyUnicode_FromFormat(ctx, "<%d, %d>", (int)p->x, (int)p->y);
}

/* Vectors are ordered by their squared length. */
HPyDef_SLOT(Vec_richcompare, HPy_tp_richcompare)
static HPy Vec_richcompare_impl(HPyContext *ctx, HPy a, HPy b, HPy_RichCmpOp op)
{
    VecObject *p = vec_of(ctx, a), *q = vec_of(ctx, b);
    if (p == NULL || q == NULL)
        return HPy_Dup(ctx, ctx->h_NotImplemented);
    double l = p->x * p->x + p->y * p->y, r = q->x * q->x + q->y * q->y;
    int result;
    switch (op) {
    case HPy_LT: result = l < r; break;
    case HPy_LE: result = l <= r; break;
    case HPy_EQ: result = p->x == q->x && p->y == q->y; break;
    case HPy_NE: result = !(p->x == q->x && p->y == q->y); break;
    case HPy_GT: result = l > r; break;
    default: result = l >= r; break;
    }
    return HPyBool_FromLong(ctx, result);
}

HPyDef_SLOT(Vec_inplace_add, HPy_nb_inplace_add)
static HPy Vec_inplace_add_impl(HPyContext *ctx, HPy a, HPy b)
{
    VecObject *p = VecObject_AsStruct(ctx, a), *q = vec_of(ctx, b);
    if (q == NULL)
        return HPy_Dup(ctx, ctx->h_NotImplemented);
    p->x += q->x;
    p->y += q->y;
    return HPy_Dup(ctx, a);
}

HPyDef_SLOT(Vec_power, HPy_nb_power)
static HPy Vec_power_impl(HPyContext *ctx, HPy a, HPy b, HPy c)
{
    VecObject *p = vec_of(ctx, a);
    if (p == NULL)
        return HPy_Dup(ctx, ctx->h_NotImplemented);
    long k = HPyLong_AsLong(ctx, b);
    if (k == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    double x = 1, y = 1;
    for (long i = 0; i < k; i++) {
        x *= p->x;
        y *= p->y;
    }
    return new_vec(ctx, a, x, y);
}

/* scaled(k, *, around=None): a method with keywords */
HPyDef_METH(Vec_scaled, "scaled", HPyFunc_KEYWORDS)
static HPy Vec_scaled_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs, HPy kwnames)
{
    static const char *kwlist[] = { "k", "around", NULL };
    double k;
    HPy around = HPy_NULL;
    HPyTracker ht;
    if (!HPyArg_ParseKeywords(ctx, &ht, args, nargs, kwnames, "d|$O:scaled", kwlist, &k, &around))
        return HPy_NULL;
    VecObject *p = VecObject_AsStruct(ctx, self), *c = NULL;
    if (!HPy_IsNull(around) && !HPy_Is(ctx, around, ctx->h_None)) {
        c = vec_of(ctx, around);
        if (c == NULL) {
            HPyTracker_Close(ctx, ht);
            HPyErr_SetString(ctx, ctx->h_TypeError, "around must be a Vec");
            return HPy_NULL;
        }
    }
    double cx = c ? c->x : 0, cy = c ? c->y : 0;
    HPyTracker_Close(ctx, ht);
    return new_vec(ctx, self, cx + (p->x - cx) * k, cy + (p->y - cy) * k);
}

/* sum(*vecs): this vector plus all the others */
HPyDef_METH(Vec_sum, "sum", HPyFunc_VARARGS)
static HPy Vec_sum_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    VecObject *p = VecObject_AsStruct(ctx, self);
    double x = p->x, y = p->y;
    for (size_t i = 0; i < nargs; i++) {
        VecObject *q = vec_of(ctx, args[i]);
        if (q == NULL) {
            HPyErr_SetString(ctx, ctx->h_TypeError, "sum() takes Vecs");
            return HPy_NULL;
        }
        x += q->x;
        y += q->y;
    }
    return new_vec(ctx, self, x, y);
}

static HPyDef *Vec_defines[] = {
    &Vec_new, &Vec_sub, &Vec_mul, &Vec_neg, &Vec_abs, &Vec_int, &Vec_float, &Vec_str,
    &Vec_richcompare, &Vec_inplace_add, &Vec_power, &Vec_scaled, &Vec_sum, NULL
};

static HPyType_Spec Vec_spec = {
    .name = "cx_protocols.Vec",
    .basicsize = sizeof(VecObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
    .defines = Vec_defines,
};

/* ---- Table: a mapping over a dict kept in a field ---- */

typedef struct { HPyField dict; long reads; } TableObject;
HPyType_HELPERS(TableObject)

HPyDef_SLOT(Table_new, HPy_tp_new)
static HPy Table_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    TableObject *t;
    HPy h = HPy_New(ctx, cls, &t);
    if (HPy_IsNull(h))
        return HPy_NULL;
    HPy d = HPyDict_New(ctx);
    HPyField_Store(ctx, h, &t->dict, d);
    HPy_Close(ctx, d);
    return h;
}

HPyDef_SLOT(Table_traverse, HPy_tp_traverse)
static int Table_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    HPy_VISIT(&((TableObject *)self)->dict);
    return 0;
}

static HPy table_dict(HPyContext *ctx, HPy self)
{
    return HPyField_Load(ctx, self, TableObject_AsStruct(ctx, self)->dict);
}

HPyDef_SLOT(Table_len, HPy_mp_length)
static HPy_ssize_t Table_len_impl(HPyContext *ctx, HPy self)
{
    HPy d = table_dict(ctx, self);
    HPy_ssize_t n = HPy_Length(ctx, d);
    HPy_Close(ctx, d);
    return n;
}

/* keys are stored upper-cased: t["a"] and t["A"] are the same entry */
static HPy table_key(HPyContext *ctx, HPy key)
{
    HPy name = HPyUnicode_FromString(ctx, "upper");
    HPy r = HPy_CallMethod(ctx, name, &key, 1, HPy_NULL);
    HPy_Close(ctx, name);
    return r;
}

HPyDef_SLOT(Table_getitem, HPy_mp_subscript)
static HPy Table_getitem_impl(HPyContext *ctx, HPy self, HPy key)
{
    HPy k = table_key(ctx, key);
    if (HPy_IsNull(k))
        return HPy_NULL;
    HPy d = table_dict(ctx, self);
    HPy r = HPy_GetItem(ctx, d, k);
    HPy_Close(ctx, d);
    HPy_Close(ctx, k);
    if (!HPy_IsNull(r))
        TableObject_AsStruct(ctx, self)->reads++;
    return r;
}

HPyDef_SLOT(Table_setitem, HPy_mp_ass_subscript)
static int Table_setitem_impl(HPyContext *ctx, HPy self, HPy key, HPy value)
{
    HPy k = table_key(ctx, key);
    if (HPy_IsNull(k))
        return -1;
    HPy d = table_dict(ctx, self);
    int r = HPy_IsNull(value) ? HPy_DelItem(ctx, d, k) : HPy_SetItem(ctx, d, k, value);
    HPy_Close(ctx, d);
    HPy_Close(ctx, k);
    return r;
}

HPyDef_GET(Table_reads, "reads")
static HPy Table_reads_get(HPyContext *ctx, HPy self, void *closure)
{
    return HPyLong_FromLong(ctx, TableObject_AsStruct(ctx, self)->reads);
}

/* A getset whose closure says which of the dict's views it returns. */
HPyDef_GET(Table_keys, "keys", .closure = (void *)"keys")
static HPy Table_keys_get(HPyContext *ctx, HPy self, void *closure)
{
    HPy d = table_dict(ctx, self);
    HPy name = HPyUnicode_FromString(ctx, (const char *)closure);
    HPy r = HPy_CallMethod(ctx, name, &d, 1, HPy_NULL);
    HPy_Close(ctx, name);
    HPy_Close(ctx, d);
    if (HPy_IsNull(r))
        return HPy_NULL;
    HPy sorted = HPy_GetItem_s(ctx, ctx->h_Builtins, "sorted");
    HPy result = HPy_Call(ctx, sorted, &r, 1, HPy_NULL);
    HPy_Close(ctx, sorted);
    HPy_Close(ctx, r);
    return result;
}

static HPyDef *Table_defines[] = {
    &Table_new, &Table_traverse, &Table_len, &Table_getitem, &Table_setitem, &Table_reads, &Table_keys, NULL
};

static HPyType_Spec Table_spec = {
    .name = "cx_protocols.Table",
    .basicsize = sizeof(TableObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC,
    .defines = Table_defines,
};

HPyDef_METH(finalized_count, "finalized", HPyFunc_NOARGS)
static HPy finalized_count_impl(HPyContext *ctx, HPy self)
{
    return HPyLong_FromLong(ctx, finalized);
}

HPyDef_SLOT(exec, HPy_mod_exec)
static int exec_impl(HPyContext *ctx, HPy module)
{
    if (!HPyHelpers_AddType(ctx, module, "Buf", &Buf_spec, NULL) ||
        !HPyHelpers_AddType(ctx, module, "Grid", &Grid_spec, NULL) ||
        !HPyHelpers_AddType(ctx, module, "Row", &Row_spec, NULL) ||
        !HPyHelpers_AddType(ctx, module, "Finalized", &Finalized_spec, NULL) ||
        !HPyHelpers_AddType(ctx, module, "Vec", &Vec_spec, NULL) ||
        !HPyHelpers_AddType(ctx, module, "Table", &Table_spec, NULL))
        return -1;
    HPy vec = HPy_GetAttr_s(ctx, module, "Vec");
    if (HPy_IsNull(vec))
        return -1;
    HPyGlobal_Store(ctx, &vec_type, vec);
    HPy_Close(ctx, vec);
    return 0;
}

static HPyDef *module_defines[] = { &exec, &finalized_count, NULL };

static HPyGlobal *module_globals[] = { &vec_type, NULL };

static HPyModuleDef moduledef = {
    .doc = "Cross-host corpus: buffers, sequence, number and mapping slots, finalizers.",
    .size = 0,
    .defines = module_defines,
    .globals = module_globals,
};

HPy_MODINIT(cx_protocols, moduledef)
