//! Trace mode: a context that wraps a universal context and counts the calls
//! and the time spent in each context function, optionally calling Python
//! functions on entry and exit. Host-neutral: it only talks to the wrapped
//! context, so every host gets it. The wrappers are generated from the ABI
//! declaration.

use core::ffi::c_int;
use lichen_abi::*;
use std::ffi::CString;
use crate::context::wrapping_context;
use crate::hook::HookSlot;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

const N: usize = FUNCTION_NAMES.len();

/// What a trace context keeps; its `_private` points here.
pub struct TraceInfo {
    uctx: *mut HPyContext,
    calls: [AtomicU64; N],
    nanos: [AtomicU64; N],
    on_enter: HookSlot,
    on_exit: HookSlot,
    names: Vec<CString>,
}

/// Functions the trace context hands through unwrapped, as HPy does: the
/// trampoline entry must reach the host with the trace context as its
/// argument, and a fatal error has nothing left to count.
const UNTRACED: [usize; 2] = [func_id::CallRealFunctionFromTrampoline, func_id::FatalError];

impl TraceInfo {
    /// `(name, calls)` for every traced function, names as in HPy (`ctx_Add`).
    pub fn call_counts(&self) -> Vec<(String, u64)> {
        self.per_function(&self.calls)
    }

    /// `(name, nanoseconds)` for every traced function.
    pub fn durations_ns(&self) -> Vec<(String, u64)> {
        self.per_function(&self.nanos)
    }

    fn per_function(&self, values: &[AtomicU64; N]) -> Vec<(String, u64)> {
        (0..N)
            .filter(|i| !UNTRACED.contains(i))
            .map(|i| (format!("ctx_{}", FUNCTION_NAMES[i]), values[i].load(Relaxed)))
            .collect()
    }

    /// Replaces the entry hook. `func` is a universal handle the trace info
    /// takes ownership of (NULL clears the hook).
    pub fn set_on_enter(&self, func: HPy) {
        self.replace(&self.on_enter, func);
    }

    pub fn set_on_exit(&self, func: HPy) {
        self.replace(&self.on_exit, func);
    }

    fn replace(&self, slot: &HookSlot, func: HPy) {
        // SAFETY: `uctx` is the live universal context this trace wraps;
        // the caller hands over `func`.
        unsafe { slot.replace(self.uctx, func) }
    }

    /// Calls the hook in `slot` (if set) with the function's name.
    unsafe fn call_hook(&self, slot: &HookSlot, id: usize) {
        // SAFETY: a `TraceInfo` lives inside a trace context, whose `uctx` is a
        // universal context that lives for the rest of the process
        // (`trace_context`'s contract) and is only called where the thread may
        // use the VM; each handle made here is closed here, and `func` is the
        // reference `slot.get` took.
        unsafe {
            let func = slot.get(self.uctx);
            if func.is_null() {
                return;
            }
            let u = &*self.uctx;
            let name = (u.ctx_Unicode_FromString)(self.uctx, self.names[id].as_ptr());
            let args = (u.ctx_Tuple_FromArray)(self.uctx, &name, 1);
            let result = (u.ctx_CallTupleDict)(self.uctx, func, args, HPy::NULL);
            (u.ctx_Close)(self.uctx, name);
            (u.ctx_Close)(self.uctx, args);
            (u.ctx_Close)(self.uctx, func);
            if result.is_null() {
                (u.ctx_FatalError)(self.uctx, c"error in an HPy trace function".as_ptr());
            }
            (u.ctx_Close)(self.uctx, result);
        }
    }

