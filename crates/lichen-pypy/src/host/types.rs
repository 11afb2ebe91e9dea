//! PyPy operations behind the types context functions. Classes are made by
//! Python from the checked spec (python/lichen/_pypy/types.py); an
//! instance's struct is a cffi buffer the object holds, whose address the
//! object table learns with the object's handle.

use super::*;
use crate::callbacks::py;
use crate::table::DataKind;
use crate::typedef;
use core::ffi::{c_char, c_int, c_void};
use lichen_abi::*;
use lichen_core::host::TypeHost;
use lichen_core::type_spec::TypeSpec;

/// The struct of the object of `h`, asking Python the first time.
pub fn payload_of(h: HPy) -> *mut c_void {
    match table::data_of(h) {
        (DataKind::Payload, data) => data,
        (DataKind::Unknown, _) => {
            let mut class = 0isize;
            let data = py!(native_data(h._i, DataKind::Payload as c_int, &raw mut class));
            let kind = if data.is_null() { DataKind::None } else { DataKind::Payload };
            table::set_data(h, kind, data, class as usize);
            data
        }
        _ => core::ptr::null_mut(),
    }
}

impl TypeHost for PyPy {
    unsafe fn type_from_spec(spec: &TypeSpec, ctx: *mut HPyContext) -> HPy {
        match typedef::type_def(spec, ctx) {
            Ok(parts) => h(py!(type_from_def(&raw const parts.def))),
            Err(e) => super::error::fail(e.kind, &e.message, HPy::NULL),
        }
    }

    fn type_generic_new(ty: HPy) -> HPy {
        h(py!(new_instance(ty._i)))
    }

    fn new_instance(ty: HPy, data: &mut *mut c_void) -> HPy {
        let obj = h(py!(new_instance(ty._i)));
        if !obj.is_null() {
            *data = payload_of(obj);
        }
        obj
    }

    fn as_struct(h: HPy, _shape: HPyType_BuiltinShape) -> *mut c_void {
        payload_of(h)
    }

    fn type_builtin_shape(ty: HPy) -> HPyType_BuiltinShape {
        match py!(type_builtin_shape(ty._i)) {
            // the callback's error value; HPy's is -2
            -1 if super::error::occurred() => HPyType_BuiltinShape(-2),
            s => HPyType_BuiltinShape(s),
        }
    }

    fn type_name(ty: HPy) -> *const c_char {
        py!(type_name(ty._i))
    }

    fn type_is_subtype(sub: HPy, ty: HPy) -> c_int {
        py!(type_is_subtype(sub._i, ty._i))
    }

    fn set_call_function(h: HPy, func: &HPyCallFunction) -> c_int {
        let impl_ = func.impl_.map_or(core::ptr::null_mut(), |f| f as *mut c_void);
        py!(set_call_function(h._i, impl_))
    }
}
