/* cx_text: bytes and str through the context: sizes and raw data of bytes,
 * the encoders and decoders (ASCII, Latin-1, UTF-8, the filesystem
 * encoding, wchar_t), character access and substrings. */
#include "hpy.h"
#include <stdlib.h>
#include <wchar.h>

static HPy not_bytes(HPyContext *ctx)
{
    HPyErr_SetString(ctx, ctx->h_TypeError, "expected bytes");
    return HPy_NULL;
}

/* An optional str argument (None for NULL) as UTF-8. */
static int optional_utf8(HPyContext *ctx, HPy h, const char **out)
{
    if (HPy_Is(ctx, h, ctx->h_None)) {
        *out = NULL;
        return 0;
    }
    *out = HPyUnicode_AsUTF8AndSize(ctx, h, NULL);
    return *out == NULL ? -1 : 0;
}

/* bytes_info(b): (HPyBytes_Size, HPyBytes_GET_SIZE, copy through
 * HPyBytes_AsString, copy through HPyBytes_AS_STRING) */
HPyDef_METH(bytes_info, "bytes_info", HPyFunc_O)
static HPy bytes_info_impl(HPyContext *ctx, HPy self, HPy b)
{
    if (!HPyBytes_Check(ctx, b))
        return not_bytes(ctx);
    HPy_ssize_t n = HPyBytes_Size(ctx, b);
    HPy_ssize_t m = HPyBytes_GET_SIZE(ctx, b);
    HPy items[4] = {
        HPyLong_FromSsize_t(ctx, n),
        HPyLong_FromSsize_t(ctx, m),
        HPyBytes_FromStringAndSize(ctx, HPyBytes_AsString(ctx, b), n),
        HPyBytes_FromStringAndSize(ctx, HPyBytes_AS_STRING(ctx, b), m),
    };
    HPy result = HPyTuple_FromArray(ctx, items, 4);
    for (int i = 0; i < 4; i++)
        HPy_Close(ctx, items[i]);
    return result;
}

/* c_string(b): bytes up to the first NUL, through HPyBytes_FromString */
HPyDef_METH(c_string, "c_string", HPyFunc_O)
static HPy c_string_impl(HPyContext *ctx, HPy self, HPy b)
{
    if (!HPyBytes_Check(ctx, b))
        return not_bytes(ctx);
    return HPyBytes_FromString(ctx, HPyBytes_AsString(ctx, b));
}

/* is_bytes(x), is_str(x) */
HPyDef_METH(is_bytes, "is_bytes", HPyFunc_O)
static HPy is_bytes_impl(HPyContext *ctx, HPy self, HPy x)
{
    return HPyBool_FromLong(ctx, HPyBytes_Check(ctx, x));
}

HPyDef_METH(is_str, "is_str", HPyFunc_O)
static HPy is_str_impl(HPyContext *ctx, HPy self, HPy x)
{
    return HPyBool_FromLong(ctx, HPyUnicode_Check(ctx, x));
}

/* from_utf8(b): str from NUL-terminated UTF-8 bytes */
HPyDef_METH(from_utf8, "from_utf8", HPyFunc_O)
static HPy from_utf8_impl(HPyContext *ctx, HPy self, HPy b)
{
    if (!HPyBytes_Check(ctx, b))
        return not_bytes(ctx);
    return HPyUnicode_FromString(ctx, HPyBytes_AsString(ctx, b));
}

/* encode(s, which): which is "ascii", "latin1" or "utf8" */
HPyDef_METH(encode, "encode", HPyFunc_VARARGS)
static HPy encode_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy s;
    const char *which;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "Os:encode", &s, &which))
        return HPy_NULL;
    switch (which[0]) {
    case 'a': return HPyUnicode_AsASCIIString(ctx, s);
    case 'l': return HPyUnicode_AsLatin1String(ctx, s);
    case 'u': return HPyUnicode_AsUTF8String(ctx, s);
    }
    HPyErr_SetString(ctx, ctx->h_ValueError, "unknown encoding");
    return HPy_NULL;
}

/* utf8_and_size(s): (size in bytes, the bytes) from HPyUnicode_AsUTF8AndSize */
HPyDef_METH(utf8_and_size, "utf8_and_size", HPyFunc_O)
static HPy utf8_and_size_impl(HPyContext *ctx, HPy self, HPy s)
{
    HPy_ssize_t n;
    const char *data = HPyUnicode_AsUTF8AndSize(ctx, s, &n);
    if (data == NULL)
        return HPy_NULL;
    HPy items[2] = { HPyLong_FromSsize_t(ctx, n), HPyBytes_FromStringAndSize(ctx, data, n) };
    HPy result = HPyTuple_FromArray(ctx, items, 2);
    HPy_Close(ctx, items[0]);
    HPy_Close(ctx, items[1]);
    return result;
}

/* via_wchar(s): s read char by char (HPyUnicode_ReadChar) into a wchar_t
 * array and made a str again by HPyUnicode_FromWideChar */
HPyDef_METH(via_wchar, "via_wchar", HPyFunc_O)
static HPy via_wchar_impl(HPyContext *ctx, HPy self, HPy s)
{
    HPy_ssize_t n = HPy_Length(ctx, s);
    if (n < 0)
        return HPy_NULL;
    wchar_t *w = malloc(sizeof(wchar_t) * (n + 1));
    if (w == NULL) {
        HPyErr_NoMemory(ctx);
        return HPy_NULL;
    }
    for (HPy_ssize_t i = 0; i < n; i++) {
        HPy_UCS4 c = HPyUnicode_ReadChar(ctx, s, i);
        if (c == (HPy_UCS4)-1 && HPyErr_Occurred(ctx)) {
            free(w);
            return HPy_NULL;
        }
        w[i] = (wchar_t)c;
    }
    HPy result = HPyUnicode_FromWideChar(ctx, w, n);
    free(w);
    return result;
}

