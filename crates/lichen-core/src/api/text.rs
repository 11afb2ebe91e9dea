//! Context functions: text.

use crate::prelude::*;

pub unsafe extern "C" fn Bytes_Check<H: Host>(ctx: *mut HPyContext, _h: HPy) -> c_int {
    unsupported::<H, _>(ctx, "Bytes_Check")
}

pub unsafe extern "C" fn Bytes_Size<H: Host>(ctx: *mut HPyContext, _h: HPy) -> HPy_ssize_t {
    unsupported::<H, _>(ctx, "Bytes_Size")
}

pub unsafe extern "C" fn Bytes_GET_SIZE<H: Host>(ctx: *mut HPyContext, _h: HPy) -> HPy_ssize_t {
    unsupported::<H, _>(ctx, "Bytes_GET_SIZE")
}

pub unsafe extern "C" fn Bytes_AsString<H: Host>(ctx: *mut HPyContext, _h: HPy) -> *const c_char {
    unsupported::<H, _>(ctx, "Bytes_AsString")
}

pub unsafe extern "C" fn Bytes_AS_STRING<H: Host>(ctx: *mut HPyContext, _h: HPy) -> *const c_char {
    unsupported::<H, _>(ctx, "Bytes_AS_STRING")
}

pub unsafe extern "C" fn Bytes_FromString<H: Host>(ctx: *mut HPyContext, _bytes: *const c_char) -> HPy {
    unsupported::<H, _>(ctx, "Bytes_FromString")
}

pub unsafe extern "C" fn Bytes_FromStringAndSize<H: Host>(ctx: *mut HPyContext, _bytes: *const c_char, _len: HPy_ssize_t) -> HPy {
    unsupported::<H, _>(ctx, "Bytes_FromStringAndSize")
}

pub unsafe extern "C" fn Unicode_FromString<H: Host>(ctx: *mut HPyContext, _utf8: *const c_char) -> HPy {
    unsupported::<H, _>(ctx, "Unicode_FromString")
}

pub unsafe extern "C" fn Unicode_Check<H: Host>(ctx: *mut HPyContext, _h: HPy) -> c_int {
    unsupported::<H, _>(ctx, "Unicode_Check")
}

pub unsafe extern "C" fn Unicode_AsASCIIString<H: Host>(ctx: *mut HPyContext, _h: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Unicode_AsASCIIString")
}

pub unsafe extern "C" fn Unicode_AsLatin1String<H: Host>(ctx: *mut HPyContext, _h: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Unicode_AsLatin1String")
}

pub unsafe extern "C" fn Unicode_AsUTF8String<H: Host>(ctx: *mut HPyContext, _h: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Unicode_AsUTF8String")
}

pub unsafe extern "C" fn Unicode_AsUTF8AndSize<H: Host>(ctx: *mut HPyContext, _h: HPy, _size: *mut HPy_ssize_t) -> *const c_char {
    unsupported::<H, _>(ctx, "Unicode_AsUTF8AndSize")
}

pub unsafe extern "C" fn Unicode_FromWideChar<H: Host>(ctx: *mut HPyContext, _w: *const wchar_t, _size: HPy_ssize_t) -> HPy {
    unsupported::<H, _>(ctx, "Unicode_FromWideChar")
}

pub unsafe extern "C" fn Unicode_DecodeFSDefault<H: Host>(ctx: *mut HPyContext, _v: *const c_char) -> HPy {
    unsupported::<H, _>(ctx, "Unicode_DecodeFSDefault")
}

pub unsafe extern "C" fn Unicode_DecodeFSDefaultAndSize<H: Host>(ctx: *mut HPyContext, _v: *const c_char, _size: HPy_ssize_t) -> HPy {
    unsupported::<H, _>(ctx, "Unicode_DecodeFSDefaultAndSize")
}

pub unsafe extern "C" fn Unicode_EncodeFSDefault<H: Host>(ctx: *mut HPyContext, _h: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Unicode_EncodeFSDefault")
}

pub unsafe extern "C" fn Unicode_ReadChar<H: Host>(ctx: *mut HPyContext, _h: HPy, _index: HPy_ssize_t) -> HPy_UCS4 {
    unsupported::<H, _>(ctx, "Unicode_ReadChar")
}

pub unsafe extern "C" fn Unicode_DecodeASCII<H: Host>(ctx: *mut HPyContext, _ascii: *const c_char, _size: HPy_ssize_t, _errors: *const c_char) -> HPy {
    unsupported::<H, _>(ctx, "Unicode_DecodeASCII")
}

pub unsafe extern "C" fn Unicode_DecodeLatin1<H: Host>(ctx: *mut HPyContext, _latin1: *const c_char, _size: HPy_ssize_t, _errors: *const c_char) -> HPy {
    unsupported::<H, _>(ctx, "Unicode_DecodeLatin1")
}

pub unsafe extern "C" fn Unicode_FromEncodedObject<H: Host>(ctx: *mut HPyContext, _obj: HPy, _encoding: *const c_char, _errors: *const c_char) -> HPy {
    unsupported::<H, _>(ctx, "Unicode_FromEncodedObject")
}

pub unsafe extern "C" fn Unicode_Substring<H: Host>(ctx: *mut HPyContext, _str: HPy, _start: HPy_ssize_t, _end: HPy_ssize_t) -> HPy {
    unsupported::<H, _>(ctx, "Unicode_Substring")
}
