//! Capsules: a PyPy object (`Capsule` in python/lichen/_pypy/runtime.py)
//! whose native storage is a [`CapsuleData`], so that reading and changing a
//! capsule, which extensions do on every use of a C API they export, never
//! calls into PyPy. Checks and messages are CPython's `PyCapsule_*`.

use crate::callbacks::py;
use crate::host::error::fail;
use crate::host::h;
use crate::table::{self, DataKind};
use core::ffi::{c_char, c_int, c_void, CStr};
use lichen_abi::{HPy, HPyCapsule_Destructor, HPyFunc_Capsule_Destructor};
use lichen_core::host::{CapsuleField, ExcKind};

/// A capsule's state. `name` is the extension's string (it must outlive the
/// capsule, as in CPython).
pub struct CapsuleData {
    pointer: *mut c_void,
    name: *const c_char,
    context: *mut c_void,
    destructor: HPyFunc_Capsule_Destructor,
    /// Tells a `CapsuleData` from other native storage handed back by Python.
    magic: u64,
}

const MAGIC: u64 = 0x4c69_6368_656e_4361; // "LichenCa"

/// Makes a capsule object.
///
/// # Safety
/// `name` must be NULL or a NUL-terminated string that outlives the capsule.
pub unsafe fn new(pointer: *mut c_void, name: *const c_char, destructor: Option<&HPyCapsule_Destructor>) -> HPy {
    if pointer.is_null() {
        return fail(ExcKind::ValueError, "HPyCapsule_New called with null pointer", HPy::NULL);
    }
    let data = Box::new(CapsuleData {
        pointer,
        name,
        context: core::ptr::null_mut(),
        destructor: destructor.and_then(|d| d.impl_),
        magic: MAGIC,
    });
    let raw = Box::into_raw(data);
    let capsule = h(py!(capsule_new(raw.cast())));
    if capsule.is_null() {
        // SAFETY: Python made no object for it, so nothing else owns it.
        drop(unsafe { Box::from_raw(raw) });
    }
    capsule
}

/// The state of the capsule `h`, if it is one.
fn data_of<'a>(h: HPy) -> Option<&'a mut CapsuleData> {
    let (kind, data) = table::data_of(h);
    let data = match kind {
        DataKind::Capsule => data,
        DataKind::Unknown => {
            let data = py!(native_data(h._i, DataKind::Capsule as c_int, core::ptr::null_mut()));
            table::set_data(h, if data.is_null() { DataKind::None } else { DataKind::Capsule }, data, 0);
            data
        }
        _ => return None,
    };
    // SAFETY: Python hands back, for a Capsule object, the `CapsuleData`
    // it was made with, which lives until the object's finalizer frees it
    // (after every handle to it is gone); the extension lock is held.
    let data = unsafe { data.cast::<CapsuleData>().as_mut() }?;
    (data.magic == MAGIC).then_some(data)
}

/// Whether two capsule names are the same (both NULL, or equal strings).
///
/// # Safety
/// Both must be NULL or NUL-terminated.
unsafe fn same_name(a: *const c_char, b: *const c_char) -> bool {
    match (a.is_null(), b.is_null()) {
        (true, true) => true,
        // SAFETY: both are non-NULL here, and NUL-terminated (this
        // function's `# Safety`).
        (false, false) => unsafe { CStr::from_ptr(a) == CStr::from_ptr(b) },
        _ => false,
    }
}

fn invalid<T>(function: &str, value: T) -> T {
    fail(ExcKind::ValueError, &format!("{function} called with invalid PyCapsule object"), value)
}

/// # Safety
/// `name` must be NULL or NUL-terminated.
pub unsafe fn get(capsule: HPy, field: CapsuleField, name: *const c_char) -> *mut c_void {
    let null = core::ptr::null_mut();
    let Some(d) = data_of(capsule) else {
        let function = match field {
            CapsuleField::Pointer => "PyCapsule_GetPointer",
            CapsuleField::Name => "PyCapsule_GetName",
            CapsuleField::Context => "PyCapsule_GetContext",
        };
        return invalid(function, null);
    };
    match field {
        // SAFETY: `name` is NULL or NUL-terminated (this function's
        // `# Safety`); `d.name` is the name given to `new` or `set`, NULL
        // or NUL-terminated and outliving the capsule (their `# Safety`).
        CapsuleField::Pointer if !unsafe { same_name(d.name, name) } => {
            fail(ExcKind::ValueError, "PyCapsule_GetPointer called with incorrect name", null)
        }
        CapsuleField::Pointer => d.pointer,
        CapsuleField::Name => d.name as *mut c_void,
        CapsuleField::Context => d.context,
    }
}

/// # Safety
/// A name set must outlive the capsule.
pub unsafe fn set(capsule: HPy, field: CapsuleField, value: *mut c_void) -> c_int {
    let Some(d) = data_of(capsule) else {
        let function = match field {
            CapsuleField::Pointer => "PyCapsule_SetPointer",
            CapsuleField::Name => "PyCapsule_SetName",
            CapsuleField::Context => "PyCapsule_SetContext",
        };
        return invalid(function, -1);
    };
    match field {
        CapsuleField::Pointer if value.is_null() => {
            return fail(ExcKind::ValueError, "PyCapsule_SetPointer called with null pointer", -1)
        }
        CapsuleField::Pointer => d.pointer = value,
        CapsuleField::Name => d.name = value as *const c_char,
        CapsuleField::Context => d.context = value,
    }
    0
}

pub fn set_destructor(capsule: HPy, destructor: Option<&HPyCapsule_Destructor>) -> c_int {
    match data_of(capsule) {
        Some(d) => {
            d.destructor = destructor.and_then(|d| d.impl_);
            0
        }
        None => invalid("PyCapsule_SetDestructor", -1),
    }
}

/// # Safety
/// `name` must be NULL or NUL-terminated.
pub unsafe fn is_valid(capsule: HPy, name: *const c_char) -> c_int {
    // SAFETY: `name` is NULL or NUL-terminated (this function's `# Safety`),
    // `d.name` as given to `new` or `set` (NULL or NUL-terminated, outliving
    // the capsule by their `# Safety`).
    data_of(capsule).is_some_and(|d| !d.pointer.is_null() && unsafe { same_name(d.name, name) }) as c_int
}

/// Runs the destructor of a capsule Python no longer references and frees
/// its state.
///
/// # Safety
/// `data` must be a `CapsuleData` made by [`new`], freed only here, once.
pub unsafe fn free(data: *mut c_void) {
    // SAFETY: `data` is the box of a `CapsuleData` that `new` leaked, freed
    // only here and once (this function's `# Safety`): taking it back is
    // the only use of that allocation.
    let d = unsafe { Box::from_raw(data.cast::<CapsuleData>()) };
    if d.magic != MAGIC {
        return;
    }
    if let Some(destructor) = d.destructor {
        // SAFETY: the extension gave this destructor for this capsule; HPy
        // calls it with the capsule's name, pointer and context.
        unsafe { destructor(d.name, d.pointer, d.context) };
    }
}
