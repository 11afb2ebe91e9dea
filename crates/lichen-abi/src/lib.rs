//! The HPy universal ABI, version 0 (as shipped by HPy 0.9.0), as Rust types.
//!
//! Everything here is `#[repr(C)]` and must match the `hpy` package's headers
//! bit for bit; `tests/layout.rs` checks every size and offset against them.
//! The context struct itself is generated from `context.abi` by `build.rs`.
//!
//! C enums are modelled as transparent integer newtypes, because an
//! extension may hand us any integer and a Rust enum with an out-of-range
//! value would be undefined behaviour.
#![allow(non_camel_case_types, non_snake_case, non_upper_case_globals)]
#![deny(unsafe_op_in_unsafe_fn)]

use core::ffi::{c_char, c_int, c_ulong, c_void};

mod enums;
mod signatures;
pub use signatures::func_types;
pub mod trampoline;
pub use enums::*;

pub const HPY_ABI_VERSION: u32 = 0;
pub const HPY_ABI_VERSION_MINOR: u32 = 0;
/// The HPy release whose ABI this is.
pub const HPY_VERSION: &str = "0.9.0";
pub const HPY_GIT_REVISION: &str = "f611473";
/// The tag universal binaries carry in their file name (`name.hpy0.so`).
pub const HPY_ABI_TAG: &str = "hpy0";

pub type HPy_ssize_t = isize;
pub type HPy_hash_t = isize;
pub type HPy_UCS4 = u32;
pub type wchar_t = i32;

/// CPython's `PyObject`, opaque to everything but the CPython host.
#[repr(C)]
pub struct cpy_PyObject {
    _opaque: [u8; 0],
}

/// The type-erased implementation pointer of HPy defs (`void *(*)()` in C).
pub type HPyCFunction = Option<unsafe extern "C" fn() -> *mut c_void>;
/// A CPython-ABI function compiled into the extension (a "trampoline").
pub type CpyFunction = Option<unsafe extern "C" fn()>;

macro_rules! handle_types {
    ($($(#[$doc:meta])* $name:ident { $field:ident }),* $(,)?) => {$(
        $(#[$doc])*
        #[repr(C)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $name {
            pub $field: isize,
        }
        impl $name {
            pub const NULL: $name = $name { $field: 0 };
            #[inline(always)]
            pub fn is_null(self) -> bool {
                self.$field == 0
            }
        }
    )*};
}

handle_types! {
    /// An opaque reference to a Python object, owned by whoever holds it.
    HPy { _i },
    /// A reference stored inside an object's native storage.
    HPyField { _i },
    /// A reference stored in a C global.
    HPyGlobal { _i },
    HPyListBuilder { _lst },
    HPyTupleBuilder { _tup },
    HPyTracker { _i },
    HPyThreadState { _i },
}

include!(concat!(env!("OUT_DIR"), "/context.rs"));

// SAFETY: a shared context is only read: function pointers and handle
// constants are plain values, `name` points to static data, and `_private`
// is opaque to users (what Lichen keeps behind it is synchronised by its own
// types). The one context written after it is handed out, a debug context
// copy whose table `LeavePythonExecution` swaps (lichen-core's
// `debug::released`), is written through a raw pointer by the one thread
// that uses that copy, never through a shared reference.
unsafe impl Sync for HPyContext {}
// SAFETY: the same fields: moving a context to another thread moves plain
// values and pointers to data that lives for the rest of the process.
unsafe impl Send for HPyContext {}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct HPySlot {
    pub slot: HPySlot_Slot,
    pub impl_: HPyCFunction,
    pub cpy_trampoline: CpyFunction,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct HPyMeth {
    pub name: *const c_char,
    pub impl_: HPyCFunction,
    pub cpy_trampoline: CpyFunction,
    pub signature: HPyFunc_Signature,
    pub doc: *const c_char,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct HPyMember {
    pub name: *const c_char,
    pub type_: HPyMember_FieldType,
    pub offset: HPy_ssize_t,
    pub readonly: c_int,
    pub doc: *const c_char,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct HPyGetSet {
    pub name: *const c_char,
    pub getter_impl: HPyCFunction,
    pub setter_impl: HPyCFunction,
    pub getter_cpy_trampoline: CpyFunction,
    pub setter_cpy_trampoline: CpyFunction,
    pub doc: *const c_char,
    pub closure: *mut c_void,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub union HPyDefUnion {
    pub slot: HPySlot,
    pub meth: HPyMeth,
    pub member: HPyMember,
    pub getset: HPyGetSet,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct HPyDef {
    pub kind: HPyDef_Kind,
    pub u: HPyDefUnion,
}

pub type HPyFunc_Capsule_Destructor =
    Option<unsafe extern "C" fn(name: *const c_char, pointer: *mut c_void, context: *mut c_void)>;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct HPyCapsule_Destructor {
    pub cpy_trampoline: CpyFunction,
    pub impl_: HPyFunc_Capsule_Destructor,
}

pub type HPyFunc_keywords = Option<
    unsafe extern "C" fn(*mut HPyContext, HPy, *const HPy, usize, HPy) -> HPy,
>;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct HPyCallFunction {
    pub cpy_trampoline: CpyFunction,
    pub impl_: HPyFunc_keywords,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct HPyType_Spec {
    pub name: *const c_char,
    pub basicsize: c_int,
    pub itemsize: c_int,
    pub flags: c_ulong,
    pub builtin_shape: HPyType_BuiltinShape,
    pub legacy_slots: *mut c_void,
    pub defines: *mut *mut HPyDef,
    pub doc: *const c_char,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct HPyType_SpecParam {
    pub kind: HPyType_SpecParam_Kind,
    pub object: HPy,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct HPyModuleDef {
    pub doc: *const c_char,
    pub size: HPy_ssize_t,
    pub legacy_methods: *mut c_void,
    pub defines: *mut *mut HPyDef,
    pub globals: *mut *mut HPyGlobal,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct HPy_buffer {
    pub buf: *mut c_void,
    pub obj: HPy,
    pub len: HPy_ssize_t,
    pub itemsize: HPy_ssize_t,
    pub readonly: c_int,
    pub ndim: c_int,
    pub format: *mut c_char,
    pub shape: *mut HPy_ssize_t,
    pub strides: *mut HPy_ssize_t,
    pub suboffsets: *mut HPy_ssize_t,
    pub internal: *mut c_void,
}

pub type HPyFunc_visitproc = Option<unsafe extern "C" fn(*mut HPyField, *mut c_void) -> c_int>;

/// `Py_TPFLAGS_*` bits that HPy type specs use.
pub mod tpflags {
    use core::ffi::c_ulong;
    pub const HEAPTYPE: c_ulong = 1 << 9;
    pub const BASETYPE: c_ulong = 1 << 10;
    pub const HAVE_VECTORCALL: c_ulong = 1 << 11;
    pub const HAVE_GC: c_ulong = 1 << 14;
    pub const HAVE_VERSION_TAG: c_ulong = 1 << 18;
    pub const DEFAULT: c_ulong = HEAPTYPE | HAVE_VERSION_TAG;
}
