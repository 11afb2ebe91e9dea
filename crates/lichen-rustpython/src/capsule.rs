//! `HPyCapsule`: an object carrying a C pointer, a name, a context pointer
//! and a destructor, as CPython's `PyCapsule`. RustPython's own capsule type
//! cannot hold an HPy destructor, so this host has its own class, which is
//! also what the context's `CapsuleType` constant stands for.

use core::ffi::{c_char, c_void, CStr};
use lichen_abi::{HPyCapsule_Destructor, HPyFunc_Capsule_Destructor};
use rustpython_vm::class::{PyClassImpl, StaticType};
use rustpython_vm::types::Representable;
use rustpython_vm::{Py, PyResult, VirtualMachine};
use std::sync::Mutex;

/// The mutable state of a capsule.
#[derive(Debug, Clone, Copy)]
pub struct Parts {
    pub pointer: *mut c_void,
    pub name: *const c_char,
    pub context: *mut c_void,
    pub destructor: HPyFunc_Capsule_Destructor,
}

/// The pointers are the extension's; the capsule only hands them back.
struct Cell(Mutex<Parts>);
// SAFETY: the pointers are opaque values owned by the extension; the mutex
// serialises reads and writes of the capsule's own fields.
unsafe impl Send for Cell {}
unsafe impl Sync for Cell {}

impl core::fmt::Debug for Cell {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Capsule")
    }
}

#[rustpython_vm::pyclass(module = false, name = "PyCapsule")]
#[derive(Debug, rustpython_vm::PyPayload)]
pub struct Capsule {
    cell: Cell,
}

#[rustpython_vm::pyclass(with(Representable))]
impl Capsule {}

impl Representable for Capsule {
    fn repr_str(zelf: &Py<Self>, _vm: &VirtualMachine) -> PyResult<String> {
        let name = zelf.parts().name;
        let address = zelf as *const Py<Self> as usize;
        Ok(if name.is_null() {
            format!("<capsule object NULL at {address:#x}>")
        } else {
            // SAFETY: a capsule's name is NUL-terminated and outlives it.
            let name = unsafe { CStr::from_ptr(name) }.to_string_lossy();
            format!("<capsule object \"{name}\" at {address:#x}>")
        })
    }
}

impl Capsule {
    pub fn new(pointer: *mut c_void, name: *const c_char, destructor: Option<&HPyCapsule_Destructor>) -> Capsule {
        let destructor = destructor.and_then(|d| d.impl_);
        Capsule { cell: Cell(Mutex::new(Parts { pointer, name, context: core::ptr::null_mut(), destructor })) }
    }

    pub fn parts(&self) -> Parts {
        *self.cell.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn update(&self, f: impl FnOnce(&mut Parts)) {
        f(&mut self.cell.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl Drop for Capsule {
    fn drop(&mut self) {
        let p = self.parts();
        if let Some(destructor) = p.destructor {
            // SAFETY: the extension registered this destructor for exactly
            // these values, to be called once when the capsule dies.
            unsafe { destructor(p.name, p.pointer, p.context) };
        }
    }
}

/// The capsule class.
pub fn class() -> &'static Py<rustpython_vm::builtins::PyType> {
    Capsule::make_static_type();
    Capsule::static_type()
}

/// Whether two capsule names are equal (both NULL, or the same string).
///
/// # Safety
/// Both must be NULL or NUL-terminated.
pub unsafe fn same_name(a: *const c_char, b: *const c_char) -> bool {
    match (a.is_null(), b.is_null()) {
        (true, true) => true,
        // SAFETY: neither is NULL in this arm, so both are NUL-terminated
        // (this function's contract), all `CStr::from_ptr` needs.
        (false, false) => unsafe { CStr::from_ptr(a) == CStr::from_ptr(b) },
        _ => false,
    }
}

