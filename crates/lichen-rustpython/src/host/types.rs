//! RustPython operations behind the types context functions.
//!
//! Types from `HPyType_Spec` are not built on this host yet: those context
//! functions raise `NotImplementedError` naming themselves.
//!
//! The trampoline conversions serve `CallRealFunctionFromTrampoline`, which
//! only CPython calls (through the CPython-ABI trampolines compiled into an
//! extension). This host calls implementations directly, so reaching them
//! means foreign code called a trampoline with objects that are not
//! CPython's: nothing sound can be done with those, so the process stops
//! with a message saying why.

use super::text::pinned_copy;
use super::*;
use core::ffi::{c_char, c_int, c_void};
use lichen_abi::*;
use lichen_core::host::{CapsuleParts, ExcKind, HPyFunc_traverseproc, Obj, TypeHost};
use lichen_core::type_spec::TypeSpec;
use rustpython_vm::builtins::PyType;
use rustpython_vm::Py;

fn no_trampolines() -> ! {
    eprintln!(
        "Fatal Python error: HPy CallRealFunctionFromTrampoline: the RustPython host calls \
         HPy implementations directly; a CPython trampoline cannot run on it"
    );
    std::process::abort()
}

fn as_type<'a>(h: HPy, message: &str) -> Option<&'a Py<PyType>> {
    // SAFETY: the ABI requires a live handle.
    let obj = unsafe { h2o(h) };
    let ty = obj.downcast_ref::<PyType>();
    if ty.is_none() {
        fail(ExcKind::TypeError, message, ());
    }
    ty
}

impl TypeHost for RustPython {
    unsafe fn trampoline_arg(_obj: Obj) -> HPy {
        no_trampolines()
    }

    fn trampoline_arg_done(_h: HPy) {
        no_trampolines()
    }

    fn trampoline_result(_h: HPy) -> Obj {
        no_trampolines()
    }

    unsafe fn tuple_items<'a>(_tuple: Obj) -> &'a [Obj] {
        no_trampolines()
    }

    unsafe fn kwnames_len(_kwnames: Obj) -> usize {
        no_trampolines()
    }

    fn vectorcall_nargs(_nargsf: usize) -> usize {
        no_trampolines()
    }

    unsafe fn buffer_export(_src: &HPy_buffer, _view: *mut c_void) {
        no_trampolines()
    }

    unsafe fn buffer_export_failed(_view: *mut c_void) {
        no_trampolines()
    }

    unsafe fn buffer_import(_view: *const c_void) -> HPy_buffer {
        no_trampolines()
    }

    unsafe fn traverse(_f: HPyFunc_traverseproc, _self: Obj, _visit: *mut c_void, _arg: *mut c_void) -> c_int {
        no_trampolines()
    }

    unsafe fn capsule_parts(_capsule: Obj) -> CapsuleParts {
        no_trampolines()
    }

    unsafe fn check_mod_create_result(_result: &mut Obj) {
        no_trampolines()
    }

    unsafe fn type_from_spec(_spec: &TypeSpec) -> HPy {
        object::not_supported("HPyType_FromSpec", HPy::NULL)
    }

    fn type_generic_new(_ty: HPy) -> HPy {
        object::not_supported("HPyType_GenericNew", HPy::NULL)
    }

    fn new_instance(_ty: HPy, _data: &mut *mut c_void) -> HPy {
        object::not_supported("HPy_New", HPy::NULL)
    }

    fn as_struct(_h: HPy, shape: HPyType_BuiltinShape) -> *mut c_void {
        let name = match shape {
            HPyType_BuiltinShape::Legacy => "HPy_AsStruct_Legacy",
            HPyType_BuiltinShape::Type => "HPy_AsStruct_Type",
            HPyType_BuiltinShape::Long => "HPy_AsStruct_Long",
            HPyType_BuiltinShape::Float => "HPy_AsStruct_Float",
            HPyType_BuiltinShape::Unicode => "HPy_AsStruct_Unicode",
            HPyType_BuiltinShape::Tuple => "HPy_AsStruct_Tuple",
            HPyType_BuiltinShape::List => "HPy_AsStruct_List",
            _ => "HPy_AsStruct_Object",
        };
        object::not_supported(name, core::ptr::null_mut())
    }

    fn type_builtin_shape(ty: HPy) -> HPyType_BuiltinShape {
        // Every type on this host is a RustPython type, none made from an
        // HPy spec, which HPy calls the legacy shape.
        match as_type(ty, "arg must be a type") {
            Some(_) => HPyType_BuiltinShape::Legacy,
            None => HPyType_BuiltinShape(-2),
        }
    }

    fn type_name(ty: HPy) -> *const c_char {
        let Some(t) = as_type(ty, "HPyType_GetName arg must be a type") else {
            return core::ptr::null();
        };
        // SAFETY: `ty` is a live handle (checked to be a type above).
        pinned_copy(unsafe { h2o(ty) }, t.name().as_bytes())
    }

    fn type_is_subtype(sub: HPy, ty: HPy) -> c_int {
        const MESSAGE: &str = "HPyType_IsSubtype arguments must be types";
        let (Some(a), Some(b)) = (as_type(sub, MESSAGE), as_type(ty, MESSAGE)) else {
            return -1;
        };
        c_int::from(a.fast_issubclass(b))
    }

    fn set_call_function(_h: HPy, _func: &HPyCallFunction) -> c_int {
        object::not_supported("HPy_SetCallFunction", -1)
    }
}
