//! Calls into the VM between `HPy_LeavePythonExecution` and
//! `HPy_ReenterPythonExecution`.
//!
//! Meanwhile the thread does not hold the GIL, so such a call can neither
//! run (the VM's objects are not ours to touch) nor raise (raising needs the
//! GIL). Instead, `LeavePythonExecution` swaps the function table of the
//! context copy the extension is running with for one whose functions
//! refuse: each returns its error value and is remembered. Reentering puts
//! the real table back and, once the GIL is held again, raises a SystemError
//! naming the first refused function, so the misuse becomes a Python-level
//! report and the process lives on.

use crate::context::wrapping_context;
use crate::retval::ErrorValue;
use core::ffi::c_int;
use lichen_abi::*;
use std::cell::RefCell;

/// The state of a thread that left Python execution.
struct Left {
    /// The context copy whose table was swapped.
    dctx: *mut HPyContext,
    /// Its real table, put back on reentry.
    saved: Box<HPyContext>,
    /// The first context function called meanwhile, and how many were.
    refused: Option<&'static str>,
    count: usize,
}

thread_local! {
    static LEFT: RefCell<Option<Left>> = const { RefCell::new(None) };
}

/// Whether this thread is between Leave and Reenter.
pub(crate) fn is_left() -> bool {
    LEFT.with(|l| l.borrow().is_some())
}

pub(crate) fn refuse(name: &'static str) {
    LEFT.with(|l| {
        if let Some(left) = l.borrow_mut().as_mut() {
            left.refused.get_or_insert(name);
            left.count += 1;
        }
    });
}

macro_rules! refusing_functions {
    (; $($field:ident $name:ident ($($arg:ident : $ty:ty),*) -> $ret:ty,)*) => {
        $(
            pub(super) unsafe extern "C" fn $name(_dctx: *mut HPyContext $(, $arg: $ty)*) -> $ret {
                $(let _ = $arg;)*
                refuse(stringify!($name));
                <$ret as ErrorValue>::error_value()
            }
        )*
    };
}

/// One refusing function per context function.
mod refusing {
    #![allow(clippy::too_many_arguments, clippy::unused_unit, non_snake_case)]
    use super::*;
    use core::ffi::{c_char, c_void};
    lichen_abi::context_functions!(refusing_functions);
}

/// Swaps the table of `dctx` for the refusing one until [`reenter`].
///
/// # Safety
/// `dctx` must be a live debug context copy, used by this thread only while
/// it is left (the copy of the running call).
pub(crate) unsafe fn leave(dctx: *mut HPyContext) {
    // SAFETY: `leave`'s contract: `dctx` is a live debug context copy that only
    // this thread uses until it reenters, so reading it whole and writing the
    // refusing table over it races with nothing; its `name` and `_private` are
    // kept.
    unsafe {
        let saved = Box::new(HPyContext { ..*dctx });
        let mut refusing = lichen_abi::context_members!(wrapping_context, (dctx), ((*dctx).name), ((*dctx)._private), refusing);
        // These two stay real: reentering must work, and a fatal error needs no GIL.
        refusing.ctx_ReenterPythonExecution = saved.ctx_ReenterPythonExecution;
        refusing.ctx_FatalError = saved.ctx_FatalError;
        *dctx = refusing;
        LEFT.with(|l| *l.borrow_mut() = Some(Left { dctx, saved, refused: None, count: 0 }));
    }
}

/// Puts the real table back. `None` if this thread had not left; else the
/// first refused function and how many calls were refused.
///
/// # Safety
/// As [`leave`].
pub(crate) unsafe fn reenter() -> Option<(Option<&'static str>, usize)> {
    // SAFETY: the `dctx` in `LEFT` is the copy `leave` swapped on this thread,
    // still live (copies are leaked) and used by this thread only until now:
    // its saved table is written back.
    unsafe {
        let left = LEFT.with(|l| l.borrow_mut().take())?;
        *left.dctx = *left.saved;
        Some((left.refused, left.count))
    }
}
