//! Context functions: text (`bytes` and `str`).
//!
//! The host receives only arguments it can take without crashing: handles
//! that are not NULL and buffers that are not NULL, with sizes that are not
//! negative. Pointers the extension passes are otherwise trusted, as the
//! ABI obliges it to pass valid ones; that is the safety argument for the
//! `unsafe` host calls below that carry no comment of their own.

use crate::prelude::*;

/// Raises `SystemError` for a NULL handle where an object is required.
#[cold]
fn null_handle<H: Host, R: ErrorValue>(vm: H::Vm<'_>, api: &str) -> R {
    H::raise(vm, ExcKind::SystemError, &format!("HPy_NULL passed to {api}"));
    R::error_value()
}

/// Raises `ValueError` for a NULL buffer, in the words HPy uses for
/// `HPyBytes_FromStringAndSize`.
#[cold]
fn null_buffer<H: Host, R: ErrorValue>(vm: H::Vm<'_>, api: &str) -> R {
    H::raise(vm, ExcKind::ValueError, &format!("NULL char * passed to {api}"));
    R::error_value()
}

#[cold]
fn negative_size<H: Host, R: ErrorValue>(vm: H::Vm<'_>, api: &str) -> R {
    H::raise(vm, ExcKind::SystemError, &format!("Negative size passed to {api}"));
    R::error_value()
}

/// Raises `TypeError` unless `h` is a str; CPython's str primitives assume one.
fn check_unicode<H: Host>(vm: H::Vm<'_>, h: HPy, api: &str) -> bool {
    if h.is_null() {
        return null_handle::<H, bool>(vm, api);
    }
    if !H::unicode_check(vm, h) {
        // The words of HPy's debug mode, which aborts on this misuse.
        H::raise(vm, ExcKind::TypeError, &format!("{api} arg 1 must be a Unicode object"));
        return false;
    }
    true
}

pub unsafe fn Bytes_Check<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> c_int {
    (!h.is_null() && H::bytes_check(vm, h)) as c_int
}

pub unsafe fn Bytes_Size<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> HPy_ssize_t {
    if h.is_null() {
        return null_handle::<H, _>(vm, "HPyBytes_Size");
    }
    H::bytes_size(vm, h)
}

/// Checked like `HPyBytes_Size`: in C the macro form skips the type check
/// for speed, which a wrong argument would turn into a crash here.
pub unsafe fn Bytes_GET_SIZE<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> HPy_ssize_t {
    if h.is_null() {
        return null_handle::<H, _>(vm, "HPyBytes_GET_SIZE");
    }
    H::bytes_size(vm, h)
}

pub unsafe fn Bytes_AsString<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> *const c_char {
    if h.is_null() {
        return null_handle::<H, _>(vm, "HPyBytes_AsString");
    }
    H::bytes_data(vm, h)
}

/// Checked like `HPyBytes_AsString`, for the reason given at `Bytes_GET_SIZE`.
pub unsafe fn Bytes_AS_STRING<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> *const c_char {
    if h.is_null() {
        return null_handle::<H, _>(vm, "HPyBytes_AS_STRING");
    }
    H::bytes_data(vm, h)
}

pub unsafe fn Bytes_FromString<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, bytes: *const c_char) -> HPy {
    if bytes.is_null() {
        return null_buffer::<H, _>(vm, "HPyBytes_FromString");
    }
    // SAFETY: a NUL-terminated string, as the ABI requires.
    let len = unsafe { core::ffi::CStr::from_ptr(bytes) }.count_bytes();
    // SAFETY: `len` bytes are readable at `bytes` (measured above).
    unsafe { H::bytes_from_buffer(vm, bytes, len as HPy_ssize_t) }
}

pub unsafe fn Bytes_FromStringAndSize<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, bytes: *const c_char, len: HPy_ssize_t) -> HPy {
    // SAFETY: `bytes` is checked not to be NULL and `len` not negative above;
    // HPy requires a non-NULL `bytes` to hold `len` bytes, which is
    // `bytes_from_buffer`'s contract.
    unsafe {
        // C lets a NULL buffer mean "fill it in later", which an opaque object
        // does not allow.
        if bytes.is_null() {
            return null_buffer::<H, _>(vm, "HPyBytes_FromStringAndSize");
        }
        if len < 0 {
            return negative_size::<H, _>(vm, "HPyBytes_FromStringAndSize");
        }
        H::bytes_from_buffer(vm, bytes, len)
    }
}

pub unsafe fn Unicode_FromString<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, utf8: *const c_char) -> HPy {
    // SAFETY: `utf8` is checked not to be NULL above; HPy requires it to be
    // NUL-terminated, as `key_from_utf8` does.
    unsafe {
        if utf8.is_null() {
            return null_buffer::<H, _>(vm, "HPyUnicode_FromString");
        }
        H::key_from_utf8(vm, utf8)
    }
}

pub unsafe fn Unicode_Check<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> c_int {
    (!h.is_null() && H::unicode_check(vm, h)) as c_int
}

fn encode<H: Host>(vm: H::Vm<'_>, h: HPy, codec: Codec, api: &str) -> HPy {
    if !check_unicode::<H>(vm, h, api) {
        return HPy::NULL;
    }
    H::unicode_encode(vm, h, codec)
}

pub unsafe fn Unicode_AsASCIIString<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> HPy {
    encode::<H>(vm, h, Codec::Ascii, "HPyUnicode_AsASCIIString")
}

pub unsafe fn Unicode_AsLatin1String<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> HPy {
    encode::<H>(vm, h, Codec::Latin1, "HPyUnicode_AsLatin1String")
}