    /// Runs `call`, the universal function `id`, with the bookkeeping
    /// around it: the count, the time, and the hooks, which are Python
    /// code. `when` says when the hooks may run: around the call for every
    /// function but two. `LeavePythonExecution` gives the VM up (CPython:
    /// releases the GIL), so both of its hooks run before it, while the
    /// thread may still use the VM; `ReenterPythonExecution` takes it back,
    /// so both of its hooks run after it. The count and the time are atomics
    /// and need no VM.
    ///
    /// # Safety
    /// `self` belongs to a live trace context, called by the extension
    /// where it may use the VM (but for `Reenter`, which makes it so).
    #[inline]
    unsafe fn traced<R>(&self, id: usize, when: Hooks, call: impl FnOnce() -> R) -> R {
        // SAFETY: `call_hook`'s condition (this function's contract), at
        // points where the thread may use the VM: before `call` unless it
        // is `Reenter`, after it unless it is `Leave`.
        unsafe {
            self.calls[id].fetch_add(1, Relaxed);
            if when != Hooks::After {
                self.call_hook(&self.on_enter, id);
            }
            if when == Hooks::Before {
                self.call_hook(&self.on_exit, id);
            }
            let start = Instant::now();
            let result = call();
            self.nanos[id].fetch_add(start.elapsed().as_nanos() as u64, Relaxed);
            if when == Hooks::After {
                self.call_hook(&self.on_enter, id);
            }
            if when != Hooks::Before {
                self.call_hook(&self.on_exit, id);
            }
            result
        }
    }
}

/// When a trace wrapper runs the entry and exit hooks (see
/// [`TraceInfo::traced`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Hooks {
    /// Entry hook before the call, exit hook after it.
    Around,
    /// Both before the call (`LeavePythonExecution`).
    Before,
    /// Both after the call (`ReenterPythonExecution`).
    After,
}

/// The trace info of a trace context.
///
/// # Safety
/// `tctx` must be a context made by [`trace_context`].
pub unsafe fn info<'a>(tctx: *mut HPyContext) -> &'a TraceInfo {
    // SAFETY: `info`'s contract: `tctx` was made by `trace_context`, whose
    // `_private` is the leaked `TraceInfo`.
    unsafe {
        &*((*tctx)._private as *const TraceInfo)
    }
}

/// One trace wrapper, `trace_wrapper!(@barrier guard, report, hooks; field
/// Name (args) -> Ret)`: counts and times the call, calls the hooks (when
/// `hooks` says, see [`TraceInfo::traced`]), and calls the same function of
/// the universal context, the wrapper's own bookkeeping behind the panic
/// barrier `crate::guard::$barrier` with `report(info, msg)` as its report.
/// `LeavePythonExecution` and `ReenterPythonExecution` have no error
/// channel, and whether the thread holds the GIL after a panic in their
/// bookkeeping is unknown: a panic there is HPy's fatal-error path
/// (`guard_fatal`), the universal `FatalError`; every other wrapper raises a
/// `SystemError`.
macro_rules! trace_wrapper {
    (@barrier $barrier:ident, $report:path, $hooks:ident; $field:ident $name:ident ($($arg:ident : $ty:ty),*) -> $ret:ty) => {
        pub unsafe extern "C" fn $name(tctx: *mut HPyContext $(, $arg: $ty)*) -> $ret {
            // SAFETY: HPy's rules for an ABI entry: `tctx` is the trace
            // context the extension was given (made by `trace_context`, so
            // `info` reads its `TraceInfo`), and the arguments go unchanged
            // to the same function of its live universal context, which is
            // also what both reports (`raise_in`, `fatal_in`) require.
            unsafe {
                let info = info(tctx);
                crate::guard::$barrier(
                    concat!("HPy context function '", stringify!($name), "' (trace mode)"),
                    |msg| $report(info.uctx, msg),
                    || {
                        // The caller is recorded for what the host makes meanwhile:
                        // a type from a spec runs its slots under the trace context.
                        info.traced(func_id::$name, Hooks::$hooks, || {
                            crate::call::with_caller(tctx, || ((*info.uctx).$field)(info.uctx $(, $arg)*))
                        })
                    },
                )
            }
        }
    };
    ($field:ident LeavePythonExecution $($rest:tt)*) => {
        trace_wrapper!(@barrier guard_fatal, crate::guard::fatal_in, Before; $field LeavePythonExecution $($rest)*);
    };
    ($field:ident ReenterPythonExecution $($rest:tt)*) => {
        trace_wrapper!(@barrier guard_fatal, crate::guard::fatal_in, After; $field ReenterPythonExecution $($rest)*);
    };
    ($field:ident $name:ident $($rest:tt)*) => {
        trace_wrapper!(@barrier guard, crate::guard::raise_in, Around; $field $name $($rest)*);
    };
}

