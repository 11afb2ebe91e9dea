//! Running an extension's implementations under the context it was loaded
//! with, for hosts that call implementations directly (RustPython) instead
//! of through the CPython-ABI trampolines compiled into the extension.
//!
//! On CPython a trampoline passes the context the extension was loaded with
//! to `CallRealFunctionFromTrampoline`, so debug and trace modes need nothing
//! from the host. A host that calls `impl_` itself must do what the debug
//! `CallRealFunctionFromTrampoline` does (lend debug handles for the
//! arguments, take the result back): [`call_under`] does it for any context,
//! and [`caller_or`] tells a host function which context the extension
//! called it through, so that types made by `HPyType_FromSpec` (and call
//! functions set by `HPy_SetCallFunction`) run under that context too.

use core::cell::Cell;
use core::sync::atomic::{AtomicBool, Ordering};
use lichen_abi::{HPyContext, HPyFunc_Signature};

thread_local! {
    /// The context of the extension whose context function is running on
    /// this thread, when a debug or trace context wraps the universal one.
    static CALLER: Cell<*mut HPyContext> = const { Cell::new(core::ptr::null_mut()) };
}

/// Whether any thread ever ran a call from a wrapping context (so that a
/// `CALLER` may be set). Until then the calls of every extension leave the
/// thread-locals alone: a thread-local costs a call into the C library in
/// a shared object, twice per call into an extension.
static WRAPPED: AtomicBool = AtomicBool::new(false);

/// Runs `f`, a call from the wrapping context `ctx` into the universal
/// context, with `ctx` recorded as the caller's context.
#[inline]
pub(crate) fn with_caller<R>(ctx: *mut HPyContext, f: impl FnOnce() -> R) -> R {
    // Relaxed: a thread reads its own `CALLER` only, and it sets this
    // before it sets that
    if !ctx.is_null() && !WRAPPED.load(Ordering::Relaxed) {
        WRAPPED.store(true, Ordering::Relaxed);
    }
    let prev = CALLER.with(|c| c.replace(ctx));
    let r = f();
    CALLER.with(|c| c.set(prev));
    r
}

/// The context the extension called the running context function through:
/// the wrapping debug or trace context when there is one, else `ctx`, the
/// context the function itself was called with.
#[inline]
pub fn caller_or(ctx: *mut HPyContext) -> *mut HPyContext {
    if !WRAPPED.load(Ordering::Relaxed) {
        return ctx;
    }
    let c = CALLER.with(Cell::get);
    if c.is_null() {
        ctx
    } else {
        c
    }
}

/// An extension's implementation, as `HPyMeth.impl` and `HPySlot.impl` hold it.
pub type Impl = unsafe extern "C" fn() -> *mut core::ffi::c_void;

/// Runs `call(c, f)`, in which the host calls `f(c, ...)` once with
/// universal handles, as it would call `func(ctx, ...)` for a universal
/// context; `f` has the C type of `func` (the signature `sig`). For the
/// universal and trace contexts that is `func` itself with `ctx`. For a
/// debug context it is a shim that lends debug handles for the arguments,
/// runs `func` with the next debug context of the ring and gives the result
/// back as a universal handle, as the debug `CallRealFunctionFromTrampoline`
/// does for CPython's trampolines.
///
/// # Safety
/// `ctx` must be a context Lichen made (the one the extension of `func` was
/// loaded with) and `func` an implementation of signature `sig`; `call` must
/// call `f` at most once, with arguments of that signature.
#[inline]
pub unsafe fn call_under<R>(ctx: *mut HPyContext, sig: HPyFunc_Signature, func: Impl, call: impl FnOnce(*mut HPyContext, Impl) -> R) -> R {
    // The extension called now is not the one whose context function may be
    // running further up this thread (one in debug mode calling, through
    // Python, one in universal mode): until it calls through a wrapping
    // context itself, its caller is its own context.
    let run = || {
        // SAFETY: `ctx` is the extension's context, one Lichen made (the
        // caller's contract).
        if unsafe { crate::debug::is_debug_context(ctx) } {
            // SAFETY: the debug `call_under` has this function's contract,
            // which its caller keeps: `ctx` (a debug context, checked
            // above) is the one `func`'s extension was loaded with, `func`
            // has signature `sig`, and `call` calls `f` at most once with
            // arguments of that signature.
            unsafe { crate::debug::call_under(ctx, sig, func, call) }
        } else {
            call(ctx, func)
        }
    };
    if WRAPPED.load(Ordering::Relaxed) {
        with_caller(core::ptr::null_mut(), run)
    } else {
        run()
    }
}
