//! Host operations behind the text context functions (`bytes` and `str`).
//!
//! The `unsafe` methods take buffers from the extension: the core has
//! checked that they are not NULL, and they must hold `size` bytes (or be
//! NUL-terminated where no size is given) for the duration of the call.

use core::ffi::c_char;
use lichen_abi::*;

/// The codecs with their own context functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codec {
    Ascii,
    Latin1,
    Utf8,
    /// The file-system encoding and error handler of the VM.
    FsDefault,
}

impl Codec {
    /// Every value, in declaration order (`value as i32` is its index).
    pub const ALL: [Codec; 4] = [Codec::Ascii, Codec::Latin1, Codec::Utf8, Codec::FsDefault];
}

/// VM operations for the text area of the ABI.
pub trait TextHost: super::HostVm {
    /// Whether `h` is a bytes object (or of a subtype); never fails.
    fn bytes_check(vm: Self::Vm<'_>, h: HPy) -> bool;
    /// Whether `h` is a str (or of a subtype); never fails.
    fn unicode_check(vm: Self::Vm<'_>, h: HPy) -> bool;

    /// The length of a bytes object; -1 with `TypeError` for anything else.
    fn bytes_size(vm: Self::Vm<'_>, h: HPy) -> HPy_ssize_t;
    /// The NUL-terminated contents of a bytes object, valid while the
    /// object lives (so while the caller's handle is open); NULL with
    /// `TypeError` for anything else.
    fn bytes_data(vm: Self::Vm<'_>, h: HPy) -> *const c_char;
    /// A bytes object copied from `size` bytes; `size` < 0 raises.
    unsafe fn bytes_from_buffer(vm: Self::Vm<'_>, data: *const c_char, size: HPy_ssize_t) -> HPy;

    /// The str encoded with `codec`, strictly.
    fn unicode_encode(vm: Self::Vm<'_>, h: HPy, codec: Codec) -> HPy;
    /// A str decoded from `size` (>= 0) bytes; `errors` names an error
    /// handler or is NULL for strict (ignored for `Codec::FsDefault`).
    unsafe fn unicode_decode(vm: Self::Vm<'_>, data: *const c_char, size: HPy_ssize_t, codec: Codec, errors: *const c_char) -> HPy;
    /// The UTF-8 form of a str, NUL-terminated and valid while the object
    /// lives; its length in bytes goes to `size` when not NULL.
    unsafe fn unicode_as_utf8(vm: Self::Vm<'_>, h: HPy, size: *mut HPy_ssize_t) -> *const c_char;
    /// A str from `size` wide characters, or up to the first 0 when `size`
    /// is -1.
    unsafe fn unicode_from_wide(vm: Self::Vm<'_>, w: *const wchar_t, size: HPy_ssize_t) -> HPy;
    /// The code point at `index` of a str; `HPy_UCS4::MAX` (that is,
    /// `(HPy_UCS4)-1`) on failure.
    fn unicode_read_char(vm: Self::Vm<'_>, h: HPy, index: HPy_ssize_t) -> HPy_UCS4;
    /// Decodes a bytes-like `obj` (never NULL) like `str(obj, encoding,
    /// errors)`; NULL `encoding` means UTF-8, NULL `errors` strict.
    unsafe fn unicode_from_encoded(vm: Self::Vm<'_>, obj: HPy, encoding: *const c_char, errors: *const c_char) -> HPy;
    /// `h[start:end]` of a str, with 0 <= `start` and 0 <= `end` checked by
    /// the core; bounds past the end are clipped.
    fn unicode_substring(vm: Self::Vm<'_>, h: HPy, start: HPy_ssize_t, end: HPy_ssize_t) -> HPy;
}
