//! The debug context: every handle the extension sees is a debug handle
//! wrapping a universal one. Arguments are unwrapped (reporting closed or
//! unknown handles), results wrapped. Host-neutral: it only talks to the
//! wrapped universal context.
//!
//! As in HPy, several copies of the context exist: each call from the VM into
//! the extension runs with the next copy of a small ring and only that copy
//! is valid meanwhile, so an extension that keeps a context beyond the call
//! it got it for is caught ("Wrong HPy Context"). Which copy is valid is a
//! property of the thread (its innermost call from the VM), not of the copy:
//! on a VM without a GIL (RustPython) several threads run extension code at
//! once, each with its own valid copy.

use super::handles::{HandleInfo, HandleTable, Kind, Misuse};
use crate::hook::HookSlot;
use crate::retval::ErrorValue;
use core::ffi::{c_char, c_int};
use lichen_abi::*;
use std::cell::Cell;
use std::ffi::CString;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// How many copies of the debug context rotate (HPy's tests know this number).
pub const CTX_CACHE_SIZE: usize = 16;

const CTX_MAGIC: u64 = 0x4C49_4348_4442_4731;

/// State shared by all copies of one debug context.
pub struct DebugInfo {
    pub(crate) uctx: *mut HPyContext,
    table: Mutex<HandleTable>,
    pub(crate) builders: Mutex<super::builders::BuilderTable>,
    pub(crate) trackers: Mutex<super::handles::AddrSet>,
    on_invalid_handle: HookSlot,
    on_invalid_builder_handle: HookSlot,
    stack_limit: AtomicUsize,
    /// The context handed to the extension at load time (what its
    /// trampolines pass back), and the ring of copies calls run with.
    original: AtomicIsize,
    ring: OnceLock<Box<[usize]>>,
    ring_next: AtomicUsize,
    /// The text of the latest misuse report, for `_debug`.
    last_report: Mutex<Option<String>>,
    /// Whether the misuse HPy's debug mode reports by aborting does so (the
    /// default, which HPy's tests expect) or raises a SystemError from the
    /// context call instead.
    abort_on_misuse: AtomicBool,
    /// The host's way to add a note to the pending exception
    /// ([`note_pending`] for the host).
    note_pending: unsafe fn(&str),
}

/// The host's `note_pending_error`, with the thread's token.
///
/// # Safety
/// The calling thread may use the VM (`HostVm::enter`'s contract).
unsafe fn note_pending<H: crate::Host>(note: &str) {
    // SAFETY: this function's contract is `enter`'s.
    unsafe { H::enter(|vm| H::note_pending_error(vm, note)) }
}

// SAFETY: the raw context pointers are to leaked, immutable-after-build
// contexts; all mutable state is behind mutexes or atomics.
unsafe impl Send for DebugInfo {}
unsafe impl Sync for DebugInfo {}

/// What each copy of the debug context keeps; its `_private` points here.
pub struct CtxInfo {
    magic: u64,
    /// How many calls from the VM run with this copy now (on any thread):
    /// a new call takes a copy no other call uses when there is one, so that
    /// `LeavePythonExecution`, which swaps the table of its copy, affects
    /// only its own thread.
    pub(crate) in_use: AtomicUsize,
    pub(crate) info: *const DebugInfo,
}

thread_local! {
    /// The copy this thread's innermost call from the VM runs with; NULL
    /// outside such calls, where the context the extension was loaded with
    /// is the valid one.
    static ACTIVE: Cell<*mut HPyContext> = const { Cell::new(core::ptr::null_mut()) };
}

/// Makes `dctx` the valid copy of this thread until the returned previous
/// one is put back with [`restore_active`].
pub(crate) fn activate(dctx: *mut HPyContext) -> *mut HPyContext {
    ACTIVE.with(|a| a.replace(dctx))
}

pub(crate) fn restore_active(prev: *mut HPyContext) {
    ACTIVE.with(|a| a.set(prev))
}

/// The per-copy info of a debug context, checking that it is one.
///
/// # Safety
/// `dctx` must be a context pointer the extension got from Lichen.
#[inline]
pub unsafe fn ctx_info<'a>(dctx: *mut HPyContext) -> &'a CtxInfo {
    // SAFETY: the caller passes a context pointer the extension got from
    // Lichen, so `dctx` is readable; its `_private` is a `CtxInfo` only if the
    // magic matches (a foreign context stops the process in
    // `report_wrong_context` before the reference is made), and every `CtxInfo`
    // is leaked, so it lives for any `'a`.
    unsafe {
        let p = (*dctx)._private as *const CtxInfo;
        if p.is_null() || (*p).magic != CTX_MAGIC {
            report_wrong_context("a context that is not Lichen's debug context");
        }
        &*p
    }
}

