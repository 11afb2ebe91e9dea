//! Context functions: error.

use crate::prelude::*;

pub unsafe extern "C" fn Err_SetString<H: Host>(ctx: *mut HPyContext, _h_type: HPy, _utf8_message: *const c_char) -> () {
    unsupported::<H, _>(ctx, "Err_SetString")
}

pub unsafe extern "C" fn Err_SetObject<H: Host>(ctx: *mut HPyContext, _h_type: HPy, _h_value: HPy) -> () {
    unsupported::<H, _>(ctx, "Err_SetObject")
}

pub unsafe extern "C" fn Err_SetFromErrnoWithFilename<H: Host>(ctx: *mut HPyContext, _h_type: HPy, _filename_fsencoded: *const c_char) -> HPy {
    unsupported::<H, _>(ctx, "Err_SetFromErrnoWithFilename")
}

pub unsafe extern "C" fn Err_SetFromErrnoWithFilenameObjects<H: Host>(ctx: *mut HPyContext, _h_type: HPy, _filename1: HPy, _filename2: HPy) -> () {
    unsupported::<H, _>(ctx, "Err_SetFromErrnoWithFilenameObjects")
}

pub unsafe extern "C" fn Err_Occurred<H: Host>(ctx: *mut HPyContext) -> c_int {
    unsupported::<H, _>(ctx, "Err_Occurred")
}

pub unsafe extern "C" fn Err_ExceptionMatches<H: Host>(ctx: *mut HPyContext, _exc: HPy) -> c_int {
    unsupported::<H, _>(ctx, "Err_ExceptionMatches")
}

pub unsafe extern "C" fn Err_NoMemory<H: Host>(ctx: *mut HPyContext) -> () {
    unsupported::<H, _>(ctx, "Err_NoMemory")
}

pub unsafe extern "C" fn Err_Clear<H: Host>(ctx: *mut HPyContext) -> () {
    unsupported::<H, _>(ctx, "Err_Clear")
}

pub unsafe extern "C" fn Err_NewException<H: Host>(ctx: *mut HPyContext, _utf8_name: *const c_char, _base: HPy, _dict: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Err_NewException")
}

pub unsafe extern "C" fn Err_NewExceptionWithDoc<H: Host>(ctx: *mut HPyContext, _utf8_name: *const c_char, _utf8_doc: *const c_char, _base: HPy, _dict: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Err_NewExceptionWithDoc")
}

pub unsafe extern "C" fn Err_WarnEx<H: Host>(ctx: *mut HPyContext, _category: HPy, _utf8_message: *const c_char, _stack_level: HPy_ssize_t) -> c_int {
    unsupported::<H, _>(ctx, "Err_WarnEx")
}

pub unsafe extern "C" fn Err_WriteUnraisable<H: Host>(ctx: *mut HPyContext, _obj: HPy) -> () {
    unsupported::<H, _>(ctx, "Err_WriteUnraisable")
}
