/* cx_protocols: the buffer protocol (HPy_bf_getbuffer/bf_releasebuffer, one-
 * and two-dimensional), the sequence slots for repetition and item
 * assignment, and HPy_tp_finalize. */
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
        !HPyHelpers_AddType(ctx, module, "Finalized", &Finalized_spec, NULL))
        return -1;
    return 0;
}

static HPyDef *module_defines[] = { &exec, &finalized_count, NULL };

static HPyModuleDef moduledef = {
    .doc = "Cross-host corpus: buffers, sequence slots, finalizers.",
    .size = 0,
    .defines = module_defines,
};

HPy_MODINIT(cx_protocols, moduledef)