impl CtxInfo {
    #[inline]
    pub fn info(&self) -> &DebugInfo {
        // SAFETY: `info` points to the leaked DebugInfo shared by all copies.
        unsafe { &*self.info }
    }

    /// Runs `f` (a call into the universal context) with the debug context
    /// recorded as the caller's, so that what the host makes meanwhile (a
    /// type from a spec) calls the extension back in debug mode. An
    /// extension called back meanwhile runs with another copy (see
    /// [`activate`]) and must not use this one.
    #[inline]
    pub(crate) fn call_universal<R>(&self, f: impl FnOnce() -> R) -> R {
        crate::call::with_caller(self.info().original(), f)
    }

    /// Whether `dctx`, whose info this is, may be used on this thread now.
    #[inline]
    fn is_valid(&self, dctx: *mut HPyContext) -> bool {
        let active = ACTIVE.with(Cell::get);
        if active.is_null() {
            dctx == self.info().original()
        } else {
            dctx == active
        }
    }
}

/// Checks that `dctx` may be used now and returns its info; `None` when the
/// call must fail (a SystemError is then set, or the call refused).
///
/// # Safety
/// As [`ctx_info`].
#[inline]
pub(crate) unsafe fn try_enter<'a>(dctx: *mut HPyContext, func: &'static str) -> Option<&'a CtxInfo> {
    // SAFETY: `try_enter`'s contract is `ctx_info`'s, the only unsafe call
    // here; `c.info()` and the checks after it are safe.
    unsafe {
        let c = ctx_info(dctx);
        if !c.is_valid(dctx) {
            wrong_context(c.info(), func);
            return None;
        }
        // The copy that left Python refuses calls by itself (see `released`);
        // another copy used meanwhile is refused here.
        if super::released::is_left() {
            let message = format!(
                "HPy context function ctx_{func} called between HPy_LeavePythonExecution and HPy_ReenterPythonExecution"
            );
            if c.info().aborts_on_misuse() {
                c.info().fatal(&message);
            }
            // Without the GIL nothing can be raised now: reentering raises it.
            super::released::refuse(func);
            return None;
        }
        Some(c)
    }
}

/// [`try_enter`], returning the function's error value from the caller when the
/// call must fail.
macro_rules! enter {
    ($dctx:expr, $func:expr) => {
        match $crate::debug::context::try_enter($dctx, $func) {
            Some(c) => c,
            None => return $crate::retval::ErrorValue::error_value(),
        }
    };
}
pub(crate) use enter;

/// A context copy used outside the call it was given for: HPy's report and
/// abort, or a SystemError when aborting is off.
fn wrong_context(info: &DebugInfo, func: &str) {
    if info.aborts_on_misuse() {
        report_wrong_context(func);
    }
    // With aborting off, `fatal` notes the report and raises it.
    info.fatal(&format!(
        "Wrong HPy Context: ctx_{func} was called with a context kept from an earlier call \
         (a context is valid only during the call it was passed to)"
    ));
}

/// HPy's report for a context used outside the call it was given for.
fn report_wrong_context(func: &str) -> ! {
    eprintln!("Error: Wrong HPy Context!");
    eprintln!("(the extension called ctx_{func} with a context it kept from an earlier call)");
    eprint!("{}", super::stack::Stack::capture(16));
    std::process::abort()
}

impl DebugInfo {
    pub fn table(&self) -> MutexGuard<'_, HandleTable> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The state of the debug handle `handle` (its bits) and, when it is
    /// open, a new universal handle to its object, which the caller closes
    /// (NULL otherwise). Both come from one look under the table's lock, so
    /// a `Close` on another thread cannot free the object in between: what
    /// the hosts' `DebugHandle.obj` needs where no GIL orders the threads.
    pub fn state_and_object(&self, handle: isize) -> (Option<HandleInfo>, HPy) {
        let table = self.table();
        let state = table.info(handle);
        let obj = match &state {
            // SAFETY: an open entry owns its universal handle, which a
            // `Close` releases only after marking the entry closed under this
            // lock; `Dup` only adds a reference and runs no Python code.
            Some(s) if !s.closed => unsafe { ((*self.uctx).ctx_Dup)(self.uctx, s.uh) },
            _ => HPy::NULL,
        };
        drop(table);
        (state, obj)
    }