/* from_code_points(ints): HPyUnicode_FromWideChar over the given values,
 * which need not be valid code points */
HPyDef_METH(from_code_points, "from_code_points", HPyFunc_O)
static HPy from_code_points_impl(HPyContext *ctx, HPy self, HPy ints)
{
    HPy_ssize_t n = HPy_Length(ctx, ints);
    if (n < 0)
        return HPy_NULL;
    if (n > 16) {
        HPyErr_SetString(ctx, ctx->h_ValueError, "at most 16 code points");
        return HPy_NULL;
    }
    wchar_t w[16];
    for (HPy_ssize_t i = 0; i < n; i++) {
        HPy item = HPy_GetItem_i(ctx, ints, i);
        if (HPy_IsNull(item))
            return HPy_NULL;
        long v = HPyLong_AsLong(ctx, item);
        HPy_Close(ctx, item);
        if (v == -1 && HPyErr_Occurred(ctx))
            return HPy_NULL;
        w[i] = (wchar_t)v;
    }
    return HPyUnicode_FromWideChar(ctx, w, n);
}

/* read_char(s, i): the code point at i */
HPyDef_METH(read_char, "read_char", HPyFunc_VARARGS)
static HPy read_char_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy s;
    HPy_ssize_t i;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "On:read_char", &s, &i))
        return HPy_NULL;
    HPy_UCS4 c = HPyUnicode_ReadChar(ctx, s, i);
    if (c == (HPy_UCS4)-1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    return HPyLong_FromUInt32_t(ctx, c);
}

/* fs_decode(b[, n]): HPyUnicode_DecodeFSDefault, or ...AndSize with n */
HPyDef_METH(fs_decode, "fs_decode", HPyFunc_VARARGS)
static HPy fs_decode_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy b;
    HPy_ssize_t n = -1;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "O|n:fs_decode", &b, &n))
        return HPy_NULL;
    if (!HPyBytes_Check(ctx, b))
        return not_bytes(ctx);
    const char *data = HPyBytes_AsString(ctx, b);
    if (n < 0)
        return HPyUnicode_DecodeFSDefault(ctx, data);
    if (n > HPyBytes_Size(ctx, b)) {
        HPyErr_SetString(ctx, ctx->h_ValueError, "size larger than the bytes");
        return HPy_NULL;
    }
    return HPyUnicode_DecodeFSDefaultAndSize(ctx, data, n);
}

/* fs_encode(s): HPyUnicode_EncodeFSDefault */
HPyDef_METH(fs_encode, "fs_encode", HPyFunc_O)
static HPy fs_encode_impl(HPyContext *ctx, HPy self, HPy s)
{
    return HPyUnicode_EncodeFSDefault(ctx, s);
}

/* decode(b, which, errors): which is "ascii" or "latin1"; errors a str or None */
HPyDef_METH(decode, "decode", HPyFunc_VARARGS)
static HPy decode_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy b, h_errors;
    const char *which, *errors;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OsO:decode", &b, &which, &h_errors))
        return HPy_NULL;
    if (!HPyBytes_Check(ctx, b))
        return not_bytes(ctx);
    if (optional_utf8(ctx, h_errors, &errors) < 0)
        return HPy_NULL;
    const char *data = HPyBytes_AsString(ctx, b);
    HPy_ssize_t n = HPyBytes_Size(ctx, b);
    if (which[0] == 'a')
        return HPyUnicode_DecodeASCII(ctx, data, n, errors);
    return HPyUnicode_DecodeLatin1(ctx, data, n, errors);
}

/* from_encoded(obj, encoding, errors): str(obj, encoding, errors) with
 * None for a NULL encoding or errors */
HPyDef_METH(from_encoded, "from_encoded", HPyFunc_VARARGS)
static HPy from_encoded_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy obj, h_encoding, h_errors;
    const char *encoding, *errors;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "OOO:from_encoded", &obj, &h_encoding, &h_errors))
        return HPy_NULL;
    if (optional_utf8(ctx, h_encoding, &encoding) < 0 || optional_utf8(ctx, h_errors, &errors) < 0)
        return HPy_NULL;
    return HPyUnicode_FromEncodedObject(ctx, obj, encoding, errors);
}

/* substring(s, start, end) */
HPyDef_METH(substring, "substring", HPyFunc_VARARGS)
static HPy substring_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPy s;
    HPy_ssize_t start, end;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "Onn:substring", &s, &start, &end))
        return HPy_NULL;
    return HPyUnicode_Substring(ctx, s, start, end);
}

static HPyDef *module_defines[] = {
    &bytes_info, &c_string, &is_bytes, &is_str, &from_utf8, &encode, &utf8_and_size,
    &via_wchar, &from_code_points, &read_char, &fs_decode, &fs_encode, &decode, &from_encoded, &substring,
    NULL
};

static HPyModuleDef moduledef = {
    .doc = "Cross-host corpus: bytes and str.",
    .size = 0,
    .defines = module_defines,
};

HPy_MODINIT(cx_text, moduledef)
