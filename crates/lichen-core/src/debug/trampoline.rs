//! `CallRealFunctionFromTrampoline` in debug mode.
//!
//! The VM-specific work (turning the trampoline's argument block into
//! universal handles and the result back) stays with the universal context:
//! the debug version calls the universal one with a *shim* in place of the
//! extension's function. The universal context calls the shim with universal
//! handles; the shim lends debug handles for them, runs the real function
//! with the next debug context of the ring, checks that the extension did not
//! close its arguments, and hands the result back as a universal handle.
//!
//! The shim has the plain C signature of the function it stands for, so the
//! real function and debug context reach it through a thread-local set just
//! before the universal call (the universal context calls the shim once,
//! before any nested call from the VM can happen).

use super::context::{activate, ctx_info, restore_active, DebugInfo};
use super::handles::{Kind, Misuse};
use core::ffi::{c_char, c_int, c_void};
use lichen_abi::*;
use std::cell::Cell;

#[derive(Clone, Copy)]
struct Pending {
    dctx: *mut HPyContext,
    func: *const (),
}

thread_local! {
    static PENDING: Cell<Option<Pending>> = const { Cell::new(None) };
}

/// The call a shim was started for.
struct Call {
    dctx: *mut HPyContext,
    func: *const (),
}

impl Call {
    /// Takes the pending call; a shim reached any other way is a Lichen bug
    /// that must not turn into a jump to a garbage address.
    unsafe fn take() -> Call {
        match PENDING.with(|p| p.take()) {
            Some(p) => Call { dctx: p.dctx, func: p.func },
            None => {
                eprintln!("lichen: debug trampoline shim called without a pending call");
                std::process::abort()
            }
        }
    }

    unsafe fn info(&self) -> &DebugInfo {
        ctx_info(self.dctx).info()
    }

    /// Runs `f` with the next debug context of the ring as this thread's
    /// only valid one (the context the trampoline came with is not, meanwhile).
    unsafe fn run<R>(&self, f: impl FnOnce(*mut HPyContext) -> R) -> R {
        let info = self.info();
        let next = info.next_ctx();
        let prev = activate(next);
        let r = f(next);
        restore_active(prev);
        info.release_ctx(next);
        r
    }
}

/// How one parameter of an extension function crosses the shim.
trait Lend: Sized {
    /// Universal value in, value for the extension out.
    fn lend(self, info: &DebugInfo) -> Self;
    /// After the call: take the lent value back, reporting misuse.
    fn give_back(self, _info: &DebugInfo) {}
}

impl Lend for HPy {
    fn lend(self, info: &DebugInfo) -> HPy {
        info.open_kind(self, Kind::Borrowed)
    }

    fn give_back(self, info: &DebugInfo) {
        give_back(info, self)
    }
}

macro_rules! lend_as_is {
    ($($ty:ty),*) => {$(
        impl Lend for $ty {
            #[inline(always)]
            fn lend(self, _: &DebugInfo) -> Self { self }
        }
    )*};
}

lend_as_is!(isize, c_int, HPy_RichCmpOp, *mut c_void, *mut c_char);

/// Ends the loan of an argument handle; the extension must not have closed it.
fn give_back(info: &DebugInfo, dh: HPy) {
    if dh.is_null() {
        return;
    }
    let r = info.table().close(dh);
    if let Err(m) = r {
        info.invalid_handle(dh, m, "CallRealFunctionFromTrampoline (an argument handle was closed by the extension)");
    }
}

/// How a result crosses the shim back to the universal context.
trait Give: Sized {
    fn give(self, info: &DebugInfo) -> Self;
}

impl Give for HPy {
    fn give(self, info: &DebugInfo) -> HPy {
        // SAFETY: shims run inside a call from the VM, so the universal
        // context `give_result` uses is live and may be called.
        unsafe { give_result(info, self) }
    }
}

macro_rules! give_as_is {
    ($($ty:ty),*) => {$(
        impl Give for $ty {
            #[inline(always)]
            fn give(self, _: &DebugInfo) -> Self { self }
        }
    )*};
}

give_as_is!((), c_int, isize);