    pub fn uctx(&self) -> *mut HPyContext {
        self.uctx
    }

    /// The context the extension was loaded with.
    pub fn original(&self) -> *mut HPyContext {
        self.original.load(Relaxed) as *mut HPyContext
    }

    pub(crate) fn stack(&self) -> Option<super::stack::Stack> {
        match self.stack_limit.load(Relaxed) {
            0 => None,
            n => Some(super::stack::Stack::capture(n)),
        }
    }

    /// A new debug handle owning the universal handle `uh`.
    pub fn open(&self, uh: HPy) -> HPy {
        self.open_kind(uh, Kind::Owned)
    }

    pub(crate) fn open_kind(&self, uh: HPy, kind: Kind) -> HPy {
        if uh.is_null() {
            return HPy::NULL;
        }
        let stack = self.stack();
        self.table().open(uh, kind, stack)
    }

    /// The universal handle behind `dh`, reporting misuse. `Err` when there
    /// is nothing to continue with; an exception is then set.
    pub(crate) fn unwrap(&self, dh: HPy, func: &str) -> Result<HPy, ()> {
        let r = self.table().unwrap(dh);
        match r {
            Ok(uh) => Ok(uh),
            Err(m) => self.misuse(dh, m, func),
        }
    }

    /// Reports `m`; HPy's hook may let execution go on with the stale
    /// universal handle of a closed one. An unknown value has none: the call
    /// fails with SystemError.
    pub(crate) fn misuse(&self, dh: HPy, m: Misuse, func: &str) -> Result<HPy, ()> {
        if !self.invalid_handle(dh, m, func) {
            return Err(());
        }
        match m {
            Misuse::Unknown => {
                self.set_error(&format!("ctx_{func}: invalid handle (not an open handle of the debug context)"));
                Err(())
            }
            other => Ok(other.stale()),
        }
    }

    /// Reports the misuse `m` of the debug handle `dh` in `func`: calls the
    /// `on_invalid_handle` hook, or aborts with HPy's message (or, when
    /// aborting is off, sets a SystemError with it). The report names the
    /// context function and, when stack traces are on, where the handle was
    /// opened. True when a hook ran and execution may go on.
    pub fn invalid_handle(&self, dh: HPy, m: Misuse, func: &str) -> bool {
        let what = match m {
            Misuse::Closed { .. } => "Invalid usage of already closed handle",
            Misuse::Immortal { .. } => "Invalid usage of already closed handle (a context constant was closed)",
            Misuse::Unknown => "Invalid usage of a value that is not a debug handle",
        };
        let mut report = format!("{what} (in ctx_{func})");
        let stack = self.table().info(dh._i).and_then(|i| i.stack);
        if let Some(stack) = stack {
            report.push_str("\nAllocation stacktrace:\n");
            report.push_str(&stack.to_string());
        }
        self.note_report(&report);
        // SAFETY: the hooks hold handles of the live universal context.
        let hook = unsafe { self.on_invalid_handle.get(self.uctx) };
        if hook.is_null() {
            self.fatal(&report);
            return false;
        }
        self.call_hook(hook, "on_invalid_handle");
        true
    }

    /// Reports a consumed or unknown builder used in `func`: calls the
    /// `on_invalid_builder_handle` hook when set (HPy's behaviour), else
    /// raises a SystemError. HPy aborts there, but the GIL is held and the
    /// extension is told through the call's error value, so the process can
    /// live on.
    pub fn invalid_builder(&self, func: &str) {
        let report = format!("Invalid usage of already closed builder (in ctx_{func})");
        self.note_report(&report);
        // SAFETY: `self.uctx` is the live universal context this debug
        // context wraps, whose handles the hook slot holds, as `get`
        // requires.
        let hook = unsafe { self.on_invalid_builder_handle.get(self.uctx) };
        if hook.is_null() {
            self.set_error_once(&format!(
                "ctx_{func}: the builder was already built or cancelled (or was never created)"
            ));
            return;
        }
        self.call_hook(hook, "on_invalid_builder_handle");
    }

    /// Sets a SystemError unless one is pending already: a void function
    /// that misuses something may be followed by more calls before the
    /// extension returns, and the first report is the telling one.
    pub(crate) fn set_error_once(&self, message: &str) {
        let u = self.uctx;
        // SAFETY: the universal context is live and the GIL is held.
        if unsafe { ((*u).ctx_Err_Occurred)(u) } == 0 {
            self.set_error(message);
        }
    }

