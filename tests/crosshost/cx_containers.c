/* cx_containers: lists, dicts and tuples made and queried through the
 * context, list and tuple builders (built and cancelled), and trackers
 * (closed, and forgotten after their handles were handed on). */
#include "hpy.h"

/* kinds(x): (list?, dict?, tuple?) */
HPyDef_METH(kinds, "kinds", HPyFunc_O)
static HPy kinds_impl(HPyContext *ctx, HPy self, HPy x)
{
    HPy items[3] = {
        HPyBool_FromLong(ctx, HPyList_Check(ctx, x)),
        HPyBool_FromLong(ctx, HPyDict_Check(ctx, x)),
        HPyBool_FromLong(ctx, HPyTuple_Check(ctx, x)),
    };
    HPy result = HPyTuple_FromArray(ctx, items, 3);
    for (int i = 0; i < 3; i++)
        HPy_Close(ctx, items[i]);
    return result;
}

/* appended(seq): a new list with every item of seq, by HPyList_Append */
HPyDef_METH(appended, "appended", HPyFunc_O)
static HPy appended_impl(HPyContext *ctx, HPy self, HPy seq)
{
    HPy_ssize_t n = HPy_Length(ctx, seq);
    if (n < 0)
        return HPy_NULL;
    HPy list = HPyList_New(ctx, 0);
    if (HPy_IsNull(list))
        return HPy_NULL;
    for (HPy_ssize_t i = 0; i < n; i++) {
        HPy item = HPy_GetItem_i(ctx, seq, i);
        if (HPy_IsNull(item) || HPyList_Append(ctx, list, item) < 0) {
            HPy_Close(ctx, item);
            HPy_Close(ctx, list);
            return HPy_NULL;
        }
        HPy_Close(ctx, item);
    }
    return list;
}

/* squares(n): [0, 1, 4, ...] from HPyList_New(n) filled by HPy_SetItem_i */
HPyDef_METH(squares, "squares", HPyFunc_O)
static HPy squares_impl(HPyContext *ctx, HPy self, HPy h_n)
{
    HPy_ssize_t n = HPyLong_AsSsize_t(ctx, h_n);
    if (n == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    HPy list = HPyList_New(ctx, n);
    if (HPy_IsNull(list))
        return HPy_NULL;
    for (HPy_ssize_t i = 0; i < n; i++) {
        HPy v = HPyLong_FromSsize_t(ctx, i * i);
        int r = HPy_SetItem_i(ctx, list, i, v);
        HPy_Close(ctx, v);
        if (r < 0) {
            HPy_Close(ctx, list);
            return HPy_NULL;
        }
    }
    return list;
}

/* inverted(d): a new dict {v: k} over HPyDict_Keys of d */
HPyDef_METH(inverted, "inverted", HPyFunc_O)
static HPy inverted_impl(HPyContext *ctx, HPy self, HPy d)
{
    HPy keys = HPyDict_Keys(ctx, d);
    if (HPy_IsNull(keys))
        return HPy_NULL;
    HPy out = HPyDict_New(ctx);
    HPy_ssize_t n = HPy_Length(ctx, keys);
    for (HPy_ssize_t i = 0; i < n; i++) {
        HPy k = HPy_GetItem_i(ctx, keys, i);
        HPy v = HPy_GetItem(ctx, d, k);
        int r = HPy_IsNull(v) ? -1 : HPy_SetItem(ctx, out, v, k);
        HPy_Close(ctx, k);
        HPy_Close(ctx, v);
        if (r < 0) {
            HPy_Close(ctx, keys);
            HPy_Close(ctx, out);
            return HPy_NULL;
        }
    }
    HPy_Close(ctx, keys);
    return out;
}

/* keys(d): HPyDict_Keys */
HPyDef_METH(keys, "keys", HPyFunc_O)
static HPy keys_impl(HPyContext *ctx, HPy self, HPy d)
{
    return HPyDict_Keys(ctx, d);
}

/* copy_with(d, k, v): a copy of d (HPyDict_Copy) with d2[k] = v */
HPyDef_METH(copy_with, "copy_with", HPyFunc_VARARGS)
static HPy copy_with_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy d, k, v;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OOO:copy_with", &d, &k, &v))
        return HPy_NULL;
    HPy copy = HPyDict_Copy(ctx, d);
    if (HPy_IsNull(copy))
        return HPy_NULL;
    if (HPy_SetItem(ctx, copy, k, v) < 0) {
        HPy_Close(ctx, copy);
        return HPy_NULL;
    }
    return copy;
}

/* tuple_of(*args): HPyTuple_FromArray over the argument array */
HPyDef_METH(tuple_of, "tuple_of", HPyFunc_VARARGS)
static HPy tuple_of_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    return HPyTuple_FromArray(ctx, (HPy *)args, nargs);
}

