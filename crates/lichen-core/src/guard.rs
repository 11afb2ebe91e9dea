//! The panic barrier: no Rust panic leaves Lichen through an `extern "C"`
//! entry. A panic there would abort the process (an `extern "C"` function
//! cannot unwind), ending the user's interpreter over a bug in Lichen. Each
//! entry instead runs its body under [`guard`], which turns a panic into a
//! pending `SystemError` naming the entry and returns the entry's error
//! value, as if the call had failed normally.
//!
//! The universal context's functions get their guard once, from the ABI
//! declaration ([`crate::context::universal_context`]); the trace and debug
//! contexts' generated wrappers and the trampoline entry guard themselves.
//! The functions with no error channel (`LeavePythonExecution`,
//! `ReenterPythonExecution`, `FatalError`) are behind [`guard_fatal`] in
//! every context instead: a panic there ends the process through HPy's
//! fatal-error path.
//! `catch_unwind` costs nothing while nothing panics (a landing pad, no
//! extra instruction on the call path).

use crate::retval::ErrorValue;
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `body`; a panic becomes `raise(message)` and `R`'s error value.
/// `entry` names the context function or entry in the message, e.g.
/// `HPy context function 'Add'` (a literal: nothing is formatted unless a
/// panic happened).
///
/// `AssertUnwindSafe`: after a panic nothing of `body`'s state is used
/// again; what it may have left half-done (a handle not closed) is a leak,
/// not unsoundness, and the caller only sees the error.
#[inline(always)]
pub fn guard<R: ErrorValue>(entry: &'static str, raise: impl FnOnce(&str), body: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(r) => r,
        Err(payload) => {
            raise_panic(entry, &*payload, raise);
            R::error_value()
        }
    }
}

/// The barrier for entries with no error channel, where a panic cannot
/// become an exception: HPy's `LeavePythonExecution` and
/// `ReenterPythonExecution` (nothing to return an error in, and after a
/// panic it is unknown whether the thread holds the GIL, which raising
/// needs) and `FatalError` (which must not return). A panic becomes HPy's
/// fatal-error path: `fatal(message)` (the VM's `FatalError`, which prints
/// the message and stops the process), and if `fatal` returns or panics
/// itself, the message on stderr and an abort. Either way the message names
/// `entry`, instead of Rust's "panic in a function that cannot unwind".
#[inline(always)]
pub fn guard_fatal<R>(entry: &'static str, fatal: impl FnOnce(&str), body: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(r) => r,
        Err(payload) => fatal_panic(entry, &*payload, fatal),
    }
}

#[cold]
#[inline(never)]
fn fatal_panic(entry: &str, payload: &(dyn Any + Send), fatal: impl FnOnce(&str)) -> ! {
    let msg = panic_message(entry, payload);
    let _ = catch_unwind(AssertUnwindSafe(|| fatal(&msg)));
    eprintln!("Fatal Python error: {msg}");
    std::process::abort()
}

/// The message a caught panic becomes: `<entry> panicked in Lichen (a bug in
/// Lichen): <the panic's message>`.
pub fn panic_message(entry: &str, payload: &(dyn Any + Send)) -> String {
    let what = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message");
    format!("{entry} panicked in Lichen (a bug in Lichen): {what}")
}

/// Sets the exception for a caught panic. Raising runs host code too; if
/// that panics as well, the VM is in no state to report anything and the
/// process stops with the first message.
#[cold]
#[inline(never)]
fn raise_panic(entry: &str, payload: &(dyn Any + Send), raise: impl FnOnce(&str)) {
    let msg = panic_message(entry, payload);
    if catch_unwind(AssertUnwindSafe(|| raise(&msg))).is_err() {
        eprintln!("Fatal Python error: {msg} (and raising SystemError for it panicked too)");
        std::process::abort();
    }
}

/// Sets `SystemError(msg)` through the context functions of `uctx`, for
/// the wrappers of the trace and debug contexts, which talk to the VM only
/// through the universal context they wrap.
///
/// # Safety
/// `uctx` is a live universal context and the thread may use the VM.
pub unsafe fn raise_in(uctx: *mut lichen_abi::HPyContext, msg: &str) {
    let msg = std::ffi::CString::new(msg.replace('\0', "")).unwrap_or_default();
    // SAFETY: `uctx` is a live universal context and the thread may use
    // the VM (this function's contract), so its `Err_SetString` may be
    // called, with its own `h_SystemError` and a NUL-terminated message.
    unsafe { ((*uctx).ctx_Err_SetString)(uctx, (*uctx).h_SystemError, msg.as_ptr()) }
}

/// The fatal-error path of [`guard_fatal`] for the trace and debug
/// contexts' wrappers: `FatalError` of the universal context `uctx` they
/// wrap, with `msg`.
///
/// # Safety
/// `uctx` is a live universal context. The thread need not hold the GIL:
/// every host's `fatal_error` works without it.
pub unsafe fn fatal_in(uctx: *mut lichen_abi::HPyContext, msg: &str) {
    let msg = std::ffi::CString::new(msg.replace('\0', " ")).unwrap_or_default();
    // SAFETY: `uctx` is live (this function's contract), so its
    // `ctx_FatalError` is a function of it; that takes a NUL-terminated
    // message, which `msg` is, and needs no GIL.
    unsafe { ((*uctx).ctx_FatalError)(uctx, msg.as_ptr()) }
}