    /// Names `func` in the notes of the exception it raised, if it did:
    /// the VM's own message (say, an int required) does not tell which call
    /// of the extension failed. The `Err_` functions raise on the
    /// extension's behalf and are not named.
    pub(crate) fn note_raised(&self, func: &str) {
        let u = self.uctx;
        // SAFETY: the universal context is live and the GIL is held.
        if func.starts_with("Err_") || unsafe { ((*u).ctx_Err_Occurred)(u) } == 0 {
            return;
        }
        // SAFETY: called by a debug context function, on the thread the
        // extension called it on, which may use the VM (the universal
        // context just ran there): `note_pending`'s contract.
        unsafe { (self.note_pending)(&format!("raised in the HPy context function ctx_{func} (Lichen debug mode)")) };
    }

    /// Remembers `report` as the latest one: HPy's hooks take no argument,
    /// so this is where a hook (or a test) reads which function misused what.
    pub(crate) fn note_report(&self, report: &str) {
        *self.last_report.lock().unwrap_or_else(|e| e.into_inner()) = Some(report.to_string());
    }

    /// The latest misuse report, forgotten once read.
    pub fn take_last_report(&self) -> Option<String> {
        self.last_report.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// Calls `hook` (a new universal handle from a hook slot, closed here).
    fn call_hook(&self, hook: HPy, which: &str) {
        let u = self.uctx;
        // SAFETY: `u` is the live universal context; `hook` is a universal
        // handle this call owns.
        unsafe {
            let r = ((*u).ctx_CallTupleDict)(u, hook, HPy::NULL, HPy::NULL);
            if r.is_null() {
                eprintln!("Error when executing the {which} callback");
                ((*u).ctx_Err_Clear)(u);
            } else {
                ((*u).ctx_Close)(u, r);
            }
            ((*u).ctx_Close)(u, hook);
        }
    }

    /// Aborts the process through the VM with `message`; when aborting is
    /// off, notes the report and sets a SystemError with it instead, and the
    /// caller fails the context call.
    pub fn fatal(&self, message: &str) {
        if !self.aborts_on_misuse() {
            self.note_report(message);
            self.set_error_once(message);
            return;
        }
        let msg = CString::new(message.replace('\0', " ")).unwrap_or_default();
        // SAFETY: the universal context is live; FatalError does not return
        // on any host, and if one did we simply go on.
        unsafe { ((*self.uctx).ctx_FatalError)(self.uctx, msg.as_ptr()) }
    }

    pub fn aborts_on_misuse(&self) -> bool {
        self.abort_on_misuse.load(Relaxed)
    }

    /// Chooses between HPy's abort and a SystemError for the misuse HPy's
    /// debug mode treats as fatal; returns the previous choice.
    pub fn set_abort_on_misuse(&self, abort: bool) -> bool {
        self.abort_on_misuse.swap(abort, Relaxed)
    }

    /// Sets a SystemError in the VM.
    pub(crate) fn set_error(&self, message: &str) {
        let msg = CString::new(message.replace('\0', " ")).unwrap_or_default();
        // SAFETY: the universal context is live.
        unsafe { ((*self.uctx).ctx_Err_SetString)(self.uctx, (*self.uctx).h_SystemError, msg.as_ptr()) }
    }

    fn replace_hook(&self, slot: &HookSlot, func: HPy) {
        // SAFETY: `uctx` is the live universal context; the caller hands
        // over `func`, a universal handle.
        unsafe { slot.replace(self.uctx, func) }
    }

    /// Replaces the invalid-handle hook by the universal handle `func`
    /// (owned from now on; NULL removes the hook).
    pub fn set_on_invalid_handle(&self, func: HPy) {
        self.replace_hook(&self.on_invalid_handle, func);
    }

    pub fn set_on_invalid_builder_handle(&self, func: HPy) {
        self.replace_hook(&self.on_invalid_builder_handle, func);
    }

    /// How many frames of the opening stack each handle records (0: none).
    pub fn set_handle_stack_trace_limit(&self, limit: usize) {
        self.stack_limit.store(limit, Relaxed);
    }

    pub fn new_generation(&self) -> u64 {
        self.table().new_generation()
    }

    pub fn open_handles(&self, generation: u64) -> Vec<HandleInfo> {
        self.table().open_handles(generation)
    }

    pub fn closed_handles(&self, generation: u64) -> Vec<HandleInfo> {
        self.table().closed_handles(generation)
    }

    /// Closes the debug handle `dh` as the extension's `HPy_Close` would.
    pub fn force_close(&self, dh: HPy) {
        // SAFETY: the original context is a live debug context; closing goes
        // through the same path as the extension's HPy_Close.
        unsafe { close_handle(self, dh, "Close") }
    }

    /// The next copy of the ring for a call from the VM into the extension,
    /// marked in use (see [`CtxInfo::in_use`]) until [`DebugInfo::release_ctx`]:
    /// the first one from the rotating start that no call uses, else (every
    /// copy busy: deep nesting, or many threads) the one at the start.
    pub(crate) fn next_ctx(&self) -> *mut HPyContext {
        let ring = self.ring.get().expect("the ring is made with the debug context");
        let start = self.ring_next.fetch_add(1, Relaxed);
        let at = |k: usize| ring[(start + k) % ring.len()] as *mut HPyContext;
        for k in 0..ring.len() {
            // SAFETY: the ring holds copies made by `copy_with_info`.
            let c = unsafe { ctx_info(at(k)) };
            if c.in_use.compare_exchange(0, 1, Relaxed, Relaxed).is_ok() {
                return at(k);
            }
        }
        // SAFETY: `at(0)` is a copy of the ring too, made by
        // `copy_with_info`, which is what `ctx_info` needs.
        unsafe { ctx_info(at(0)) }.in_use.fetch_add(1, Relaxed);
        at(0)
    }

    /// The end of the call [`DebugInfo::next_ctx`] gave `dctx` for.
    pub(crate) fn release_ctx(&self, dctx: *mut HPyContext) {
        // SAFETY: `dctx` came from `next_ctx`.
        unsafe { ctx_info(dctx) }.in_use.fetch_sub(1, Relaxed);
    }
}

/// Closes `dh` and, when the extension owned it, its universal handle.
pub(crate) unsafe fn close_handle(info: &DebugInfo, dh: HPy, func: &str) {
    // SAFETY: `info.uctx` is the live universal context of `info`'s debug
    // context; `Close` gets `c.uh`, the universal handle the table says the
    // extension owned through `dh`, now removed from the table, so it is closed
    // once.
    unsafe {
        if dh.is_null() {
            return;
        }
        let r = info.table().close(dh);
        match r {
            Ok(c) if c.kind == Kind::Owned => ((*info.uctx).ctx_Close)(info.uctx, c.uh),
            // An argument closed by the extension: its lender still owns the
            // universal handle; the end of the call reports the misuse.
            Ok(_) => {}
            Err(m) => {
                info.invalid_handle(dh, m, func);
            }
        }
    }
}

/// Conversion of one argument of a context function from debug to universal.
pub trait Unwrap: Sized {
    unsafe fn unwrap(self, info: &DebugInfo, func: &str) -> Result<Self, ()>;
}

/// Conversion of a context function's result from universal to debug.
pub trait Wrap: Sized {
    fn wrap(self, info: &DebugInfo) -> Self;
}

impl Unwrap for HPy {
    #[inline]
    unsafe fn unwrap(self, info: &DebugInfo, func: &str) -> Result<HPy, ()> {
        info.unwrap(self, func)
    }
}

impl Wrap for HPy {
    #[inline]
    fn wrap(self, info: &DebugInfo) -> HPy {
        info.open(self)
    }
}

/// Values the debug context passes on unchanged in both directions: they
/// hold no handles.
pub trait Passthrough: Sized {}

impl<T: Passthrough> Unwrap for T {
    #[inline(always)]
    unsafe fn unwrap(self, _: &DebugInfo, _: &str) -> Result<Self, ()> {
        Ok(self)
    }
}

impl<T: Passthrough> Wrap for T {
    #[inline(always)]
    fn wrap(self, _: &DebugInfo) -> Self {
        self
    }
}

macro_rules! passthrough {
    ($($ty:ty),* $(,)?) => {$(
        impl Passthrough for $ty {}
    )*};
}

passthrough! {
    (), i32, u32, i64, u64, isize, usize, f64, bool,
    HPyField, HPyGlobal, HPyListBuilder, HPyTupleBuilder, HPyTracker, HPyThreadState,
    HPyCFunction, HPyFunc_Signature, HPyType_BuiltinShape, _HPyCapsule_key, HPy_SourceKind,
}

// Pointers pass through; the functions whose pointers hold handles
// (`*const HPy` arrays, `HPyType_SpecParam`, `*mut HPy` results) are
// overridden in `overrides`.
impl<T> Passthrough for *const T {}
impl<T> Passthrough for *mut T {}

macro_rules! debug_wrappers {
    (; $($field:ident $name:ident ($($arg:ident : $ty:ty),*) -> $ret:ty,)*) => {
        $(
            pub unsafe extern "C" fn $name(dctx: *mut HPyContext $(, $arg: $ty)*) -> $ret {
                // SAFETY: HPy's rules for an ABI entry: `dctx` is a context the
                // extension was given (`enter!` checks it is a valid copy now),
                // and the arguments are as it passed them, each unwrapped into
                // its universal form (or refused) before the universal
                // context's function, `u` being its live universal context.
                unsafe {
                    let c = enter!(dctx, stringify!($name));
                    let info = c.info();
                    // The panic barrier (crate::guard) for the debug bookkeeping
                    // (handle table, checks); the wrapped function has its own.
                    crate::guard::guard(
                        concat!("HPy context function '", stringify!($name), "' (debug mode)"),
                        |msg| crate::guard::raise_in(info.uctx, msg),
                        || {
                            $(
                                let Ok($arg) = <$ty as Unwrap>::unwrap($arg, info, stringify!($name)) else {
                                    return <$ret as ErrorValue>::error_value();
                                };
                            )*
                            let u = info.uctx;
                            let r = c.call_universal(|| ((*u).$field)(u $(, $arg)*));
                            if <$ret as ErrorValue>::may_be_error(&r) {
                                info.note_raised(stringify!($name));
                            }
                            <$ret as Wrap>::wrap(r, info)
                        },
                    )
                }
            }
        )*
    };
}

/// The default wrapper of every context function.
pub(crate) mod generated {
    #![allow(clippy::too_many_arguments, clippy::unused_unit)]
    use super::*;
    use core::ffi::c_void;
    lichen_abi::context_functions!(debug_wrappers);
}

macro_rules! member_value {
    ($uctx:ident, $info:ident, handle $field:ident $name:ident) => {
        $info.open_kind((*$uctx).$field, Kind::Immortal)
    };
    ($uctx:ident, $info:ident, fn $field:ident $name:ident) => {
        generated::$name
    };
}

macro_rules! build_debug_context {
    ($uctx:ident, $info:ident ; $($kind:ident $field:ident $member:ident,)*) => {
        HPyContext {
            name: c"HPy Debug Mode ABI (Lichen)".as_ptr(),
            _private: core::ptr::null_mut(),
            abi_version: (*$uctx).abi_version as c_int,
            $($field: member_value!($uctx, $info, $kind $field $member),)*
        }
    };
}

fn copy_with_info(template: &HPyContext, info: *const DebugInfo) -> *mut HPyContext {
    let ci = Box::new(CtxInfo { magic: CTX_MAGIC, in_use: AtomicUsize::new(0), info });
    let mut ctx = HPyContext { ..*template };
    ctx._private = Box::into_raw(ci).cast();
    Box::into_raw(Box::new(ctx))
}

/// A new debug context over `uctx`, leaked with its ring of copies:
/// extensions keep the pointer for the life of the process.
///
/// # Safety
/// `uctx` must be a universal context that lives for the rest of the process.
pub unsafe fn debug_context<H: crate::Host>(uctx: *mut HPyContext) -> *mut HPyContext {
    // SAFETY: `debug_context`'s contract: `uctx` is a universal context that
    // lives for the rest of the process, read for its handle constants
    // (`context_members!`) and ABI version, and kept in the leaked `DebugInfo`.
    unsafe {
        let info: &'static DebugInfo = Box::leak(Box::new(DebugInfo {
            uctx,
            table: Mutex::new(HandleTable::new()),
            builders: Mutex::new(super::builders::BuilderTable::default()),
            trackers: Mutex::new(Default::default()),
            on_invalid_handle: HookSlot::new(),
            on_invalid_builder_handle: HookSlot::new(),
            stack_limit: AtomicUsize::new(0),
            original: AtomicIsize::new(0),
            ring: OnceLock::new(),
            ring_next: AtomicUsize::new(0),
            last_report: Mutex::new(None),
            abort_on_misuse: AtomicBool::new(true),
            note_pending: note_pending::<H>,
        }));
        let mut template = lichen_abi::context_members!(build_debug_context, uctx, info);
        super::overrides::install(&mut template);
        let original = copy_with_info(&template, info);
        info.original.store(original as isize, Relaxed);
        let ring = (0..CTX_CACHE_SIZE).map(|_| copy_with_info(&template, info) as usize).collect();
        let _ = info.ring.set(ring);
        original
    }
}

