//! CPython operations behind the types context functions, and the
//! conversions of `CallRealFunctionFromTrampoline`.
//!
//! An object a trampoline lends becomes a handle without a new reference:
//! the implementation must not close its arguments, and CPython keeps them
//! alive for the call. A returned handle owns a reference, which is exactly
//! what the trampoline must return.

use super::*;
use crate::hpytype::{head_size, nearest_extra, payload, shape_of};
use crate::typeobj::{self, init_vectorcall};
use core::ffi::{c_char, c_int, c_void};
use lichen_abi::*;
use lichen_core::host::{CapsuleParts, ErrorHost, ExcKind, HPyFunc_traverseproc, Obj, ObjectHost, TrampolineHost, TypeHost};
use lichen_core::type_spec::TypeSpec;
use std::ptr::null_mut;

/// What the visitor adapter passes on to CPython's visitor.
struct VisitArgs {
    visit: ffi::visitproc,
    arg: *mut c_void,
}

lichen_core::guarded_entry! { crate::host::raise_system_error;
unsafe extern "C" fn visit_field(field: *mut HPyField, args: *mut c_void) -> c_int {
    let args = &*(args as *const VisitArgs);
    let obj = stored((*field)._i);
    if obj.is_null() {
        return 0;
    }
    (args.visit)(obj, args.arg)
}
}

/// The type object behind `h`, or NULL after raising TypeError(`message`).
unsafe fn as_type(py: Python<'_>, h: HPy, message: &str) -> *mut ffi::PyTypeObject {
    // SAFETY: `py` proves the GIL is held and `h` is a
    // live handle or NULL, checked before `PyType_Check` reads the object.
    unsafe {
        let obj = h2py(h);
        if obj.is_null() || ffi::PyType_Check(obj) == 0 {
            CPython::raise(py, ExcKind::TypeError, message);
            return null_mut();
        }
        obj.cast()
    }
}

impl TrampolineHost for CPython {
    #[inline(always)]
    unsafe fn trampoline_arg(_py: Python<'_>, obj: Obj) -> HPy {
        py2h(obj.cast())
    }

