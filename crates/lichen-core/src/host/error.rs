//! Host operations behind the error context functions.

use core::ffi::{c_char, c_int};
use lichen_abi::*;

/// Exception classes the core raises by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExcKind {
    SystemError,
    TypeError,
    ValueError,
    ImportError,
    RuntimeError,
    NotImplementedError,
    MemoryError,
    OverflowError,
    IndexError,
    KeyError,
    AttributeError,
}

/// VM operations for the error area of the ABI. Every "set" replaces the
/// pending exception, if any. The `unsafe` methods take C strings, which
/// must be NUL-terminated (or NULL where documented).
pub trait ErrorHost: super::HostVm {
    /// Sets the pending exception to `kind(message)`.
    fn raise(vm: Self::Vm<'_>, kind: ExcKind, message: &str);
    /// Sets the pending exception to `ty(utf8_message)`.
    unsafe fn err_set_string(vm: Self::Vm<'_>, ty: HPy, utf8_message: *const c_char);
    /// Sets the pending exception from a class and a value (NULL for none),
    /// normalised as `raise` would.
    fn err_set_object(vm: Self::Vm<'_>, ty: HPy, value: HPy);
    /// Raises `ty(errno, strerror(errno), filename)` for the current
    /// `errno`; `filename` is file-system encoded and may be NULL.
    unsafe fn err_set_from_errno(vm: Self::Vm<'_>, ty: HPy, filename: *const c_char);
    /// Like `err_set_from_errno`, with the file names as objects (NULL for none).
    fn err_set_from_errno_objects(vm: Self::Vm<'_>, ty: HPy, filename1: HPy, filename2: HPy);
    fn err_no_memory(vm: Self::Vm<'_>);
    fn err_occurred(vm: Self::Vm<'_>) -> bool;
    /// Whether the pending exception matches `exc` (a class or a tuple of them).
    fn err_exception_matches(vm: Self::Vm<'_>, exc: HPy) -> bool;
    fn err_clear(vm: Self::Vm<'_>);
    /// A new exception class named by the dotted `utf8_name`; `doc`, `base`
    /// and `dict` may be NULL.
    unsafe fn new_exception(vm: Self::Vm<'_>, utf8_name: *const c_char, utf8_doc: *const c_char, base: HPy, dict: HPy) -> HPy;
    /// Issues a warning; -1 when it was turned into an exception.
    unsafe fn warn(vm: Self::Vm<'_>, category: HPy, utf8_message: *const c_char, stack_level: HPy_ssize_t) -> c_int;
    /// Reports the pending exception as unraisable in the context of `obj`
    /// (NULL for none) and clears it.
    fn write_unraisable(vm: Self::Vm<'_>, obj: HPy);
    /// Appends `note` to the `__notes__` (PEP 678) of the pending exception,
    /// unless it is there already; nothing when none is pending. The
    /// exception stays pending and its message unchanged.
    fn note_pending_error(vm: Self::Vm<'_>, note: &str);
}