/// The shared info behind any copy of a debug context.
///
/// # Safety
/// `dctx` must be a context made by [`debug_context`].
pub unsafe fn info<'a>(dctx: *mut HPyContext) -> &'a DebugInfo {
    // SAFETY: `info`'s contract: `dctx` was made by `debug_context`, so
    // `ctx_info` finds its `CtxInfo`, whose `info` points to the leaked
    // `DebugInfo` every copy shares.
    unsafe {
        &*ctx_info(dctx).info
    }
}

// The three overrides below have no error channel, so they are not behind
// `guarded_entry!` as the others are, which turns a panic into a
// SystemError and the function's error value:
// - `LeavePythonExecution` returns a thread state the extension hands back
//   to `ReenterPythonExecution` without looking at it, and
//   `ReenterPythonExecution` returns nothing: neither has an error value the
//   extension checks (HPy documents none), and the extension goes on to run
//   code without, or with, the GIL as if the call had worked.
// - After a panic in either it is not known whether the thread holds the
//   GIL (the panic may come before or after the universal function released
//   or took it), and setting an exception needs it.
// - `FatalError` must not return.
// So a panic goes to HPy's fatal-error path (`crate::guard::guard_fatal`):
// the universal context's `FatalError`, which needs no GIL, with the
// message naming the function, then an abort if that returned. The process
// ends, as HPy requires for these, but with a report instead of Rust's
// "panic in a function that cannot unwind". The universal context's own
// three functions are behind the same barrier (`crate::context`), as are
// the trace context's wrappers of Leave and Reenter.