    #[inline(always)]
    fn trampoline_arg_done(_py: Python<'_>, _h: HPy) {}

    #[inline(always)]
    fn trampoline_args_in_place<'a>(_py: Python<'_>, objs: &'a [Obj]) -> Option<&'a [HPy]> {
        // SAFETY: a handle is the object's address (`py2h`), and `HPy` is a
        // repr(C) struct of one pointer-sized integer, laid out as `Obj`.
        Some(unsafe { core::slice::from_raw_parts(objs.as_ptr().cast::<HPy>(), objs.len()) })
    }

    #[inline(always)]
    fn trampoline_result(_py: Python<'_>, h: HPy) -> Obj {
        h2py(h).cast()
    }

    unsafe fn tuple_items<'a>(_py: Python<'_>, tuple: Obj) -> &'a [Obj] {
        // SAFETY: `tuple_items`' contract: `tuple` is NULL or the live argument
        // tuple of a trampoline (a tuple: CPython passes tp_new/tp_init a
        // tuple), so its `ob_item` holds `n` objects that the tuple keeps alive
        // for the call, i.e. for `'a` as the caller uses it.
        unsafe {
            let t = tuple as *mut ffi::PyObject;
            if t.is_null() {
                return &[];
            }
            let n = ffi::PyTuple_GET_SIZE(t);
            if n <= 0 {
                return &[];
            }
            let items = (*(t as *mut ffi::PyTupleObject)).ob_item.as_ptr();
            core::slice::from_raw_parts(items as *const Obj, n as usize)
        }
    }

    unsafe fn kwnames_len(_py: Python<'_>, kwnames: Obj) -> usize {
        // SAFETY: `kwnames_len`' contract: `kwnames` is NULL or a vectorcall's
        // tuple of keyword names, which `PyTuple_GET_SIZE` reads.
        unsafe {
            let k = kwnames as *mut ffi::PyObject;
            if k.is_null() {
                0
            } else {
                ffi::PyTuple_GET_SIZE(k) as usize
            }
        }
    }

    #[inline(always)]
    fn vectorcall_nargs(_py: Python<'_>, nargsf: usize) -> usize {
        nargsf & !ffi::PY_VECTORCALL_ARGUMENTS_OFFSET
    }

    unsafe fn buffer_export(py: Python<'_>, src: &HPy_buffer, view: *mut c_void) {
        // SAFETY: `buffer_export`'s contract: `view` is the `Py_buffer` CPython
        // asked the getbuffer slot to fill (writable, not NULL), and `src` what
        // the implementation wrote; `as_pyobject` gives the view its own
        // reference to the exporter (`py` proves the GIL is held).
        unsafe {
            let view = &mut *(view as *mut ffi::Py_buffer);
            view.buf = src.buf;
            view.obj = CPython::as_pyobject(py, src.obj).cast();
            view.len = src.len;
            view.itemsize = src.itemsize;
            view.readonly = src.readonly;
            view.ndim = src.ndim;
            view.format = src.format;
            view.shape = src.shape;
            view.strides = src.strides;
            view.suboffsets = src.suboffsets;
            view.internal = src.internal;
        }
    }

    unsafe fn buffer_export_failed(_py: Python<'_>, view: *mut c_void) {
        // SAFETY: `buffer_export_failed`'s contract: `view` is the `Py_buffer`
        // a failed getbuffer was asked to fill, writable.
        unsafe {
            (*(view as *mut ffi::Py_buffer)).obj = null_mut();
        }
    }

    unsafe fn buffer_import(py: Python<'_>, view: *const c_void) -> HPy_buffer {
        // SAFETY: `buffer_import`'s contract: `view` points to a `Py_buffer` an
        // earlier getbuffer filled, readable; `new_ref` takes a reference to
        // its `obj` (`py` proves the GIL is held) for the caller to close.
        unsafe {
            let view = &*(view as *const ffi::Py_buffer);
            HPy_buffer {
                buf: view.buf,
                obj: new_ref(py, view.obj),
                len: view.len,
                itemsize: view.itemsize,
                readonly: view.readonly,
                ndim: view.ndim,
                format: view.format,
                shape: view.shape,
                strides: view.strides,
                suboffsets: view.suboffsets,
                internal: view.internal,
            }
        }
    }

    unsafe fn traverse(_py: Python<'_>, f: HPyFunc_traverseproc, self_: Obj, visit: *mut c_void, arg: *mut c_void) -> c_int {
        // SAFETY: `traverse`'s contract: `f` is the type's HPy traverse
        // implementation and `self_` a live object of that type, whose struct
        // `payload` finds; a non-NULL `visit` is CPython's `visitproc` passed
        // through the trampoline as an untyped pointer, and `arg` its argument,
        // both used only during this call through `visit_field`.
        unsafe {
            if visit.is_null() {
                return 0;
            }
            // SAFETY: the trampoline passes CPython's visitproc as `visit`.
            let visit: ffi::visitproc = core::mem::transmute(visit);
            let mut args = VisitArgs { visit, arg };
            f(payload(self_.cast()), Some(visit_field), (&mut args as *mut VisitArgs).cast())
        }
    }

    unsafe fn capsule_parts(_py: Python<'_>, capsule: Obj) -> CapsuleParts {
        // SAFETY: `capsule_parts`' contract: `capsule` is the live capsule
        // being destroyed, which the PyCapsule getters read (its name is passed
        // back to `GetPointer`, so the name check passes).
        unsafe {
            let c = capsule as *mut ffi::PyObject;
            let name = ffi::PyCapsule_GetName(c);
            CapsuleParts { name, pointer: ffi::PyCapsule_GetPointer(c, name), context: ffi::PyCapsule_GetContext(c) }
        }
    }

    unsafe fn check_mod_create_result(py: Python<'_>, result: &mut Obj) {
        // SAFETY: `check_mod_create_result`'s contract: `*result` is NULL or
        // the new reference an `HPy_mod_create` implementation returned; `py`
        // proves the GIL is held, so a module object can be released and an
        // error raised.
        unsafe {
            let r = *result as *mut ffi::PyObject;
            if !r.is_null() && ffi::PyModule_Check(r) != 0 {
                ffi::Py_DECREF(r);
                *result = null_mut();
                CPython::raise(
                    py,
                    ExcKind::SystemError,
                    "HPy_mod_create slot returned a builtin module object. This is currently not supported.",
                );
            }
        }
    }

}

impl TypeHost for CPython {
    unsafe fn type_from_spec(py: Python<'_>, spec: &TypeSpec, _ctx: *mut HPyContext) -> HPy {
        // SAFETY: `spec` is the
        // core's checked spec, whose pointers (names, arrays, the extension's
        // functions) live as long as the extension: what
        // `typeobj::type_from_spec` requires.
        unsafe {
            // The type's slots are the extension's trampolines, which pass the
            // context the extension was loaded with themselves.
            py2h(typeobj::type_from_spec(py, spec))
        }
    }