/// `Fatal Python error: <message>` on stderr: the extension's own message
/// of a `FatalError` whose barrier caught a panic before the VM printed it.
///
/// # Safety
/// `message` is NULL or NUL-terminated.
pub unsafe fn print_fatal_message(message: *const core::ffi::c_char) {
    if !message.is_null() {
        // SAFETY: not NULL (checked above), so NUL-terminated by this
        // function's contract, which is all `CStr::from_ptr` needs.
        let text = unsafe { core::ffi::CStr::from_ptr(message) };
        eprintln!("Fatal Python error: {}", text.to_string_lossy());
    }
}

/// How a panic is reported where no exception can be raised (a field
/// visitor run while the VM's collector traverses or frees an object): on
/// stderr, as CPython reports an exception it must ignore.
pub fn report_ignored(msg: &str) {
    eprintln!("Exception ignored in Lichen: SystemError: {msg}");
}

/// An `extern "C"` function written in Rust that a VM or an extension calls
/// (a slot, a getset, a deallocator, a visitor), its body behind [`guard`]:
/// `guarded_entry!(raise; unsafe extern "C" fn name(args) -> R { body })`,
/// where `raise: fn(&str)` sets the host's `SystemError` (or, where no
/// exception may be pending, reports it). The message names the function.
/// `guarded_entry!(debug_context raise; fn ...)` names it as a debug-mode
/// context function instead, `guarded_entry!(named "prefix ", raise; fn ...)`
/// as the prefix followed by the function's name. The body is an `unsafe` block, as the body of
/// the `unsafe extern "C" fn` it is (the macro only moves it behind the
/// barrier), hence `macro_metavars_in_unsafe` allowed there.
#[macro_export]
macro_rules! guarded_entry {
    (debug_context $raise:expr; $(#[$m:meta])* $vis:vis unsafe extern "C" fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? { $($body:tt)* }) => {
        $(#[$m])*
        $vis unsafe extern "C" fn $name($($arg: $ty),*) $(-> $ret)? {
            $crate::guard::guard(
                concat!("HPy context function '", stringify!($name), "' (debug mode)"),
                $raise,
                // SAFETY: the context function's contract, which the
                // extension keeps.
                #[allow(unused_unsafe, clippy::macro_metavars_in_unsafe)]
                || unsafe { $($body)* },
            )
        }
    };
    (named $prefix:literal, $raise:expr; $(#[$m:meta])* $vis:vis unsafe extern "C" fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? { $($body:tt)* }) => {
        $(#[$m])*
        $vis unsafe extern "C" fn $name($($arg: $ty),*) $(-> $ret)? {
            $crate::guard::guard(
                concat!($prefix, stringify!($name)),
                $raise,
                // SAFETY: the function's own contract, which its caller keeps.
                #[allow(unused_unsafe, clippy::macro_metavars_in_unsafe)]
                || unsafe { $($body)* },
            )
        }
    };
    ($raise:expr; $(#[$m:meta])* $vis:vis unsafe extern "C" fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? { $($body:tt)* }) => {
        $(#[$m])*
        $vis unsafe extern "C" fn $name($($arg: $ty),*) $(-> $ret)? {
            $crate::guard::guard(
                concat!("Lichen's ", stringify!($name)),
                $raise,
                // SAFETY: the function's own contract, which its caller
                // (the VM or the extension) keeps.
                #[allow(unused_unsafe, clippy::macro_metavars_in_unsafe)]
                || unsafe { $($body)* },
            )
        }
    };
}

/// The self-test hook: `LICHEN_SELFTEST_PANIC=Name` in the environment when
/// a universal context is built makes its context function `Name` panic on
/// every call, so that tests can see the barrier above work in a real
/// interpreter (tests/python/test_panic.py). Read once per context, when it
/// is built, never on the call path.
pub fn selftest_panic_target() -> Option<String> {
    std::env::var("LICHEN_SELFTEST_PANIC").ok().filter(|s| !s.is_empty())
}

/// Whether the self-test hook names the debug context's override `name`
/// (`LICHEN_SELFTEST_PANIC=debug:Name`), for the overrides a panic of the
/// universal function does not reach (`LeavePythonExecution`,
/// `ReenterPythonExecution`, `FatalError`: see
/// `crate::debug::context::install_fatal_overrides`). Read once, when the
/// debug context is built.
pub fn selftest_panics_debug(target: Option<&str>, name: &str) -> bool {
    target.and_then(|t| t.strip_prefix("debug:")) == Some(name)
}

/// The panic the self-test hook raises.
#[cold]
#[inline(never)]
pub fn selftest_panic(entry: &str) -> ! {
    panic!("LICHEN_SELFTEST_PANIC={entry}: the self-test panic")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[test]
    fn a_panic_becomes_the_error_value_and_a_message() {
        let raised = RefCell::new(String::new());
        let r: i32 = guard("HPy context function 'Add'", |m| *raised.borrow_mut() = m.to_owned(), || panic!("boom {}", 1));
        assert_eq!(r, -1);
        assert_eq!(
            *raised.borrow(),
            "HPy context function 'Add' panicked in Lichen (a bug in Lichen): boom 1"
        );
        let p: *mut u8 = guard("X", |_| {}, || panic!("static"));
        assert!(p.is_null());
    }

    #[test]
    fn without_a_panic_the_fatal_barrier_passes_the_result_through() {
        // (A panic ends the process, which test_panic.py checks in a child.)
        let r: u64 = guard_fatal("ReenterPythonExecution", |_| unreachable!("nothing is fatal"), || 7);
        assert_eq!(r, 7);
    }

    #[test]
    fn no_panic_passes_the_result_through() {
        let r: i64 = guard("Add", |_| unreachable!("nothing to raise"), || 42);
        assert_eq!(r, 42);
    }
}
