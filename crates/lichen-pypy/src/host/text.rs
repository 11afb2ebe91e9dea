//! PyPy operations behind the text context functions. The pointers handed
//! to the extension (`HPyBytes_AsString`, `HPyUnicode_AsUTF8AndSize`) are
//! native copies kept with the handle's slot, since PyPy's objects move.

use super::object::{check, Check};
use super::*;
use crate::callbacks::py;
use core::ffi::c_char;
use lichen_abi::*;
use lichen_core::host::{Codec, TextHost};

impl TextHost for PyPy {
    fn bytes_check(_held: LockHeld<'_>, h: HPy) -> bool {
        check(h, Check::Bytes)
    }

    fn unicode_check(_held: LockHeld<'_>, h: HPy) -> bool {
        check(h, Check::Unicode)
    }

    fn bytes_size(_held: LockHeld<'_>, h: HPy) -> HPy_ssize_t {
        match table::attached(h, false) {
            Some((_, n)) => n as HPy_ssize_t,
            None => py!(bytes_size(h._i)),
        }
    }

    fn bytes_data(_held: LockHeld<'_>, h: HPy) -> *const c_char {
        match table::attached(h, false) {
            Some((data, _)) => data,
            None => py!(bytes_data(h._i)),
        }
    }

    unsafe fn bytes_from_buffer(_held: LockHeld<'_>, data: *const c_char, size: HPy_ssize_t) -> HPy {
        super::h(py!(bytes_from_buffer(data, size)))
    }

    fn unicode_encode(_held: LockHeld<'_>, h: HPy, codec: Codec) -> HPy {
        super::h(py!(unicode_encode(h._i, codec as i32)))
    }

    unsafe fn unicode_decode(_held: LockHeld<'_>, data: *const c_char, size: HPy_ssize_t, codec: Codec, errors: *const c_char) -> HPy {
        super::h(py!(unicode_decode(data, size, codec as i32, errors)))
    }

    unsafe fn unicode_as_utf8(_held: LockHeld<'_>, h: HPy, size: *mut HPy_ssize_t) -> *const c_char {
        let (data, n) = match table::attached(h, true) {
            Some((data, n)) => (data, n as isize),
            None => {
                let mut n: isize = 0;
                (py!(unicode_as_utf8(h._i, &raw mut n)), n)
            }
        };
        if !data.is_null() && !size.is_null() {
            // SAFETY: the caller passes a writable size or NULL.
            unsafe { *size = n };
        }
        data
    }

    unsafe fn unicode_from_wide(_held: LockHeld<'_>, w: *const wchar_t, size: HPy_ssize_t) -> HPy {
        super::h(py!(unicode_from_wide(w, size)))
    }

    fn unicode_read_char(_held: LockHeld<'_>, h: HPy, index: HPy_ssize_t) -> HPy_UCS4 {
        py!(unicode_read_char(h._i, index))
    }

    unsafe fn unicode_from_encoded(_held: LockHeld<'_>, obj: HPy, encoding: *const c_char, errors: *const c_char) -> HPy {
        super::h(py!(unicode_from_encoded(obj._i, encoding, errors)))
    }

    fn unicode_substring(_held: LockHeld<'_>, h: HPy, start: HPy_ssize_t, end: HPy_ssize_t) -> HPy {
        super::h(py!(unicode_substring(h._i, start, end)))
    }
}
