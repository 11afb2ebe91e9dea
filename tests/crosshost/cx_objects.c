/* cx_objects: attributes, items, identity, conversions, comparison, hashing
 * and type queries of arbitrary objects. Each function does one thing with
 * the object it is given and hands the result back, so the script can check
 * it against what Python itself says. */
#include "hpy.h"

/* A borrowed str argument as UTF-8, or NULL with TypeError. */
static const char *utf8_of(HPyContext *ctx, HPy h)
{
    if (!HPyUnicode_Check(ctx, h)) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "expected a str");
        return NULL;
    }
    return HPyUnicode_AsUTF8AndSize(ctx, h, NULL);
}

/* Builds a 2-tuple from two new handles, closing them. */
static HPy pair(HPyContext *ctx, HPy a, HPy b)
{
    HPy result = HPy_NULL;
    if (!HPy_IsNull(a) && !HPy_IsNull(b)) {
        HPy items[2] = { a, b };
        result = HPyTuple_FromArray(ctx, items, 2);
    }
    HPy_Close(ctx, a);
    HPy_Close(ctx, b);
    return result;
}

/* getattr2(obj, name): (HPy_GetAttr, HPy_GetAttr_s), which must agree. */
HPyDef_METH(getattr2, "getattr2", HPyFunc_VARARGS)
static HPy getattr2_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy obj, name;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OO:getattr2", &obj, &name))
        return HPy_NULL;
    const char *s = utf8_of(ctx, name);
    if (s == NULL)
        return HPy_NULL;
    HPy a = HPy_GetAttr(ctx, obj, name);
    if (HPy_IsNull(a))
        return HPy_NULL;
    return pair(ctx, a, HPy_GetAttr_s(ctx, obj, s));
}

/* hasattr2(obj, name): (HPy_HasAttr, HPy_HasAttr_s) as bools. */
HPyDef_METH(hasattr2, "hasattr2", HPyFunc_VARARGS)
static HPy hasattr2_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy obj, name;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OO:hasattr2", &obj, &name))
        return HPy_NULL;
    const char *s = utf8_of(ctx, name);
    if (s == NULL)
        return HPy_NULL;
    int a = HPy_HasAttr(ctx, obj, name);
    int b = HPy_HasAttr_s(ctx, obj, s);
    return pair(ctx, HPyBool_FromLong(ctx, a), HPyBool_FromLong(ctx, b));
}

/* setattr(obj, name, value) through HPy_SetAttr. */
HPyDef_METH(setattr, "setattr", HPyFunc_VARARGS)
static HPy setattr_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy obj, name, value;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OOO:setattr", &obj, &name, &value))
        return HPy_NULL;
    if (HPy_SetAttr(ctx, obj, name, value) < 0)
        return HPy_NULL;
    return HPy_Dup(ctx, ctx->h_None);
}

/* setattr_s(obj, name, value) through HPy_SetAttr_s. */
HPyDef_METH(setattr_s, "setattr_s", HPyFunc_VARARGS)
static HPy setattr_s_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy obj, value;
    const char *name;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OsO:setattr_s", &obj, &name, &value))
        return HPy_NULL;
    if (HPy_SetAttr_s(ctx, obj, name, value) < 0)
        return HPy_NULL;
    return HPy_Dup(ctx, ctx->h_None);
}

/* delattr(obj, name) and delattr_s(obj, name): HPy_SetAttr and
 * HPy_SetAttr_s with a NULL value delete the attribute */
HPyDef_METH(delattr, "delattr", HPyFunc_VARARGS)
static HPy delattr_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy obj, name;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OO:delattr", &obj, &name))
        return HPy_NULL;
    if (HPy_SetAttr(ctx, obj, name, HPy_NULL) < 0)
        return HPy_NULL;
    return HPy_Dup(ctx, ctx->h_None);
}

HPyDef_METH(delattr_s, "delattr_s", HPyFunc_VARARGS)
static HPy delattr_s_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy obj;
    const char *name;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "Os:delattr_s", &obj, &name))
        return HPy_NULL;
    if (HPy_SetAttr_s(ctx, obj, name, HPy_NULL) < 0)
        return HPy_NULL;
    return HPy_Dup(ctx, ctx->h_None);
}

/* getitem(obj, key), getitem_i(obj, i), getitem_s(obj, key) */
HPyDef_METH(getitem, "getitem", HPyFunc_VARARGS)
static HPy getitem_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy obj, key;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OO:getitem", &obj, &key))
        return HPy_NULL;
    return HPy_GetItem(ctx, obj, key);
}

HPyDef_METH(getitem_i, "getitem_i", HPyFunc_VARARGS)
static HPy getitem_i_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy obj;
    HPy_ssize_t i;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "On:getitem_i", &obj, &i))
        return HPy_NULL;
    return HPy_GetItem_i(ctx, obj, i);
}

HPyDef_METH(getitem_s, "getitem_s", HPyFunc_VARARGS)
static HPy getitem_s_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy obj;
    const char *key;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "Os:getitem_s", &obj, &key))
        return HPy_NULL;
    return HPy_GetItem_s(ctx, obj, key);
}