/// The universal handle for a debug handle the extension returned: the
/// extension gives up its debug handle, the VM gets the universal one.
unsafe fn give_result(info: &DebugInfo, dh: HPy) -> HPy {
    if dh.is_null() {
        return HPy::NULL;
    }
    let r = info.table().close(dh);
    let u = info.uctx();
    const FUNC: &str = "CallRealFunctionFromTrampoline (the result)";
    match r {
        Ok(c) if c.kind == Kind::Owned => c.uh,
        // An argument returned as is: the VM still needs its own reference.
        Ok(c) => ((*u).ctx_Dup)(u, c.uh),
        Err(m) => {
            info.invalid_handle(dh, m, FUNC);
            match m {
                Misuse::Immortal { uh } | Misuse::Closed { uh, kind: Kind::Borrowed } => ((*u).ctx_Dup)(u, uh),
                Misuse::Closed { .. } | Misuse::Unknown => {
                    // The object behind it may be gone: do not hand it to the VM.
                    info.set_error("an HPy function returned a handle that was already closed");
                    HPy::NULL
                }
            }
        }
    }
}

macro_rules! simple_shims {
    ($($sig:ident ($($a:ident : $t:ty),*) -> $r:ty;)*) => {
        $(
            unsafe extern "C" fn $sig(_uctx: *mut HPyContext $(, $a: $t)*) -> $r {
                let call = Call::take();
                // SAFETY: the universal context calls this shim for a function
                // declared with this signature.
                let f: unsafe extern "C" fn(*mut HPyContext $(, $t)*) -> $r = core::mem::transmute(call.func);
                let info = call.info();
                $(let $a = <$t as Lend>::lend($a, info);)*
                let r = call.run(|ctx| f(ctx $(, $a)*));
                $(<$t as Lend>::give_back($a, info);)*
                <$r as Give>::give(r, info)
            }
        )*

        fn simple_shim(sig: HPyFunc_Signature) -> Option<*const ()> {
            $(if sig == HPyFunc_Signature::$sig { return Some($sig as *const ()); })*
            None
        }
    };
}

#[allow(non_snake_case)]
mod shims {
    use super::*;
    simple_shims! {
        NOARGS(s: HPy) -> HPy;
        O(s: HPy, a: HPy) -> HPy;
        UNARYFUNC(a: HPy) -> HPy;
        BINARYFUNC(a: HPy, b: HPy) -> HPy;
        TERNARYFUNC(a: HPy, b: HPy, c: HPy) -> HPy;
        INQUIRY(a: HPy) -> c_int;
        LENFUNC(a: HPy) -> isize;
        SSIZEARGFUNC(a: HPy, i: isize) -> HPy;
        SSIZESSIZEARGFUNC(a: HPy, i: isize, j: isize) -> HPy;
        SSIZEOBJARGPROC(a: HPy, i: isize, b: HPy) -> c_int;
        SSIZESSIZEOBJARGPROC(a: HPy, i: isize, j: isize, b: HPy) -> c_int;
        OBJOBJARGPROC(a: HPy, b: HPy, c: HPy) -> c_int;
        FREEFUNC(p: *mut c_void) -> ();
        GETATTRFUNC(a: HPy, n: *mut c_char) -> HPy;
        GETATTROFUNC(a: HPy, b: HPy) -> HPy;
        SETATTRFUNC(a: HPy, n: *mut c_char, b: HPy) -> c_int;
        SETATTROFUNC(a: HPy, b: HPy, c: HPy) -> c_int;
        REPRFUNC(a: HPy) -> HPy;
        HASHFUNC(a: HPy) -> isize;
        RICHCMPFUNC(a: HPy, b: HPy, op: HPy_RichCmpOp) -> HPy;
        GETITERFUNC(a: HPy) -> HPy;
        ITERNEXTFUNC(a: HPy) -> HPy;
        DESCRGETFUNC(a: HPy, b: HPy, c: HPy) -> HPy;
        DESCRSETFUNC(a: HPy, b: HPy, c: HPy) -> c_int;
        GETTER(a: HPy, closure: *mut c_void) -> HPy;
        SETTER(a: HPy, b: HPy, closure: *mut c_void) -> c_int;
        OBJOBJPROC(a: HPy, b: HPy) -> c_int;
        DESTRUCTOR(a: HPy) -> ();
        MOD_CREATE(spec: HPy) -> HPy;
    }