    fn type_generic_new(py: Python<'_>, ty: HPy) -> HPy {
        // SAFETY: `py` proves the GIL is held; the type is checked before use.
        unsafe {
            let tp = as_type(py, ty, "HPy_Type_GenericNew arg 1 must be a type");
            if tp.is_null() {
                return HPy::NULL;
            }
            let alloc = (*tp).tp_alloc.unwrap_or(ffi::PyType_GenericAlloc);
            py2h(alloc(tp, 0))
        }
    }

    fn new_instance(py: Python<'_>, ty: HPy, data: &mut *mut c_void) -> HPy {
        // SAFETY: `py` proves the GIL is held; the type is checked before use. The
        // allocation is zeroed and GC-tracked by PyType_GenericAlloc, so the
        // collector only ever sees NULL fields until the caller fills them.
        unsafe {
            let tp = as_type(py, ty, "HPy_New arg 1 must be a type");
            if tp.is_null() {
                return HPy::NULL;
            }
            let obj = ffi::PyType_GenericAlloc(tp, 0);
            if obj.is_null() {
                return HPy::NULL;
            }
            let extra = nearest_extra(tp);
            init_vectorcall(tp, obj, extra);
            *data = (obj as *mut u8).offset(extra.map_or(0, |e| e.head)).cast();
            py2h(obj)
        }
    }

    fn as_struct(_py: Python<'_>, h: HPy, shape: HPyType_BuiltinShape) -> *mut c_void {
        let obj = h2py(h) as *mut u8;
        // SAFETY: the ABI requires `h` to be an instance of a type of
        // `shape`, whose storage starts at this offset.
        unsafe { obj.offset(head_size(shape).max(0)).cast() }
    }

    fn type_builtin_shape(py: Python<'_>, ty: HPy) -> HPyType_BuiltinShape {
        // SAFETY: `py` proves the GIL is held; the type is checked before use.
        unsafe {
            let tp = as_type(py, ty, "arg must be a type");
            if tp.is_null() {
                return HPyType_BuiltinShape(-2);
            }
            shape_of(tp)
        }
    }

    fn type_name(py: Python<'_>, ty: HPy) -> *const c_char {
        // SAFETY: `py` proves the GIL is held; the type is checked before use; the
        // returned buffer belongs to the type's name object.
        unsafe {
            let tp = as_type(py, ty, "HPyType_GetName arg must be a type");
            if tp.is_null() {
                return core::ptr::null();
            }
            if ffi::PyType_HasFeature(tp, ffi::Py_TPFLAGS_HEAPTYPE) != 0 {
                return ffi::PyUnicode_AsUTF8((*(tp as *mut ffi::PyHeapTypeObject)).ht_name);
            }
            let full = core::ffi::CStr::from_ptr((*tp).tp_name).to_bytes();
            match full.iter().rposition(|&b| b == b'.') {
                Some(i) => (*tp).tp_name.add(i + 1),
                None => (*tp).tp_name,
            }
        }
    }

    fn type_is_subtype(py: Python<'_>, sub: HPy, ty: HPy) -> c_int {
        // SAFETY: `py` proves the GIL is held; both types are checked before use.
        unsafe {
            let a = as_type(py, sub, "HPyType_IsSubtype arguments must be types");
            if a.is_null() {
                return -1;
            }
            let b = as_type(py, ty, "HPyType_IsSubtype arguments must be types");
            if b.is_null() {
                return -1;
            }
            ffi::PyType_IsSubtype(a, b)
        }
    }

    fn set_call_function(_py: Python<'_>, h: HPy, func: &HPyCallFunction) -> c_int {
        // SAFETY: `_py` proves the GIL is held; the offset is the type's vectorcall slot,
        // inside every instance of a type with HAVE_VECTORCALL.
        unsafe {
            let obj = h2py(h);
            let tp = ffi::Py_TYPE(obj);
            if ffi::PyType_HasFeature(tp, ffi::Py_TPFLAGS_HAVE_VECTORCALL) == 0 || (*tp).tp_vectorcall_offset <= 0 {
                ffi::PyErr_Format(
                    ffi::PyExc_TypeError,
                    c"type '%.50s does not implement the HPy call protocol".as_ptr(),
                    (*tp).tp_name,
                );
                return -1;
            }
            let f = core::mem::transmute::<CpyFunction, Option<ffi::vectorcallfunc>>(func.cpy_trampoline);
            let slot = (obj as *mut u8).offset((*tp).tp_vectorcall_offset) as *mut Option<ffi::vectorcallfunc>;
            slot.write_unaligned(f);
            0
        }
    }
}