/// The fatal-error path of [`guard_fatal`](crate::guard::guard_fatal) for
/// the overrides above: the universal `FatalError` of `dctx`'s debug
/// context.
///
/// # Safety
/// `dctx` is the context the extension called with.
unsafe fn fatal_in_debug(dctx: *mut HPyContext, msg: &str) {
    // SAFETY: `ctx_info` stops the process on a context that is not a debug
    // one (so `dctx` was made by `debug_context`), whose universal context
    // lives for the rest of the process, as `fatal_in` requires.
    unsafe { crate::guard::fatal_in(ctx_info(dctx).info().uctx, msg) }
}

/// Installs `LeavePythonExecution`, `ReenterPythonExecution` and
/// `FatalError` in `ctx`, each the variant that panics on every call where
/// `LICHEN_SELFTEST_PANIC=debug:Name` asks for it (see
/// [`crate::guard::selftest_panics_debug`]; a panic of the universal
/// function ends the process in the universal context's own barrier, named
/// without "(debug mode)", before these would see it, so the self-test must
/// reach them here).
pub(crate) fn install_fatal_overrides(ctx: &mut HPyContext) {
    let target = crate::guard::selftest_panic_target();
    let panics = |name| crate::guard::selftest_panics_debug(target.as_deref(), name);
    ctx.ctx_LeavePythonExecution =
        if panics("LeavePythonExecution") { LeavePythonExecution::<true> } else { LeavePythonExecution::<false> };
    ctx.ctx_ReenterPythonExecution =
        if panics("ReenterPythonExecution") { ReenterPythonExecution::<true> } else { ReenterPythonExecution::<false> };
    ctx.ctx_FatalError = if panics("FatalError") { FatalError::<true> } else { FatalError::<false> };
}