    /// Debug handles lent for `n` universal handles at `items`.
    unsafe fn lend_array(info: &DebugInfo, items: *const HPy, n: usize) -> Vec<HPy> {
        if n == 0 || items.is_null() {
            return Vec::new();
        }
        core::slice::from_raw_parts(items, n).iter().map(|&h| h.lend(info)).collect()
    }

    fn give_back_all(info: &DebugInfo, hs: &[HPy]) {
        for &h in hs {
            give_back(info, h);
        }
    }

    // SAFETY (the `transmute`s of `call.func` below): the universal context
    // calls each shim only for the signature it was registered for, which is
    // the signature of the extension's function.

    pub(super) unsafe extern "C" fn VARARGS(_u: *mut HPyContext, s: HPy, args: *const HPy, nargs: usize) -> HPy {
        let call = Call::take();
        let f: unsafe extern "C" fn(*mut HPyContext, HPy, *const HPy, usize) -> HPy = core::mem::transmute(call.func);
        let info = call.info();
        let ds = s.lend(info);
        let dargs = lend_array(info, args, nargs);
        let r = call.run(|ctx| f(ctx, ds, dargs.as_ptr(), nargs));
        give_back(info, ds);
        give_back_all(info, &dargs);
        r.give(info)
    }

    pub(super) unsafe extern "C" fn KEYWORDS(u: *mut HPyContext, s: HPy, args: *const HPy, nargs: usize, kwnames: HPy) -> HPy {
        let call = Call::take();
        let f: unsafe extern "C" fn(*mut HPyContext, HPy, *const HPy, usize, HPy) -> HPy = core::mem::transmute(call.func);
        let info = call.info();
        // Keyword values follow the positional ones, one per name.
        let nkw = if kwnames.is_null() { 0 } else { usize::try_from(((*u).ctx_Length)(u, kwnames)).unwrap_or(0) };
        let ds = s.lend(info);
        let dargs = lend_array(info, args, nargs + nkw);
        let dkw = kwnames.lend(info);
        let r = call.run(|ctx| f(ctx, ds, dargs.as_ptr(), nargs, dkw));
        give_back(info, ds);
        give_back_all(info, &dargs);
        give_back(info, dkw);
        r.give(info)
    }

    pub(super) unsafe extern "C" fn INITPROC(_u: *mut HPyContext, s: HPy, args: *const HPy, nargs: isize, kw: HPy) -> c_int {
        let call = Call::take();
        let f: unsafe extern "C" fn(*mut HPyContext, HPy, *const HPy, isize, HPy) -> c_int = core::mem::transmute(call.func);
        let info = call.info();
        let ds = s.lend(info);
        let dargs = lend_array(info, args, usize::try_from(nargs).unwrap_or(0));
        let dkw = kw.lend(info);
        let r = call.run(|ctx| f(ctx, ds, dargs.as_ptr(), nargs, dkw));
        give_back(info, ds);
        give_back_all(info, &dargs);
        give_back(info, dkw);
        r
    }

    pub(super) unsafe extern "C" fn NEWFUNC(_u: *mut HPyContext, s: HPy, args: *const HPy, nargs: isize, kw: HPy) -> HPy {
        let call = Call::take();
        let f: unsafe extern "C" fn(*mut HPyContext, HPy, *const HPy, isize, HPy) -> HPy = core::mem::transmute(call.func);
        let info = call.info();
        let ds = s.lend(info);
        let dargs = lend_array(info, args, usize::try_from(nargs).unwrap_or(0));
        let dkw = kw.lend(info);
        let r = call.run(|ctx| f(ctx, ds, dargs.as_ptr(), nargs, dkw));
        give_back(info, ds);
        give_back_all(info, &dargs);
        give_back(info, dkw);
        r.give(info)
    }

    pub(super) unsafe extern "C" fn GETBUFFERPROC(_u: *mut HPyContext, s: HPy, view: *mut HPy_buffer, flags: c_int) -> c_int {
        let call = Call::take();
        let f: unsafe extern "C" fn(*mut HPyContext, HPy, *mut HPy_buffer, c_int) -> c_int = core::mem::transmute(call.func);
        let info = call.info();
        let ds = s.lend(info);
        let r = call.run(|ctx| f(ctx, ds, view, flags));
        give_back(info, ds);
        // On success the view owns a handle to its exporter: a universal one
        // from now on.
        if r >= 0 && !view.is_null() {
            (*view).obj = (*view).obj.give(info);
        }
        r
    }

