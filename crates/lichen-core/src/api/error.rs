//! Context functions: error.
//!
//! The C strings handed on to the host come from the extension, which the
//! ABI obliges to pass valid ones.

use crate::prelude::*;

pub unsafe fn Err_SetString<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h_type: HPy, utf8_message: *const c_char) {
    // SAFETY: HPy requires `utf8_message` to be a NUL-terminated string, which
    // is what `err_set_string` reads.
    unsafe {
        H::err_set_string(vm, h_type, utf8_message)
    }
}

pub unsafe fn Err_SetObject<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h_type: HPy, h_value: HPy) {
    H::err_set_object(vm, h_type, h_value)
}

/// Always returns NULL, so that callers can `return HPyErr_SetFrom...(...)`.
pub unsafe fn Err_SetFromErrnoWithFilename<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h_type: HPy, filename_fsencoded: *const c_char) -> HPy {
    // SAFETY: HPy requires `filename_fsencoded` to be NULL or a NUL-terminated
    // string, which is `err_set_from_errno`'s contract.
    unsafe {
        H::err_set_from_errno(vm, h_type, filename_fsencoded);
        HPy::NULL
    }
}

pub unsafe fn Err_SetFromErrnoWithFilenameObjects<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h_type: HPy, filename1: HPy, filename2: HPy) {
    H::err_set_from_errno_objects(vm, h_type, filename1, filename2)
}

pub unsafe fn Err_Occurred<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext) -> c_int {
    H::err_occurred(vm) as c_int
}

pub unsafe fn Err_ExceptionMatches<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, exc: HPy) -> c_int {
    H::err_exception_matches(vm, exc) as c_int
}

pub unsafe fn Err_NoMemory<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext) {
    H::err_no_memory(vm)
}

pub unsafe fn Err_Clear<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext) {
    H::err_clear(vm)
}

pub unsafe fn Err_NewException<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, utf8_name: *const c_char, base: HPy, dict: HPy) -> HPy {
    // SAFETY: HPy requires `utf8_name` to be a NUL-terminated dotted name; NULL
    // is passed as the doc and `dict` is checked to be a dict or NULL above:
    // `new_exception`'s contract.
    unsafe {
        if !dict_or_null::<H>(vm, dict) {
            return dict_required::<H>(vm, "HPyErr_NewException");
        }
        H::new_exception(vm, utf8_name, core::ptr::null(), base, dict)
    }
}

pub unsafe fn Err_NewExceptionWithDoc<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, utf8_name: *const c_char, utf8_doc: *const c_char, base: HPy, dict: HPy) -> HPy {
    // SAFETY: HPy requires `utf8_name` to be NUL-terminated and `utf8_doc` NULL
    // or NUL-terminated; `dict` is checked to be a dict or NULL above:
    // `new_exception`'s contract.
    unsafe {
        if !dict_or_null::<H>(vm, dict) {
            return dict_required::<H>(vm, "HPyErr_NewExceptionWithDoc");
        }
        H::new_exception(vm, utf8_name, utf8_doc, base, dict)
    }
}

/// CPython's `PyErr_NewException` reads `dict` as a dict without checking
/// (another object crashes it), so the check is made here for every host.
fn dict_or_null<H: Host>(vm: H::Vm<'_>, dict: HPy) -> bool {
    dict.is_null() || H::is_kind(vm, dict, ObjectKind::Dict)
}

#[cold]
fn dict_required<H: Host>(vm: H::Vm<'_>, function: &str) -> HPy {
    H::raise(vm, ExcKind::TypeError, &format!("{function} requires dict to be a dict or null handle"));
    HPy::NULL
}

pub unsafe fn Err_WarnEx<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, category: HPy, utf8_message: *const c_char, stack_level: HPy_ssize_t) -> c_int {
    // SAFETY: HPy requires `utf8_message` to be a NUL-terminated string, which
    // is what `warn` reads.
    unsafe {
        H::warn(vm, category, utf8_message, stack_level)
    }
}

pub unsafe fn Err_WriteUnraisable<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, obj: HPy) {
    H::write_unraisable(vm, obj)
}
