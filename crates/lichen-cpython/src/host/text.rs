//! CPython operations behind the text context functions.
//!
//! The core only passes arguments CPython's functions accept without
//! crashing (see `lichen_core::api::text`); CPython raises for the rest.

use super::*;
use core::ffi::c_char;
use lichen_abi::{wchar_t, HPy_UCS4, HPy_ssize_t};
use lichen_core::host::{Codec, TextHost};

impl TextHost for CPython {
    #[inline]
    fn bytes_check(_py: Python<'_>, h: HPy) -> bool {
        // SAFETY: `_py` proves the GIL is held; the core passes a live, non-NULL handle.
        unsafe { ffi::PyBytes_Check(h2py(h)) != 0 }
    }

    #[inline]
    fn unicode_check(_py: Python<'_>, h: HPy) -> bool {
        // SAFETY: `_py` proves the GIL is held; the core passes a live, non-NULL handle,
        // whose type PyUnicode_Check reads.
        unsafe { ffi::PyUnicode_Check(h2py(h)) != 0 }
    }

    c_api_calls! {
        /// PyBytes_Size raises TypeError for a non-bytes.
        fn bytes_size(py, h) -> HPy_ssize_t = PyBytes_Size;
        /// PyBytes_AsString raises TypeError for a non-bytes. The buffer is
        /// part of the immutable bytes object, so it stays put while the
        /// caller's handle keeps the object alive.
        fn bytes_data(py, h) -> *const c_char = PyBytes_AsString;
    }

    #[inline]
    unsafe fn bytes_from_buffer(_py: Python<'_>, data: *const c_char, size: HPy_ssize_t) -> HPy {
        // SAFETY: `_py` proves the GIL is held; `data` holds `size` bytes and is not NULL,
        // so CPython copies it rather than handing out uninitialised memory.
        unsafe { py2h(ffi::PyBytes_FromStringAndSize(data, size)) }
    }

    fn unicode_encode(py: Python<'_>, h: HPy, codec: Codec) -> HPy {
        let f = match codec {
            Codec::Ascii => ffi::PyUnicode_AsASCIIString,
            Codec::Latin1 => ffi::PyUnicode_AsLatin1String,
            Codec::Utf8 => ffi::PyUnicode_AsUTF8String,
            Codec::FsDefault => ffi::PyUnicode_EncodeFSDefault,
        };
        // The core checked that `h` is a str.
        call_unary(py, f, h)
    }

    unsafe fn unicode_decode(_py: Python<'_>, data: *const c_char, size: HPy_ssize_t, codec: Codec, errors: *const c_char) -> HPy {
        // SAFETY: `_py` proves the GIL is held; `data` holds `size` (>= 0) bytes and
        // `errors` is NULL or NUL-terminated, as the core and ABI require.
        unsafe {
            py2h(match codec {
                Codec::Ascii => ffi::PyUnicode_DecodeASCII(data, size, errors),
                Codec::Latin1 => ffi::PyUnicode_DecodeLatin1(data, size, errors),
                Codec::Utf8 => ffi::PyUnicode_DecodeUTF8(data, size, errors),
                Codec::FsDefault => ffi::PyUnicode_DecodeFSDefaultAndSize(data, size),
            })
        }
    }

    #[inline]
    unsafe fn unicode_as_utf8(_py: Python<'_>, h: HPy, size: *mut HPy_ssize_t) -> *const c_char {
        // SAFETY: `_py` proves the GIL is held; `size` is NULL or writable. CPython caches
        // the UTF-8 form in the str object, so the buffer lives as long as
        // the object does.
        unsafe { ffi::PyUnicode_AsUTF8AndSize(h2py(h), size) }
    }

    #[inline]
    unsafe fn unicode_from_wide(_py: Python<'_>, w: *const wchar_t, size: HPy_ssize_t) -> HPy {
        // SAFETY: `_py` proves the GIL is held; `w` holds `size` wide characters, or is
        // NUL-terminated when `size` is -1, or is NULL with `size` 0.
        unsafe { py2h(ffi::PyUnicode_FromWideChar(w.cast(), size)) }
    }

    #[inline]
    fn unicode_read_char(_py: Python<'_>, h: HPy, index: HPy_ssize_t) -> HPy_UCS4 {
        // SAFETY: `_py` proves the GIL is held; the core checked that `h` is a str, and
        // CPython checks the index (IndexError).
        unsafe { ffi::PyUnicode_ReadChar(h2py(h), index) }
    }

    #[inline]
    unsafe fn unicode_from_encoded(_py: Python<'_>, obj: HPy, encoding: *const c_char, errors: *const c_char) -> HPy {
        // SAFETY: `_py` proves the GIL is held; `obj` is a live handle and the strings are
        // NULL or NUL-terminated. CPython raises TypeError for a str or for
        // an object without the buffer protocol.
        unsafe { py2h(ffi::PyUnicode_FromEncodedObject(h2py(obj), encoding, errors)) }
    }

    #[inline]
    fn unicode_substring(_py: Python<'_>, h: HPy, start: HPy_ssize_t, end: HPy_ssize_t) -> HPy {
        // SAFETY: `_py` proves the GIL is held; the core checked that `h` is a str and
        // that both bounds are >= 0; CPython clips them to the length.
        unsafe { py2h(ffi::PyUnicode_Substring(h2py(h), start, end)) }
    }
}
