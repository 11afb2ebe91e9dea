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
use super::handles::{Closed, HandleTable, Kind, Misuse};
use super::stack::Stack;
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
        // SAFETY: `self.dctx` was recorded in PENDING by `call_under` or the
        // debug `CallRealFunctionFromTrampoline`, from the debug context the
        // call came through, so `ctx_info` finds the `CtxInfo` of a context
        // made by `debug_context` (leaked: it lives for the rest of the
        // process).
        unsafe {
            ctx_info(self.dctx).info()
        }
    }

    /// Runs `f` with the next debug context of the ring as this thread's
    /// only valid one (the context the trampoline came with is not, meanwhile).
    unsafe fn run<R>(&self, f: impl FnOnce(*mut HPyContext) -> R) -> R {
        // SAFETY: `info` is sound for a `Call` taken from PENDING (see there);
        // the ring copy `next_ctx` gives is a leaked debug context, made the
        // thread's only valid one for `f` and given back afterwards.
        unsafe {
            let info = self.info();
            let next = info.next_ctx();
            let prev = activate(next);
            let r = f(next);
            restore_active(prev);
            info.release_ctx(next);
            r
        }
    }
}

/// Misused argument handles found when a call's loans end: reported once
/// the table is unlocked, since a report may call Python.
type Misused = Vec<(HPy, Misuse)>;

/// How one parameter of an extension function crosses the shim. The
/// bookkeeping of one call is done under one lock of the handle table.
trait Lend: Copy {
    /// Universal value in, value for the extension out.
    fn lend(self, t: &mut HandleTable, stack: &Option<Stack>) -> Self;
    /// After the call: take the lent value back, noting misuse.
    fn give_back(self, _t: &mut HandleTable, _bad: &mut Misused) {}
}

impl Lend for HPy {
    #[inline]
    fn lend(self, t: &mut HandleTable, stack: &Option<Stack>) -> HPy {
        t.open(self, Kind::Borrowed, stack.clone())
    }

    #[inline]
    fn give_back(self, t: &mut HandleTable, bad: &mut Misused) {
        if self.is_null() {
            return;
        }
        if let Err(m) = t.close(self) {
            bad.push((self, m));
        }
    }
}

macro_rules! lend_as_is {
    ($($ty:ty),*) => {$(
        impl Lend for $ty {
            #[inline(always)]
            fn lend(self, _: &mut HandleTable, _: &Option<Stack>) -> Self { self }
        }
    )*};
}

lend_as_is!(isize, c_int, HPy_RichCmpOp, *mut c_void, *mut c_char);

/// Reports the argument handles the extension closed although they were lent.
fn report_closed_args(info: &DebugInfo, bad: &Misused) {
    for &(dh, m) in bad {
        info.invalid_handle(dh, m, "CallRealFunctionFromTrampoline (an argument handle was closed by the extension)");
    }
}

/// How a result crosses the shim back to the universal context: taken out
/// of the table under the call's lock, then finished without it.
trait Give: Sized {
    type Taken;
    fn take(self, t: &mut HandleTable) -> Self::Taken;
    fn finish(taken: Self::Taken, info: &DebugInfo) -> Self;
}

impl Give for HPy {
    type Taken = (HPy, Result<Closed, Misuse>);

    #[inline]
    fn take(self, t: &mut HandleTable) -> Self::Taken {
        let r = if self.is_null() { Ok(Closed { uh: HPy::NULL, kind: Kind::Owned }) } else { t.close(self) };
        (self, r)
    }

    fn finish((dh, r): Self::Taken, info: &DebugInfo) -> HPy {
        // SAFETY: shims run inside a call from the VM, so the universal
        // context `give_result` uses is live and may be called.
        unsafe { give_result(info, dh, r) }
    }
}

macro_rules! give_as_is {
    ($($ty:ty),*) => {$(
        impl Give for $ty {
            type Taken = $ty;
            #[inline(always)]
            fn take(self, _: &mut HandleTable) -> Self { self }
            #[inline(always)]
            fn finish(taken: Self, _: &DebugInfo) -> Self { taken }
        }
    )*};
}