pub unsafe fn Unicode_AsUTF8String<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> HPy {
    encode::<H>(vm, h, Codec::Utf8, "HPyUnicode_AsUTF8String")
}

pub unsafe fn Unicode_EncodeFSDefault<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> HPy {
    encode::<H>(vm, h, Codec::FsDefault, "HPyUnicode_EncodeFSDefault")
}

pub unsafe fn Unicode_AsUTF8AndSize<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy, size: *mut HPy_ssize_t) -> *const c_char {
    // SAFETY: `h` is checked to be a str above, and HPy requires `size` to be
    // NULL or writable, which is `unicode_as_utf8`'s contract.
    unsafe {
        if !check_unicode::<H>(vm, h, "HPyUnicode_AsUTF8AndSize") {
            return core::ptr::null();
        }
        H::unicode_as_utf8(vm, h, size)
    }
}

pub unsafe fn Unicode_FromWideChar<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, w: *const wchar_t, size: HPy_ssize_t) -> HPy {
    // SAFETY: a NULL `w` is passed only with `size` 0; otherwise `size` >= -1
    // (checked) and HPy requires `w` to hold `size` wide characters, or to be
    // NUL-terminated for -1: `unicode_from_wide`'s contract.
    unsafe {
        if w.is_null() {
            if size == 0 {
                return H::unicode_from_wide(vm, w, 0);
            }
            return null_buffer::<H, _>(vm, "HPyUnicode_FromWideChar");
        }
        if size < -1 {
            return negative_size::<H, _>(vm, "HPyUnicode_FromWideChar");
        }
        H::unicode_from_wide(vm, w, size)
    }
}

/// Decodes after the checks every sized decoder needs.
unsafe fn decode<H: Host>(vm: H::Vm<'_>, data: *const c_char, size: HPy_ssize_t, codec: Codec, errors: *const c_char, api: &str) -> HPy {
    // SAFETY: `data` is checked not to be NULL and `size` not negative above;
    // the caller passes `data` holding `size` bytes and `errors` NULL or NUL-
    // terminated (HPy's contract for the decoders), which is
    // `unicode_decode`'s.
    unsafe {
        if data.is_null() {
            return null_buffer::<H, _>(vm, api);
        }
        if size < 0 {
            return negative_size::<H, _>(vm, api);
        }
        H::unicode_decode(vm, data, size, codec, errors)
    }
}

pub unsafe fn Unicode_DecodeFSDefault<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, v: *const c_char) -> HPy {
    if v.is_null() {
        return null_buffer::<H, _>(vm, "HPyUnicode_DecodeFSDefault");
    }
    // SAFETY: a NUL-terminated string, as the ABI requires.
    let len = unsafe { core::ffi::CStr::from_ptr(v) }.count_bytes();
    // SAFETY: `len` bytes are readable at `v` (measured above).
    unsafe { H::unicode_decode(vm, v, len as HPy_ssize_t, Codec::FsDefault, core::ptr::null()) }
}

pub unsafe fn Unicode_DecodeFSDefaultAndSize<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, v: *const c_char, size: HPy_ssize_t) -> HPy {
    // SAFETY: HPy requires `v` to hold `size` bytes, and NULL is passed as
    // `errors`: `decode`'s contract (it checks NULL and a negative size
    // itself).
    unsafe {
        decode::<H>(vm, v, size, Codec::FsDefault, core::ptr::null(), "HPyUnicode_DecodeFSDefaultAndSize")
    }
}

pub unsafe fn Unicode_DecodeASCII<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, ascii: *const c_char, size: HPy_ssize_t, errors: *const c_char) -> HPy {
    // SAFETY: HPy requires `ascii` to hold `size` bytes and `errors` to be NULL
    // or NUL-terminated: `decode`'s contract (it checks NULL and a negative
    // size itself).
    unsafe {
        decode::<H>(vm, ascii, size, Codec::Ascii, errors, "HPyUnicode_DecodeASCII")
    }
}

pub unsafe fn Unicode_DecodeLatin1<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, latin1: *const c_char, size: HPy_ssize_t, errors: *const c_char) -> HPy {
    // SAFETY: HPy requires `latin1` to hold `size` bytes and `errors` to be
    // NULL or NUL-terminated: `decode`'s contract (it checks NULL and a
    // negative size itself).
    unsafe {
        decode::<H>(vm, latin1, size, Codec::Latin1, errors, "HPyUnicode_DecodeLatin1")
    }
}

pub unsafe fn Unicode_ReadChar<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy, index: HPy_ssize_t) -> HPy_UCS4 {
    if !check_unicode::<H>(vm, h, "HPyUnicode_ReadChar") {
        return HPy_UCS4::MAX;
    }
    H::unicode_read_char(vm, h, index)
}

pub unsafe fn Unicode_FromEncodedObject<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, obj: HPy, encoding: *const c_char, errors: *const c_char) -> HPy {
    // SAFETY: `obj` is checked not to be NULL above; HPy requires `encoding`
    // and `errors` to be NULL or NUL-terminated, which is
    // `unicode_from_encoded`'s contract.
    unsafe {
        if obj.is_null() {
            return null_handle::<H, _>(vm, "HPyUnicode_FromEncodedObject");
        }
        H::unicode_from_encoded(vm, obj, encoding, errors)
    }
}

pub unsafe fn Unicode_Substring<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, str: HPy, start: HPy_ssize_t, end: HPy_ssize_t) -> HPy {
    if !check_unicode::<H>(vm, str, "HPyUnicode_Substring") {
        return HPy::NULL;
    }
    if start < 0 || end < 0 {
        H::raise(vm, ExcKind::IndexError, "string index out of range");
        return HPy::NULL;
    }
    H::unicode_substring(vm, str, start, end)
}