/* setitem(obj, key, v), setitem_i(obj, i, v), setitem_s(obj, key, v) */
HPyDef_METH(setitem, "setitem", HPyFunc_VARARGS)
static HPy setitem_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy obj, key, value;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OOO:setitem", &obj, &key, &value))
        return HPy_NULL;
    if (HPy_SetItem(ctx, obj, key, value) < 0)
        return HPy_NULL;
    return HPy_Dup(ctx, ctx->h_None);
}

HPyDef_METH(setitem_i, "setitem_i", HPyFunc_VARARGS)
static HPy setitem_i_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy obj, value;
    HPy_ssize_t i;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OnO:setitem_i", &obj, &i, &value))
        return HPy_NULL;
    if (HPy_SetItem_i(ctx, obj, i, value) < 0)
        return HPy_NULL;
    return HPy_Dup(ctx, ctx->h_None);
}

HPyDef_METH(setitem_s, "setitem_s", HPyFunc_VARARGS)
static HPy setitem_s_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy obj, value;
    const char *key;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OsO:setitem_s", &obj, &key, &value))
        return HPy_NULL;
    if (HPy_SetItem_s(ctx, obj, key, value) < 0)
        return HPy_NULL;
    return HPy_Dup(ctx, ctx->h_None);
}

/* delitem(obj, key), delitem_i(obj, i), delitem_s(obj, key) */
HPyDef_METH(delitem, "delitem", HPyFunc_VARARGS)
static HPy delitem_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy obj, key;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OO:delitem", &obj, &key))
        return HPy_NULL;
    if (HPy_DelItem(ctx, obj, key) < 0)
        return HPy_NULL;
    return HPy_Dup(ctx, ctx->h_None);
}

HPyDef_METH(delitem_i, "delitem_i", HPyFunc_VARARGS)
static HPy delitem_i_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy obj;
    HPy_ssize_t i;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "On:delitem_i", &obj, &i))
        return HPy_NULL;
    if (HPy_DelItem_i(ctx, obj, i) < 0)
        return HPy_NULL;
    return HPy_Dup(ctx, ctx->h_None);
}

HPyDef_METH(delitem_s, "delitem_s", HPyFunc_VARARGS)
static HPy delitem_s_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy obj;
    const char *key;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "Os:delitem_s", &obj, &key))
        return HPy_NULL;
    if (HPy_DelItem_s(ctx, obj, key) < 0)
        return HPy_NULL;
    return HPy_Dup(ctx, ctx->h_None);
}

/* contains(container, key): HPy_Contains as a bool */
HPyDef_METH(contains, "contains", HPyFunc_VARARGS)
static HPy contains_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy obj, key;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OO:contains", &obj, &key))
        return HPy_NULL;
    int r = HPy_Contains(ctx, obj, key);
    if (r < 0)
        return HPy_NULL;
    return HPyBool_FromLong(ctx, r);
}

/* type_of(obj): HPy_Type */
HPyDef_METH(type_of, "type_of", HPyFunc_O)
static HPy type_of_impl(HPyContext *ctx, HPy self, HPy obj)
{
    return HPy_Type(ctx, obj);
}

/* isinstance(obj, type): HPy_TypeCheck */
HPyDef_METH(isinstance, "isinstance", HPyFunc_VARARGS)
static HPy isinstance_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy obj, type;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OO:isinstance", &obj, &type))
        return HPy_NULL;
    return HPyBool_FromLong(ctx, HPy_TypeCheck(ctx, obj, type));
}

/* issubtype(sub, type): HPyType_IsSubtype */
HPyDef_METH(issubtype, "issubtype", HPyFunc_VARARGS)
static HPy issubtype_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy sub, type;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OO:issubtype", &sub, &type))
        return HPy_NULL;
    int r = HPyType_IsSubtype(ctx, sub, type);
    if (r < 0)
        return HPy_NULL;
    return HPyBool_FromLong(ctx, r);
}

/* type_name(type): HPyType_GetName */
HPyDef_METH(type_name, "type_name", HPyFunc_O)
static HPy type_name_impl(HPyContext *ctx, HPy self, HPy type)
{
    const char *name = HPyType_GetName(ctx, type);
    if (name == NULL)
        return HPy_NULL;
    return HPyUnicode_FromString(ctx, name);
}

/* same(a, b): HPy_Is, and HPy_Is of a duplicate of a with a */
HPyDef_METH(same, "same", HPyFunc_VARARGS)
static HPy same_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy a, b;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OO:same", &a, &b))
        return HPy_NULL;
    HPy dup = HPy_Dup(ctx, a);
    int dup_is = HPy_Is(ctx, dup, a);
    HPy_Close(ctx, dup);
    return pair(ctx, HPyBool_FromLong(ctx, HPy_Is(ctx, a, b)), HPyBool_FromLong(ctx, dup_is));
}