/// One of the overrides above, `fn Name(dctx, args) -> R { body }`, as
/// `Name::<PANIC>` behind [`guard_fatal`](crate::guard::guard_fatal), with
/// `fatal` (an `unsafe` closure of the message) as its fatal-error path.
/// `PANIC = true` is the self-test variant, which panics before the body
/// (see [`install_fatal_overrides`]). The body is an `unsafe` block with a
/// SAFETY comment of its own, as in `guarded_entry!`.
macro_rules! fatal_override {
    ($fatal:expr; $(#[$m:meta])* fn $name:ident($dctx:ident $(, $arg:ident : $ty:ty)*) $(-> $ret:ty)? { $($body:tt)* }) => {
        $(#[$m])*
        unsafe extern "C" fn $name<const PANIC: bool>($dctx: *mut HPyContext $(, $arg: $ty)*) $(-> $ret)? {
            crate::guard::guard_fatal(
                concat!("HPy context function '", stringify!($name), "' (debug mode)"),
                // SAFETY: `dctx` is the context the extension called with,
                // and the other arguments are as it passed them.
                #[allow(unused_unsafe, clippy::macro_metavars_in_unsafe)]
                |msg| unsafe { $fatal(msg) },
                || {
                    if PANIC {
                        crate::guard::selftest_panic(concat!("debug:", stringify!($name)));
                    }
                    $($body)*
                },
            )
        }
    };
}

fatal_override! { |msg| fatal_in_debug(dctx, msg);
/// `LeavePythonExecution`: until `ReenterPythonExecution`, calls through
/// this context copy are refused and reported on reentry (see `released`).
fn LeavePythonExecution(dctx) -> HPyThreadState {
    // SAFETY: HPy's rules for this call: `dctx` is the debug context
    // copy the extension was given for the running call (`enter!`
    // checks it), so its universal context is live and the GIL is
    // held until the universal `LeavePythonExecution` releases it;
    // `leave` then swaps the table of that same copy, which this
    // thread alone uses until it reenters.
    unsafe {
        let c = enter!(dctx, "LeavePythonExecution");
        let u = c.info().uctx;
        let state = c.call_universal(|| ((*u).ctx_LeavePythonExecution)(u));
        super::released::leave(dctx);
        state
    }
}
}

fatal_override! { |msg| fatal_in_debug(dctx, msg);
/// `ReenterPythonExecution`: the real table back, then the calls refused
/// meanwhile raised as a SystemError.
fn ReenterPythonExecution(dctx, state: HPyThreadState) {
    // SAFETY: HPy's rules for this call: `dctx` is a context the
    // extension was given (`ctx_info` stops the process otherwise),
    // so its universal context is live. `reenter` puts back the
    // table `leave` swapped on this thread, if any; only when there
    // was one is the universal `ReenterPythonExecution` called, with
    // the `state` its `LeavePythonExecution` returned, after which
    // the GIL is held for `set_error`. Without one the thread never
    // left, so it holds the GIL.
    unsafe {
        let c = ctx_info(dctx);
        let info = c.info();
        if !c.is_valid(dctx) {
            wrong_context(info, "ReenterPythonExecution");
            return;
        }
        let Some((refused, count)) = super::released::reenter() else {
            // Not left, so the GIL is held: a plain exception will do, and the
            // universal context must not see a thread state it never gave.
            info.set_error("ctx_ReenterPythonExecution: HPy_ReenterPythonExecution called without a matching HPy_LeavePythonExecution");
            return;
        };
        let u = info.uctx;
        c.call_universal(|| ((*u).ctx_ReenterPythonExecution)(u, state));
        if let Some(name) = refused {
            info.set_error(&format!(
                "ctx_{name} called between HPy_LeavePythonExecution and HPy_ReenterPythonExecution \
             ({count} call(s) refused: the thread did not hold the GIL)"
            ));
        }
    }
}
}

// The fatal-error path prints the extension's own message, if it can be
// read, before the abort that reports the panic.
fatal_override! { |_| crate::guard::print_fatal_message(message);
/// `FatalError` goes straight to the VM: there is nothing left to check.
fn FatalError(dctx, message: *const c_char) {
    // SAFETY: `dctx` is a context the extension was given (`ctx_info`
    // stops the process otherwise), whose universal context is live;
    // `message` is passed on as the extension gave it, under the same
    // rules (NULL or NUL-terminated).
    unsafe {
        let u = ctx_info(dctx).info().uctx;
        ((*u).ctx_FatalError)(u, message)
    }
}
}

/// How a panic caught in a debug-mode override is reported (see
/// `crate::guard`): a `SystemError` set through the wrapped universal
/// context.
///
/// # Safety
/// `dctx` is the debug context the extension called with; the thread may
/// use the VM.
pub(crate) unsafe fn raise_in_debug(dctx: *mut HPyContext, msg: &str) {
    // SAFETY: `dctx` is the debug context the extension called with (this
    // function's contract; a foreign one was refused, and the process
    // stopped, by `ctx_info` before the override ran), so its `uctx` is the
    // live universal context; the thread may use the VM (the contract's
    // second clause): both of `raise_in`'s conditions.
    unsafe { crate::guard::raise_in(ctx_info(dctx).info().uctx, msg) }
}