/* Fills a builder with the items of a sequence, or cancels it. */
#define FILL_BUILDER(KIND, seq, n, fail_at)                                    \
    KIND b = KIND##_New(ctx, n);                                               \
    if (HPyErr_Occurred(ctx)) /* a failed New sets an exception */            \
        return HPy_NULL;                                                       \
    for (HPy_ssize_t i = 0; i < n; i++) {                                      \
        HPy item = i == (fail_at) ? HPy_NULL : HPy_GetItem_i(ctx, seq, i);     \
        if (HPy_IsNull(item)) {                                                \
            KIND##_Cancel(ctx, b);                                             \
            if (!HPyErr_Occurred(ctx))                                         \
                HPyErr_SetString(ctx, ctx->h_IndexError, "cancelled at fail_at"); \
            return HPy_NULL;                                                   \
        }                                                                      \
        KIND##_Set(ctx, b, i, item);                                           \
        HPy_Close(ctx, item);                                                  \
    }                                                                          \
    return KIND##_Build(ctx, b)

/* build_list(seq, fail_at=-1) and build_tuple(seq, fail_at=-1): a list or
 * tuple through a builder; at index fail_at the builder is cancelled and
 * IndexError raised */
HPyDef_METH(build_list, "build_list", HPyFunc_VARARGS)
static HPy build_list_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy seq;
    HPy_ssize_t fail_at = -1;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "O|n:build_list", &seq, &fail_at))
        return HPy_NULL;
    HPy_ssize_t n = HPy_Length(ctx, seq);
    if (n < 0)
        return HPy_NULL;
    FILL_BUILDER(HPyListBuilder, seq, n, fail_at);
}

HPyDef_METH(build_tuple, "build_tuple", HPyFunc_VARARGS)
static HPy build_tuple_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy seq;
    HPy_ssize_t fail_at = -1;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "O|n:build_tuple", &seq, &fail_at))
        return HPy_NULL;
    HPy_ssize_t n = HPy_Length(ctx, seq);
    if (n < 0)
        return HPy_NULL;
    FILL_BUILDER(HPyTupleBuilder, seq, n, fail_at);
}

/* pairs(seq): [(0, seq[0]), (1, seq[1]), ...]: every intermediate handle is
 * kept in a tracker, closed at once on success and on failure */
HPyDef_METH(pairs, "pairs", HPyFunc_O)
static HPy pairs_impl(HPyContext *ctx, HPy self, HPy seq)
{
    HPy_ssize_t n = HPy_Length(ctx, seq);
    if (n < 0)
        return HPy_NULL;
    HPyTracker ht = HPyTracker_New(ctx, 0);
    if (HPy_IsNull(ht))
        return HPy_NULL;
    HPy list = HPyList_New(ctx, 0);
    for (HPy_ssize_t i = 0; i < n; i++) {
        HPy item[2] = { HPyLong_FromSsize_t(ctx, i), HPy_GetItem_i(ctx, seq, i) };
        HPyTracker_Add(ctx, ht, item[0]);
        if (HPy_IsNull(item[1]))
            goto fail;
        HPyTracker_Add(ctx, ht, item[1]);
        HPy t = HPyTuple_FromArray(ctx, item, 2);
        if (HPy_IsNull(t) || HPyTracker_Add(ctx, ht, t) < 0 || HPyList_Append(ctx, list, t) < 0)
            goto fail;
    }
    HPyTracker_Close(ctx, ht);
    return list;
fail:
    HPyTracker_Close(ctx, ht);
    HPy_Close(ctx, list);
    return HPy_NULL;
}

/* strs(seq): a tuple of str(item): the new strings are tracked while they
 * are made, and on success handed over to the tuple's owner with
 * HPyTracker_ForgetAll, so that only the tracker itself is closed */
HPyDef_METH(strs, "strs", HPyFunc_O)
static HPy strs_impl(HPyContext *ctx, HPy self, HPy seq)
{
    HPy_ssize_t n = HPy_Length(ctx, seq);
    if (n < 0 || n > 16) {
        if (!HPyErr_Occurred(ctx))
            HPyErr_SetString(ctx, ctx->h_ValueError, "strs() takes at most 16 items");
        return HPy_NULL;
    }
    HPy items[16];
    HPyTracker ht = HPyTracker_New(ctx, n);
    for (HPy_ssize_t i = 0; i < n; i++) {
        HPy item = HPy_GetItem_i(ctx, seq, i);
        items[i] = HPy_IsNull(item) ? HPy_NULL : HPy_Str(ctx, item);
        HPy_Close(ctx, item);
        if (HPy_IsNull(items[i])) {
            HPyTracker_Close(ctx, ht);
            return HPy_NULL;
        }
        HPyTracker_Add(ctx, ht, items[i]);
    }
    HPyTracker_ForgetAll(ctx, ht);
    HPyTracker_Close(ctx, ht);
    HPy result = HPyTuple_FromArray(ctx, items, n);
    for (HPy_ssize_t i = 0; i < n; i++)
        HPy_Close(ctx, items[i]);
    return result;
}

static HPyDef *module_defines[] = {
    &kinds, &appended, &squares, &inverted, &keys, &copy_with, &tuple_of,
    &build_list, &build_tuple, &pairs, &strs,
    NULL
};

static HPyModuleDef moduledef = {
    .doc = "Cross-host corpus: containers, builders and trackers.",
    .size = 0,
    .defines = module_defines,
};

HPy_MODINIT(cx_containers, moduledef)