    pub(super) unsafe extern "C" fn RELEASEBUFFERPROC(_u: *mut HPyContext, s: HPy, view: *mut HPy_buffer) {
        let call = Call::take();
        let f: unsafe extern "C" fn(*mut HPyContext, HPy, *mut HPy_buffer) = core::mem::transmute(call.func);
        let info = call.info();
        let ds = s.lend(info);
        let uobj = if view.is_null() { HPy::NULL } else { (*view).obj };
        let dobj = uobj.lend(info);
        if !view.is_null() {
            (*view).obj = dobj;
        }
        call.run(|ctx| f(ctx, ds, view));
        give_back(info, ds);
        give_back(info, dobj);
        if !view.is_null() {
            (*view).obj = uobj;
        }
    }

    pub(super) fn shim(sig: HPyFunc_Signature) -> Option<*const ()> {
        use HPyFunc_Signature as S;
        let special: Option<*const ()> = match sig {
            S::VARARGS => Some(VARARGS as *const ()),
            S::KEYWORDS => Some(KEYWORDS as *const ()),
            S::INITPROC => Some(INITPROC as *const ()),
            S::NEWFUNC => Some(NEWFUNC as *const ()),
            S::GETBUFFERPROC => Some(GETBUFFERPROC as *const ()),
            S::RELEASEBUFFERPROC => Some(RELEASEBUFFERPROC as *const ()),
            _ => None,
        };
        special.or_else(|| simple_shim(sig))
    }
}

/// Whether `ctx` is a copy of a debug context (its trampoline entry is this
/// module's).
pub fn is_debug_context(ctx: *mut HPyContext) -> bool {
    // SAFETY: `ctx` is a context Lichen made, readable for the process's life.
    let entry = unsafe { (*ctx).ctx_CallRealFunctionFromTrampoline };
    entry as *const () == CallRealFunctionFromTrampoline as *const ()
}

/// [`crate::call::call_under`] for a debug context: `call` gets the
/// universal context and the shim for `sig` in place of `func`.
///
/// # Safety
/// As [`crate::call::call_under`].
pub unsafe fn call_under<R>(
    dctx: *mut HPyContext,
    sig: HPyFunc_Signature,
    func: crate::call::Impl,
    call: impl FnOnce(*mut HPyContext, crate::call::Impl) -> R,
) -> R {
    let u = ctx_info(dctx).info().uctx();
    let Some(shim) = shims::shim(sig) else {
        // No context and no handles (destroy, traverse): nothing to lend.
        return call(u, func);
    };
    let prev = PENDING.with(|p| p.replace(Some(Pending { dctx, func: func as *const () })));
    // SAFETY: a shim is an `extern "C"` function of the signature `sig`; the
    // caller calls it as such, through the untyped type implementations have.
    let shim = core::mem::transmute::<*const (), crate::call::Impl>(shim);
    let r = call(u, shim);
    PENDING.with(|p| p.set(prev));
    r
}

/// The debug context's `CallRealFunctionFromTrampoline`. Signatures without
/// a context or handles (traverse, destroy, capsule destructors) go to the
/// universal context unchanged.
pub(crate) unsafe extern "C" fn CallRealFunctionFromTrampoline(
    dctx: *mut HPyContext,
    sig: HPyFunc_Signature,
    func: HPyCFunction,
    args: *mut c_void,
) {
    let info = ctx_info(dctx).info();
    let u = info.uctx();
    let (Some(shim), Some(real)) = (shims::shim(sig), func) else {
        return ((*u).ctx_CallRealFunctionFromTrampoline)(u, sig, func, args);
    };
    let prev = PENDING.with(|p| p.replace(Some(Pending { dctx, func: real as *const () })));
    // SAFETY: a shim is an `extern "C"` function; HPyCFunction is the
    // untyped function pointer the universal context casts per signature.
    let shim: HPyCFunction = Some(core::mem::transmute::<*const (), unsafe extern "C" fn() -> *mut c_void>(shim));
    ((*u).ctx_CallRealFunctionFromTrampoline)(u, sig, shim, args);
    PENDING.with(|p| p.set(prev));
}