give_as_is!((), c_int, isize);

/// The universal handle for a debug handle `dh` the extension returned,
/// closed with outcome `r`: the extension gives up its debug handle, the VM
/// gets the universal one.
unsafe fn give_result(info: &DebugInfo, dh: HPy, r: Result<Closed, Misuse>) -> HPy {
    // SAFETY: `info.uctx()` is the live universal context of a debug context;
    // `Dup` gets `c.uh`/`uh`, universal handles the table still knew (an
    // argument or an immortal returned as is), which the VM needs its own
    // reference to.
    unsafe {
        let u = info.uctx();
        const FUNC: &str = "CallRealFunctionFromTrampoline (the result)";
        match r {
            Ok(c) if c.kind == Kind::Owned => c.uh,
            // An argument returned as is: the VM still needs its own reference.
            Ok(c) => ((*u).ctx_Dup)(u, c.uh),
            Err(m) => {
                if !info.invalid_handle(dh, m, FUNC) {
                    return HPy::NULL;
                }
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
}

/// Ends the loans of a call: gives back every lent handle and takes the
/// result, under one lock; then reports and finishes the result.
macro_rules! settle {
    ($info:ident, $r:ident : $rt:ty; $($lent:expr),*; $($array:expr),*) => {{
        let mut bad = Misused::new();
        let mut t = $info.table();
        $(Lend::give_back($lent, &mut t, &mut bad);)*
        $(for &h in $array.iter() { Lend::give_back(h, &mut t, &mut bad); })*
        let taken = <$rt as Give>::take($r, &mut t);
        drop(t);
        report_closed_args($info, &bad);
        <$rt as Give>::finish(taken, $info)
    }};
}

macro_rules! simple_shims {
    (; $($sig:ident = $n:literal, $lower:ident, $ctx:ident ($($a:ident : $k:tt),*) -> $r:tt, $block:tt;)*) => {
        $(lichen_abi::if_simple_hpyfunc! { $ctx, $block, [$($k)*] {
            // The barrier: a panic in the shim's bookkeeping becomes a
            // SystemError raised through the universal context.
            // SAFETY (the raise): `_uctx` is the live universal context that called the shim.
            crate::guarded_entry! { named "the debug mode's trampoline shim for ", |msg| unsafe { crate::guard::raise_in(_uctx, msg) };
            unsafe extern "C" fn $sig(_uctx: *mut HPyContext $(, $a: hpyfunc_impl_ty!($k))*) -> hpyfunc_impl_ty!($r) {
                // SAFETY: the universal context calls this shim, through the
                // trampoline of `$sig`, with the arguments of that signature
                // (this thread's PENDING call set just before): `transmute`
                // gives the extension's function the type HPy declares for
                // `$sig`, and the handles are lent into the table and settled
                // before returning.
                unsafe {
                    let call = Call::take();
                    let f: func_types::$lower = core::mem::transmute(call.func);
                    let info = call.info();
                    let stack = info.stack();
                    let mut t = info.table();
                    $(let $a = <hpyfunc_impl_ty!($k) as Lend>::lend($a, &mut t, &stack);)*
                    drop(t);
                    let r = call.run(|ctx| f(ctx $(, $a)*));
                    settle!(info, r: hpyfunc_impl_ty!($r); $($a),*;)
                }
            }
            }
        }})*

        fn simple_shim(sig: HPyFunc_Signature) -> Option<*const ()> {
            $(lichen_abi::if_simple_hpyfunc! { $ctx, $block, [$($k)*] {
                if sig == HPyFunc_Signature::$sig {
                    return Some($sig as *const ());
                }
            }})*
            None
        }
    };
}

#[allow(non_snake_case)]
mod shims {
    use super::*;
    // every simple signature of the declaration (see `if_simple_hpyfunc!`)
    lichen_abi::hpyfunc_signatures!(simple_shims);

    /// Debug handles lent for `n` universal handles at `items`.
    unsafe fn lend_array(t: &mut HandleTable, stack: &Option<Stack>, items: *const HPy, n: usize) -> Vec<HPy> {
        // SAFETY: the caller passes `items` pointing to `n` universal handles
        // (a trampoline's argument array, live for the call); NULL or 0 reads
        // nothing.
        unsafe {
            if n == 0 || items.is_null() {
                return Vec::new();
            }
            core::slice::from_raw_parts(items, n).iter().map(|&h| h.lend(t, stack)).collect()
        }
    }

    /// The self, positional and keyword parts of a call with an argument
    /// array, lent under one lock.
    unsafe fn lend_call(info: &DebugInfo, s: HPy, args: *const HPy, n: usize, kw: HPy) -> (HPy, Vec<HPy>, HPy) {
        // SAFETY: the caller passes `args` holding `n` universal handles, live
        // for the call, which is all `lend_array` needs; `info`'s table is
        // locked once for the three parts.
        unsafe {
            let stack = info.stack();
            let mut t = info.table();
            (s.lend(&mut t, &stack), lend_array(&mut t, &stack, args, n), kw.lend(&mut t, &stack))
        }
    }

    // SAFETY (the `transmute`s of `call.func` below): the universal context
    // calls each shim only for the signature it was registered for, which is
    // the signature of the extension's function.

    /// The shims of the signatures called with self and an argument array,
    /// and but for VARARGS a keywords handle (kwnames or a dict): they lend
    /// self, the `$count` handles of the array and the keywords under one
    /// lock, call with the lent ones and settle. The parameters are named by
    /// each entry, so that `$count` can use them.
    macro_rules! array_shims {
        ($($sig:ident($u:ident, $s:ident, $args:ident, $nargs:ident: $n:ty $(, $kw:ident)?) -> $r:ty { $count:expr })*) => {
            $(
            // SAFETY (the raise): `$u` is the live universal context that called the shim.
            crate::guarded_entry! { named "the debug mode's trampoline shim for ", |msg| unsafe { crate::guard::raise_in($u, msg) };
            pub(super) unsafe extern "C" fn $sig($u: *mut HPyContext, $s: HPy, $args: *const HPy, $nargs: $n $(, $kw: HPy)?) -> $r {
                // SAFETY: the universal context calls this shim, through the
                // trampoline of `$sig`, with that signature's arguments (this
                // thread's PENDING call set just before): `func` gets the HPy
                // type of `$sig`, and `$args` holds the `$count` handles
                // `lend_call` reads, live for the call.
                unsafe {
                    let call = Call::take();
                    let f: unsafe extern "C" fn(*mut HPyContext, HPy, *const HPy, $n $(, array_shims!(@hpy $kw))?) -> $r = core::mem::transmute(call.func);
                    let info = call.info();
                    let (ds, dargs, dkw) = lend_call(info, $s, $args, $count, array_shims!(@kw $($kw)?));
                    $(let $kw = dkw;)?
                    let r = call.run(|ctx| f(ctx, ds, dargs.as_ptr(), $nargs $(, $kw)?));
                    settle!(info, r: $r; ds, dkw; dargs)
                }
            }
            }
            )*
        };
        (@hpy $kw:ident) => { HPy };
        // The keywords' universal handle: NULL for VARARGS.
        (@kw) => { HPy::NULL };
        (@kw $kw:ident) => { $kw };
    }

    array_shims! {
        VARARGS(u, s, args, nargs: usize) -> HPy { nargs }
        // Keyword values follow the positional ones, one per name.
        KEYWORDS(u, s, args, nargs: usize, kwnames) -> HPy {
            nargs + if kwnames.is_null() { 0 } else { usize::try_from(((*u).ctx_Length)(u, kwnames)).unwrap_or(0) }
        }
        INITPROC(u, s, args, nargs: isize, kw) -> c_int { usize::try_from(nargs).unwrap_or(0) }
        NEWFUNC(u, s, args, nargs: isize, kw) -> HPy { usize::try_from(nargs).unwrap_or(0) }
    }

    // SAFETY (the raise): `_u` is the live universal context that called the shim.
    crate::guarded_entry! { named "the debug mode's trampoline shim for ", |msg| unsafe { crate::guard::raise_in(_u, msg) };
    pub(super) unsafe extern "C" fn GETBUFFERPROC(_u: *mut HPyContext, s: HPy, view: *mut HPy_buffer, flags: c_int) -> c_int {
        // SAFETY: the universal context calls this shim for a GETBUFFERPROC
        // implementation (PENDING set just before): `func` gets that HPy type,
        // and `view` is the VM's buffer (NULL checked before it is read), which
        // the implementation filled when `r >= 0`.
        unsafe {
            let call = Call::take();
            let f: unsafe extern "C" fn(*mut HPyContext, HPy, *mut HPy_buffer, c_int) -> c_int = core::mem::transmute(call.func);
            let info = call.info();
            let (ds, _, _) = lend_call(info, s, core::ptr::null(), 0, HPy::NULL);
            let r = call.run(|ctx| f(ctx, ds, view, flags));
            // On success the view owns a handle to its exporter: a universal one
            // from now on.
            if r >= 0 && !view.is_null() {
                let obj = (*view).obj;
                (*view).obj = settle!(info, obj: HPy; ds;);
            } else {
                settle!(info, r: c_int; ds;);
            }
            r
        }
    }
    }

    // SAFETY (the raise): `_u` is the live universal context that called the shim.
    crate::guarded_entry! { named "the debug mode's trampoline shim for ", |msg| unsafe { crate::guard::raise_in(_u, msg) };
    pub(super) unsafe extern "C" fn RELEASEBUFFERPROC(_u: *mut HPyContext, s: HPy, view: *mut HPy_buffer) {
        // SAFETY: the universal context calls this shim for a RELEASEBUFFERPROC
        // implementation (PENDING set just before): `func` gets that HPy type,
        // and `view` is NULL (checked before each access) or the buffer an
        // earlier getbuffer filled, whose `obj` is swapped for a lent debug
        // handle during the call and put back after.
        unsafe {
            let call = Call::take();
            let f: unsafe extern "C" fn(*mut HPyContext, HPy, *mut HPy_buffer) = core::mem::transmute(call.func);
            let info = call.info();
            let uobj = if view.is_null() { HPy::NULL } else { (*view).obj };
            let (ds, _, dobj) = lend_call(info, s, core::ptr::null(), 0, uobj);
            if !view.is_null() {
                (*view).obj = dobj;
            }
            call.run(|ctx| f(ctx, ds, view));
            let done = ();
            settle!(info, done: (); ds, dobj;);
            if !view.is_null() {
                (*view).obj = uobj;
            }
        }
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
///
/// # Safety
/// `ctx` is a context Lichen made (they live for the rest of the process).
pub unsafe fn is_debug_context(ctx: *mut HPyContext) -> bool {
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
    // SAFETY: `call_under`'s contract: `dctx` is a live debug context, so
    // `ctx_info` reads its `CtxInfo`; the shim for `sig` is an `extern "C"`
    // function of that signature, which `call` calls through the untyped `Impl`
    // implementations have.
    unsafe {
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
    // The panic barrier, as for the universal entry (which the call below
    // goes through, guarded itself): a SystemError and a failed block.
    let raise = |msg: &str| {
        // SAFETY: `dctx` is the context the trampoline passed, `args` the
        // block of `sig`.
        unsafe {
            crate::debug::context::raise_in_debug(dctx, msg);
            crate::api::mark_failed(sig, args);
        }
    };
    // SAFETY: HPy's rules for a trampoline's arguments: `dctx` is the debug
    // context the trampoline was given (`ctx_info` stops the process
    // otherwise), `func` the implementation of `sig` and `args` that
    // signature's block, passed on unchanged to the universal context, with the
    // shim in place of `func` (see below).
    crate::guard::guard("HPy context function 'CallRealFunctionFromTrampoline' (debug mode)", raise, || unsafe {
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
    })
}