/* conversions(obj): (repr, str, ascii) */
HPyDef_METH(conversions, "conversions", HPyFunc_O)
static HPy conversions_impl(HPyContext *ctx, HPy self, HPy obj)
{
    HPy items[3] = { HPy_Repr(ctx, obj), HPy_Str(ctx, obj), HPy_ASCII(ctx, obj) };
    HPy result = HPy_NULL;
    if (!HPy_IsNull(items[0]) && !HPy_IsNull(items[1]) && !HPy_IsNull(items[2]))
        result = HPyTuple_FromArray(ctx, items, 3);
    for (int i = 0; i < 3; i++)
        HPy_Close(ctx, items[i]);
    return result;
}

/* to_bytes(obj): HPy_Bytes, i.e. bytes(obj) */
HPyDef_METH(to_bytes, "to_bytes", HPyFunc_O)
static HPy to_bytes_impl(HPyContext *ctx, HPy self, HPy obj)
{
    return HPy_Bytes(ctx, obj);
}

/* compare(a, b, op): HPy_RichCompare; compare_bool: HPy_RichCompareBool */
HPyDef_METH(compare, "compare", HPyFunc_VARARGS)
static HPy compare_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy a, b;
    int op;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OOi:compare", &a, &b, &op))
        return HPy_NULL;
    return HPy_RichCompare(ctx, a, b, op);
}

HPyDef_METH(compare_bool, "compare_bool", HPyFunc_VARARGS)
static HPy compare_bool_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy a, b;
    int op;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OOi:compare_bool", &a, &b, &op))
        return HPy_NULL;
    int r = HPy_RichCompareBool(ctx, a, b, op);
    if (r < 0)
        return HPy_NULL;
    return HPyBool_FromLong(ctx, r);
}

/* hash(obj): HPy_Hash */
HPyDef_METH(hash, "hash", HPyFunc_O)
static HPy hash_impl(HPyContext *ctx, HPy self, HPy obj)
{
    HPy_hash_t h = HPy_Hash(ctx, obj);
    if (h == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    return HPyLong_FromSsize_t(ctx, h);
}

/* truth(obj): HPy_IsTrue */
HPyDef_METH(truth, "truth", HPyFunc_O)
static HPy truth_impl(HPyContext *ctx, HPy self, HPy obj)
{
    int r = HPy_IsTrue(ctx, obj);
    if (r < 0)
        return HPy_NULL;
    return HPyBool_FromLong(ctx, r);
}

/* length(obj): HPy_Length */
HPyDef_METH(length, "length", HPyFunc_O)
static HPy length_impl(HPyContext *ctx, HPy self, HPy obj)
{
    HPy_ssize_t n = HPy_Length(ctx, obj);
    if (n < 0)
        return HPy_NULL;
    return HPyLong_FromSsize_t(ctx, n);
}

/* kinds(obj): (callable, number) */
HPyDef_METH(kinds, "kinds", HPyFunc_O)
static HPy kinds_impl(HPyContext *ctx, HPy self, HPy obj)
{
    return pair(ctx, HPyBool_FromLong(ctx, HPyCallable_Check(ctx, obj)),
                HPyBool_FromLong(ctx, HPyNumber_Check(ctx, obj)));
}

/* dump(obj): HPy_Dump writes a description to stderr; returns None */
HPyDef_METH(dump, "dump", HPyFunc_O)
static HPy dump_impl(HPyContext *ctx, HPy self, HPy obj)
{
    _HPy_Dump(ctx, obj);
    return HPy_Dup(ctx, ctx->h_None);
}

/* import_attr(module, attr): getattr(import module, attr) */
HPyDef_METH(import_attr, "import_attr", HPyFunc_VARARGS)
static HPy import_attr_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    const char *module, *attr;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "ss:import_attr", &module, &attr))
        return HPy_NULL;
    HPy m = HPyImport_ImportModule(ctx, module);
    if (HPy_IsNull(m))
        return HPy_NULL;
    HPy result = HPy_GetAttr_s(ctx, m, attr);
    HPy_Close(ctx, m);
    return result;
}

/* builtin(name): an entry of the builtins dict (the Builtins constant) */
HPyDef_METH(builtin, "builtin", HPyFunc_O)
static HPy builtin_impl(HPyContext *ctx, HPy self, HPy name)
{
    return HPy_GetItem(ctx, ctx->h_Builtins, name);
}

static HPyDef *module_defines[] = {
    &getattr2, &hasattr2, &setattr, &setattr_s, &delattr, &delattr_s,
    &getitem, &getitem_i, &getitem_s, &setitem, &setitem_i, &setitem_s,
    &delitem, &delitem_i, &delitem_s, &contains,
    &type_of, &isinstance, &issubtype, &type_name, &same,
    &conversions, &to_bytes, &compare, &compare_bool, &hash, &truth, &length, &kinds,
    &dump, &import_attr, &builtin,
    NULL
};

static HPyModuleDef moduledef = {
    .doc = "Cross-host corpus: objects, attributes and items.",
    .size = 0,
    .defines = module_defines,
};

HPy_MODINIT(cx_objects, moduledef)
