//! RustPython operations behind the types context functions.
//!
//! Types from `HPyType_Spec` are made by [`crate::typeobj`].
//!
//! This host calls implementations directly and runs no CPython trampoline,
//! so it implements no trampoline conversions (the core's `NoTrampolines`
//! serves `CallRealFunctionFromTrampoline`).

use super::text::pinned_copy;
use crate::typeobj;
use super::*;
use core::ffi::{c_char, c_int, c_void};
use lichen_abi::*;
use lichen_core::host::{ExcKind, TypeHost};
use lichen_core::type_spec::TypeSpec;
use rustpython_vm::builtins::PyType;
use rustpython_vm::Py;

fn as_type<'a>(vm: &VirtualMachine, h: HPy, message: &str) -> Option<&'a Py<PyType>> {
    // SAFETY: the ABI requires a live handle.
    let obj = unsafe { h2o(h) };
    let ty = obj.downcast_ref::<PyType>();
    if ty.is_none() {
        fail(vm, ExcKind::TypeError, message, ());
    }
    ty
}

impl TypeHost for RustPython {
    unsafe fn type_from_spec(vm: &VirtualMachine, spec: &TypeSpec, ctx: *mut HPyContext) -> HPy {
        // SAFETY: the spec was checked by the core for an extension that
        // called HPyType_FromSpec through `ctx`.
        result_handle(unsafe { typeobj::type_from_spec(vm, spec, ctx) })
    }

    fn type_generic_new(vm: &VirtualMachine, ty: HPy) -> HPy {
        let mut data = core::ptr::null_mut();
        Self::new_instance(vm, ty, &mut data)
    }

    fn new_instance(vm: &VirtualMachine, ty: HPy, data: &mut *mut c_void) -> HPy {
        let Some(t) = as_type(vm, ty, "HPy_New arg 1 must be a type") else {
            return HPy::NULL;
        };
        let Some(info) = typeobj::info_of(t) else {
            let message = format!("HPy_New: '{}' is not a type made by HPyType_FromSpec", t.name());
            return fail(vm, ExcKind::TypeError, &message, HPy::NULL);
        };
        match typeobj::alloc(vm, t.to_owned(), info) {
            Ok((obj, storage)) => {
                *data = storage;
                o2h(obj)
            }
            Err(e) => {
                super::error::set_pending(e);
                HPy::NULL
            }
        }
    }

    fn as_struct(vm: &VirtualMachine, h: HPy, _shape: HPyType_BuiltinShape) -> *mut c_void {
        // SAFETY: the ABI requires a live handle.
        let obj = unsafe { h2o(h) };
        match typeobj::struct_of(vm, obj) {
            Ok(Some(p)) => p,
            Ok(None) => {
                let message = format!("HPy_AsStruct: '{}' object is not an instance of an HPy type", obj.class().name());
                fail(vm, ExcKind::TypeError, &message, core::ptr::null_mut())
            }
            Err(e) => {
                super::error::set_pending(e);
                core::ptr::null_mut()
            }
        }
    }

    fn type_builtin_shape(vm: &VirtualMachine, ty: HPy) -> HPyType_BuiltinShape {
        // Types not made from an HPy spec have what HPy calls the legacy shape.
        match as_type(vm, ty, "arg must be a type") {
            Some(t) => typeobj::info_of(t).map_or(HPyType_BuiltinShape::Legacy, |i| i.shape),
            None => HPyType_BuiltinShape(-2),
        }
    }

    fn type_name(vm: &VirtualMachine, ty: HPy) -> *const c_char {
        let Some(t) = as_type(vm, ty, "HPyType_GetName arg must be a type") else {
            return core::ptr::null();
        };
        // SAFETY: `ty` is a live handle (checked to be a type above).
        pinned_copy(unsafe { h2o(ty) }, t.name().as_bytes())
    }

    fn type_is_subtype(vm: &VirtualMachine, sub: HPy, ty: HPy) -> c_int {
        const MESSAGE: &str = "HPyType_IsSubtype arguments must be types";
        let (Some(a), Some(b)) = (as_type(vm, sub, MESSAGE), as_type(vm, ty, MESSAGE)) else {
            return -1;
        };
        c_int::from(a.fast_issubclass(b))
    }

    fn set_call_function(vm: &VirtualMachine, h: HPy, func: &HPyCallFunction) -> c_int {
        // SAFETY: the ABI requires a live handle.
        let obj = unsafe { h2o(h) };
        super::status(typeobj::set_call_function(vm, obj, func))
    }
}
