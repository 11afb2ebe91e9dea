//! `PyPy` implements the core's `Host` trait. What native code can answer
//! alone (the object table, the ints and floats held natively, the pending
//! exception, trackers and builders, questions about the constants) is
//! answered here; everything else is a call into PyPy (`py!`, see
//! `callbacks.def`), made with the extension lock let go.

pub mod container;
pub mod error;
pub mod number;
pub mod object;
mod text;
pub mod types;

use crate::lock::LockHeld;
use crate::table;
use lichen_abi::HPy;
use lichen_core::host::HostVm;
use lichen_core::Host;

/// The PyPy VM, as a Lichen host. Its token ([`HostVm`]) is
/// [`LockHeld`], the proof that the thread holds the extension lock.
pub struct PyPy;

impl HostVm for PyPy {
    type Vm<'a> = LockHeld<'a>;

    #[inline(always)]
    unsafe fn enter<R>(f: impl for<'a> FnOnce(LockHeld<'a>) -> R) -> R {
        debug_assert!(crate::lock::is_locked(), "a context function called without the extension lock");
        // SAFETY: `enter`'s contract: the thread runs an extension call made
        // under an entry's hold of the extension lock (see `lock.rs`), and not
        // between `HPy_LeavePythonExecution` and `Reenter`: the lock is held.
        f(unsafe { LockHeld::assume() })
    }
}

impl Host for PyPy {
    const NAME: &'static str = "PyPy";

    fn handle_constant(_: LockHeld<'_>, name: &str) -> HPy {
        match lichen_abi::HANDLE_NAMES.iter().position(|n| *n == name) {
            Some(i) => table::slot_handle(i as u32 + 1),
            None => HPy::NULL,
        }
    }
}

/// The handle of the context constant `name` (its slot: 1 + its position in
/// the ABI declaration).
pub const fn constant(name: &str) -> HPy {
    let names = &lichen_abi::HANDLE_NAMES;
    let mut i = 0;
    while i < names.len() {
        if str_eq(names[i], name) {
            return table::slot_handle(i as u32 + 1);
        }
        i += 1;
    }
    panic!("no such context constant")
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

pub const NONE: HPy = constant("None");
pub const TRUE: HPy = constant("True");
pub const FALSE: HPy = constant("False");
pub const NOT_IMPLEMENTED: HPy = constant("NotImplemented");
pub const ELLIPSIS: HPy = constant("Ellipsis");
pub const OBJECT_TYPE: HPy = constant("BaseObjectType");
pub const LONG_TYPE: HPy = constant("LongType");
pub const FLOAT_TYPE: HPy = constant("FloatType");

/// The objects Python never gives a second handle to (its conversion to a
/// handle always picks the constant): a handle other than theirs is never
/// theirs.
#[inline]
fn is_canonical(h: HPy) -> bool {
    h == NONE || h == TRUE || h == FALSE || h == NOT_IMPLEMENTED || h == ELLIPSIS
}

/// `bool` as the constant handle, which needs no reference.
#[inline]
pub fn bool_handle(v: bool) -> HPy {
    if v {
        TRUE
    } else {
        FALSE
    }
}

/// What a handle stands for, as far as native code can tell without PyPy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Known {
    Int(i64),
    Float(f64),
    Bool(bool),
    None,
    /// Anything else: ask PyPy.
    Other,
}

#[inline]
pub fn known(h: HPy) -> Known {
    if let Some(v) = table::int_of(h) {
        Known::Int(v)
    } else if h == TRUE || h == FALSE {
        Known::Bool(h == TRUE)
    } else if h == NONE {
        Known::None
    } else if let Some(v) = table::float_of(h) {
        Known::Float(v)
    } else {
        Known::Other
    }
}

/// An `HPy` from the bits a callback returned (a fresh slot from Python's
/// reserve becomes live: see `table::receive`).
#[inline(always)]
pub fn h(bits: isize) -> HPy {
    table::receive(bits, core::ptr::null_mut())
}
