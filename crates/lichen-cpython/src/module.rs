//! Module objects from HPy module definitions.

use crate::host::error::exc_class;
use core::ffi::c_int;
use lichen_abi::*;
use lichen_core::spec::{module_spec, ModuleSpec, SpecError};
use pyo3::ffi;
use std::ptr::null_mut;

/// Sets the Python error for a refused definition.
pub unsafe fn raise_spec_error(e: &SpecError) {
    // SAFETY: the GIL is held by the caller (every loader path runs with it);
    // `exc_class` gives a live exception class and the message is a NUL-
    // terminated CString alive for the call.
    unsafe {
        let msg = std::ffi::CString::new(e.message.replace('\0', "")).unwrap();
        ffi::PyErr_SetString(exc_class(e.kind), msg.as_ptr());
    }
}

/// The CPython calling convention of an HPy method signature.
pub fn meth_flags(sig: HPyFunc_Signature) -> Option<c_int> {
    Some(match sig {
        HPyFunc_Signature::VARARGS => ffi::METH_FASTCALL,
        HPyFunc_Signature::KEYWORDS => ffi::METH_FASTCALL | ffi::METH_KEYWORDS,
        HPyFunc_Signature::NOARGS => ffi::METH_NOARGS,
        HPyFunc_Signature::O => ffi::METH_O,
        _ => return None,
    })
}

/// The `PyMethodDef`s of the HPy methods, whose CPython entry points are
/// the trampolines compiled into the extension, followed by the legacy
/// methods of a hybrid extension; no sentinel.
pub unsafe fn method_def_list(methods: &[&HPyMeth], legacy: *mut core::ffi::c_void) -> Vec<ffi::PyMethodDef> {
    // SAFETY: the caller passes `methods` from a checked module spec (each
    // trampoline has the CPython signature its `flags` say) and `legacy` NULL
    // or a `PyMethodDef` array ended by a NULL name (HPy's contract for
    // `legacy_methods`), read up to that end.
    unsafe {
        let mut out: Vec<ffi::PyMethodDef> = Vec::with_capacity(methods.len() + 1);
        for m in methods {
            let flags = meth_flags(m.signature).expect("checked by the spec reader");
            out.push(ffi::PyMethodDef {
                ml_name: m.name,
                // SAFETY: the trampoline has the CPython signature that `flags` announces.
                ml_meth: core::mem::transmute::<CpyFunction, ffi::PyMethodDefPointer>(m.cpy_trampoline),
                ml_flags: flags,
                ml_doc: m.doc,
            });
        }
        let mut legacy = legacy as *mut ffi::PyMethodDef;
        while !legacy.is_null() && !(*legacy).ml_name.is_null() {
            out.push(std::ptr::read(legacy));
            legacy = legacy.add(1);
        }
        out
    }
}

/// [`method_def_list`] as a NULL-terminated `PyMethodDef[]`. Leaked: the
/// module keeps pointing at it.
pub unsafe fn method_defs(methods: &[&HPyMeth], legacy: *mut core::ffi::c_void) -> *mut ffi::PyMethodDef {
    // SAFETY: `method_def_list`'s contract, which `method_defs`' caller upholds
    // (see there).
    unsafe {
        let mut out = method_def_list(methods, legacy);
        out.push(ffi::PyMethodDef::zeroed());
        Box::leak(out.into_boxed_slice()).as_mut_ptr()
    }
}

fn module_slots(spec: &ModuleSpec) -> *mut ffi::PyModuleDef_Slot {
    let mut slots = Vec::new();
    if let Some(create) = spec.create {
        slots.push(ffi::PyModuleDef_Slot {
            slot: ffi::Py_mod_create,
            value: create.cpy_trampoline.map_or(null_mut(), |f| f as *mut _),
        });
    }
    for exec in &spec.execs {
        slots.push(ffi::PyModuleDef_Slot {
            slot: ffi::Py_mod_exec,
            value: exec.cpy_trampoline.map_or(null_mut(), |f| f as *mut _),
        });
    }
    slots.push(ffi::PyModuleDef_Slot { slot: 0, value: null_mut() });
    Box::leak(slots.into_boxed_slice()).as_mut_ptr()
}

/// The `PyModuleDef` for an HPy module definition, or NULL with an error set.
/// Leaked: CPython keeps a pointer to it in the module.
pub unsafe fn py_module_def(def: *mut HPyModuleDef) -> *mut ffi::PyModuleDef {
    // SAFETY: the GIL is held and `def` points to the extension's valid
    // HPyModuleDef, living as long as the extension (HPy's contract for
    // `HPyInit_`): `module_spec` reads it, its `globals` are the extension's
    // writable HPyGlobal variables, and `method_defs` gets the checked methods
    // and the legacy array.
    unsafe {
        let spec = match module_spec(def) {
            Ok(spec) => spec,
            Err(e) => {
                raise_spec_error(&e);
                return null_mut();
            }
        };
        for &g in &spec.globals {
            *g = HPyGlobal::NULL;
        }
        let pydef = ffi::PyModuleDef {
            m_base: ffi::PyModuleDef_HEAD_INIT,
            m_name: null_mut(),
            m_doc: spec.doc,
            m_size: 0,
            m_methods: method_defs(&spec.methods, spec.legacy_methods),
            m_slots: module_slots(&spec),
            m_traverse: None,
            m_clear: None,
            m_free: None,
        };
        Box::into_raw(Box::new(pydef))
    }
}

/// Creates and executes the module for `def`, as CPython does for multi-phase
/// init. Returns a new reference or NULL with an error set.
pub unsafe fn create_module(
    def: *mut HPyModuleDef,
    spec: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: the GIL is held, `def` is the extension's valid HPyModuleDef
    // (`py_module_def`'s condition) and `spec` the live ModuleSpec object;
    // `PyModule_FromDefAndSpec` and `PyModule_ExecDef` get the leaked
    // `PyModuleDef` made from it, and the new module is released on failure.
    unsafe {
        let pydef = py_module_def(def);
        if pydef.is_null() {
            return null_mut();
        }
        let module = ffi::PyModule_FromDefAndSpec(pydef, spec);
        if module.is_null() {
            return null_mut();
        }
        if ffi::PyModule_Check(module) != 0 && ffi::PyModule_ExecDef(module, pydef) != 0 {
            ffi::Py_DECREF(module);
            return null_mut();
        }
        module
    }
}