macro_rules! trace_wrappers {
    (; $($field:ident $name:ident ($($arg:ident : $ty:ty),*) -> $ret:ty,)*) => {
        $(trace_wrapper!($field $name ($($arg : $ty),*) -> $ret);)*
    };
}

mod wrappers {
    #![allow(clippy::too_many_arguments)]
    use super::*;
    use core::ffi::{c_char, c_void};
    lichen_abi::context_functions!(trace_wrappers);
}

/// A new trace context over `uctx`, leaked: extensions keep the pointer for
/// the life of the process.
///
/// # Safety
/// `uctx` must be a universal context that lives for the rest of the process.
pub unsafe fn trace_context(uctx: *mut HPyContext) -> *mut HPyContext {
    // SAFETY: `trace_context`'s contract: `uctx` is a universal context that
    // lives for the rest of the process, read for its handle constants and two
    // functions and kept in the leaked `TraceInfo`.
    unsafe {
        let info = Box::new(TraceInfo {
            uctx,
            calls: [const { AtomicU64::new(0) }; N],
            nanos: [const { AtomicU64::new(0) }; N],
            on_enter: HookSlot::new(),
            on_exit: HookSlot::new(),
            names: FUNCTION_NAMES.iter().map(|n| CString::new(format!("ctx_{n}")).unwrap()).collect(),
        });
        let mut tctx = lichen_abi::context_members!(wrapping_context, (uctx), (c"HPy Trace Mode ABI (Lichen)".as_ptr()), (core::ptr::null_mut()), wrappers);
        tctx.ctx_CallRealFunctionFromTrampoline = (*uctx).ctx_CallRealFunctionFromTrampoline;
        tctx.ctx_FatalError = (*uctx).ctx_FatalError;
        tctx._private = Box::into_raw(info).cast();
        Box::into_raw(Box::new(tctx))
    }
}

/// What one argument of `set_trace_functions` asks for.
pub enum Hook<T> {
    /// Omitted: leave the hook as it is.
    Keep,
    /// `None`: remove it.
    Clear,
    /// A callable: call it from now on.
    Set(T),
}

/// The `(on_enter, on_exit)` of a call `set_trace_functions(*positional,
/// **keywords)`, each `None` when omitted; `Err` with the TypeError's text.
pub fn trace_function_args<T>(positional: Vec<T>, keywords: Vec<(String, T)>) -> Result<[Option<T>; 2], String> {
    if positional.len() > 2 {
        return Err("set_trace_functions takes at most 2 arguments".into());
    }
    let mut slots: [Option<T>; 2] = [None, None];
    for (slot, value) in slots.iter_mut().zip(positional) {
        *slot = Some(value);
    }
    for (key, value) in keywords {
        let i = match key.as_str() {
            "on_enter" => 0,
            "on_exit" => 1,
            other => return Err(format!("set_trace_functions got an unexpected keyword argument '{other}'")),
        };
        if slots[i].is_some() {
            return Err("set_trace_functions got multiple values for an argument".into());
        }
        slots[i] = Some(value);
    }
    Ok(slots)
}

/// The clock resolution trace durations are measured in, in Hertz.
pub const FREQUENCY_HZ: u64 = 1_000_000_000;


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_trace_functions_arguments() {
        assert!(matches!(trace_function_args(vec![1], vec![]), Ok([Some(1), None])));
        assert!(matches!(trace_function_args(vec![], vec![("on_exit".into(), 2)]), Ok([None, Some(2)])));
        assert!(trace_function_args(vec![1, 2, 3], vec![]).is_err());
        assert!(trace_function_args(vec![1], vec![("on_enter".into(), 2)]).is_err());
        assert!(trace_function_args::<i32>(vec![], vec![("other".into(), 2)]).unwrap_err().contains("'other'"));
    }
}
